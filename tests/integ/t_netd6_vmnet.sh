#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# netd serves the IPv6 guests vmnet records (netd/feed6.c): dual-stack
# attachments made by the plugin's ADD (vmnet-ipam with an IPv4 and an
# IPv6 range), netd running in the test's host namespace, guests behind
# the taps (fakevm). From the guest side, rdisc6 (ndisc6) reads the RA
# (prefix on-link, not autonomous; M; router lifetime; MTU; RDNSS and
# DNSSL from the attachment's DNS) and dhcpcd takes exactly the recorded
# address, in shared mode (two guests on one bridge, each its own) and in
# isolated mode (a /64 block per VM, both wirings). netd list/lease/status
# show it; a DEL stops the service of that guest only; a bridge re-created
# by repair (a new ifindex) is served again; stopping netd sends the final
# RA (router lifetime 0) that takes the guests' default routes away.
# An IPv6-only guest (no IPv4 range) is served the same way; its DHCPv4
# requests get no answer (an IPv4-only guest's do) and `netd lease
# --kernel-arg` says it has no IPv4 address.
#
#   tests/integ/t_netd6_vmnet.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq rdisc6 dhcpcd unshare mount sysctl busybox
NETD=$B/netd
need_bins "$VMNET" "$B/vmnet-ipam" "$FAKEVM" "$NETD"
world_init
host_ns

SOCK=$W_TMP/netd.sock
BR=vmbr6n$$
BR=${BR:0:15}
DNS_JQ='.dns = {nameservers: ["10.55.0.1", "fd55::53", "::1", "2001:db8::53"],
	domain: "corp.example", search: ["svc.corp.example"]}'
