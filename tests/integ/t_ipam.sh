#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# vmnet-ipam through the CNI protocol: verbs, versions, errors, concurrency,
# exhaustion, and on-disk compatibility with host-local. No root needed.
#
#   tests/integ/t_ipam.sh BUILDDIR      (TAP on stdout)
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

PLUGIN=$B/vmnet-ipam
HL=/usr/lib/cni/host-local
need_bins "$PLUGIN"
world_init
T=$W_TMP
# conf VERSION NET SUBNET [extra top-level JSON] [ipam type]
conf() {
	printf '{"cniVersion":"%s","name":"%s","type":"bridge",%s"ipam":{"type":"%s","dataDir":"%s","ranges":[[{"subnet":"%s"}]]}}' \
		"$1" "$2" "${4:-}" "${5:-vmnet-ipam}" "$T/data" "$3"
}
# ipam CMD CID [BINARY]: the IPAM plugin on the config on stdin (CNI_IFNAME
# $IFN or eth0, CNI_ARGS $CNI_ARGS); stdout in $T/out, returns its status.
ipam() {
	env CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS=/proc/self/ns/net CNI_IFNAME="${IFN:-eth0}" \
		CNI_PATH=/nonexistent ${CNI_ARGS:+CNI_ARGS=$CNI_ARGS} "${3:-$PLUGIN}" >"$T/out" 2>"$T/err"
}
code() { json_get "$(cat "$T/out")" .code; }
out() { cat "$T/out" "$T/err"; }
plan 23


conf 1.0.0 n1 10.10.0.0/24 | ipam ADD c1; rc=$?
t_status "ADD 1.0.0 succeeds" $rc "$(out)"
grep -q '"address": "10.10.0.2/24"' "$T/out" && ! grep -q '"version"' "$T/out"; t_status "1.0.0 result: 10.10.0.2/24, no ips[].version" $? "$(out)"
[ "$(printf 'c1\r\neth0')" = "$(cat "$T/data/n1/10.10.0.2")" ] && [ "$(stat -c %a "$T/data/n1/10.10.0.2")" = 600 ] && \
	[ "$(cat "$T/data/n1/last_reserved_ip.0")" = 10.10.0.2 ]; t_status "host-local record format and last_reserved_ip.0" $? "$(out)"
conf 0.3.1 n1 10.10.0.0/24 | ipam ADD c2; grep -q '"version": "4"' "$T/out"; t_status "0.3.1 result has ips[].version \"4\"" $? "$(out)"
conf 1.1.0 n1 10.10.0.0/24 | ipam ADD c2; grep -q '"address": "10.10.0.3/24"' "$T/out"; t_status "repeated ADD returns the same address" $? "$(out)"
conf 0.4.0 n1 10.10.0.0/24 | ipam CHECK c1; t_status "CHECK 0.4.0 of a held address" $? "$(out)"
conf 0.4.0 n1 10.10.0.0/24 | ipam CHECK nobody; [ "$(code)" = 110 ]; t_status "CHECK of an unknown attachment: code 110" $? "$(out)"
conf 0.3.1 n1 10.10.0.0/24 | ipam CHECK c1; [ "$(code)" = 1 ]; t_status "CHECK below 0.4.0: code 1" $? "$(out)"
conf 1.0.0 n1 10.10.0.0/24 | ipam STATUS ""; [ "$(code)" = 1 ]; t_status "STATUS below 1.1.0: code 1" $? "$(out)"
conf 1.1.0 n1 10.10.0.0/24 | ipam STATUS ""; t_status "STATUS 1.1.0 succeeds" $? "$(out)"
echo '{"cniVersion":"1.0.0"}' | ipam VERSION ""; grep -q '"1.1.0"' "$T/out" && grep -q '"0.3.0"' "$T/out"; t_status "VERSION lists 0.3.0..1.1.0" $? "$(out)"
conf 1.0.0 n1 10.10.0.0/24 | ipam DEL c1 && [ ! -e "$T/data/n1/10.10.0.2" ] && conf 1.0.0 n1 10.10.0.0/24 | ipam DEL c1
t_status "DEL releases, and repeats fine" $? "$(out)"
conf 1.1.0 n1 10.10.0.0/24 '"cni.dev/valid-attachments":[{"containerID":"zz","ifname":"eth0"}],' | ipam GC ""
[ ! -e "$T/data/n1/10.10.0.3" ]; t_status "GC releases attachments not in valid-attachments" $? "$(out)"
conf 1.0.0 n1 10.10.0.0/24 '"runtimeConfig":{"ips":["10.10.0.77/24"]},' | ipam ADD c5; grep -q '10.10.0.77/24' "$T/out"; t_status "runtimeConfig.ips honoured" $? "$(out)"
CNI_ARGS="IP=10.10.0.77" ipam ADD c6 < <(conf 1.0.0 n1 10.10.0.0/24); [ "$(code)" = 7 ] && grep -q 'already allocated to c5/eth0' "$T/out"
t_status "CNI_ARGS IP= of a taken address: code 7 naming the holder" $? "$(out)"
conf 1.0.0 n1 10.10.0.0/33 | ipam ADD c7; [ "$(code)" = 7 ] && grep -q 'ipam.ranges\[0\]\[0\].subnet: not a CIDR' "$T/out"; t_status "bad subnet: code 7 with the JSON path" $? "$(out)"
echo '{"cniVersion":' | ipam ADD c7; [ "$(code)" = 6 ]; t_status "malformed JSON: code 6" $? "$(out)"

