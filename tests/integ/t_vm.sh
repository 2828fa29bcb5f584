#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Real VMs: QEMU guests (Debian's kernel, a busybox initramfs, see tests/vm/)
# whose virtio-net NICs are backed by the taps vmnet creates, with every check
# made from inside a guest kernel:
#
#   shared (tap in the VM netns, mtu 1400)   a: DHCP from netd   b: ip= from `netd lease --kernel-arg`
#     both ping the gateway and each other, reach the wan through the masquerade;
#     b publishes hostPort 8080 -> 80 (busybox httpd in the guest), a wan client fetches it
#   shared + portIsolation (tap in the host)  c: DHCP   d: ip=
#     both reach the gateway and the wan, not each other
#   isolated, /30 blocks (tap in the VM netns)  e, g: group "blue"   f: no group
#     each reaches its gateway and the wan; e and g reach each other; f reaches neither
#   the guests' MTU is the network's (DHCP option 26; virtio host_mtu for ip=)
#
# netd (DHCP, leases) runs in the test's host namespace when build/netd works;
# when it does not, the checks that need it fail, saying why, and the VMs fall
# back to addresses rendered from the CNI result so the other checks still run.
# All seven guests boot at once; under TCG on 2 cores the test takes well
# under a minute. Exit 77 only when QEMU cannot run here at all.
#
#   tests/integ/t_vm.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2016 # diagnostics quote values
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/vm/vmlib.sh
. "$LIB_ROOT/tests/vm/vmlib.sh"

need_root
need_cmds jq socat nft ss nsenter busybox qemu-system-x86_64 cpio gzip xz modprobe dhcpcd
need_bins "$VMNET" "$B/vmnet-ipam"
world_init

vm_suite_init

host_ns
wan_setup

MTU=1400
HELLO="hello from a vmnet guest"
declare -A RES NS IP GW

# ---------------------------------------------------------------- netd

NETD_SOCK=$W_TMP/netd.sock
NETD_WHY=
netd() {
	ip netns exec "$HOST_NS" "$B/netd" --socket "$NETD_SOCK" "$@"
}
netd_start() {
	local pid i
	if [ ! -x "$B/netd" ]; then
		NETD_WHY="$B/netd is not built"
		return 1
	fi
	mkdir -p "$W_TMP/state"
	ip netns exec "$HOST_NS" "$B/netd" --state-dir "$W_TMP/state" --socket "$NETD_SOCK" --cni-path "$B" \
		</dev/null >"$W_TMP/netd.log" 2>&1 &
	pid=$!
	track_pid $pid
	for i in $(seq 50); do
		[ -S "$NETD_SOCK" ] && return 0
		alive $pid || break
		sleep 0.1
	done
	NETD_WHY="netd did not come up: $(tail -n 3 "$W_TMP/netd.log")"
	return 1
}
if netd_start; then ok "netd runs in the host namespace"; else not_ok "netd runs in the host namespace" "$NETD_WHY"; fi

# ---------------------------------------------------------------- networks

conf_s=$(conf_shared vm-shared vmbr-vs 10.91.1.0/24 10.91.1.1 \
	".mtu = $MTU | .capabilities = {portMappings: true}")
conf_p=$(conf_shared vm-portiso vmbr-vp 10.91.2.0/24 10.91.2.1 \
	".mtu = $MTU | .tap = \"host\" | .portIsolation = true")
conf_i=$(conf_shared vm-iso unused 10.91.3.0/24 10.91.3.1 \
	".mode = \"isolated\" | del(.bridge) | .mtu = $MTU | .ipam.blockSize = 30")
conf_b=$(jq -c '.runtimeConfig = {portMappings: [{hostPort: 8080, containerPort: 80, protocol: "tcp"}]}' \
	<<<"$conf_s")

# add VM CONF [CNI_ARGS]
add() {
	local v=$1
	vm_ns "vm-$v"
	NS[$v]=$REPLY
	if plugin ADD id="${P}vm-$v" ns="${NS[$v]}" conf="$2" args="${3:-}"; then
		RES[$v]=$CNI_OUT
		IP[$v]=$(json_get "$CNI_OUT" '.ips[0].address' | cut -d/ -f1)
		GW[$v]=$(json_get "$CNI_OUT" '.ips[0].gateway')
		ok "ADD $v: ${IP[$v]} via ${GW[$v]}"
	else
		not_ok "ADD $v" "$(cni_report)"
		return 1
	fi
}
add a "$conf_s" || t_done
add b "$conf_b" || t_done
add c "$conf_p" || t_done
add d "$conf_p" || t_done
add e "$conf_i" "IgnoreUnknown=1;VMNET_GROUP=blue" || t_done
add f "$conf_i" || t_done
add g "$conf_i" "IgnoreUnknown=1;VMNET_GROUP=blue" || t_done

# ---------------------------------------------------------------- boot

