#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# vmnet-ipam with IPv6 through the CNI protocol (exec'd): IPv6-only and
# dual-stack networks, results of every version, host-local's files on
# disk, bad IPv6 input with the IPv4 equivalent's exact code, exhaustion,
# DEL, GC, per-VM IPv6 blocks, and on-disk interoperability with Debian's
# host-local both ways. No root needed.
#
#   tests/integ/t_ipam6.sh BUILDDIR      (TAP on stdout)
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

PLUGIN=$B/vmnet-ipam
HL=/usr/lib/cni/host-local
need_cmds jq
need_bins "$PLUGIN"
world_init
T=$W_TMP
# conf VERSION NET RANGES [extra top-level JSON] [ipam type] [extra ipam JSON]
conf() {
	printf '{"cniVersion":"%s","name":"%s","type":"bridge",%s"ipam":{"type":"%s","dataDir":"%s",%s"ranges":%s}}' \
		"$1" "$2" "${4:-}" "${5:-vmnet-ipam}" "$T/data" "${6:-}" "$3"
}
DS='[[{"subnet":"10.50.0.0/24"}],[{"subnet":"fd50::/64"}]]'
ipam() {
	env CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS=/proc/self/ns/net CNI_IFNAME=eth0 \
		CNI_PATH=/nonexistent ${CNI_ARGS:+CNI_ARGS=$CNI_ARGS} "${3:-$PLUGIN}" >"$T/out" 2>"$T/err"
}
code() { json_get "$(cat "$T/out")" .code; }
out() { cat "$T/out" "$T/err"; }
# ips: the result's addresses and gateways, one "address gateway" a line
ips() { jq -r '.ips[] | "\(.address) \(.gateway // "-")"' "$T/out" 2>/dev/null | tr '\n' ' '; }
plan 37

# ---------------------------------------------------------------- results and files
conf 1.0.0 v6 '[[{"subnet":"fd88::/64"}]]' | ipam ADD c1
t_eq "IPv6-only ADD 1.0.0: fd88::2/64 via fd88::1" "$(ips)" "fd88::2/64 fd88::1 "
[ "$(printf 'c1\r\neth0')" = "$(cat "$T/data/v6/fd88::2")" ] && [ "$(stat -c %a "$T/data/v6/fd88::2")" = 600 ] &&
	[ "$(cat "$T/data/v6/last_reserved_ip.0")" = fd88::2 ]
t_status "host-local's record fd88::2 and last_reserved_ip.0" $? "$(ls -la "$T/data/v6")"
printf '{"cniVersion":"1.0.0","name":"v6s","type":"bridge","ipam":{"type":"vmnet-ipam","dataDir":"%s","subnet":"fd89::/120","gateway":"fd89::ff","routes":[{"dst":"::/0"},{"dst":"fd00::/8","gw":"fd89::fe"}]}}' "$T/data" | ipam ADD s1
t_eq "single-range form with an IPv6 subnet and gateway" "$(ips)" "fd89::1/120 fd89::ff "
t_eq "IPv6 routes in the result" "$(jq -c .routes "$T/out")" '[{"dst":"::/0"},{"dst":"fd00::/8","gw":"fd89::fe"}]'
conf 0.3.1 ds "$DS" | ipam ADD d1
t_eq "dual stack 0.3.1: ips[].version 4 and 6" "$(jq -c '[.ips[] | .version]' "$T/out")" '["4","6"]'
t_eq "dual stack: one address per range set" "$(ips)" "10.50.0.2/24 10.50.0.1 fd50::2/64 fd50::1 "
[ "$(cat "$T/data/ds/last_reserved_ip.1")" = fd50::2 ] && [ -f "$T/data/ds/10.50.0.2" ] && [ -f "$T/data/ds/fd50::2" ]
t_status "dual stack: a record per family, last_reserved_ip.1 holds the IPv6 address" $? "$(ls "$T/data/ds")"
conf 1.1.0 ds "$DS" | ipam ADD d1
t_eq "repeated dual-stack ADD returns the same addresses" "$(ips)" "10.50.0.2/24 10.50.0.1 fd50::2/64 fd50::1 "
conf 0.4.0 ds "$DS" | ipam CHECK d1; t_status "CHECK 0.4.0 of a dual-stack attachment" $? "$(out)"
rm "$T/data/ds/fd50::2"
conf 0.4.0 ds "$DS" | ipam CHECK d1; [ "$(code)" = 110 ]; t_status "CHECK with the IPv6 record gone: code 110" $? "$(out)"
conf 1.0.0 ds "$DS" | ipam DEL d1 && [ ! -e "$T/data/ds/10.50.0.2" ] && conf 1.0.0 ds "$DS" | ipam DEL d1
t_status "DEL of a dual-stack attachment frees it, and repeats fine" $? "$(out)"
conf 1.0.0 ds "$DS" | ipam ADD d2; conf 1.0.0 ds "$DS" | ipam ADD d3
conf 1.1.0 ds "$DS" '"cni.dev/valid-attachments":[{"containerID":"d3","ifname":"eth0"}],' | ipam GC ""
[ ! -e "$T/data/ds/fd50::3" ] && [ ! -e "$T/data/ds/10.50.0.3" ] && [ -e "$T/data/ds/fd50::4" ]
t_status "GC frees the IPv6 and IPv4 records of attachments not valid" $? "$(ls "$T/data/ds")"

