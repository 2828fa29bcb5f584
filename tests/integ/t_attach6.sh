#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The kernel side of IPv6 (dual stack) for an attachment, in both modes and
# both wirings (issue 14): the IPv6 entry of the result; the gateway address
# on the bridge (shared) or the routed link (isolated) and the guest's
# address on the VM netns's veth, all without DAD (never tentative, right
# after ADD returns); the IPAM result's IPv6 routes in the VM netns; the
# host's route to the guest; accept_ra=0 and accept_dad=0 on the host
# devices vmnet made (a user's bridge keeps its own); IPv6 forwarding on while the host namespace keeps the
# default route it learned from router advertisements on its uplink
# (accept_ra 1 -> 2 first); CHECK finding a missing IPv6 address (code
# 110), netd putting it back; DEL flushing the conntrack entries of the
# guest's IPv6 address; DEL and a crashed ADD's DEL leaving no IPv6 address
# or route behind. No packets between guests: vmnet's IPv6 filtering is
# another piece of work. All of it again for IPv6-only networks (no IPv4
# range), which in addition have no IPv4 anywhere: not in the result, on
# the host devices, in the VM netns (the IPAM result's IPv4 route is left
# out) or in inet vmnet's IPv4 sets.
#
#   tests/integ/t_attach6.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq nft radvd sysctl socat conntrack
NETD=$B/netd
need_bins "$VMNET" "$B/vmnet-ipam" "$NETD"
world_init
host_ns
SOCK=$W_TMP/netd.sock

# ---------------------------------------------------------------- the uplink

# The host namespace takes its IPv6 default route from router
# advertisements on its uplink, as a host configured by SLAAC does.
wan6_setup uplink6 2001:db8:6::
ip netns exec "$HOST_NS" sysctl -qw net.ipv6.conf.all.forwarding=0 \
	"net.ipv6.conf.$WAN6_IF.accept_ra=1" net.ipv6.conf.default.accept_ra=1
hsysctl() { ip netns exec "$HOST_NS" sysctl -n "$1"; }
for i in $(seq 150); do
	[ "$(default6 "$HOST_NS" "$WAN6_IF")" = "$WAN6_LL" ] && break
	sleep 0.1
done
t_eq "before any ADD: the host namespace has its RA-learned default route, forwarding off" \
	"$(default6 "$HOST_NS" "$WAN6_IF") $(hsysctl net.ipv6.conf.all.forwarding)" "$WAN6_LL 0"

# ---------------------------------------------------------------- helpers

