#!/bin/bash
# SPDX-License-Identifier: MIT
#
# the nftables engine (lib/nft*.c) against a real kernel, driven by build/tools/nftctl in
# throwaway namespaces: table creation (also racing), element-only updates,
# port conflicts, detach, check, sync, real DNAT/masquerade traffic, and
# isolated links (groups, host ports) and anti-spoofing on routed links and
# bridge ports, with real traffic checked at the receiver and by counters.
#
#   tests/integ/t_nft.sh [BUILDDIR]

. "$(dirname "$0")/lib.sh"
need_root
need_cmds nft jq socat arping
NFTCTL=$B/tools/nftctl
[ -x "$NFTCTL" ] || bail "$NFTCTL missing (make)"

world_init
host_ns
H=$HOST_NS

hn() { ip netns exec "$H" "$@"; }
ctl() { ip netns exec "$H" "$NFTCTL" "$@"; }
# Base objects with their handles: what must never change on element updates.
base_objs() {
	hn nft -j -a list table inet vmnet 2>/dev/null |
		jq -c '.nftables[] | select(.rule or .chain or .set or .map) |
			(.rule // .chain // .set // .map) | [.chain // .name, .handle]' | sort
}
n_rules() { hn nft -j list table inet vmnet 2>/dev/null | jq '[.nftables[] | select(.rule)] | length'; }
elems() { hn nft -j list "$1" inet vmnet "$2" 2>/dev/null | jq -c '[.nftables[] | (.set // .map // empty) | .elem // [] | .[]]'; }
n_elems() { elems "$@" | jq length; }

INET_RULES=57 # base rules of inet vmnet (lib/nft_rules*.c)
A="ip=10.1.0.5 masq port=tcp/8080:80 port=udp/5353:53@203.0.113.1"
B2="ip=10.1.0.6 masq port=tcp/8081:80"

# ---------------------------------------------------------------- table

t_eq "no table at first" "$(ctl exists)" 0
# shellcheck disable=SC2086
t_ok "attach creates the table" ctl attach $A
t_eq "table exists, version 7" "$(ctl exists) $(ctl version)" "1 7"
t_eq "exactly one copy of each base rule" "$(n_rules)" "$INET_RULES"
t_eq "chains" "$(hn nft -j list chains inet | jq -r '[.nftables[] | .chain.name // empty] | sort | join(",")')" \
	"antispoof,dnat4,dnat6,forward,input,output,postrouting,prerouting,reached"
t_eq "bridge table with its chains" "$(hn nft -j list chains bridge | jq -r '[.nftables[] | .chain.name // empty] | sort | join(",")')" \
	"antispoof,forward"
t_ok "nft lists the whole ruleset (no abort on the group rule)" hn nft list ruleset
t_match "nft lists the maps readably" "$(hn nft list map inet vmnet ports4h)" \
	"type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service.*203.0.113.1 . udp . 5353 : 10.1.0.5 . 53"
t_match "port element" "$(hn nft list map inet vmnet ports4)" "tcp . 8080 : 10.1.0.5 . 80"
before=$(base_objs)
# shellcheck disable=SC2086
t_ok "second attachment" ctl attach $B2
t_eq "second attachment added only elements (handles unchanged)" "$(base_objs)" "$before"
t_eq "guests4 holds both" "$(elems set guests4)" '["10.1.0.5","10.1.0.6"]'
t_eq "masq4 holds both" "$(n_elems set masq4)" 2
# shellcheck disable=SC2086
t_ok "attach again is not an error for the guest sets" ctl attach ip=10.1.0.6

# ---------------------------------------------------------------- conflicts

t_run ctl attach ip=10.1.0.7 masq port=tcp/9000:80 port=tcp/8080:80
t_match "port conflict: code 102 naming tcp/8080" "$T_OUT" "code=102 .*tcp/8080"
t_eq "nothing of the refused attachment left" "$(elems set guests4) $(n_elems map ports4)" \
	'["10.1.0.5","10.1.0.6"] 2'
t_run ctl attach ip=10.1.0.7 port=udp/5353:53@203.0.113.1
t_match "host-address conflict names the address" "$T_OUT" "code=102 .*udp/5353 on 203.0.113.1"
t_ok "same port on another host address is fine" ctl attach ip=10.1.0.7 port=udp/5353:53@203.0.113.2
t_ok "detach it" ctl detach ip=10.1.0.7 port=udp/5353:53@203.0.113.2
t_ok "DEL of the refused attachment" ctl detach ip=10.1.0.7 masq port=tcp/9000:80 port=tcp/8080:80
t_match "...left the port of its holder alone" "$(hn nft list map inet vmnet ports4)" \
	"tcp . 8080 : 10.1.0.5 . 80"

# ---------------------------------------------------------------- IPv6 twins

D6="ip=10.1.0.8 ip6=fd01::8 masq masq6 port=tcp/8090:80 port=tcp/8091:81@6 port=udp/5354:53@fd00::1 port=tcp/8092:82@4 port=tcp/8093:83@::1"
# shellcheck disable=SC2086
t_ok "a dual-stack attachment" ctl attach $D6
t_eq "guests6, masq6, closed6" "$(elems set guests6) $(elems set masq6) $(elems set closed6)" \
	'["fd01::8"] ["fd01::8"] ["fd01::8"]'
t_match "a port without host address is in ports6" "$(hn nft list map inet vmnet ports6)" \
	"tcp . 8090 : fd01::8 . 80"
t_match "...one of IPv6 only too" "$(hn nft list map inet vmnet ports6)" "tcp . 8091 : fd01::8 . 81"
t_match "an IPv6 host address goes into ports6h" "$(hn nft list map inet vmnet ports6h)" \
	"fd00::1 . udp . 5354 : fd01::8 . 53"
t_eq "IPv4-only and ::1 ports are in no IPv6 map" \
	"$(hn nft list ruleset | grep -cE 'tcp \. (8092|8093) : fd01')" 0
t_match "...the IPv4-only one in ports4" "$(hn nft list map inet vmnet ports4)" "tcp . 8092 : 10.1.0.8 . 82"
t_run ctl attach ip=10.1.0.9 ip6=fd01::9 port=tcp/8091:80
t_match "IPv6 port conflict: code 102 naming tcp/8091 on ::" "$T_OUT" "code=102 .*tcp/8091 on ::"
t_eq "nothing of the refused attachment left" "$(elems set guests6)" '["fd01::8"]'
t_ok "the same port over IPv4 is free" ctl attach ip=10.1.0.9 port=tcp/8091:80
t_ok "...detach it" ctl detach ip=10.1.0.9 port=tcp/8091:80
# shellcheck disable=SC2086
t_ok "check the dual-stack attachment" ctl check $D6
hn nft delete element inet vmnet ports6 '{ tcp . 8090 }'
hn nft add element inet vmnet ports6 '{ tcp . 8090 : fd01::9 . 80 }'
# shellcheck disable=SC2086
t_run ctl check $D6
t_match "check names a wrong IPv6 mapping" "$T_OUT" \
	"code=110 .*port tcp/8090 on :: maps to fd01::9:80, expected fd01::8:80"
# shellcheck disable=SC2086
t_ok "detach the dual-stack attachment" ctl detach $D6
t_eq "its IPv6 elements went (the foreign mapping stays)" \
	"$(n_elems set guests6) $(n_elems set masq6) $(n_elems map ports6) $(n_elems map ports6h)" "0 0 1 0"
hn nft delete element inet vmnet ports6 '{ tcp . 8090 }'

# ---------------------------------------------------------------- detach, check

# shellcheck disable=SC2086
t_ok "detach the second attachment" ctl detach $B2
t_eq "only its elements went" "$(elems set guests4) $(elems set masq4) $(n_elems map ports4)" \
	'["10.1.0.5"] ["10.1.0.5"] 1'
t_eq "base untouched by detach" "$(base_objs)" "$before"
# shellcheck disable=SC2086
t_ok "detach twice" ctl detach $B2
# shellcheck disable=SC2086
t_ok "check" ctl check $A
hn nft delete element inet vmnet guests4 '{ 10.1.0.5 }'
# shellcheck disable=SC2086
t_run ctl check $A
t_match "check names a missing element (code 110)" "$T_OUT" \
	"code=110 .*element 10.1.0.5 missing from set guests4"
hn nft add element inet vmnet guests4 '{ 10.1.0.5 }'
hn nft delete element inet vmnet ports4 '{ tcp . 8080 }'
hn nft add element inet vmnet ports4 '{ tcp . 8080 : 10.1.0.6 . 80 }'
# shellcheck disable=SC2086
t_run ctl check $A
t_match "check names a wrong mapping" "$T_OUT" \
	"code=110 .*port tcp/8080 maps to 10.1.0.6:80, expected 10.1.0.5:80"

# ---------------------------------------------------------------- sync

hn nft flush ruleset
t_eq "flushed" "$(ctl exists)" 0
# shellcheck disable=SC2086
t_ok "sync restores the table" ctl sync $A -- $B2
# shellcheck disable=SC2086
t_ok "...with the first attachment" ctl check $A
# shellcheck disable=SC2086
t_ok "...and the second" ctl check $B2
t_eq "...and one copy of the base rules" "$(n_rules)" "$INET_RULES"
hn nft delete rule inet vmnet postrouting handle "$(hn nft -j -a list chain inet vmnet postrouting |
	jq '[.nftables[] | .rule.handle // empty][0]')"
