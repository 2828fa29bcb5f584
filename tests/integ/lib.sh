# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # globals (G_*, T_DONE...) are for the tests
#
# Shared library for integration tests, sourced by tests/integ/t_*.sh:
#
#   . "$(dirname "$0")/lib.sh"      # takes the build dir from $1 or $VMNET_BUILD
#   need_root; need_cmds jq socat
#   world_init; host_ns; wan_setup
#   ...tests...
#   t_done                          # cleans up, asserts the machine is untouched, prints the plan
#
# Safety: everything happens in namespaces named "$P*" (P is unique per run);
# nothing here adds a link, route, address or rule in the machine's own
# namespace. The plugin only ever runs inside the test's host namespace.
# Processes are ended by the PID we started, never by name.

set -u

LIB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/need.sh
. "$LIB_ROOT/tests/need.sh"
B=${1:-${VMNET_BUILD:-$LIB_ROOT/build}}
if [ -d "$B" ]; then B=$(cd "$B" && pwd); else case $B in /*) ;; *) B=$LIB_ROOT/$B ;; esac; fi
VMNET=$B/vmnet
FAKEVM=$B/tools/fakevm
# netd talks to firewalld on the system bus: never the machine's. A suite
# that runs a private bus (t_firewalld, t_clients) points this at it.
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/vmnet-tests-have-no-system-bus

if command -v ping >/dev/null 2>&1; then PING=(ping); else PING=(busybox ping); fi

# ---------------------------------------------------------------- TAP

T_N=0
T_FAILED=0
T_DONE=0

diag() {
	local l
	while IFS= read -r l; do echo "# $l"; done <<<"$*"
}

ok() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $1"
}

# not_ok NAME [DIAGNOSTIC...]
not_ok() {
	T_N=$((T_N + 1))
	T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N - $1"
	shift
	local a l
	for a in "$@"; do
		while IFS= read -r l; do echo "#   $l"; done <<<"$a"
	done
	return 1
}

plan() {
	echo "1..$1"
	T_PLANNED=1
}

# t_run CMD...: run in this shell, output in T_OUT, returns CMD's status.
t_run() {
	local f rc
	f=$(mktemp "${W_TMP:-${TMPDIR:-/tmp}}/t_run.XXXXXX") || return 1
	"$@" >"$f" 2>&1 </dev/null
	rc=$?
	T_OUT=$(cat "$f")
	rm -f "$f"
	return $rc
}

# t_ok NAME CMD... : passes if CMD succeeds; shows its output when it does not.
# CMD runs in this shell (not a subshell), so functions keep their effects.
t_ok() {
	local name=$1 out rc
	shift
	t_run "$@"
	rc=$?
	out=$T_OUT
	if [ $rc -eq 0 ]; then ok "$name"; else not_ok "$name" "\$ $*  (exit $rc)" "$out"; fi
}

# t_fail NAME CMD... : passes if CMD fails.
t_fail() {
	local name=$1 out rc
	shift
	t_run "$@"
	rc=$?
	out=$T_OUT
	if [ $rc -ne 0 ]; then ok "$name"; else not_ok "$name" "\$ $*  succeeded, expected a failure" "$out"; fi
}

# t_status NAME RC [DIAGNOSTIC...]: passes when RC (a status just taken,
# as in "CMD && CMD; t_status NAME $?") is 0.
t_status() {
	local name=$1 rc=$2
	shift 2
	if [ "$rc" -eq 0 ]; then ok "$name"; else not_ok "$name" "exit $rc" "$@"; fi
}

# t_eq NAME GOT WANT
t_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1" "got:  '$2'" "want: '$3'"; fi
}

# t_match NAME STRING ERE
t_match() {
	if [[ $2 =~ $3 ]]; then ok "$1"; else not_ok "$1" "'$2' does not match /$3/"; fi
}

bail() {
	echo "Bail out! $*"
	exit 1
}

# Clean up, assert the machine's namespace is as we found it, print the plan
# (unless plan was called) and exit 1 if anything failed.
t_done() {
	local leaks
	cleanup
	if [ -n "${W_BASELINE+set}" ]; then
		leaks=$(machine_leaks)
		if [ -z "$leaks" ]; then ok "machine namespace untouched"; else
			not_ok "machine namespace untouched" "$leaks"; fi
	fi
	T_DONE=1
	[ -n "${T_PLANNED:-}" ] || echo "1..$T_N"
	[ $T_FAILED -eq 0 ] && exit 0
	exit 1
}

# need_root: these tests build namespaces, so they run as root (make check
# does); without root the suite fails and says so, it is never skipped.
need_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	echo "1..1"
	echo "not ok 1 - needs root: run as root (make check in a root shell, or sudo make check)"
	exit 1
}

# need_cmds CMD...: every program must be there; a missing one is a failure
# naming its Debian package (make deps installs them all), never a skip.
need_cmds() {
	local miss
	miss=$(need_missing "$@")
	[ -z "$miss" ] && return 0
	echo "1..1"
	echo "not ok 1 - not installed: $(echo $miss) (make deps)"
	exit 1
}

need_bins() {
	local f
	for f in "$@"; do
		[ -x "$f" ] || bail "$f missing: run make first"
	done
}

# ---------------------------------------------------------------- world

# guest_world [wan]: how a suite that runs guests begins: root, the programs
# and binaries guests need, the world and HOST_NS (and WAN_NS with "wan").
guest_world() {
	need_root
	need_cmds jq socat nft ss python3
	need_bins "$VMNET" "$B/vmnet-ipam" "$FAKEVM"
	world_init
	host_ns
	[ "${1:-}" != wan ] || wan_setup
}

# host_world CMD...: how a suite that calls the plugin in HOST_NS alone
# begins: root, jq and the programs CMD, vmnet and vmnet-ipam, the world
# and HOST_NS.
host_world() {
	need_root
	need_cmds jq "$@"
	need_bins "$VMNET" "$B/vmnet-ipam"
	world_init
	host_ns
}

W_NS=()     # namespaces we made, deleted in reverse order
W_PIDS=()   # processes we started
W_DIRS=()   # folders of ours outside W_TMP (a tmpfs's), removed on exit
W_TMP=
P=

# The machine's own namespace, read only: vmnet links and our nft table.
machine_state() {
	ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
		grep -E '^(vmv|vmt|vmp|vmbr)' | sed 's/^/link /'
	nft list tables 2>/dev/null | grep -E '^table (inet|bridge) vmnet$'
	ip netns list 2>/dev/null | awk -v p="$P" 'index($1, p) == 1 { print "netns " $1 }'
}

# What appeared in the machine's namespace since world_init (other runs may
# have left things before we started: those are not ours to judge).
machine_leaks() {
	local now l
	now=$(machine_state)
	while IFS= read -r l; do
		[ -n "$l" ] || continue
		grep -qxF -- "$l" <<<"$W_BASELINE" || echo "left in the machine's namespace: $l"
	done <<<"$now"
}

world_init() {
	P=vmnt$$-
	W_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmnet-integ.XXXXXX") || bail "mktemp failed"
	W_BASELINE=$(machine_state)
	[ -z "$W_BASELINE" ] || diag "note: the machine's namespace already had: $W_BASELINE"
	trap world_exit EXIT
	trap 'exit 130' INT TERM HUP
}

world_exit() {
	local rc=$?
	[ $T_DONE -eq 1 ] && return
	cleanup
	local leaks
	leaks=$(machine_leaks)
	if [ -n "$leaks" ]; then
		diag "$leaks"
		exit 1
	fi
	exit $rc
}

# Track a PID for cleanup.
track_pid() {
	W_PIDS+=("$1")
}

# alive PID: running (a zombie is not: daemonized fakevms are reparented to
# a PID 1 that may never reap them).
alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

# kill_pid PID: TERM, wait up to 2 s, then KILL; only PIDs we started.
kill_pid() {
	local pid=$1 i
	alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 20); do
		alive "$pid" || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

cleanup() {
	local i pid
	for ((i = ${#W_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${W_PIDS[i]}
		[ -n "$pid" ] && kill_pid "$pid"
	done
	W_PIDS=()
	for ((i = ${#W_NS[@]} - 1; i >= 0; i--)); do
		ip netns del "${W_NS[i]}" 2>/dev/null
	done
	W_NS=()
	[ -n "$W_TMP" ] && rm -rf "$W_TMP"
	W_TMP=
	for ((i = 0; i < ${#W_DIRS[@]}; i++)); do
		rm -rf "${W_DIRS[i]}"
	done
	W_DIRS=()
	return 0
}

# ns_add NAME: create namespace $P$NAME (or NAME if it already has our
# prefix) with lo up; the full name is left in REPLY.
ns_add() {
	local n=$1
	[ -n "$P" ] || bail "ns_add before world_init"
	case $n in "$P"*) ;; *) n=$P$n ;; esac
	ip netns add "$n" || bail "ip netns add $n failed"
	W_NS+=("$n")
	ip -n "$n" link set lo up
	REPLY=$n
}

# ns_del NAME: delete one of our namespaces now (e.g. a VM's, before DEL).
ns_del() {
	local i
	for i in "${!W_NS[@]}"; do
		[ "${W_NS[i]}" = "$1" ] && unset 'W_NS[i]'
	done
	W_NS=("${W_NS[@]}")
	ip netns del "$1"
}

# ns_del_dead NAME HOSTDEV: delete namespace NAME and wait (up to 30 s)
# until the kernel has destroyed it, which it does asynchronously and, on a
# busy machine, seconds later: its veth peer HOSTDEV in HOST_NS dies with it.
# What netd does about a dead namespace is timed from then.
ns_del_dead() {
	local i
	ns_del "$1"
	for i in $(seq 600); do
		ip -n "$HOST_NS" link show dev "$2" >/dev/null 2>&1 || return 0
		sleep 0.05
	done
	echo "namespace $1 still alive 30 s after its deletion (its veth $2 lives)"
	return 1
}

# host_ns: the namespace standing in for the machine (HOST_NS).
host_ns() {
	ns_add host
	HOST_NS=$REPLY
}

# vm_ns NAME: a VM's namespace (where its VMM runs); REPLY is its name.
vm_ns() {
	ns_add "$1"
}

WAN_IP=203.0.113.10
WAN_HOST_IP=203.0.113.1
WAN_PORT=8080 # answers with the peer address; +1 sends WAN_BULK bytes, +2 counts bytes
WAN_BULK=4000000

# wan_setup: namespace WAN_NS standing in for the outside, joined to HOST_NS
# by a veth (host wan0 203.0.113.1/24, wan eth0 203.0.113.10/24). The wan has
# no route back to the VM subnets, so replies arrive only through the host's
# masquerade. A TCP server on 203.0.113.10:8080 answers with the peer address.
wan_setup() {
	local i
	ns_add wan
	WAN_NS=$REPLY
	ip -n "$HOST_NS" link add wan0 type veth peer name eth0 netns "$WAN_NS" || bail "veth to wan"
	ip -n "$HOST_NS" addr add "$WAN_HOST_IP/24" dev wan0
	ip -n "$HOST_NS" link set wan0 up
	ip -n "$WAN_NS" addr add "$WAN_IP/24" dev eth0
	ip -n "$WAN_NS" link set eth0 up
	# shellcheck disable=SC2016
	ip netns exec "$WAN_NS" socat "TCP-LISTEN:$WAN_PORT,bind=$WAN_IP,reuseaddr,fork" \
		'SYSTEM:echo $SOCAT_PEERADDR' </dev/null >/dev/null 2>"$W_TMP/wan.err" &
	track_pid $!
	# Bulk servers, so TCP checksums are exercised with full-size segments
	# both ways: one sends WAN_BULK bytes, one counts what it receives.
	ip netns exec "$WAN_NS" socat "TCP-LISTEN:$((WAN_PORT + 1)),bind=$WAN_IP,reuseaddr,fork" \
		"SYSTEM:head -c $WAN_BULK /dev/zero" </dev/null >/dev/null 2>>"$W_TMP/wan.err" &
	track_pid $!
	ip netns exec "$WAN_NS" socat "TCP-LISTEN:$((WAN_PORT + 2)),bind=$WAN_IP,reuseaddr,fork" \
		"SYSTEM:wc -c" </dev/null >/dev/null 2>>"$W_TMP/wan.err" &
	track_pid $!
	for i in $(seq 50); do
		[ "$(ip netns exec "$WAN_NS" ss -Hltn "src $WAN_IP" 2>/dev/null | wc -l)" -ge 3 ] && return 0
		sleep 0.1
	done
	bail "wan servers did not start: $(cat "$W_TMP/wan.err")"
}

# wan_ip6 HOST6 WAN6 PORT [PREFIX...]: IPv6 on the wan link (after
# wan_setup): HOST6/64 on HOST_NS's wan0, WAN6/64 on the wan's eth0 (no
# DAD), HOST_NS a router, the wan routing each PREFIX to HOST6, and a TCP
# server on [WAN6]:PORT answering with the peer address (see wan_saw).
# Sets WAN6_HOST, WAN6 and WAN6_PORT.
wan_ip6() {
	local p
	WAN6_HOST=$1 WAN6=$2 WAN6_PORT=$3
	shift 3
	ip -n "$HOST_NS" -6 addr add "$WAN6_HOST/64" dev wan0 nodad
	ip -n "$WAN_NS" -6 addr add "$WAN6/64" dev eth0 nodad
	ip netns exec "$HOST_NS" sysctl -qw net.ipv6.conf.all.forwarding=1
	for p in "$@"; do
		ip -n "$WAN_NS" -6 route add "$p" via "$WAN6_HOST"
	done
	# shellcheck disable=SC2016
	ip netns exec "$WAN_NS" socat "TCP6-LISTEN:$WAN6_PORT,bind=[$WAN6],reuseaddr,fork" \
		'SYSTEM:echo $SOCAT_PEERADDR' </dev/null >/dev/null 2>&1 &
	track_pid $!
	wait_listen "$WAN_NS" tcp "$WAN6_PORT" || bail "wan IPv6 server did not start"
}

# get6 NS ADDR PORT: one TCP request over IPv6, the answer on stdout.
get6() { ip netns exec "$1" timeout 5 socat -T3 - "TCP6:[$2]:$3,connect-timeout=3" </dev/null 2>/dev/null; }

# wan_saw NAME: the source the wan's IPv6 server (wan_ip6) saw from guest
# NAME, in short form (socat writes it in full, in brackets).
wan_saw() {
	get6 "${G_NS[$1]}" "$WAN6" "$WAN6_PORT" | tr -d '[]' |
		python3 -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.stdin.read().strip()))' 2>&1
}

# spoof_src6 NAME FAMILY: guest NAME (its address in the caller's G6)
# sends UDP to the wan (wan_ip6) from an IPv6 address not its own;
# FAMILY's spoof_drop rises.
spoof_src6() {
	local n=$1 before after fake=${G6[$1]}99
	before=$(nft_packets "$2" spoof_drop)
	in_guest "$n" ip -6 addr add "$fake/128" dev eth0 nodad
	echo x | in_guest "$n" timeout 3 socat -u - "UDP6:[$WAN6]:9999,bind=[$fake]" 2>/dev/null
	sleep 0.3
	in_guest "$n" ip -6 addr del "$fake/128" dev eth0
	after=$(nft_packets "$2" spoof_drop)
	[[ $before =~ ^[0-9]+$ && $after =~ ^[0-9]+$ ]] && [ "$after" -gt "$before" ]
}

# host_serve6 PORT TEXT: a TCP server on HOST_NS's [::]:PORT answering TEXT.
host_serve6() {
	ip netns exec "$HOST_NS" socat "TCP6-LISTEN:$1,reuseaddr,fork" "SYSTEM:echo $2" \
		</dev/null >/dev/null 2>&1 &
	track_pid $!
	wait_listen "$HOST_NS" tcp "$1" || bail "host service did not start"
}

# dhcpcd6_in NS TIMEOUT [stay]: one dhcpcd run (DHCPv6 only) on NS's eth0,
# until bound (or TIMEOUT), or with "stay" for TIMEOUT seconds; its state in
# $W_TMP/db.NS (kept between runs, as on a guest's disk) and its run
# directory on a private tmpfs, so nothing of the machine's is read or
# written. Its log is in $W_TMP/dhcpcd.log; its script (dhcpcd cleans its
# environment) appends each event's reason to $W_TMP/reasons and writes
# what a guest would configure to $W_TMP/lease.IFNAME.IAID (dhcpcd6_lease).
dhcpcd6_in() {
	local ns=$1 t=$2 run="timeout $(($2 + 5)) dhcpcd -6 -1 -t $2"
	[ "${3:-}" = stay ] && run="timeout $t dhcpcd -6 -t 0"
	cat >"$W_TMP/dhcpcd.sh" <<SCRIPT
#!/bin/sh
echo "\$reason" >>"$W_TMP/reasons"
case \$reason in BOUND6 | REBIND6 | RENEW6 | REBOOT6)
	echo "addr=\$new_dhcp6_ia_na1_ia_addr1 dns=\$new_dhcp6_name_servers search=\$new_dhcp6_domain_search" >"$W_TMP/lease.\$interface.\$new_dhcp6_ia_na1_iaid" ;;
esac
exit 0
SCRIPT
	chmod +x "$W_TMP/dhcpcd.sh"
	printf 'ipv6only\nnohook resolv.conf\nduid\n' >"$W_TMP/dhcpcd.conf"
	rm -f "$W_TMP"/lease.* "$W_TMP/reasons"
	mkdir -p "$W_TMP/db.$ns"
	ip netns exec "$ns" unshare -m --propagation private sh -c \
		"mount --bind '$W_TMP/db.$ns' /var/lib/dhcpcd && mount -t tmpfs t /run && mkdir -p /run/dhcpcd &&
		 exec $run -B -d -f '$W_TMP/dhcpcd.conf' -c '$W_TMP/dhcpcd.sh' eth0" \
		>"$W_TMP/dhcpcd.log" 2>&1
}
# dhcpcd6_lease: eth0's lease of the last dhcpcd6_in ("addr=... dns=... search=...").
dhcpcd6_lease() { cat "$W_TMP"/lease.eth0.* 2>/dev/null; }

# ---------------------------------------------------------------- IPv6 RAs

# radvd_start NS IFNAME NAME BODY: radvd (the router advertisement daemon,
# Debian's radvd) in NS, advertising on IFNAME with the configuration
# "interface IFNAME { BODY };" ($W_TMP/radvd-NAME.conf, log radvd-NAME.log).
# NS is made a router (all.forwarding=1): only ever one of our namespaces.
# RADVD_PID is its PID.
radvd_start() {
	local ns=$1 ifn=$2 n=$3 conf=$W_TMP/radvd-$3.conf pid i
	printf 'interface %s {\n%s\n};\n' "$ifn" "$4" >"$conf"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1 || return 1
	ip netns exec "$ns" radvd -n -C "$conf" -p "$W_TMP/radvd-$n.pid" -m stderr -d 1 \
		</dev/null >"$W_TMP/radvd-$n.log" 2>&1 &
	pid=$!
	RADVD_PID=$pid
	track_pid $pid
	# radvd reads its configuration and opens its socket at once.
	for i in 1 2 3 4 5; do
		sleep 0.1
		alive $pid || break
	done
	alive $pid && return 0
	echo "radvd in $ns did not start: $(tail -n 3 "$W_TMP/radvd-$n.log")"
	return 1
}

# ra_in NS: router advertisements NS has received (Icmp6InRouterAdvertisements).
ra_in() {
	ip netns exec "$1" awk '$1 == "Icmp6InRouterAdvertisements" { print $2 }' /proc/net/snmp6
}

# na_in NS: neighbour advertisements NS has received (Icmp6InNeighborAdvertisements).
na_in() {
	ip netns exec "$1" awk '$1 == "Icmp6InNeighborAdvertisements" { print $2 }' /proc/net/snmp6
}

# na_arrives NS BEFORE: NS's count of neighbour advertisements goes past
# BEFORE within 3 s.
na_arrives() {
	local n
	for _ in $(seq 30); do
		n=$(na_in "$1")
		[[ $n =~ ^[0-9]+$ ]] && [ "$n" -gt "$2" ] && return 0
		sleep 0.1
	done
	echo "Icmp6InNeighborAdvertisements in $1: $2 -> ${n:-?}"
	return 1
}

# link_local NS IFNAME: IFNAME's IPv6 link-local address, once it has one
# (waits up to 5 s).
link_local() {
	local i a
	for i in $(seq 50); do
		a=$(ip -n "$1" -6 -o addr show dev "$2" scope link 2>/dev/null | awk '{ print $4; exit }')
		[ -n "$a" ] && { echo "${a%/*}"; return 0; }
		sleep 0.1
	done
	return 1
}

# wan6_setup [IFNAME [PREFIX]]: namespace WAN6_NS standing in for an
# upstream IPv6 router on HOST_NS's uplink IFNAME (default uplink6, a veth):
# radvd there advertises a default route (lifetime 60 s) and PREFIX/64
# (default 2001:db8:6::, SLAAC) every 3-4 s; the router holds PREFIX::1.
# WAN6_IF is the uplink, WAN6_LL the router's link-local address (the
# gateway HOST_NS learns). HOST_NS's own sysctls (accept_ra, forwarding) are
# the caller's to set. Used to check that a host keeps its RA-learned
# default route when IPv6 forwarding is turned on (accept_ra=2).
wan6_setup() {
	local ifn=${1:-uplink6} pfx=${2:-2001:db8:6::}
	ns_add wan6
	WAN6_NS=$REPLY
	WAN6_IF=$ifn
	ip -n "$HOST_NS" link add "$ifn" type veth peer name eth0 netns "$WAN6_NS" || bail "veth to wan6"
	ip netns exec "$WAN6_NS" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
	ip -n "$WAN6_NS" addr add "${pfx}1/64" dev eth0 nodad
	ip -n "$WAN6_NS" link set eth0 up
	ip -n "$HOST_NS" link set "$ifn" up
	WAN6_LL=$(link_local "$WAN6_NS" eth0) || bail "wan6 has no link-local address"
	radvd_start "$WAN6_NS" eth0 wan6 "	AdvSendAdvert on;
	MinRtrAdvInterval 3;
	MaxRtrAdvInterval 4;
	AdvDefaultLifetime 60;
	prefix ${pfx}/64 { AdvOnLink on; AdvAutonomous on; };" || bail "radvd on wan6"
}

# default6 NS IFNAME: the gateway of NS's IPv6 default route on IFNAME ("" if none).
default6() {
	ip -n "$1" -6 route show default dev "$2" 2>/dev/null | awk '$2 == "via" { print $3; exit }'
}

# wait_listen NS tcp|udp PORT: wait (up to 5 s) until a socket in NS listens
# on PORT, so a probe never races a server that is still starting.
wait_listen() {
	local f=-Hltn i
	[ "$2" = udp ] && f=-Hlun
	for i in $(seq 50); do
		ip netns exec "$1" ss "$f" "sport = :$3" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	echo "nothing listens on $2 port $3 in $1"
	return 1
}

# ---------------------------------------------------------------- CNI

# cni_env HOST_NS CONF ENV...: the plugin in HOST_NS with exactly ENV (plus
# PATH and CNI_PATH) and CONF on stdin ("<empty>": an empty stdin). Sets
# CNI_OUT (stdout), CNI_ERR (stderr), CNI_RC, and returns CNI_RC. Each call
# has its own files, so calls may run in parallel (in the background).
cni_env() {
	local hns=$1 conf=$2 o=$W_TMP/cni.$BASHPID
	shift 2
	[ -n "$hns" ] || bail "cni: no host namespace (the plugin never runs in the machine's)"
	# The test's netd (or none), never the machine's: DEL hands it sockets.
	local nd=VMNET_NETD_SOCKET=${SOCK:-$W_TMP/no-netd.sock}
	if [ "$conf" = "<empty>" ]; then
		ip netns exec "$hns" env -i PATH="$PATH" CNI_PATH="$B" "$nd" "$@" "$VMNET" \
			</dev/null >"$o.out" 2>"$o.err"
	else
		ip netns exec "$hns" env -i PATH="$PATH" CNI_PATH="$B" "$nd" "$@" "$VMNET" \
			<<<"$conf" >"$o.out" 2>"$o.err"
	fi
	CNI_RC=$?
	CNI_OUT=$(cat "$o.out")
	CNI_ERR=$(cat "$o.err")
	rm -f "$o.out" "$o.err"
	return $CNI_RC
}

# cni HOST_NS CMD CID IFNAME NETNS CONFIG_JSON [CNI_ARGS]: the positional
# form of plugin (below), for callers that compute every argument. NETNS ""
# leaves CNI_NETNS unset.
cni() {
	local hns=$1 cmd=$2 cid=$3 ifn=$4 netns=$5 conf=$6 args=${7:-}
	local env=(CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" CNI_IFNAME="$ifn")
	[ -n "$netns" ] && env+=(CNI_NETNS="$netns")
	[ -n "$args" ] && env+=(CNI_ARGS="$args")
	[ -n "${VMNET_LOG_LEVEL:-}" ] && env+=(VMNET_LOG_LEVEL="$VMNET_LOG_LEVEL")
	cni_env "$hns" "$conf" "${env[@]}"
}

# plugin VERB KEY=VALUE...: the plugin called as a runtime calls it, with
# named arguments, so a case reads as a sentence:
#   plugin ADD id=c1 ns="$VM" conf="$CONF"
# Keys: id= (CNI_CONTAINERID, default ""), if= (CNI_IFNAME, default eth0),
# ns= (a namespace NAME: CNI_NETNS=/run/netns/NAME) or netns= (CNI_NETNS as
# given; with neither, or with "", CNI_NETNS is unset), conf= (the config on
# stdin, default $CONF), args= (CNI_ARGS, unset when ""), host= (the
# namespace the plugin runs in, default $HOST_NS). An unknown key is a bail.
# Sets CNI_OUT, CNI_ERR, CNI_RC like cni, and returns CNI_RC.
plugin() {
	local verb=$1 kv host=${HOST_NS:-} id='' ifn=eth0 netns='' conf=${CONF-} args='' hasconf=${CONF+1}
	shift
	for kv in "$@"; do
		case $kv in
		id=*) id=${kv#id=} ;;
		if=*) ifn=${kv#if=} ;;
		ns=*) netns=${kv#ns=}; [ -n "$netns" ] && netns=/run/netns/$netns ;;
		netns=*) netns=${kv#netns=} ;;
		conf=*) conf=${kv#conf=} hasconf=1 ;;
		args=*) args=${kv#args=} ;;
		host=*) host=${kv#host=} ;;
		*) bail "plugin $verb: unknown argument '$kv' (id= if= ns= netns= conf= args= host=)" ;;
		esac
	done
	[ -n "$hasconf" ] || bail "plugin $verb: no conf= and no \$CONF"
	cni "$host" "$verb" "$id" "$ifn" "$netns" "$conf" "$args"
}

# The plugin's last output, for diagnostics.
cni_report() {
	echo "exit $CNI_RC; stdout: $CNI_OUT"
	[ -n "$CNI_ERR" ] && echo "stderr: $CNI_ERR"
}

# json_get JSON FILTER: jq -r, "" for null.
json_get() {
	jq -r "($2) // empty" <<<"$1" 2>/dev/null
}

# t_cni NAME HOST_NS CMD CID IFNAME NETNS CONFIG [CNI_ARGS]: expects success.
t_cni() {
	local name=$1
	shift
	if cni "$@"; then ok "$name"; else not_ok "$name" "$(cni_report)"; fi
}

# t_plugin NAME VERB KEY=VALUE...: plugin (above) succeeds.
t_plugin() {
	local name=$1
	shift
	if plugin "$@"; then ok "$name"; else not_ok "$name" "$(cni_report)"; fi
}

# cni_is_code NAME CODE: the last call failed (exit not 0) with error CODE.
# With CNI_DETAILS=ERE set, the error's msg or details must also match it
# (so a failure for some other reason does not pass).
cni_is_code() {
	local name=$1 want=$2 got text
	got=$(json_get "$CNI_OUT" .code)
	text="$(json_get "$CNI_OUT" .msg) $(json_get "$CNI_OUT" .details)"
	if [ "$CNI_RC" -eq 0 ] || [ "$got" != "$want" ]; then
		not_ok "$name" "want error code $want" "$(cni_report)"
	elif [ -n "${CNI_DETAILS:-}" ] && ! [[ $text =~ $CNI_DETAILS ]]; then
		not_ok "$name" "code $want, but the message does not match /$CNI_DETAILS/" "$(cni_report)"
	else
		ok "$name"
		diag "$text"
	fi
}

# t_cni_code NAME CODE HOST_NS CMD ...: cni fails with error code CODE
# (and CNI_DETAILS, as cni_is_code).
t_cni_code() {
	local name=$1 want=$2
	shift 2
	cni "$@"
	cni_is_code "$name" "$want"
}

# t_plugin_code NAME CODE VERB KEY=VALUE...: plugin fails with error code
# CODE (and CNI_DETAILS, as cni_is_code).
t_plugin_code() {
	local name=$1 want=$2
	shift 2
	plugin "$@"
	cni_is_code "$name" "$want"
}

# conf_shared NAME BRIDGE SUBNET GATEWAY [JQ_EXPR]: a shared-mode config with
# state and IPAM stores under the test's tmp dir; JQ_EXPR edits it.
conf_shared() {
	jq -cn --arg name "$1" --arg br "$2" --arg sub "$3" --arg gw "$4" \
		--arg state "$W_TMP/state" --arg ipam "$W_TMP/ipam" '{
		cniVersion: "1.0.0", name: $name, type: "vmnet", mode: "shared",
		bridge: $br, tap: "netns", mtu: 1500, ipMasq: true, stateDir: $state,
		ipam: {type: "vmnet-ipam", dataDir: $ipam,
		       ranges: [[{subnet: $sub, gateway: $gw}]]}
	} | '"${5:-.}"
}

# with_prev CONF RESULT: CONF with prevResult set (for CHECK).
with_prev() {
	jq -c --argjson r "$2" '.prevResult = $r' <<<"$1"
}

# Paths the plugin keeps per attachment.
# netns wiring's forwarding in VM namespace $1 between the veth peer $2 and
# the tap $3 (lib/nft_fwd.c), as the distribution's nft prints it: a netdev
# table vmnet_<hash> whose chain "peer" hooks $2 and forwards to $3, and
# whose chain "tap" does the reverse. Fails (printing the ruleset) if not.
fwd_ok() {
	local rs flat
	rs=$(ip netns exec "$1" nft list ruleset 2>&1) || { echo "$rs"; return 1; }
	flat=$(printf '%s\n' "$rs" | tr -s ' \t\n' ' ')
	case "$flat" in
	*"table netdev vmnet_"*"chain peer { type filter hook ingress device \"$2\" priority -500; policy accept; fwd to \"$3\" }"*) ;;
	*) echo "$rs"; return 1 ;;
	esac
	case "$flat" in
	*"chain tap { type filter hook ingress device \"$3\" priority -500; policy accept; fwd to \"$2\" }"*) ;;
	*) echo "$rs"; return 1 ;;
	esac
}
# No forwarding table of vmnet's in VM namespace $1.
fwd_none() {
	! ip netns exec "$1" nft list tables 2>/dev/null | grep -q '^table netdev vmnet_'
}
record_path() { echo "$W_TMP/state/$1/$2@$3.json"; } # NET CID IFNAME
ipam_path() { echo "$W_TMP/ipam/$1/$2"; }            # NET IP

# Commands in HOST_NS; the guest address (no prefix length) of a result.
hlink() { ip -n "$HOST_NS" "$@"; }
hnft() { ip netns exec "$HOST_NS" nft "$@"; }
guest_ip() { json_get "$1" '.ips[0].address' | cut -d/ -f1; }

# nft_has_elem SET IP: the set in HOST_NS's inet vmnet contains IP.
nft_has_elem() {
	ip netns exec "$HOST_NS" nft list set inet vmnet "$1" 2>/dev/null |
		tr -s ' ,{}\t' '\n' | grep -qxF -- "$2"
}

# ---------------------------------------------------------------- guests

# Per guest (by NAME): its namespace, address, gateway, MAC, fakevm PID.
declare -A G_NS G_IP G_GW G_MAC G_PID

# guest_attach NAME RESULT VM_NS: start a guest stand-in for an ADD result
# (shared or isolated mode). netns wiring: fakevm runs in the VM namespace on
# the tap the result puts there; host wiring: in HOST_NS on the host tap. The guest
# NIC (eth0 in namespace $P"g-NAME") gets the guest pseudo-interface's MAC,
# ips[0] and a default route via its gateway.
guest_attach() {
	local name=$1 res=$2 vmns=$3 gi mac addr gw tap runns mq=() i out
	gi=$(json_get "$res" '.ips[0].interface')
	mac=$(json_get "$res" ".interfaces[$gi].mac")
	addr=$(json_get "$res" '.ips[0].address')
	gw=$(json_get "$res" '.ips[0].gateway')
	if [ -z "$gi" ] || [ -z "$mac" ] || [ -z "$addr" ]; then
		echo "result lacks ips[0].interface, its mac or ips[0].address: $res"
		return 1
	fi
	# netns wiring: the tap is the entry sandboxed in the VM netns that is
	# not the veth with the guest's name. host wiring: the host-side entry
	# (no sandbox) that is a tap: interfaces[1] in shared mode (after the
	# bridge), interfaces[0] in isolated mode.
	tap=$(jq -r --arg sb "/run/netns/$vmns" --arg gn "$(json_get "$res" ".interfaces[$gi].name")" \
		'[.interfaces[] | select(.sandbox == $sb and .name != $gn)] | last | .name // empty' <<<"$res")
	runns=$vmns
	if [ -z "$tap" ]; then
		runns=$HOST_NS
		for tap in $(jq -r '.interfaces[] | select((.sandbox // "") == "") | .name' <<<"$res") ""; do
			ip -n "$runns" -d link show dev "$tap" 2>/dev/null | grep -q 'tun type tap' && break
		done
	fi
	if ! ip -n "$runns" -d link show dev "$tap" 2>/dev/null | grep -q 'tun type tap'; then
		echo "no tap for the guest in the result (looked in $runns): $res"
		return 1
	fi
	ip -n "$runns" -d link show dev "$tap" | grep -q multi_queue && mq=(-q)
	ns_add "g-$name"
	G_NS[$name]=$REPLY
	# stderr to a file: the background fakevm keeps it open.
	out=$(ip netns exec "$runns" "$FAKEVM" "${mq[@]}" -d -p "$W_TMP/fakevm-$name.pid" -m "$mac" \
		"$tap" "/run/netns/${G_NS[$name]}" eth0 2>>"$W_TMP/fakevm-$name.err")
	if [ "$out" != ready ]; then
		echo "fakevm on $tap in $runns: $out $(cat "$W_TMP/fakevm-$name.err")"
		return 1
	fi
	G_PID[$name]=$(cat "$W_TMP/fakevm-$name.pid")
	track_pid "${G_PID[$name]}"
	G_IP[$name]=${addr%/*}
	G_GW[$name]=$gw
	G_MAC[$name]=$mac
	ip -n "${G_NS[$name]}" addr add "$addr" dev eth0 || return 1
	if [ -n "$gw" ]; then
		ip -n "${G_NS[$name]}" route add default via "$gw" dev eth0 || return 1
	fi
	return 0
}

# guest_stop NAME: the VM powers off (fakevm ends, its guest NIC goes).
guest_stop() {
	[ -n "${G_PID[$1]:-}" ] && kill_pid "${G_PID[$1]}"
	G_PID[$1]=
}

# in_guest NAME CMD...
in_guest() {
	local n=$1
	shift
	ip netns exec "${G_NS[$n]}" "$@"
}

# guest_ping NAME DST: one echo request, answered within 5 s (in a few ms:
# the first packet waits in the neighbour queue while ARP resolves, and a
# bridge floods frames for a MAC it has not learnt, so nothing needs a retry).
guest_ping() {
	local out
	out=$(in_guest "$1" "${PING[@]}" -c1 -W5 "$2" 2>&1) && return 0
	echo "$out"
	return 1
}

# guest_noping NAME DST: one echo request gets no answer within 2 s.
guest_noping() {
	local out
	out=$(in_guest "$1" "${PING[@]}" -c1 -W2 "$2" 2>&1) || return 0
	echo "answered: $out"
	return 1
}

# guest_wan NAME: ask the wan server which address it saw (stdout).
guest_wan() {
	in_guest "$1" timeout 5 socat -T3 - "TCP:$WAN_IP:$WAN_PORT,connect-timeout=3" </dev/null 2>&1
}

# guest_wan_download NAME: bytes received from the wan's bulk sender.
guest_wan_download() {
	in_guest "$1" timeout 20 socat -T5 -u "TCP:$WAN_IP:$((WAN_PORT + 1)),connect-timeout=3" - |
		wc -c
}

# guest_wan_upload NAME: bytes the wan counted from WAN_BULK sent by the guest.
guest_wan_upload() {
	head -c "$WAN_BULK" /dev/zero |
		in_guest "$1" timeout 20 socat -T5 - "TCP:$WAN_IP:$((WAN_PORT + 2)),connect-timeout=3" |
		tr -d ' '
}

# parked_bad NS [MAX]: what is wrong with the parked taps of NS (lib/park.c):
# more than MAX (default 32, the plugin's bound), or one that could carry a
# packet or is not proven parked: up, a bridge port, with an address, not in
# the parked group, without the parked alias. Empty when all is well.
parked_bad() {
	local n
	n=$(ip -n "$1" -o link show | grep -cE '^[0-9]+: vmp[0-9]+:')
	[ "$n" -le "${2:-32}" ] || echo "$n parked taps, more than ${2:-32}"
	ip -n "$1" -j -d addr show | jq -r '.[] | select(.ifname | test("^vmp[0-9]+$")) |
		select((.flags | index("UP")) or .master or (.addr_info | length > 0) or
			(.group != "1986883696") or ((.ifalias // "") | startswith("vmnet:-parked/") | not)) |
		"parked \(.ifname) could carry a packet or is not ours: flags \(.flags) master \(.master)" +
		" addrs \(.addr_info | length) group \(.group) alias \(.ifalias)"'
}

# ---------------------------------------------------------------- netd

NETD=$B/netd
SOCK= # set by the test (netd's control socket), before netd_start

# netd_start [OPTION...]: netd in HOST_NS on the test's state dir and $SOCK,
# waiting until it answers (NETD_PID is its PID).
netd_start() {
	ip netns exec "$HOST_NS" "$NETD" --state-dir "$W_TMP/state" --socket "$SOCK" \
		--cni-path "$B" --interval 10 "$@" </dev/null >>"$W_TMP/netd.log" 2>&1 &
	NETD_PID=$!
	track_pid $NETD_PID
	local i
	for i in $(seq 100); do
		ip netns exec "$HOST_NS" "$NETD" status --socket "$SOCK" >/dev/null 2>&1 && return 0
		alive $NETD_PID || break
		sleep 0.05
	done
	echo "netd did not start:"
	cat "$W_TMP/netd.log"
	return 1
}

nc_() { ip netns exec "$HOST_NS" "$NETD" "$@" --socket "$SOCK"; }

# ms_now: monotonic enough for the bounds the tests assert.
ms_now() { echo $(($(date +%s%N) / 1000000)); }
# t_vm_scan TAG VMNS IFNAME ADDR/LEN SUBNET GATEWAY MTU: the VM netns read
# the way kata's scan reads it (`ip -j addr`, `ip -j route`): IFNAME holds
# ADDR/LEN, has MTU, carries the default route via GATEWAY, and SUBNET is
# routed once (the kernel's connected route, no duplicate).
t_vm_scan() {
	local t=$1 ns=$2 ifn=$3 a=$4 sub=$5 gw=$6 mtu=$7 addrs routes
	addrs=$(ip -n "$ns" -j addr show 2>/dev/null)
	routes=$(ip -n "$ns" -j route show 2>/dev/null)
	t_eq "$t kata scan: $ifn holds $a" \
		"$(jq -r --arg d "$ifn" '[.[] | select(.ifname == $d) | .addr_info[] |
			select(.family == "inet") | "\(.local)/\(.prefixlen)"] | join(",")' <<<"$addrs")" "$a"
	t_eq "$t kata scan: $ifn has MTU $mtu" \
		"$(jq -r --arg d "$ifn" '.[] | select(.ifname == $d) | .mtu' <<<"$addrs")" "$mtu"
	t_eq "$t kata scan: the default route goes via $gw on $ifn" \
		"$(jq -r '[.[] | select(.dst == "default") | "\(.gateway) \(.dev)"] | join(",")' \
			<<<"$routes")" "$gw $ifn"
	t_eq "$t kata scan: $sub is routed once, by the kernel, on $ifn" \
		"$(jq -r --arg s "$sub" '[.[] | select(.dst == $s) | "\(.protocol) \(.dev)"] |
			join(",")' <<<"$routes")" "kernel $ifn"
}

# ---------------------------------------------------------------- any mode

# conf_net MODE WIRING NAME SUBNET [JQ_EXPR]: a shared (bridge vb-NAME) or
# isolated network with the portMappings capability.
conf_net() {
	local mode=$1 w=$2 name=$3 sub=$4 jqx=${5:-.}
	conf_shared "$name" "vb-$name" "$sub" "${sub%.0/*}.1" \
		".tap = \"$w\" | .capabilities = {portMappings: true} |
		 if \"$mode\" == \"isolated\" then .mode = \"isolated\" | del(.bridge) else . end | $jqx"
}

# guest_result RESULT: RESULT as guest_attach reads it, for either mode and
# wiring. guest_attach takes the host tap from interfaces[1]; in isolated
# host wiring it is interfaces[0] ([1] is the guest pseudo-interface).
guest_result() {
	if [ "$(json_get "$1" '.interfaces | length')" = 2 ]; then
		jq -c '.interfaces = [.interfaces[0], .interfaces[0], .interfaces[1]] |
			.ips[0].interface = 2' <<<"$1"
	else
		echo "$1"
	fi
}

# guest_up NAME RESULT VM_NS: guest_attach for a result of either mode and
# wiring, serving TCP and UDP on port 80 (answers "tcp-NAME" / "udp-NAME").
guest_up() {
	guest_attach "$1" "$(guest_result "$2")" "$3" || return 1
	ip netns exec "${G_NS[$1]}" socat TCP-LISTEN:80,reuseaddr,fork "SYSTEM:echo tcp-$1" \
		</dev/null >/dev/null 2>&1 &
	track_pid $!
	udp_answer "${G_NS[$1]}" "" 80 "udp-$1"
	wait_listen "${G_NS[$1]}" tcp 80 && wait_listen "${G_NS[$1]}" udp 80 || return 1
	guest_ping "$1" "${G_GW[$1]}" >/dev/null # the guest is up: it reaches its gateway
}

# guest_up6 NAME RESULT: the IPv6 half of a guest stand-in (G6 and GW6,
# associative arrays of the caller, get its address and gateway): its
# address and default route by hand (nodad), as a guest would by DHCPv6,
# the gateway on the host device (interfaces[0]: bridge or isolated link)
# where vmnet has not put it; a TCP server on [address]:80 ("tcp6-NAME").
guest_up6() {
	local n=$1 res=$2 a g dev
	a=$(jq -r '.ips[] | select(.address | contains(":")) | .address' <<<"$res")
	g=$(jq -r '.ips[] | select(.address | contains(":")) | .gateway' <<<"$res")
	dev=$(json_get "$res" '.interfaces[0].name')
	if [ -z "$a" ] || [ -z "$g" ]; then
		echo "no IPv6 address in $res"
		return 1
	fi
	# shellcheck disable=SC2004 # associative arrays (the caller's)
	G6[$n]=${a%/*} GW6[$n]=$g
	ip -n "$HOST_NS" -6 addr show dev "$dev" | grep -qF " $g/" ||
		ip -n "$HOST_NS" -6 addr replace "$g/${a#*/}" dev "$dev" nodad || return 1
	ip netns exec "${G_NS[$n]}" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
	ip -n "${G_NS[$n]}" -6 addr replace "$a" dev eth0 nodad || return 1
	ip -n "${G_NS[$n]}" -6 route replace default via "$g" dev eth0 || return 1
	ip netns exec "${G_NS[$n]}" socat "TCP6-LISTEN:80,bind=[${G6[$n]}],reuseaddr,fork" \
		"SYSTEM:echo tcp6-$n" </dev/null >/dev/null 2>&1 &
	track_pid $!
	wait_listen "${G_NS[$n]}" tcp 80 && guest_ping "$n" "$g" >/dev/null
}

