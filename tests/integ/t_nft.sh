#!/bin/bash
# SPDX-License-Identifier: MIT
#
# netd/core/nft.c against a real kernel, driven by build/tools/nftctl in
# throwaway namespaces: table creation (also racing), element-only updates,
# port conflicts, detach, check, sync, and real DNAT/masquerade traffic.
#
#   tests/integ/t_nft.sh [BUILDDIR]

. "$(dirname "$0")/lib.sh"
need_root
need_cmds nft jq socat
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

A="ip=10.1.0.5 masq port=tcp/8080:80 port=udp/5353:53@203.0.113.1"
B2="ip=10.1.0.6 masq port=tcp/8081:80"

# ---------------------------------------------------------------- table

t_eq "no table at first" "$(ctl exists)" 0
# shellcheck disable=SC2086
t_ok "attach creates the table" ctl attach $A
t_eq "table exists, version 1" "$(ctl exists) $(ctl version)" "1 1"
t_eq "exactly one copy of each base rule" "$(n_rules)" 8
t_eq "chains" "$(hn nft -j list chains inet | jq -r '[.nftables[] | .chain.name // empty] | sort | join(",")')" \
	"dnat4,forward,output,postrouting,prerouting"
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
t_eq "...and one copy of the base rules" "$(n_rules)" 8
hn nft delete rule inet vmnet postrouting handle "$(hn nft -j -a list chain inet vmnet postrouting |
	jq '[.nftables[] | .rule.handle // empty][0]')"
hn nft add element inet vmnet guests4 '{ 10.9.9.9 }'
# shellcheck disable=SC2086
t_ok "sync over a tampered table" ctl sync $A -- $B2
t_eq "...repairs rules and drops strangers" "$(n_rules) $(elems set guests4)" '8 ["10.1.0.5","10.1.0.6"]'

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
	"$(ip netns exec "$R" nft -j list table inet vmnet | jq '[.nftables[] | select(.rule)] | length')" 8
t_eq "all 8 attachments present" \
	"$(ip netns exec "$R" nft -j list table inet vmnet |
		jq '[.nftables[] | (.set // .map // empty) | select(.name == "guests4" or .name == "ports4") | .elem[]] | length')" 16

# ---------------------------------------------------------------- real traffic

# host --veth-- srv (10.1.0.5, a "guest" running a server on :80), host --veth-- wan
# (203.0.113.10, lib.sh's echo-the-peer server on :8080). Host is 203.0.113.1.
WAN_PORT=8080
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
for _ in $(seq 50); do
	ip netns exec "$S" ss -Hltn 'sport = :80' | grep -q . && break
	sleep 0.1
done
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

t_done