# kernel_arg VM: the ip= argument from netd (rendered from the result when
# netd cannot give it: that is a failed check, not a skip).
kernel_arg() {
	local v=$1 arg
	if [ -z "$NETD_WHY" ] && arg=$(netd lease "${P}vm-$v" --kernel-arg 2>"$W_TMP/lease.err") &&
		[[ $arg == ip=${IP[$v]}:* ]]; then
		ok "netd lease --kernel-arg for $v: $arg"
	else
		not_ok "netd lease --kernel-arg for $v" "${NETD_WHY:-got '${arg:-}': $(cat "$W_TMP/lease.err")}" \
			"booting $v with an ip= rendered from the CNI result instead"
		arg=$(vm_ip_arg "${RES[$v]}" "vm-$v")
	fi
	KARG[$v]=$arg
}
declare -A KARG
for v in b d e f g; do kernel_arg "$v"; done

# boot VM DEVICE_PROPS KERNEL_ARGS
boot() { vm_boot "$1" "${RES[$1]}" "${NS[$1]}" "$2" "$3"; }
T_BOOT=$(vm_now)
# DHCP guests must learn the MTU from option 26; ip= has no MTU field, so
# the others get it the way a runtime would pass it: virtio's host_mtu.
boot a "" "ip=dhcp vm.fallback=$(vm_ip_arg "${RES[a]}" vm-a | cut -d= -f2)"
boot c "" "ip=dhcp vm.fallback=$(vm_ip_arg "${RES[c]}" vm-c | cut -d= -f2)"
for v in b d e f g; do boot "$v" ",host_mtu=$MTU" "${KARG[$v]}"; done

ALL="a b c d e f g"
vm_wait_all 120 "boots to network-ready"

# ready VM HOW: the guest configured the result's address the way it should.
ready() {
	local v=$1 how=$2 via
	vm_up "$v" || return
	via=$(vm_field "$v" via)
	if [ "$how" = dhcp ] && [ -n "$NETD_WHY" ]; then
		not_ok "$v takes ${IP[$v]} by DHCP from netd" "netd is not running: $NETD_WHY" \
			"guest: ${VM_READY[$v]}"
	else
		t_eq "$v configured eth0 by $how with the result's address" \
			"$via $(vm_field "$v" ip)" "$how ${IP[$v]}/$(json_get "${RES[$v]}" '.ips[0].address' | cut -d/ -f2)"
	fi
	t_eq "$v has its default route via ${GW[$v]}" "$(vm_field "$v" gw)" "${GW[$v]}"
	t_eq "$v's eth0 MTU is the network's ($how)" "$(vm_field "$v" mtu)" "$MTU"
	t_eq "$v's eth0 has the result's guest MAC" "$(vm_field "$v" mac)" "$(vm_mac "${RES[$v]}")"
}
ready a dhcp
ready b static
ready c dhcp
ready d static
for v in e f g; do ready "$v" static; done

# ---------------------------------------------------------------- checks

# Each phase: vm_check every guest's commands, then vm_collect (vmlib.sh).
# The wan server answers with the address it saw: the host's, after NAT.
wan_cmd() {
	echo "sh -c 's=\$(nc -w 5 $WAN_IP $WAN_PORT </dev/null); echo \"wan saw \$s\"; [ \"\$s\" = $WAN_HOST_IP ]'"
}

T_CHECKS=$(vm_now)
# Phase 1: everything that must work (it also proves every peer is up
# before phase 2 expects silence from it).
for v in $ALL; do vm_check "$v" gw "pings its gateway ${GW[$v]}" "$(vm_ping_cmd "${GW[$v]}")"; done
vm_check a peer "pings b (${IP[b]}) across the bridge" "$(vm_ping_cmd "${IP[b]}")"
vm_check b peer "pings a (${IP[a]}) across the bridge" "$(vm_ping_cmd "${IP[a]}")"
vm_check e peer "pings g (${IP[g]}), same group" "$(vm_ping_cmd "${IP[g]}")"
vm_check g peer "pings e (${IP[e]}), same group" "$(vm_ping_cmd "${IP[e]}")"
for v in a b c d e f; do vm_check "$v" wan "reaches the wan server, which sees the masqueraded $WAN_HOST_IP" "$(wan_cmd)"; done
vm_check b httpd "serves HTTP on port 80" \
	"httpd -p 80 -h /www && retry 20 sh -c 'netstat -ltn | grep -q \":80 \"'"
vm_collect

# Phase 2: what must be blocked, and the published port from the wan.
vm_check c nopeer "cannot ping d (${IP[d]}): portIsolation" "$(vm_noping_cmd "${IP[d]}")"
vm_check d nopeer "cannot ping c (${IP[c]}): portIsolation" "$(vm_noping_cmd "${IP[c]}")"
vm_check e nopeer "cannot ping f (${IP[f]}): isolated, no common group" "$(vm_noping_cmd "${IP[f]}")"
vm_check f nopeer "cannot ping e (${IP[e]}): isolated, no common group" "$(vm_noping_cmd "${IP[e]}")"
vm_check f nopeer2 "cannot ping g (${IP[g]}): isolated, no common group" "$(vm_noping_cmd "${IP[g]}")"
got=$(ip netns exec "$WAN_NS" timeout 10 busybox wget -qO- "http://$WAN_HOST_IP:8080/" 2>&1)
t_eq "a wan client gets b's page through the published port $WAN_HOST_IP:8080 -> 80" "$got" "$HELLO"
vm_collect
diag "checks took $(vm_since "$T_CHECKS") s"

for v in $ALL; do vm_kill "$v"; done
diag "t_vm total $(vm_since "$T_START") s"
t_done