hn nft add element inet vmnet guests4 '{ 10.9.9.9 }'
# shellcheck disable=SC2086
t_ok "sync over a tampered table" ctl sync $A -- $B2
t_eq "...repairs rules and drops strangers" "$(n_rules) $(elems set guests4)" "$INET_RULES [\"10.1.0.5\",\"10.1.0.6\"]"

ctl delete
# shellcheck disable=SC2086
t_ok "detach with the table gone" ctl detach $A
t_ok "delete table twice" ctl delete

# ---------------------------------------------------------------- racing first ADDs

ns_add race
R=$REPLY
pids=()
for i in 1 2 3 4 5 6 7 8; do
	"$NFTCTL" -N "/run/netns/$R" attach "ip=10.2.0.$i" masq "port=tcp/$((9000 + i)):80" \
		>"$W_TMP/race.$i" 2>&1 &
	pids+=($!)
done
rcs=
for p in "${pids[@]}"; do
	wait "$p"
	rcs+=$?
done
t_eq "8 concurrent first attaches succeed" "$rcs" 00000000
t_eq "one copy of the base rules" \
	"$(ip netns exec "$R" nft -j list table inet vmnet 2>/dev/null | jq '[.nftables[] | select(.rule)] | length')" "$INET_RULES"
t_eq "all 8 attachments present" \
	"$(ip netns exec "$R" nft -j list table inet vmnet 2>/dev/null |
		jq '[.nftables[] | (.set // .map // empty) | select(.name == "guests4" or .name == "ports4") | .elem[]] | length')" 16

