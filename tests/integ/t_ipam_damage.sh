#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# vmnet-ipam after crashes and damage. A kill at every file operation of an
# ADD (strace fault injection, swept over each syscall's every call) leaves
# nothing a DEL or GC cannot free, and never an empty reservation; garbage
# in the owner index or in a reservation file does not keep an address
# reserved; planted symlinks are never written through; a dataDir that is a
# file is a configuration error (code 7).
#
#   tests/integ/t_ipam_damage.sh BUILDDIR      (TAP on stdout)
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

need_cmds jq strace
IPAM=$B/vmnet-ipam
need_bins "$IPAM"
world_init
D=$W_TMP/data

# conf NET [extra top-level JSON]: an IPAM-only config.
conf() {
	printf '{"cniVersion":"1.1.0","name":"%s","type":"x",%s"ipam":{"type":"vmnet-ipam","dataDir":"%s","ranges":[[{"subnet":"10.60.0.0/24"}]]}}' \
		"$1" "${2:-}" "$D"
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
reservations() { find "$D/$1" -maxdepth 1 -name '10.*' -printf '%f\n' 2>/dev/null | sort | tr '\n' ' '; }
gc_keep() { # gc_keep NET CID...: GC with only CID... valid
	local net=$1 v
	shift
	v=$(printf '{"containerID":"%s","ifname":"eth0"},' "$@")
	ipam GC "" "$net" "\"cni.dev/valid-attachments\":[${v%,}],"
}

# ---------------------------------------------------------------- kill sweep

# The file operations of one ADD, as strace names them.
SYSCALLS="openat,open,write,pwrite64,linkat,unlinkat,ftruncate,mkdir,mkdirat,flock,utimensat,fsync,rename,renameat,renameat2,mmap"
ipam ADD base swp "" || bail "ADD failed: $(cat "$W_TMP/out" "$W_TMP/err")"
strace -f -qq -e trace="execve,$SYSCALLS" -o "$W_TMP/trace" env CNI_COMMAND=ADD CNI_CONTAINERID=probe \
	CNI_NETNS=/x CNI_IFNAME=eth0 CNI_PATH=/nonexistent "$IPAM" < <(conf swp) >/dev/null 2>&1
ipam DEL probe swp ""
# "name count" for each syscall the ADD made (after execve of vmnet-ipam).
awk -v set="$SYSCALLS" 'BEGIN { n = split(set, s, ","); for (i = 1; i <= n; i++) want[s[i]] = 1 }
	/execve\(.*vmnet-ipam/ { on = 1; next }
	on { sub(/^[0-9]+ +/, ""); c = $0; sub(/\(.*/, "", c); if (c in want) cnt[c]++ }
	END { for (c in cnt) print c, cnt[c] }' "$W_TMP/trace" | sort >"$W_TMP/counts"
t_match "the ADD's file operations are counted" "$(wc -l <"$W_TMP/counts")" '^[3-9]|[1-9][0-9]+$'
diag "$(tr '\n' ' ' <"$W_TMP/counts")"
kills=0 bad=
while read -r sc n; do
	for ((i = 1; i <= n; i++)); do
		ipam ADD "k$sc$i" swp "" strace -f -qq -o /dev/null -e trace="$sc" \
			-e inject="$sc:signal=KILL:when=$i"
		kills=$((kills + 1))
		ipam DEL "k$sc$i" swp "" || bad+="DEL after a kill at $sc #$i: $(cat "$W_TMP/out")"$'\n'
		empty=$(find "$D/swp" -maxdepth 1 -name '10.*' -empty -printf '%f ')
		[ -z "$empty" ] || bad+="empty reservation after a kill at $sc #$i: $empty"$'\n'
		left=$(reservations swp)
		[ "$left" = "10.60.0.2 " ] || bad+="after a kill at $sc #$i and DEL: $left"$'\n'
	done
done <"$W_TMP/counts"
diag "$kills kills"
t_eq "a kill at any file operation of ADD, then DEL: only the other owner's address is left" "$bad" ""

# The same without DEL: GC (base still valid) frees what the dead ADDs held.
bad=
while read -r sc n; do
	for ((i = 1; i <= n; i++)); do
		ipam ADD "g$sc$i" swp "" strace -f -qq -o /dev/null -e trace="$sc" \
			-e inject="$sc:signal=KILL:when=$i"
	done
done <"$W_TMP/counts"
gc_keep swp base || bad+="GC failed: $(cat "$W_TMP/out")"$'\n'
t_eq "kills without DEL, then GC: only the valid owner's address is left" "$bad$(reservations swp)" "10.60.0.2 "
t_eq "no temporary or empty file is left in the store" \
	"$(find "$D/swp" -maxdepth 1 -type f ! -name lock \( -empty -o -name '.*' \) -printf '%f ')" ""

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
D_SAVE=$D
D=$W_TMP/afile
ipam ADD e dmg ""
t_eq "a dataDir that is a file: code 7" "$(code)" 7
diag "$(jq -r .msg "$W_TMP/out")"
D=$D_SAVE

t_done
