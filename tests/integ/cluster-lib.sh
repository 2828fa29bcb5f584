# shellcheck shell=bash disable=SC2034 # sourced: its variables are for the caller
# SPDX-License-Identifier: MIT
#
# The cluster topology of issue 17, sourced after lib.sh by
# tests/integ/t_cluster.sh and tests/bench/cross.sh: three "node"
# namespaces on one underlay (a bridge in its own namespace), dual stack
# (192.0.2.1K/24 and fd00:192::1K/64 on each node's up0), each with its own
# vmnet state, IPAM store, node subnet files (ipam.subnetFile), netd and a
# real routing daemon: BIRD 2 on nodes 1 and 2 (contrib/routing/bird.conf),
# FRR's zebra and bgpd on node 3 (contrib/routing/frr.conf), iBGP full mesh
# between the nodes, one session per family. The daemons' sockets and pid
# files are in the test's tmp dir.
#
#   cluster_underlay; cluster_node K (K = 1 2 3); then, per node:
#   cluster_subnets K; bird_conf K && bird_start K (or frr_conf 3 &&
#   frr_start 3); cluster_netd K.

AS=64512
CLUSTER4=10.100.0.0/15 # shared blocks 10.100.K.0/24, isolated 10.101.K.0/24
CLUSTER6=fd00:100::/31 # shared blocks fd00:100:K::/64, isolated fd00:101:K::/64
FRR_LIB=/usr/lib/frr   # zebra and bgpd (package frr), not on PATH
declare -A NODE BIRD_PID FRR_PIDS

node_ip() { echo "192.0.2.1$1"; }
node_ip6() { echo "fd00:192::1$1"; }
nd() { echo "$W_TMP/n$1"; }

# cluster_underlay: the underlay's namespace ($UL) and bridge.
cluster_underlay() {
	ns_add ul
	UL=$REPLY
	ip -n "$UL" link add br0 type bridge && ip -n "$UL" link set br0 up
}

# cluster_node K: node K's namespace NODE[K], its uplink up0 on the
# underlay with both addresses, forwarding on.
cluster_node() {
	local k=$1
	ns_add "n$k"
	NODE[$k]=$REPLY
	mkdir -p "$(nd "$k")"
	ip -n "$UL" link add "p$k" type veth peer name up0 netns "${NODE[$k]}" || return 1
	ip -n "$UL" link set "p$k" master br0 up
	# keep_addr_on_down: the tests take uplinks down and up, which would
	# otherwise flush the IPv6 address (and its BGP sessions with it).
	ip netns exec "${NODE[$k]}" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.up0.accept_dad=0 net.ipv6.conf.up0.keep_addr_on_down=1
	ip -n "${NODE[$k]}" addr add "$(node_ip "$k")/24" dev up0
	ip -n "${NODE[$k]}" addr add "$(node_ip6 "$k")/64" dev up0 nodad
	ip -n "${NODE[$k]}" link set up0 up
}

# cluster_subnets K: node K's subnet files, as the cluster tooling writes
# them: one prefix per family.
cluster_subnets() {
	local k=$1
	printf '# written by the cluster tooling\n10.100.%s.0/24\nfd00:100:%s::/64\n' "$k" "$k" \
		>"$(nd "$k")/shared-subnet"
	printf '10.101.%s.0/24\nfd00:101:%s::/64\n' "$k" "$k" >"$(nd "$k")/isolated-subnet"
}

# cluster_netd K: netd in node K's namespace.
cluster_netd() {
	ip netns exec "${NODE[$1]}" "$NETD" --state-dir "$(nd "$1")/state" \
		--socket "$(nd "$1")/netd.sock" --cni-path "$B" --interval 2 --no-dhcp \
		</dev/null >>"$(nd "$1")/netd.log" 2>&1 &
	track_pid $!
}

# node_plugin K VERB KEY=VALUE...: the plugin on node K, beside node K's netd.
node_plugin() {
	local k=$1
	shift
	SOCK=$(nd "$k")/netd.sock plugin "$@" host="${NODE[$k]}"
}

