#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# An ab.sh hook (AB_HOOK): the length of netd's full pass, `netd reconcile`
# 16 times in a row, the first left out (it may read every record file):
# median and quartiles, us.
#
#   AB_HOOK='tests/bench/hook-full-pass.sh $H $T $B' tests/bench/ab.sh B B shared host 1000 1 netd
set -u
H=$1 T=$2 B=$3
S="$T/nd/$H.sock"
sleep 3
v=()
for _ in $(seq 16); do
	ip netns exec "$H" "$B/netd" reconcile --socket "$S" >/dev/null
	v+=("$(ip netns exec "$H" "$B/netd" status --json --socket "$S" | jq -r .reconcile.last_full_us)")
done
printf '%s\n' "${v[@]:1}" | sort -n |
	awk '{a[NR] = $1} END {print "full pass: median", a[int((NR + 1) / 2)], "us, p25", a[int(NR / 4) + 1], "p75", a[int(3 * NR / 4)]}'
