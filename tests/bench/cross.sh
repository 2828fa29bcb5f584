#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The cross-node path (issue 17, item 6), on the cluster of
# tests/integ/cluster-lib.sh (three node namespaces on one underlay, BIRD 2
# on nodes 1 and 2, FRR on node 3, iBGP):
#  1. guest-to-guest TCP throughput (iperf3 between fakevm guest stand-ins)
#     from a shared guest on node 1 to one on node 2, against the same client
#     to a second guest on node 1, alternating BENCH_CROSS_RUNS (3) times:
#     the ratio cross / same node of the medians;
#  2. time from the ADD of a guest on node 2 to its first answer to a ping
#     from a guest on node 1, BENCH_CROSS_PROBES (7) times each: a shared
#     guest (its node's block already announced) and the first isolated
#     guest of an empty block (netd adds the aggregate at its next pass, BIRD
#     learns it at its next kernel scan and announces it); medians.
# Reported, never asserted (rule 8): build/bench/cross.csv and stdout.
#
#   tests/bench/cross.sh BUILDDIR      (root)
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/../integ/lib.sh"
# shellcheck source=tests/integ/cluster-lib.sh
. "$(dirname "$0")/../integ/cluster-lib.sh"

need_root
need_cmds jq socat bird birdc vtysh iperf3
need_bins "$FRR_LIB/zebra" "$FRR_LIB/bgpd"
need_bins "$VMNET" "$B/vmnet-ipam" "$FAKEVM" "$NETD"

RUNS=${BENCH_CROSS_RUNS:-3}
PROBES=${BENCH_CROSS_PROBES:-7}
IPERF_T=${BENCH_IPERF_T:-5}
OUT=${BENCH_OUT:-$LIB_ROOT/build/bench}
CSV=$OUT/cross.csv
mkdir -p "$OUT"
log() { echo "cross: $*" >&2; }
die() { log "$*"; exit 1; }

world_init
chmod 711 "$W_TMP" # FRR's daemons (user frr) reach node 3's frr/ folder
cluster_underlay || die "underlay"
for k in 1 2 3; do
	cluster_node "$k" || die "node $k"
	cluster_subnets "$k"
	if [ "$k" = 3 ]; then
		{ frr_conf 3 >/dev/null && frr_start 3; } || die "FRR on node 3"
	else
		{ bird_conf "$k" && bird_start "$k"; } || die "BIRD on node $k"
	fi
	cluster_netd "$k"
done

# guest K MODE NAME: a guest of node K's MODE network, up; G_IP[NAME].
guest() {
	vm_ns "v-$3"
	node_plugin "$1" ADD id="$3" ns="$REPLY" conf="$(conf_node "$1" "$2")" ||
		{ log "ADD $3: $(cni_report)"; return 1; }
	guest_up "$3" "$CNI_OUT" "$REPLY" >&2
}
unguest() {
	guest_stop "$2"
	node_plugin "$1" DEL id="$2" ns="${P}v-$2" conf="$(conf_node "$1" "$3")" ||
		log "DEL $2: $(cni_report)"
}

guest 1 shared a || die "guest a"
guest 1 shared b || die "guest b"
guest 2 shared c || die "guest c"
wait_for 60 mesh || die "BGP sessions not Established"
wait_for 30 has_route 1 10.100.2.0/24 "$(node_ip 2)" || die "node 1 has no route to node 2"
guest_ping a "${G_IP[c]}" >/dev/null || die "a does not reach c"
for g in b c; do
	ip netns exec "${G_NS[$g]}" iperf3 -s -p 5201 >/dev/null 2>&1 </dev/null &
	track_pid $!
	wait_listen "${G_NS[$g]}" tcp 5201 >/dev/null || die "iperf3 in $g"
done

echo "metric,run,value" >"$CSV"
# ---------------------------------------------------------------- throughput
mbps() {
	in_guest a iperf3 -c "${G_IP[$1]}" -p 5201 -t "$IPERF_T" -J 2>/dev/null |
		jq '.end.sum_received.bits_per_second / 1e6 | floor'
}
for r in $(seq "$RUNS"); do
	for where in same cross; do
		if [ "$where" = same ]; then v=$(mbps b); else v=$(mbps c); fi
		echo "tput_${where}_mbps,$r,${v:-0}" >>"$CSV"
		log "throughput $where node, run $r: ${v:-?} Mbit/s"
	done
done

# ---------------------------------------------------------------- ADD to reachable
# reach K MODE NAME: REACH_MS, the ms from node K's ADD of NAME to its first
# echo reply to guest a (node 1), polling every 50 ms for up to 60 s. (Not in
# a subshell: the guest's pids and addresses stay known for its DEL.)
reach() {
	local t0 end
	t0=$EPOCHREALTIME
	guest "$1" "$2" "$3" || return 1
	end=$(($(date +%s) + 60))
	until in_guest a "${PING[@]}" -c1 -W1 "${G_IP[$3]}" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.05
	done
	REACH_MS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
}
for i in $(seq "$PROBES"); do
	reach 2 shared "s$i" || die "shared guest s$i never reached"
	echo "reach_shared_ms,$i,$REACH_MS" >>"$CSV"
	rs=$REACH_MS
	unguest 2 "s$i" shared
	# An empty isolated block: no aggregate on node 2, no route on node 1.
	wait_for 60 no_route 1 10.101.2.0/24 >/dev/null || die "node 1 still routes 10.101.2.0/24"
	reach 2 isolated "i$i" || die "isolated guest i$i never reached"
	[[ ${G_IP[i$i]} == 10.101.2.* ]] || die "i$i is not in node 2's isolated block: ${G_IP[i$i]}"
	echo "reach_isolated_ms,$i,$REACH_MS" >>"$CSV"
	unguest 2 "i$i" isolated
	log "ADD to reachable, probe $i: shared $rs ms, isolated $REACH_MS ms"
done

# ---------------------------------------------------------------- report
median() {
	awk -F, -v m="$1" '$1 == m { print $3 }' "$CSV" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
same=$(median tput_same_mbps) cross=$(median tput_cross_mbps)
rs=$(median reach_shared_ms) ri=$(median reach_isolated_ms)
ratio=$(awk -v a="$cross" -v b="$same" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
{
	echo "median,tput_same_mbps,$same"
	echo "median,tput_cross_mbps,$cross"
	echo "ratio,tput_cross_over_same,$ratio"
	echo "median,reach_shared_ms,$rs"
	echo "median,reach_isolated_ms,$ri"
} >>"$CSV"
echo "cross-node guest-to-guest throughput: $cross Mbit/s, same node $same Mbit/s: ratio $ratio"
echo "ADD on node 2 to reachable from node 1 (median of $PROBES): shared $rs ms, isolated (first of its block) $ri ms"
echo "written to $CSV"
