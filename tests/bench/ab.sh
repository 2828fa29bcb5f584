#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# ab.sh: two builds of vmnet side by side in one run, to show what a change
# gains (rule 8: ratios from one run, never timed tests). Both builds share
# one host namespace, one network and its state (the on-disk formats are the
# same), with N attachments present; the probes alternate A and B: an ADD,
# its DEL and the plugin's start (VERSION) of A, then the same of B, PROBES
# times. Medians, ms, and B / A; then p90 and max, ms (a call that waits
# for another's close shows there). Optionally netd (of build B) runs in the
# host namespace, as on a real host.
#
#   sudo tests/bench/ab.sh BUILD_A BUILD_B [MODE [TAP [N [PROBES [netd]]]]]
#   sudo tests/bench/ab.sh /tmp/old/build build shared host 300 30 netd
#
# MODE shared|isolated (shared), TAP netns|host (host), N (10), PROBES (20).
# netd: B's netd serves both builds' calls (to see a change of netd and the
# plugin together, compare runs of `ab.sh OLD OLD` and `ab.sh NEW NEW`).
# AB_NS_EACH=1 gives each attachment of the population a VM namespace of its
# own (by default they share one). AB_NETD_ARGS: more arguments for netd
# (-v: its log, $T/netd.log, has each step of a full pass). Everything lives
# in throwaway namespaces and a temporary folder, removed on every exit.
set -u
[ "$(id -u)" = 0 ] || { echo "ab.sh: needs root" >&2; exit 1; }
A=$(realpath "$1") B=$(realpath "$2") MODE=${3:-shared} TAP=${4:-host} N=${5:-10} P=${6:-20}
ND=${7:-}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/vmnet-ab.XXXXXX)
H=vmab$$h PN=vmab$$p G=vmab$$g
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for p in "$H" "$PN" "$G"; do ip netns del "$p" 2>/dev/null; done
	[ -z "${AB_NS_EACH:-}" ] || for ((p = 0; p < N; p++)); do ip netns del "$G.$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
for b in "$A" "$B"; do
	[ -x "$b/vmnet" ] || { echo "ab.sh: no $b/vmnet (make first)" >&2; exit 1; }
done
# shellcheck disable=SC2046 # pkg-config's words
gcc -O2 -std=gnu11 -o "$T/drive" "$HERE/drive.c" $(pkg-config --cflags --libs jansson) || exit 1
for ns in "$H" "$PN" "$G"; do ip netns add "$ns" || exit 1; done
ip -n "$H" link set lo up
# A host's conntrack table is never empty, and DEL's flush of the guest's
# flows skips only an empty one: one entry, as on a real host.
ip netns exec "$H" conntrack -I -p udp -s 192.0.2.1 -d 192.0.2.2 --sport 9 --dport 9 -t 86400 \
	>/dev/null 2>&1 || { echo "ab.sh: cannot add a conntrack entry (conntrack)" >&2; exit 1; }
jq -n --arg mode "$MODE" --arg tap "$TAP" --arg st "$T/state" --arg ip "$T/ipam" '{
	cniVersion: "1.0.0", name: "vmnetab", plugins: [{
		type: "vmnet", mode: $mode, tap: $tap, tapName: "t@IFNAME@", ipMasq: true,
		stateDir: $st, capabilities: {portMappings: true},
		ipam: {type: "vmnet-ipam", dataDir: $ip,
		       ranges: [[{subnet: "10.66.0.0/16", gateway: "10.66.0.1"}]]}
	} + (if $mode == "shared" then {bridge: "vmbrab"} else {} end)]}' >"$T/conf.json"
mkdir -p "$T/pa" "$T/pb" "$T/state" "$T/res" "$T/nd"
for f in vmnet vmnet-ipam; do
	ln -s "$A/$f" "$T/pa/$f"
	ln -s "$B/$f" "$T/pb/$f"
