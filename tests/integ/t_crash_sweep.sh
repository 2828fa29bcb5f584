#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# An ADD killed at any kernel or file operation it performs leaves nothing
# behind once cleaned up. strace's fault injection sends SIGKILL at the
# N-th call of each syscall ADD makes (every N, every syscall that talks to
# the kernel or the disk), in both modes and both wirings; after each kill,
# DEL (and, in a second sweep, one netd pass without DEL; in a third, GC)
# must leave no device, bridge, element, record or reservation, in the host
# or the VM namespace. A DEL killed the same way, then repeated, too.
#
#   tests/integ/t_crash_sweep.sh BUILDDIR      (root; TAP on stdout)
#   VMNET_SWEEP_STEP=K: every K-th call only (default 1: every call)
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq nft strace
need_bins "$VMNET" "$B/vmnet-ipam" "$NETD"
world_init
host_ns
STEP=${VMNET_SWEEP_STEP:-1}
SOCK=$W_TMP/netd.sock

# The calls that change the kernel or the disk (netlink is sendmsg/sendto;
# taps are ioctl; files are open/write/link/rename/unlink; IPAM is execve).
SYSCALLS=sendmsg,sendto,ioctl,openat,write,pwrite64,linkat,renameat,renameat2,rename,unlinkat,mkdir,mkdirat,fsync,flock,setns,execve,memfd_create

# call CMD CID CONF [STRACE-ARGS...]: the plugin for VM namespace $VMNS.
call() {
	local cmd=$1 cid=$2 conf=$3
	shift 3
	# A subshell that waits (no exec), so the kills are not reported.
	(ip netns exec "$HOST_NS" env -i PATH="$PATH" CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" \
		CNI_IFNAME=eth0 CNI_NETNS="/run/netns/$VMNS" CNI_PATH="$B" "$@" "$VMNET" \
		<<<"$conf" >"$W_TMP/out" 2>"$W_TMP/err"
	exit $?) 2>/dev/null
}

# leftovers NET: what a clean host and VM namespace must not hold.
leftovers() {
	local net=$1
	ip -n "$HOST_NS" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
		grep -E '^(vmv|vmt|vmbr)' | sed 's/^/host link /'
	ip -n "$VMNS" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
		grep -vx lo | sed 's/^/vm link /'
	ip netns exec "$HOST_NS" nft -j list sets inet 2>/dev/null |
		jq -r '.nftables[].set | select(.table == "vmnet") | select(.elem) | "elements in \(.name)"'
	find "$W_TMP/state/$net" -name '*.json' -printf 'record %f\n' 2>/dev/null
	find "$W_TMP/ipam/$net" -maxdepth 1 -name '10.*' -printf 'reservation %f\n' 2>/dev/null
}

# counts CMD CID CONF: "syscall count" of one successful CMD (then undone).
counts() {
	call "$1" "$2" "$3" strace -f -qq -o "$W_TMP/trace" -e trace="$SYSCALLS"
	awk '{ sub(/^[0-9]+ +/, ""); c = $0; sub(/\(.*/, "", c); if (c ~ /^[a-z_0-9]+$/) n[c]++ }
		END { for (c in n) print c, n[c] }' "$W_TMP/trace" | sort
}

