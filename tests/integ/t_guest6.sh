#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The IPv6 side of the test guest and of the test world, without vmnet:
#
#   1. the QEMU test guest (tests/vm/, booted with vm.ip6=dhcp) configures
#      IPv6 the way a real guest does: its kernel accepts router
#      advertisements (default route via the router's link-local address,
#      the MTU option) and Debian's dhcpcd, inside the image, takes a
#      stateful DHCPv6 address (IA_NA). The network side here is a test
#      fixture on the guest's tap: radvd (M flag, prefix without SLAAC, MTU,
#      RDNSS, DNSSL) and dnsmasq's DHCPv6 server handing out one address.
#      The guest keeps its IPv4 (a static ip=) as before: dual stack.
#      Then an IPv6-only guest (vm.ip6=ra) takes its address by SLAAC.
#   2. lib.sh's wan6_setup (an upstream router sending RAs onto the host
#      namespace's uplink) works, and shows the pitfall vmnet must avoid:
#      with accept_ra=1 a host that turns IPv6 forwarding on loses its
#      RA-learned default route and ignores every later RA; accept_ra=2
#      keeps it.
#
#   tests/integ/t_guest6.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2016 # diagnostics quote values
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/vm/vmlib.sh
. "$LIB_ROOT/tests/vm/vmlib.sh"

need_root
need_cmds jq nsenter busybox qemu-system-x86_64 cpio gzip xz modprobe dhcpcd radvd dnsmasq sysctl
world_init

vm_suite_init

