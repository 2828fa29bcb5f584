#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The test harness: runs every producer of TAP and adds up what they report.
#
#   tests/run.sh --unit  BUILDDIR   unit tests (BUILDDIR/tests/test_*), no root needed
#   tests/run.sh --integ BUILDDIR   integration tests (tests/integ/t_*.sh), root
#   tests/run.sh --all   BUILDDIR   unit, ASan+UBSan unit (BUILDDIR/asan/tests/test_*),
#                                   fuzz smoke (BUILDDIR/fuzz/fuzz_*), integration
#
# Environment:
#   VMNET_TESTS='glob[,glob...]'  run only producers whose name matches
#                                 (test_json, asan/test_json, fuzz_config, t_shared)
#   VMNET_TEST_TIMEOUT=S          time limit per producer (default: unit 120,
#                                 asan 300, integration 600)
#   VMNET_REPEAT=N                run each selected producer N times in a row
#                                 (to catch an intermittent failure); each run
#                                 is reported as NAME#K and counted on its own,
#                                 and a "NAME: N runs, N passed, N failed" line
#                                 follows the last (default 1)
#   VMNET_FUZZ_RUNS, VMNET_FUZZ_TIME   fuzz smoke bounds (20000 runs, 20 s)
#
# A producer fails as a whole (one failure) when it crashes, runs over its time
# limit, exits non-zero without a "not ok", prints no plan, or runs a different
# number of tests than it planned. Exit 77 is a skip. The last line is always
# "N passed, N failed, N skipped"; the exit status is 0 iff nothing failed.
set -u

usage() {
	echo "usage: $0 --unit|--integ|--all BUILDDIR" >&2
	exit 2
}

# Internal: one fuzz target as a TAP producer (run under the same time limit
# as everything else, so it is a separate process).
fuzz_one() {
	local bin=$1 seeds=$2 work rc
	work=$(mktemp -d "${TMPDIR:-/tmp}/vmnet-fuzz.XXXXXX") || exit 1
	trap 'rm -rf "$work"' EXIT
	mkdir -p "$work/corpus"
	echo "1..1"
	# New inputs go to the scratch corpus, never into the repository's seeds.
	"$bin" -runs="${VMNET_FUZZ_RUNS:-20000}" -max_total_time="${VMNET_FUZZ_TIME:-20}" \
		-artifact_prefix="$work/" -print_final_stats=0 \
		"$work/corpus" ${seeds:+"$seeds"} >"$work/log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok 1 - $(basename "$bin") $(grep -o 'Done [0-9]* runs.*' "$work/log" | tail -n1)"
	else
		tail -n 40 "$work/log" | sed 's/^/# /'
		for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
			[ -e "$a" ] && echo "# reproducer (base64): $(base64 -w0 <"$a")"
		done
		echo "not ok 1 - $(basename "$bin") found a crash (exit $rc)"
	fi
	exit 0
}

[ "${1:-}" = --fuzz-one ] && fuzz_one "$2" "${3:-}"

[ $# -eq 2 ] || usage
MODE=$1
case $MODE in --unit | --integ | --all) ;; *) usage ;; esac
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
B=$2
[ -d "$B" ] || { echo "run.sh: no build directory $B (run make first)" >&2; exit 2; }
B=$(cd "$B" && pwd)
SELF="$ROOT/tests/run.sh"
REPEAT=${VMNET_REPEAT:-1}
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: VMNET_REPEAT must be a positive number" >&2; exit 2; }