# 16 parallel ADDs get 16 distinct addresses
for i in $(seq 1 16); do (conf 1.0.0 par 10.20.0.0/24 | env CNI_COMMAND=ADD CNI_CONTAINERID=p$i CNI_NETNS=/x CNI_IFNAME=eth0 \
	"$PLUGIN" > "$T/par.$i" 2>/dev/null) & done; wait
[ "$(cat "$T"/par.* | grep -o '"address": "[0-9./]*"' | sort -u | wc -l)" = 16 ] && \
	[ "$(find "$T/data/par" -maxdepth 1 -name '10.*' | wc -l)" = 16 ]; t_status "16 parallel ADDs: 16 distinct addresses" $? "$(out)"

# exhaustion: /29 has 5 allocatable addresses
for i in 1 2 3 4 5; do conf 1.0.0 ex 10.30.0.0/29 | ipam ADD e$i; done
before=$(ls "$T/data/ex" | sort | md5sum)
conf 1.0.0 ex 10.30.0.0/29 | ipam ADD e6; [ "$(code)" = 101 ] && [ "$(ls "$T/data/ex" | sort | md5sum)" = "$before" ]
t_status "exhausted range: code 101, no new file" $? "$(out)"
conf 1.1.0 ex 10.30.0.0/29 | ipam STATUS ""; [ "$(code)" = 50 ]; t_status "STATUS of a full range: code 50" $? "$(out)"

# host-local interoperability
if [ -x "$HL" ]; then
	conf 1.0.0 hl 10.40.0.0/24 | ipam ADD v1
	conf 1.0.0 hl 10.40.0.0/24 "" host-local | ipam ADD h1 "$HL"; a=$(grep -o '10.40.0.[0-9]*' "$T/out" | head -1)
	conf 1.0.0 hl 10.40.0.0/24 | ipam ADD v2; b=$(grep -o '10.40.0.[0-9]*' "$T/out" | head -1)
	[ "$a" = 10.40.0.3 ] && [ "$b" = 10.40.0.4 ]; t_status "host-local and vmnet-ipam see each other's addresses as taken" $? "$(out)"
	conf 1.0.0 hl 10.40.0.0/24 "" host-local | ipam DEL v1 "$HL"; r1=$?
	conf 1.0.0 hl 10.40.0.0/24 | ipam DEL h1; r2=$?
	[ $r1 = 0 ] && [ $r2 = 0 ] && [ ! -e "$T/data/hl/10.40.0.2" ] && [ ! -e "$T/data/hl/10.40.0.3" ] && [ -e "$T/data/hl/10.40.0.4" ]
	t_status "host-local DEL releases vmnet-ipam's record and vice versa" $? "$(out)"
else
	not_ok "host-local interoperability: $HL missing (Debian package containernetworking-plugins; make deps)"
	not_ok "host-local DEL of vmnet-ipam records: $HL missing (make deps)"
fi
t_done