# ---------------------------------------------------------------- real traffic

# host --veth-- srv (10.1.0.5, a "guest" running a server on :80), host --veth-- wan
# (203.0.113.10, lib.sh's echo-the-peer server on :8080). Host is 203.0.113.1.
wan_setup
ns_add srv
S=$REPLY
ip -n "$H" link add vsrv type veth peer name eth0 netns "$S"
ip -n "$H" addr add 10.1.0.1/24 dev vsrv
ip -n "$H" link set vsrv up
ip -n "$S" addr add 10.1.0.5/24 dev eth0
ip -n "$S" link set eth0 up
ip -n "$S" route add default via 10.1.0.1
hn sysctl -qw net.ipv4.ip_forward=1
hn sysctl -qw net.ipv4.conf.vsrv.route_localnet=1
# shellcheck disable=SC2016
ip netns exec "$S" socat TCP-LISTEN:80,reuseaddr,fork 'SYSTEM:echo peer=$SOCAT_PEERADDR' \
	</dev/null >/dev/null 2>&1 &
track_pid $!
wait_listen "$S" tcp 80
# shellcheck disable=SC2086
t_ok "attach the server guest" ctl attach $A

get() { ip netns exec "$1" socat -T3 - "TCP:$2" </dev/null 2>&1; }
t_eq "wan -> host:8080 is DNAT'd to the guest (no masquerade inbound)" \
	"$(get "$WAN_NS" 203.0.113.1:8080)" "peer=203.0.113.10"
