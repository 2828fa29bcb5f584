#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The demo with real VMs: four QEMU guests (Debian's kernel, busybox) on taps
# made by vmnet, two on a shared network and two on an isolated one, in
# throwaway namespaces (host, wan, one per VM). Prints who reached whom and
# what was blocked, fetches a page from a guest through a published port,
# then cleans everything up.
#
#   tests/vm/demo-vms.sh BUILDDIR
#
# Exit: 0 everything behaved as it should, 1 something did not,
#       3 QEMU cannot run here (the caller falls back to guest stand-ins).
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/../integ/lib.sh"
# shellcheck source=tests/vm/vmlib.sh
. "$LIB_ROOT/tests/vm/vmlib.sh"

say() { printf '%s\n' "$*"; }
die() {
	say "demo-vms: $*"
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root"
miss=$(need_missing jq socat nft nsenter busybox qemu-system-x86_64 cpio gzip xz modprobe dhcpcd)
[ -z "$miss" ] || die "not installed: $(echo $miss) (make deps)"
for f in "$VMNET" "$B/vmnet-ipam"; do
	[ -x "$f" ] || die "$f missing (make)"
done

world_init
T0=$(vm_now)
vm_init
case $? in
0) ;;
3)
	say "QEMU cannot run here: $VM_WHY"
	exit 3
	;;
*) die "$VM_WHY" ;;
esac
say "Guest: Debian kernel $VM_KVER (uncompressed vmlinux) + busybox initramfs, QEMU $(vm_accel), built/cached in $(vm_since "$T0") s"

host_ns
wan_setup

# netd answers DHCP and renders kernel ip= arguments when it runs; without
# it the guests boot with an ip= argument rendered from the CNI result.
NETD=
if [ -x "$B/netd" ]; then
	ip netns exec "$HOST_NS" "$B/netd" --state-dir "$W_TMP/state" --socket "$W_TMP/netd.sock" --cni-path "$B" \
		</dev/null >"$W_TMP/netd.log" 2>&1 &
	track_pid $!
	for _ in $(seq 50); do
		[ -S "$W_TMP/netd.sock" ] && NETD=1 && break
		sleep 0.1
	done
fi
if [ -n "$NETD" ]; then
	say "netd runs in the host namespace (DHCP for s1, kernel ip= for the others)"
else
	say "netd is not available: every guest boots with an ip= argument rendered from its CNI result"
fi

MTU=1400
conf_s=$(conf_shared demo-shared vmbr-demo 10.92.1.0/24 10.92.1.1 \
	".mtu = $MTU | .capabilities = {portMappings: true}")
conf_i=$(conf_shared demo-iso unused 10.92.2.0/24 10.92.2.1 \
	".mode = \"isolated\" | del(.bridge) | .mtu = $MTU | .ipam.blockSize = 30")
conf_pub=$(jq -c '.runtimeConfig = {portMappings: [{hostPort: 8080, containerPort: 80, protocol: "tcp"}]}' \
	<<<"$conf_s")

VMS="s1 s2 i1 i2"
declare -A RES NS IP GW NET
add() { # VM NETWORK CONF
	vm_ns "vm-$1"
	NS[$1]=$REPLY
	cni "$HOST_NS" ADD "${P}vm-$1" eth0 "/run/netns/${NS[$1]}" "$3" || die "ADD $1: $(cni_report)"
	RES[$1]=$CNI_OUT
	IP[$1]=$(json_get "$CNI_OUT" '.ips[0].address' | cut -d/ -f1)
	GW[$1]=$(json_get "$CNI_OUT" '.ips[0].gateway')
	NET[$1]=$2
}
add s1 shared "$conf_s"
add s2 shared "$conf_pub"
add i1 isolated "$conf_i"
add i2 isolated "$conf_i"

