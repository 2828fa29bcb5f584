#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# IPv6-only networks (issue 14), with real packets: vmnet-ipam with an IPv6
# range alone, shared and isolated mode (default /64 blocks), in both wirings
# (VMNET_WIRING), guest stand-ins (fakevm) with only their IPv6 address.
#   - the result and inet vmnet carry no IPv4 of the guests; CHECK passes;
#   - NAT66: a guest's connection to the wan arrives from the host's wan
#     address; a connection routed from the wan to a guest is dropped;
#   - a port published without hostIP answers over IPv6 from the wan, the
#     host and hairpin, and not over IPv4 (the guest has no IPv4 address);
#   - IPv4 from an IPv6-only guest is dropped and counted (spoof_drop of the
#     bridge or inet family), as IPv6 from an IPv4-only guest is;
#   - a spoofed IPv6 source is dropped;
#   - shared: guests reach each other over IPv6; isolated: only within a
#     group (iso_drop otherwise), host services closed without hostAccess;
#   - DEL leaves no element.
#
#   tests/integ/t_v6only.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

need_cmds sysctl
need_bins "$B/tools/nftdump"
guest_world wan

# The wan routes the networks' prefixes to the host: they stay closed (closed6).
wan_ip6 2001:db8:fe::1 2001:db8:fe::10 8090 fd86::/16
# A host service an isolated guest must not reach (no hostAccess).
host_serve6 7070 host

declare -A G6 GW6 R NS CONF HMAC

# up NAME RESULT: the guest stand-in (lib.sh's guest_attach takes ips[0],
# here the IPv6 address, and its gateway as default route), its address out
# of DAD, a TCP server on [address]:80 ("tcp6-NAME").
up() {
	local n=$1 res=$2 i
	G6[$n]=$(jq -r '.ips[0].address | split("/")[0]' <<<"$res")
	GW6[$n]=$(json_get "$res" '.ips[0].gateway')
	HMAC[$n]=$(json_get "$res" '.interfaces[0].mac')
	case ${G6[$n]} in *:*) ;; *) echo "ips[0] is not IPv6: $res"; return 1 ;; esac
	guest_attach "$n" "$res" "${NS[$n]}" || return 1
	for i in $(seq 50); do
		[ -z "$(in_guest "$n" ip -6 addr show dev eth0 tentative)" ] && break
		sleep 0.1
	done
	in_guest "$n" socat "TCP6-LISTEN:80,bind=[${G6[$n]}],reuseaddr,fork" \
		"SYSTEM:echo tcp6-$n" </dev/null >/dev/null 2>&1 &
	track_pid $!
	wait_listen "${G_NS[$n]}" tcp 80 && guest_ping "$n" "${GW6[$n]}" >/dev/null
}

# ipv4_dropped NAME FAMILY: the guest gives itself an IPv4 address and sends
# UDP to an IPv4 address behind its host device (a static neighbour entry:
# nobody answers its ARP); FAMILY's spoof_drop rises.
ipv4_dropped() {
	local n=$1 before after
	before=$(nft_packets "$2" spoof_drop)
	in_guest "$n" ip addr add 192.0.2.5/24 dev eth0
	in_guest "$n" ip neigh replace 192.0.2.1 lladdr "${HMAC[$n]}" dev eth0
	echo x | in_guest "$n" timeout 3 socat -u - "UDP4:192.0.2.1:9999" 2>/dev/null
	sleep 0.3
	in_guest "$n" ip addr del 192.0.2.5/24 dev eth0
	after=$(nft_packets "$2" spoof_drop)
	[[ $before =~ ^[0-9]+$ && $after =~ ^[0-9]+$ ]] && [ "$after" -gt "$before" ] && return 0
	echo "spoof_drop: $before -> $after"
	return 1
}

