# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2054 # VM_* globals are for the callers; -accel tcg,tb-size= is one word
#
# Real QEMU guests on the taps vmnet creates. Sourced after tests/integ/lib.sh
# (it uses W_TMP, track_pid, kill_pid, json_get):
#
#   vm_init || exit            # 3: QEMU cannot run here (VM_WHY says why)
#   vm_start NAME NETNS TAP MAC "DEVICE_PROPS" "KERNEL_ARGS"
#   vm_wait_ready NAME 60      # VMNET-READY on its console; VM_READY[NAME]
#   vm_send NAME CHECK 'ping -c1 -W1 10.1.0.1'
#   vm_result NAME CHECK 20    # 0 if the command succeeded in the guest
#   vm_kill NAME
#   vm_start ... "ip=dhcp vm.ip6=dhcp"   # IPv6 too: vm_field NAME ip6|gw6|mtu6
#
# Each guest is the Debian kernel (uncompressed vmlinux) with the busybox
# initramfs of build-guest.sh. Its serial console is a pair of FIFOs: the
# guest's /init prints "VMNET-READY ..." and then runs the commands we write
# to it, answering "VMNET-CHECK <check>=ok|fail". Every wait has a timeout;
# every QEMU is tracked by PID, so lib.sh's cleanup kills it on any exit.
#
# Environment: VMNET_VM_ACCEL=kvm|tcg (default: KVM if a probe boot works),
# VMNET_VM_MACHINE=pc|microvm (default pc), VMNET_VM_CACHE (default $B/vm),
# VMNET_VM_QEMU (default qemu-system-x86_64).

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_CACHE=${VMNET_VM_CACHE:-$B/vm}
VM_QEMU=${VMNET_VM_QEMU:-qemu-system-x86_64}
VM_MEM=128
VM_ACCEL=()
VM_KARGS=
VM_WHY=
VM_RUN=
declare -A VM_PID VM_FD VM_LOG VM_T0 VM_READY
VM_RES=
VM_OUT=

vm_now() { echo "${EPOCHREALTIME/./}"; } # microseconds

# vm_since T0: seconds since T0 (from vm_now), with one decimal.
vm_since() {
	local d=$(($(vm_now) - $1))
	printf '%d.%d' $((d / 1000000)) $((d / 100000 % 10))
}

# vm_qemu_runs: QEMU starts and answers its monitor (no guest involved).
vm_qemu_runs() {
	printf '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n' |
		timeout 20 "$VM_QEMU" -M none -accel tcg -nodefaults -display none -qmp stdio \
			>"$VM_RUN/qemu-probe.out" 2>&1
}

# vm_boot_probe ACCEL_ARGS...: a guest boots to /init within a few seconds.
vm_boot_probe() {
	timeout 8 "$VM_QEMU" "$@" -M "${VMNET_VM_MACHINE:-pc}" -m "$VM_MEM" -smp 1 -nodefaults \
		-no-reboot -display none -serial stdio -kernel "$VM_CACHE/vmlinux" \
		-initrd "$VM_CACHE/initramfs.cpio.gz" \
		-append "console=ttyS0 quiet panic=-1 vm.probe" </dev/null 2>&1 |
		grep -q VMNET-PROBE-OK
}

