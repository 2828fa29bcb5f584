#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# clusterCIDRs (issue 17, item 1) on one host, with real packets: the wan
# namespace has an address outside the cluster (203.0.113.10,
# 2001:db8:ff::10) and one inside it (10.100.99.10, fd00:100:0:9900::10, routed
# by the host to the wan as another node's guests would be). Networks name
# "clusterCIDRs": ["10.100.0.0/16", "fd00:100::/48"]; in shared and isolated
# mode, both wirings, both families:
#   - a guest's traffic to the cluster keeps its own source address, on an
#     ipMasq network too; to the rest it is masqueraded as before;
#   - the cluster address opens connections to guests; the outside address
#     does not (inbound_drop rises), on a network without ipMasq too;
#     published ports still answer it;
#   - this node's own guests are still isolated by network (shared) and by
#     group (isolated) though their addresses lie inside the cluster;
#   - a network without clusterCIDRs and without ipMasq stays open to
#     routed connections (routedInbound's meaning is unchanged);
#   - CHECK finds a missing cluster element; DEL leaves no element in
#     cluster4 or cluster6; netd restores a deleted table with them.
#
#   tests/integ/t_ccidr.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq socat nft ss python3 sysctl
need_bins "$VMNET" "$B/vmnet-ipam" "$FAKEVM"
world_init
host_ns
wan_setup

CL4=10.100.99.10 CL6=fd00:100:0:9900::10
WAN6_HOST=2001:db8:ff::1 WAN6=2001:db8:ff::10
SAY=8090 # wan servers on every wan address: they answer with the peer address
CLUSTER='["10.100.0.0/16", "fd00:100::/48"]'

ip -n "$WAN_NS" addr add "$CL4/32" dev eth0
ip netns exec "$WAN_NS" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
ip -n "$HOST_NS" -6 addr add "$WAN6_HOST/64" dev wan0 nodad
ip -n "$WAN_NS" -6 addr add "$WAN6/64" dev eth0 nodad
ip -n "$WAN_NS" -6 addr add "$CL6/128" dev eth0 nodad
ip netns exec "$HOST_NS" sysctl -qw net.ipv6.conf.all.forwarding=1
# The host reaches the "other node" through the wan; the wan routes this
# node's guests back to it (as BGP would), those of the cluster and the rest.
ip -n "$HOST_NS" route add "$CL4/32" via "$WAN_IP"
ip -n "$HOST_NS" -6 route add "$CL6/128" via "$WAN6"
ip -n "$WAN_NS" route add 10.100.0.0/16 via "$WAN_HOST_IP"
ip -n "$WAN_NS" route add 10.101.0.0/16 via "$WAN_HOST_IP"
ip -n "$WAN_NS" -6 route add fd00:100::/48 via "$WAN6_HOST"
for a in "$WAN_IP" "$CL4"; do
	# shellcheck disable=SC2016
	ip netns exec "$WAN_NS" socat "TCP-LISTEN:$SAY,bind=$a,reuseaddr,fork" \
		'SYSTEM:echo $SOCAT_PEERADDR' </dev/null >/dev/null 2>&1 &
	track_pid $!
done
for a in "$WAN6" "$CL6"; do
	# shellcheck disable=SC2016
	ip netns exec "$WAN_NS" socat "TCP6-LISTEN:$SAY,bind=[$a],reuseaddr,fork" \
		'SYSTEM:echo $SOCAT_PEERADDR' </dev/null >/dev/null 2>&1 &
	track_pid $!
done
for i in $(seq 50); do
	[ "$(ip netns exec "$WAN_NS" ss -Hltn "sport = :$SAY" | wc -l)" -ge 4 ] && break
	sleep 0.1
done

# shellcheck disable=SC2034 # GW6: guest_up6 fills it
declare -A G6 GW6 R NS CONF

# short6: an IPv6 address as socat writes it ([full]) in short form.
short6() {
	tr -d '[]' | python3 -c 'import ipaddress, sys
t = sys.stdin.read().strip()
print(ipaddress.ip_address(t) if t else "")' 2>/dev/null
}
# saw NAME ADDR: the source the wan server on ADDR saw from guest NAME.
saw() {
	case $2 in
	*:*) in_guest "$1" timeout 5 socat -T3 - "TCP6:[$2]:$SAY,connect-timeout=3" </dev/null 2>/dev/null |
		short6 ;;
	*) in_guest "$1" timeout 5 socat -T3 - "TCP:$2:$SAY,connect-timeout=3" </dev/null 2>/dev/null ;;
	esac
}
# from SRC DST: a TCP connection from the wan, from its address SRC, to DST:80.
from() {
	case $2 in
	*:*) ip netns exec "$WAN_NS" timeout 5 socat -T3 - \
		"TCP6:[$2]:80,bind=[$1],connect-timeout=3" </dev/null 2>/dev/null ;;
	*) ip netns exec "$WAN_NS" timeout 5 socat -T3 - \
		"TCP:$2:80,bind=$1,connect-timeout=3" </dev/null 2>/dev/null ;;
	esac
}

