#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The published-port benchmark in quick mode (200 attachments, 8 probes) as a
# TAP test: ADD with one published port costs about the same with 1 and with
# 200 attachments present (medians within 35 %; the full bench asks 20 %).
#
#   tests/integ/t_bench_ports.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq nsenter socat
need_bins "$VMNET" "$B/vmnet-ipam" "$FAKEVM"

out=$(BENCH_QUICK=1 BENCH_MAX_DIFF=${BENCH_MAX_DIFF:-35} "$LIB_ROOT/tests/bench/ports.sh" "$B" 2>&1)
rc=$?
diag "$out"
res=$(grep '^RESULT ' <<<"$out")
t_match "the quick benchmark ran to the end" "$res" 'add_diff_pct=[0-9.]+'
if [ $rc -eq 0 ]; then ok "ADD median with 200 vs 1 attachments within 35 % (${res#RESULT })"; else
	not_ok "ADD median with 200 vs 1 attachments within 35 %" "exit $rc" "$res"; fi
echo "1..$T_N"
[ $T_FAILED -eq 0 ]
