#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Several hosts (issue 17): the three nodes of tests/integ/cluster-lib.sh
# (BIRD 2 on nodes 1 and 2, FRR on node 3, iBGP full mesh, one session per
# family). On every node a dual-stack shared network (no masquerade, the
# bridge's connected routes announced by BIRD's direct protocol) and an
# isolated one (aggregateRoute: netd's blackhole routes of protocol 215, one
# per family, learnt by BIRD's kernel protocols), both naming the cluster's
# prefixes in clusterCIDRs, the shared one masquerading everything else.
# Guests on different nodes reach each other with their own addresses of
# both families; an underlay host outside clusterCIDRs cannot open
# connections to guests; one node
# stopped (its BIRD and its uplink) leaves the other two working; back, it
# is reachable again once BGP has converged. Everything runs inside the
# test's namespaces; the daemons' sockets and pid files are in the test's
# tmp dir.
#
#   tests/integ/t_cluster.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integ/cluster-lib.sh
. "$(dirname "$0")/cluster-lib.sh"

need_root
need_cmds jq socat nft ss python3 bird birdc vtysh
need_bins "$FRR_LIB/zebra" "$FRR_LIB/bgpd"
need_bins "$VMNET" "$B/vmnet-ipam" "$FAKEVM" "$NETD"
world_init

cluster_underlay || bail "underlay bridge"

# aggregate K PREFIX: node K has netd's blackhole route for PREFIX.
aggregate() {
	ip -n "${NODE[$1]}" "$(fam "$2")" route show type blackhole proto 215 |
		grep -qE "^blackhole $2( |\$)"
}

# peer_addr FROM TO: guest FROM connects to guest TO's port 81, which answers
# with the address the connection came from.
peer_addr() {
	in_guest "$1" timeout 5 socat -T3 - "TCP:${G_IP[$2]}:81,connect-timeout=3" </dev/null 2>&1
}
# peer_addr6 FROM TO: the same over IPv6 (socat writes the peer's address
# in brackets and in full: compressed here).
peer_addr6() {
	in_guest "$1" timeout 5 socat -T3 - "TCP6:[${G_IP6[$2]}]:81,connect-timeout=3" </dev/null 2>&1 |
		tr -d '[]' | python3 -c 'import ipaddress, sys
s = sys.stdin.read().strip()
try:
    print(ipaddress.ip_address(s))
except ValueError:
    print(s)'
}

# --------------------------------------------------------------- nodes
chmod 711 "$W_TMP" # FRR's daemons (user frr) reach node 3's frr/ folder
for k in 1 2 3; do
	cluster_node "$k" || bail "node $k"
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
	cluster_subnets "$k"
	if [ "$k" = 3 ]; then
		t_ok "contrib/routing/frr.conf for node 3 passes vtysh --dryrun" frr_conf 3
		t_ok "FRR (zebra, bgpd) on node 3 started with it" frr_start 3
	else
		bird_conf "$k"
		t_ok "bird on node $k started with contrib/routing/bird.conf" bird_start "$k"
	fi
	cluster_netd "$k"
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
		t_ok "guest $g: its IPv6 address and route" guest6_up "$g" "$res"
		ip netns exec "${G_NS[$g]}" socat TCP4-LISTEN:81,reuseaddr,fork \
			'SYSTEM:echo $SOCAT_PEERADDR' </dev/null >/dev/null 2>&1 &
		track_pid $!
		ip netns exec "${G_NS[$g]}" socat TCP6-LISTEN:81,ipv6only=1,reuseaddr,fork \
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

# IPv6 of the guests: netd's IPv6 aggregate beside the IPv4 one.
for k in 1 2 3; do
	t_match "node $k: the shared guest's IPv6 address is from the node subnet file" \
		"${G_IP6[s$k]:-}" "^fd00:100:$k::"
	t_match "node $k: the isolated guest's IPv6 block is from the node subnet file" \
		"${G_IP6[i$k]:-}" "^fd00:101:$k::"
	t_ok "node $k: netd keeps the IPv6 aggregate blackhole fd00:101:$k::/64 proto 215" \
		wait_for 10 aggregate "$k" "fd00:101:$k::/64" ||
		diag "netd: $(tail -5 "$(nd "$k")/netd.log")"
	t_match "node $k: the guest's own IPv6 block wins over the aggregate" \
		"$(ip -n "${NODE[$k]}" -6 route get "${G_IP6[i$k]:-::1}" 2>&1)" "dev vmv"
	t_match "node $k: an IPv6 address of the block no VM holds meets the aggregate only" \
		"$(ip -n "${NODE[$k]}" -6 route show match "fd00:101:$k::ffff:1" 2>&1)" \
		"^blackhole fd00:101:$k::/64 .*proto 215"
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
# The same for IPv6.
ip -n "${NODE[1]}" -6 route add blackhole fd00:102::/64 proto static
ip -n "${NODE[1]}" -6 route del blackhole fd00:101:1::/64 proto 215
t_ok "node 1: an IPv6 aggregate deleted by hand is back" wait_for 10 aggregate 1 fd00:101:1::/64
n0=$(passes1)
t_ok "node 1: netd made two more passes" wait_for 10 more_passes
t_match "node 1: another owner's IPv6 blackhole route is left alone" \
	"$(ip -n "${NODE[1]}" -6 route show fd00:102::/64)" "^blackhole fd00:102::/64 (dev lo )?proto static"
ip -n "${NODE[1]}" -6 route del blackhole fd00:102::/64 proto static

# --------------------------------------------------------------- BGP
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
	wait_for 30 all_routes || diag "$(cluster_report)"
t_eq "node 1 learnt one route for node 2's isolated block, not one per VM" \
	"$(ip -n "${NODE[1]}" route show proto bird | grep -c '^10\.101\.2\.')" 1