# The image carries Debian's dhcpcd, the libraries and loader it is linked
# against, and its hook runner.
files=$(gzip -dc "$VM_CACHE/initramfs.cpio.gz" | cpio -t --quiet 2>/dev/null)
want="usr/sbin/dhcpcd usr/lib/dhcpcd/dhcpcd-run-hooks usr/lib/dhcpcd/dhcpcd-hooks/90-vmnet etc/dhcpcd.conf"
for l in $(ldd /usr/sbin/dhcpcd | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
	want+=" ${l#/}"
done
missing=
for f in $want; do grep -qxF "$f" <<<"$files" || missing+=" $f"; done
t_eq "the guest image has dhcpcd, its libraries, its loader and its hooks ($want)" "${missing# }" ""

# ---------------------------------------------------------------- the guest

PFX=fd6e:1::
ROUTER6=${PFX}1
GUEST6=${PFX}42
DNS6=${PFX}53
MTU6=1400
ROUTER4=10.96.0.1
GUEST4=10.96.0.2
MAC=52:54:00:06:00:42
SLAAC6=${PFX}5054:ff:fe06:42 # EUI-64 of MAC
SLAAC_MTU=1360
TAP=tap6

ns_add r6
R=$REPLY
ip -n "$R" tuntap add dev "$TAP" mode tap vnet_hdr || bail "tuntap in $R"
# The router's addresses are usable at once (no DAD: the link is ours).
ip netns exec "$R" sysctl -qw "net.ipv6.conf.$TAP.accept_dad=0"
ip -n "$R" addr add "$ROUTER6/64" dev "$TAP" nodad
ip -n "$R" addr add "$ROUTER4/24" dev "$TAP"
ip -n "$R" link set "$TAP" up

vm_start g6 "$R" "$TAP" "$MAC" "" \
	"ip=$GUEST4::$ROUTER4:255.255.255.0:g6:eth0:off vm.ip6=dhcp"

# The servers start once QEMU holds the tap (carrier), before the guest's
# kernel has brought eth0 up.
for i in $(seq 100); do
	ip -n "$R" link show dev "$TAP" | grep -q LOWER_UP && break
	sleep 0.1
done
RLL=$(link_local "$R" "$TAP") || bail "$TAP in $R has no link-local address: $(vm_console g6)"
radvd_start "$R" "$TAP" guest "	AdvSendAdvert on;
	AdvManagedFlag on;
	AdvOtherConfigFlag on;
	MinRtrAdvInterval 3;
	MaxRtrAdvInterval 10;
	AdvLinkMTU $MTU6;
	prefix ${PFX}/64 { AdvOnLink on; AdvAutonomous off; };
	RDNSS $DNS6 { };
	DNSSL vmnet.test { };" || bail "radvd"
# dnsmasq as a DHCPv6 server only (no DNS, no RA: radvd does those), with
# one address to give.
ip netns exec "$R" dnsmasq -k --conf-file=/dev/null --port=0 --interface="$TAP" --bind-interfaces \
	--dhcp-range="$GUEST6,$GUEST6,64,1h" --dhcp-leasefile="$W_TMP/dnsmasq.leases" \
	--pid-file="$W_TMP/dnsmasq.pid" -u root \
	--dhcp-option="option6:dns-server,[$DNS6]" --dhcp-option=option6:domain-search,vmnet.test \
	--log-dhcp --log-facility=- </dev/null >"$W_TMP/dnsmasq.log" 2>&1 &
track_pid $!
wait_listen "$R" udp 547 || bail "dnsmasq does not listen on 547: $(tail -n 5 "$W_TMP/dnsmasq.log")"

if vm_wait_ready g6 120; then
	ok "the guest boots to network-ready with IPv6 ($(vm_since "${VM_T0[g6]}") s)"
	diag "g6: ${VM_READY[g6]}"
else
	not_ok "the guest boots to network-ready with IPv6" "$(vm_console g6 25)" \
		"dnsmasq: $(tail -n 5 "$W_TMP/dnsmasq.log")" "radvd: $(tail -n 5 "$W_TMP/radvd-guest.log")"
	t_done
fi

t_eq "IPv4 is as before: eth0 has the static ip= address and route" \
	"$(vm_field g6 via) $(vm_field g6 ip) $(vm_field g6 gw) $(vm_field g6 mtu)" "static $GUEST4/24 $ROUTER4 1500"
t_eq "dhcpcd bound a DHCPv6 lease" "$(vm_field g6 via6)" dhcp6
t_eq "eth0's only global address is the one the DHCPv6 server gave (IA_NA, /128)" \
	"$(vm_field g6 ip6)" "$GUEST6/128"
t_eq "the default route goes via the router's link-local address $RLL (from the RA)" \
	"$(vm_field g6 gw6)" "$RLL"
t_eq "eth0's IPv6 MTU is the RA's MTU option" "$(vm_field g6 mtu6)" "$MTU6"

# The lease as dhcpcd's hook recorded it, and the kernel still takes RAs
# (dhcpcd's noipv6rs leaves accept_ra alone).
vm_send g6 lease 'cat /tmp/lease6'
vm_send g6 acceptra 'cat /proc/sys/net/ipv6/conf/eth0/accept_ra'
vm_send g6 route "ip -6 route show default | grep -q 'via $RLL dev eth0'"
vm_send g6 ping6 "ping -6 -c1 -W5 $ROUTER6"
vm_send g6 pingll "ping -6 -c1 -W5 $RLL%eth0"
vm_send g6 ping4 "ping -c1 -W5 $ROUTER4"
vm_result g6 lease 30
t_match "dhcpcd's hook recorded the address, the DNS server (option 23) and the domain list (24)" \
	"$VM_OUT" "^reason=BOUND6 addr=$GUEST6 dns=$DNS6 search=vmnet.test server=[0-9a-f]+$"
vm_result g6 acceptra 30
t_eq "the guest's kernel accepts RAs on eth0 (accept_ra)" "$VM_OUT" 1
for c in route ping6 pingll ping4; do
	case $c in
	route) d="the kernel's default route is on eth0 via $RLL" ;;
	ping6) d="the guest pings the router's $ROUTER6 over IPv6" ;;
	pingll) d="the guest pings the router's link-local $RLL" ;;
	ping4) d="the guest still pings the router's $ROUTER4 over IPv4" ;;
	esac
	if vm_result g6 "$c" 30; then ok "$d"; else not_ok "$d" "guest: $VM_RES" "$VM_OUT"; fi
done
# The server saw the guest's DUID (type 3: link-layer, from the MAC).
duid=00:03:00:01:$MAC
t_ok "dnsmasq leased $GUEST6 to the guest's DUID $duid" grep -qi " $GUEST6 .*$duid" "$W_TMP/dnsmasq.leases"
vm_kill g6

# ---------------------------------------------------------------- RA only

# An IPv6-only guest (no ip=) configured by RAs alone: SLAAC on a prefix
# with the A flag, no M flag, another MTU.
kill_pid "$RADVD_PID"
radvd_start "$R" "$TAP" slaac "	AdvSendAdvert on;
	MinRtrAdvInterval 3;
	MaxRtrAdvInterval 10;
	AdvLinkMTU $SLAAC_MTU;
	prefix ${PFX}/64 { AdvOnLink on; AdvAutonomous on; };" || bail "radvd (SLAAC)"