# vm_init: QEMU present and working, guest built, accelerator chosen.
# Returns 3 when QEMU cannot run at all, 1 when the guest cannot be built.
vm_init() {
	local khz
	VM_RUN=$W_TMP/vm
	mkdir -p "$VM_RUN"
	if ! command -v "$VM_QEMU" >/dev/null 2>&1; then
		VM_WHY="$VM_QEMU is not installed (make deps installs qemu-system-x86)"
		return 3
	fi
	if ! vm_qemu_runs; then
		VM_WHY="$VM_QEMU does not start: $(tail -n 3 "$VM_RUN/qemu-probe.out")"
		return 3
	fi
	if ! VM_KVER=$("$VM_DIR/build-guest.sh" "$VM_CACHE" 2>"$VM_RUN/build.err"); then
		VM_WHY="building the guest failed: $(cat "$VM_RUN/build.err")"
		return 1
	fi
	# KVM only if it really boots a guest: /dev/kvm can exist and still fail
	# (nested PVM hosts abort on -cpu host or crawl for minutes).
	case ${VMNET_VM_ACCEL:-auto} in
	kvm) VM_ACCEL=(-accel kvm -cpu host) ;;
	tcg) VM_ACCEL=(-accel tcg,tb-size=32) ;;
	*)
		VM_ACCEL=(-accel tcg,tb-size=32)
		if [ -r /dev/kvm ] && [ -w /dev/kvm ] && vm_boot_probe -accel kvm -cpu host; then
			VM_ACCEL=(-accel kvm -cpu host)
		fi
		;;
	esac
	VM_KARGS="console=ttyS0 quiet loglevel=3 panic=-1 ipv6.disable=1"
	if [ "${VM_ACCEL[1]}" != kvm ]; then
		# Under TCG on a busy host the guest mis-calibrates its clock against
		# the PIT (timeouts run many times too fast) or fails the IO-APIC
		# timer check and panics. The TCG guest's TSC is the host's, so give
		# the guest its frequency and skip the checks.
		khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo 2>/dev/null)
		VM_KARGS+=" no_timer_check tsc=reliable${khz:+ tsc_early_khz=$khz}"
	fi
	return 0
}

# vm_accel: "tcg" or "kvm", for reports.
vm_accel() {
	case ${VM_ACCEL[1]} in kvm) echo kvm ;; *) echo tcg ;; esac
}

# vm_where RESULT VM_NETNS HOST_NS: "NETNS TAP": where QEMU must run and the
# tap it opens. netns wiring: the entry sandboxed in the VM netns that is not
# the veth carrying the guest's name; host wiring: the host-side (unsandboxed)
# entry that is a tap.
vm_where() {
	local res=$1 vmns=$2 hns=$3 gi tap
	gi=$(json_get "$res" '.ips[0].interface')
	tap=$(jq -r --arg sb "/run/netns/$vmns" --arg gn "$(json_get "$res" ".interfaces[$gi].name")" \
		'[.interfaces[] | select(.sandbox == $sb and .name != $gn)] | last | .name // empty' <<<"$res")
	if [ -n "$tap" ]; then
		echo "$vmns $tap"
		return 0
	fi
	for tap in $(jq -r '.interfaces[] | select((.sandbox // "") == "") | .name' <<<"$res"); do
		if ip -n "$hns" -d link show dev "$tap" 2>/dev/null | grep -q 'tun type tap'; then
			echo "$hns $tap"
			return 0
		fi
	done
	return 1
}

# vm_mac RESULT: the guest MAC (the last interface, which ips[0] points at).
vm_mac() {
	json_get "$1" ".interfaces[$(json_get "$1" '.ips[0].interface')].mac"
}

# vm_ip_arg RESULT HOSTNAME: the kernel's ip= argument for the result's
# address, as `netd lease ID --kernel-arg` renders it.
vm_ip_arg() {
	local addr gw pfx mask i
	addr=$(json_get "$1" '.ips[0].address')
	gw=$(json_get "$1" '.ips[0].gateway')
	pfx=${addr#*/}
	mask=
	for i in 0 1 2 3; do
		local bits=$((pfx - 8 * i))
		((bits > 8)) && bits=8
		((bits < 0)) && bits=0
		mask+=$((256 - (1 << (8 - bits))))
		[ $i -eq 3 ] || mask+=.
	done
	echo "ip=${addr%/*}::$gw:$mask:$2:eth0:off"
}

# vm_start NAME NETNS TAP MAC DEVICE_PROPS KERNEL_ARGS: boot a guest in the
# background; QEMU runs in NETNS and opens the existing TAP (vnet_hdr=on, as
# vmnet creates it). DEVICE_PROPS are appended to the NIC (",host_mtu=1400").
# Guests run without IPv6 (ipv6.disable=1) unless KERNEL_ARGS has vm.ip6=
# (see tests/vm/guest/init: RAs + DHCPv6 by dhcpcd).
vm_start() {
	local name=$1 ns=$2 tap=$3 mac=$4 props=$5 kargs=$6 base=$VM_RUN/$1 fd nic machine
	local vkargs=$VM_KARGS
	[[ " $kargs " != *" vm.ip6="* ]] || vkargs=${vkargs/ ipv6.disable=1/}
	case ${VMNET_VM_MACHINE:-pc} in
	microvm) machine=microvm nic=virtio-net-device ;;
	*) machine=pc nic=virtio-net-pci ;;
	esac
	rm -f "$base.in" "$base.out"
	mkfifo "$base.in" "$base.out" || return 1
	# Both FIFOs are held open read-write here, so neither QEMU nor the
	# reader ever blocks on open, and a write to a dead guest cannot hang.
	exec {fd}<>"$base.in"
	VM_FD[$name]=$fd
	exec {fd}<>"$base.out"
	cat <&$fd >"$base.log" &
	track_pid $!
	exec {fd}>&-
	VM_LOG[$name]=$base.log
	VM_T0[$name]=$(vm_now)
	nsenter --net="/run/netns/$ns" "$VM_QEMU" "${VM_ACCEL[@]}" -M "$machine" -m "$VM_MEM" -smp 1 \
		-nodefaults -no-reboot -display none -no-user-config \
		-chardev "pipe,id=con,path=$base" -serial chardev:con \
		-kernel "$VM_CACHE/vmlinux" -initrd "$VM_CACHE/initramfs.cpio.gz" \
		-append "$vkargs vm.name=$name $kargs" \
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no,vnet_hdr=on" \
		-device "$nic,netdev=n0,mac=$mac$props" \
		</dev/null >"$base.qemu" 2>&1 &
	VM_PID[$name]=$!
	track_pid $!
}

