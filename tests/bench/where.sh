#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# where.sh: where a plugin call's time goes, request by request (the "where
# the time goes" tables of tests/bench/README.md). It runs ab.sh with the
# plain BUILD as A and, as B, the same plugin under callprof.so (an
# LD_PRELOAD library, callprof.c: each netlink request, nf_tables batch,
# file and socket call timed around the real libc call), then prints for
# ADD and DEL the mean time per kind of request over the profiled calls,
# largest first, with how much of the process's time they cover.
#
#   sudo tests/bench/where.sh BUILD [MODE [TAP [N [PROBES [netd]]]]]
#   sudo tests/bench/where.sh build/dynamic shared host 10 30 netd
#
# BUILD must hold a dynamically linked vmnet (LD_PRELOAD does not reach a
# static one): `make STATIC=0 B=build/dynamic`. The arguments after BUILD
# are ab.sh's. Rule 8: a profile, not a timed test.
set -u
[ "$(id -u)" = 0 ] || { echo "where.sh: needs root" >&2; exit 1; }
[ $# -ge 1 ] || { sed -n '3,18p' "$0" >&2; exit 2; }
BUILD=$(realpath "$1")
shift
HERE=$(cd "$(dirname "$0")" && pwd)
[ -x "$BUILD/vmnet" ] || { echo "where.sh: no $BUILD/vmnet" >&2; exit 1; }
if ! readelf -l "$BUILD/vmnet" 2>/dev/null | grep -q 'INTERP'; then
	echo "where.sh: $BUILD/vmnet is static; build a dynamic one: make STATIC=0 B=build/dynamic" >&2
	exit 1
fi
W=$(mktemp -d /tmp/vmnet-where.XXXXXX)
trap 'rm -rf "$W"' EXIT INT TERM
mkdir -p "$W/prof" "$W/out"
gcc -O2 -shared -fPIC -o "$W/callprof.so" "$HERE/callprof.c" -ldl || exit 1
printf '#!/bin/sh\nCALLPROF_DIR=%s LD_PRELOAD=%s exec %s "$@"\n' \
	"$W/out" "$W/callprof.so" "$BUILD/vmnet" >"$W/prof/vmnet"
chmod +x "$W/prof/vmnet"
for f in vmnet-ipam netd; do ln -s "$BUILD/$f" "$W/prof/$f"; done
"$HERE/ab.sh" "$BUILD" "$W/prof" "$@" | sed 's/^/ab: /' || exit 1
echo "(ab: B is the same build under callprof; its start includes a shell)"
for cmd in ADD DEL; do
	set -- "$W/out/$cmd".*
	[ -e "$1" ] || continue
	med=$(cat "$@" | awk '$3 == "total" { print $1 }' | sort -n |
		awk '{ a[NR] = $1 } END { printf "%.0f", a[int((NR + 1) / 2)] }')
	awk -v cmd="$cmd" -v files=$# -v med="$med" '
		$3 == "total" { next }
		{ k = $3; for (i = 4; i <= NF; i++) k = k " " $i; us[k] += $1; n[k] += $2; all += $1 }
		END {
			printf "\n%s, %d calls: median %s us from the start of main to exit; the requests below, %.0f us of it on average\n", cmd, files, med, all / files
			printf "%9s %7s  %s\n", "mean us", "calls", "request"
			for (k in us) printf "%9.1f %7.1f  %s\n", us[k] / files, n[k] / files, k | "sort -rn | head -25"
		}' "$@"
done