# conf6 MODE WIRING NAME K: a dual-stack network 10.7K.0.0/24 + fd7K::/56
# (shared: /64), with IPAM routes: IPv4 and IPv6 default, and 2001:db8:9K::/48
# without gateway (via the guest's IPv6 gateway). Isolated host wiring
# takes /126 blocks, isolated netns wiring the default /64 ones. FAM=v6only:
# the IPv6 range alone (an IPv6-only network).
FAM=dual
conf6() {
	local mode=$1 w=$2 name=$3 k=$4 sub6=fd7$4::/56 jqx
	[ "$mode" = shared ] && sub6=fd7$4::/64
	jqx=".ipam.ranges += [[{subnet: \"$sub6\"}]] |
		.ipam.routes = [{dst: \"0.0.0.0/0\"}, {dst: \"::/0\"}, {dst: \"2001:db8:9$k::/48\"}]"
	[ "$mode/$w" = isolated/host ] && jqx+=' | .ipam.blockSize6 = 126'
	# A published port: DEL flushes the guest's conntrack entries then.
	jqx+=" | .runtimeConfig.portMappings = [{hostPort: 5050$k, containerPort: 53, protocol: \"udp\"}]"
	[ "$FAM" = v6only ] && jqx+=" | .ipam.ranges = [.ipam.ranges[1]]"
	conf_net "$mode" "$w" "$name" "10.7$k.0.0/24" "$jqx"
}

# addr6 NS DEV ADDR/LEN: the line of ADDR/LEN on DEV ("" if absent).
addr6() { ip -n "$1" -6 -o addr show dev "$2" 2>/dev/null | grep -F " $3 "; }

# t_addr6 NAME NS DEV ADDR/LEN: DEV has ADDR/LEN, neither tentative nor
# dadfailed (read once, right away: no waiting for DAD).
t_addr6() {
	local l
	l=$(addr6 "$2" "$3" "$4")
	if [ -z "$l" ]; then
		not_ok "$1" "no $4 on $3: $(ip -n "$2" -6 -o addr show dev "$3" 2>&1)"
	elif grep -qE 'tentative|dadfailed' <<<"$l"; then
		not_ok "$1" "$l"
	else
		ok "$1"
	fi
}

# v6_left K: what of fd7K:: and 2001:db8:9K:: the host namespace still has
# (addresses and routes).
v6_left() {
	{
		ip -n "$HOST_NS" -6 -o addr show
		ip -n "$HOST_NS" -6 route show table all
	} 2>/dev/null | grep -E "fd7$1:|2001:db8:9$1:" || true
}

# ct6 ADDR: conntrack entries in HOST_NS whose reply comes from ADDR.
ct6() {
	ip netns exec "$HOST_NS" conntrack -L -f ipv6 --reply-src "$1" 2>/dev/null | grep -c .
}

# netd_repair: one reconcile pass of a netd started for it, then stopped.
netd_repair() {
	netd_start || return 1
	nc_ reconcile >/dev/null
	local rc=$?
	kill_pid "$NETD_PID"
	return $rc
}

# netd_pass: what one reconcile pass of a netd started for it says (into
# REPLY), then stopped.
netd_pass() {
	netd_start || return 1
	REPLY=$(nc_ reconcile 2>&1)
	kill_pid "$NETD_PID"
}

# no_ipv4 T MODE WIRING RES DEV VM: an IPv6-only attachment has no IPv4
# anywhere (result, host device, VM netns, nft).
no_ipv4() {
	local t=$1 mode=$2 w=$3 res=$4 dev=$5 vm=$6
	t_eq "$t: the result has no IPv4 entry" \
		"$(jq -c '[.ips[] | select(.address | contains(":") | not)]' <<<"$res")" "[]"
	t_eq "$t: $dev has no IPv4 address" "$(ip -n "$HOST_NS" -4 -o addr show dev "$dev")" ""
	if [ "$w" = netns ]; then
		t_eq "$t: the VM netns has no IPv4 address or route (IPAM's 0.0.0.0/0 left out)" \
			"$(ip -n "$vm" -4 -o addr show scope global; ip -n "$vm" -4 route show)" ""
	fi
	t_eq "$t: inet vmnet's IPv4 sets (and port_ip4) hold nothing" "$(v4_elems)" 0
}

# ---------------------------------------------------------------- the cases

one() {
	local mode=$1 w=$2 k=$3 t="$FAM $1/$2" net=n6$3 conf res ip6 gw6 pfx hdev vm cid=c$3 dev
	[ "$FAM" = v6only ] && net=n6o$k && cid=o$k
	conf=$(conf6 "$mode" "$w" "$net" "$k")
	vm_ns "vm$k$FAM"
	vm=$REPLY
	if ! plugin ADD id="$cid" ns="$vm" conf="$conf"; then
		not_ok "$t: ADD" "$(cni_report)"
		return
	fi
	res=$CNI_OUT
	ip6=$(jq -r '[.ips[] | select(.address | contains(":"))][0].address // empty' <<<"$res")
	gw6=$(jq -r '[.ips[] | select(.address | contains(":"))][0].gateway // empty' <<<"$res")
	pfx=${ip6#*/}
	case $ip6 in fd7"$k":*) ok "$t: ADD, result has the IPv6 entry $ip6 via $gw6" ;;
	*) not_ok "$t: ADD, result has an IPv6 entry in fd7$k::" "$res" ;; esac
	# Read at once, before anything else: ADD did not wait for DAD, and
	# nothing is tentative after it returned.
	if [ "$mode" = shared ]; then
		dev=vb-$net
		t_addr6 "$t: bridge $dev has the gateway $gw6/$pfx, not tentative" "$HOST_NS" "$dev" "$gw6/$pfx"
	else
		dev=$(json_get "$res" '.interfaces[0].name')
		t_addr6 "$t: routed link $dev has the gateway $gw6/$pfx, not tentative" "$HOST_NS" "$dev" "$gw6/$pfx"
	fi
	if [ "$w" = netns ]; then
		t_addr6 "$t: eth0 in the VM netns has the guest's $ip6, not tentative" "$vm" eth0 "$ip6"
		# eth0 has the guest's MAC: a link-local of its own would be the
		# guest's, and its DAD probe would reach the guest through the tap.
		t_eq "$t: eth0 and the tap in the VM netns have no link-local address" \
			"$(ip -n "$vm" -6 -o addr show scope link 2>/dev/null)" ""
		t_eq "$t: VM netns IPv6 routes: default and 2001:db8:9$k::/48 via $gw6" \
			"$(ip -n "$vm" -6 route show default dev eth0 | awk '{ print $3 }') $(ip -n "$vm" -6 route show 2001:db8:9"$k"::/48 | awk '{ print $3 }')" \
			"$gw6 $gw6"
	fi
	if [ "$FAM" = v6only ]; then
		no_ipv4 "$t" "$mode" "$w" "$res" "$dev" "$vm"
	else
		t_ok "$t: inet vmnet's IPv4 sets and maps hold the guest's elements" test "$(v4_elems)" -ge 4
	fi
	t_eq "$t: the host namespace routes ${ip6%/*} through $dev" \
		"$(ip -n "$HOST_NS" -6 route get "${ip6%/*}" 2>&1 | grep -o "dev [^ ]*")" "dev $dev"
	hdev=$(json_get "$res" "[.interfaces[] | select((.sandbox // \"\") == \"\") | .name] | last")
	# The routed device (the bridge, or the isolated host end) is a
	# router's: no RAs taken, no DAD; a bridge port has no IPv6 at all
	# (no link-local, no fe80::/64 or ff00::/8 route of its own).
	if [ "$mode" = shared ]; then
		t_eq "$t: bridge port $hdev has IPv6 off (disable_ipv6), no address, no route" \
			"$(hsysctl "net.ipv6.conf.$hdev.disable_ipv6") $(ip -n "$HOST_NS" -6 -o addr show dev "$hdev" | wc -l) $(ip -n "$HOST_NS" -6 route show table all dev "$hdev" | wc -l)" \
			"1 0 0"
	fi
	for d in $([ "$mode" = shared ] && echo "$dev" || echo "$hdev"); do
		t_eq "$t: $d has IPv6, takes no RAs and does no DAD (disable_ipv6 accept_ra accept_dad)" \
			"$(hsysctl "net.ipv6.conf.$d.disable_ipv6") $(hsysctl "net.ipv6.conf.$d.accept_ra") $(hsysctl "net.ipv6.conf.$d.accept_dad")" "0 0 0"
	done
	t_eq "$t: IPv6 forwarding on; the RA uplink has accept_ra=2 and its default route" \
		"$(hsysctl net.ipv6.conf.all.forwarding) $(hsysctl "net.ipv6.conf.$WAN6_IF.accept_ra") $(default6 "$HOST_NS" "$WAN6_IF")" \
		"1 2 $WAN6_LL"
	t_plugin "$t: CHECK passes" CHECK id="$cid" ns="$vm" conf="$(with_prev "$conf" "$res")"
	# netd's full pass checks the elements against one dump of the sets
	# (lib/nft_snap.c): an attachment in place needs nothing, the table
	# stays (IPv6 keys and data compared as the kernel holds them).
	netd_pass
	t_match "$t: a netd pass finds it in place: nothing repaired, the table not restored" \
		"$REPLY" "records: 0 repaired, 0 removed, table in place, 0 errors"

	# An IPv6 address taken away by hand: the guest's in the VM netns, or
	# (host wiring) the gateway's.
	if [ "$w" = netns ]; then
		ip -n "$vm" -6 addr del "$ip6" dev eth0
	else
		ip -n "$HOST_NS" -6 addr del "$gw6/$pfx" dev "$dev"
	fi
	CNI_DETAILS='IPv6' t_plugin_code "$t: CHECK after the IPv6 address was removed: code 110" 110 \
		CHECK id="$cid" ns="$vm" conf="$(with_prev "$conf" "$res")"
	t_ok "$t: netd reconciles" netd_repair
	t_plugin "$t: CHECK passes after netd's repair" CHECK id="$cid" ns="$vm" conf="$(with_prev "$conf" "$res")"
	if [ "$w" = netns ]; then
		t_addr6 "$t: the guest's $ip6 is back, not tentative" "$vm" eth0 "$ip6"
		# An IPv6 route of the result taken away in the VM netns.
		ip -n "$vm" -6 route del "2001:db8:9$k::/48"
		CNI_DETAILS="lacks the route 2001:db8:9$k::/48 via $gw6" t_plugin_code \
			"$t: CHECK after the IPv6 route was removed: code 110" 110 \
			CHECK id="$cid" ns="$vm" conf="$(with_prev "$conf" "$res")"
		t_ok "$t: netd reconciles" netd_repair
		t_plugin "$t: CHECK passes after netd put the route back" CHECK id="$cid" ns="$vm" \
			conf="$(with_prev "$conf" "$res")"
	else
		t_addr6 "$t: the gateway $gw6/$pfx is back, not tentative" "$HOST_NS" "$dev" "$gw6/$pfx"
	fi

	# A flow towards the guest's IPv6 address (conntrack tracks what the
	# host sends; nobody answers).
	ip netns exec "$HOST_NS" socat -u - "UDP6:[${ip6%/*}]:53" <<<x 2>/dev/null
	t_eq "$t: a conntrack entry with the guest's ${ip6%/*} as reply source" \
		"$(ct6 "${ip6%/*}")" 1
	t_plugin "$t: DEL" DEL id="$cid" ns="$vm" conf="$conf"
	t_eq "$t: DEL flushed the conntrack entries of ${ip6%/*}" "$(ct6 "${ip6%/*}")" 0
	t_eq "$t: after DEL the host namespace has no IPv6 address or route of the network" "$(v6_left "$k")" ""
	t_eq "$t: ... and its uplink still has its default route" "$(default6 "$HOST_NS" "$WAN6_IF")" "$WAN6_LL"
	if [ "$w" = netns ]; then
		t_eq "$t: ... and the VM netns no global IPv6 address" \
			"$(ip -n "$vm" -6 -o addr show scope global 2>/dev/null)" ""
	fi

	# An ADD that dies (before its kernel work, after it): its DEL leaves
	# nothing.
	for fp in add-after-ipam add-after-attach; do
		ip netns exec "$HOST_NS" env -i PATH="$PATH" VMNET_FAILPOINT=$fp CNI_COMMAND=ADD \
			CNI_CONTAINERID="x$cid" CNI_IFNAME=eth0 CNI_NETNS="/run/netns/$vm" CNI_PATH="$B" \
			VMNET_NETD_SOCKET="$W_TMP/no-netd.sock" "$VMNET" <<<"$conf" >"$W_TMP/crash.out" 2>&1
		t_eq "$t: an ADD killed at failpoint $fp" "$?" 99
		t_plugin "$t: DEL of the crashed ADD" DEL id="x$cid" ns="$vm" conf="$conf"
		t_eq "$t: after it, no IPv6 address or route of the network" "$(v6_left "$k")" ""
		t_eq "$t: ... nor in the VM netns" \
			"$(ip -n "$vm" -6 -o addr show scope global 2>/dev/null)" ""
	done

	# GC with no valid attachment takes an attachment down the same way.
	t_plugin "$t: ADD g$cid" ADD id="g$cid" ns="$vm" conf="$conf"
	t_ok "$t: ... with its IPv6 gateway in place" test -n "$(v6_left "$k")"
	t_plugin "$t: GC with no valid attachment" GC \
		conf="$(jq -c '.cniVersion = "1.1.0" | .["cni.dev/valid-attachments"] = []' <<<"$conf")"
	t_eq "$t: after GC, no IPv6 address or route of the network" "$(v6_left "$k")" ""
	t_eq "$t: ... nor in the VM netns" "$(ip -n "$vm" -6 -o addr show scope global 2>/dev/null)" ""
}

each_mode one
FAM=v6only
each_mode one

# ---------------------------------------------------------------- a user's bridge

# A bridge vmnet did not make may be the host's own uplink: it gets the IPv6
# gateway address, but its sysctls are left alone (forwarding is on by now,
# so nothing turns its accept_ra=1 into 2 either).
UB=ub6-$$
UB=${UB:0:15}
ip -n "$HOST_NS" link add "$UB" type bridge && ip -n "$HOST_NS" link set "$UB" up
ip netns exec "$HOST_NS" sysctl -qw "net.ipv6.conf.$UB.accept_ra=1" "net.ipv6.conf.$UB.accept_dad=1"
conf=$(conf_shared n6u "$UB" 10.79.0.0/24 10.79.0.1 '.ipam.ranges += [[{subnet: "fd79::/64"}]]')
vm_ns vmu
t_plugin "a user's bridge: dual-stack ADD" ADD id=cu ns="$REPLY" conf="$conf"
t_addr6 "a user's bridge: it has the IPv6 gateway, not tentative" "$HOST_NS" "$UB" \
	"$(jq -r '[.ips[] | select(.address | contains(":"))][0].gateway' <<<"$CNI_OUT")/64"
t_eq "a user's bridge: its accept_ra and accept_dad are as they were" \
	"$(hsysctl "net.ipv6.conf.$UB.accept_ra") $(hsysctl "net.ipv6.conf.$UB.accept_dad")" "1 1"
t_plugin "a user's bridge: DEL" DEL id=cu ns="$REPLY" conf="$conf"

# ---------------------------------------------------------------- a lost record

# The record gone (deleted by hand): DEL takes the IPv6 address from
# prevResult, as it does the IPv4 one, and removes what is keyed by it. A
# record a crash cut short: DEL without prevResult finds the address through
# the device's own elements (spoof6 / port_ip6).
# The same for an IPv6-only guest (lost6, damaged6).
for how in lost damaged lost6 damaged6; do
	conf=$(conf_shared "n6$how" "vb6$how" 10.78.0.0/24 10.78.0.1 '.ipam.ranges += [[{subnet: "fd78::/64"}]]')
	case $how in damaged*) conf=$(jq -c '.mode = "isolated" | del(.bridge) | .ipam.blockSize = 30' <<<"$conf") ;; esac
	case $how in *6) conf=$(jq -c '.ipam.ranges = [.ipam.ranges[1]]' <<<"$conf") ;; esac
	vm_ns "vm$how"
	ns=$REPLY
	t_plugin "$how record: ADD" ADD id="c$how" ns="$ns" conf="$conf"
	ip6=$(jq -r '[.ips[] | select(.address | contains(":"))][0].address' <<<"$CNI_OUT")
	ip6=${ip6%/*}
	t_ok "$how record: ${ip6} is in guests6" nft_has_elem guests6 "$ip6"
	rp=$(record_path "n6$how" "c$how" eth0)
	case $how in lost*) rm -f "$rp" ;; *) head -c 40 "$rp" >"$rp.cut" && mv "$rp.cut" "$rp" ;; esac
	if [ "${how#lost}" != "$how" ]; then
		t_plugin "$how record: DEL with prevResult" DEL id="c$how" ns="$ns" conf="$(with_prev "$conf" "$CNI_OUT")"
	else
		t_plugin "$how record: DEL without prevResult" DEL id="c$how" ns="$ns" conf="$conf"
	fi
	if nft_has_elem guests6 "$ip6"; then
		not_ok "$how record: nothing of ${ip6} is left in inet vmnet" "$(hnft list table inet vmnet | grep -F "$ip6")"
	else
		ok "$how record: nothing of ${ip6} is left in guests6"
	fi
done

# ---------------------------------------------------------------- stale elements

# Stale elements no record names (a lost record's) at the address an
# IPv6-only ADD is given: that ADD finds them through guests6 and removes
# them; a mapping to another address stays.
t_ok "stale IPv6 elements planted" hnft add element inet vmnet \
	ports6 "{ tcp . 8125 : fd7e::2 . 80, tcp . 8126 : fd7e::3 . 80 }"
hnft add element inet vmnet guests6 "{ fd7e::2 }"
conf=$(conf_shared n6stale vb6stale 10.77.0.0/24 10.77.0.1 '.ipam.ranges = [[{subnet: "fd7e::/64"}]]')
vm_ns vmstale
t_plugin "IPv6-only ADD given fd7e::2" ADD id=cstale ns="$REPLY" conf="$conf"
t_eq "... its address" "$(json_get "$CNI_OUT" '.ips[0].address')" "fd7e::2/64"
t_fail "... ports6 no longer maps tcp/8125 to it" sh -c \
	"ip netns exec $HOST_NS nft list map inet vmnet ports6 | grep -q ' 8125 :'"
t_ok "... the mapping to fd7e::3 stays" sh -c \
	"ip netns exec $HOST_NS nft list map inet vmnet ports6 | grep -q ' 8126 : fd7e::3'"
hnft delete element inet vmnet ports6 "{ tcp . 8126 }"
t_plugin "... and its DEL" DEL id=cstale ns="$REPLY" conf="$conf"

t_done
