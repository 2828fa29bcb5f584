#!/bin/bash
# SPDX-License-Identifier: MIT
#
# lib/conntrack.c against a real kernel, in throwaway namespaces:
#  - build/tools/cttest's own suite (counts, selectivity, netns fd, errors)
#    in a namespace of its own;
#  - the effect that matters: a UDP client keeps sending from one source port
#    to a published host port; the port's DNAT target changes (an nft map in
#    a fixture table, standing in for ours); the client keeps reaching the old
#    server until vmnet_conntrack_flush_port, and the new one after. The same
#    for DEL: after the mapping goes, the old target keeps getting datagrams
#    until vmnet_conntrack_flush_guest.
#  - IPv6: entries of every tuple layout (tcp, udp in a zone, gre, icmpv6)
#    found through the namespace's /proc/net/nf_conntrack and deleted, others
#    kept.
#
#   tests/integ/t_conntrack.sh [BUILDDIR]

. "$(dirname "$0")/lib.sh"
need_root
need_cmds nft socat conntrack ping
CTTEST=$B/tools/cttest
need_bins "$CTTEST"

world_init

# ---------------------------------------------------------------- suite

# Both ways of flushing: the kernel's filtered flush (the default, kernels
# with CTA_FILTER on IPCTNL_MSG_CT_DELETE) and dump + delete one by one (older
# kernels; forced with VMNET_CONNTRACK_DUMP=1).
for mode in filter dump; do
	ns_add ct
	dump=0
	[ $mode = dump ] && dump=1
	t_run ip netns exec "$REPLY" env VMNET_LOG_LEVEL=debug VMNET_CONNTRACK_DUMP=$dump "$CTTEST"
	rc=$?
	if [ $rc -eq 0 ] && ! grep -q '^not ok' <<<"$T_OUT"; then
		ok "cttest suite ($mode): $(grep -c '^ok' <<<"$T_OUT") checks"
	else
		not_ok "cttest suite ($mode, exit $rc)" "$T_OUT"
	fi
	if [ $mode = filter ]; then
		# This kernel (6.18) flushes by filter: no dump at all.
		t_match "the kernel flushed udp/5353 by its filter" "$T_OUT" \
			"udp/5353: flushed by the kernel's filter"
		# (IPv6 addresses are always matched after a dump: lib/conntrack.c
		# says why.)
		t_eq "  and nothing was dumped (IPv4)" "$(grep dumped <<<"$T_OUT" | grep -vc '(IPv6)')" 0
		# IPv6 entries are read from /proc/net/nf_conntrack, never dumped.
		t_match "IPv6 guest ::1's entries found through /proc" "$T_OUT" \
			"guest ::1 \(IPv6\): [0-9]+ read from /proc, 2 matched, 2 deleted"
		t_match "  and udp/5361 at fd00::99 through /proc too" "$T_OUT" \
			"udp/5361 \(IPv6\) at fd00::99: [0-9]+ read from /proc, 0 matched"
		t_eq "  and nothing was dumped (IPv6)" "$(grep -c dumped <<<"$T_OUT")" 0
	else
		# The kernel (>= 5.10) filters the dump: it returns only the matching
		# entries although others exist (the 5354, tcp and DNAT'd ones).
		t_match "the kernel applied the dump filter" "$T_OUT" \
			"udp/5353: 3 dumped \(kernel filter\), 3 matched, 3 deleted"
		t_eq "  and /proc was not read" "$(grep -c 'read from /proc' <<<"$T_OUT")" 0
	fi
	ns_del "$REPLY"
done

# ---------------------------------------------------------------- IPv6 by /proc

# Towards guest fd00::5: one entry of each tuple layout the /proc text has
# (ports; ports in zone 4, deleted with CTA_ZONE; GRE keys; icmpv6's
# type/code/id from a real echo), and one towards fd00::6 that must stay.
ns_add ct6
N6=$REPLY
n6() { ip netns exec "$N6" "$@"; }
n6 ip addr add fd00::5/128 dev lo nodad
# A namespace tracks packets only once a ruleset needs conntrack.
n6 nft add table ip6 track || bail "nft table in $N6"
n6 nft add chain ip6 track out '{ type filter hook output priority 0; ct state new counter; }'
ins6() { # DST CONNTRACK-ARGS...
	local d=$1
	shift
	n6 conntrack -I -s fd00::1 -d "$d" -r "$d" -q fd00::1 -t 100 "$@"
}
t_ok "tcp entry towards fd00::5" ins6 fd00::5 -p tcp --sport 1000 --dport 80 \
	--reply-port-src 80 --reply-port-dst 1000 --state ESTABLISHED
