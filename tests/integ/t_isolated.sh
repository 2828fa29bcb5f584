#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Isolated mode (issue 3) end to end, for both wirings (tap=netns and
# tap=host), beside a shared network on the same host namespace: routed
# point-to-point links with per-VM /30 (and /31) blocks, NAT to the wan,
# VM-to-VM isolation with its iso_drop counter, groups (CNI_ARGS and
# runtimeConfig), no path between isolated and shared guests, host ports
# (only ICMP/DHCP/DNS unless hostAccess), anti-spoofing (IP, MAC, ARP) on
# isolated and shared networks with their spoof_drop counters, block
# exhaustion (code 101, nothing left), CHECK and DEL twice.
#
#   tests/integ/t_isolated.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq socat nft ss arping
need_bins "$VMNET" "$B/vmnet-ipam" "$FAKEVM"
world_init
host_ns
wan_setup

HOST_SVC=2222 # a host TCP service isolated guests must not reach
GUEST_SVC=7000
UDP_SINK=9999 # wan UDP listener: what arrives is appended to $W_TMP/sink

guest_pfx() { json_get "$1" '.ips[0].address' | cut -d/ -f2; }
# The host side of an isolated attachment is interfaces[0] (no bridge).
iso_dev() { json_get "$1" '.interfaces[0].name'; }

# conf_iso NAME SUBNET WIRING [JQ_EXPR]
conf_iso() {
	# No range gateway: every block carries its own.
	conf_shared "$1" unused "$2" "${2%.0/*}.1" \
		".mode = \"isolated\" | del(.bridge) | .tap = \"$3\" | del(.ipam.ranges[0][0].gateway) | ${4:-.}"
}

# counter FAMILY NAME: packets of a named counter in HOST_NS's vmnet table
# ("" if it does not exist).
counter() {
	hnft list counter "$1" vmnet "$2" 2>/dev/null | grep -o 'packets [0-9]*' | head -1 | cut -d' ' -f2
}

# ctr_rose NAME BEFORE AFTER: passes when AFTER > BEFORE (both numbers).
ctr_rose() {
	if [[ $2 =~ ^[0-9]+$ && $3 =~ ^[0-9]+$ ]] && [ "$3" -gt "$2" ]; then ok "$1"; else
		not_ok "$1" "counter before: '$2', after: '$3' (want a rise)"; fi
}