CONF=$(conf_shared net6 "$BR" 10.55.0.0/24 10.55.0.1 \
	".mtu = 1400 | .ipam.ranges = [[{subnet: \"10.55.0.0/24\", gateway: \"10.55.0.1\"}],
	 [{subnet: \"fd55::/64\"}]] | $DNS_JQ")
# conf_iso WIRING N: an isolated dual-stack network, 10.N.0.0/24 and
# fdN::/60, a /64 block per VM.
conf_iso() {
	conf_net isolated "$1" "n6$1" "10.$2.0.0/24" \
		".mtu = 1450 | .ipam.ranges = [[{subnet: \"10.$2.0.0/24\"}], [{subnet: \"fd$2::/60\"}]] |
		 del(.capabilities) | $DNS_JQ"
}

# ---------------------------------------------------------------- helpers

# addr6 RESULT: the result's IPv6 address (no prefix length).
addr6() { json_get "$1" '[.ips[] | select(.address | contains(":"))][0].address' | cut -d/ -f1; }
# att JQ_FILTER_ON_ONE_ATTACHMENT CID: from netd list --json.
att() { nc_ list --json | jq -r --arg c "$2" ".attachments[] | select(.cid == \$c) | $1"; }
# served CID: netd serves CID's guest over IPv6 (waits up to 5 s).
served() {
	local i
	for i in $(seq 50); do
		[ "$(att .ipv6_served "$1")" = true ] && return 0
		sleep 0.1
	done
	echo "not served: $(nc_ list --json | jq -c --arg c "$1" '.attachments[] | select(.cid == $c)')"
	tail -5 "$W_TMP/netd.log"
	return 1
}
stat6() { nc_ status --json | jq -r ".ipv6.$1"; }

# ll_ready GUEST: the guest's link-local address is usable (a guest
# solicits from it and DHCPv6 starts from it; waits up to 10 s), after the
# guest's own duplicate address detection. In netns wiring the VM
# namespace's eth0 carries the guest's MAC: were the kernel to give it a
# link-local address (the wiring sets addrgenmode none), that would be the
# guest's, and its DAD probe, reflected by the bridge port (hairpin), would
# fail the guest's: then this fails, naming it.
ll_ready() {
	local i a
	for i in $(seq 100); do
		a=$(in_guest "$1" ip -6 -o addr show dev eth0 scope link)
		if [[ $a == *dadfailed* ]]; then
			echo "$1's link-local address failed DAD: $a"
			return 1
		elif [[ $a == *fe80* && $a != *tentative* ]]; then
			return 0
		fi
		sleep 0.1
	done
	echo "$a"
	return 1
}
# rdisc6_in GUEST: solicitations until one is answered; the RA as rdisc6
# prints it in T_OUT.
rdisc6_in() { ll_ready "$1" && in_guest "$1" timeout 20 rdisc6 -1 -r 5 -w 2000 eth0; }
# field NAME: the first word of rdisc6's line "NAME : VALUE" in T_OUT.
field() { sed -nE "s/^ *$1 *: *//p" <<<"$T_OUT" | head -1 | awk '{print $1}'; }
rdnss() { grep 'Recursive DNS server' <<<"$T_OUT" | awk '{print $NF}' | xargs; }
dnssl() { grep 'DNS search list  ' <<<"$T_OUT" | cut -d: -f2 | xargs; }
# default6 of a guest: its IPv6 default route ("" for none).
gdefault6() { in_guest "$1" ip -6 route show default; }
# wait_default6 GUEST [absent]: its RA-learned default route appears (or goes).
wait_default6() {
	local i
	for i in $(seq 100); do
		if [ "${2:-}" = absent ]; then [ -z "$(gdefault6 "$1")" ] && return 0
		else [ -n "$(gdefault6 "$1")" ] && return 0; fi
		sleep 0.1
	done
	return 1
}

# ra_route GUEST: the guest's kernel takes its default route from an RA
# netd sends (answering rdisc6's solicitation). dhcpcd, run before, handles
# RAs itself and leaves accept_ra 0 and routes of its own behind: undone
# first.
ra_route() {
	in_guest "$1" sysctl -qw net.ipv6.conf.eth0.accept_ra=1
	in_guest "$1" ip -6 route flush default
	rdisc6_in "$1" >/dev/null
	if wait_default6 "$1" && [[ "$(gdefault6 "$1")" == *"proto ra"* ]]; then return 0; fi
	echo "default route: '$(gdefault6 "$1")'"
	return 1
}

# ra_checks TAG GUEST PREFIX MTU: the RA GUEST gets, field by field.
ra_checks() {
	local t=$1 g=$2 pfx=$3 mtu=$4
	t_ok "$t: rdisc6 in the guest gets an RA" rdisc6_in "$g"
	t_eq "$t: M set (the address by DHCPv6), O set (DNS too)" \
		"$(field 'Stateful address conf\.') $(field 'Stateful other conf\.')" "Yes Yes"
	t_eq "$t: prefix $pfx on-link, not autonomous" \
		"$(field Prefix) $(field On-link) $(field 'Autonomous address conf\.')" "$pfx Yes No"
	t_eq "$t: router lifetime 1800, MTU $mtu" "$(field 'Router lifetime') $(field MTU)" "1800 $mtu"
	t_eq "$t: RDNSS: the attachment's IPv6 nameservers (no IPv4, no loopback)" "$(rdnss)" \
		"fd55::53 2001:db8::53"
	t_eq "$t: DNSSL: its search names, then its domain" "$(dnssl)" "svc.corp.example corp.example"
}

# dhcp_checks TAG GUEST ADDR: dhcpcd in GUEST gets exactly ADDR, and the
# guest has it, and no address of its own making.
dhcp_checks() {
	local t=$1 g=$2 a=$3
	ll_ready "$g" >/dev/null
	if dhcpcd6_in "${G_NS[$g]}" 20; then ok "$t: dhcpcd takes a DHCPv6 lease"; else
		not_ok "$t: dhcpcd takes a DHCPv6 lease" "$(tail -20 "$W_TMP/dhcpcd.log")"; fi
	t_eq "$t: the lease is the recorded $a, with the IPv6 DNS and the names" "$(dhcpcd6_lease)" \
		"addr=$a dns=fd55::53 2001:db8::53 search=svc.corp.example corp.example"
	t_eq "$t: the guest's global addresses: exactly $a (no SLAAC)" \
		"$(in_guest "$g" ip -6 -o addr show dev eth0 scope global | awk '{print $4}' | xargs)" "$a/128"
}

# ---------------------------------------------------------------- shared

t_ok "netd starts" netd_start
vm_ns vm1
VM1=$REPLY
vm_ns vm2
VM2=$REPLY
t_plugin "shared: ADD a1 (dual stack)" ADD id=a1 ns="$VM1"
RES1=$CNI_OUT
t_plugin "shared: ADD a2 (dual stack)" ADD id=a2 ns="$VM2"
RES2=$CNI_OUT
A1=$(addr6 "$RES1") A2=$(addr6 "$RES2")
t_match "the results carry IPv6 addresses in fd55::/64 ($A1, $A2)" "$A1 $A2" '^fd55::[0-9a-f]+ fd55::[0-9a-f]+$'
t_ok "guest stand-in on a1's tap" guest_attach s1 "$RES1" "$VM1"
t_ok "guest stand-in on a2's tap" guest_attach s2 "$RES2" "$VM2"
t_ok "netd serves a1 over IPv6" served a1
t_ok "netd serves a2 over IPv6" served a2

t_eq "netd list --json: a1's guest6 and gateway6" "$(att '"\(.guest6) \(.gateway6)"' a1)" \
	"$A1/64 $(json_get "$RES1" '[.ips[] | select(.address | contains(":"))][0].gateway')"
t_run nc_ list
t_match "netd list shows a1's IPv6 address" "$T_OUT" " a1 .* $A1/64 "
t_run nc_ lease a1 --json
t_eq "netd lease --json: ip6, dns6, search6 as the guest is told" \
	"$(jq -r '"\(.ip6)/\(.prefix_len6) \(.dns6 | join(",")) \(.search6 | join(","))"' <<<"$T_OUT")" \
	"$A1/64 fd55::53,2001:db8::53 svc.corp.example,corp.example"
t_run nc_ lease a1
t_match "netd lease: address6 and that it is served" "$T_OUT" "address6: +$A1/64 \(served by RA and DHCPv6\)"
t_run nc_ lease a1 --kernel-arg
t_match "netd lease --kernel-arg stays IPv4" "$T_OUT" '^ip=10\.55\.0\.[0-9]+::10\.55\.0\.1:255\.255\.255\.0:'
t_eq "netd status --json: RA/DHCPv6 on, 2 guests" "$(stat6 enabled) $(stat6 guests)" "true 2"

ra_checks "shared a1" s1 fd55::/64 1400
BR_LL=$(ip -n "$HOST_NS" -6 -o addr show dev "$BR" scope link | awk '{print $4}' | cut -d/ -f1)
t_match "shared a1: the RA comes from the bridge's link-local address $BR_LL" "$T_OUT" "from $BR_LL"
t_ok "shared a1: the guest's kernel takes its default route from the RAs" wait_default6 s1
t_match "shared a1: default via the bridge's link-local address (proto ra), MTU 1400" \
	"$(gdefault6 s1) $(in_guest s1 ip -o link show eth0)" "default via $BR_LL dev eth0 proto ra .* mtu 1400"
dhcp_checks "shared a1" s1 "$A1"
dhcp_checks "shared a2 (the same bridge)" s2 "$A2"
t_match "the counters: solicitations, RAs and DHCPv6 answers" \
	"$(nc_ status --json | jq -r '.ipv6 | "\(.rs_rx > 0) \(.ra_tx > 0) \(.dhcp6_tx >= 4)"')" "true true true"
t_eq "no message of a known guest is counted as unknown" \
	"$(stat6 ignored_unknown)" 0
t_run nc_ status
t_match "netd status names RA/DHCPv6 and its guests" "$T_OUT" 'ra/dhcpv6: +on: 2 guests served'

# A device re-created by repair is another ifindex: served there again.
IDX0=$(ip -n "$HOST_NS" -o link show dev "$BR" | cut -d: -f1)
ip -n "$HOST_NS" link del "$BR"
for _ in $(seq 100); do
	ip -n "$HOST_NS" link show dev "$BR" >/dev/null 2>&1 && break
	sleep 0.1
done
t_ok "the bridge is re-created by netd's repair" ip -n "$HOST_NS" link show dev "$BR"
IDX1=$(ip -n "$HOST_NS" -o link show dev "$BR" | cut -d: -f1)
t_ok "a1 is served again (ifindex $IDX0 -> $IDX1)" served a1
ra_checks "after the repair, a1" s1 fd55::/64 1400

guest_stop s2
t_plugin "shared: DEL a2" DEL id=a2 ns="$VM2"
for _ in $(seq 30); do [ "$(stat6 guests)" = 1 ] && break; sleep 0.1; done
t_eq "after a2's DEL netd serves one guest" "$(stat6 guests)" 1
t_ok "a1 keeps its default route: a DEL on the bridge is no final RA for the others" \
	sh -c "sleep 1; [ -n \"\$(ip netns exec ${G_NS[s1]} ip -6 route show default)\" ]"
t_ok "and a1 still gets RAs" rdisc6_in s1

# An IPv4-only attachment is none of the service's business.
V4CONF=$(conf_shared net4 vmbr4$$ 10.57.0.0/24 10.57.0.1)
vm_ns vm4
VM4=$REPLY
t_plugin "ADD an IPv4-only attachment" ADD id=v4 ns="$VM4" conf="$V4CONF"
V4RES=$CNI_OUT
sleep 0.5
t_eq "netd list: no guest6, not served" "$(att '"[\(.guest6)] \(.ipv6_served)"' v4)" "[] false"

# ---------------------------------------------------------------- isolated

iso() {
	local w=$1 n=$2 conf res a g=i$1 pfx
	conf=$(conf_iso "$w" "$n")
	vm_ns "vi$w"
	t_plugin "isolated $w: ADD (dual stack)" ADD id="i$w" ns="$REPLY" conf="$conf"
	res=$CNI_OUT
	a=$(addr6 "$res")
	pfx=$(json_get "$res" '[.ips[] | select(.address | contains(":"))][0].address')
	t_match "isolated $w: a /64 block of fd$n::/60 ($pfx)" "$pfx" "^fd$n:(0:0:[0-9a-f]+:)?:[0-9a-f]+/64\$"
	t_ok "isolated $w: guest stand-in" guest_up "$g" "$res" "$REPLY"
	t_ok "isolated $w: netd serves it" served "i$w"
	ra_checks "isolated $w" "$g" "${a%::*}::/64" 1450
	t_ok "isolated $w: a default route from the RAs" wait_default6 "$g"
	dhcp_checks "isolated $w" "$g" "$a"
}
n=56
for w in ${VMNET_WIRING:-netns host}; do
	iso "$w" "$n"
	n=$((n + 2))
done

# ---------------------------------------------------------------- IPv6-only

# udhcpc_in GUEST: one DHCPv4 run (3 discovers, a second apart); 0 when
# it got a lease.
udhcpc_in() {
	in_guest "$1" timeout 20 busybox udhcpc -i eth0 -n -q -f -t 3 -T 1 -A 1 \
		-s /bin/true >"$W_TMP/udhcpc.log" 2>&1
}
dhcp4() { nc_ status --json | jq -r ".dhcp.$1"; }

t_ok "an IPv4-only guest stand-in" guest_attach g4 "$V4RES" "$VM4"
OCONF=$(conf_shared net6o "vmbr6o$$" 10.58.0.0/24 10.58.0.1 \
	".mtu = 1400 | .ipam.ranges = [[{subnet: \"fd57::/64\"}]] | $DNS_JQ")
vm_ns vo
VMO=$REPLY
t_plugin "IPv6-only: ADD o1" ADD id=o1 ns="$VMO" conf="$OCONF"
RESO=$CNI_OUT
AO=$(addr6 "$RESO")
t_eq "IPv6-only: the result has only $AO" "$(jq -r '[.ips[].address] | join(" ")' <<<"$RESO")" "$AO/64"
# guest_attach gives the stand-in ips[0] and its route: dhcpcd is to do that.
t_ok "IPv6-only: guest stand-in on o1's tap" guest_attach o1 "$RESO" "$VMO"
in_guest o1 ip -6 addr flush dev eth0 scope global
in_guest o1 ip -6 route flush default
t_ok "IPv6-only: netd serves o1 over IPv6" served o1
t_eq "IPv6-only: netd list --json: no IPv4 guest or gateway, its guest6" \
	"$(att '"[\(.guest)] [\(.gateway)] \(.guest6)"' o1)" "[] [] $AO/64"
t_run nc_ lease o1 --json
t_eq "IPv6-only: netd lease --json: no IPv4 address or ip= argument; its ip6" \
	"$(jq -r '"[\(.ip)] [\(.kernel_arg)] \(.ip6)/\(.prefix_len6)"' <<<"$T_OUT")" "[] [] $AO/64"
t_run nc_ lease o1
t_match "IPv6-only: netd lease shows no IPv4 address" "$T_OUT" "address: +none \(IPv6-only\)"
ip netns exec "$HOST_NS" "$NETD" lease o1 --kernel-arg --socket "$SOCK" >"$W_TMP/karg.out" 2>"$W_TMP/karg.err"
t_eq "IPv6-only: netd lease --kernel-arg fails (exit 1), printing nothing" "$? [$(cat "$W_TMP/karg.out")]" "1 []"
t_match "... and says there is no IPv4 address" "$(cat "$W_TMP/karg.err")" "no IPv4 address \(IPv6-only network\)"
ra_checks "IPv6-only o1" o1 fd57::/64 1400
dhcp_checks "IPv6-only o1" o1 "$AO"
OFFERS=$(dhcp4 offers) UNKNOWN=$(dhcp4 ignored_unknown)
if udhcpc_in o1; then not_ok "IPv6-only: DHCPv4 from o1 gets no lease" "$(cat "$W_TMP/udhcpc.log")"
else ok "IPv6-only: DHCPv4 from o1 gets no lease"; fi
t_eq "... netd offered nothing and counted its requests as unknown" \
	"$(dhcp4 offers) $(($(dhcp4 ignored_unknown) > UNKNOWN))" "$OFFERS 1"
if udhcpc_in g4; then ok "an IPv4-only guest on the same netd gets a DHCPv4 lease"
else not_ok "an IPv4-only guest on the same netd gets a DHCPv4 lease" "$(cat "$W_TMP/udhcpc.log")"; fi

# ---------------------------------------------------------------- stop

GUESTS="s1 o1"
for w in ${VMNET_WIRING:-netns host}; do GUESTS+=" i$w"; done
for g in $GUESTS; do t_ok "$g: a default route from netd's RA (proto ra)" ra_route "$g"; done
kill -TERM "$NETD_PID"
for g in $GUESTS; do
	t_ok "stopping netd sends the final RA (router lifetime 0): $g drops its default route" \
		wait_default6 "$g" absent
done
t_done
