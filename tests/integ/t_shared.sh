#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Shared mode end to end, for both wirings (tap=netns and tap=host): ADD two
# VMs on one bridge, guest stand-ins (fakevm) on their taps, traffic to the
# gateway, between guests and out to the wan through the masquerade; kernel
# state; CHECK, including after breaking things by hand; DEL in every state it
# must survive; and port isolation.
#
#   tests/integ/t_shared.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq socat nft ss tc
need_bins "$VMNET" "$B/vmnet-ipam" "$FAKEVM"
world_init
host_ns
wan_setup

MTU=1400 # not the default, so we see it applied

# The host device of an attachment: interfaces[1] (vmv… veth end or vmt… tap).
host_dev() { json_get "$1" '.interfaces[1].name'; }


# assert_attached TAG NET BRIDGE GATEWAY WIRING RESULT CID VMNS: kernel and
# disk state of one live attachment.
assert_attached() {
	local t=$1 net=$2 br=$3 gw=$4 w=$5 res=$6 cid=$7 vmns=$8 dev ip gi pfx tap
	dev=$(host_dev "$res")
	ip=$(guest_ip "$res")
	gi=$(json_get "$res" '.ips[0].interface')
	pfx=$(json_get "$res" '.ips[0].address' | cut -d/ -f2)

	t_eq "$t result: ips[0].gateway is the range's gateway" "$(json_get "$res" '.ips[0].gateway')" "$gw"
	t_eq "$t result: guest pseudo-interface sandbox is the container ID" \
		"$(json_get "$res" ".interfaces[$gi].sandbox")" "$cid"
	t_eq "$t result: interfaces[0] is the bridge" "$(json_get "$res" '.interfaces[0].name')" "$br"
	case $w in
	netns) t_match "$t host device is a vmv… veth end" "$dev" '^vmv[0-9a-f]{12}$' ;;
	host) t_match "$t host device is a vmt… tap" "$dev" '^vmt[0-9a-f]{12}$' ;;
	esac
	t_ok "$t host device $dev is a port of $br" \
		sh -c "ip -n $HOST_NS -o link show dev $dev | grep -q ' master $br '"
	t_eq "$t bridge port $dev has IPv6 off: no address, no IPv6 route" \
		"$(ip netns exec "$HOST_NS" sysctl -n "net.ipv6.conf.$dev.disable_ipv6") $(ip -n "$HOST_NS" -6 -o addr show dev "$dev" | wc -l) $(ip -n "$HOST_NS" -6 route show table all dev "$dev" | wc -l)" \
		"1 0 0"
	t_ok "$t host device $dev has MTU $MTU" \
		sh -c "ip -n $HOST_NS -o link show dev $dev | grep -q ' mtu $MTU '"
	t_ok "$t host device alias names the attachment" \
		sh -c "ip -n $HOST_NS -d link show dev $dev | grep -qF 'alias vmnet:$net/$cid/eth0'"
	t_ok "$t guests4 contains $ip" nft_has_elem guests4 "$ip"
	t_ok "$t masq4 contains $ip (ipMasq)" nft_has_elem masq4 "$ip"
	t_ok "$t record file exists" test -f "$(record_path "$net" "$cid" eth0)"
	t_ok "$t IPAM file exists" test -f "$(ipam_path "$net" "$ip")"
	if [ "$w" = netns ]; then
		tap=$(json_get "$res" '.interfaces[3].name')
		t_ok "$t veth eth0 in the VM netns holds $ip/$pfx" \
			sh -c "ip -n $vmns -o addr show dev eth0 | grep -qF ' $ip/$pfx '"
		t_eq "$t veth eth0 in the VM netns has the guest MAC" \
			"$(ip -n "$vmns" -j link show dev eth0 | jq -r '.[0].address')" \
			"$(json_get "$res" ".interfaces[$gi].mac")"
		t_ok "$t tap $tap in the VM netns: IFF_VNET_HDR, MTU $MTU" \
			sh -c "ip -n $vmns -d link show dev $tap | grep -q 'tun type tap .*vnet_hdr on' &&
			       ip -n $vmns -o link show dev $tap | grep -q ' mtu $MTU '"
		t_ok "$t nft forwards eth0 -> $tap and $tap -> eth0 in the VM netns" \
			fwd_ok "$vmns" eth0 "$tap"
		t_eq "$t no tc filter in the VM netns" \
			"$(tc -n "$vmns" filter show dev eth0 ingress; tc -n "$vmns" filter show dev "$tap" ingress)" ""
		t_ok "$t the VM netns' ruleset reads back (nft list ruleset; flush; nft -f)" \
			sh -c "ip netns exec $vmns nft list ruleset > $W_TMP/vmrs.nft &&
			       ip netns exec $vmns nft flush ruleset &&
			       ip netns exec $vmns nft -f $W_TMP/vmrs.nft"
		t_ok "$t ... and still forwards as ADD set it up" fwd_ok "$vmns" eth0 "$tap"
	else
		t_ok "$t host tap: IFF_VNET_HDR" \
			sh -c "ip -n $HOST_NS -d link show dev $dev | grep -q 'tun type tap .*vnet_hdr on'"
		t_fail "$t VM netns untouched (host wiring)" \
			sh -c "ip -n $vmns -o link show | grep -v ': lo:' | grep -q ."
	fi
}