# iso_attach NAME RESULT VMNS: guest_attach for any result. lib.sh looks
# for the host tap at interfaces[1], which in isolated host wiring is the
# guest pseudo-interface ([0] is the tap); give it that layout.
iso_attach() {
	local res=$2
	if [ "$(json_get "$res" '.interfaces | length')" = 2 ]; then
		res=$(jq -c '.interfaces = [.interfaces[0], .interfaces[0], .interfaces[1]] |
			.ips[0].interface = 2' <<<"$res")
	fi
	guest_attach "$1" "$res" "$3" || return 1
	# A TCP service in every guest, for the VM-to-VM checks.
	ip netns exec "${G_NS[$1]}" socat "TCP-LISTEN:$GUEST_SVC,reuseaddr,fork" \
		"SYSTEM:echo svc-$1" </dev/null >/dev/null 2>&1 &
	track_pid $!
}

# tcp_to NAME IP PORT: the guest opens a TCP connection and reads a line.
tcp_to() {
	in_guest "$1" timeout 5 socat -T2 - "TCP:$2:$3,connect-timeout=2" </dev/null 2>/dev/null | grep -q .
}

# udp_send NAME PAYLOAD [SRC]: one datagram from the guest to the wan sink.
udp_send() {
	local b=${3:+,bind=$3}
	echo "$2" | in_guest "$1" timeout 3 socat -u - "UDP:$WAN_IP:$UDP_SINK$b" 2>&1
}

# sink_has PAYLOAD: the wan sink received PAYLOAD (waits a little).
sink_has() { file_has -x "$W_TMP/sink" "$1"; }

# udp_through NAME PAYLOAD: a datagram from the guest arrives at the sink.
udp_through() {
	udp_send "$1" "$2" && sink_has "$2"
}

# block_left NET IP PREFIX: some IPAM file of IP's block is still there.
block_left() {
	local last=${2##*.} size=$((1 << (32 - $3))) k
	for ((k = last & ~(size - 1); k < (last & ~(size - 1)) + size; k++)); do
		[ -e "$(ipam_path "$1" "${2%.*}.$k")" ] && return 0
	done
	return 1
}

# A TCP service in the host namespace on every address (so on each isolated
# link's gateway address), one on port 53 (allowed), a UDP sink in the wan.
ip netns exec "$HOST_NS" socat "TCP-LISTEN:$HOST_SVC,reuseaddr,fork" SYSTEM:'echo host-svc' \
	</dev/null >/dev/null 2>&1 &
track_pid $!
ip netns exec "$HOST_NS" socat TCP-LISTEN:53,reuseaddr,fork SYSTEM:'echo host-dns' \
	</dev/null >/dev/null 2>&1 &
track_pid $!
ip netns exec "$WAN_NS" socat -u "UDP-RECV:$UDP_SINK,bind=$WAN_IP" "OPEN:$W_TMP/sink,creat,append" \
	</dev/null >/dev/null 2>&1 &
track_pid $!
sleep 0.3

# attachments_now: vmnet devices, records and IPAM files (for "nothing left").
attachments_now() {
	ip -n "$HOST_NS" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep -E '^vm[vt]' | sort
	find "$W_TMP/state" "$W_TMP/ipam" -type f ! -name lock ! -name 'last_reserved_ip*' 2>/dev/null | sort
}

suite() {
	local w=$1 idx=$2
	local t="[$w]"
	local inet=iso-$w snet=sh-$w br=vmbrs-$w
	local isub=10.91.$idx.0/24 ssub=10.92.$idx.0/24 sgw=10.92.$idx.1
	local iconf sconf gconf hconf ns r a b c d e f h ip_a ip_b ip_c ip_d n
	local before after
	declare -A R NS

	iconf=$(conf_iso "$inet" "$isub" "$w")
	sconf=$(conf_shared "$snet" "$br" "$ssub" "$sgw" ".tap = \"$w\"")
	for n in a b e f; do
		vm_ns "$w-$n" && NS[$n]=$REPLY
	done
	for n in c d; do
		vm_ns "$w-$n" && NS[$n]=$REPLY
	done

	# Two isolated VMs (a, b) and two shared VMs (c, d), all at once.
	t_plugin "$t ADD isolated a" ADD id="$P$w-a" ns="${NS[a]}" conf="$iconf" || return
	R[a]=$CNI_OUT
	t_plugin "$t ADD isolated b" ADD id="$P$w-b" ns="${NS[b]}" conf="$iconf" || return
	R[b]=$CNI_OUT
	t_plugin "$t ADD shared c" ADD id="$P$w-c" ns="${NS[c]}" conf="$sconf" || return
	R[c]=$CNI_OUT
	t_plugin "$t ADD shared d" ADD id="$P$w-d" ns="${NS[d]}" conf="$sconf" || return
	R[d]=$CNI_OUT
	# Same group: e by CNI_ARGS, f by runtimeConfig.
	t_plugin "$t ADD isolated e (CNI_ARGS VMNET_GROUP=blue)" ADD id="$P$w-e" \
		ns="${NS[e]}" conf="$iconf" args="IgnoreUnknown=1;VMNET_GROUP=blue" || return
	R[e]=$CNI_OUT
	gconf=$(jq -c '.runtimeConfig = {vmnetGroup: "blue"}' <<<"$iconf")
	t_plugin "$t ADD isolated f (runtimeConfig vmnetGroup blue)" ADD id="$P$w-f" \
		ns="${NS[f]}" conf="$gconf" || return
	R[f]=$CNI_OUT
	ip_a=$(guest_ip "${R[a]}") ip_b=$(guest_ip "${R[b]}")
	ip_c=$(guest_ip "${R[c]}") ip_d=$(guest_ip "${R[d]}")
	diag "$w: isolated a $ip_a b $ip_b e $(guest_ip "${R[e]}") f $(guest_ip "${R[f]}"); shared c $ip_c d $ip_d"

	# Result and kernel shape of an isolated /30 attachment.
	r=${R[a]}
	local gw base last
	gw=$(json_get "$r" '.ips[0].gateway')
	t_eq "$t a: guest address is a /30" "$(guest_pfx "$r")" 30
	base=$(( $(cut -d. -f4 <<<"$ip_a") & ~3 ))
	t_eq "$t a: guest is block+2, gateway block+1" \
		"$(cut -d. -f4 <<<"$ip_a") $(cut -d. -f4 <<<"$gw")" "$((base + 2)) $((base + 1))"
	last=$(( $(json_get "$r" '.interfaces | length') - 1 ))
	t_eq "$t a: ips[0].interface is the last interface (guest pseudo)" \
		"$(json_get "$r" '.ips[0].interface')" "$last"
	t_eq "$t a: guest pseudo-interface sandbox is the container ID" \
		"$(json_get "$r" ".interfaces[$last].sandbox")" "$P$w-a"
	case $w in
	netns) t_match "$t a: interfaces[0] is a vmv… veth end" "$(iso_dev "$r")" '^vmv[0-9a-f]{12}$' ;;
	host) t_match "$t a: interfaces[0] is a vmt… tap" "$(iso_dev "$r")" '^vmt[0-9a-f]{12}$' ;;
	esac
	t_ok "$t a: host device holds the gateway $gw/30" \
		sh -c "ip -n $HOST_NS -o addr show dev $(iso_dev "$r") | grep -qF ' $gw/30 '"
	t_fail "$t a: host device is no bridge port" \
		sh -c "ip -n $HOST_NS -o link show dev $(iso_dev "$r") | grep -q ' master '"
	t_eq "$t a: an IPv4-only guest's host device has IPv6 off: no address, no IPv6 route" \
		"$(ip netns exec "$HOST_NS" sysctl -n "net.ipv6.conf.$(iso_dev "$r").disable_ipv6") $(ip -n "$HOST_NS" -6 -o addr show dev "$(iso_dev "$r")" | wc -l) $(ip -n "$HOST_NS" -6 route show table all dev "$(iso_dev "$r")" | wc -l)" \
		"1 0 0"
	t_ok "$t a: guests4 contains $ip_a" nft_has_elem guests4 "$ip_a"
	t_ok "$t a: all 4 addresses of the block are reserved" \
		test -f "$(ipam_path "$inet" "${ip_a%.*}.$base")" -a -f "$(ipam_path "$inet" "${ip_a%.*}.$((base + 3))")"
	t_ok "$t a: record file" test -f "$(record_path "$inet" "$P$w-a" eth0)"

	for n in a b c d e f; do
		t_ok "$t guest stand-in $n" iso_attach "$w-$n" "${R[$n]}" "${NS[$n]}"
	done
	for n in a b e f; do
		t_ok "$t isolated $n pings its gateway" guest_ping "$w-$n" "${G_GW[$w-$n]}"
	done
	t_ok "$t shared c pings its gateway" guest_ping "$w-c" "$sgw"
	t_ok "$t shared d pings its gateway" guest_ping "$w-d" "$sgw"
	t_eq "$t isolated a reaches the wan through NAT (server sees $WAN_HOST_IP)" \
		"$(guest_wan "$w-a")" "$WAN_HOST_IP"
	t_eq "$t isolated b reaches the wan through NAT" "$(guest_wan "$w-b")" "$WAN_HOST_IP"
	t_eq "$t shared c reaches the wan through NAT" "$(guest_wan "$w-c")" "$WAN_HOST_IP"
	t_eq "$t isolated a downloads $WAN_BULK bytes intact" "$(guest_wan_download "$w-a")" "$WAN_BULK"

	# Isolation between two isolated VMs of one network.
	before=$(counter inet iso_drop)
	t_ok "$t isolated a cannot ping isolated b" guest_noping "$w-a" "$ip_b"
	t_ok "$t isolated b cannot ping isolated a" guest_noping "$w-b" "$ip_a"
	t_fail "$t isolated a cannot open TCP to b" tcp_to "$w-a" "$ip_b" "$GUEST_SVC"
	t_fail "$t isolated b cannot open TCP to a" tcp_to "$w-b" "$ip_a" "$GUEST_SVC"
	after=$(counter inet iso_drop)
	ctr_rose "$t iso_drop counter in inet vmnet rose" "$before" "$after"

	# Groups.
	t_ok "$t group blue: e pings f" guest_ping "$w-e" "${G_IP[$w-f]}"
	t_ok "$t group blue: f pings e" guest_ping "$w-f" "${G_IP[$w-e]}"
	t_ok "$t group blue: e opens TCP to f" tcp_to "$w-e" "${G_IP[$w-f]}" "$GUEST_SVC"
	t_ok "$t group blue: f opens TCP to e" tcp_to "$w-f" "${G_IP[$w-e]}" "$GUEST_SVC"
	t_ok "$t group blue e cannot ping ungrouped a" guest_noping "$w-e" "$ip_a"
	t_fail "$t ungrouped a cannot open TCP to group blue f" tcp_to "$w-a" "${G_IP[$w-f]}" "$GUEST_SVC"

	# Isolated <-> shared on the same host.
	t_ok "$t shared c pings shared d (control)" guest_ping "$w-c" "$ip_d"
	t_ok "$t shared c opens TCP to shared d (control)" tcp_to "$w-c" "$ip_d" "$GUEST_SVC"
	t_ok "$t isolated a cannot ping shared c" guest_noping "$w-a" "$ip_c"
	t_ok "$t shared c cannot ping isolated a" guest_noping "$w-c" "$ip_a"
	t_fail "$t isolated a cannot open TCP to shared c" tcp_to "$w-a" "$ip_c" "$GUEST_SVC"
	t_fail "$t shared c cannot open TCP to isolated a" tcp_to "$w-c" "$ip_a" "$GUEST_SVC"

	# Host services: only ICMP/DHCP/DNS from isolated guests.
	t_ok "$t shared c reaches the host service on $sgw:$HOST_SVC (control)" \
		tcp_to "$w-c" "$sgw" "$HOST_SVC"
	t_fail "$t isolated a cannot reach the host service on ${G_GW[$w-a]}:$HOST_SVC" \
		tcp_to "$w-a" "${G_GW[$w-a]}" "$HOST_SVC"
	t_fail "$t isolated a cannot reach the host service on $WAN_HOST_IP:$HOST_SVC" \
		tcp_to "$w-a" "$WAN_HOST_IP" "$HOST_SVC"
	t_ok "$t isolated a reaches tcp/53 on its gateway" tcp_to "$w-a" "${G_GW[$w-a]}" 53

	# hostAccess: true opens the host to that network's VMs.
	hconf=$(conf_iso "ha-$w" "10.93.$idx.0/24" "$w" '.hostAccess = true')
	vm_ns "$w-h" && NS[h]=$REPLY
	if t_plugin "$t ADD isolated h (hostAccess)" ADD id="$P$w-h" ns="${NS[h]}" conf="$hconf"; then
		R[h]=$CNI_OUT
		t_ok "$t guest stand-in h" iso_attach "$w-h" "${R[h]}" "${NS[h]}"
		t_ok "$t h pings its gateway" guest_ping "$w-h" "${G_GW[$w-h]}"
		t_ok "$t hostAccess: h reaches the host service on its gateway:$HOST_SVC" \
			tcp_to "$w-h" "${G_GW[$w-h]}" "$HOST_SVC"
		t_ok "$t hostAccess does not open VM-to-VM: h cannot ping a" guest_noping "$w-h" "$ip_a"
		t_plugin "$t DEL h" DEL id="$P$w-h" ns="${NS[h]}" conf="$hconf"
		guest_stop "$w-h"
	fi

	# Anti-spoofing, isolated: a sends as b (IP), then with a foreign MAC.
	t_ok "$t control: a's own datagram reaches the wan" \
		udp_through "$w-a" "legit-iso-$w"
	before=$(counter inet spoof_drop)
	in_guest "$w-a" ip addr add "$ip_b/32" dev eth0
	udp_send "$w-a" "spoofip-iso-$w" "$ip_b" >/dev/null
	udp_send "$w-a" "spoofip-iso-$w" "$ip_b" >/dev/null
	t_fail "$t isolated a sending from b's address $ip_b: nothing reaches the wan" sink_has "spoofip-iso-$w"
	in_guest "$w-a" ip addr del "$ip_b/32" dev eth0
	in_guest "$w-a" ip link set eth0 address 02:00:5e:00:53:01
	udp_send "$w-a" "spoofmac-iso-$w" >/dev/null
	udp_send "$w-a" "spoofmac-iso-$w" >/dev/null
	t_fail "$t isolated a sending with a foreign MAC: nothing reaches the wan" sink_has "spoofmac-iso-$w"
	after=$(counter inet spoof_drop)
	ctr_rose "$t spoof_drop counter in inet vmnet rose" "$before" "$after"
	in_guest "$w-a" ip link set eth0 address "${G_MAC[$w-a]}"
	t_ok "$t a with its own MAC again: datagrams reach the wan" \
		udp_through "$w-a" "legit2-iso-$w"

	# Anti-spoofing, shared: c sends as d (IP), with a foreign MAC, and
	# claims d's address by ARP.
	t_ok "$t control: c's own datagram reaches the wan" \
		udp_through "$w-c" "legit-sh-$w"
	t_ok "$t gateway learns d's MAC" guest_ping "$w-d" "$sgw"
	before=$(counter bridge spoof_drop)
	in_guest "$w-c" ip addr add "$ip_d/32" dev eth0
	udp_send "$w-c" "spoofip-sh-$w" "$ip_d" >/dev/null
	udp_send "$w-c" "spoofip-sh-$w" "$ip_d" >/dev/null
	t_fail "$t shared c sending from d's address $ip_d: nothing reaches the wan" sink_has "spoofip-sh-$w"
	sleep 1.2 # past the neighbour locktime, so an accepted claim would override
	in_guest "$w-c" arping -q -U -c 2 -w 2 -I eth0 -s "$ip_d" "$ip_d" >/dev/null 2>&1
	in_guest "$w-c" arping -q -A -c 2 -w 2 -I eth0 -s "$ip_d" "$ip_d" >/dev/null 2>&1
	sleep 0.3
	t_eq "$t ARP claim of d's address by c: the gateway's neighbour entry keeps d's MAC" \
		"$(ip -n "$HOST_NS" -j neigh show "$ip_d" dev "$br" | jq -r '.[0].lladdr // empty')" "${G_MAC[$w-d]}"
	in_guest "$w-c" ip addr del "$ip_d/32" dev eth0
	# Whatever the claim did, the later checks start from a clean entry.
	ip -n "$HOST_NS" neigh flush to "$ip_d" dev "$br" 2>/dev/null
	in_guest "$w-c" ip link set eth0 address 02:00:5e:00:53:02
	udp_send "$w-c" "spoofmac-sh-$w" >/dev/null
	udp_send "$w-c" "spoofmac-sh-$w" >/dev/null
	t_fail "$t shared c sending with a foreign MAC: nothing reaches the wan" sink_has "spoofmac-sh-$w"
	after=$(counter bridge spoof_drop)
	ctr_rose "$t spoof_drop counter in bridge vmnet rose" "$before" "$after"
	in_guest "$w-c" ip link set eth0 address "${G_MAC[$w-c]}"

	# Isolation still holds after all of that; then CHECK and DEL twice.
	t_ok "$t isolated a still cannot ping b" guest_noping "$w-a" "$ip_b"
	t_eq "$t shared d reaches the wan through NAT" "$(guest_wan "$w-d")" "$WAN_HOST_IP"
	for n in a b; do
		t_plugin "$t CHECK $n" CHECK id="$P$w-$n" ns="${NS[$n]}" conf="$(with_prev "$iconf" "${R[$n]}")"
	done
	t_plugin "$t CHECK f (group via runtimeConfig)" CHECK id="$P$w-f" \
		ns="${NS[f]}" conf="$(with_prev "$gconf" "${R[f]}")"
	# The group rule matches the incoming link's device group: e and f
	# carry the same non-default one, a CHECK notices a changed one.
	local grp_e grp_f
	grp_e=$(ip -n "$HOST_NS" -j -d link show dev "$(iso_dev "${R[e]}")" | jq -r '.[0].group')
	grp_f=$(ip -n "$HOST_NS" -j -d link show dev "$(iso_dev "${R[f]}")" | jq -r '.[0].group')
	t_ok "$t e and f share a device group other than the default ($grp_e, $grp_f)" \
		test "$grp_e" = "$grp_f" -a "$grp_e" != default
	hlink link set dev "$(iso_dev "${R[f]}")" group 0
	CNI_DETAILS='device group' t_plugin_code "$t CHECK f with its device group changed: 110" 110 \
		CHECK id="$P$w-f" ns="${NS[f]}" conf="$(with_prev "$gconf" "${R[f]}")"
	t_ok "$t ...and f, out of its group, no longer reaches e" guest_noping "$w-f" "${G_IP[$w-e]}"
	hlink link set dev "$(iso_dev "${R[f]}")" group "$grp_f"
	t_ok "$t delete a's host device by hand" hlink link del "$(iso_dev "${R[a]}")"
	CNI_DETAILS=$(iso_dev "${R[a]}") t_plugin_code "$t CHECK a without its host device: 110" 110 \
		CHECK id="$P$w-a" ns="${NS[a]}" conf="$(with_prev "$iconf" "${R[a]}")"
	t_plugin "$t DEL a" DEL id="$P$w-a" ns="${NS[a]}" conf="$iconf"
	t_plugin "$t DEL a again" DEL id="$P$w-a" ns="${NS[a]}" conf="$iconf"
	t_plugin "$t DEL b" DEL id="$P$w-b" ns="${NS[b]}" conf="$iconf"
	t_plugin "$t DEL b again" DEL id="$P$w-b" ns="${NS[b]}" conf="$iconf"
	for n in a b; do
		r=${R[$n]}
		t_fail "$t $n: host device gone" hlink link show dev "$(iso_dev "$r")"
		t_fail "$t $n: guests4 element gone" nft_has_elem guests4 "$(guest_ip "$r")"
		t_fail "$t $n: record gone" test -e "$(record_path "$inet" "$P$w-$n" eth0)"
		t_fail "$t $n: no IPAM file of its block left" block_left "$inet" "$(guest_ip "$r")" 30
	done
	t_ok "$t e and f still reach each other after a and b left" guest_ping "$w-e" "${G_IP[$w-f]}"
	t_plugin "$t DEL e" DEL id="$P$w-e" ns="${NS[e]}" conf="$iconf"
	t_plugin "$t DEL f" DEL id="$P$w-f" ns="${NS[f]}" conf="$gconf"
	t_plugin "$t DEL c" DEL id="$P$w-c" ns="${NS[c]}" conf="$sconf"
	t_plugin "$t DEL d" DEL id="$P$w-d" ns="${NS[d]}" conf="$sconf"
	t_ok "$t no vmnet device left" sh -c "! ip -n $HOST_NS -o link show | grep -E ': (vmv|vmt|$br)'"
	for n in a b c d e f; do guest_stop "$w-$n"; done
}

