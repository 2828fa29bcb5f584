#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# vmnet-ipam in-process (the vmnet plugin calls the allocator as a library)
# against vmnet-ipam exec'd (VMNET_IPAM_EXEC=1): the plugin's ADD, CHECK,
# DEL, GC and STATUS and the bad inputs that reach IPAM give the same
# stdout, exit status and IPAM store files either way; the in-process ADD
# starts no process; host-local and the in-process allocator share one
# store under parallel ADDs and DELs without handing an address out twice.
#
#   tests/integ/t_ipam_inproc.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq flock strace
need_bins "$VMNET" "$B/vmnet-ipam"
HL=/usr/lib/cni/host-local
world_init
host_ns
vm_ns vm && VM=$REPLY

NET=inproc
# Host wiring: the attachments share one VM namespace, which holds nothing.
CONF=$(conf_shared "$NET" vmbr-inproc 10.83.0.0/29 10.83.0.1 '.tap = "host"')
CONF11=$(jq -c '.cniVersion = "1.1.0"' <<<"$CONF")
STORE=$W_TMP/ipam/$NET

# call WAY VERB CID [ENV...]: the plugin on $CONF (or $C) for CID/eth0 in
# $VM, the allocator in-process (WAY in) or exec'd (ex). Sets CNI_*.
call() {
	local way=$1 verb=$2 cid=$3 env=()
	shift 3
	[ "$way" = ex ] && env=(VMNET_IPAM_EXEC=1)
	cni_env "$HOST_NS" "${C:-$CONF}" CNI_COMMAND="$verb" CNI_CONTAINERID="$cid" CNI_IFNAME=eth0 \
		CNI_NETNS="/run/netns/$VM" "${env[@]}" "$@"
}

# files: the IPAM store, every file with its mode and a hash of its bytes
# (the stamp's bytes are the directory's times, so only its name; the inode
# pool's entries are named by their inode numbers, so only counted).
files() {
	local f
	find "$STORE" -type f | sort | while read -r f; do
		case $f in */stamp) echo "${f#"$STORE"} $(stat -c %a "$f")" ;;
		*/.vmnet/pool/*) echo "/.vmnet/pool/ENTRY $(stat -c %a "$f") $(md5sum <"$f" | cut -c1-32)" ;;
		*) echo "${f#"$STORE"} $(stat -c %a "$f") $(md5sum <"$f" | cut -c1-32)" ;; esac
	done
}

# said STEP: the last call's exit status and stdout, on one line.
# A new tap's MAC is the kernel's random one, so it is left out.
said() {
	echo "$1: $CNI_RC $(jq -c '(.interfaces[]? | select(.name | test("^vmt")) | .mac) |= "random"' \
		<<<"$CNI_OUT" 2>/dev/null || tr -d '\n' <<<"$CNI_OUT")"
}

# sequence WAY: one run of every verb and bad input that reaches IPAM, on a
# fresh store; one "rc stdout" line per step in $W_TMP/seq.WAY, then the
# store's files, and everything released at the end.
sequence() {
	local w=$1 o=$W_TMP/seq.$1 r1 hold c
	rm -rf "$STORE"
	{
		call "$w" ADD s1; said "ADD s1"; r1=$CNI_OUT
		call "$w" ADD s2; said "ADD s2"
		C=$(with_prev "$CONF" "$r1") call "$w" CHECK s1; said "CHECK s1"
		call "$w" ADD s3 CNI_ARGS="IP=$(guest_ip "$r1")"; said "IP= taken"
		call "$w" ADD s3 CNI_PATH=/nonexistent; said "not in CNI_PATH"
		C=$(jq -c ".ipam.dataDir = \"$W_TMP/afile\"" <<<"$CONF") call "$w" ADD s3
		said "dataDir a file"
		call "$w" ADD s3; said "ADD s3"
		call "$w" ADD s4; said "ADD s4"
		call "$w" ADD s5; said "ADD s5"
		call "$w" ADD s6; said "range full"
		C=$CONF11 call "$w" STATUS ""; said "STATUS full"
		flock "$STORE/lock" sleep 5 &
		hold=$!
		track_pid $hold
		for _ in $(seq 50); do flock -n "$STORE/lock" true || break; sleep 0.05; done
		call "$w" ADD s6 VMNET_IPAM_LOCK_TIMEOUT_MS=200; said "lock held"
		kill_pid $hold
		call "$w" DEL s2; said "DEL s2"
		call "$w" DEL s2; said "DEL s2 again"
		C=$(jq -c '."cni.dev/valid-attachments" = [{containerID: "s1", ifname: "eth0"}]' \
			<<<"$CONF11") call "$w" GC ""
		said "GC"
		C=$CONF11 call "$w" STATUS ""; said "STATUS"
		files
		for c in s1 s2 s3 s4 s5; do call "$w" DEL $c; echo "DEL $c: $CNI_RC"; done
	} >"$o" 2>&1
}

plan 12
: >"$W_TMP/afile"
sequence ex
sequence in
t_match "the exec'd sequence ran (ADD s1 gave an address)" "$(head -1 "$W_TMP/seq.ex")" '^ADD s1: 0 .*10\.83\.0\.2/29'
t_ok "the sequence reached the full range, the lock, GC and STATUS" \
	grep -q '^range full: 1 .*"code":101' "$W_TMP/seq.ex"
diag "$(cut -c1-150 "$W_TMP/seq.ex")"
if diff -u "$W_TMP/seq.ex" "$W_TMP/seq.in" >"$W_TMP/seq.diff"; then
	ok "in-process and exec'd: the same stdout and exit status at every step, the same store files"
else
	not_ok "in-process and exec'd: the same stdout and exit status at every step, the same store files" \
		"$(head -40 "$W_TMP/seq.diff")"
fi
t_eq "everything released at the end" "$(find "$STORE" -maxdepth 1 -name '10.*' | wc -l)" 0

# The in-process ADD starts no process: one execve (vmnet's own), no clone.
trace() {
	ip netns exec "$HOST_NS" env -i PATH="$PATH" CNI_PATH="$B" CNI_COMMAND=ADD \
		CNI_CONTAINERID="$1" CNI_IFNAME=eth0 CNI_NETNS="/run/netns/$VM" "${@:2}" \
		strace -f -qq -o "$W_TMP/strace" -e trace=execve,clone,clone3,fork,vfork "$VMNET" \
		<<<"$CONF" >"$W_TMP/out" 2>&1
}
trace t1
t_eq "in-process ADD succeeds and execs nothing but itself" \
	"$?:$(grep -cE 'execve|clone|fork' "$W_TMP/strace")" "0:1"
trace t2 VMNET_IPAM_EXEC=1
t_ok "VMNET_IPAM_EXEC=1: the ADD execs vmnet-ipam" grep -q 'execve(".*/vmnet-ipam"' "$W_TMP/strace"
for c in t1 t2; do call in DEL $c; done

