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
guest_ip() { json_get "$1" '.ips[0].address' | cut -d/ -f1; }

hlink() { ip -n "$HOST_NS" "$@"; }

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
		t_ok "$t tc redirects tap -> eth0 and eth0 -> tap" \
			sh -c "tc -n $vmns filter show dev $tap ingress | grep -q 'mirred.*eth0' &&
			       tc -n $vmns filter show dev eth0 ingress | grep -q 'mirred.*$tap'"
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

suite_shared() {
	local w=$1 idx=$2
	local net=shared-$w br=vmbr-$w t="[$w]"
	local sub=10.88.$idx.0/24 gw=10.88.$idx.1
	local conf ns1 ns2 ns3 cid1=${P}$w-1 cid2=${P}$w-2 cid3=${P}$w-3 r1 r2 r3 ip1 ip2 seen

	conf=$(conf_shared "$net" "$br" "$sub" "$gw" ".tap = \"$w\" | .mtu = $MTU")
	vm_ns "$w-vm1" && ns1=$REPLY
	vm_ns "$w-vm2" && ns2=$REPLY
	vm_ns "$w-vm3" && ns3=$REPLY

	t_cni "$t ADD vm1" "$HOST_NS" ADD "$cid1" eth0 "/run/netns/$ns1" "$conf" || return
	r1=$CNI_OUT
	t_cni "$t ADD vm2" "$HOST_NS" ADD "$cid2" eth0 "/run/netns/$ns2" "$conf" || return
	r2=$CNI_OUT
	ip1=$(guest_ip "$r1")
	ip2=$(guest_ip "$r2")
	diag "$w: vm1 $ip1 on $(host_dev "$r1"), vm2 $ip2 on $(host_dev "$r2")"
	t_ok "$t the two VMs got different addresses in $sub" \
		test -n "$ip1" -a -n "$ip2" -a "$ip1" != "$ip2"

	t_ok "$t bridge $br exists" hlink link show dev "$br" type bridge
	t_ok "$t bridge $br holds $gw/24" sh -c "ip -n $HOST_NS -o addr show dev $br | grep -qF ' $gw/24 '"
	t_ok "$t bridge $br has MTU $MTU" sh -c "ip -n $HOST_NS -o link show dev $br | grep -q ' mtu $MTU '"
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
	t_cni "$t CHECK vm1" "$HOST_NS" CHECK "$cid1" eth0 "/run/netns/$ns1" "$(with_prev "$conf" "$r1")"
	t_cni "$t CHECK vm2" "$HOST_NS" CHECK "$cid2" eth0 "/run/netns/$ns2" "$(with_prev "$conf" "$r2")"
	t_cni "$t ADD vm3" "$HOST_NS" ADD "$cid3" eth0 "/run/netns/$ns3" "$conf"
	r3=$CNI_OUT
	t_cni "$t CHECK vm3" "$HOST_NS" CHECK "$cid3" eth0 "/run/netns/$ns3" "$(with_prev "$conf" "$r3")"
	t_ok "$t delete vm3's host device by hand" hlink link del "$(host_dev "$r3")"
	CNI_DETAILS=$(host_dev "$r3") t_cni_code "$t CHECK vm3 without its host device: 110" 110 \
		"$HOST_NS" CHECK "$cid3" eth0 "/run/netns/$ns3" "$(with_prev "$conf" "$r3")"
	t_cni "$t DEL vm3 without CNI_NETNS after its device was deleted" \
		"$HOST_NS" DEL "$cid3" eth0 "" "$conf"
	assert_gone "$t vm3:" "$net" "$r3" "$cid3"

	t_ok "$t delete vm1's guests4 element by hand" \
		ip netns exec "$HOST_NS" nft delete element inet vmnet guests4 "{ $ip1 }"
	CNI_DETAILS="guests4|${ip1//./\\.}" t_cni_code "$t CHECK vm1 without its nft element: 110" 110 \
		"$HOST_NS" CHECK "$cid1" eth0 "/run/netns/$ns1" "$(with_prev "$conf" "$r1")"

	# DEL with the guest still attached (the VMM has not exited), twice.
	t_cni "$t DEL vm1" "$HOST_NS" DEL "$cid1" eth0 "/run/netns/$ns1" "$conf"
	assert_gone "$t vm1:" "$net" "$r1" "$cid1"
	t_cni "$t DEL vm1 again" "$HOST_NS" DEL "$cid1" eth0 "/run/netns/$ns1" "$conf"
	t_ok "$t bridge $br stays while vm2 is attached" hlink link show dev "$br"
	t_ok "$t guest 2 still pings the gateway" guest_ping "$w-2" "$gw"

	# The VM went away and took its netns with it; then DEL.
	guest_stop "$w-2"
	t_ok "$t delete vm2's netns" ns_del "$ns2"
	t_cni "$t DEL vm2 after its netns was deleted" \
		"$HOST_NS" DEL "$cid2" eth0 "/run/netns/$ns2" "$conf"
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
	t_cni "$t ADD vm1" "$HOST_NS" ADD "$cid1" eth0 "/run/netns/$ns1" "$conf" || return
	r1=$CNI_OUT
	t_cni "$t ADD vm2" "$HOST_NS" ADD "$cid2" eth0 "/run/netns/$ns2" "$conf" || return
	r2=$CNI_OUT
	ip1=$(guest_ip "$r1")
	ip2=$(guest_ip "$r2")
	for dev in "$(host_dev "$r1")" "$(host_dev "$r2")"; do
		t_ok "$t bridge port $dev is isolated" \
			sh -c "ip netns exec $HOST_NS bridge -d link show dev $dev | grep -q 'isolated on'"
	done
	t_ok "$t guest stand-in on vm1's tap" guest_attach "i$w-1" "$r1" "$ns1"
	t_ok "$t guest stand-in on vm2's tap" guest_attach "i$w-2" "$r2" "$ns2"
	t_ok "$t guest 1 pings the gateway" guest_ping "i$w-1" "$gw"
	t_ok "$t guest 2 pings the gateway" guest_ping "i$w-2" "$gw"
	t_ok "$t guest 1 cannot ping guest 2" guest_noping "i$w-1" "$ip2"
	t_ok "$t guest 2 cannot ping guest 1" guest_noping "i$w-2" "$ip1"
	t_eq "$t guest 1 still reaches the wan" "$(guest_wan "i$w-1")" "$WAN_HOST_IP"
	t_cni "$t DEL vm1" "$HOST_NS" DEL "$cid1" eth0 "/run/netns/$ns1" "$conf"
	t_cni "$t DEL vm2" "$HOST_NS" DEL "$cid2" eth0 "/run/netns/$ns2" "$conf"
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
	t_cni "$t ADD" "$HOST_NS" ADD "$cid1" eth0 "/run/netns/$ns1" "$conf" || return
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
	t_cni "$t DEL" "$HOST_NS" DEL "$cid1" eth0 "/run/netns/$ns1" "$conf"
	guest_stop "q$w-1"
}

idx=1
for wiring in netns host; do
	selected_wiring=${VMNET_WIRING:-netns host}
	case " $selected_wiring " in *" $wiring "*) ;; *) continue ;; esac
	suite_shared "$wiring" "$idx"
	suite_isolation "$wiring" "$idx"
	suite_multiqueue "$wiring" "$idx"
	idx=$((idx + 1))
done

t_done
