#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# netd's IPv6 guest service (netd/guest6.c: router advertisements and the
# DHCPv6 server) against real clients, through build/tools/guest6test with
# links described on its command line: rdisc6 (ndisc6) reads the RAs,
# dhcpcd takes a DHCPv6 lease, the guests' own kernels take SLAAC and the
# final RA. Links: a point-to-point veth (isolated style), a bridge with a
# known and an unknown guest (shared style), a SLAAC-only veth.
# Usage: t_netd6.sh [BUILD_DIR]

. "$(dirname "$0")/lib.sh"

need_root
need_cmds rdisc6 dhcpcd python3 unshare mount sysctl
G6TEST=$B/tools/guest6test
need_bins "$G6TEST"

MAC1=02:00:00:00:06:01 # guest1, point-to-point, fd88:1::10
MAC2=02:00:00:00:06:02 # guest2, on the bridge, fd88:2::20
MAC3=02:00:00:00:06:03 # guest3, on the bridge, unknown
MAC4=02:00:00:00:06:04 # guest4, SLAAC link
world_init

# ---------------------------------------------------------------- topology

# No duplicate address detection: link-local addresses are usable at once
# (netd's links are set up the same way, issue 14 "Safety").
nodad() { ip netns exec "$1" sysctl -qw net.ipv6.conf.default.accept_dad=0; }
host_ns
nodad "$HOST_NS"
ip -n "$HOST_NS" link add br0 type bridge || bail "bridge"
for i in 1 2 3 4; do
	ns_add "g$i"
	eval "G$i=\$REPLY"
	nodad "$REPLY"
done
ip -n "$HOST_NS" link add p1 type veth peer name eth0 netns "$G1" || bail "veth p1"
ip -n "$HOST_NS" link add p4 type veth peer name eth0 netns "$G4" || bail "veth p4"
for i in 2 3; do
	eval "g=\$G$i"
	ip -n "$HOST_NS" link add "h$i" type veth peer name eth0 netns "$g" || bail "veth h$i"
	ip -n "$HOST_NS" link set "h$i" master br0 up
done
for d in br0 p1 p4; do ip -n "$HOST_NS" link set "$d" up; done
for i in 1 2 3 4; do
	eval "g=\$G$i mac=\$MAC$i"
	ip -n "$g" link set eth0 address "$mac" up
done

ip netns exec "$HOST_NS" "$G6TEST" -v --stats "$W_TMP/stats" \
	--link dev=p1,guest=$MAC1,addr=fd88:1::10/64,prefix=fd88:1::/64,mtu=1400,dns=fd88:1::1,dns=2001:db8::53,search=vm.test,search=example.com \
	--link dev=br0,guest=$MAC2,addr=fd88:2::20/64,prefix=fd88:2::/64,mtu=1450,dns=fd88:2::1,search=shared.test,preferred=4,valid=30 \
	--link dev=p4,prefix=fd88:4::/64/slaac,mtu=1380,dns=fd88:4::1,lifetime=600 \
	>"$W_TMP/g6.out" 2>"$W_TMP/g6.err" &
track_pid $!
for _ in $(seq 50); do grep -q ready "$W_TMP/g6.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$W_TMP/g6.out" || bail "guest6test did not start: $(cat "$W_TMP/g6.err")"

stat_of() { grep -oE "(^| )$1=[0-9]+" "$W_TMP/stats" | cut -d= -f2; }

# ---------------------------------------------------------------- helpers

# answered MSG REASON: dhcpcd's last run sent MSG, got a Reply within the
# next lines of its log, and told its script REASON.
answered() {
	grep -A3 "broadcasting $1 " "$W_TMP/dhcpcd.log" | grep -q 'REPLY6 received' &&
		grep -qx "$2" "$W_TMP/reasons" || { tail -20 "$W_TMP/dhcpcd.log"; return 1; }
}

# rdisc6_in NS: one solicitation, the advertisement as rdisc6 prints it.
rdisc6_in() { ip netns exec "$1" timeout 10 rdisc6 -1 -w 2000 eth0; }
# field NAME: the first word of rdisc6's line "NAME : VALUE" in T_OUT.
field() { sed -nE "s/^ *$1 *: *//p" <<<"$T_OUT" | head -1 | awk '{print $1}'; }