# assert_gone TAG NET RESULT CID: nothing of an attachment is left.
assert_gone() {
	local t=$1 net=$2 res=$3 cid=$4 dev ip
	dev=$(host_dev "$res")
	ip=$(guest_ip "$res")
	t_fail "$t host device $dev gone" hlink link show dev "$dev"
	t_fail "$t guests4 no longer contains $ip" nft_has_elem guests4 "$ip"
	t_fail "$t masq4 no longer contains $ip" nft_has_elem masq4 "$ip"
	t_fail "$t record gone" test -e "$(record_path "$net" "$cid" eth0)"
	t_fail "$t IPAM reservation of $ip gone" test -e "$(ipam_path "$net" "$ip")"
}

# add_two T CONF: ADD vm1 ($cid1 in $ns1) and vm2 ($cid2 in $ns2); sets the
# caller's r1, r2, ip1, ip2 (its locals: bash scopes dynamically).
add_two() {
	t_plugin "$1 ADD vm1" ADD id="$cid1" ns="$ns1" conf="$2" || return
	r1=$CNI_OUT
	t_plugin "$1 ADD vm2" ADD id="$cid2" ns="$ns2" conf="$2" || return
	r2=$CNI_OUT
	ip1=$(guest_ip "$r1")
	ip2=$(guest_ip "$r2")
}