vm_start g6ra "$R" "$TAP" "$MAC" "" "vm.ip6=ra"
if vm_wait_ready g6ra 120; then
	ok "an IPv6-only guest (vm.ip6=ra) boots to network-ready ($(vm_since "${VM_T0[g6ra]}") s)"
	diag "g6ra: ${VM_READY[g6ra]}"
	t_eq "without ip= the guest has no IPv4" "$(vm_field g6ra via) $(vm_field g6ra ip)" "none none"
	t_eq "its only global address is the SLAAC one of its MAC (EUI-64)" \
		"$(vm_field g6ra via6) $(vm_field g6ra ip6)" "ra $SLAAC6/64"
	t_eq "its default route goes via $RLL, its IPv6 MTU is the RA's" \
		"$(vm_field g6ra gw6) $(vm_field g6ra mtu6)" "$RLL $SLAAC_MTU"
	vm_send g6ra ping6 "ping -6 -c1 -W5 $ROUTER6"
	if vm_result g6ra ping6 30; then ok "the SLAAC guest pings $ROUTER6"; else
		not_ok "the SLAAC guest pings $ROUTER6" "guest: $VM_RES" "$VM_OUT"; fi
	t_ok "the router reaches the guest's SLAAC address" ip netns exec "$R" ping -6 -c1 -W5 "$SLAAC6"
else
	not_ok "an IPv6-only guest (vm.ip6=ra) boots to network-ready" "$(vm_console g6ra 25)" \
		"radvd: $(tail -n 5 "$W_TMP/radvd-slaac.log")"
fi
vm_kill g6ra

# ---------------------------------------------------------------- the uplink

host_ns
wan6_setup uplink6 2001:db8:6::
hsys() { ip netns exec "$HOST_NS" sysctl -qw "$@"; }
# wait_def6 WANT TIMEOUT: until HOST_NS's default route on the uplink is
# via WANT ("" = none); 1 on timeout.
wait_def6() {
	local i
	for i in $(seq $(($2 * 10))); do
		[ "$(default6 "$HOST_NS" "$WAN6_IF")" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
# next_ra TIMEOUT: until HOST_NS has received one more RA (radvd sends one
# every 3-4 s), then a moment for the kernel to act on it.
next_ra() {
	local n i
	n=$(ra_in "$HOST_NS")
	for i in $(seq $(($1 * 10))); do
		sleep 0.1
		[ "$(ra_in "$HOST_NS")" -gt "$n" ] && { sleep 0.2; return 0; }
	done
	return 1
}
def() { echo "default route: '$(default6 "$HOST_NS" "$WAN6_IF")'"; }

hsys net.ipv6.conf.all.forwarding=0 "net.ipv6.conf.$WAN6_IF.accept_ra=1"
wait_def6 "$WAN6_LL" 15
t_status "forwarding=0, accept_ra=1: the host namespace learns its default route via $WAN6_LL from the RA" $? \
	"$(def)" "radvd: $(tail -n 3 "$W_TMP/radvd-wan6.log")"

hsys net.ipv6.conf.all.forwarding=1
wait_def6 "" 2
t_status "forwarding=1, accept_ra=1: the RA-learned default route is gone" $? "$(def)"
next_ra 10
t_status "forwarding=1, accept_ra=1: the host namespace still receives RAs" $?
t_eq "forwarding=1, accept_ra=1: ... and ignores them (no default route)" "$(default6 "$HOST_NS" "$WAN6_IF")" ""

hsys "net.ipv6.conf.$WAN6_IF.accept_ra=2"
wait_def6 "$WAN6_LL" 15
t_status "forwarding=1, accept_ra=2: the host namespace learns its default route again" $? "$(def)"

hsys net.ipv6.conf.all.forwarding=0
hsys net.ipv6.conf.all.forwarding=1
t_eq "accept_ra=2: turning forwarding on keeps the RA-learned default route" \
	"$(default6 "$HOST_NS" "$WAN6_IF")" "$WAN6_LL"
next_ra 10
t_eq "accept_ra=2, forwarding=1: after the next RA the default route is still there" \
	"$(default6 "$HOST_NS" "$WAN6_IF")" "$WAN6_LL"

diag "t_guest6 total $(vm_since "$T_START") s"
t_done
