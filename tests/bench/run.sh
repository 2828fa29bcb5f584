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
# cross.sh: the cross-node path (build/bench/cross.csv).
for b in "$here"/compare.sh "$here"/ports.sh "$here"/cross.sh; do
	echo "== $(basename "$b")"
	"$b" "$B" || rc=1
done
exit $rc