t_eq "host itself -> own address:8080 (output chain)" "$(get "$H" 203.0.113.1:8080)" \
	"peer=203.0.113.1"
t_eq "localhost:8080 (masqueraded)" "$(get "$H" 127.0.0.1:8080)" "peer=10.1.0.1"
t_eq "guest -> host:8080 -> itself (hairpin masquerade)" "$(get "$S" 203.0.113.1:8080)" \
	"peer=10.1.0.1"
t_eq "guest -> wan is masqueraded to the host address" "$(get "$S" 203.0.113.10:8080)" \
	"203.0.113.1"
# shellcheck disable=SC2086
t_ok "detach the server guest" ctl detach $A
t_match "after detach the port is closed" "$(get "$WAN_NS" 203.0.113.1:8080)" "refused|Connection"

# ---------------------------------------------------------------- outdated table

ns_add old
O=$REPLY
ip netns exec "$O" nft add table inet vmnet '{ comment "vmnet:1"; }'
ip netns exec "$O" nft add set inet vmnet guests4 '{ type ipv4_addr; }'
t_run "$NFTCTL" -N "/run/netns/$O" attach ip=10.5.0.2 if=vmx1 mac=02:00:00:00:00:01 iso
t_match "a version-1 table: attach asks for a resync" "$T_OUT" "version 1, this vmnet needs 7: resync"
t_ok "sync replaces it" "$NFTCTL" -N "/run/netns/$O" sync ip=10.5.0.2 if=vmx1 mac=02:00:00:00:00:01 iso
t_ok "...and the attachment checks" "$NFTCTL" -N "/run/netns/$O" check ip=10.5.0.2 if=vmx1 mac=02:00:00:00:00:01 iso

# ---------------------------------------------------------------- isolated links

ctr() { hn nft -j list counter "$1" vmnet "$2" 2>/dev/null | jq '.nftables[1].counter.packets'; }
mac_of() { ip -n "$1" -j link show dev eth0 | jq -r '.[0].address'; }
# p2p NAME HOSTIF HOSTADDR GUESTADDR: a guest namespace on a routed /30 link
p2p() {
	ns_add "$1"
	ip -n "$H" link add "$2" type veth peer name eth0 netns "$REPLY"
	ip -n "$H" addr add "$3/30" dev "$2"
	ip -n "$H" link set "$2" up
	ip -n "$REPLY" addr add "$4/30" dev eth0
	ip -n "$REPLY" link set eth0 up
	ip -n "$REPLY" route add default via "$3"
}
# listen NS PROTO PORT FILE: log what a TCP/UDP listener receives
listen() {
	local a=TCP-LISTEN:$3,reuseaddr,fork
	# UDP: one process receives every datagram (no fork to lose one)
	[ "$2" = udp ] && a=UDP-RECV:$3,reuseaddr
	ip netns exec "$1" socat -u "$a" "OPEN:$4,creat,append" </dev/null >/dev/null 2>&1 &
	track_pid $!
	wait_listen "$1" "$2" "$3"
}
# say NS PROTO DST PORT TEXT [SRC]
say() {
	local b=
	[ -n "${6:-}" ] && b=",bind=$6"
	echo "$5" | ip netns exec "$1" timeout 3 socat -u - "$2:$3:$4,connect-timeout=2$b" >/dev/null 2>&1
	sleep 0.3
}
png() { ip netns exec "$1" "${PING[@]}" -c1 -W1 "$2" >/dev/null 2>&1; }