CNI_ARGS="IP=10.50.0.77,fd50::77" ipam ADD r1 < <(conf 1.0.0 ds "$DS")
t_eq "CNI_ARGS IP= with an IPv4 and an IPv6 address" "$(ips)" "10.50.0.77/24 10.50.0.1 fd50::77/64 fd50::1 "
CNI_ARGS="IP=fd50::77" ipam ADD r2 < <(conf 1.0.0 ds "$DS"); [ "$(code)" = 7 ] && grep -q 'already allocated to r1/eth0' "$T/out"
t_status "a requested IPv6 address already taken: code 7 naming the holder" $? "$(out)"
conf 1.0.0 ds "$DS" | ipam DEL r1

# ---------------------------------------------------------------- bad input: the IPv4 code
# bad NAME IPV4-RANGES IPV6-RANGES WANT-CODE [ipam extra]: both codes are WANT.
bad() {
	local c4 c6
	conf 1.0.0 bad "$2" "" vmnet-ipam "${5:-}" | ipam ADD b1; c4=$(code)
	conf 1.0.0 bad "$3" "" vmnet-ipam "${5:-}" | ipam ADD b1; c6=$(code)
	t_eq "$1: code $4 as for IPv4" "$c4 $c6" "$4 $4"
}
bad "malformed prefix" '[[{"subnet":"10.1.0.x/24"}]]' '[[{"subnet":"fd88::g/64"}]]' 7
bad "a /129 (/33)" '[[{"subnet":"10.1.0.0/33"}]]' '[[{"subnet":"fd88::/129"}]]' 7
bad "host bits set" '[[{"subnet":"10.1.0.1/24"}]]' '[[{"subnet":"fd88::1/64"}]]' 7
bad "too small a subnet" '[[{"subnet":"10.1.0.0/31"}]]' '[[{"subnet":"fd88::/127"}]]' 7
bad "gateway outside the subnet" '[[{"subnet":"10.1.0.0/24","gateway":"10.2.0.1"}]]' \
	'[[{"subnet":"fd88::/64","gateway":"fd89::1"}]]' 7
bad "rangeStart outside" '[[{"subnet":"10.1.0.0/24","rangeStart":"10.2.0.1"}]]' \
	'[[{"subnet":"fd88::/64","rangeStart":"fd89::1"}]]' 7
bad "rangeEnd outside" '[[{"subnet":"10.1.0.0/24","rangeEnd":"10.2.0.1"}]]' \
	'[[{"subnet":"fd88::/64","rangeEnd":"fd89::1"}]]' 7
bad "a block that does not fit" '[[{"subnet":"10.1.0.0/24"}]]' '[[{"subnet":"fd88::/64"}]]' 7 '"blockSize":29,"blockSize6":48,'
bad "overlapping ranges" '[[{"subnet":"10.1.0.0/24"},{"subnet":"10.1.0.0/25"}]]' \
	'[[{"subnet":"fd88::/64"},{"subnet":"fd88::/120"}]]' 7
conf 1.0.0 bad '[[{"subnet":"fd88::/64"}],[{"subnet":"fd89::/64"}]]' | ipam ADD b1
[ "$(code)" = 7 ] && grep -q 'range sets 0 and 1 are both IPv6' "$T/out"; t_status "two IPv6 range sets: code 7" $? "$(out)"
conf 1.0.0 bad '[[{"subnet":"10.1.0.0/24"},{"subnet":"fd88::/64"}]]' | ipam ADD b1
[ "$(code)" = 7 ] && grep -q 'range set 0 mixes IPv4 and IPv6' "$T/out"; t_status "a range set mixing families: code 7" $? "$(out)"
[ ! -e "$T/data/bad/.vmnet" ] || [ -z "$(find "$T/data/bad" -maxdepth 1 -name '*:*')" ]
t_status "bad input leaves no record" $? "$(ls -a "$T/data/bad" 2>&1)"

