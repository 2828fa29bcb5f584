#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# vmnet's nftables rules for IPv6 (issue 14), with real packets: dual-stack
# networks (vmnet-ipam ranges of both families) in shared and isolated mode,
# in both wirings (VMNET_WIRING), guest stand-ins (fakevm) with their IPv6
# address, a wan reached over IPv6.
#   - NAT66: a guest's connection to the wan arrives from the host's wan
#     address; with ipMasq6 false it arrives from the guest's own address;
#     a connection routed to a NAT network's guest is dropped (closed6);
#   - published ports over IPv6 from the wan, from the host itself and
#     hairpin (a guest to its own published port); a hostIP of one family
#     publishes only on that family;
#   - a spoofed IPv6 source, a neighbour advertisement for another guest's
#     address, a router advertisement and a DHCPv6 server reply from a guest
#     are dropped, each counted (spoof_drop, ra_drop, dhcp6_server_drop);
#   - isolated mode: VM-to-VM IPv6 only within a group; host access limited
#     to ICMPv6, DHCPv6 and DNS;
#   - `nft list ruleset` -> `nft -f` gives the same bytecode, and the
#     packets above behave the same after it; DEL leaves no element.
# The guest stand-in gets the result's IPv6 address and default route by
# hand (nodad), as a guest would by DHCPv6; vmnet puts the gateway on the
# bridge or the isolated link's host end (t_attach6 checks it; guest_up6 adds it
# only if it were missing, so packets here are tested either way).
#
#   tests/integ/t_nft6.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

need_cmds sysctl
need_bins "$B/tools/nftdump"
guest_world wan

# The wan routes both shared networks' prefixes to the host: the NAT one
# stays closed (closed6), the one with ipMasq6 false is reached and answers.
wan_ip6 2001:db8:ff::1 2001:db8:ff::10 8090 fd66::/16 fd67::/16
# A host service an isolated guest must not reach (no hostAccess).
host_serve6 7070 host

# A guest's packets the kernel would not send as asked: raw ICMPv6 (RA, NA
# for a target) and UDP from the DHCPv6 server port, to all nodes of eth0.
cat >"$W_TMP/send6.py" <<'EOF'
import socket, struct, sys
kind, ifn = sys.argv[1], sys.argv[2]
idx = socket.if_nametoindex(ifn)
if kind == "dhcp6":
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("::", 547))
    s.sendto(b"\x07\x00\x00\x01", ("ff02::1", 546, 0, idx))  # a DHCPv6 Reply
    sys.exit(0)
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
if kind == "ra":  # router lifetime 1800 s
    msg = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
else:  # unsolicited, override: "the target is mine"
    msg = struct.pack("!BBHI", 136, 0, 0, 0x20000000) + socket.inet_pton(socket.AF_INET6, sys.argv[3])
s.sendto(msg, ("ff02::1", 0, 0, idx))
EOF

declare -A G6 GW6 R NS CONF