suite_shared() {
	local w=$1 idx=$2
	local net=shared-$w br=vmbr-$w t="[$w]"
	local sub=10.88.$idx.0/24 gw=10.88.$idx.1
	local conf ns1 ns2 ns3 cid1=${P}$w-1 cid2=${P}$w-2 cid3=${P}$w-3 r1 r2 r3 ip1 ip2 seen

	conf=$(conf_shared "$net" "$br" "$sub" "$gw" ".tap = \"$w\" | .mtu = $MTU")
	vm_ns "$w-vm1" && ns1=$REPLY
	vm_ns "$w-vm2" && ns2=$REPLY
	vm_ns "$w-vm3" && ns3=$REPLY

	add_two "$t" "$conf" || return
	diag "$w: vm1 $ip1 on $(host_dev "$r1"), vm2 $ip2 on $(host_dev "$r2")"
	t_ok "$t the two VMs got different addresses in $sub" \
		test -n "$ip1" -a -n "$ip2" -a "$ip1" != "$ip2"

	t_ok "$t bridge $br exists" hlink link show dev "$br" type bridge
	t_ok "$t bridge $br holds $gw/24" sh -c "ip -n $HOST_NS -o addr show dev $br | grep -qF ' $gw/24 '"
	t_ok "$t bridge $br has MTU $MTU" sh -c "ip -n $HOST_NS -o link show dev $br | grep -q ' mtu $MTU '"
	# No spanning tree and no forward delay: with a delay, each port's
	# timer announces it again 15 s after it joined, for netd to look at.
	t_eq "$t bridge $br: STP off, forward delay 0" \
		"$(ip -n "$HOST_NS" -j -d link show dev "$br" |
			jq -r '.[0].linkinfo.info_data | "\(.stp_state) \(.forward_delay)"')" "0 0"
	t_eq "$t ip_forward on in the host namespace" \
		"$(ip netns exec "$HOST_NS" sysctl -n net.ipv4.ip_forward)" 1
	assert_attached "$t vm1:" "$net" "$br" "$gw" "$w" "$r1" "$cid1" "$ns1"
	assert_attached "$t vm2:" "$net" "$br" "$gw" "$w" "$r2" "$cid2" "$ns2"

	t_ok "$t guest stand-in on vm1's tap" guest_attach "$w-1" "$r1" "$ns1"
	t_ok "$t guest stand-in on vm2's tap" guest_attach "$w-2" "$r2" "$ns2"
	t_ok "$t guest 1 pings its gateway $gw" guest_ping "$w-1" "$gw"
	t_ok "$t guest 1 pings guest 2" guest_ping "$w-1" "$ip2"
	t_ok "$t guest 2 pings guest 1" guest_ping "$w-2" "$ip1"
	seen=$(guest_wan "$w-1")
	t_eq "$t guest 1 reaches the wan server, which sees the masqueraded $WAN_HOST_IP" \
		"$seen" "$WAN_HOST_IP"
	seen=$(guest_wan "$w-2")
	t_eq "$t guest 2 reaches the wan server through the masquerade" "$seen" "$WAN_HOST_IP"
	t_eq "$t guest 1 downloads $WAN_BULK bytes from the wan intact" \
		"$(guest_wan_download "$w-1")" "$WAN_BULK"
	t_eq "$t guest 1 uploads $WAN_BULK bytes to the wan intact" \
		"$(guest_wan_upload "$w-1")" "$WAN_BULK"
	if [ "$w" = netns ]; then
		# Negative control: the wan has no route back, so without the
		# masquerade nothing comes back. Proves the check above means it.
		ip netns exec "$HOST_NS" nft delete element inet vmnet masq4 "{ $ip2 }"
		t_fail "$t without vm2's masq4 element the wan does not answer" \
			sh -c "ip netns exec ${G_NS[$w-2]} timeout 3 socat -T2 - TCP:$WAN_IP:$WAN_PORT,connect-timeout=2 </dev/null | grep -q ."
		ip netns exec "$HOST_NS" nft add element inet vmnet masq4 "{ $ip2 }"
		t_eq "$t with it back, the masquerade works again" "$(guest_wan "$w-2")" "$WAN_HOST_IP"
	fi

	# CHECK: clean, then broken by hand in two separate ways.
	t_plugin "$t CHECK vm1" CHECK id="$cid1" ns="$ns1" conf="$(with_prev "$conf" "$r1")"
	t_plugin "$t CHECK vm2" CHECK id="$cid2" ns="$ns2" conf="$(with_prev "$conf" "$r2")"
	t_plugin "$t ADD vm3" ADD id="$cid3" ns="$ns3" conf="$conf"
	r3=$CNI_OUT
	t_plugin "$t CHECK vm3" CHECK id="$cid3" ns="$ns3" conf="$(with_prev "$conf" "$r3")"
	t_ok "$t delete vm3's host device by hand" hlink link del "$(host_dev "$r3")"
	CNI_DETAILS=$(host_dev "$r3") t_plugin_code "$t CHECK vm3 without its host device: 110" 110 \
		CHECK id="$cid3" ns="$ns3" conf="$(with_prev "$conf" "$r3")"
	t_plugin "$t DEL vm3 without CNI_NETNS after its device was deleted" DEL id="$cid3" \
		conf="$conf"
	assert_gone "$t vm3:" "$net" "$r3" "$cid3"

	t_ok "$t delete vm1's guests4 element by hand" \
		ip netns exec "$HOST_NS" nft delete element inet vmnet guests4 "{ $ip1 }"
	CNI_DETAILS="guests4|${ip1//./\\.}" t_plugin_code "$t CHECK vm1 without its nft element: 110" 110 \
		CHECK id="$cid1" ns="$ns1" conf="$(with_prev "$conf" "$r1")"

	# DEL with the guest still attached (the VMM has not exited), twice.
	t_plugin "$t DEL vm1" DEL id="$cid1" ns="$ns1" conf="$conf"
	assert_gone "$t vm1:" "$net" "$r1" "$cid1"
	t_plugin "$t DEL vm1 again" DEL id="$cid1" ns="$ns1" conf="$conf"
	t_ok "$t bridge $br stays while vm2 is attached" hlink link show dev "$br"
	t_ok "$t guest 2 still pings the gateway" guest_ping "$w-2" "$gw"

	# The VM went away and took its netns with it; then DEL.
	guest_stop "$w-2"
	t_ok "$t delete vm2's netns" ns_del "$ns2"
	t_plugin "$t DEL vm2 after its netns was deleted" DEL id="$cid2" ns="$ns2" conf="$conf"
	assert_gone "$t vm2:" "$net" "$r2" "$cid2"
	t_fail "$t bridge $br gone after the last DEL" hlink link show dev "$br"
	t_ok "$t no vmnet device left in the host namespace" \
		sh -c "! ip -n $HOST_NS -o link show | grep -E ': (vmv|vmt)'"
	guest_stop "$w-1"
}

