#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `sudo make demo`: a guided run of vmnet in throwaway namespaces.
#
# It builds a small world (a "host" namespace standing in for the machine, a
# "wan" namespace standing in for the outside with a server on 203.0.113.10,
# one namespace per VM), adds two VMs to one shared network (one with its tap
# in the VM's namespace, one with its tap in the host's), puts a guest on each
# tap, pings from one guest to the other, asks the wan server who is calling
# (it sees the host's address: masquerade), deletes both VMs and cleans up.
# Nothing is added to the machine's own namespace.
#
#   tests/demo.sh BUILDDIR
#   VMNET_DEMO_GUEST=qemu|fakevm   real QEMU guests (default; falls back to
#                                  fakevm when QEMU cannot run) or stand-ins
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/integ/lib.sh"

say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
die() {
	say "demo FAILED: $*"
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (make demo in a root shell, or sudo make demo)"
miss=$(need_missing jq socat nft)
[ -z "$miss" ] || die "not installed: $(echo $miss) (make deps)"
for f in "$VMNET" "$B/vmnet-ipam" "$FAKEVM"; do
	[ -x "$f" ] || die "$f missing (make)"
done

# Real VMs first: tests/vm/demo-vms.sh boots QEMU guests (two on a shared
# network, two on an isolated one) on the plugin's taps. It exits 3 when
# QEMU cannot run here; then the same story is told with guest stand-ins.
if [ "${VMNET_DEMO_GUEST:-qemu}" = qemu ] && [ -r "$LIB_ROOT/tests/vm/demo-vms.sh" ]; then
	bash "$LIB_ROOT/tests/vm/demo-vms.sh" "$B"
	rc=$?
	[ "$rc" -eq 3 ] || exit "$rc"
	say ""
	say "QEMU cannot run on this machine: showing the networks with guest stand-ins"
	say "(fakevm: the network half of a VM, opening the tap as a VMM does) instead."
fi

# The stand-in: fakevm (tests/tools/fakevm.c) opens the plugin's tap as a VMM
# does and relays frames to a NIC in a guest namespace.
start_guest() {
	guest_attach "$@"
}

world_init
host_ns
wan_setup
step "a throwaway world: host namespace $HOST_NS, outside namespace $WAN_NS"
say "   the outside has a server on $WAN_IP:$WAN_PORT that answers with the caller's address,"
say "   and no route back to the VMs: replies only come back through the host's masquerade"

CONF=$(conf_shared demo vmbr-demo 10.77.0.0/24 10.77.0.1)
vm_ns vm1 && NS1=$REPLY
vm_ns vm2 && NS2=$REPLY

step "ADD two VMs to the shared network \"demo\" (bridge vmbr-demo, 10.77.0.0/24)"
show_vm() { # NAME RESULT WIRING
	local gi
	gi=$(json_get "$2" '.ips[0].interface')
	say "   $1: address $(json_get "$2" '.ips[0].address') gateway $(json_get "$2" '.ips[0].gateway')," \
		"guest MAC $(json_get "$2" ".interfaces[$gi].mac")"
	say "        $3; host device $(json_get "$2" '.interfaces[1].name') on $(json_get "$2" '.interfaces[0].name')"
}
cni "$HOST_NS" ADD "${P}vm1" eth0 "/run/netns/$NS1" "$(jq -c '.tap = "netns"' <<<"$CONF")" ||
	die "ADD vm1: $(cni_report)"
R1=$CNI_OUT
show_vm vm1 "$R1" "tap $(json_get "$R1" '.interfaces[3].name') inside the VM's netns (kata layout)"
cni "$HOST_NS" ADD "${P}vm2" eth0 "/run/netns/$NS2" "$(jq -c '.tap = "host"' <<<"$CONF")" ||
	die "ADD vm2: $(cni_report)"
R2=$CNI_OUT
show_vm vm2 "$R2" "tap in the host namespace (libvirt layout)"

step "start a guest stand-in on each tap (fakevm)"
t_run start_guest vm1 "$R1" "$NS1" || die "guest vm1: $T_OUT"
t_run start_guest vm2 "$R2" "$NS2" || die "guest vm2: $T_OUT"
say "   both guests up; their NIC has the MAC and address from the CNI result"

IP2=$(json_get "$R2" '.ips[0].address')
IP2=${IP2%/*}
step "vm1 pings vm2 ($IP2) across the bridge"
guest_ping vm1 "$IP2" 5 >/dev/null || die "vm1 cannot reach vm2"
in_guest vm1 "${PING[@]}" -c2 -W1 "$IP2" | grep -E 'bytes from|packet loss' | sed 's/^/   /'

step "vm1 asks the outside server who is calling"
seen=$(guest_wan vm1)
say "   server at $WAN_IP saw: $seen"
[ "$seen" = "$WAN_HOST_IP" ] || die "expected the host's outside address $WAN_HOST_IP"
say "   that is the host's outside address: vm1's $(json_get "$R1" '.ips[0].address') was masqueraded"

step "DEL both VMs"
guest_stop vm1
guest_stop vm2
cni "$HOST_NS" DEL "${P}vm1" eth0 "/run/netns/$NS1" "$(jq -c '.tap = "netns"' <<<"$CONF")" ||
	die "DEL vm1: $(cni_report)"
cni "$HOST_NS" DEL "${P}vm2" eth0 "/run/netns/$NS2" "$(jq -c '.tap = "host"' <<<"$CONF")" ||
	die "DEL vm2: $(cni_report)"
ip -n "$HOST_NS" link show dev vmbr-demo >/dev/null 2>&1 && die "bridge vmbr-demo still there"
say "   devices, nftables elements, records and addresses released; the bridge went with the last VM"

cleanup
leaks=$(machine_leaks)
[ -z "$leaks" ] || die "$leaks"
# shellcheck disable=SC2034 # read by lib.sh's exit trap
T_DONE=1
printf '\ndemo finished, everything cleaned up\n'