# up NAME CONF [v4]: ADD, the guest stand-in, and its IPv6 half unless v4.
up() {
	local n=$1
	CONF[$n]=$2
	vm_ns "$n" && NS[$n]=$REPLY
	t_plugin "[$n] ADD" ADD id="$P$n" ns="${NS[$n]}" conf="${CONF[$n]}" || return 1
	R[$n]=$CNI_OUT
	t_ok "[$n] guest stand-in" guest_up "$n" "${R[$n]}" "${NS[$n]}" || return 1
	[ "${3:-}" = v4 ] || t_ok "[$n] its IPv6 half" guest_up6 "$n" "${R[$n]}"
}

# net NAME SUB4 SUB6 JQ: a dual-stack network of this suite's mode and wiring.
net() {
	conf_net "$MODE" "$W" "$1" "$2" ".ipam.ranges = [[{subnet: \"$2\"}], [{subnet: \"$3\"}]] | $4"
}

suite() {
	MODE=$1 W=$2
	local k=$3 t="[$1 $2]" m=$1-$2-m p=$1-$2-p x=$1-$2-x o=$1-$2-o port=$((8400 + $3)) b6=64 before
	[ "$MODE" = isolated ] && b6=56
	local jm=".clusterCIDRs = $CLUSTER | .runtimeConfig.portMappings = [{hostPort: $port, containerPort: 80, protocol: \"tcp\"}]"
	local jp=".clusterCIDRs = $CLUSTER | .ipMasq = false"
	# m: ipMasq (NAT44 and NAT66); p: no NAT; both name the cluster.
	# x: shared: a guest of p's network; isolated: m's network, another group.
	up "$m" "$(net "cm$k" "10.100.$k.0/24" "fd00:100:0:${k}00::/$b6" "$jm | .runtimeConfig.vmnetGroup = \"red\"")" || return
	up "$p" "$(net "cp$k" "10.100.$((k + 10)).0/24" "fd00:100:0:$((k + 10))00::/$b6" "$jp")" || return
	if [ "$MODE" = isolated ]; then
		up "$x" "$(jq -c 'del(.runtimeConfig.portMappings) | .runtimeConfig.vmnetGroup = "blue"' <<<"${CONF[$m]}")" || return
	else
		up "$x" "${CONF[$p]}" || return
	fi
	up "$o" "$(conf_net "$MODE" "$W" "co$k" "10.101.$k.0/24" '.ipMasq = false')" v4 || return
	t_ok "$t cluster4 holds m's address . 10.100.0.0/16" sh -c \
		"ip netns exec $HOST_NS nft list set inet vmnet cluster4 | grep -qF '${G_IP[$m]} . 10.100.0.0/16'"
	t_ok "$t cluster6 holds m's address . fd00:100::/48" sh -c \
		"ip netns exec $HOST_NS nft list set inet vmnet cluster6 | grep -qF '${G6[$m]} . fd00:100::/48'"
	t_ok "$t CHECK passes with cluster elements" plugin CHECK id="$P$m" ns="${NS[$m]}" \
		conf="$(with_prev "${CONF[$m]}" "${R[$m]}")"
	hnft delete element inet vmnet cluster6 "{ ${G6[$m]} . fd00:100::/48 }"
	CNI_DETAILS="${G6[$m]} . the range from fd00:100:: missing from set cluster6" \
		t_plugin_code "$t CHECK names a missing cluster6 element" 110 CHECK id="$P$m" \
		ns="${NS[$m]}" conf="$(with_prev "${CONF[$m]}" "${R[$m]}")"
	hnft add element inet vmnet cluster6 "{ ${G6[$m]} . fd00:100::/48 }"

	t_eq "$t ipMasq guest -> cluster: its own address" "$(saw "$m" "$CL4")" "${G_IP[$m]}"
	t_eq "$t ipMasq guest -> outside: masqueraded" "$(saw "$m" "$WAN_IP")" "$WAN_HOST_IP"
	t_eq "$t ipMasq6 guest -> cluster: its own address" "$(saw "$m" "$CL6")" "${G6[$m]}"
	t_eq "$t ipMasq6 guest -> outside: masqueraded" "$(saw "$m" "$WAN6")" "$WAN6_HOST"
	t_eq "$t guest without NAT -> cluster: its own address" "$(saw "$p" "$CL4")" "${G_IP[$p]}"

	t_eq "$t cluster -> ipMasq guest connects" "$(from "$CL4" "${G_IP[$m]}")" "tcp-$m"
	t_eq "$t cluster -> guest without NAT connects" "$(from "$CL4" "${G_IP[$p]}")" "tcp-$p"
	t_eq "$t cluster (IPv6) -> ipMasq6 guest connects" "$(from "$CL6" "${G6[$m]}")" "tcp6-$m"
	t_eq "$t cluster (IPv6) -> guest without NAT66 connects" "$(from "$CL6" "${G6[$p]}")" "tcp6-$p"
	before=$(nft_packets inet inbound_drop)
	t_eq "$t outside -> ipMasq guest: nothing" "$(from "$WAN_IP" "${G_IP[$m]}")" ""
	t_eq "$t outside -> guest without NAT: nothing" "$(from "$WAN_IP" "${G_IP[$p]}")" ""
	t_eq "$t outside (IPv6) -> guest without NAT66: nothing" "$(from "$WAN6" "${G6[$p]}")" ""
	t_rose "$t inbound_drop rose" "$before" "$(nft_packets inet inbound_drop)"
	t_eq "$t outside -> published port of m still works" \
		"$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" "$port")" "tcp-$m"
	t_eq "$t no clusterCIDRs, no ipMasq: outside -> guest connects" \
		"$(from "$WAN_IP" "${G_IP[$o]}")" "tcp-$o"

	before=$(nft_packets inet iso_drop)
	t_eq "$t x (a guest of this node, inside the cluster) -> m: nothing" \
		"$(net_get "${G_NS[$x]}" tcp "${G_IP[$m]}" 80)" ""
	t_rose "$t iso_drop rose" "$before" "$(nft_packets inet iso_drop)"
	if [ "$MODE" = shared ]; then
		t_eq "$t x -> p on their bridge still works" "$(net_get "${G_NS[$x]}" tcp "${G_IP[$p]}" 80)" "tcp-$p"
	fi

	for n in "$m" "$p" "$x" "$o"; do
		t_plugin "[$n] DEL" DEL id="$P$n" ns="${NS[$n]}" conf="${CONF[$n]}"
		guest_stop "$n"
	done
	t_eq "$t no element left in cluster4 or cluster6" \
		"$(ip netns exec "$HOST_NS" nft -j list set inet vmnet cluster4 | jq '[.nftables[].set.elem // empty] | length')+$(ip netns exec "$HOST_NS" nft -j list set inet vmnet cluster6 | jq '[.nftables[].set.elem // empty] | length')" "0+0"
}

