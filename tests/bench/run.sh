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
# shellcheck disable=SC2043 # more benches will join
for b in "$here"/ports.sh; do
	echo "== $(basename "$b")"
	"$b" "$B" || rc=1
done
exit $rc