p2p ia isa 10.3.0.1 10.3.0.2
IA=$REPLY
p2p ib isb 10.3.0.5 10.3.0.6
IB=$REPLY
MA=$(mac_of "$IA")
MB=$(mac_of "$IB")
listen "$IB" tcp 80 "$W_TMP/ib.tcp"
listen "$IB" udp 9000 "$W_TMP/ib.udp"
listen "$H" tcp 53 "$W_TMP/h53"
listen "$H" tcp 8000 "$W_TMP/h8000"
ISO_A="ip=10.3.0.2 masq if=isa mac=$MA iso"
ISO_B="ip=10.3.0.6 masq if=isb mac=$MB iso"
# shellcheck disable=SC2086
t_ok "attach two isolated guests, no group" sh -c "$(declare -f ctl hn); H=$H NFTCTL=$NFTCTL; ctl attach $ISO_A && ctl attach $ISO_B"
# shellcheck disable=SC2086
t_ok "check names all isolated elements" ctl check $ISO_A
t_ok "guest pings its gateway" png "$IA" 10.3.0.1
iso0=$(ctr inet iso_drop)
t_fail "no group: A cannot ping B" png "$IA" 10.3.0.6
say "$IA" TCP 10.3.0.6 80 hello-nogroup
t_eq "no group: B's TCP listener saw nothing" "$(cat "$W_TMP/ib.tcp" 2>/dev/null)" ""
t_match "iso_drop rose" "$(ctr inet iso_drop)" "^[0-9]+$"
[ "$(ctr inet iso_drop)" -gt "$iso0" ] && ok "iso_drop counter rose ($iso0 -> $(ctr inet iso_drop))" || not_ok "iso_drop counter rose"

# The group rule matches oifname . iifgroup: attach.c puts the host end of
# an isolated link into its group's device group; here the test does.
# shellcheck disable=SC2086
ctl detach $ISO_A; ctl detach $ISO_B; ctl attach $ISO_A group=5; ctl attach $ISO_B group=5
ip -n "$H" link set isa group 5
ip -n "$H" link set isb group 5
# shellcheck disable=SC2086
t_ok "check with group" ctl check $ISO_A group=5
t_ok "same group: A pings B" png "$IA" 10.3.0.6
say "$IA" TCP 10.3.0.6 80 hello-group
t_eq "same group: TCP gets through" "$(cat "$W_TMP/ib.tcp" 2>/dev/null)" "hello-group"
# shellcheck disable=SC2086
ctl detach $ISO_B group=5; ctl attach $ISO_B group=6
ip -n "$H" link set isb group 6
t_fail "different groups: no ping" png "$IA" 10.3.0.6
say "$IA" TCP 10.3.0.6 80 hello-othergroup
t_eq "different groups: no TCP" "$(cat "$W_TMP/ib.tcp")" "hello-group"
# shellcheck disable=SC2086
ctl detach $ISO_B group=6; ctl attach $ISO_B group=5
ip -n "$H" link set isb group 5
t_eq "detach removed the old group's member key" "$(hn nft -j list set inet vmnet iso_members 2>/dev/null | jq -c '[.nftables[1].set.elem[].concat[1]] | sort')" "[5,5]"

say "$IA" TCP 10.3.0.1 53 dns
say "$IA" TCP 10.3.0.1 8000 other
t_eq "host: tcp/53 reachable" "$(cat "$W_TMP/h53" 2>/dev/null)" "dns"
t_eq "host: tcp/8000 not" "$(cat "$W_TMP/h8000" 2>/dev/null)" ""
# shellcheck disable=SC2086
ctl detach $ISO_A group=5; ctl attach $ISO_A group=5 hostaccess
say "$IA" TCP 10.3.0.1 8000 open
t_eq "hostAccess: tcp/8000 reachable" "$(cat "$W_TMP/h8000" 2>/dev/null)" "open"

sp0=$(ctr inet spoof_drop)
say "$IA" UDP 10.3.0.6 9000 legit
t_eq "legit UDP A -> B arrives" "$(cat "$W_TMP/ib.udp" 2>/dev/null)" "legit"
ip -n "$IA" addr add 10.3.0.99/32 dev eth0
say "$IA" UDP 10.3.0.6 9000 spoofed-ip 10.3.0.99
t_fail "spoofed source IP: no ping reply" ip netns exec "$IA" "${PING[@]}" -c1 -W1 -I 10.3.0.99 10.3.0.6
ip -n "$IA" addr del 10.3.0.99/32 dev eth0
ip -n "$IA" link set eth0 address 02:00:00:00:99:99
say "$IA" UDP 10.3.0.6 9000 spoofed-mac
ip -n "$IA" link set eth0 address "$MA"
t_eq "B received neither spoofed datagram" "$(cat "$W_TMP/ib.udp")" "legit"
sp1=$(ctr inet spoof_drop)
[ "$sp1" -gt "$sp0" ] && ok "spoof_drop rose ($sp0 -> $sp1)" || not_ok "spoof_drop rose" "$sp0 -> $sp1"