# ---------------------------------------------------------------- point-to-point, stateful

t_ok "guest1: rdisc6 gets an answer to its solicitation" rdisc6_in "$G1"
RA1=$T_OUT
t_eq "guest1: M and O set (addresses and DNS from DHCPv6)" \
	"$(field 'Stateful address conf\.') $(field 'Stateful other conf\.')" "Yes Yes"
t_eq "guest1: hop limit 64, router lifetime 1800" "$(field 'Hop limit') $(field 'Router lifetime')" "64 1800"
t_eq "guest1: prefix fd88:1::/64, on-link, not autonomous" \
	"$(field Prefix) $(field On-link) $(field 'Autonomous address conf\.')" "fd88:1::/64 Yes No"
t_eq "guest1: MTU option 1400" "$(field MTU)" "1400"
t_eq "guest1: RDNSS fd88:1::1 and 2001:db8::53" \
	"$(grep 'Recursive DNS server' <<<"$RA1" | awk '{print $NF}' | tr '\n' ' ')" "fd88:1::1 2001:db8::53 "
t_eq "guest1: DNSSL vm.test example.com" "$(grep 'DNS search list  ' <<<"$RA1" | cut -d: -f2 | xargs)" \
	"vm.test example.com"
P1_LL=$(ip -n "$HOST_NS" -6 -o addr show dev p1 scope link | awk '{print $4}' | cut -d/ -f1)
P1_MAC=$(ip -n "$HOST_NS" -o link show p1 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
t_match "guest1: sent from the link's link-local address $P1_LL" "$RA1" "from $P1_LL"
t_eq "guest1: source link-layer option is p1's MAC" \
	"$(field 'Source link-layer address' | tr A-F a-f)" "$P1_MAC"

if dhcpcd6_in "$G1" 20; then ok "guest1: dhcpcd takes a DHCPv6 lease"; else
	not_ok "guest1: dhcpcd takes a DHCPv6 lease" "$(tail -20 "$W_TMP/dhcpcd.log")"; fi
t_eq "guest1: the lease is fd88:1::10 with both servers and both domains" "$(dhcpcd6_lease)" \
	"addr=fd88:1::10 dns=fd88:1::1 2001:db8::53 search=vm.test example.com"
t_match "guest1: eth0 has fd88:1::10" "$(ip -n "$G1" -6 -o addr show dev eth0 scope global)" \
	'inet6 fd88:1::10/128'
t_match "guest1: default route via the link-local router, MTU 1400" \
	"$(ip -n "$G1" -6 route show default)" "default via $P1_LL dev eth0 .*mtu 1400"
t_match "guest1: lifetimes from the server (renew at 0.5, rebind at 0.8)" "$(cat "$W_TMP/dhcpcd.log")" \
	'renew in 7200, rebind in 11520, expire in 86400'

dhcpcd6_in "$G1" 20
t_ok "guest1: booting again, its stored lease is confirmed (Confirm answered)" answered CONFIRM6 REBOOT6
t_eq "guest1: and it keeps fd88:1::10" "$(dhcpcd6_lease)" \
	"addr=fd88:1::10 dns=fd88:1::1 2001:db8::53 search=vm.test example.com"

# ---------------------------------------------------------------- bridge: the recorded MAC only

t_ok "guest2 (bridge): rdisc6 gets an answer" rdisc6_in "$G2"
t_match "guest2: prefix fd88:2::/64, MTU 1450, DNSSL shared.test" \
	"$(field Prefix) $(field MTU) $(grep 'DNS search list  ' <<<"$T_OUT" | cut -d: -f2 | xargs)" \
	'^fd88:2::/64 1450 shared.test$'
if dhcpcd6_in "$G2" 20; then ok "guest2: dhcpcd takes a DHCPv6 lease"; else
	not_ok "guest2: dhcpcd takes a DHCPv6 lease" "$(tail -20 "$W_TMP/dhcpcd.log")"; fi
t_eq "guest2: the lease is fd88:2::20" "$(dhcpcd6_lease)" "addr=fd88:2::20 dns=fd88:2::1 search=shared.test"
# A fresh lease, not the stored one: confirming a stored lease, dhcpcd
# counts T1 and T2 from when it got it, and on a slow machine both are gone
# (it then never renews: CI saw "expire in 27 seconds" and no Renew).
rm -f "$W_TMP/db.$G2"/*.lease6
dhcpcd6_in "$G2" 8 stay
t_ok "guest2: dhcpcd renews its short lease (T1 2 s) and is answered" answered RENEW6 RENEW6
unk0=$(stat_of unknown)
dhcpcd6_in "$G3" 6
t_eq "guest3 (unknown MAC on the bridge): no lease" "$(dhcpcd6_lease)$(ip -n "$G3" -6 -o addr show dev eth0 scope global)" ""
t_match "guest3: its DHCPv6 messages were seen and ignored" "$(($(stat_of unknown) - unk0))" '^[1-9]'

# ---------------------------------------------------------------- SLAAC link, the final RA

t_ok "guest4 (SLAAC): rdisc6 gets an answer" rdisc6_in "$G4"
# No guest MAC on this link: DHCPv6 answers nobody there, so no O flag
# either; DNS comes by RDNSS alone.
t_eq "guest4: autonomous prefix, neither M nor O" \
	"$(field 'Autonomous address conf\.') $(field 'Stateful address conf\.') $(field 'Stateful other conf\.')" \
	"Yes No No"
t_eq "guest4: RDNSS fd88:4::1" "$(field 'Recursive DNS server')" "fd88:4::1"
for _ in $(seq 50); do
	ip -n "$G4" -6 -o addr show dev eth0 scope global | grep -q fd88:4:: && break
	sleep 0.1
done
t_match "guest4: its kernel forms an address in fd88:4::/64" \
	"$(ip -n "$G4" -6 -o addr show dev eth0 scope global)" 'inet6 fd88:4::[0-9a-f:]+/64'
t_match "guest4: and a default route, MTU 1380 on the link" \
	"$(ip -n "$G4" -6 route show default) $(ip -n "$G4" -o link show eth0)" 'default via fe80:.* mtu 1380'

# ---------------------------------------------------------------- malformed solicitations

mal0=$(stat_of malformed)
ip netns exec "$G1" python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 64)  # not 255
s.sendto(bytes([133, 0, 0, 0, 0, 0, 0, 0]), ("ff02::2", 0, 0, socket.if_nametoindex("eth0")))
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.sendto(bytes([133, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]), ("ff02::2", 0, 0, socket.if_nametoindex("eth0")))
PY
sleep 0.3
t_eq "an RS with hop limit 64 and one with a zero-length option are ignored" \
	"$(($(stat_of malformed) - mal0))" 2

rs0=$(stat_of rs) ra0=$(stat_of ra)
ip netns exec "$G1" python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
for _ in range(50):
    s.sendto(bytes([133, 0, 0, 0, 0, 0, 0, 0]), ("ff02::2", 0, 0, socket.if_nametoindex("eth0")))
PY
sleep 0.5
t_eq "a burst of 50 solicitations is seen" "$(($(stat_of rs) - rs0))" 50
# One answer at once, then at most one every RS_UNICAST_GAP_MS and a
# multicast one every 3 s: a handful, whatever the machine's load.
t_match "and answered by a few RAs, not 50" "$(($(stat_of ra) - ra0))" '^[1-9]$'

# ---------------------------------------------------------------- stop

if [ -d "/proc/${W_PIDS[0]}" ]; then ok "guest6test still running after all of it"; else
	not_ok "guest6test still running after all of it" "$(cat "$W_TMP/g6.err")"; fi
diag "guest6test: $(cat "$W_TMP/stats")"
kill_pid "${W_PIDS[0]}"
for _ in $(seq 30); do
	[ -z "$(ip -n "$G4" -6 route show default)" ] && break
	sleep 0.1
done
t_eq "stopping sends a final RA (router lifetime 0): guest4 drops its default route" \
	"$(ip -n "$G4" -6 route show default)" ""
t_done