# /31 blocks end to end.
suite_31() {
	local w=$1 idx=$2
	local t="[$w /31]" conf ns r ip gw
	conf=$(conf_iso "p31-$w" "10.94.$idx.0/24" "$w" '.ipam.blockSize = 31')
	vm_ns "$w-31" && ns=$REPLY
	t_plugin "$t ADD" ADD id="$P$w-31" ns="$ns" conf="$conf" || return
	r=$CNI_OUT
	ip=$(guest_ip "$r") gw=$(json_get "$r" '.ips[0].gateway')
	t_eq "$t guest address is a /31" "$(guest_pfx "$r")" 31
	t_eq "$t gateway is the block's even address, guest the odd one" \
		"$(( $(cut -d. -f4 <<<"$gw") % 2 )) $(( $(cut -d. -f4 <<<"$gw") + 1 ))" "0 $(cut -d. -f4 <<<"$ip")"
	t_ok "$t host device holds $gw/31" \
		sh -c "ip -n $HOST_NS -o addr show dev $(iso_dev "$r") | grep -qF ' $gw/31 '"
	t_ok "$t guest stand-in" iso_attach "$w-31" "$r" "$ns"
	t_ok "$t guest pings its gateway" guest_ping "$w-31" "$gw"
	t_eq "$t guest reaches the wan through NAT" "$(guest_wan "$w-31")" "$WAN_HOST_IP"
	t_plugin "$t CHECK" CHECK id="$P$w-31" ns="$ns" conf="$(with_prev "$conf" "$r")"
	t_plugin "$t DEL" DEL id="$P$w-31" ns="$ns" conf="$conf"
	t_plugin "$t DEL again" DEL id="$P$w-31" ns="$ns" conf="$conf"
	t_ok "$t no IPAM file left" sh -c "! ls $W_TMP/ipam/p31-$w 2>/dev/null | grep -q '^10\.'"
	guest_stop "$w-31"
}

