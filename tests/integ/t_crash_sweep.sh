#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# An ADD killed at any kernel or file operation it performs leaves nothing
# behind once cleaned up. strace's fault injection sends SIGKILL at the
# N-th call of each syscall the plugin process makes that talks to the
# kernel or the disk, in both modes and both wirings; after each kill, DEL
# (and, in other sweeps, one netd pass without DEL, or GC) must leave no
# device (temporary vmq… names included), bridge, nftables element (inet and
# bridge tables), record (or its temporary file) or reservation, in the host
# or the VM namespace. The IPAM child is killed at each of its own calls the
# same way (through a wrapper in CNI_PATH); DEL and GC are killed at each of
# theirs, then repeated. Conntrack is not checked: no packet flows here.
#
#   tests/integ/t_crash_sweep.sh BUILDDIR      (root; TAP on stdout)
#   By default every call is a kill point (~545 kills; about a minute on an
#   idle 2-core machine, 71-108 s under load). VMNET_SWEEP_STEP=K kills at
#   every K-th call only, for a quicker look while developing.
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
		CNI_IFNAME=eth0 CNI_NETNS="/run/netns/$VMNS" CNI_PATH="${CNIPATH:-$B}" "$@" "$VMNET" \
		<<<"$conf" >"$W_TMP/out" 2>"$W_TMP/err"
	exit $?) 2>/dev/null
}

# leftovers NET: what a clean host and VM namespace must not hold.
leftovers() {
	local net=$1
	ip -n "$HOST_NS" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
		grep -E '^(vmv|vmt|vmq|vmbr)' | sed 's/^/host link /'
	# A parked tap (lib/park.c) is no leftover while it is quiet and
	# within its bound (netd deletes it seconds later); after GC it is.
	parked_bad "$HOST_NS"
	[ "${how:-}" != gc ] || ip -n "$HOST_NS" -o link show | grep -oE '^[0-9]+: vmp[0-9]+' |
		sed 's/^/parked tap left by GC: /'
	ip -n "$VMNS" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
		grep -vx lo | sed 's/^/vm link /'
	ip netns exec "$HOST_NS" nft -j list sets 2>/dev/null |
		jq -r '.nftables[].set | select(.table == "vmnet") | select(.elem) |
			"elements in \(.family) \(.name)"'
	find "$W_TMP/state/$net" -name '*.json*' -printf 'record %f\n' 2>/dev/null
	find "$W_TMP/ipam/$net" -maxdepth 1 -name '10.*' -printf 'reservation %f\n' 2>/dev/null
}

# counts CMD CID CONF: "syscall count" of one successful CMD of the plugin
# process itself (its IPAM child is swept on its own: ipam_sweep).
counts() {
	call "$1" "$2" "$3" strace -qq -o "$W_TMP/trace" -e trace="$SYSCALLS"
	awk '{ c = $0; sub(/\(.*/, "", c); if (c ~ /^[a-z_0-9]+$/) n[c]++ }
		END { for (c in n) print c, n[c] }' "$W_TMP/trace" | sort
}