for v in $VMS; do
	where=$(vm_where "${RES[$v]}" "${NS[$v]}" "$HOST_NS") || die "no tap in the result of $v"
	karg=
	[ -n "$NETD" ] && karg=$(ip netns exec "$HOST_NS" "$B/netd" --socket "$W_TMP/netd.sock" \
		lease "${P}vm-$v" --kernel-arg 2>/dev/null)
	[[ $karg == ip=* ]] || karg=$(vm_ip_arg "${RES[$v]}" "vm-$v")
	props=",host_mtu=$MTU"
	if [ "$v" = s1 ] && [ -n "$NETD" ]; then
		karg="ip=dhcp vm.fallback=${karg#ip=}"
		props=
	fi
	vm_start "$v" "${where% *}" "${where#* }" "$(vm_mac "${RES[$v]}")" "$props" "$karg"
done
say ""
say "Booting 4 VMs at once:"
for v in $VMS; do
	vm_wait_ready "$v" 120 || die "$v did not come up: $(vm_console "$v")"
	printf '  %-3s %-9s %-15s mac %s  mtu %s  (%s, up after %s s)\n' "$v" "${NET[$v]}" \
		"$(vm_field "$v" ip)" "$(vm_field "$v" mac)" "$(vm_field "$v" mtu)" \
		"$(vm_field "$v" via)" "$(vm_since "${VM_T0[$v]}")"
done

# Every guest tries every destination; a guest runs its own list in order,
# the guests in parallel. Expected: shared VMs reach each other, isolated
# ones reach only their gateway and the wan.
DESTS="gw s1 s2 i1 i2 wan"
expect() { # FROM TO -> reached|blocked
	case $2 in gw | wan) echo reached ;; *)
		[ "${NET[$1]}" = shared ] && [ "${NET[$2]}" = shared ] && echo reached || echo blocked ;;
	esac
}
for v in $VMS; do
	for d in $DESTS; do
		[ "$d" = "$v" ] && continue
		case $d in
		gw) cmd="ping -c1 -W5 ${GW[$v]}" ;;
		wan) cmd="s=\$(nc -w 3 $WAN_IP $WAN_PORT </dev/null); echo \"saw \$s\"; [ \"\$s\" = $WAN_HOST_IP ]" ;;
		*) [ "$(expect "$v" "$d")" = reached ] && cmd="ping -c1 -W5 ${IP[$d]}" ||
			cmd="ping -c2 -W1 ${IP[$d]}" ;;
		esac
		vm_send "$v" "to-$d" "$cmd"
	done
done
[ -n "${VM_FD[s2]}" ] && vm_send s2 httpd "httpd -p 80 -h /www && retry 20 sh -c 'netstat -ltn | grep -q \":80 \"'"

BAD=0
say ""
say "Who reached whom (ping from inside each guest; wan = TCP to $WAN_IP, which sees the host's $WAN_HOST_IP):"
printf '  %-6s' "from"
for d in $DESTS; do printf '%-10s' "$d"; done
printf '\n'
for v in $VMS; do
	printf '  %-6s' "$v"
	for d in $DESTS; do
		if [ "$d" = "$v" ]; then
			printf '%-10s' "-"
			continue
		fi
		vm_result "$v" "to-$d" 60
		case $VM_RES in
		ok) got=reached ;;
		fail*) got=blocked ;;
		*) got="?" ;;
		esac
		mark=
		[ "$got" = "$(expect "$v" "$d")" ] || {
			mark="!"
			BAD=1
		}
		printf '%-10s' "$got$mark"
	done
	printf '\n'
done
say "  (s1, s2: shared network 10.92.1.0/24; i1, i2: isolated, one /30 each; \"!\" = not what vmnet promises)"

say ""
vm_result s2 httpd 30 || {
	BAD=1
	say "s2's httpd did not start: $VM_RES"
}
page=$(ip netns exec "$WAN_NS" timeout 5 busybox wget -qO- "http://$WAN_HOST_IP:8080/" 2>&1)
if [ "$page" = "hello from a vmnet guest" ]; then
	say "Published port: a client in the wan fetched http://$WAN_HOST_IP:8080/ -> s2:80 and got: \"$page\""
else
	BAD=1
	say "Published port: http://$WAN_HOST_IP:8080/ from the wan did NOT answer as expected: $page"
fi

for v in $VMS; do vm_kill "$v"; done
cleanup
say ""
say "Cleaned up (VMs killed, namespaces deleted) after $(vm_since "$T0") s in total."
[ $BAD -eq 0 ] && exit 0
exit 1