# udp_answer NS BIND_IP PORT TEXT: one process in NS answering every
# datagram to BIND_IP:PORT ("" = any) with the line TEXT. (socat's
# UDP-RECVFROM,fork loses a datagram now and then: its child answers
# without reading the request.) Wait for it with wait_listen.
udp_answer() {
	ip netns exec "$1" python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
	d, a = s.recvfrom(2048)
	s.sendto(sys.argv[3].encode() + b"\n", a)' "$2" "$3" "$4" </dev/null >/dev/null 2>&1 &
	track_pid $!
}

# net_get NS PROTO IP PORT: one request from namespace NS, the answer on stdout.
# UDP: one datagram, and the first line that comes back (on fd 3); socat
# ends with it (-t0), after 10 s without one (-T10), or on an ICMP error.
net_get() {
	# shellcheck disable=SC2016 # $a is the shell's, not ours
	case $2 in
	tcp) ip netns exec "$1" timeout 5 socat -T3 - "TCP:$3:$4,connect-timeout=3" </dev/null 2>/dev/null ;;
	udp) ip netns exec "$1" timeout 12 socat -t0 -T10 "UDP:$3:$4" \
		'SYSTEM:echo q; read -r a && echo "$a" >&3' 3>&1 </dev/null 2>/dev/null ;;
	esac
}

