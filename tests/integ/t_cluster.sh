#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Several hosts (issue 17): three "node" namespaces on one underlay (a
# bridge in its own namespace), each with its own vmnet state, IPAM store,
# node subnet files (ipam.subnetFile), netd and a real routing daemon: BIRD 2
# on nodes 1 and 2 (contrib/routing/bird.conf), FRR's zebra and bgpd on node
# 3 (contrib/routing/frr.conf), iBGP full mesh between the nodes. On every node
# a shared network (ipMasq true, the bridge's connected route announced by
# BIRD's direct protocol) and an isolated one (ipMasq false, aggregateRoute:
# netd's blackhole route of protocol 215, learnt by BIRD's kernel protocol),
# both naming the cluster's prefix in clusterCIDRs. Guests on different nodes
# reach each other with their own addresses (no masquerade on the ipMasq
# network either); an underlay host outside clusterCIDRs that routes the
# cluster via a node cannot open connections to its guests; one node
# stopped (its BIRD and its uplink) leaves the other two working; back, it
# is reachable again once BGP has converged. Everything runs inside the
# test's namespaces; the daemons' sockets and pid files are in the test's
# tmp dir.
#
#   tests/integ/t_cluster.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq socat nft ss python3 bird birdc vtysh
FRR_LIB=/usr/lib/frr # zebra and bgpd (package frr), not on PATH
need_bins "$FRR_LIB/zebra" "$FRR_LIB/bgpd"
need_bins "$VMNET" "$B/vmnet-ipam" "$FAKEVM" "$NETD"
world_init

AS=64512
CLUSTER4=10.100.0.0/15 # shared blocks 10.100.K.0/24, isolated 10.101.K.0/24
declare -A NODE

ns_add ul
UL=$REPLY
ip -n "$UL" link add br0 type bridge && ip -n "$UL" link set br0 up || bail "underlay bridge"

node_ip() { echo "192.0.2.1$1"; }
nd() { echo "$W_TMP/n$1"; }

# node_plugin K VERB KEY=VALUE...: the plugin on node K, beside node K's netd.
node_plugin() {
	local k=$1
	shift
	SOCK=$(nd "$k")/netd.sock plugin "$@" host="${NODE[$k]}"
}

# conf_node K MODE: node K's network of MODE ("cs" shared, "ci" isolated),
# the same on every node but for the node's own paths.
conf_node() {
	local d
	d=$(nd "$1")
	jq -cn --arg mode "$2" --arg d "$d" '{
		cniVersion: "1.0.0", name: (if $mode == "shared" then "cs" else "ci" end),
		type: "vmnet", mode: $mode, tap: "netns", ipMasq: ($mode == "shared"),
		clusterCIDRs: ["10.100.0.0/15"], stateDir: ($d + "/state"),
		ipam: {type: "vmnet-ipam", dataDir: ($d + "/ipam"), subnetFile: ($d + "/" + $mode + "-subnet")}
	} | if $mode == "shared" then .bridge = "vmbrcs" else .aggregateRoute = true end'
}

# bird_conf K: contrib/routing/bird.conf for node K, peers the other two.
bird_conf() {
	local k=$1 j peers=
	for j in 1 2 3; do
		[ "$j" = "$k" ] && continue
		peers+="protocol bgp node$j from vmnet_node { neighbor $(node_ip "$j") as $AS; }\\n"
	done
	# Placeholders outside comments (the file's header names them too).
	sed -e "/^#/!s|@ROUTER_ID@|$(node_ip "$k")|" -e "/^#/!s|@LOCAL_AS@|$AS|" \
		-e "/^#/!s|@CLUSTER@|$CLUSTER4+|" -e "/^#/!s|@PEERS@|$peers|" \
		"$LIB_ROOT/contrib/routing/bird.conf" >"$(nd "$k")/bird.conf"
}

birdc_() { ip netns exec "${NODE[$1]}" birdc -s "$(nd "$1")/bird.ctl" "${@:2}"; }

# bird_start K: BIRD in node K's namespace, its control socket and pid file
# in the test's tmp dir; BIRD_PID[K].
declare -A BIRD_PID
bird_start() {
	local k=$1 i
	ip netns exec "${NODE[$k]}" bird -f -c "$(nd "$k")/bird.conf" -s "$(nd "$k")/bird.ctl" \
		-P "$(nd "$k")/bird.pid" </dev/null >>"$(nd "$k")/bird.log" 2>&1 &
	BIRD_PID[$k]=$!
	track_pid "${BIRD_PID[$k]}"
	for i in $(seq 100); do
		birdc_ "$k" show status 2>/dev/null | grep -q 'Daemon is up' && return 0
		alive "${BIRD_PID[$k]}" || break
		sleep 0.1
	done
	echo "bird on node $k did not start: $(cat "$(nd "$k")/bird.log")"
	return 1
}