t_ok "udp entry towards fd00::5 in zone 4" ins6 fd00::5 -p udp --sport 1001 --dport 53 \
	--reply-port-src 53 --reply-port-dst 1001 -w 4
t_ok "gre entry towards fd00::5" ins6 fd00::5 -p gre --srckey 5 --dstkey 6 \
	--reply-key-src 6 --reply-key-dst 5
t_ok "udp entry towards fd00::6" ins6 fd00::6 -p udp --sport 1001 --dport 53 \
	--reply-port-src 53 --reply-port-dst 1001
t_ok "icmpv6 echo to fd00::5" n6 ping -6 -c1 -W2 fd00::5
ct6() { n6 conntrack -L -f ipv6 "$@" 2>/dev/null | grep -c .; }
t_eq "4 entries answered by fd00::5" "$(ct6 --reply-src fd00::5)" 4
t_run n6 env VMNET_LOG_LEVEL=debug "$CTTEST" flush-guest6 fd00::5
t_match "flush_guest6 fd00::5 reads /proc and deletes all 4" "$T_OUT" \
	"guest fd00::5 \(IPv6\): 5 read from /proc, 4 matched, 4 deleted"
t_eq "  no entry answered by fd00::5 is left" "$(ct6 --reply-src fd00::5)" 0
for p in tcp udp gre icmpv6; do
	t_eq "  no $p entry of fd00::5" "$(n6 conntrack -L -f ipv6 -p $p 2>/dev/null |
		grep -c 'src=fd00::5 ')" 0
done
t_eq "  the entry towards fd00::6 stays" "$(ct6 --reply-src fd00::6)" 1
t_ok "udp/53 entries towards fd00::7 and fd00::8" eval \
	'ins6 fd00::7 -p udp --sport 2000 --dport 53 --reply-port-src 53 --reply-port-dst 2000 &&
	ins6 fd00::8 -p udp --sport 2000 --dport 53 --reply-port-src 53 --reply-port-dst 2000'
t_run n6 env VMNET_LOG_LEVEL=debug "$CTTEST" flush-port6 17 53 fd00::7
t_match "flush_port6 udp/53 at fd00::7 reads /proc, deletes 1" "$T_OUT" \
	"udp/53 \(IPv6\) at fd00::7: 3 read from /proc, 1 matched, 1 deleted"
t_eq "  fd00::7's entry is gone" "$(ct6 --reply-src fd00::7)" 0
t_eq "  fd00::8's and fd00::6's stay" "$(ct6 --reply-src fd00::8)$(ct6 --reply-src fd00::6)" 11
ns_del "$N6"

# ---------------------------------------------------------------- traffic

# client 10.0.1.2 -- host 10.0.1.1 | 10.0.2.1 -- A 10.0.2.2
#                                  | 10.0.3.1 -- B 10.0.3.2
host_ns
H=$HOST_NS
ns_add client
C=$REPLY
ns_add srva
SA=$REPLY
ns_add srvb
SB=$REPLY

link() { # NS HOSTDEV HOSTIP PEERIP
	ip -n "$H" link add "$2" type veth peer name eth0 netns "$1" || bail "veth $2"
	ip -n "$H" addr add "$3/24" dev "$2"
	ip -n "$H" link set "$2" up
	ip -n "$1" addr add "$4/24" dev eth0
	ip -n "$1" link set eth0 up
	ip -n "$1" route add default via "$3"
}
link "$C" c0 10.0.1.1 10.0.1.2
link "$SA" a0 10.0.2.1 10.0.2.2
link "$SB" b0 10.0.3.1 10.0.3.2
ip netns exec "$H" sysctl -qw net.ipv4.ip_forward=1

hn() { ip netns exec "$H" "$@"; }
cat >"$W_TMP/fixture.nft" <<'EOF'
table ip fixture {
	map ports { type inet_service : ipv4_addr; elements = { 5353 : 10.0.2.2 } }
	chain pre { type nat hook prerouting priority -100; dnat to udp dport map @ports; }
}
EOF
t_ok "fixture: udp/5353 DNAT'd through a map, to A" hn nft -f "$W_TMP/fixture.nft"
remap() { # NEW_TARGET or "" to unpublish
	hn nft delete element ip fixture ports '{ 5353 }' || return 1
	[ -z "$1" ] || hn nft add element ip fixture ports "{ 5353 : $1 }"
}