# nft_packets FAMILY COUNTER: packets of a named counter in HOST_NS's vmnet
# table ("" if it does not exist).
nft_packets() {
	ip netns exec "$HOST_NS" nft list counter "$1" vmnet "$2" 2>/dev/null |
		grep -o 'packets [0-9]*' | head -1 | cut -d' ' -f2
}

# v4_elems: how many elements inet vmnet's IPv4 sets and maps hold, and
# bridge vmnet's port_ip4.
v4_elems() {
	local inet bridge
	inet=$(hnft -j list table inet vmnet | jq '[.nftables[] | (.set // .map) // empty |
		select(.name | IN("guests4", "masq4", "closed4", "spoof4", "guest_net", "ports4",
			"ports4h")) | .elem // empty | .[]] | length')
	bridge=$(hnft -j list set bridge vmnet port_ip4 | jq '[.nftables[].set.elem // empty | .[]] | length')
	echo "$((inet + bridge))"
}

# nft_dump: HOST_NS's vmnet tables as the kernel holds them (tools/nftdump,
# by netlink: "rule FAMILY TABLE CHAIN ...", chains, sets, elements).
nft_dump() { "$B/tools/nftdump" -N "/run/netns/$HOST_NS"; }

# t_dumps_same BEFORE AFTER: two nft_dump files hold the same rules, in
# order, with the same bytecode, and the same chains, sets and elements.
t_dumps_same() {
	t_eq "same rules, in order, with the same bytecode" \
		"$(grep '^rule' "$2")" "$(grep '^rule' "$1")"
	t_eq "same chains, sets and elements" \
		"$(grep -v '^rule' "$2" | sort)" "$(grep -v '^rule' "$1" | sort)"
}

# guests_del [LABEL]: DEL of every guest in GUESTS (the caller's NS and
# CONF), each stand-in stopped; then no element is left in any vmnet set.
# LABEL begins the test names ("[netns] ").
guests_del() {
	local t=${1:-} n
	for n in $GUESTS; do
		t_plugin "${t}DEL $n" DEL id="$P$n" ns="${NS[$n]}" conf="${CONF[$n]}"
		guest_stop "$n"
	done
	t_eq "${t}no element left in any set" "$(nft_dump | grep -c '^elem')" 0
}

# busybox_image DIR: a root file system of busybox-static in DIR/rootfs
# (every applet a link), archived as DIR/rootfs.tar for an image import.
busybox_image() {
	local r=$1/rootfs a
	mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev"
	cp "$(command -v busybox)" "$r/bin/busybox"
	for a in $("$r/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
	done
	tar -C "$r" -cf "$1/rootfs.tar" .
}

# t_rose NAME BEFORE AFTER: passes when AFTER > BEFORE (both numbers).
t_rose() {
	if [[ $2 =~ ^[0-9]+$ && $3 =~ ^[0-9]+$ ]] && [ "$3" -gt "$2" ]; then ok "$1"; else
		not_ok "$1" "counter before: '$2', after: '$3' (want a rise)"; fi
}

# each_mode FUNC: FUNC MODE WIRING K for shared and isolated mode in every
# wiring of VMNET_WIRING (default "netns host"), K counting from 1.
each_mode() {
	local mode w k=1
	for mode in shared isolated; do
		for w in netns host; do
			case " ${VMNET_WIRING:-netns host} " in *" $w "*) ;; *) continue ;; esac
			"$1" "$mode" "$w" "$k"
			k=$((k + 1))
		done
	done
}