# ---------------------------------------------------------------- exhaustion, blocks
for i in 1 2; do conf 1.0.0 ex6 '[[{"subnet":"fd51::/126"}]]' | ipam ADD e$i; done
before=$(ls "$T/data/ex6" | sort | md5sum)
conf 1.0.0 ex6 '[[{"subnet":"fd51::/126"}]]' | ipam ADD e3; [ "$(code)" = 101 ] && [ "$(ls "$T/data/ex6" | sort | md5sum)" = "$before" ]
t_status "a full /126 (fd51::2, fd51::3): code 101, no new file" $? "$(out)"
conf 1.1.0 ex6 '[[{"subnet":"fd51::/126"}]]' | ipam STATUS ""; [ "$(code)" = 50 ]; t_status "STATUS of a full IPv6 range: code 50" $? "$(out)"
conf 1.0.0 ex6 '[[{"subnet":"fd51::/126"}]]' | ipam DEL e1
conf 1.0.0 ex6 '[[{"subnet":"fd51::/126"}]]' | ipam ADD e3; t_eq "after a DEL the freed address is handed out" "$(ips)" "fd51::2/126 fd51::1 "
ISO='[[{"subnet":"10.50.1.0/24"}],[{"subnet":"fd50::/63"}]]'
conf 1.0.0 iso "$ISO" '"mode":"isolated",' | ipam ADD i1; conf 1.0.0 iso "$ISO" '"mode":"isolated",' | ipam ADD i2
t_eq "isolated: a /30 and a /64 per VM, guest ::2 via ::1" "$(ips)" "10.50.1.6/30 10.50.1.5 fd50:0:0:1::2/64 fd50:0:0:1::1 "
t_eq "a /64 block's records are its first four addresses" \
	"$(cd "$T/data/iso" && ls -d fd50:0:0:1::* | sort | tr '\n' ' ')" "fd50:0:0:1:: fd50:0:0:1::1 fd50:0:0:1::2 fd50:0:0:1::3 "
conf 1.0.0 iso "$ISO" '"mode":"isolated",' | ipam DEL i2
[ -z "$(cd "$T/data/iso" && ls -d fd50:0:0:1::* 10.50.1.[4-7] 2>/dev/null)" ]; t_status "DEL releases both blocks" $? "$(ls "$T/data/iso")"
conf 1.0.0 p2p '[[{"subnet":"fd52::/64"}]]' "" vmnet-ipam '"blockSize6":127,' | ipam ADD q1
t_eq "blockSize6 127: guest ::1/127 via ::0" "$(ips)" "fd52::1/127 fd52:: "

# ---------------------------------------------------------------- host-local
if [ -x "$HL" ]; then
	H='[[{"subnet":"10.60.0.0/24"}],[{"subnet":"fd60::/64"}]]'
	conf 1.0.0 hl "$H" | ipam ADD v1
	conf 1.0.0 hl "$H" "" host-local | ipam ADD h1 "$HL"; a=$(ips)
	conf 1.0.0 hl "$H" | ipam ADD v2; b=$(ips)
	t_eq "dual stack: host-local and vmnet-ipam see each other's IPv4 and IPv6 records" "$a| $b" \
		"10.60.0.3/24 10.60.0.1 fd60::3/64 fd60::1 | 10.60.0.4/24 10.60.0.1 fd60::4/64 fd60::1 "
	conf 1.0.0 hl "$H" "" host-local | ipam DEL v1 "$HL"; r1=$?
	conf 1.0.0 hl "$H" | ipam DEL h1; r2=$?
	[ $r1 = 0 ] && [ $r2 = 0 ] && [ ! -e "$T/data/hl/fd60::2" ] && [ ! -e "$T/data/hl/fd60::3" ] &&
		[ ! -e "$T/data/hl/10.60.0.3" ] && [ -e "$T/data/hl/fd60::4" ]
	t_status "host-local DEL frees vmnet-ipam's IPv6 records and vice versa" $? "$(ls "$T/data/hl")"
	conf 1.0.0 hl6 '[[{"subnet":"fd61::/126"}]]' "" host-local | ipam ADD h2 "$HL"
	conf 1.0.0 hl6 '[[{"subnet":"fd61::/126"}]]' | ipam ADD v3; a=$(ips)
	conf 1.0.0 hl6 '[[{"subnet":"fd61::/126"}]]' | ipam ADD v4; c=$(code)
	t_eq "IPv6-only: after host-local's fd61::2 vmnet-ipam takes fd61::3, then the range is full" "$a$c" "fd61::3/126 fd61::1 101"
else
	for i in 1 2 3; do not_ok "host-local interoperability: $HL missing (Debian package containernetworking-plugins; make deps)"; done
fi
t_done
