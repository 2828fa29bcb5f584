#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `make bench`: every benchmark under tests/bench, in throwaway namespaces.
#
#   tests/bench/run.sh BUILDDIR      (root)
set -u
here=$(cd "$(dirname "$0")" && pwd)
B=${1:-build}
rc=0
# compare.sh: vmnet against the anchors and the goals of issue 15 as ratios
# (build/bench/goals.txt, goals.csv); ports.sh: the published-port bench;
# cross.sh: the cross-node path (build/bench/cross.csv); storm.sh: 32 calls
# on one network at once against the same calls in turn, netd running
# (build/bench/storm.txt).
for b in "$here"/compare.sh "$here"/ports.sh "$here"/cross.sh; do
	echo "== $(basename "$b")"
	"$b" "$B" || rc=1
done
echo "== storm.sh"
mkdir -p "$B/bench"
"$here"/storm.sh "$B" "$B" 32 5 shared host netd | tee "$B/bench/storm.txt"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
exit $rc