PASSED=0 FAILED=0 SKIPPED=0
FAILS=()
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vmnet-run.XXXXXX") || exit 1
CUR_PID=
on_exit() {
	[ -n "$CUR_PID" ] && kill -TERM "$CUR_PID" 2>/dev/null && wait "$CUR_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap on_exit EXIT
# timeout(1) puts the producer in its own process group, so a terminal's ^C
# does not reach it: forward it (timeout passes it on to the producer).
trap 'echo "run.sh: interrupted" >&2; exit 130' INT TERM

selected() {
	local name=$1 g
	[ -z "${VMNET_TESTS:-}" ] && return 0
	for g in ${VMNET_TESTS//,/ }; do
		# shellcheck disable=SC2053
		[[ $name == $g || ${name##*/} == $g || $name.sh == $g ]] && return 0
	done
	return 1
}

fail_producer() {
	FAILED=$((FAILED + 1))
	FAILS+=("$1: $2")
	echo "$1: not ok - $2 (harness)"
}

# run_producer NAME LIMIT CMD... : run one TAP producer VMNET_REPEAT times.
run_producer() {
	local name=$1 k bad=0
	selected "$name" || return 0
	if [ "$REPEAT" -eq 1 ]; then
		run_once "$@"
		return
	fi
	shift
	for ((k = 1; k <= REPEAT; k++)); do
		run_once "$name#$k" "$@" || bad=$((bad + 1))
	done
	echo "$name: $REPEAT runs, $((REPEAT - bad)) passed, $bad failed"
}

# run_once NAME LIMIT CMD... : run one TAP producer, relay its output with
# a "NAME: " prefix, and count what it reports; fails if anything failed.
run_once() {
	local name=$1 limit=$2 out err relay rc counts plan n_ok n_fail n_skip n_total planskip t0
	local f0=$FAILED s0=$SKIPPED verdict=PASS l
	shift 2
	out="$WORK/out" err="$WORK/err"
	t0=$SECONDS
	: >"$out"
	: >"$err"
	timeout -k 10 "$limit" "$@" >"$out" 2>"$err" </dev/null &
	CUR_PID=$!
	# Relay live: both files, prefixed, until the producer has gone.
	tail -q -n +1 -s 0.2 --pid="$CUR_PID" -f "$out" "$err" 2>/dev/null |
		sed -u "s|^|$name: |" &
	relay=$!
	wait "$CUR_PID" 2>/dev/null
	rc=$?
	CUR_PID=
	wait "$relay" 2>/dev/null

	# Top-level TAP only (subtests are indented). "not ok ... # TODO" is
	# not a failure; any "# SKIP" result is a skip.
	counts=$(awk '
		/^1\.\.[0-9]+/ { if (plan == "") plan = substr($1, 4) + 0; if (tolower($0) ~ /# *skip/) planskip = 1; next }
		/^(not ok|ok)([ \t]|$)/ {
			total++
			dir = tolower($0); sub(/^[^#]*/, "", dir)
			if (dir ~ /^# *skip/) { skip++; next }
			if ($1 == "not") { if (dir ~ /^# *todo/) skip++; else { fail++; print "F " $0 > "/dev/stderr" } }
			else ok++
		}
		END { printf "%s %d %d %d %d %d\n", plan == "" ? "-" : plan, ok, fail, skip, total, planskip }
	' "$out" 2>"$WORK/failed")
	read -r plan n_ok n_fail n_skip n_total planskip <<<"$counts"
	PASSED=$((PASSED + n_ok))
	FAILED=$((FAILED + n_fail))
	SKIPPED=$((SKIPPED + n_skip))
	while IFS= read -r l; do
		l=${l#F }
		l=${l#not ok}
		FAILS+=("$name:${l}")
	done <"$WORK/failed"

	if [ $rc -eq 124 ] || { [ $rc -eq 137 ] && [ $((SECONDS - t0)) -ge "$limit" ]; }; then
		fail_producer "$name" "timed out after ${limit}s"
	elif [ $rc -eq 77 ]; then
		if [ "$n_total" -eq 0 ]; then
			SKIPPED=$((SKIPPED + 1))
			echo "$name: skipped ($(grep -ioE '# *skip.*' "$out" | head -n1 | sed 's/^# *[sS][kK][iI][pP] *//'))"
		fi
	elif [ $rc -gt 128 ]; then
		fail_producer "$name" "crashed (signal $((rc - 128)))"
	elif [ $rc -ne 0 ] && [ "$n_fail" -eq 0 ]; then
		fail_producer "$name" "exited with status $rc without a \"not ok\""
	elif [ "$plan" = - ]; then
		fail_producer "$name" "printed no TAP plan"
	elif [ "$plan" -eq 0 ] && [ "$n_total" -eq 0 ]; then
		[ "$planskip" -eq 1 ] || echo "$name: planned no tests"
		SKIPPED=$((SKIPPED + 1))
	elif [ "$plan" -ne "$n_total" ]; then
		fail_producer "$name" "planned $plan tests but ran $n_total"
	fi
	if [ "$FAILED" -ne "$f0" ]; then
		verdict=FAIL
	elif [ "$n_ok" -eq 0 ] && [ "$SKIPPED" -ne "$s0" ]; then
		verdict=SKIP
	fi
	echo "$name: $verdict ($n_ok ok, $((FAILED - f0)) failed, $((SKIPPED - s0)) skipped," \
		"$((SECONDS - t0))s)"
	[ "$verdict" != FAIL ]
}

executables() {
	local f
	for f in "$1"/$2; do
		[ -f "$f" ] && [ -x "$f" ] && echo "$f"
	done
}

unit_tier() {
	local dir=$1 label=$2 limit=$3 t found=0
	for t in $(executables "$dir" 'test_*'); do
		found=1
		run_producer "$label${t##*/}" "$limit" "$t"
	done
	[ $found -eq 1 ] || echo "# no unit tests in $dir"
}

if [ "$MODE" != --integ ]; then
	unit_tier "$B/tests" "" "${VMNET_TEST_TIMEOUT:-120}"
fi

if [ "$MODE" = --all ]; then
	if [ -d "$B/asan/tests" ]; then
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			unit_tier "$B/asan/tests" asan/ "${VMNET_TEST_TIMEOUT:-300}"
	else
		echo "# no ASan+UBSan build in $B/asan (make B=$B/asan SANITIZE=1 unit)"
	fi
	found=0
	for f in $(executables "$B/fuzz" 'fuzz_*'); do
		found=1
		n=${f##*/}
		seeds="$ROOT/tests/fuzz/corpus/${n#fuzz_}"
		[ -d "$seeds" ] || seeds=
		run_producer "$n" "${VMNET_TEST_TIMEOUT:-$((${VMNET_FUZZ_TIME:-20} + 120))}" \
			"$SELF" --fuzz-one "$f" "$seeds"
	done
	[ $found -eq 1 ] || echo "# no fuzz targets in $B/fuzz (make fuzz needs clang)"
fi

if [ "$MODE" != --unit ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "# integration tests need root: all skipped (sudo make check runs them)"
		for s in "$ROOT"/tests/integ/t_*.sh; do
			[ -f "$s" ] || continue
			n=${s##*/}
			selected "${n%.sh}" && SKIPPED=$((SKIPPED + 1))
		done
	else
		for s in "$ROOT"/tests/integ/t_*.sh; do
			[ -f "$s" ] || continue
			n=${s##*/}
			VMNET_BUILD=$B run_producer "${n%.sh}" "${VMNET_TEST_TIMEOUT:-600}" \
				bash "$s" "$B"
		done
	fi
fi

if [ ${#FAILS[@]} -gt 0 ]; then
	echo "Failed:"
	printf '  %s\n' "${FAILS[@]}"
fi
printf '%d passed, %d failed, %d skipped\n' "$PASSED" "$FAILED" "$SKIPPED"
[ "$FAILED" -eq 0 ]