# each_wiring FUNC: FUNC WIRING K for every wiring of VMNET_WIRING (default
# "netns host"), K counting from 1.
each_wiring() {
	local w k=1
	for w in netns host; do
		case " ${VMNET_WIRING:-netns host} " in *" $w "*) ;; *) continue ;; esac
		"$1" "$w" "$k"
		k=$((k + 1))
	done
}

# file_has [-x] FILE TEXT: FILE contains TEXT (-x: as a whole line); waits
# up to a second for it to arrive.
file_has() {
	local x='' i
	[ "$1" = -x ] && { x=x; shift; }
	for i in 1 2 3 4 5 6 7 8 9 10; do
		grep -qF$x -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- client holder

# holder_start DIR PLUGDIR: a private mount namespace for real clients
# (podman, containerd, dockerd, dbus + firewalld), held open by
# tests/clients/holder.sh with DIR for their files and PLUGDIR as the CNI
# plugin folder; waits for DIR/ready. HOLDER is its PID (tracked).
holder_start() {
	unshare -m --propagation slave "$LIB_ROOT/tests/clients/holder.sh" "$1" "$2" </dev/null \
		>"$W_TMP/holder.log" 2>&1 &
	HOLDER=$!
	track_pid "$HOLDER"
	local i
	for i in $(seq 100); do
		[ -e "$1/ready" ] && return 0
		alive "$HOLDER" || break
		sleep 0.05
	done
	cat "$W_TMP/holder.log"
	return 1
}
# in_h CMD...: CMD in the holder's mount namespace and the test's host netns.
in_h() { nsenter --mount="/proc/$HOLDER/ns/mnt" --net="/run/netns/$HOST_NS" -- "$@"; }
# bg_h LOG CMD...: the same, in the background, appending to LOG; nsenter
# execs CMD, so the PID (tracked, and in REPLY) is CMD's.
bg_h() {
	local log=$1
	shift
	nsenter --mount="/proc/$HOLDER/ns/mnt" --net="/run/netns/$HOST_NS" -- "$@" \
		</dev/null >>"$log" 2>&1 &
	REPLY=$!
	track_pid "$REPLY"
}