# vm_alive NAME
vm_alive() {
	[ -n "${VM_PID[$1]:-}" ] && alive "${VM_PID[$1]}"
}

# vm_wait NAME ERE TIMEOUT: until a console line matches. 1 on timeout, 2
# when QEMU has exited without printing it.
vm_wait() {
	local name=$1 re=$2 end=$(($(vm_now) + $3 * 1000000))
	while ! grep -qE -- "$re" "${VM_LOG[$name]}" 2>/dev/null; do
		if ! vm_alive "$name"; then
			sleep 0.2 # let the reader drain the FIFO
			grep -qE -- "$re" "${VM_LOG[$name]}" 2>/dev/null && return 0
			return 2
		fi
		[ "$(vm_now)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# vm_console NAME: the console without the kernel's timestamped lines and
# the QEMU messages, for diagnostics.
vm_console() {
	tr -d '\r' <"${VM_LOG[$1]}" 2>/dev/null | grep -v '^\[ *[0-9.]*\]' | tail -n "${2:-15}"
	[ -s "$VM_RUN/$1.qemu" ] && sed 's/^/qemu: /' "$VM_RUN/$1.qemu" | tail -n 5
	return 0
}

# vm_wait_ready NAME TIMEOUT: the guest configured eth0 and is taking
# commands. VM_READY[NAME] holds its report ("via=dhcp ip=... mtu=...").
vm_wait_ready() {
	local rc
	vm_wait "$1" '^VMNET-READY ' "$2"
	rc=$?
	VM_READY[$1]=$(tr -d '\r' <"${VM_LOG[$1]}" | grep -m1 '^VMNET-READY ' | sed 's/^VMNET-READY //')
	return $rc
}

# vm_field NAME KEY: a key=value field of the READY report.
vm_field() {
	tr ' ' '\n' <<<"${VM_READY[$1]}" | sed -n "s/^$2=//p" | head -n1
}

# vm_send NAME CHECK COMMAND: queue COMMAND in the guest (one line of sh).
vm_send() {
	printf '%s %s\n' "$2" "$3" >&"${VM_FD[$1]}"
}

# vm_result NAME CHECK TIMEOUT: wait for CHECK's answer. Returns 0 if the
# command succeeded in the guest, 1 if it failed or no answer came in time.
# VM_RES says which ("ok", "fail rc=1", "no answer in 20 s", "VM exited");
# VM_OUT holds the command's last output lines.
vm_result() {
	local name=$1 c=$2 rc line
	vm_wait "$name" "^VMNET-CHECK $c=" "$3"
	rc=$?
	VM_OUT=$(tr -d '\r' <"${VM_LOG[$name]}" | sed -n "s/^VMNET-OUT $c: //p")
	case $rc in
	0)
		line=$(tr -d '\r' <"${VM_LOG[$name]}" | grep -m1 "^VMNET-CHECK $c=")
		VM_RES=${line#*=}
		;;
	1) VM_RES="no answer in $3 s" ;;
	*) VM_RES="the VM exited" ;;
	esac
	[ "$VM_RES" = ok ]
}

