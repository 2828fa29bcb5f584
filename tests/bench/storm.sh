#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# storm.sh: K plugin calls on one network at once, as a runtime starting or
# stopping K pods together does, for two builds side by side (rule 8:
# ratios from one run, never timed tests). Each round runs, for A and then
# B: K ADDs started together, their K DELs together, then the same K ADDs
# one after another and their DELs (the serial round, what the calls cost
# without waiting for each other). Printed: medians over the rounds of each
# round's wall time, ms, with B / A, and each build's parallel / serial
# ratio (below 1: the calls overlapped; above 1: they waited for each
# other longer than they would have run in turn).
#
#   sudo tests/bench/storm.sh BUILD_A BUILD_B [K [ROUNDS [MODE [TAP [netd]]]]]
#   sudo tests/bench/storm.sh /tmp/old/build build 48 5 shared host netd
#
# K (32), ROUNDS (5), MODE shared|isolated (shared), TAP host|netns (host).
# The calls run in one throwaway host namespace (each build's own network
# there, the same configuration), the VMs' sides in one throwaway
# namespace per call; everything is removed on every exit. netd: B's netd
# runs in the host namespace and serves both builds' calls, as on a real
# host (without it, each DEL closes its own netfilter socket and waits for
# nf_tables there).
set -u
[ "$(id -u)" = 0 ] || { echo "storm.sh: needs root" >&2; exit 1; }
[ $# -ge 2 ] || { sed -n '3,21p' "$0" >&2; exit 2; }
A=$(realpath "$1") B=$(realpath "$2") K=${3:-32} R=${4:-5} MODE=${5:-shared} TAP=${6:-host}
ND=${7:-}
T=$(mktemp -d /tmp/vmnet-storm.XXXXXX)
H=vmst$$h
NSS=()
PIDS=()
cleanup() {
	local n
	for n in "${PIDS[@]}"; do kill "$n" 2>/dev/null; done
	wait 2>/dev/null
	for n in "$H" "${NSS[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
for b in "$A" "$B"; do
	[ -x "$b/vmnet" ] || { echo "storm.sh: no $b/vmnet (make first)" >&2; exit 1; }
done
ip netns add "$H" || exit 1
NSS=("$H")
ip -n "$H" link set lo up
# One conntrack entry, as on a real host (DEL skips the flush of an empty table).
ip netns exec "$H" conntrack -I -p udp -s 192.0.2.1 -d 192.0.2.2 --sport 9 --dport 9 -t 86400 \
	>/dev/null 2>&1 || { echo "storm.sh: cannot add a conntrack entry (conntrack)" >&2; exit 1; }
for ((i = 0; i < K; i++)); do
	ip netns add "vmst$$v$i" || exit 1
	NSS+=("vmst$$v$i")
done
# conf X OCTET: build X's network (its own bridge, subnet and state).
conf() {
	jq -n --arg mode "$MODE" --arg tap "$TAP" --arg d "$T/$1" --arg st "$T/state" --arg o "$2" '{
		cniVersion: "1.0.0", name: ("storm" + $o), type: "vmnet", mode: $mode, tap: $tap,
		ipMasq: true, stateDir: $st,
		ipam: {type: "vmnet-ipam", dataDir: ($d + "/ipam"),
		       ranges: [[{subnet: ("10." + $o + ".0.0/16"), gateway: ("10." + $o + ".0.1")}]]}
	} + (if $mode == "shared" then {bridge: ("vmbrst" + $o)} else {} end)' >"$T/$1.json"
}
conf a 81
conf b 82
mkdir -p "$T/state" "$T/nd"
if [ -n "$ND" ]; then
	ip netns exec "$H" "$B/netd" --state-dir "$T/state" --socket "$T/nd/netd.sock" \
		--cni-path "$B" </dev/null >"$T/netd.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do [ -S "$T/nd/netd.sock" ] && break; sleep 0.05; done
	[ -S "$T/nd/netd.sock" ] || { echo "storm.sh: netd of $B did not start: $(tail -3 "$T/netd.log")" >&2; exit 1; }
	export VMNET_NETD_SOCKET=$T/nd/netd.sock
fi
# run X PAR VERB ROUND: K calls of build X, together (PAR=1) or in turn;
# prints the wall time, microseconds. Runs inside the host namespace.
cat >"$T/run.sh" <<'EOF'
x=$1 par=$2 verb=$3 round=$4 bin=$5 k=$6 t=$7 pfx=$8
call() {
	CNI_COMMAND=$verb CNI_CONTAINERID=s$round-$1 CNI_NETNS=/run/netns/$pfx$1 CNI_IFNAME=eth0 \
		CNI_PATH=$bin "$bin/vmnet" <"$t/$x.json" >"$t/out.$x.$1" 2>&1 ||
		echo "storm.sh: $x $verb $1 failed: $(head -c 300 "$t/out.$x.$1")" >>"$t/err"
}
s=$(date +%s%N)
if [ "$par" = 1 ]; then
	for ((i = 0; i < k; i++)); do call "$i" & done
	wait
else
	for ((i = 0; i < k; i++)); do call "$i"; done
fi
echo $((($(date +%s%N) - s) / 1000))
EOF
# once X PAR VERB ROUND: one batch; the result goes to $T/X.
once() {
	local bin=$A
	[ "$1" = b ] && bin=$B
	echo "$2$3 $(ip netns exec "$H" bash "$T/run.sh" "$1" "$2" "$3" "$4" "$bin" "$K" "$T" "vmst$$v")" >>"$T/res.$1"
}
for x in a b; do once "$x" 0 ADD w && once "$x" 0 DEL w; done
: >"$T/res.a"
: >"$T/res.b"
for ((r = 0; r < R; r++)); do
	for x in a b; do
		once "$x" 1 ADD "$r"
		once "$x" 1 DEL "$r"
		once "$x" 0 ADD "$r"
		once "$x" 0 DEL "$r"
	done
done
[ -s "$T/err" ] && { head -5 "$T/err" >&2; exit 1; }
med() { grep "^$1 " "$2" | awk '{print $2}' | sort -n | awk '{a[NR] = $1} END {printf "%.1f", a[int((NR + 1) / 2)] / 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (a > 0 ? b / a : 0)}'; }
echo "$MODE/$TAP, K=$K calls at once, $R rounds${ND:+, netd running}: medians of a round's wall time, ms; A ($A) and B ($B)"
printf '%-14s %8s %8s %6s\n' "" A B "B/A"
for v in 1ADD 1DEL 0ADD 0DEL; do
	a=$(med "$v" "$T/res.a") b=$(med "$v" "$T/res.b")
	name=${v#?}
	[ "${v:0:1}" = 1 ] && name="$name together" || name="$name in turn"
	printf '%-14s %8s %8s %6s\n' "$name" "$a" "$b" "$(ratio "$a" "$b")"
done
for x in a b; do
	printf 'together / in turn, %s: ADD %s, DEL %s\n' "${x^^}" \
		"$(ratio "$(med 0ADD "$T/res.$x")" "$(med 1ADD "$T/res.$x")")" \
		"$(ratio "$(med 0DEL "$T/res.$x")" "$(med 1DEL "$T/res.$x")")"
done