# conf_node K MODE: node K's network of MODE ("cs" shared, "ci" isolated),
# the same on every node but for the node's own paths; dual stack, naming
# the cluster's prefixes (clusterCIDRs); the shared one masquerades what goes
# elsewhere (ipMasq, ipMasq6), the isolated one nothing. Isolated guests get /30 and /120 blocks: a node's blocks are /24 and /64,
# which is how frr.conf tells them from the VMs' own routes.
conf_node() {
	local d
	d=$(nd "$1")
	jq -cn --arg mode "$2" --arg d "$d" --arg c4 "$CLUSTER4" --arg c6 "$CLUSTER6" '{
		cniVersion: "1.0.0", name: (if $mode == "shared" then "cs" else "ci" end),
		type: "vmnet", mode: $mode, tap: "netns",
		ipMasq: ($mode == "shared"), ipMasq6: ($mode == "shared"), clusterCIDRs: [$c4, $c6],
		stateDir: ($d + "/state"),
		ipam: {type: "vmnet-ipam", dataDir: ($d + "/ipam"), subnetFile: ($d + "/" + $mode + "-subnet")}
	} | if $mode == "shared" then .bridge = "vmbrcs"
	    else .aggregateRoute = true | .ipam.blockSize6 = 120 end'
}

# bird_conf K: contrib/routing/bird.conf for node K, peers the other two
# (an IPv4 and an IPv6 session each).
bird_conf() {
	local k=$1 j peers=''
	for j in 1 2 3; do
		[ "$j" = "$k" ] && continue
		peers+="protocol bgp node$j from vmnet_node { neighbor $(node_ip "$j") as $AS; }\\n"
		peers+="protocol bgp node${j}v6 from vmnet_node6 { neighbor $(node_ip6 "$j") as $AS; }\\n"
	done
	# Placeholders outside comments (the file's header names them too).
	sed -e "/^#/!s|@ROUTER_ID@|$(node_ip "$k")|" -e "/^#/!s|@LOCAL_AS@|$AS|" \
		-e "/^#/!s|@CLUSTER@|$CLUSTER4+|" -e "/^#/!s|@CLUSTER6@|$CLUSTER6+|" \
		-e "/^#/!s|@PEERS@|$peers|" \
		"$LIB_ROOT/contrib/routing/bird.conf" >"$(nd "$k")/bird.conf"
}

birdc_() { ip netns exec "${NODE[$1]}" birdc -s "$(nd "$1")/bird.ctl" "${@:2}"; }

# bird_start K: BIRD in node K's namespace, its control socket and pid file
# in the test's tmp dir; BIRD_PID[K].
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

# frr_conf K: contrib/routing/frr.conf for node K, its @PEER@ and @PEER6@
# lines once per other node; in node K's frr/ folder (FRR's daemons run as
# user frr).
frr_conf() {
	local k=$1 j peers='' peers6=''
	for j in 1 2 3; do
		[ "$j" = "$k" ] && continue
		peers+=" neighbor $(node_ip "$j") peer-group VMNET\\n"
		peers6+=" neighbor $(node_ip6 "$j") peer-group VMNET6\\n"
	done
	mkdir -p "$(nd "$k")/frr"
	sed -e "/^!/!s|@ROUTER_ID@|$(node_ip "$k")|" -e "/^!/!s|@LOCAL_AS@|$AS|g" \
		-e "/^!/!s|@CLUSTER@|10.100.0.0/15|g" -e "/^!/!s|@CLUSTER6@|$CLUSTER6|g" \
		-e "s|^ neighbor @PEER@ peer-group VMNET\$|$peers|" \
		-e "s|^ neighbor @PEER6@ peer-group VMNET6\$|$peers6|" \
		"$LIB_ROOT/contrib/routing/frr.conf" >"$(nd "$k")/frr/frr.conf"
	chown -R frr:frr "$(nd "$k")/frr"
	vtysh --dryrun -f "$(nd "$k")/frr/frr.conf"
}

vtysh_() { ip netns exec "${NODE[$1]}" vtysh --vty_socket "$(nd "$1")/frr" "${@:2}"; }

