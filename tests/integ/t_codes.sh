#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The README's error table, the codes the code defines (include/vmnet/err.h)
# and what the plugin answers are one thing: the table and the header list
# the same codes, and for every code at least one input of the kind the
# table names gets exactly that code (error JSON on stdout, exit 1).
#
#   tests/integ/t_codes.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq nft flock
need_bins "$VMNET" "$B/vmnet-ipam"
world_init
host_ns
vm_ns vm && VM=$REPLY

readme_codes() {
	sed -n '/^## Errors/,/^## /p' "$LIB_ROOT/README.md" | awk -F'|' '/^\| *[0-9]+ *\|/ { gsub(/ /, "", $2); print $2 }' | sort -n | tr '\n' ' '
}
header_codes() {
	grep -oE '^\s*(CNI|VMNET)_ERR_[A-Z_]+ = [0-9]+' "$LIB_ROOT/include/vmnet/err.h" |
		awk '$3 != 0 { print $3 }' | sort -n | tr '\n' ' '
}
README_CODES=$(readme_codes)
t_match "the README's error table lists codes" "$README_CODES" '^1 2 3 '
t_eq "README and include/vmnet/err.h list the same codes" "$README_CODES" "$(header_codes)"

NET=codes
BR=vmbr-codes
CONF=$(conf_shared "$NET" "$BR" 10.81.0.0/24 10.81.0.1)
N=0
SEEN=" "

# call CID NETNS CONF [ENV...]: ADD (unless ENV sets CNI_COMMAND) in
# HOST_NS; stdout in $W_TMP/out; returns the exit status.
call() {
	local cid=$1 ns=$2 conf=$3
	shift 3
	ip netns exec "$HOST_NS" env -i PATH="$PATH" CNI_COMMAND=ADD CNI_CONTAINERID="$cid" \
		CNI_IFNAME=eth0 CNI_NETNS="/run/netns/$ns" CNI_PATH="$B" "$@" "$VMNET" \
		<<<"$conf" >"$W_TMP/out" 2>"$W_TMP/err"
}

# t_call NAME CID NETNS CONF [ENV...]: the call succeeds.
t_call() {
	local name=$1
	shift
	if call "$@"; then ok "$name"; else not_ok "$name" "$(cat "$W_TMP/out")" "$(tail -3 "$W_TMP/err")"; fi
}

# expect CODE NAME [ENV...] -- CONF: with a fresh container ID in the VM
# namespace, the answer is exactly CODE (error JSON, exit 1).
expect() {
	local want=$1 name=$2 env=() got rc
	shift 2
	while [ "$1" != -- ]; do env+=("$1"); shift; done
	N=$((N + 1))
	call "k$N" "${NS:-$VM}" "$2" "${env[@]}"
	rc=$?
	got=$(jq -r '.code // empty' "$W_TMP/out" 2>/dev/null)
	SEEN+="$want "
	if [ $rc -eq 1 ] && [ "$got" = "$want" ]; then
		ok "$name: code $want"
		diag "$(jq -r '.msg + ": " + (.details // "")' "$W_TMP/out")"
	else
		not_ok "$name: code $want" "exit $rc: $(cat "$W_TMP/out")" "$(tail -3 "$W_TMP/err")"
	fi
}
with() { jq -c "$1" <<<"$CONF"; }

expect 1 "an unsupported cniVersion" -- "$(with '.cniVersion = "9.9.9"')"
expect 2 "an unknown CNI_ARGS key" CNI_ARGS="FOO=1" -- "$CONF"
expect 3 "a CNI_NETNS that does not exist" CNI_NETNS=/run/netns/no-such-ns -- "$CONF"
expect 4 "CNI_ARGS IP= with a prefix length" CNI_ARGS="IP=10.81.0.50/24" -- "$CONF"
expect 4 "CNI_IFNAME equal to tapName" CNI_IFNAME=tap0 -- "$CONF"
head -c 2097152 /dev/zero | tr '\0' a >"$W_TMP/pad"
BIG=$(jq -c --rawfile pad "$W_TMP/pad" '.pad = $pad' <<<"$CONF")
t_match "the 2 MiB config is built" "${#BIG}" '^2[0-9]{6}$'
expect 6 "a config of 2 MiB" -- "$BIG"
expect 6 "an undecodable prevResult (interfaces: 5)" -- \
	"$(with '.prevResult = {cniVersion: "1.0.0", interfaces: 5}')"
expect 6 "a prevResult IP that is not an address" -- \
	"$(with '.prevResult = {cniVersion: "1.0.0", ips: [{address: "not-an-ip/24"}]}')"
expect 7 "a dns resolver that is not an IP address" -- "$(with '.dns = {nameservers: ["x;rm -rf /"]}')"
expect 7 "a dns search name that is not a DNS name" -- "$(with '.dns = {search: ["a b"]}')"
: >"$W_TMP/afile"
expect 7 "an ipam.dataDir that is a file" -- "$(with ".ipam.dataDir = \"$W_TMP/afile\"")"

