#!/bin/bash
# vmnet-ipam through the CNI protocol: verbs, versions, errors, concurrency,
# exhaustion, and on-disk compatibility with host-local. TAP. No root needed.
# Usage: t_ipam.sh [build dir]   (or $VMNET_BUILD; default build)
set -u
B=${1:-${VMNET_BUILD:-build}}
PLUGIN=$(cd "$B" && pwd)/vmnet-ipam
HL=/usr/lib/cni/host-local
T=$(mktemp -d /tmp/t_ipam.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0; fail=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
# conf VERSION NET SUBNET [extra top-level JSON] [ipam type]
conf() {
	printf '{"cniVersion":"%s","name":"%s","type":"bridge",%s"ipam":{"type":"%s","dataDir":"%s","ranges":[[{"subnet":"%s"}]]}}' \
		"$1" "$2" "${4:-}" "${5:-vmnet-ipam}" "$T/data" "$3"
}
# cni CMD CID BINARY  (config on stdin; stdout to $T/out, returns exit code)
cni() { env CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=/proc/self/ns/net CNI_IFNAME=${IFN:-eth0} \
	CNI_PATH=/nonexistent ${CNI_ARGS:+CNI_ARGS=$CNI_ARGS} "${3:-$PLUGIN}" >"$T/out" 2>"$T/err"; }
code() { sed -n 's/.*"code": *\([0-9]*\).*/\1/p' "$T/out" | head -1; }
echo "1..22"

conf 1.0.0 n1 10.10.0.0/24 | cni ADD c1; rc=$?
ok $(( rc != 0 )) "ADD 1.0.0 succeeds"
grep -q '"address": "10.10.0.2/24"' "$T/out" && ! grep -q '"version"' "$T/out"; ok $? "1.0.0 result: 10.10.0.2/24, no ips[].version"
[ "$(printf 'c1\r\neth0')" = "$(cat "$T/data/n1/10.10.0.2")" ] && [ "$(stat -c %a "$T/data/n1/10.10.0.2")" = 600 ] && \
	[ "$(cat "$T/data/n1/last_reserved_ip.0")" = 10.10.0.2 ]; ok $? "host-local record format and last_reserved_ip.0"
conf 0.3.1 n1 10.10.0.0/24 | cni ADD c2; grep -q '"version": "4"' "$T/out"; ok $? "0.3.1 result has ips[].version \"4\""
conf 1.1.0 n1 10.10.0.0/24 | cni ADD c2; grep -q '"address": "10.10.0.3/24"' "$T/out"; ok $? "repeated ADD returns the same address"
conf 0.4.0 n1 10.10.0.0/24 | cni CHECK c1; ok $? "CHECK 0.4.0 of a held address"
conf 0.4.0 n1 10.10.0.0/24 | cni CHECK nobody; [ "$(code)" = 110 ]; ok $? "CHECK of an unknown attachment: code 110"
conf 0.3.1 n1 10.10.0.0/24 | cni CHECK c1; [ "$(code)" = 1 ]; ok $? "CHECK below 0.4.0: code 1"
conf 1.0.0 n1 10.10.0.0/24 | cni STATUS ""; [ "$(code)" = 1 ]; ok $? "STATUS below 1.1.0: code 1"
conf 1.1.0 n1 10.10.0.0/24 | cni STATUS ""; ok $? "STATUS 1.1.0 succeeds"
echo '{"cniVersion":"1.0.0"}' | cni VERSION ""; grep -q '"1.1.0"' "$T/out" && grep -q '"0.3.0"' "$T/out"; ok $? "VERSION lists 0.3.0..1.1.0"
conf 1.0.0 n1 10.10.0.0/24 | cni DEL c1 && [ ! -e "$T/data/n1/10.10.0.2" ] && conf 1.0.0 n1 10.10.0.0/24 | cni DEL c1
ok $? "DEL releases, and repeats fine"
conf 1.1.0 n1 10.10.0.0/24 '"cni.dev/valid-attachments":[{"containerID":"zz","ifname":"eth0"}],' | cni GC ""
[ ! -e "$T/data/n1/10.10.0.3" ]; ok $? "GC releases attachments not in valid-attachments"
conf 1.0.0 n1 10.10.0.0/24 '"runtimeConfig":{"ips":["10.10.0.77/24"]},' | cni ADD c5; grep -q '10.10.0.77/24' "$T/out"; ok $? "runtimeConfig.ips honoured"
CNI_ARGS="IP=10.10.0.77" cni ADD c6 < <(conf 1.0.0 n1 10.10.0.0/24); [ "$(code)" = 7 ] && grep -q 'already allocated to c5/eth0' "$T/out"
ok $? "CNI_ARGS IP= of a taken address: code 7 naming the holder"
conf 1.0.0 n1 10.10.0.0/33 | cni ADD c7; [ "$(code)" = 7 ] && grep -q 'ipam.ranges\[0\]\[0\].subnet: not a CIDR' "$T/out"; ok $? "bad subnet: code 7 with the JSON path"
echo '{"cniVersion":' | cni ADD c7; [ "$(code)" = 6 ]; ok $? "malformed JSON: code 6"

# 16 parallel ADDs get 16 distinct addresses
for i in $(seq 1 16); do (conf 1.0.0 par 10.20.0.0/24 | env CNI_COMMAND=ADD CNI_CONTAINERID=p$i CNI_NETNS=/x CNI_IFNAME=eth0 \
	"$PLUGIN" > "$T/par.$i" 2>/dev/null) & done; wait
[ "$(cat "$T"/par.* | grep -o '"address": "[0-9./]*"' | sort -u | wc -l)" = 16 ] && \
	[ "$(ls "$T/data/par" | grep -c '^10\.')" = 16 ]; ok $? "16 parallel ADDs: 16 distinct addresses"

# exhaustion: /29 has 5 allocatable addresses
for i in 1 2 3 4 5; do conf 1.0.0 ex 10.30.0.0/29 | cni ADD e$i; done
before=$(ls "$T/data/ex" | sort | md5sum)
conf 1.0.0 ex 10.30.0.0/29 | cni ADD e6; [ "$(code)" = 101 ] && [ "$(ls "$T/data/ex" | sort | md5sum)" = "$before" ]
ok $? "exhausted range: code 101, no new file"
conf 1.1.0 ex 10.30.0.0/29 | cni STATUS ""; [ "$(code)" = 50 ]; ok $? "STATUS of a full range: code 50"

# host-local interoperability
if [ -x "$HL" ]; then
	conf 1.0.0 hl 10.40.0.0/24 | cni ADD v1
	conf 1.0.0 hl 10.40.0.0/24 "" host-local | cni ADD h1 "$HL"; a=$(grep -o '10.40.0.[0-9]*' "$T/out" | head -1)
	conf 1.0.0 hl 10.40.0.0/24 | cni ADD v2; b=$(grep -o '10.40.0.[0-9]*' "$T/out" | head -1)
	[ "$a" = 10.40.0.3 ] && [ "$b" = 10.40.0.4 ]; ok $? "host-local and vmnet-ipam see each other's addresses as taken"
	conf 1.0.0 hl 10.40.0.0/24 "" host-local | cni DEL v1 "$HL"; r1=$?
	conf 1.0.0 hl 10.40.0.0/24 | cni DEL h1; r2=$?
	[ $r1 = 0 ] && [ $r2 = 0 ] && [ ! -e "$T/data/hl/10.40.0.2" ] && [ ! -e "$T/data/hl/10.40.0.3" ] && [ -e "$T/data/hl/10.40.0.4" ]
	ok $? "host-local DEL releases vmnet-ipam's record and vice versa"
else
	ok 1 "host-local interoperability: $HL missing (Debian package containernetworking-plugins; make deps)"
	ok 1 "host-local DEL of vmnet-ipam records: $HL missing (make deps)"
fi
exit $fail