# frr_start K: zebra, then bgpd, in node K's namespace; FRR_PIDS[K].
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
		-c "neighbor VMNET6 shutdown" >/dev/null 2>&1
	for p in ${FRR_PIDS[$1]}; do kill_pid "$p"; done
	FRR_PIDS[$1]=
}

# established K N...: on node K, the sessions (both families) to nodes N...
# are Established.
established() {
	local k=$1 j
	shift
	for j in "$@"; do
		if [ "$k" = 3 ]; then
			[ "$(vtysh_ 3 -c "show bgp ipv4 unicast summary json" 2>/dev/null |
				jq -r --arg p "$(node_ip "$j")" '.peers[$p].state // empty')" = Established ] &&
				[ "$(vtysh_ 3 -c "show bgp ipv6 unicast summary json" 2>/dev/null |
					jq -r --arg p "$(node_ip6 "$j")" '.peers[$p].state // empty')" = Established ] ||
				return 1
		else
			birdc_ "$k" show protocols "node$j" 2>/dev/null | grep -q "Established" &&
				birdc_ "$k" show protocols "node${j}v6" 2>/dev/null | grep -q "Established" ||
				return 1
		fi
	done
}
mesh() { established 1 2 3 && established 2 1 3 && established 3 1 2; }

# cluster_report: what each node's routing daemon holds, its log's end and
# the node's routes: for diag when routes are missing.
cluster_report() {
	local k
	for k in 1 2 3; do
		echo "== node $k"
		if [ "$k" = 3 ] && [ -n "${FRR_PIDS[3]:-}" ]; then
			# What bgpd received and whether it found the next hops
			# valid; what zebra holds (and failed to install).
			vtysh_ 3 -c "show bgp summary" -c "show bgp ipv4 unicast" \
				-c "show bgp ipv6 unicast" -c "show ip nht" -c "show ipv6 nht" \
				-c "show ip route" -c "show ipv6 route" -c "show zebra client summary" 2>&1
			grep -h 'EC \|rror\|fail' "$(nd 3)/bgpd.log" "$(nd 3)/zebra.log" 2>&1 | tail -n 30
		elif [ "$k" != 3 ]; then
			birdc_ "$k" show protocols 2>&1
			tail -n 10 "$(nd "$k")/bird.log" 2>&1
		fi
		ip -n "${NODE[$k]}" route 2>&1
		ip -n "${NODE[$k]}" -6 route 2>&1
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

# fam PREFIX: ip's family option for PREFIX.
fam() { if [[ $1 == *:* ]]; then echo -6; else echo -4; fi; }

# has_route K PREFIX VIA: node K routes PREFIX via VIA (a BGP-learnt route:
# BIRD installs them as proto bird, FRR's zebra as proto bgp). IPv6: VIA
# may be the peer's link-local address, so "" takes any gateway.
has_route() {
	ip -n "${NODE[$1]}" "$(fam "$2")" route show "$2" |
		grep -qE "via ${3:-[^ ]+} .*proto (bird|bgp)"
}
no_route() { ! ip -n "${NODE[$1]}" "$(fam "$2")" route show "$2" | grep -q .; }

# guest6_up NAME RESULT: the guest stand-in's IPv6 address (the result's
# IPv6 entry) and default route via its IPv6 gateway; G_IP6[NAME].
declare -A G_IP6
guest6_up() {
	local n=$1 a g
	a=$(jq -r '.ips[] | select(.address | contains(":")) | .address' <<<"$2")
	g=$(jq -r '.ips[] | select(.address | contains(":")) | .gateway' <<<"$2")
	if [ -z "$a" ] || [ -z "$g" ]; then
		echo "no IPv6 address in $2"
		return 1
	fi
	G_IP6[$n]=${a%/*}
	ip netns exec "${G_NS[$n]}" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
	ip -n "${G_NS[$n]}" -6 addr replace "$a" dev eth0 nodad || return 1
	ip -n "${G_NS[$n]}" -6 route replace default via "$g" dev eth0 || return 1
	wait_for 5 guest_ping "$n" "$g"
}