# 5: stdin cannot be read (a directory).
ip netns exec "$HOST_NS" env -i PATH="$PATH" CNI_COMMAND=ADD CNI_CONTAINERID=io CNI_IFNAME=eth0 \
	CNI_NETNS="/run/netns/$VM" CNI_PATH="$B" "$VMNET" </ >"$W_TMP/out" 2>/dev/null
t_eq "stdin that cannot be read: code 5" "$(jq -r .code "$W_TMP/out" 2>/dev/null)" 5
SEEN+="5 "

# 11: the IPAM store's lock is held (flock, as host-local holds it).
mkdir -p "$W_TMP/ipam/$NET"
flock "$W_TMP/ipam/$NET/lock" sleep 10 &
HOLD=$!
track_pid $HOLD
for _ in $(seq 50); do flock -n "$W_TMP/ipam/$NET/lock" true || break; sleep 0.05; done
expect 11 "the IPAM store's lock held too long" VMNET_IPAM_LOCK_TIMEOUT_MS=300 -- "$CONF"
kill_pid $HOLD

# 50 and 51: STATUS.
expect 50 "STATUS with requireNetd and no netd" CNI_COMMAND=STATUS -- \
	"$(with '.cniVersion = "1.1.0" | .requireNetd = true')"
mkdir -p "$W_TMP/fakebin"
cat >"$W_TMP/fakebin/limited-ipam" <<'SH'
#!/bin/sh
echo '{"cniVersion":"1.1.0","code":51,"msg":"existing attachments may be limited"}'
exit 1
SH
chmod +x "$W_TMP/fakebin/limited-ipam"
expect 51 "STATUS when the IPAM plugin answers 51" CNI_COMMAND=STATUS CNI_PATH="$W_TMP/fakebin" -- \
	"$(with '.cniVersion = "1.1.0" | .ipam.type = "limited-ipam"')"

# 100: the kernel refuses a tap MTU above 65535 minus its header.
expect 100 "an MTU the kernel refuses for a tap" -- "$(with '.mtu = 65535')"

# 101: a /30 has one address for a guest.
C1=$(conf_shared full vmbr-full 10.82.0.0/30 10.82.0.1)
t_call "ADD takes the only address of a /30" full1 "$VM" "$C1"
vm_ns vm2 && VM2=$REPLY
NS=$VM2 expect 101 "no free address left" -- "$C1"

# 102: a host port published twice.
PC=$(with '.capabilities = {portMappings: true} |
	.runtimeConfig = {portMappings: [{hostPort: 8181, containerPort: 80, protocol: "tcp"}]}')
t_call "ADD publishes host port 8181" pub1 "$VM2" "$PC"
vm_ns vm4 && VM4=$REPLY
NS=$VM4 expect 102 "the same host port again" -- "$PC"

# 103: the host device name ADD would use is taken by a device not ours.
t_call "ADD c103" c103 "$VM4" "$CONF"
DEV=$(jq -r '.interfaces[1].name' "$W_TMP/out")
t_call "DEL c103" c103 "$VM4" "$CONF" CNI_COMMAND=DEL
ip -n "$HOST_NS" link add "$DEV" type bridge
N=$((N + 1))
call c103 "$VM4" "$CONF"
t_eq "a host device name taken by a device not ours: code 103" \
	"$(jq -r '.code // empty' "$W_TMP/out")" 103
SEEN+="103 "
ip -n "$HOST_NS" link del "$DEV"

# 110: CHECK after the tap was removed from the VM namespace.
vm_ns vm3 && VM3=$REPLY
t_call "ADD c110" c110 "$VM3" "$CONF"
RES=$(cat "$W_TMP/out")
ip -n "$VM3" link del tap0
call c110 "$VM3" "$(jq -c --argjson r "$RES" '.prevResult = $r' <<<"$CONF")" CNI_COMMAND=CHECK
t_eq "CHECK of an attachment whose tap is gone: code 110" "$(jq -r '.code // empty' "$W_TMP/out")" 110
SEEN+="110 "

missing=
for c in $README_CODES; do [[ $SEEN == *" $c "* ]] || missing+="$c "; done
t_eq "every code of the README's table is produced by an input above" "$missing" ""
extra=
for c in $SEEN; do [[ " $README_CODES" == *" $c "* ]] || extra+="$c "; done
t_eq "and no input above gets a code the table does not list" "$extra" ""

call pub1 "$VM2" "$PC" CNI_COMMAND=DEL
call c110 "$VM3" "$CONF" CNI_COMMAND=DEL
call full1 "$VM" "$C1" CNI_COMMAND=DEL
t_done