# vm_kill NAME: power the guest off (QEMU killed by its PID).
vm_kill() {
	[ -n "${VM_PID[$1]:-}" ] && kill_pid "${VM_PID[$1]}"
	VM_PID[$1]=
	local fd=${VM_FD[$1]:-}
	if [ -n "$fd" ]; then
		exec {fd}>&-
		VM_FD[$1]=
	fi
	return 0
}

# ---------------------------------------------------------------- TAP suites
# For tests/integ/t_vm*.sh (lib.sh's ok, not_ok, diag, bail). The suite's
# guests are the names in ALL; UP holds those that booted.

# vm_suite_init: vm_init as a suite's first check, after world_init: one TAP
# line with the time the guest took to build; the suite is bailed out on any
# failure, QEMU missing or not starting included (make deps installs it, and
# it runs without KVM: a clean machine never skips these). T_START: when it
# began.
vm_suite_init() {
	T_START=$(vm_now)
	vm_init || bail "$VM_WHY"
	ok "guest built from Debian packages (kernel $VM_KVER, $(vm_accel)) in $(vm_since "$T_START") s"
}

# vm_boot NAME RESULT VM_NS DEVICE_PROPS KERNEL_ARGS: vm_start on the tap the
# CNI result names (a failed check when it names none).
vm_boot() {
	local where
	if ! where=$(vm_where "$2" "$3" "$HOST_NS"); then
		not_ok "$1: the result names a tap" "$2"
		return 1
	fi
	vm_start "$1" "${where% *}" "${where#* }" "$(vm_mac "$2")" "$4" "$5"
}

# vm_wait_all TIMEOUT WHAT [FUNC]: wait for every guest of ALL (TIMEOUT s
# each) to be ready; UP lists those that are (a diagnostic line each), each
# other is a failed check "NAME WHAT" showing its console (and FUNC's output).
# T_BOOT: when the first guest started.
vm_wait_all() {
	local v
	UP=
	for v in $ALL; do
		if vm_wait_ready "$v" "$1"; then
			UP+=" $v"
			diag "$v: ${VM_READY[$v]} ($(vm_since "${VM_T0[$v]}") s after start)"
		else
			not_ok "$v $2" "$(vm_console "$v")" ${3:+"$("$3")"}
		fi
	done
	diag "all guests up $(vm_since "$T_BOOT") s after the first start ($(vm_accel))"
}

# vm_up NAME: the guest booted (is in UP).
vm_up() { [[ " $UP " == *" $1 "* ]]; }

# One request each, with room for a slow TCG guest: a ping or a connection
# that fails is a failure, not a reason to try again.
vm_ping_cmd() { echo "ping -c1 -W5 $1"; }
vm_noping_cmd() { echo "ping -c2 -W1 $1"; }

# Commands run in each guest one after another, guests in parallel:
# vm_check a phase's commands to every guest, then vm_collect the answers.
declare -A VM_PENDING VM_DESC

# vm_check NAME CHECK DESCRIPTION COMMAND: queue COMMAND in the guest as
# CHECK (a failed check at once when the guest is not up).
vm_check() {
	vm_up "$1" || {
		not_ok "$1: $3" "the VM is not up"
		return
	}
	vm_send "$1" "$2" "$4"
	VM_PENDING[$1]+=" $2"
	VM_DESC[$1:$2]=$3
}

# vm_collect: every pending answer, as a TAP line each. A check whose
# description starts with "cannot" passes when the command fails in the
# guest (never when the guest does not answer).
vm_collect() {
	local v c d
	for v in $ALL; do
		for c in ${VM_PENDING[$v]:-}; do
			d=${VM_DESC[$v:$c]}
			vm_result "$v" "$c" 60
			if [[ $d == cannot* ]]; then
				if [[ $VM_RES == fail* ]]; then ok "$v $d"; else
					not_ok "$v $d" "guest: $VM_RES" "$VM_OUT"; fi
			elif [ "$VM_RES" = ok ]; then
				ok "$v $d"
			else
				not_ok "$v $d" "guest: $VM_RES" "$VM_OUT" "$(vm_console "$v" 8)"
			fi
		done
		VM_PENDING[$v]=
	done
}