suite_isolation() {
	local w=$1 idx=$2
	local net=iso-$w br=vmbr-i$w t="[$w portIsolation]"
	local sub=10.89.$idx.0/24 gw=10.89.$idx.1
	local conf ns1 ns2 cid1=${P}i$w-1 cid2=${P}i$w-2 r1 r2 ip1 ip2 dev

	conf=$(conf_shared "$net" "$br" "$sub" "$gw" ".tap = \"$w\" | .portIsolation = true")
	vm_ns "i$w-vm1" && ns1=$REPLY
	vm_ns "i$w-vm2" && ns2=$REPLY
	add_two "$t" "$conf" || return
	for dev in "$(host_dev "$r1")" "$(host_dev "$r2")"; do
		t_ok "$t bridge port $dev is isolated" \
			sh -c "ip netns exec $HOST_NS bridge -d link show dev $dev | grep -q 'isolated on'"
	done
	# CHECK reads the port's isolation with the device (its bridge slave
	# data): turned off by hand, it is a mismatch; back on, none.
	dev=$(host_dev "$r1")
	t_ok "$t isolation of $dev turned off by hand" \
		ip netns exec "$HOST_NS" bridge link set dev "$dev" isolated off
	CNI_DETAILS="isolation is off, expected on" t_plugin_code "$t CHECK vm1 with its port not isolated: 110" \
		110 CHECK id="$cid1" ns="$ns1" conf="$(with_prev "$conf" "$r1")"
	t_ok "$t and back on" ip netns exec "$HOST_NS" bridge link set dev "$dev" isolated on
	t_plugin "$t CHECK vm1 then passes" CHECK id="$cid1" ns="$ns1" conf="$(with_prev "$conf" "$r1")"
	t_ok "$t guest stand-in on vm1's tap" guest_attach "i$w-1" "$r1" "$ns1"
	t_ok "$t guest stand-in on vm2's tap" guest_attach "i$w-2" "$r2" "$ns2"
	t_ok "$t guest 1 pings the gateway" guest_ping "i$w-1" "$gw"
	t_ok "$t guest 2 pings the gateway" guest_ping "i$w-2" "$gw"
	t_ok "$t guest 1 cannot ping guest 2" guest_noping "i$w-1" "$ip2"
	t_ok "$t guest 2 cannot ping guest 1" guest_noping "i$w-2" "$ip1"
	t_eq "$t guest 1 still reaches the wan" "$(guest_wan "i$w-1")" "$WAN_HOST_IP"
	t_plugin "$t DEL vm1" DEL id="$cid1" ns="$ns1" conf="$conf"
	t_plugin "$t DEL vm2" DEL id="$cid2" ns="$ns2" conf="$conf"
	t_fail "$t bridge $br gone after the last DEL" hlink link show dev "$br"
	guest_stop "i$w-1"
	guest_stop "i$w-2"
}

