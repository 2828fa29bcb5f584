#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# NAT networks are closed from outside (issue 11 item 4): a wan host that
# routes the guest subnets via the vmnet host cannot open connections to
# guests of an ipMasq network (counter inbound_drop), in shared and
# isolated mode; published ports, replies, guest-to-guest traffic inside a
# bridge and the host itself still reach them. A network with
# "routedInbound": true takes routed connections.
#
#   tests/integ/t_inbound.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

guest_world wan

declare -A R NS CONF

# up MODE WIRING NAME NET SUBNET [JQ]: ADD a guest and start its stand-in.
up() {
	local n=$3
	CONF[$n]=$(conf_net "$1" "$2" "$4" "$5" "${6:-.}")
	vm_ns "$n" && NS[$n]=$REPLY
	t_plugin "[$n] ADD ($1, $2)" ADD id="$P$n" ns="${NS[$n]}" conf="${CONF[$n]}" ||
		return 1
	R[$n]=$CNI_OUT
	t_ok "[$n] guest stand-in" guest_up "$n" "${R[$n]}" "${NS[$n]}"
}

down() {
	t_plugin "[$1] DEL" DEL id="$P$1" ns="${NS[$1]}" conf="${CONF[$1]}"
	guest_stop "$1"
}

# The wan routes every guest subnet of this test via the vmnet host.
ip -n "$WAN_NS" route add 10.72.0.0/16 via "$WAN_HOST_IP"

suite() {
	local mode=$1 w=$2 k=$3 t="[$1 $2]" a=$1-$2-a b=$1-$2-b o=$1-$2-open port=$((8300 + $3))
	local before

	up "$mode" "$w" "$a" "in$k" "10.72.$k.0/24" \
		".runtimeConfig.portMappings = [{hostPort: $port, containerPort: 80, protocol: \"tcp\"}]" ||
		return
	up "$mode" "$w" "$b" "in$k" "10.72.$k.0/24" || return
	up "$mode" "$w" "$o" "op$k" "10.72.$((k + 100)).0/24" '.routedInbound = true' || return

	before=$(nft_packets inet inbound_drop)
	t_eq "$t wan -> guest address (routed, ipMasq): no connection" \
		"$(net_get "$WAN_NS" tcp "${G_IP[$a]}" 80)" ""
	t_eq "$t wan -> guest address over UDP: no answer either" \
		"$(net_get "$WAN_NS" udp "${G_IP[$a]}" 80)" ""
	t_rose "$t inbound_drop rose" "$before" "$(nft_packets inet inbound_drop)"
	t_eq "$t wan -> published port still works" \
		"$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" "$port")" "tcp-$a"
	t_eq "$t guest -> wan still works (masqueraded)" "$(guest_wan "$a")" "$WAN_HOST_IP"
	t_eq "$t host -> guest still works" "$(net_get "$HOST_NS" tcp "${G_IP[$a]}" 80)" "tcp-$a"
	if [ "$mode" = shared ]; then
		t_eq "$t guest -> guest on its bridge still works" \
			"$(net_get "${G_NS[$b]}" tcp "${G_IP[$a]}" 80)" "tcp-$a"
	fi
	t_eq "$t routedInbound: wan -> guest address connects" \
		"$(net_get "$WAN_NS" tcp "${G_IP[$o]}" 80)" "tcp-$o"
	t_eq "$t routedInbound: the guest still reaches the wan masqueraded" "$(guest_wan "$o")" \
		"$WAN_HOST_IP"
	down "$a"
	down "$b"
	down "$o"
	t_fail "$t no closed4 element left" sh -c \
		"ip netns exec $HOST_NS nft list set inet vmnet closed4 | grep -q '10\.72\.'"
}

each_mode suite

t_done
