#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# vmnet-ipam after crashes and damage. A kill at every file operation of an
# ADD (strace fault injection, swept over each syscall's every call) leaves
# nothing a DEL or GC cannot free, and never an empty reservation; garbage
# in the owner index or in a reservation file does not keep an address
# reserved; planted symlinks are never written through; a dataDir that is a
# file is a configuration error (code 7). The kill sweep and the damage run
# on an IPv4 network and again on a dual-stack one (IPv6 records).
#
#   tests/integ/t_ipam_damage.sh BUILDDIR      (TAP on stdout)
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

need_cmds jq strace
IPAM=$B/vmnet-ipam
need_bins "$IPAM"
world_init
D=$W_TMP/data

# conf NET [extra top-level JSON]: an IPAM-only config with the ranges $R.
R='[[{"subnet":"10.60.0.0/24"}]]'
R6='[[{"subnet":"10.60.0.0/24"}],[{"subnet":"fd60::/64"}]]'
conf() {
	printf '{"cniVersion":"1.1.0","name":"%s","type":"x",%s"ipam":{"type":"vmnet-ipam","dataDir":"%s","ranges":%s}}' \
		"$1" "${2:-}" "$D" "$R"
}
# ipam CMD CID NET [extra] [PREFIX...]: run vmnet-ipam (behind PREFIX, e.g.
# strace); output in $W_TMP/out, status returned.
ipam() {
	local cmd=$1 cid=$2 net=$3 extra=${4:-}
	shift 4 2>/dev/null || shift $#
	# A subshell, so the shell does not report the kills on stderr.
	(conf "$net" "$extra" | env CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" CNI_NETNS=/x \
		CNI_IFNAME=eth0 CNI_PATH=/nonexistent "$@" "$IPAM" >"$W_TMP/out" 2>"$W_TMP/err") \
		2>/dev/null
}
code() { jq -r '.code // empty' "$W_TMP/out" 2>/dev/null; }
reservations() { find "$D/$1" -maxdepth 1 \( -name '10.*' -o -name '*:*' \) -printf '%f\n' 2>/dev/null | sort | tr '\n' ' '; }
gc_keep() { # gc_keep NET CID...: GC with only CID... valid
	local net=$1 v
	shift
	v=$(printf '{"containerID":"%s","ifname":"eth0"},' "$@")
	ipam GC "" "$net" "\"cni.dev/valid-attachments\":[${v%,}],"
}

# ---------------------------------------------------------------- kill sweep

# The file operations of one ADD, as strace names them.
SYSCALLS="openat,open,write,pwrite64,linkat,unlinkat,ftruncate,mkdir,mkdirat,flock,utimensat,fsync,rename,renameat,renameat2,mmap"
# sweep NET NAME: the kill sweep on network NET (ranges $R); $KEEP is what
# base holds.
sweep() {
	local kills bad sc n i empty left
	ipam ADD base "$1" "" || bail "ADD failed: $(cat "$W_TMP/out" "$W_TMP/err")"
	strace -f -qq -e trace="execve,$SYSCALLS" -o "$W_TMP/trace" env CNI_COMMAND=ADD CNI_CONTAINERID=probe \
		CNI_NETNS=/x CNI_IFNAME=eth0 CNI_PATH=/nonexistent "$IPAM" < <(conf "$1") >/dev/null 2>&1
	ipam DEL probe "$1" ""
	# "name count" for each syscall the ADD made (after execve of vmnet-ipam).
	awk -v set="$SYSCALLS" 'BEGIN { n = split(set, s, ","); for (i = 1; i <= n; i++) want[s[i]] = 1 }
		/execve\(.*vmnet-ipam/ { on = 1; next }
		on { sub(/^[0-9]+ +/, ""); c = $0; sub(/\(.*/, "", c); if (c in want) cnt[c]++ }
		END { for (c in cnt) print c, cnt[c] }' "$W_TMP/trace" | sort >"$W_TMP/counts"
	t_match "$2: the ADD's file operations are counted" "$(wc -l <"$W_TMP/counts")" '^[3-9]|[1-9][0-9]+$'
	diag "$(tr '\n' ' ' <"$W_TMP/counts")"
	kills=0 bad=
	while read -r sc n; do
		for ((i = 1; i <= n; i++)); do
			ipam ADD "k$sc$i" "$1" "" strace -f -qq -o /dev/null -e trace="$sc" \
				-e inject="$sc:signal=KILL:when=$i"
			kills=$((kills + 1))
			ipam DEL "k$sc$i" "$1" "" || bad+="DEL after a kill at $sc #$i: $(cat "$W_TMP/out")"$'\n'
			empty=$(find "$D/$1" -maxdepth 1 \( -name '10.*' -o -name '*:*' \) -empty -printf '%f ')
			[ -z "$empty" ] || bad+="empty reservation after a kill at $sc #$i: $empty"$'\n'
			left=$(reservations "$1")
			[ "$left" = "$KEEP" ] || bad+="after a kill at $sc #$i and DEL: $left"$'\n'
		done
	done <"$W_TMP/counts"
	diag "$kills kills"
	t_eq "$2: a kill at any file operation of ADD, then DEL: only the other owner's addresses are left" "$bad" ""

	# The same without DEL: GC (base still valid) frees what the dead ADDs held.
	bad=
	while read -r sc n; do
		for ((i = 1; i <= n; i++)); do
			ipam ADD "g$sc$i" "$1" "" strace -f -qq -o /dev/null -e trace="$sc" \
				-e inject="$sc:signal=KILL:when=$i"
		done
	done <"$W_TMP/counts"
	gc_keep "$1" base || bad+="GC failed: $(cat "$W_TMP/out")"$'\n'
	t_eq "$2: kills without DEL, then GC: only the valid owner's addresses are left" "$bad$(reservations "$1")" "$KEEP"
	t_eq "$2: no temporary or empty file is left in the store" \
		"$(find "$D/$1" -maxdepth 1 -type f ! -name lock \( -empty -o -name '.*' \) -printf '%f ')" ""
}
KEEP="10.60.0.2 " sweep swp IPv4
R=$R6 KEEP="10.60.0.2 fd60::2 " sweep swp6 "dual stack"

# ---------------------------------------------------------------- damage

ipam ADD a dmg ""
A=$(jq -r '.ips[0].address' "$W_TMP/out")
A=${A%/*}
IDX=$(grep -l '^a$' "$D/dmg/.vmnet/o/"* | head -n1)
t_ok "the owner index has a's file" test -f "$IDX"
printf 'garbage\x01\n###\n' >"$IDX"
t_ok "DEL a with a garbage owner index succeeds" ipam DEL a dmg ""
t_eq "and frees a's address" "$(reservations dmg)" ""

ipam ADD b dmg ""
B_=$(jq -r '.ips[0].address' "$W_TMP/out")
B_=${B_%/*}
printf '\x00\x00garbage' >"$D/dmg/$B_"
t_ok "DEL b with a garbage reservation file succeeds" ipam DEL b dmg ""
t_eq "and frees b's address" "$(reservations dmg)" ""

ipam ADD c dmg ""
C=$(jq -r '.ips[0].address' "$W_TMP/out")
: >"$D/dmg/10.60.0.200"
ln -s "$W_TMP/elsewhere" "$D/dmg/10.60.0.201"
: >"$W_TMP/elsewhere"
gc_keep dmg c
t_eq "GC frees ownerless reservations (empty, a symlink), keeps c's" "$(reservations dmg)" "${C%/*} "
t_ok "the symlink's target is untouched" test -f "$W_TMP/elsewhere"

printf 'keep' >"$W_TMP/target"
rm -f "$D/dmg/last_reserved_ip.0"
ln -s "$W_TMP/target" "$D/dmg/last_reserved_ip.0"
t_ok "ADD with a planted last_reserved_ip.0 symlink succeeds" ipam ADD d dmg ""
t_eq "the symlink is not written through" "$(cat "$W_TMP/target")" keep
t_ok "last_reserved_ip.0 is a regular file again" test ! -L "$D/dmg/last_reserved_ip.0"

: >"$W_TMP/afile"
# IPv6 records: garbage in one, an ownerless one, GC.
R=$R6
ipam ADD f ds6 ""
printf '\x00garbage' >"$D/ds6/fd60::2"
t_ok "DEL f with a garbage IPv6 reservation file succeeds" ipam DEL f ds6 ""
t_eq "and frees both of f's addresses" "$(reservations ds6)" ""
ipam ADD g ds6 ""
: >"$D/ds6/fd60::200"
gc_keep ds6 g
t_eq "GC frees an ownerless IPv6 reservation, keeps g's" "$(reservations ds6)" "10.60.0.3 fd60::3 "
R='[[{"subnet":"10.60.0.0/24"}]]'

D_SAVE=$D
D=$W_TMP/afile
ipam ADD e dmg ""
t_eq "a dataDir that is a file: code 7" "$(code)" 7
diag "$(jq -r .msg "$W_TMP/out")"
D=$D_SAVE

t_done