each_mode suite

# netd restores a deleted table from the records, cluster elements included.
SOCK=$W_TMP/netd.sock
t_ok "netd starts" netd_start --no-dhcp
MODE=shared W=netns
if up n "$(net cn 10.100.50.0/24 fd00:100:0:5000::/64 ".clusterCIDRs = $CLUSTER")"; then
	hnft delete table inet vmnet
	restored() {
		local i
		for i in $(seq 100); do
			nft_has_elem guests4 "${G_IP[n]}" && return 0
			sleep 0.1
		done
		return 1
	}
	t_ok "netd restored the table" restored
	t_ok "...with n's cluster4 element" sh -c \
		"ip netns exec $HOST_NS nft list set inet vmnet cluster4 | grep -qF '${G_IP[n]} . 10.100.0.0/16'"
	t_eq "cluster -> n connects again" "$(from "$CL4" "${G_IP[n]}")" "tcp-n"
	t_eq "cluster (IPv6) -> n connects again" "$(from "$CL6" "${G6[n]}")" "tcp6-n"
	t_eq "n -> cluster: its own address again" "$(saw n "$CL4")" "${G_IP[n]}"
	t_eq "outside -> n: nothing again" "$(from "$WAN_IP" "${G_IP[n]}")" ""
	t_plugin "[n] DEL" DEL id="${P}n" ns="${NS[n]}" conf="${CONF[n]}"
fi

t_done