# multiQueue taps: the guest stand-in must open them with IFF_MULTI_QUEUE
# (guest_attach sees the flag on the device), as QEMU does with queues=N.
suite_multiqueue() {
	local w=$1 idx=$2
	local net=mq-$w br=vmbr-q$w t="[$w multiQueue]"
	local sub=10.90.$idx.0/24 gw=10.90.$idx.1 conf ns1 cid1=${P}q$w-1 r1 tap runns

	conf=$(conf_shared "$net" "$br" "$sub" "$gw" ".tap = \"$w\" | .multiQueue = true")
	vm_ns "q$w-vm1" && ns1=$REPLY
	t_plugin "$t ADD" ADD id="$cid1" ns="$ns1" conf="$conf" || return
	r1=$CNI_OUT
	if [ "$w" = netns ]; then
		tap=$(json_get "$r1" '.interfaces[3].name') runns=$ns1
	else
		tap=$(host_dev "$r1") runns=$HOST_NS
	fi
	t_ok "$t tap $tap is multi-queue" \
		sh -c "ip -n $runns -d link show dev $tap | grep -q multi_queue"
	t_ok "$t guest stand-in on the tap" guest_attach "q$w-1" "$r1" "$ns1"
	t_ok "$t guest pings the gateway" guest_ping "q$w-1" "$gw"
	t_plugin "$t DEL" DEL id="$cid1" ns="$ns1" conf="$conf"
	guest_stop "q$w-1"
}

