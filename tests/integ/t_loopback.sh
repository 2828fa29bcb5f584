#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The host's loopback is not the guests' (issue 11 item 7). With
# "localhostPorts": true the guest links carry route_localnet, so a guest
# that routes 127.0.0.0/8 to its gateway (and sets route_localnet in its
# own namespace) used to reach host services bound to 127.0.0.1 only, a
# resolver on 127.0.0.1:53 and ports published on hostIP 127.0.0.1. Now,
# in both modes and wirings, such packets are dropped where they enter
# (counter loopback_drop of the bridge or inet table), neighbours get no
# DNAT to 127.0.0.1 either, and host clients still reach the published
# ports on 127.0.0.1.
#
#   tests/integ/t_loopback.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

guest_world wan

LO_SVC=2300
ip netns exec "$HOST_NS" socat "TCP-LISTEN:$LO_SVC,bind=127.0.0.1,reuseaddr,fork" SYSTEM:'echo lo-svc' \
	</dev/null >/dev/null 2>&1 &
track_pid $!
udp_answer "$HOST_NS" 127.0.0.1 53 lo-dns
wait_listen "$HOST_NS" tcp $LO_SVC && wait_listen "$HOST_NS" udp 53 || bail "host services did not start"
t_eq "the host reaches its loopback-only service" "$(net_get "$HOST_NS" tcp 127.0.0.1 $LO_SVC)" lo-svc
t_eq "the host reaches its loopback resolver" "$(net_get "$HOST_NS" udp 127.0.0.1 53)" lo-dns

# loopback_via NS GATEWAY DEV: NS sends 127.0.0.0/8 to GATEWAY, as a guest
# that wants the host's loopback would (no loopback address of its own).
loopback_via() {
	ip -n "$1" addr flush dev lo &&
		ip -n "$1" route add 127.0.0.0/8 via "$2" dev "$3" &&
		ip netns exec "$1" sysctl -qw "net.ipv4.conf.$3.route_localnet=1" net.ipv4.conf.all.route_localnet=1
}

suite() {
	local mode=$1 w=$2 k=$3 t="[$1 $2]" n=lo-$1-$2 ns conf res fam before
	local p_lo=$((8400 + 10 * k)) p_any=$((8401 + 10 * k))
	fam=bridge
	[ "$mode" = isolated ] && fam=inet
	conf=$(conf_net "$mode" "$w" "lo$k" "10.73.$k.0/24" ".localhostPorts = true |
		.runtimeConfig.portMappings = [
			{hostPort: $p_lo, containerPort: 80, protocol: \"tcp\", hostIP: \"127.0.0.1\"},
			{hostPort: $p_any, containerPort: 80, protocol: \"tcp\"}]")
	vm_ns "$n" && ns=$REPLY
	t_plugin "$t ADD with localhostPorts" ADD id="$P$n" ns="$ns" conf="$conf" || return
	res=$CNI_OUT
	t_ok "$t guest stand-in" guest_up "$n" "$res" "$ns"
	t_ok "$t the guest routes 127.0.0.0/8 to its gateway" loopback_via "${G_NS[$n]}" "${G_GW[$n]}" eth0

	t_eq "$t host -> 127.0.0.1:$p_lo (hostIP 127.0.0.1)" "$(net_get "$HOST_NS" tcp 127.0.0.1 $p_lo)" "tcp-$n"
	t_eq "$t host -> 127.0.0.1:$p_any (localhostPorts)" "$(net_get "$HOST_NS" tcp 127.0.0.1 $p_any)" "tcp-$n"
	before=$(nft_packets $fam loopback_drop)
	t_eq "$t guest -> the host's loopback-only service: nothing" \
		"$(net_get "${G_NS[$n]}" tcp 127.0.0.1 $LO_SVC)" ""
	t_eq "$t guest -> the host's resolver on 127.0.0.1:53: nothing" \
		"$(net_get "${G_NS[$n]}" udp 127.0.0.1 53)" ""
	t_eq "$t guest -> 127.0.0.1:$p_lo (hostIP 127.0.0.1): nothing" \
		"$(net_get "${G_NS[$n]}" tcp 127.0.0.1 $p_lo)" ""
	t_eq "$t guest -> 127.0.0.1:$p_any: nothing" "$(net_get "${G_NS[$n]}" tcp 127.0.0.1 $p_any)" ""
	t_rose "$t $fam loopback_drop rose" "$before" "$(nft_packets $fam loopback_drop)"
	t_eq "$t the guest still reaches the wan" "$(guest_wan "$n")" "$WAN_HOST_IP"
	t_eq "$t ... and the wan its published port" "$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" $p_any)" "tcp-$n"
	t_eq "$t a neighbour routing 127.0.0.0/8 here gets no DNAT to the guest" \
		"$(net_get "$WAN_NS" tcp 127.0.0.1 $p_any)" ""
	t_eq "$t ... nor the host's loopback-only service" "$(net_get "$WAN_NS" tcp 127.0.0.1 $LO_SVC)" ""
	t_plugin "$t DEL" DEL id="$P$n" ns="$ns" conf="$conf"
	guest_stop "$n"
}

t_ok "the wan routes 127.0.0.0/8 to the host" loopback_via "$WAN_NS" "$WAN_HOST_IP" eth0
each_mode suite

t_done