# established K N...: on node K, the sessions to nodes N... are Established.
established() {
	local k=$1 j
	shift
	for j in "$@"; do
		if [ "$k" = 3 ]; then
			[ "$(vtysh_ 3 -c "show bgp ipv4 unicast summary json" 2>/dev/null |
				jq -r --arg p "$(node_ip "$j")" '.peers[$p].state // empty')" = Established ] ||
				return 1
		else
			birdc_ "$k" show protocols "node$j" 2>/dev/null | grep -q "Established" || return 1
		fi
	done
}

# wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds.
wait_for() {
	local t=$1 i
	shift
	for i in $(seq $((t * 5))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	"$@"
}

# has_route K PREFIX VIA: node K routes PREFIX via VIA (a BGP-learnt route:
# BIRD installs them as proto bird, FRR's zebra as proto bgp).
has_route() {
	ip -n "${NODE[$1]}" route show "$2" | grep -qE "via $3 .*proto (bird|bgp)"
}
no_route() { ! ip -n "${NODE[$1]}" route show "$2" | grep -q .; }

# aggregate K PREFIX: node K has netd's blackhole route for PREFIX.
aggregate() {
	ip -n "${NODE[$1]}" route show type blackhole proto 215 | grep -qE "^blackhole $2 *\$"
}

# peer_addr FROM TO: guest FROM connects to guest TO's port 81, which answers
# with the address the connection came from.
peer_addr() {
	in_guest "$1" timeout 5 socat -T3 - "TCP:${G_IP[$2]}:81,connect-timeout=3" </dev/null 2>&1
}

# frr_conf K: contrib/routing/frr.conf for node K, its @PEER@ line once per
# other node; in node K's frr/ folder (FRR's daemons run as user frr).
frr_conf() {
	local k=$1 j peers=
	for j in 1 2 3; do
		[ "$j" = "$k" ] || peers+=" neighbor $(node_ip "$j") peer-group VMNET\\n"
	done
	mkdir -p "$(nd "$k")/frr"
	sed -e "/^!/!s|@ROUTER_ID@|$(node_ip "$k")|" -e "/^!/!s|@LOCAL_AS@|$AS|g" \
		-e "/^!/!s|@CLUSTER@|10.100.0.0/15|g" -e "s|^ neighbor @PEER@ peer-group VMNET\$|$peers|" \
		"$LIB_ROOT/contrib/routing/frr.conf" >"$(nd "$k")/frr/frr.conf"
	chown -R frr:frr "$(nd "$k")/frr"
	vtysh --dryrun -f "$(nd "$k")/frr/frr.conf"
}

vtysh_() { ip netns exec "${NODE[$1]}" vtysh --vty_socket "$(nd "$1")/frr" "${@:2}"; }

# frr_start K: zebra, then bgpd, in node K's namespace; FRR_PIDS[K].
declare -A FRR_PIDS
frr_start() {
	local k=$1 d i
	d=$(nd "$k")/frr
	for i in zebra bgpd; do
		ip netns exec "${NODE[$k]}" "$FRR_LIB/$i" -f "$d/frr.conf" -i "$d/$i.pid" \
			-z "$d/zserv.api" --vty_socket "$d" -u frr -g frr -P 0 --log stdout \
			</dev/null >>"$(nd "$k")/$i.log" 2>&1 &
		track_pid $!
		FRR_PIDS[$k]+=" $!"
		for _ in $(seq 100); do
			vtysh_ "$k" -d "$i" -c "show version" >/dev/null 2>&1 && break
			sleep 0.1
		done
	done
	vtysh_ "$k" -c "show bgp summary" >/dev/null 2>&1 && return 0
	echo "FRR on node $k did not start: $(tail -n 5 "$(nd "$k")"/*.log)"
	return 1
}

# frr_stop K: close node K's sessions (a Cease to every peer, as an operator
# drains a node: bgpd killed outright leaves them to graceful restart, and
# its peers keep its routes as stale for the restart time), then stop FRR.
frr_stop() {
	local p
	vtysh_ "$1" -c "configure terminal" -c "router bgp $AS" -c "neighbor VMNET shutdown" \
		>/dev/null 2>&1
	for p in ${FRR_PIDS[$1]}; do kill_pid "$p"; done
	FRR_PIDS[$1]=
}

# --------------------------------------------------------------- nodes
chmod 711 "$W_TMP" # FRR's daemons (user frr) reach node 3's frr/ folder
for k in 1 2 3; do
	ns_add "n$k"
	NODE[$k]=$REPLY
	mkdir -p "$(nd "$k")"
	ip -n "$UL" link add "p$k" type veth peer name up0 netns "${NODE[$k]}" || bail "uplink $k"
	ip -n "$UL" link set "p$k" master br0 up
	ip -n "${NODE[$k]}" addr add "$(node_ip "$k")/24" dev up0
	ip -n "${NODE[$k]}" link set up0 up
	ip netns exec "${NODE[$k]}" sysctl -qw net.ipv4.ip_forward=1
done

# --------------------------------------------------------------- subnetFile
# No node subnet written yet: ADD is "try again later", DEL still succeeds.
vm_ns v-early
EARLY=$REPLY
CNI_DETAILS='not written yet' t_plugin_code "ADD before the node subnet file exists: code 11" 11 \
	ADD id=early ns="$EARLY" conf="$(conf_node 1 isolated)" host="${NODE[1]}"
plugin_del_early() { node_plugin 1 DEL id=early ns="$EARLY" conf="$(conf_node 1 isolated)"; }
t_ok "DEL while the node subnet file is missing succeeds" plugin_del_early
echo "not a prefix" >"$(nd 1)/isolated-subnet"
CNI_DETAILS='line 1: not a CIDR' t_plugin_code "a malformed node subnet file: code 7" 7 \
	ADD id=early ns="$EARLY" conf="$(conf_node 1 isolated)" host="${NODE[1]}"
CNI_DETAILS='cannot be combined' t_plugin_code "subnetFile and ranges together: code 7" 7 \
	ADD id=early ns="$EARLY" host="${NODE[1]}" \
	conf="$(conf_node 1 isolated | jq -c '.ipam.ranges = [[{subnet: "10.9.0.0/24"}]]')"
t_eq "nothing of the refused ADDs is left in node 1's store" \
	"$(find "$(nd 1)/ipam" -name '10.*' 2>/dev/null | wc -l)" 0

for k in 1 2 3; do
	printf '# written by the cluster tooling\n10.100.%s.0/24\n' "$k" >"$(nd "$k")/shared-subnet"
	printf '10.101.%s.0/24\n' "$k" >"$(nd "$k")/isolated-subnet"
	if [ "$k" = 3 ]; then
		t_ok "contrib/routing/frr.conf for node 3 passes vtysh --dryrun" frr_conf 3
		t_ok "FRR (zebra, bgpd) on node 3 started with it" frr_start 3
	else
		bird_conf "$k"
		t_ok "bird on node $k started with contrib/routing/bird.conf" bird_start "$k"
	fi
	ip netns exec "${NODE[$k]}" "$NETD" --state-dir "$(nd "$k")/state" \
		--socket "$(nd "$k")/netd.sock" --cni-path "$B" --interval 2 --no-dhcp \
		</dev/null >>"$(nd "$k")/netd.log" 2>&1 &
	track_pid $!
done

# --------------------------------------------------------------- guests
for k in 1 2 3; do
	for mode in shared isolated; do
		g=${mode:0:1}$k
		vm_ns "v-$g"
		if node_plugin "$k" ADD id="$g" ns="$REPLY" conf="$(conf_node "$k" "$mode")"; then
			ok "ADD $mode guest on node $k"
		else
			not_ok "ADD $mode guest on node $k" "$(cni_report)"
			continue
		fi
		res=$CNI_OUT
		t_ok "guest $g up" guest_up "$g" "$res" "$REPLY"
		ip netns exec "${G_NS[$g]}" socat TCP-LISTEN:81,reuseaddr,fork \
			'SYSTEM:echo $SOCAT_PEERADDR' </dev/null >/dev/null 2>&1 &
		track_pid $!
		wait_listen "${G_NS[$g]}" tcp 81 >/dev/null
	done
	t_match "node $k: the shared guest's address is from the node subnet file" "${G_IP[s$k]:-}" \
		"^10\\.100\\.$k\\."
	t_match "node $k: the isolated guest's block is from the node subnet file" "${G_IP[i$k]:-}" \
		"^10\\.101\\.$k\\."
	t_ok "node $k: netd keeps the aggregate blackhole 10.101.$k.0/24 proto 215" \
		wait_for 10 aggregate "$k" "10.101.$k.0/24" ||
		diag "netd: $(tail -5 "$(nd "$k")/netd.log")"
	t_match "node $k: the guest's own /30 wins over the aggregate" \
		"$(ip -n "${NODE[$k]}" route get "${G_IP[i$k]:-0.0.0.0}" 2>&1)" "dev vmv"
	t_match "node $k: an address of the block no VM holds meets the aggregate only" \
		"$(ip -n "${NODE[$k]}" route show match "10.101.$k.200" 2>&1)" \
		"^blackhole 10\\.101\\.$k\\.0/24 proto 215 *\$"
done

# Level-triggered: an aggregate deleted by hand is back at netd's next pass;
# another owner's blackhole route is never netd's business.
ip -n "${NODE[1]}" route add blackhole 10.102.0.0/24 proto static
ip -n "${NODE[1]}" route del blackhole 10.101.1.0/24 proto 215
t_ok "node 1: an aggregate deleted by hand is back" wait_for 10 aggregate 1 10.101.1.0/24
# Two more of node 1's netd passes, each of which would have deleted it.
passes1() {
	ip netns exec "${NODE[1]}" "$NETD" status --json --socket "$(nd 1)/netd.sock" 2>/dev/null |
		jq -r '.reconcile.passes // 0'
}
n0=$(passes1)
more_passes() { [ "$(passes1)" -ge $((n0 + 2)) ]; }
t_ok "node 1: netd made two more passes" wait_for 10 more_passes
t_match "node 1: another owner's blackhole route is left alone" \
	"$(ip -n "${NODE[1]}" route show 10.102.0.0/24)" "^blackhole 10\\.102\\.0\\.0/24 proto static"
ip -n "${NODE[1]}" route del blackhole 10.102.0.0/24 proto static

# --------------------------------------------------------------- BGP
mesh() { established 1 2 3 && established 2 1 3 && established 3 1 2; }
t_ok "iBGP full mesh: every session Established" wait_for 60 mesh
all_routes() {
	local k j
	for k in 1 2 3; do for j in 1 2 3; do
		[ "$j" = "$k" ] && continue
		has_route "$k" "10.100.$j.0/24" "$(node_ip "$j")" || return 1
		has_route "$k" "10.101.$j.0/24" "$(node_ip "$j")" || return 1
	done; done
}
t_ok "every node routes the others' shared subnets and isolated aggregates via them" \
	wait_for 30 all_routes
t_eq "node 1 learnt one route for node 2's isolated block, not one per VM" \
	"$(ip -n "${NODE[1]}" route show proto bird | grep -c '^10\.101\.2\.')" 1

for pair in "s1 s2" "s2 s3" "s3 s1" "i1 i2" "i2 i3" "i3 i1"; do
	set -- $pair
	t_ok "$1 pings $2 on another node" guest_ping "$1" "${G_IP[$2]:-0.0.0.0}"
	t_eq "$2 sees $1's own address (no masquerade)" "$(peer_addr "$1" "$2")" "${G_IP[$1]:-x}"
done

# --------------------------------------------------------------- outside the cluster
# An underlay host whose address is not in clusterCIDRs routes the cluster's
# prefix via node 1: the guests there are closed to it (inbound_drop), while
# they reach it themselves.
ns_add uh
UH=$REPLY
ip -n "$UL" link add p9 type veth peer name up0 netns "$UH" || bail "underlay host"
ip -n "$UL" link set p9 master br0 up
ip -n "$UH" addr add 192.0.2.50/24 dev up0
ip -n "$UH" link set up0 up
ip -n "$UH" route add 10.100.0.0/15 via "$(node_ip 1)"
n1_drops() {
	ip netns exec "${NODE[1]}" nft list counter inet vmnet inbound_drop 2>/dev/null |
		grep -o 'packets [0-9]*' | cut -d' ' -f2
}
before=$(n1_drops)
t_eq "an underlay host outside clusterCIDRs cannot open a connection to s1 (ipMasq)" \
	"$(net_get "$UH" tcp "${G_IP[s1]:-0.0.0.0}" 81)" ""
t_eq "...nor to i1 (no ipMasq)" "$(net_get "$UH" tcp "${G_IP[i1]:-0.0.0.0}" 81)" ""
t_rose "node 1's inbound_drop rose" "$before" "$(n1_drops)"
t_ok "i1 still reaches the underlay host itself" guest_ping i1 192.0.2.50

# --------------------------------------------------------------- node 3 down
# Its BGP daemon stops (bgpd closes its sessions, zebra takes its routes out)
# and its uplink goes down.
frr_stop 3
ip -n "${NODE[3]}" link set up0 down
gone3() { no_route 1 10.100.3.0/24 && no_route 1 10.101.3.0/24 && no_route 2 10.101.3.0/24; }
t_ok "node 3 down: nodes 1 and 2 withdrew its routes" wait_for 20 gone3
t_ok "node 3 down: nodes 1 and 2 still peer" established 1 2
t_ok "node 3 down: s1 still pings s2" guest_ping s1 "${G_IP[s2]:-0.0.0.0}"
t_ok "node 3 down: i2 still pings i1" guest_ping i2 "${G_IP[i1]:-0.0.0.0}"
t_ok "node 3 down: s1 no longer reaches s3" guest_noping s1 "${G_IP[s3]:-0.0.0.0}"

# --------------------------------------------------------------- node 3 back
ip -n "${NODE[3]}" link set up0 up
t_ok "node 3's FRR started again" frr_start 3
t_ok "node 3 back: the mesh is Established again" wait_for 60 mesh
t_ok "node 3 back: every node routes every block again" wait_for 30 all_routes
t_ok "node 3 back: s1 pings s3" guest_ping s1 "${G_IP[s3]:-0.0.0.0}"
t_ok "node 3 back: i3 pings i2" guest_ping i3 "${G_IP[i2]:-0.0.0.0}"
t_eq "node 3 back: s2 sees s3's own address" "$(peer_addr s3 s2)" "${G_IP[s3]:-x}"

# --------------------------------------------------------------- node 2 crashes
# No Cease this time, not even a TCP reset: its uplink is cut, then its BIRD
# killed. The others notice when their hold timer (9 s) expires.
ip -n "${NODE[2]}" link set up0 down
kill -KILL "${BIRD_PID[2]}"
wait "${BIRD_PID[2]}" 2>/dev/null
t0=$(ms_now)
gone2() { no_route 1 10.101.2.0/24 && no_route 3 10.101.2.0/24 && no_route 3 10.100.2.0/24; }
t_ok "node 2 crashed: nodes 1 (BIRD) and 3 (FRR) drop its routes" wait_for 60 gone2
diag "after $(($(ms_now) - t0)) ms"
ip -n "${NODE[2]}" link set up0 up
t_ok "node 2's bird started again" bird_start 2
t_ok "node 2 back: the mesh is Established again" wait_for 60 mesh
t_ok "node 2 back: every node routes every block again" wait_for 30 all_routes
t_ok "node 2 back: i1 pings i2" guest_ping i1 "${G_IP[i2]:-0.0.0.0}"

# --------------------------------------------------------------- the file changes
# Node 1 gets another isolated block: new attachments come from it, the one
# already there keeps its address and is released by its DEL.
printf '10.101.11.0/24\n' >"$(nd 1)/isolated-subnet"
vm_ns v-x1
t_plugin "node 1: ADD after its subnet file changed" ADD id=x1 ns="$REPLY" \
	conf="$(conf_node 1 isolated)" host="${NODE[1]}"
t_match "node 1: the new guest is in the new block" "$(guest_ip "$CNI_OUT")" '^10\.101\.11\.'
t_ok "node 1: netd keeps the new block's aggregate" wait_for 10 aggregate 1 10.101.11.0/24
t_ok "node 1: and the old block's, while its guest lives" aggregate 1 10.101.1.0/24
t_ok "node 1: i1 in the old block still reaches i2" guest_ping i1 "${G_IP[i2]:-0.0.0.0}"
t_ok "node 2 learns node 1's new block" wait_for 30 has_route 2 10.101.11.0/24 "$(node_ip 1)"

# --------------------------------------------------------------- last DEL
for k in 1 2 3; do
	for g in "s$k" "i$k"; do
		guest_stop "$g"
		mode=shared
		[ "${g:0:1}" = i ] && mode=isolated
		node_plugin "$k" DEL id="$g" ns="${P}v-$g" conf="$(conf_node "$k" "$mode")" ||
			not_ok "DEL $g" "$(cni_report)"
	done
done
node_plugin 1 DEL id=x1 conf="$(conf_node 1 isolated)" || not_ok "DEL x1" "$(cni_report)"
t_eq "node 1: the old block's guest was released from the store" \
	"$(find "$(nd 1)/ipam/ci" -maxdepth 1 -name '10.101.*' | wc -l)" 0
no_aggregates() {
	local k
	for k in 1 2 3; do
		[ -z "$(ip -n "${NODE[$k]}" route show proto 215)" ] || return 1
	done
}
t_ok "after the last DEL netd removed every aggregate" wait_for 10 no_aggregates
t_ok "and the other nodes no longer route node 2's isolated block" \
	wait_for 20 no_route 1 10.101.2.0/24

t_done