# ---------------------------------------------------------------- shared bridge

ip -n "$H" link add br0 type bridge
ip -n "$H" addr add 10.4.0.1/24 dev br0
ip -n "$H" link set br0 up
for g in a b; do
	ns_add "s$g"
	ip -n "$H" link add "ps$g" type veth peer name eth0 netns "$REPLY"
	ip -n "$H" link set "ps$g" master br0 up
	ip -n "$REPLY" link set eth0 up
done
SA=${P}sa
SB=${P}sb
ip -n "$SA" addr add 10.4.0.2/24 dev eth0
ip -n "$SB" addr add 10.4.0.3/24 dev eth0
SMA=$(mac_of "$SA")
SMB=$(mac_of "$SB")
listen "$SB" udp 9000 "$W_TMP/sb.udp"
t_ok "attach two shared guests with their ports" sh -c "$(declare -f ctl hn); H=$H NFTCTL=$NFTCTL; ctl attach ip=10.4.0.2 if=psa mac=$SMA br=br0 && ctl attach ip=10.4.0.3 if=psb mac=$SMB br=br0"
t_ok "check names the bridge elements" ctl check ip=10.4.0.2 if=psa mac="$SMA" br=br0
t_ok "shared: A pings B" png "$SA" 10.4.0.3
t_ok "shared: host pings B (neighbour entry)" png "$H" 10.4.0.3
say "$SA" UDP 10.4.0.3 9000 legit
bs0=$(ctr bridge spoof_drop)
ip -n "$SA" addr add 10.4.0.99/24 dev eth0
say "$SA" UDP 10.4.0.3 9000 spoofed-ip 10.4.0.99
ip -n "$SA" addr del 10.4.0.99/24 dev eth0
ip -n "$SA" link set eth0 address 02:00:00:00:99:98
say "$SA" UDP 10.4.0.3 9000 spoofed-mac
ip -n "$SA" link set eth0 address "$SMA"
t_eq "shared: only the legit datagram arrived" "$(cat "$W_TMP/sb.udp" 2>/dev/null)" "legit"
sleep 1.2 # past the neighbour locktime, so a forged update would be taken
ip -n "$SA" addr add 10.4.0.3/32 dev eth0
ip netns exec "$SA" arping -q -U -c 2 -s 10.4.0.3 -I eth0 10.4.0.3 >/dev/null 2>&1
ip netns exec "$SA" arping -q -A -c 2 -s 10.4.0.3 -I eth0 10.4.0.3 >/dev/null 2>&1
ip -n "$SA" addr del 10.4.0.3/32 dev eth0
t_match "gratuitous ARP for B's address did not move the host's entry" \
	"$(ip -n "$H" neigh show 10.4.0.3 dev br0)" "lladdr $SMB"
bs1=$(ctr bridge spoof_drop)
[ "$bs1" -gt "$bs0" ] && ok "bridge spoof_drop rose ($bs0 -> $bs1)" || not_ok "bridge spoof_drop rose" "$bs0 -> $bs1"
t_ok "shared: legit traffic still works" png "$SA" 10.4.0.3
t_ok "detach a shared guest" ctl detach ip=10.4.0.2 if=psa mac="$SMA" br=br0
t_eq "...its bridge elements went, B's stayed" "$(hn nft -j list set bridge vmnet ports 2>/dev/null | jq -c '.nftables[1].set.elem')" '["psb"]'

# ---------------------------------------------------------------- timing

ns_add bench
t1=$("$NFTCTL" -N "/run/netns/$REPLY" bench-atts 1 200)
t5=$("$NFTCTL" -N "/run/netns/$REPLY" bench-atts 5000 200)
diag "$t1" "$t5"
m1=$(sed 's/.*attach_median_us=\([0-9]*\).*/\1/' <<<"$t1")
m5=$(sed 's/.*attach_median_us=\([0-9]*\).*/\1/' <<<"$t5")
[ "$m5" -le $((m1 * 2 + 100)) ] && ok "isolated attach with 5000 attachments ~ with 1 ($m1 vs $m5 us)" ||
	not_ok "isolated attach with 5000 attachments ~ with 1" "$m1 vs $m5 us"

t_done