for s in a b; do
	ns=$SA ip=10.0.2.2
	[ $s = b ] && ns=$SB ip=10.0.3.2
	: >"$W_TMP/$s.log"
	ip netns exec "$ns" socat -u "UDP-RECV:5353,bind=$ip" "OPEN:$W_TMP/$s.log,append" \
		</dev/null 2>>"$W_TMP/$s.err" &
	track_pid $!
done
# One datagram every 0.1 s, always from 10.0.1.2:40000, so one entry.
# shellcheck disable=SC2016
ip netns exec "$C" bash -c 'i=0; while :; do
	echo $i | socat -u - UDP-SENDTO:10.0.1.1:5353,bind=10.0.1.2:40000,reuseaddr 2>/dev/null
	i=$((i + 1)); sleep 0.1; done' </dev/null >/dev/null 2>&1 &
track_pid $!

lines() { wc -l <"$1" 2>/dev/null || echo 0; }
# grows NAME SECONDS: $W_TMP/NAME.log gains lines within SECONDS.
grows() {
	local a b i
	a=$(lines "$W_TMP/$1.log")
	for ((i = 0; i < $2 * 10; i++)); do
		sleep 0.1
		b=$(lines "$W_TMP/$1.log")
		[ "$b" -gt "$a" ] && return 0
	done
	echo "server $1 stayed at $a datagrams"
	return 1
}
# still NAME SECONDS: no new lines during SECONDS.
still() {
	local a b
	a=$(lines "$W_TMP/$1.log")
	sleep "$2"
	b=$(lines "$W_TMP/$1.log")
	[ "$a" -eq "$b" ] && return 0
	echo "server $1 went from $a to $b datagrams"
	return 1
}
entries() { hn conntrack -L -p udp --dport 5353 2>/dev/null; }

t_ok "the client reaches A" grows a 5
t_ok "  and not B" still b 0.5
t_match "one entry, reply from A" "$(entries)" "dport=5353 .*src=10\.0\.2\.2 dst=10\.0\.1\.2 sport=5353 dport=40000"

t_ok "publish udp/5353 to B instead" remap 10.0.3.2
t_ok "without a flush the client still reaches A (stale entry)" grows a 3
t_ok "  and not B" still b 1

t_run hn "$CTTEST" flush-port udp 5353
t_eq "flush_port udp/5353 succeeds (the kernel's filter: no count)" "$T_OUT" 0
t_eq "  and the entry is gone" "$(entries | grep -c 'src=10\.0\.2\.2')" 0
t_ok "after the flush the client reaches B" grows b 5
sleep 0.3 # a datagram in flight
t_ok "  and no longer A" still a 1
t_match "the new entry replies from B" "$(entries)" "src=10\.0\.3\.2 dst=10\.0\.1\.2 sport=5353 dport=40000"
t_run hn "$CTTEST" flush-port udp 5353 10.0.9.9
t_match "flush_port for another host address deletes nothing" "$(entries)" \
	"src=10\.0\.3\.2 dst=10\.0\.1\.2 sport=5353 dport=40000"

# DEL: the mapping goes, then the entries towards the guest.
t_ok "unpublish udp/5353" remap ""
t_ok "without a flush B still gets the datagrams (stale entry)" grows b 3
t_run hn "$CTTEST" flush-guest 10.0.3.2
t_eq "flush_guest 10.0.3.2 succeeds" "$T_OUT" 0
t_eq "  and the entry towards B is gone" "$(entries | grep -c 'src=10\.0\.3\.2')" 0
sleep 0.3
t_ok "after the flush B gets nothing" still b 1
t_ok "  nor A" still a 0.5
t_match "the client's new entry is to the host itself" "$(entries)" \
	"src=10\.0\.1\.1 dst=10\.0\.1\.2 sport=5353 dport=40000"
t_run hn env VMNET_CONNTRACK_DUMP=1 "$CTTEST" flush-guest 10.0.3.2
t_eq "a second flush_guest (counting, by dump) deletes nothing" "$T_OUT" 0

t_done