for pair in "s1 s2" "s2 s3" "s3 s1" "i1 i2" "i2 i3" "i3 i1"; do
	set -- $pair
	t_ok "$1 pings $2 on another node" guest_ping "$1" "${G_IP[$2]:-0.0.0.0}"
	t_eq "$2 sees $1's own address (no masquerade)" "$(peer_addr "$1" "$2")" "${G_IP[$1]:-x}"
done

# IPv6: the same over the IPv6 sessions (the next hop may be the peer's
# link-local address: any gateway does).
all_routes6() {
	local k j
	for k in 1 2 3; do for j in 1 2 3; do
		[ "$j" = "$k" ] && continue
		has_route "$k" "fd00:100:$j::/64" "" || return 1
		has_route "$k" "fd00:101:$j::/64" "" || return 1
	done; done
}
t_ok "every node routes the others' IPv6 shared subnets and isolated aggregates" \
	wait_for 30 all_routes6 || diag "$(cluster_report)"
t_eq "node 1 learnt one IPv6 route for node 2's isolated block, not one per VM" \
	"$(ip -n "${NODE[1]}" -6 route show proto bird | grep -c '^fd00:101:2:')" 1
for pair in "s1 s2" "s2 s3" "s3 s1" "i1 i2" "i2 i3" "i3 i1"; do
	set -- $pair
	t_ok "$1 pings $2 on another node over IPv6" guest_ping "$1" "${G_IP6[$2]:-::1}"
	t_eq "$2 sees $1's own IPv6 address" "$(peer_addr6 "$1" "$2")" "${G_IP6[$1]:-x}"
done

# --------------------------------------------------------------- outside the cluster
# An underlay host whose address is not in clusterCIDRs routes the cluster's
# prefixes via node 1: the guests there are closed to it (inbound_drop),
# while they reach it themselves; the shared network masquerades (ipMasq)
# everything but the cluster, which the checks above show unmasqueraded.
ns_add uh
UH=$REPLY
ip -n "$UL" link add p9 type veth peer name up0 netns "$UH" || bail "underlay host"
ip -n "$UL" link set p9 master br0 up
ip -n "$UH" addr add 192.0.2.50/24 dev up0
ip -n "$UH" link set up0 up
ip -n "$UH" route add "$CLUSTER4" via "$(node_ip 1)"
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
gone3_6() { no_route 1 fd00:100:3::/64 && no_route 2 fd00:101:3::/64; }
t_ok "node 3 down: nodes 1 and 2 withdrew its IPv6 routes" wait_for 20 gone3_6
t_ok "node 3 down: i2 still pings i1 over IPv6" guest_ping i2 "${G_IP6[i1]:-::1}"

# --------------------------------------------------------------- node 3 back
ip -n "${NODE[3]}" link set up0 up
t_ok "node 3's FRR started again" frr_start 3
t_ok "node 3 back: the mesh is Established again" wait_for 60 mesh
t_ok "node 3 back: every node routes every block again" wait_for 30 all_routes ||
	diag "$(cluster_report)"
t_ok "node 3 back: s1 pings s3" guest_ping s1 "${G_IP[s3]:-0.0.0.0}"
t_ok "node 3 back: i3 pings i2" guest_ping i3 "${G_IP[i2]:-0.0.0.0}"
t_eq "node 3 back: s2 sees s3's own address" "$(peer_addr s3 s2)" "${G_IP[s3]:-x}"
t_ok "node 3 back: every node routes every IPv6 block again" wait_for 30 all_routes6
t_ok "node 3 back: i3 pings i1 over IPv6" guest_ping i3 "${G_IP6[i1]:-::1}"

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
t_ok "node 2 back: every node routes every block again" wait_for 30 all_routes ||
	diag "$(cluster_report)"
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
# IPv6: the file's IPv6 line changes too.
printf '10.101.11.0/24\nfd00:101:11::/64\n' >"$(nd 1)/isolated-subnet"
vm_ns v-y1
t_plugin "node 1: ADD after its IPv6 subnet changed" ADD id=y1 ns="$REPLY" \
	conf="$(conf_node 1 isolated)" host="${NODE[1]}"
t_match "node 1: the new guest's IPv6 address is in the new block" \
	"$(jq -r '.ips[] | select(.address | contains(":")) | .address' <<<"$CNI_OUT")" '^fd00:101:11::'
t_ok "node 1: netd keeps the new IPv6 block's aggregate" wait_for 10 aggregate 1 fd00:101:11::/64
t_ok "node 1: and the old IPv6 block's, while its guest lives" aggregate 1 fd00:101:1::/64
t_ok "node 2 learns node 1's new IPv6 block" wait_for 30 has_route 2 fd00:101:11::/64 ""

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
node_plugin 1 DEL id=y1 conf="$(conf_node 1 isolated)" || not_ok "DEL y1" "$(cni_report)"
t_eq "node 1: the old block's guest was released from the store" \
	"$(find "$(nd 1)/ipam/ci" -maxdepth 1 -name '10.101.*' | wc -l)" 0
t_eq "node 1: and so were the IPv6 addresses" \
	"$(find "$(nd 1)/ipam/ci" -maxdepth 1 -name 'fd00:101:*' | wc -l)" 0
no_aggregates() {
	local k
	for k in 1 2 3; do
		[ -z "$(ip -n "${NODE[$k]}" route show proto 215)" ] || return 1
		[ -z "$(ip -n "${NODE[$k]}" -6 route show proto 215)" ] || return 1
	done
}
t_ok "after the last DEL netd removed every aggregate" wait_for 10 no_aggregates
t_ok "and the other nodes no longer route node 2's isolated block" \
	wait_for 20 no_route 1 10.101.2.0/24

t_done
