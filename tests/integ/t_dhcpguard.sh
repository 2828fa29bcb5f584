#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Guests are no DHCP servers for each other (issue 11 item 8). A guest
# sends, on a raw socket: an offer from port 67 (broadcast and unicast), a
# forged offer from another port to a guest's port 68, and requests from
# 0.0.0.0 to another guest's port 67 (broadcast and unicast). Nothing of it
# reaches the other guests (counter dhcp_server_drop), in shared mode (bridge
# table: from and between guest ports) and isolated mode (even within an
# isolation group); the host still receives the guests' requests and its
# answers from port 67 still reach them; ordinary UDP between the guests
# still flows.
#
#   tests/integ/t_dhcpguard.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

guest_world

# udp_raw NS IFACE DST_MAC SRC_IP DST_IP SPORT DPORT TEXT: one Ethernet/IPv4/
# UDP frame written on a packet socket, so any source (0.0.0.0, port 67)
# goes out exactly as given.
cat >"$W_TMP/udp_raw.py" <<'PY'
import socket, struct, sys
ifn, dmac, sip, dip, sport, dport, text = sys.argv[1:8]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifn, 0))
smac = s.getsockname()[4]
payload = text.encode()
udp = struct.pack("!HHHH", int(sport), int(dport), 8 + len(payload), 0) + payload
hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                  socket.inet_aton(sip), socket.inet_aton(dip))
c = sum(struct.unpack("!10H", hdr))
c = (c & 0xffff) + (c >> 16)
c = (c & 0xffff) + (c >> 16)
hdr = hdr[:10] + struct.pack("!H", ~c & 0xffff) + hdr[12:]
s.send(bytes.fromhex(dmac.replace(":", "")) + smac + b"\x08\x00" + hdr + udp)
PY
udp_raw() {
	ip netns exec "$1" python3 "$W_TMP/udp_raw.py" "${@:2}"
}

# listen NS PORT FILE: append every datagram to UDP PORT (any address,
# broadcasts too) to FILE.
listen() {
	ip netns exec "$1" socat -u "UDP-RECV:$2,reuseaddr" "OPEN:$3,creat,append" </dev/null >/dev/null 2>&1 &
	track_pid $!
}

got() { file_has "$@"; }

declare -A NS CONF

up() {
	local n=$1
	CONF[$n]=$2
	vm_ns "$n" && NS[$n]=$REPLY
	t_plugin "[$n] ADD" ADD id="$P$n" ns="${NS[$n]}" conf="$2" args="${3:-}" || return 1
	t_ok "[$n] guest stand-in" guest_up "$n" "$CNI_OUT" "${NS[$n]}"
}

suite() {
	local mode=$1 w=$2 k=$3 t="[$1 $2]" a=$1-$2-a b=$1-$2-b conf fam=bridge before f
	local bmac gwmac
	[ "$mode" = isolated ] && fam=inet
	conf=$(conf_net "$mode" "$w" "dg$k" "10.74.$k.0/24")
	up "$a" "$conf" "IgnoreUnknown=1;VMNET_GROUP=one" || return
	up "$b" "$conf" "IgnoreUnknown=1;VMNET_GROUP=one" || return
	f=$W_TMP/$b
	listen "${G_NS[$b]}" 67 "$f.67"
	listen "${G_NS[$b]}" 68 "$f.68"
	listen "${G_NS[$b]}" 9000 "$f.9000"
	sleep 0.3
	bmac=${G_MAC[$b]}
	gwmac=$(ip -n "${G_NS[$a]}" neigh show "${G_GW[$a]}" | awk '{ print $5 }')
	# In isolated mode every frame goes to the gateway (the host end).
	[ "$mode" = isolated ] && bmac=$gwmac

	echo hello | in_guest "$a" socat -u - "UDP:${G_IP[$b]}:9000"
	t_ok "$t ordinary UDP between the guests flows" got "$f.9000" hello
	before=$(nft_packets "$fam" dhcp_server_drop)
	udp_raw "${G_NS[$a]}" eth0 ff:ff:ff:ff:ff:ff "${G_IP[$a]}" 255.255.255.255 67 68 offer-bcast
	udp_raw "${G_NS[$a]}" eth0 "$bmac" "${G_IP[$a]}" "${G_IP[$b]}" 67 68 offer-ucast
	udp_raw "${G_NS[$a]}" eth0 "$bmac" "${G_IP[$a]}" "${G_IP[$b]}" 1234 68 offer-forged
	udp_raw "${G_NS[$a]}" eth0 ff:ff:ff:ff:ff:ff 0.0.0.0 255.255.255.255 68 67 discover-bcast
	udp_raw "${G_NS[$a]}" eth0 "$bmac" 0.0.0.0 "${G_IP[$b]}" 68 67 discover-ucast
	udp_raw "${G_NS[$a]}" eth0 "$bmac" "${G_IP[$a]}" "${G_IP[$b]}" 68 67 request-ucast
	sleep 0.5
	t_eq "$t no DHCP from a reached b's port 68" "$(cat "$f.68" 2>/dev/null)" ""
	t_eq "$t no DHCP from a reached b's port 67" "$(cat "$f.67" 2>/dev/null)" ""
	t_rose "$t $fam dhcp_server_drop rose" "$before" "$(nft_packets "$fam" dhcp_server_drop)"
	echo answer | ip netns exec "$HOST_NS" socat -u - "UDP:${G_IP[$b]}:68,sourceport=67,reuseaddr"
	t_ok "$t the host's answer from port 67 reaches b" got "$f.68" answer
	udp_raw "${G_NS[$a]}" eth0 "$gwmac" 0.0.0.0 255.255.255.255 68 67 "discover-$k"
	udp_raw "${G_NS[$a]}" eth0 "$gwmac" "${G_IP[$a]}" "${G_GW[$a]}" 68 67 "request-$k"
	t_ok "$t the host receives a's requests from 0.0.0.0" got "$W_TMP/host.67" "discover-$k"
	t_ok "$t ...and unicast to its gateway" got "$W_TMP/host.67" "request-$k"
}

# The host's own DHCP port: guests' requests must still arrive.
listen "$HOST_NS" 67 "$W_TMP/host.67"
sleep 0.3
each_mode suite
t_done