# scenario WIRING K: the guests of one wiring (WIRING-sa ...), networks
# o6sK (shared, fd86:K::/64) and o6iK (isolated, fd86:1K::/56 in /64s).
scenario() {
	local w=$1 k=$2 t="[$1]" S I sa sb ia ib ic n before
	sa=$w-sa sb=$w-sb ia=$w-ia ib=$w-ib ic=$w-ic
	S=$(conf_net shared "$w" "o6s$k" "10.86.$k.0/24" ".ipam.ranges = [[{subnet: \"fd86:$k::/64\"}]]")
	CONF[$sa]=$(jq -c '.runtimeConfig.portMappings = [{hostPort: 8080, containerPort: 80, protocol: "tcp"}]' <<<"$S")
	CONF[$sb]=$S
	I=$(conf_net isolated "$w" "o6i$k" "10.86.1$k.0/24" ".ipam.ranges = [[{subnet: \"fd86:1$k::/56\"}]]")
	CONF[$ia]=$(jq -c '.runtimeConfig.vmnetGroup = "red"' <<<"$I")
	CONF[$ib]=$(jq -c '.runtimeConfig.vmnetGroup = "red"' <<<"$I")
	CONF[$ic]=$(jq -c '.runtimeConfig.vmnetGroup = "blue"' <<<"$I")
	GUESTS="$sa $sb $ia $ib $ic"
	for n in $GUESTS; do
		vm_ns "$n" && NS[$n]=$REPLY
		t_plugin "$t ADD $n (IPv6 only)" ADD id="$P$n" ns="${NS[$n]}" conf="${CONF[$n]}" ||
			bail "ADD $n failed"
		R[$n]=$CNI_OUT
		t_eq "$t $n's result has one address, IPv6" \
			"$(jq -r '[.ips[] | .address | contains(":")] | map(tostring) | join(" ")' <<<"${R[$n]}")" true
		t_ok "$t guest stand-in $n" up "$n" "${R[$n]}"
	done
	t_eq "$t isolated guests get a /64 each" "$(json_get "${R[$ia]}" '.ips[0].address' | cut -d/ -f2)" 64
	t_eq "$t inet vmnet holds no IPv4 of the guests" "$(v4_elems)" 0
	t_ok "$t guests6 holds sa's address" nft_has_elem guests6 "${G6[$sa]}"
	t_ok "$t masq6 holds ia's address" nft_has_elem masq6 "${G6[$ia]}"
	t_plugin "$t CHECK of an IPv6-only attachment passes" CHECK id="$P$sa" ns="${NS[$sa]}" \
		conf="$(with_prev "${CONF[$sa]}" "${R[$sa]}")"
	t_plugin "$t CHECK of an isolated IPv6-only attachment passes" CHECK id="$P$ia" ns="${NS[$ia]}" \
		conf="$(with_prev "${CONF[$ia]}" "${R[$ia]}")"

	t_eq "$t sa -> wan over IPv6 is masqueraded to the host's wan address" "$(wan_saw "$sa")" "$WAN6_HOST"
	t_eq "$t ia (isolated) -> wan over IPv6 is masqueraded" "$(wan_saw "$ia")" "$WAN6_HOST"
	before=$(nft_packets inet inbound_drop)
	t_eq "$t wan -> sa's address, routed: nothing (closed6)" "$(get6 "$WAN_NS" "${G6[$sa]}" 80)" ""
	t_rose "$t inbound_drop rose" "$before" "$(nft_packets inet inbound_drop)"
	t_eq "$t wan -> [$WAN6_HOST]:8080 reaches sa" "$(get6 "$WAN_NS" "$WAN6_HOST" 8080)" "tcp6-$sa"
	t_eq "$t wan -> $WAN_HOST_IP:8080 (IPv4): nothing, sa has no IPv4 address" \
		"$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" 8080)" ""
	t_eq "$t the host itself -> [$WAN6_HOST]:8080 reaches sa" "$(get6 "$HOST_NS" "$WAN6_HOST" 8080)" "tcp6-$sa"
	t_eq "$t hairpin: sa -> its own port [$WAN6_HOST]:8080" \
		"$(get6 "${G_NS[$sa]}" "$WAN6_HOST" 8080)" "tcp6-$sa"
	t_eq "$t sb -> sa over IPv6 on one bridge" "$(get6 "${G_NS[$sb]}" "${G6[$sa]}" 80)" "tcp6-$sa"
	t_eq "$t ib -> ia over IPv6, same group (red)" "$(get6 "${G_NS[$ib]}" "${G6[$ia]}" 80)" "tcp6-$ia"
	before=$(nft_packets inet iso_drop)
	t_eq "$t ic (blue) -> ia (red): nothing" "$(get6 "${G_NS[$ic]}" "${G6[$ia]}" 80)" ""
	t_rose "$t iso_drop rose" "$before" "$(nft_packets inet iso_drop)"
	t_ok "$t ia pings its IPv6 gateway" guest_ping "$ia" "${GW6[$ia]}"
	t_eq "$t ia -> a host service: nothing (no hostAccess)" "$(get6 "${G_NS[$ia]}" "${GW6[$ia]}" 7070)" ""
	t_eq "$t sa (shared) -> the same host service answers" "$(get6 "${G_NS[$sa]}" "${GW6[$sa]}" 7070)" "host"
	t_ok "$t IPv4 from sa (IPv6 only): bridge spoof_drop rose" ipv4_dropped "$sa" bridge
	t_ok "$t IPv4 from ia (IPv6 only): inet spoof_drop rose" ipv4_dropped "$ia" inet
	t_ok "$t spoofed IPv6 source from sa: bridge spoof_drop rose" spoof_src6 "$sa" bridge
	t_ok "$t spoofed IPv6 source from ia: inet spoof_drop rose" spoof_src6 "$ia" inet

	guests_del "$t "
}

each_wiring scenario

t_done