# ipam_sweep CONF NET: the IPAM plugin, exec'd (VMNET_IPAM_EXEC=1; in-process
# its calls are the plugin's own, swept by sweep), killed at each of its own
# calls of an ADD (through a wrapper in CNI_PATH): ADD fails or undoes
# itself, or leaves what DEL removes.
ipam_sweep() {
	local conf=$1 net=$2 sc n i bad='' left kills=0
	mkdir -p "$W_TMP/cni"
	cat >"$W_TMP/cni/vmnet-ipam" <<-EOF
		#!/bin/sh
		[ "\$CNI_COMMAND" = ADD ] && [ -n "\$SWEEP_SC" ] && exec strace -qq -o /dev/null \\
			-e trace="\$SWEEP_SC" -e inject="\$SWEEP_SC:signal=KILL:when=\$SWEEP_N" "$B/vmnet-ipam"
		exec "$B/vmnet-ipam"
	EOF
	chmod +x "$W_TMP/cni/vmnet-ipam"
	fresh_vm
	call ADD probe "$conf" VMNET_IPAM_EXEC=1 strace -f -qq -ff -o "$W_TMP/itrace" -e trace="$SYSCALLS"
	call DEL probe "$conf"
	awk '{ c = $0; sub(/\(.*/, "", c); if (c ~ /^[a-z_0-9]+$/) n[c]++ }
		END { for (c in n) print c, n[c] }' \
		"$(grep -l 'execve(".*vmnet-ipam"' "$W_TMP"/itrace.*)" | sort >"$W_TMP/icounts"
	rm -f "$W_TMP"/itrace.*
	while read -r sc n; do
		for ((i = 1; i <= n; i += STEP)); do
			CNIPATH=$W_TMP/cni call ADD "i$i" "$conf" VMNET_IPAM_EXEC=1 SWEEP_SC="$sc" SWEEP_N="$i"
			kills=$((kills + 1))
			call DEL "i$i" "$conf" || bad+="$sc #$i: DEL failed: $(cat "$W_TMP/out")"$'\n'
			left=$(leftovers "$net")
			[ -z "$left" ] || bad+="IPAM killed at $sc #$i, then DEL: $(echo $left)"$'\n'
		done
	done <"$W_TMP/icounts"
	diag "IPAM: $kills kills ($(tr '\n' ' ' <"$W_TMP/icounts"))"
	t_eq "IPAM killed at every call of ADD, then DEL: nothing left" "$bad" ""
}

# gc_conf CONF: CONF as a GC request that finds no attachment valid.
gc_conf() { jq -c '.cniVersion = "1.1.0" | .["cni.dev/valid-attachments"] = []' <<<"$1"; }

# sweep LABEL CONF NET CLEANUP: kill ADD at every call, clean up with
# CLEANUP (del|netd|gc), expect nothing left.
sweep() {
	local label=$1 conf=$2 net=$3 how=$4 sc n i kills=0 finished=0 bad='' left
	fresh_vm
	counts ADD probe "$conf" >"$W_TMP/counts"
	call DEL probe "$conf"
	# The probe's DEL parks a host tap; the GC sweep expects none left.
	[ "$how" != gc ] || call GC "" "$(gc_conf "$conf")"
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
			# Killed while it printed its result, ADD has finished:
			# netd keeps it, and the runtime's DEL removes it.
			if call ADD "k$i" "$conf" strace -qq -o /dev/null -e trace="$sc" \
				-e inject="$sc:signal=KILL:when=$i" ||
				jq -e '.state == "ready"' "$(record_path "$net" "k$i" eth0)" >/dev/null 2>&1; then
				finished=$((finished + 1))
				call DEL "k$i" "$conf"
			fi
			kills=$((kills + 1))
			case $how in
			del) call DEL "k$i" "$conf" || bad+="$sc #$i: DEL failed: $(cat "$W_TMP/out")"$'\n' ;;
			netd) nc_ reconcile >/dev/null || bad+="$sc #$i: netd reconcile failed"$'\n' ;;
			gc) call GC "" "$(gc_conf "$conf")" ||
				bad+="$sc #$i: GC failed: $(cat "$W_TMP/out")"$'\n' ;;
			esac
			left=$(leftovers "$net")
			[ -z "$left" ] || bad+="$sc #$i, then $how: $(echo $left)"$'\n'
			# What one leftover breaks must not make every later kill fail.
			[ -z "$left" ] || call DEL "k$i" "$conf"
		done
	done <"$W_TMP/counts"
	diag "$label: $kills kills, $finished of them after ADD's work was done ($(tr '\n' ' ' <"$W_TMP/counts"))"
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

# Without DEL: netd undoes the dead ADD on its own (one pass; both modes
# and both wirings between the two sweeps).
t_ok "netd starts" netd_start
sweep "[shared netns, netd]" "${CONFS[1]}" sw1 netd
sweep "[isolated host, netd]" "${CONFS[4]}" sw4 netd
kill_pid "$NETD_PID"
# Without DEL or netd: GC with an empty list of valid attachments.
sweep "[shared host, GC]" "${CONFS[2]}" sw2 gc

# resweep VERB CONF NET: VERB (DEL or GC) killed at every call it makes
# tearing down an attachment, then VERB again: nothing left.
resweep() {
	local verb=$1 conf=$2 net=$3 vconf=$2 sc n i bad='' left kills=0
	[ "$verb" = GC ] && vconf=$(gc_conf "$conf")
	fresh_vm
	call ADD probe "$conf"
	counts "$verb" probe "$vconf" >"$W_TMP/vcounts"
	while read -r sc n; do
		for ((i = 1; i <= n; i += STEP)); do
			call ADD "v$i" "$conf" || bad+="ADD v$i failed: $(cat "$W_TMP/out")"$'\n'
			call "$verb" "v$i" "$vconf" strace -qq -o /dev/null -e trace="$sc" \
				-e inject="$sc:signal=KILL:when=$i"
			kills=$((kills + 1))
			call "$verb" "v$i" "$vconf" ||
				bad+="$sc #$i: the repeated $verb failed: $(cat "$W_TMP/out")"$'\n'
			left=$(leftovers "$net")
			[ -z "$left" ] || bad+="$verb killed at $sc #$i, then $verb: $(echo $left)"$'\n'
			[ -z "$left" ] || call DEL "v$i" "$conf"
		done
	done <"$W_TMP/vcounts"
	diag "$verb: $kills kills ($(tr '\n' ' ' <"$W_TMP/vcounts"))"
	t_eq "$verb killed at every call ($net), then $verb again: nothing left" "$bad" ""
}
ipam_sweep "${CONFS[3]}" sw3
resweep DEL "${CONFS[1]}" sw1
# host wiring: DEL parks the tap (lib/park.c), killed at each step of it
resweep DEL "${CONFS[4]}" sw4
resweep GC "${CONFS[2]}" sw2
t_done