done
export DRIVE_LOG=$T/plugins.log DRIVE_RESULT_DIR=$T/res
if [ -n "$ND" ]; then
	ip netns exec "$H" "$B/netd" --state-dir "$T/state" --socket "$T/nd/$H.sock" \
		--cni-path "$T/pb" ${AB_NETD_ARGS:-} </dev/null >"$T/netd.log" 2>&1 &
	PIDS+=($!)
	export DRIVE_NETD_DIR=$T/nd
	for _ in $(seq 100); do [ -S "$T/nd/$H.sock" ] && break; sleep 0.05; done
	# Without it the calls would run without netd and say nothing.
	[ -S "$T/nd/$H.sock" ] || { echo "ab.sh: netd of $B did not start: $(tail -3 "$T/netd.log")" >&2; exit 1; }
fi
coproc DA { CNI_PATH=$T/pa exec "$T/drive"; }
PIDS+=("$DA_PID")
coproc DB { CNI_PATH=$T/pb exec "$T/drive"; }
PIDS+=("$DB_PID")
# call a|b COMMAND...: one drive command; R is its time in microseconds.
call() {
	local st us rest
	if [ "$1" = a ]; then
		echo "${*:2}" >&"${DA[1]}"
		read -r st us rest <&"${DA[0]}"
	else
		echo "${*:2}" >&"${DB[1]}"
		read -r st us rest <&"${DB[0]}"
	fi
	[ "$st" = ok ] || { echo "ab.sh: $1 failed: ${*:2}: $st $us $rest" >&2; tail -3 "$T/plugins.log" >&2; exit 1; }
	R=$us
}
h=/run/netns/$H
# AB_NS_EACH=1: each attachment of the population in a VM namespace of its
# own, as on a real host (and as compare.sh does), not all in one.
for ((i = 0; i < N; i++)); do
	g=$G
	if [ -n "${AB_NS_EACH:-}" ]; then
		g=$G.$i
		ip netns add "$g" || exit 1
	fi
	call a add "$h" "$T/conf.json" "bg$i" "eth$i" "/run/netns/$g" $((20000 + i)) 80
done
# AB_HOOK: a command run once the population is there, before the probes
# (e.g. starting `perf record` for the probes alone).
[ -n "${AB_HOOK:-}" ] && eval "$AB_HOOK"
: >"$T/a"
: >"$T/b"
for ((k = 0; k < P; k++)); do
	for x in a b; do
		call $x add "$h" "$T/conf.json" probe eth0 "/run/netns/$PN" 10000 80
		echo "add $R" >>"$T/$x"
		call $x del "$h" "$T/conf.json" probe eth0 "/run/netns/$PN" 10000 80
		echo "del $R" >>"$T/$x"
		call $x start "$h" "$T/p$x/vmnet"
		echo "start $R" >>"$T/$x"
	done
done
# AB_HOOK_END: a command run once the probes are done, before the clean-up
# (e.g. stopping that `perf record`, so that the teardown stays out of it).
[ -n "${AB_HOOK_END:-}" ] && eval "$AB_HOOK_END"
# AB_OUT: a folder to keep every probe's time in (a and b: "VERB us" lines).
[ -n "${AB_OUT:-}" ] && mkdir -p "$AB_OUT" && cp "$T/a" "$T/b" "$AB_OUT/"
# q VERB FILE Q: VERB's Q-quantile (0.5 the median, 1 the max) of FILE, ms.
q() {
	grep "^$1 " "$2" | awk '{print $2}' | sort -n |
		awk -v q="$3" '{a[NR] = $1} END {i = int(q * NR + 0.999); if (i < 1) i = 1; printf "%.2f", a[i] / 1000}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (a > 0 ? b / a : 0)}'; }
echo "$MODE/$TAP, N=$N, $P probes each${ND:+, netd running}: ms, A ($A) and B ($B)"
printf '%-6s %21s %22s %22s\n' "" "median A  B  B/A" "p90 A  B  B/A" "max A  B  B/A"
for v in add del start; do
	line=$(printf '%-6s' "$v")
	for x in 0.5 0.9 1; do
		a=$(q $v "$T/a" $x) b=$(q $v "$T/b" $x)
		line+=$(printf '  %7s %7s %5s' "$a" "$b" "$(ratio "$a" "$b")")
	done
	echo "$line"
done