# scenario WIRING K: every check above, for the guests of one wiring (names
# WIRING-sa ..., networks s6K, r6K, i6K), then DEL of them all.
scenario() {
	w=$1 k=$2
	sa=$w-sa sb=$w-sb rc=$w-rc ia=$w-ia ib=$w-ib ic=$w-ic sd=$w-sd id=$w-id
	S=$(conf_net shared "$w" "s6$k" "10.66.$k.0/24" \
		".ipam.ranges = [[{subnet: \"10.66.$k.0/24\"}], [{subnet: \"fd66:$k::/64\"}]]")
	CONF[$sa]=$(jq -c '.runtimeConfig.portMappings = [{hostPort: 8080, containerPort: 80, protocol: "tcp"}]' <<<"$S")
	CONF[$sb]=$(jq -c '.runtimeConfig.portMappings = [
		{hostPort: 8082, containerPort: 80, protocol: "tcp", hostIP: "0.0.0.0"},
		{hostPort: 8083, containerPort: 80, protocol: "tcp", hostIP: "::"}]' <<<"$S")
	CONF[$rc]=$(conf_net shared "$w" "r6$k" "10.67.$k.0/24" \
		".ipMasq6 = false | .ipam.ranges = [[{subnet: \"10.67.$k.0/24\"}], [{subnet: \"fd67:$k::/64\"}]]")
	I=$(conf_net isolated "$w" "i6$k" "10.68.$k.0/24" \
		".ipam.ranges = [[{subnet: \"10.68.$k.0/24\"}], [{subnet: \"fd68:$k::/56\"}]]")
	CONF[$ia]=$(jq -c '.runtimeConfig.vmnetGroup = "red"' <<<"$I")
	CONF[$ib]=$(jq -c '.runtimeConfig.vmnetGroup = "red" | .hostAccess = true' <<<"$I")
	CONF[$ic]=$(jq -c '.runtimeConfig.vmnetGroup = "blue"' <<<"$I")
	# IPv4-only guests of both modes: they send no IPv6 at all.
	CONF[$sd]=$(conf_net shared "$w" "s4$k" "10.69.$k.0/24")
	CONF[$id]=$(conf_net isolated "$w" "i4$k" "10.70.$k.0/24")
	GUESTS="$sa $sb $rc $ia $ib $ic"

	for n in $GUESTS; do
		vm_ns "$n" && NS[$n]=$REPLY
		t_plugin "ADD $n (dual stack)" ADD id="$P$n" ns="${NS[$n]}" conf="${CONF[$n]}" ||
			bail "ADD $n failed"
		R[$n]=$CNI_OUT
		t_ok "guest stand-in $n" guest_up "$n" "${R[$n]}" "${NS[$n]}"
		t_ok "$n's IPv6 half" guest_up6 "$n" "${R[$n]}"
	done
	for n in $sd $id; do
		vm_ns "$n" && NS[$n]=$REPLY
		t_plugin "ADD $n (IPv4 only)" ADD id="$P$n" ns="${NS[$n]}" conf="${CONF[$n]}" ||
			bail "ADD $n failed"
		R[$n]=$CNI_OUT
		t_ok "guest stand-in $n" guest_up "$n" "${R[$n]}" "${NS[$n]}"
	done
	GUESTS="$GUESTS $sd $id"
	t_ok "guests6 holds sa's address" nft_has_elem guests6 "${G6[$sa]}"
	t_ok "masq6 holds sa's (ipMasq6 follows ipMasq)" nft_has_elem masq6 "${G6[$sa]}"
	t_ok "...not rc's (ipMasq6 false)" sh -c "! ip netns exec $HOST_NS nft list set inet vmnet masq6 | grep -qF '${G6[$rc]}'"
	t_ok "CHECK of a dual-stack attachment passes" plugin CHECK id="$P$sa" ns="${NS[$sa]}" \
		conf="$(with_prev "${CONF[$sa]}" "${R[$sa]}")"

	# no6 NAME FAMILY: a guest without IPv6 pings its host device's
	# link-local address from its own: no answer, FAMILY's spoof_drop rises.
	no6() {
		local before after ll
		ll=$(link_local "$HOST_NS" "$(json_get "${R[$1]}" '.interfaces[0].name')") || return 1
		before=$(nft_packets "$2" spoof_drop)
		guest_noping "$1" "$ll%eth0" || return 1
		after=$(nft_packets "$2" spoof_drop)
		[[ $before =~ ^[0-9]+$ && $after =~ ^[0-9]+$ ]] && [ "$after" -gt "$before" ] && return 0
		echo "spoof_drop: $before -> $after"
		return 1
	}

	# v6_discarded NAME: an IPv4-only isolated guest's host end has IPv6
	# off (disable_ipv6), so the kernel discards the guest's IPv6 there,
	# before any rule: its Ip6InDiscards rises when the guest sends an RA.
	v6_discarded() {
		local dev before after
		dev=$(json_get "${R[$1]}" '.interfaces[0].name')
		[ "$(ip netns exec "$HOST_NS" sysctl -n "net.ipv6.conf.$dev.disable_ipv6")" = 1 ] ||
			{ echo "$dev: disable_ipv6 is not 1"; return 1; }
		before=$(in_discards "$dev")
		in_guest "$1" python3 "$W_TMP/send6.py" ra eth0 || return 1
		after=$(in_discards "$dev")
		[[ $before =~ ^[0-9]+$ && $after =~ ^[0-9]+$ ]] && [ "$after" -gt "$before" ] && return 0
		echo "$dev Ip6InDiscards: $before -> $after"
		return 1
	}
	in_discards() {
		ip netns exec "$HOST_NS" awk '$1 == "Ip6InDiscards" { print $2 }' "/proc/net/dev_snmp6/$1"
	}

	# sent_dropped NAME FAMILY COUNTER KIND [ARG]: send6.py KIND from the guest;
	# FAMILY's COUNTER rises.
	sent_dropped() {
		local before after
		before=$(nft_packets "$2" "$3")
		in_guest "$1" python3 "$W_TMP/send6.py" "$4" eth0 ${5:+"$5"} || return 1
		sleep 0.3
		after=$(nft_packets "$2" "$3")
		if [[ $before =~ ^[0-9]+$ && $after =~ ^[0-9]+$ ]] && [ "$after" -gt "$before" ]; then
			return 0
		fi
		echo "$3: $before -> $after"
		return 1
	}

	# The behaviour that must survive the round trip.
	prove() {
		local t="[$w $1]" before
		t_eq "$t sa -> wan over IPv6 is masqueraded to the host's wan address" "$(wan_saw "$sa")" \
			"$WAN6_HOST"
		t_eq "$t rc (ipMasq6 false) -> wan keeps its own address" "$(wan_saw "$rc")" "${G6[$rc]}"
		t_eq "$t ia (isolated) -> wan over IPv6 is masqueraded" "$(wan_saw "$ia")" "$WAN6_HOST"
		before=$(nft_packets inet inbound_drop)
		t_eq "$t wan -> sa's address, routed: nothing (NAT network, closed6)" \
			"$(get6 "$WAN_NS" "${G6[$sa]}" 80)" ""
		t_rose "$t inbound_drop rose" "$before" "$(nft_packets inet inbound_drop)"
		t_eq "$t wan -> rc's address, routed (ipMasq6 false): answers" \
			"$(get6 "$WAN_NS" "${G6[$rc]}" 80)" "tcp6-$rc"
		t_eq "$t wan -> [$WAN6_HOST]:8080 reaches sa" "$(get6 "$WAN_NS" "$WAN6_HOST" 8080)" "tcp6-$sa"
		t_eq "$t wan -> $WAN_HOST_IP:8080 reaches sa (both families)" \
			"$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" 8080)" "tcp-$sa"
		t_eq "$t the host itself -> [$WAN6_HOST]:8080 reaches sa" \
			"$(get6 "$HOST_NS" "$WAN6_HOST" 8080)" "tcp6-$sa"
		t_eq "$t hairpin: sa -> its own port [$WAN6_HOST]:8080" \
			"$(get6 "${G_NS[$sa]}" "$WAN6_HOST" 8080)" "tcp6-$sa"
		t_eq "$t sb's port with hostIP :: answers over IPv6" "$(get6 "$WAN_NS" "$WAN6_HOST" 8083)" "tcp6-$sb"
		t_eq "$t ...and not over IPv4" "$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" 8083)" ""
		t_eq "$t sb's port with hostIP 0.0.0.0 answers over IPv4" \
			"$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" 8082)" "tcp-$sb"
		t_eq "$t ...and not over IPv6" "$(get6 "$WAN_NS" "$WAN6_HOST" 8082)" ""
		t_eq "$t sb -> sa over IPv6 on one bridge" "$(get6 "${G_NS[$sb]}" "${G6[$sa]}" 80)" "tcp6-$sa"
		t_eq "$t ib -> ia over IPv6, same group (red)" "$(get6 "${G_NS[$ib]}" "${G6[$ia]}" 80)" "tcp6-$ia"
		before=$(nft_packets inet iso_drop)
		t_eq "$t ic (blue) -> ia (red) over IPv6: nothing" "$(get6 "${G_NS[$ic]}" "${G6[$ia]}" 80)" ""
		t_eq "$t sa (shared) -> ia over IPv6: nothing" "$(get6 "${G_NS[$sa]}" "${G6[$ia]}" 80)" ""
		t_rose "$t iso_drop rose" "$before" "$(nft_packets inet iso_drop)"
		t_ok "$t ia pings its IPv6 gateway (ICMPv6 to the host)" guest_ping "$ia" "${GW6[$ia]}"
		t_eq "$t ia -> a host service over IPv6: nothing (no hostAccess)" \
			"$(get6 "${G_NS[$ia]}" "${GW6[$ia]}" 7070)" ""
		t_eq "$t sa (shared) -> the same host service answers" "$(get6 "${G_NS[$sa]}" "${GW6[$sa]}" 7070)" "host"
	t_eq "$t ib (hostAccess) -> the same host service answers" \
		"$(get6 "${G_NS[$ib]}" "${GW6[$ib]}" 7070)" "host"
	t_ok "$t sa pings the bridge's link-local address (a link-local source)" \
		guest_ping "$sa" "$(link_local "$HOST_NS" "$(json_get "${R[$sa]}" '.interfaces[0].name')")%eth0"
	t_ok "$t sd (IPv4 only) sends no IPv6: bridge spoof_drop rose" no6 "$sd" bridge
	t_ok "$t id (IPv4 only) sends no IPv6: its host end has IPv6 off and discards it" \
		v6_discarded "$id"
		t_ok "$t spoofed IPv6 source from sa: bridge spoof_drop rose" spoof_src6 "$sa" bridge
		t_ok "$t spoofed IPv6 source from ia: inet spoof_drop rose" spoof_src6 "$ia" inet
	}

	prove before

	before=$(ra_in "${G_NS[$sb]}")
	t_ok "RA from sa: bridge ra_drop rose" sent_dropped "$sa" bridge ra_drop ra
	t_eq "...and sb never saw it" "$(ra_in "${G_NS[$sb]}")" "$before"
	t_ok "RA from ia: inet ra_drop rose" sent_dropped "$ia" inet ra_drop ra
	before=$(na_in "${G_NS[$sb]}")
	t_ok "NA from sa for sb's address: bridge spoof_drop rose" sent_dropped "$sa" bridge spoof_drop na "${G6[$sb]}"
	t_eq "...and sb never saw it" "$(na_in "${G_NS[$sb]}")" "$before"
	t_ok "NA from ia for ib's address: inet spoof_drop rose" sent_dropped "$ia" inet spoof_drop na "${G6[$ib]}"
	# sa's NA for its own address goes to all nodes (ff02::1): sb, on the
	# same bridge, receives it. Not told by spoof_drop standing still: that
	# counter is every guest's, and the neighbour discovery of the spoofing
	# checks above (sd's, sa's spoofed source) still retransmits for a few
	# seconds, into the bridge's drop.
	before=$(na_in "${G_NS[$sb]}")
	in_guest "$sa" python3 "$W_TMP/send6.py" na eth0 "${G6[$sa]}"
	t_ok "NA from sa for its own address reaches sb on its bridge" na_arrives "${G_NS[$sb]}" "$before"
	t_ok "DHCPv6 reply from sa: bridge dhcp6_server_drop rose" sent_dropped "$sa" bridge dhcp6_server_drop dhcp6
	t_ok "DHCPv6 reply from ia: inet dhcp6_server_drop rose" sent_dropped "$ia" inet dhcp6_server_drop dhcp6

	hnft list ruleset >"$W_TMP/rules.nft" 2>"$W_TMP/list.err"
	t_eq "nft list ruleset exits 0" "$?" 0
	t_eq "nft list ruleset writes nothing on stderr" "$(cat "$W_TMP/list.err")" ""
	t_match "the ND target rule is listed whole" "$(cat "$W_TMP/rules.nft")" \
		'icmpv6 type nd-neighbor-advert @th,64,64 != 0xfe80000000000000 iifname \. @th,64,128 != @port_nd6'
	nft_dump >"$W_TMP/before.dump"
	hnft flush ruleset
	t_ok "nft -f reads the listing back" hnft -f "$W_TMP/rules.nft"
	nft_dump >"$W_TMP/after.dump"
	t_dumps_same "$W_TMP/before.dump" "$W_TMP/after.dump"

	prove after

	guests_del ""
}

each_wiring scenario

t_done