# The VM netns carries what the result says (issue 11 item 5): routes from
# IPAM (one without gw goes via the gateway, one with gw as given, the
# connected one not duplicated) and the MTU, as kata's scan reads them; CHECK
# and rollback. Host wiring has no VM-side device: the netns stays empty.
suite_routes() {
	local w=$1 idx=$2
	local net=rt-$w br=vmbr-r$w t="[$w routes]"
	local sub=10.91.$idx.0/24 gw=10.91.$idx.1 via=10.91.$idx.254
	local conf ns1 ns2 cid1=${P}r$w-1 cid2=${P}r$w-2 r1 a1 before

	conf=$(conf_shared "$net" "$br" "$sub" "$gw" ".tap = \"$w\" | .mtu = $MTU |
		.ipam.routes = [{dst: \"0.0.0.0/0\"}, {dst: \"192.0.2.0/24\", gw: \"$via\"},
				{dst: \"$sub\"}]")
	vm_ns "r$w-vm1" && ns1=$REPLY
	vm_ns "r$w-vm2" && ns2=$REPLY
	t_plugin "$t ADD" ADD id="$cid1" ns="$ns1" conf="$conf" || return
	r1=$CNI_OUT
	a1=$(json_get "$r1" '.ips[0].address')
	t_eq "$t result: routes as IPAM gave them" \
		"$(jq -c '[.routes[] | [.dst, .gw]]' <<<"$r1")" \
		"[[\"0.0.0.0/0\",null],[\"192.0.2.0/24\",\"$via\"],[\"$sub\",null]]"
	if [ "$w" = host ]; then
		t_eq "$t VM netns has no route at all (host wiring)" \
			"$(ip -n "$ns1" -j route show | jq length)" 0
	else
		t_vm_scan "$t" "$ns1" eth0 "$a1" "$sub" "$gw" "$MTU"
		t_eq "$t 192.0.2.0/24 via $via on eth0" \
			"$(ip -n "$ns1" -j route show 192.0.2.0/24 | jq -r '.[] | "\(.gateway) \(.dev)"')" \
			"$via eth0"
		t_ok "$t guest stand-in on the tap" guest_attach "r$w-1" "$r1" "$ns1"
		t_ok "$t guest pings its gateway" guest_ping "r$w-1" "$gw"
		t_plugin "$t CHECK" CHECK id="$cid1" ns="$ns1" conf="$(with_prev "$conf" "$r1")"
		t_ok "$t delete the default route by hand" ip -n "$ns1" route del default
		CNI_DETAILS="0\.0\.0\.0/0 via $gw" t_plugin_code "$t CHECK without the default route: 110" 110 \
			CHECK id="$cid1" ns="$ns1" conf="$(with_prev "$conf" "$r1")"
		ip -n "$ns1" route add default via "$gw" dev eth0
		t_ok "$t set eth0's MTU to 1300 by hand" ip -n "$ns1" link set eth0 mtu 1300
		CNI_DETAILS="MTU 1300" t_plugin_code "$t CHECK with another MTU: 110" 110 \
			CHECK id="$cid1" ns="$ns1" conf="$(with_prev "$conf" "$r1")"
		ip -n "$ns1" link set eth0 mtu "$MTU"
		t_ok "$t delete the forwarding table in the VM netns by hand" \
			sh -c "ip netns exec $ns1 nft list tables | awk '/^table netdev vmnet_/ { print \$3 }' |
			       xargs -r -n1 ip netns exec $ns1 nft delete table netdev"
		CNI_DETAILS="no forwarding from eth0 to tap" t_plugin_code "$t CHECK without the forwarding: 110" 110 \
			CHECK id="$cid1" ns="$ns1" conf="$(with_prev "$conf" "$r1")"
		guest_stop "r$w-1"

		# Rollback: a VM netns whose default route is taken by another
		# device refuses ours after veth, tap and address exist.
		ip -n "$ns2" link add d0 type veth peer name d1 && ip -n "$ns2" link set d0 up &&
			ip -n "$ns2" link set d1 up && ip -n "$ns2" addr add 198.51.100.2/24 dev d0 &&
			ip -n "$ns2" route add default via 198.51.100.1 ||
			bail "d0 with a default route in $ns2"
		before=$(ip -n "$ns2" -o link show | cut -d: -f2; hlink -o link show | cut -d: -f2
			ls "$W_TMP/ipam/$net" "$W_TMP/state/$net")
		CNI_DETAILS="eth0 in CNI_NETNS.*0\.0\.0\.0/0" t_plugin_code "$t ADD into a netns whose default route is taken: refused" 100 \
			ADD id="$cid2" ns="$ns2" conf="$conf"
		t_eq "$t ... and rolled back (VM netns and host links, IPAM, records)" \
			"$(ip -n "$ns2" -o link show | cut -d: -f2; hlink -o link show | cut -d: -f2
			   ls "$W_TMP/ipam/$net" "$W_TMP/state/$net")" "$before"
		t_plugin "$t DEL of the refused ADD" DEL id="$cid2" ns="$ns2" conf="$conf"
	fi
	t_plugin "$t DEL" DEL id="$cid1" ns="$ns1" conf="$conf"
	t_eq "$t nothing left in the VM netns after DEL" \
		"$(ip -n "$ns1" -o link show | grep -vc ': lo:')" 0
	t_ok "$t no forwarding table left in the VM netns after DEL" fwd_none "$ns1"
	before=$(rt_state "$ns1" "$net")
	CNI_DETAILS="gateway is not another address" t_plugin_code "$t ADD with a route via a gateway outside the subnet: 7" 7 \
		ADD id="$cid1" ns="$ns1" conf="$(jq -c '.ipam.routes = [{dst: "192.0.2.0/24", gw: "198.51.100.1"}]' <<<"$conf")"
	t_eq "$t ... nothing left (VM netns, IPAM, record)" "$(rt_state "$ns1" "$net")" "$before"
}
# rt_state VMNS NET: the VM netns' links, the network's IPAM and record files.
rt_state() { ip -n "$1" -o link show | cut -d: -f2; ls "$W_TMP/ipam/$2" "$W_TMP/state/$2"; }

# A bridge belongs to one network (issue 11 item 9): a second network naming
# it is refused with code 7 and leaves nothing; the first is unaffected, and
# the failed network's DEL does not take the bridge. KIND "vmnet": the bridge
# is the one vmnet created for A; "foreign": made by hand before A's ADD (its
# ports' aliases say whose VMs it carries), and it stays after A's last DEL.
suite_bridge_owner() {
	local w=$1 idx=$2 kind=$3
	local k=${kind:0:1}$w
	local br=vmbr-o$k t="[$w $kind bridge owner]" confa confb nsa nsb
	local cida=${P}o$k-a cidb=${P}o$k-b ra gwa=10.92.$idx.1 before want

	if [ "$kind" = foreign ]; then
		hlink link add "$br" type bridge && hlink link set "$br" up || bail "bridge $br"
	fi
	confa=$(conf_shared "own-a-$k" "$br" "10.92.$idx.0/24" "$gwa" ".tap = \"$w\"")
	confb=$(conf_shared "own-b-$k" "$br" "10.93.$idx.0/24" "10.93.$idx.1" ".tap = \"$w\"")
	vm_ns "o$k-a" && nsa=$REPLY
	vm_ns "o$k-b" && nsb=$REPLY
	t_plugin "$t ADD on network A" ADD id="$cida" ns="$nsa" conf="$confa" || return
	ra=$CNI_OUT
	t_ok "$t guest stand-in on A" guest_attach "o$k-a" "$ra" "$nsa"
	t_ok "$t A's guest pings its gateway" guest_ping "o$k-a" "$gwa"
	before=$(owner_state "$nsb" "$br")
	want="$br belongs to network .own-a-$k"
	[ "$kind" = foreign ] && want="$br carries VMs of network .own-a-$k"
	CNI_DETAILS=$want t_plugin_code "$t ADD on network B naming A's bridge: 7" 7 ADD id="$cidb" \
		ns="$nsb" conf="$confb"
	t_eq "$t ... leaves nothing: host links, B's netns, the bridge's addresses" \
		"$(owner_state "$nsb" "$br")" "$before"
	t_eq "$t ... B's IPAM reservation rolled back" \
		"$(find "$W_TMP/ipam/own-b-$k" -maxdepth 1 -type f -name '10.*' 2>/dev/null)" ""
	t_eq "$t ... no record of B" "$(find "$W_TMP/state/own-b-$k" -name '*.json' 2>/dev/null)" ""
	t_plugin "$t DEL of B's refused ADD" DEL id="$cidb" ns="$nsb" conf="$confb"
	t_ok "$t ... A's bridge is still there" hlink link show dev "$br"
	t_ok "$t A's guest still pings its gateway" guest_ping "o$k-a" "$gwa"
	t_plugin "$t CHECK A" CHECK id="$cida" ns="$nsa" conf="$(with_prev "$confa" "$ra")"
	guest_stop "o$k-a"
	t_plugin "$t DEL A" DEL id="$cida" ns="$nsa" conf="$confa"
	if [ "$kind" = foreign ]; then
		t_ok "$t the bridge vmnet did not create stays after A's last DEL" hlink link show dev "$br"
		t_plugin "$t with A gone, B may use it" ADD id="$cidb" ns="$nsb" conf="$confb"
		t_plugin "$t DEL B" DEL id="$cidb" ns="$nsb" conf="$confb"
		hlink link del "$br"
	else
		t_fail "$t bridge gone after A's last DEL" hlink link show dev "$br"
	fi
}
# owner_state VMNS BRIDGE: host links, VMNS's links, BRIDGE's addresses.
owner_state() {
	hlink -o link show | cut -d: -f2 | sort
	ip -n "$1" -o link show | cut -d: -f2
	hlink -o addr show dev "$2" | awk '{print $4}'
}

idx=1
for wiring in netns host; do
	selected_wiring=${VMNET_WIRING:-netns host}
	case " $selected_wiring " in *" $wiring "*) ;; *) continue ;; esac
	suite_shared "$wiring" "$idx"
	suite_isolation "$wiring" "$idx"
	suite_multiqueue "$wiring" "$idx"
	suite_routes "$wiring" "$idx"
	suite_bridge_owner "$wiring" "$idx" vmnet
	suite_bridge_owner "$wiring" "$((idx + 2))" foreign
	idx=$((idx + 1))
done

t_done
