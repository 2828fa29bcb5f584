#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Published ports (issue 4) end to end: real TCP and UDP through
# runtimeConfig.portMappings from the wan, from the host namespace, from
# 127.0.0.1 (localhostPorts on and off) and hairpin from a VM to its own and
# to another VM's port, in shared and isolated mode with both wirings;
# hostIP; conflicts (102) and invalid ports (7) without leftovers; UDP
# conntrack after the VM behind a port is replaced; CHECK of the port
# elements; DEL with the netns gone.
#
#   tests/integ/t_ports.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq socat nft ss
need_bins "$VMNET" "$B/vmnet-ipam" "$FAKEVM"
world_init
host_ns
wan_setup

HOST2=203.0.113.2 # a second host address, for hostIP
ip -n "$HOST_NS" addr add "$HOST2/24" dev wan0

hlink() { ip -n "$HOST_NS" "$@"; }
hnft() { ip netns exec "$HOST_NS" nft "$@"; }
guest_ip() { json_get "$1" '.ips[0].address' | cut -d/ -f1; }

# conf_net MODE WIRING NAME SUBNET [JQ]: a shared or isolated network
# with the portMappings capability.
conf_net() {
	local mode=$1 w=$2 name=$3 sub=$4 jqx=${5:-.}
	conf_shared "$name" "vb-$name" "$sub" "${sub%.0/*}.1" \
		".tap = \"$w\" | .capabilities = {portMappings: true} |
		 if \"$mode\" == \"isolated\" then .mode = \"isolated\" | del(.bridge) else . end | $jqx"
}

# with_ports CONF JSON_ARRAY: CONF with runtimeConfig.portMappings set.
with_ports() {
	jq -c --argjson p "$2" '.runtimeConfig.portMappings = $p' <<<"$1"
}

# pm PROTO HOSTPORT [CONTAINERPORT [HOSTIP]]: one mapping as JSON.
pm() {
	jq -cn --arg p "$1" --argjson h "$2" --argjson c "${3:-80}" --arg ip "${4:-}" \
		'{hostPort: $h, containerPort: $c, protocol: $p} + (if $ip != "" then {hostIP: $ip} else {} end)'
}

# vm_up NAME RESULT VMNS: guest stand-in (any mode/wiring) serving TCP and
# UDP on port 80, each answering "tcp-NAME" / "udp-NAME".
vm_up() {
	local res=$2
	# lib.sh takes the host tap from interfaces[1]; in isolated host wiring
	# it is interfaces[0] ([1] is the guest pseudo-interface).
	if [ "$(json_get "$res" '.interfaces | length')" = 2 ]; then
		res=$(jq -c '.interfaces = [.interfaces[0], .interfaces[0], .interfaces[1]] |
			.ips[0].interface = 2' <<<"$res")
	fi
	guest_attach "$1" "$res" "$3" || return 1
	ip netns exec "${G_NS[$1]}" socat TCP-LISTEN:80,reuseaddr,fork "SYSTEM:echo tcp-$1" \
		</dev/null >/dev/null 2>&1 &
	track_pid $!
	ip netns exec "${G_NS[$1]}" socat UDP-RECVFROM:80,fork "SYSTEM:echo udp-$1" \
		</dev/null >/dev/null 2>&1 &
	track_pid $!
	guest_ping "$1" "${G_GW[$1]}" 5 >/dev/null # ARP both ways before the checks
}

# get NS PROTO IP PORT: one request, the answer on stdout.
get() {
	case $2 in
	tcp) ip netns exec "$1" timeout 5 socat -T3 - "TCP:$3:$4,connect-timeout=3" </dev/null 2>/dev/null ;;
	udp) echo q | ip netns exec "$1" timeout 5 socat -t3 -T3 - "UDP:$3:$4" 2>/dev/null ;;
	esac
}

# t_get NAME NS PROTO IP PORT WANT: the answer is WANT (a second try for
# first-packet ARP/neighbour delays).
t_get() {
	local name=$1 got
	shift
	got=$(get "$1" "$2" "$3" "$4")
	[ "$got" = "$5" ] || got=$(get "$1" "$2" "$3" "$4")
	t_eq "$name" "$got" "$5"
}

# t_noget NAME NS PROTO IP PORT: no answer.
t_noget() {
	local got
	got=$(get "$2" "$3" "$4" "$5")
	if [ -z "$got" ]; then ok "$1"; else not_ok "$1" "got an answer: '$got'"; fi
}

# attachments_now: vmnet devices, records, IPAM files, nft port elements.
attachments_now() {
	ip -n "$HOST_NS" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep -E '^vm[vt]' | sort
	find "$W_TMP/state" "$W_TMP/ipam" -type f ! -name lock ! -name 'last_reserved_ip*' 2>/dev/null | sort
	hnft list map inet vmnet ports4 2>/dev/null | grep -v '^\s*\(type\|map\|}\|table\)'
	hnft list map inet vmnet ports4h 2>/dev/null | grep -v '^\s*\(type\|map\|}\|table\)'
}

# map_has MAP PORT: an element of MAP has host port PORT.
map_has() {
	hnft list map inet vmnet "$1" 2>/dev/null | grep -qE "\. $2 : "
}

# ---------------------------------------------------------------- paths
conf=$(conf_net shared netns p1 10.60.1.0/24 '.localhostPorts = true')
conf1=$(with_ports "$conf" "[$(pm tcp 8010)]")
vm_ns v1; ns1=$REPLY
cni $HOST_NS ADD c1 eth0 /run/netns/$ns1 "$conf1"; r1=$CNI_OUT
vm_up g1 "$r1" $ns1
ip netns exec $HOST_NS conntrack -F 2>/dev/null
get ${G_NS[g1]} tcp 203.0.113.1 8010; echo "rc $?"
ip netns exec $HOST_NS conntrack -L 2>/dev/null
ip netns exec $HOST_NS nft list chain inet vmnet postrouting
ip -n ${G_NS[g1]} route get 203.0.113.1
ip netns exec ${G_NS[g1]} timeout 4 tcpdump -ni eth0 -c 10 2>&1 & sleep 0.5; get ${G_NS[g1]} tcp 203.0.113.1 8010; wait
sysctl net.bridge.bridge-nf-call-iptables 2>&1; ip netns exec $HOST_NS sysctl net.bridge.bridge-nf-call-iptables 2>&1
ip -n $HOST_NS -d link show vb-p1 | grep -o 'nf_call_iptables [0-9]'
t_done