# Routes from IPAM in the VM netns (issue 11 item 5), /30 and /31: without gw
# they go via the block's gateway (the host side); the kata-style scan sees
# them with the guest address and the MTU; host wiring leaves the netns empty.
suite_routes() {
	local w=$1 idx=$2 bs
	for bs in 30 31; do
		local t="[$w routes /$bs]" conf ns r ip gw sub
		conf=$(conf_iso "rt$bs-$w" "10.99.$idx.0/24" "$w" ".ipam.blockSize = $bs | .mtu = 1400 |
			.ipam.routes = [{dst: \"0.0.0.0/0\"}, {dst: \"198.51.100.0/24\"}]")
		vm_ns "$w-rt$bs" && ns=$REPLY
		t_plugin "$t ADD" ADD id="$P$w-rt$bs" ns="$ns" conf="$conf" || continue
		r=$CNI_OUT
		ip=$(guest_ip "$r") gw=$(json_get "$r" '.ips[0].gateway')
		if [ "$w" = netns ]; then
			sub=$(ip -n "$ns" -j route show dev eth0 proto kernel | jq -r '.[0].dst')
			t_vm_scan "$t" "$ns" eth0 "$ip/$bs" "$sub" "$gw" 1400
			t_eq "$t 198.51.100.0/24 via the gateway $gw on eth0" \
				"$(ip -n "$ns" -j route show 198.51.100.0/24 | jq -r '.[] | "\(.gateway) \(.dev)"')" \
				"$gw eth0"
			t_ok "$t guest stand-in" iso_attach "$w-rt$bs" "$r" "$ns"
			t_ok "$t guest pings its gateway" guest_ping "$w-rt$bs" "$gw"
			guest_stop "$w-rt$bs"
		else
			t_eq "$t VM netns has no route (host wiring)" "$(ip -n "$ns" -j route show | jq length)" 0
		fi
		t_plugin "$t CHECK" CHECK id="$P$w-rt$bs" ns="$ns" conf="$(with_prev "$conf" "$r")"
		t_plugin "$t DEL" DEL id="$P$w-rt$bs" ns="$ns" conf="$conf"
		t_eq "$t DEL leaves the VM netns empty" "$(ip -n "$ns" -o link show | grep -vc ': lo:')" 0
	done
}

# Exhaustion: fill a small subnet's blocks, the next ADD is 101 and leaves
# nothing behind.
suite_exhaust() {
	local w=$1 bs=$2 sub=$3
	local t="[$w exhaustion /$bs in $sub]" conf ns i n=0 snap
	conf=$(conf_iso "ex$bs-$w" "$sub" "$w" ".ipam.blockSize = $bs")
	for i in 1 2 3 4 5 6 7 8; do
		vm_ns "$w-x$bs-$i" && ns=$REPLY
		plugin ADD id="$P$w-x$bs-$i" ns="$ns" conf="$conf" || break
		n=$i
	done
	diag "$w: $n /$bs block(s) fit in $sub"
	# Blocks carry their own gateways: the whole subnet is blocks.
	t_eq "$t every block of the subnet was handed out" "$n" $((1 << (bs - ${sub#*/})))
	t_eq "$t the ADD after the last block fails with code 101" "$(json_get "$CNI_OUT" .code)" 101
	snap=$(attachments_now)
	vm_ns "$w-x$bs-next" && ns=$REPLY
	CNI_DETAILS=. t_plugin_code "$t one more ADD: 101" 101 ADD id="$P$w-x$bs-next" ns="$ns" conf="$conf"
	t_eq "$t the failed ADD left no device, record or IPAM file" "$(attachments_now)" "$snap"
	t_fail "$t the failed ADD left nothing in its VM netns" \
		sh -c "ip -n $ns -o link show | grep -v ': lo:' | grep -q ."
	t_fail "$t no record for the failed ADD" test -e "$(record_path "ex$bs-$w" "$P$w-x$bs-next" eth0)"
	for ((i = 1; i <= n; i++)); do
		plugin DEL id="$P$w-x$bs-$i" ns="$P$w-x$bs-$i" conf="$conf" ||
			not_ok "$t DEL $i" "$(cni_report)"
	done
	t_ok "$t after DEL of all, no IPAM file of the network is left" \
		sh -c "! ls $W_TMP/ipam/ex$bs-$w 2>/dev/null | grep -q '^10\.'"
	vm_ns "$w-x$bs-again" && ns=$REPLY
	t_plugin "$t after DEL, ADD works again" ADD id="$P$w-x$bs-again" ns="$ns" conf="$conf"
	plugin DEL id="$P$w-x$bs-again" ns="$ns" conf="$conf"
}

# Two shared networks on one host: each network's guests reach each other,
# their gateway and the wan, but not the other network's guests (only its
# published ports, like any outside client).
suite_nets() {
	local w=$1 idx=$2
	local t="[$w two shared networks]" ca cb na nb ra rb ipa ipb before
	ca=$(conf_shared "nA-$w" "vmbrA-$w" "10.97.$idx.0/24" "10.97.$idx.1" ".tap = \"$w\"")
	cb=$(conf_shared "nB-$w" "vmbrB-$w" "10.98.$idx.0/24" "10.98.$idx.1" ".tap = \"$w\"")
	vm_ns "$w-na" && na=$REPLY
	vm_ns "$w-nb" && nb=$REPLY
	t_plugin "$t ADD a to network A" ADD id="$P$w-na" ns="$na" conf="$ca" || return
	ra=$CNI_OUT
	t_plugin "$t ADD b to network B" ADD id="$P$w-nb" ns="$nb" conf="$cb" || return
	rb=$CNI_OUT
	t_ok "$t guest stand-in a" iso_attach "$w-na" "$ra" "$na"
	t_ok "$t guest stand-in b" iso_attach "$w-nb" "$rb" "$nb"
	ipa=$(guest_ip "$ra") ipb=$(guest_ip "$rb")
	t_ok "$t a pings its gateway" guest_ping "$w-na" "10.97.$idx.1"
	t_ok "$t b pings its gateway" guest_ping "$w-nb" "10.98.$idx.1"
	t_eq "$t a reaches the wan through NAT" "$(guest_wan "$w-na")" "$WAN_HOST_IP"
	before=$(counter inet iso_drop)
	t_ok "$t a cannot ping b" guest_noping "$w-na" "$ipb"
	t_ok "$t b cannot ping a" guest_noping "$w-nb" "$ipa"
	t_fail "$t a cannot open TCP to b" tcp_to "$w-na" "$ipb" "$GUEST_SVC"
	ctr_rose "$t iso_drop rose" "$before" "$(counter inet iso_drop)"
	t_plugin "$t CHECK a" CHECK id="$P$w-na" ns="$na" conf="$(with_prev "$ca" "$ra")"
	guest_stop "$w-na"
	guest_stop "$w-nb"
	t_plugin "$t DEL a" DEL id="$P$w-na" ns="$na" conf="$ca"
	t_plugin "$t DEL b" DEL id="$P$w-nb" ns="$nb" conf="$cb"
	t_fail "$t no guest_net element left" sh -c "ip netns exec $HOST_NS nft list set inet vmnet guest_net | grep -q '10\.9[78]\.'"
}

idx=1
for wiring in netns host; do
	case " ${VMNET_WIRING:-netns host} " in *" $wiring "*) ;; *) continue ;; esac
	suite "$wiring" "$idx"
	suite_nets "$wiring" "$idx"
	suite_31 "$wiring" "$idx"
	suite_routes "$wiring" "$idx"
	suite_exhaust "$wiring" 30 "10.95.$idx.0/28"
	suite_exhaust "$wiring" 31 "10.96.$idx.0/29"
	idx=$((idx + 1))
done

t_done