# sweep LABEL CONF NET CLEANUP: kill ADD at every call, clean up with
# CLEANUP (del|netd|gc), expect nothing left.
sweep() {
	local label=$1 conf=$2 net=$3 how=$4 sc n i kills=0 finished=0 bad= left
	fresh_vm
	counts ADD probe "$conf" >"$W_TMP/counts"
	call DEL probe "$conf"
	left=$(leftovers "$net")
	if [ -n "$left" ]; then
		not_ok "$label: ADD killed at every call, then $how: nothing left" \
			"the probe ADD and DEL left: $left"
		return
	fi
	while read -r sc n; do
		for ((i = 1; i <= n; i += STEP)); do
			# The counter is per process (plugin and IPAM child):
			# an N the plugin does not reach lets it finish.
			if call ADD "k$i" "$conf" strace -f -qq -o /dev/null -e trace="$sc" \
				-e inject="$sc:signal=KILL:when=$i"; then
				finished=$((finished + 1))
				call DEL "k$i" "$conf"
			fi
			kills=$((kills + 1))
			case $how in
			del) call DEL "k$i" "$conf" || bad+="$sc #$i: DEL failed: $(cat "$W_TMP/out")"$'\n' ;;
			netd) nc_ reconcile >/dev/null || bad+="$sc #$i: netd reconcile failed"$'\n' ;;
			gc) call GC "" "$(jq -c '.cniVersion = "1.1.0" |
				.["cni.dev/valid-attachments"] = []' <<<"$conf")" ||
				bad+="$sc #$i: GC failed: $(cat "$W_TMP/out")"$'\n' ;;
			esac
			left=$(leftovers "$net")
			[ -z "$left" ] || bad+="$sc #$i, then $how: $(echo $left)"$'\n'
			# What one leftover breaks must not make every later kill fail.
			[ -z "$left" ] || call DEL "k$i" "$conf"
		done
	done <"$W_TMP/counts"
	diag "$label: $kills kills, $finished of them too late to stop ADD ($(tr '\n' ' ' <"$W_TMP/counts"))"
	t_eq "$label: ADD killed at every call, then $how: nothing left" "$bad" ""
}

# fresh_vm: a new VM namespace per sweep, so one sweep's leftovers in
# the old one cannot fail the next.
VM_N=0
fresh_vm() {
	VM_N=$((VM_N + 1))
	vm_ns "vm$VM_N" && VMNS=$REPLY
}

i=0
for mode in shared isolated; do
	for tap in netns host; do
		i=$((i + 1))
		net=sw$i
		if [ $mode = shared ]; then
			conf=$(conf_shared "$net" "vmbrsw$i" "10.9$i.0.0/24" "10.9$i.0.1" \
				".tap = \"$tap\" | .capabilities = {portMappings: true} |
				 .runtimeConfig = {portMappings: [{hostPort: 90$i$i, containerPort: 80, protocol: \"tcp\"}]}")
		else
			conf=$(conf_shared "$net" x "10.9$i.0.0/24" "" ".mode = \"isolated\" | .tap = \"$tap\" |
				del(.bridge) | .ipam = {type: \"vmnet-ipam\", dataDir: \"$W_TMP/ipam\",
				subnet: \"10.9$i.0.0/24\", blockSize: 30}")
		fi
		sweep "[$mode $tap]" "$conf" "$net" del
		CONFS[$i]=$conf
	done
done

# Without DEL: netd undoes the dead ADD on its own (shared netns wiring).
t_ok "netd starts" netd_start
sweep "[shared netns, netd]" "${CONFS[1]}" sw1 netd
kill_pid "$NETD_PID"
# Without DEL or netd: GC with an empty list of valid attachments.
sweep "[isolated host, GC]" "${CONFS[4]}" sw4 gc

# A DEL killed at every call, then DEL again.
fresh_vm
bad=
counts DEL probe "${CONFS[1]}" >/dev/null
call ADD probe "${CONFS[1]}"
counts DEL probe "${CONFS[1]}" >"$W_TMP/dcounts"
while read -r sc n; do
	for ((i = 1; i <= n; i += STEP)); do
		call ADD "d$i" "${CONFS[1]}" || bad+="ADD d$i failed: $(cat "$W_TMP/out")"$'\n'
		call DEL "d$i" "${CONFS[1]}" strace -f -qq -o /dev/null -e trace="$sc" \
			-e inject="$sc:signal=KILL:when=$i"
		call DEL "d$i" "${CONFS[1]}" || bad+="$sc #$i: the repeated DEL failed: $(cat "$W_TMP/out")"$'\n'
		left=$(leftovers sw1)
		[ -z "$left" ] || bad+="DEL killed at $sc #$i, then DEL: $(echo $left)"$'\n'
	done
done <"$W_TMP/dcounts"
t_eq "DEL killed at every call, then DEL again: nothing left" "$bad" ""
t_done