# host-local and the in-process allocator on one store, at once.
N=12
C2=$(conf_shared par vmbr-inpar 10.84.0.0/24 10.84.0.1 '.tap = "host"')
HLCONF=$(jq -c '.ipam.type = "host-local" | .ipam.dataDir = "'"$W_TMP/ipam"'"' <<<"$C2")
hl() { # VERB CID: host-local itself, as t_ipam runs it
	env -i CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS=/proc/self/ns/net CNI_IFNAME=eth0 \
		CNI_PATH=/nonexistent "$HL" <<<"$HLCONF" >"$W_TMP/par/$2.out" 2>"$W_TMP/par/$2.err"
	echo $? >"$W_TMP/par/$2.rc"
}
vm() { # VERB I: the vmnet plugin, allocator in-process, ifname eth<I> in $VM
	ip netns exec "$HOST_NS" env -i PATH="$PATH" CNI_PATH="$B" CNI_COMMAND="$1" \
		CNI_CONTAINERID="v$2" CNI_IFNAME="eth$2" CNI_NETNS="/run/netns/$VM" "$VMNET" \
		<<<"$C2" >"$W_TMP/par/v$2.out" 2>"$W_TMP/par/v$2.err"
	echo $? >"$W_TMP/par/v$2.rc"
}
both() { # VERB: N of each at once
	local i pids=()
	for ((i = 1; i <= N; i++)); do
		hl "$1" "h$i" & pids+=($!)
		vm "$1" "$i" & pids+=($!)
	done
	wait "${pids[@]}"
}
failed() { grep -L '^0$' "$W_TMP"/par/*.rc | while read -r f; do echo "$f: $(cat "${f%.rc}.out")"; done; }
mkdir -p "$W_TMP/par"
if [ -x "$HL" ]; then
	both ADD
	t_eq "$N host-local and $N in-process ADDs at once all succeed" "$(failed)" ""
	t_eq "$((2 * N)) distinct addresses handed out" \
		"$(cat "$W_TMP"/par/*.out | grep -o '"address": "[0-9./]*"' | sort -u | wc -l)" $((2 * N))
	t_eq "one reservation file per holder, in host-local's format" \
		"$(for f in "$W_TMP/ipam/par"/10.*; do head -1 "$f" | tr -d '\r\n'; echo; done | sort)" \
		"$(for ((i = 1; i <= N; i++)); do echo "h$i"; echo "v$i"; done | sort)"
	both DEL
	t_eq "their DELs at once all succeed" "$(failed)" ""
	t_eq "every address released" "$(find "$W_TMP/ipam/par" -maxdepth 1 -name '10.*' | wc -l)" 0
else
	for t in ADDs addresses files DELs released; do not_ok "host-local concurrency ($t): $HL missing (make deps)"; done
fi
t_done
