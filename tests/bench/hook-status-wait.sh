#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# An ab.sh hook (AB_HOOK): how long `netd status` waits while netd runs a
# full pass. Five rounds: SIGHUP to netd (a full pass in steps, netd/full.c),
# then `netd status` in a loop for 1.5 s; the longest wait, against one
# status request alone, and the pass's length and steps.
#
#   AB_HOOK='tests/bench/hook-status-wait.sh $H $T $B' tests/bench/ab.sh B B isolated host 3000 1 netd
#
# Runs only inside ab.sh's host namespace $H; signals only the netd ab.sh
# started there (found by its namespace and name, by PID).
set -u
H=$1 T=$2 B=$3
S="$T/nd/$H.sock"
NP=
for p in $(ip netns pids "$H"); do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = netd ] && NP=$p; done
[ -n "$NP" ] || { echo "hook-status-wait: no netd in $H" >&2; exit 1; }
us_now() { echo $(($(date +%s%N) / 1000)); }
status() { ip netns exec "$H" "$B/netd" status --json --socket "$S"; }
sleep 3
for round in 1 2 3 4 5; do
	t0=$(us_now)
	status >/dev/null
	alone=$(($(us_now) - t0))
	kill -HUP "$NP"
	max=0 n=0 start=$(us_now)
	while [ $(($(us_now) - start)) -lt 1500000 ]; do
		t0=$(us_now)
		status >/dev/null
		d=$(($(us_now) - t0))
		[ "$d" -gt "$max" ] && max=$d
		n=$((n + 1))
	done
	j=$(status)
	echo "round $round: status alone ${alone} us; during a full pass: longest ${max} us of $n;" \
		"the pass $(jq -r .reconcile.last_full_us <<<"$j") us in $(jq -r .reconcile.last_full_steps <<<"$j") steps," \
		"the longest $(jq -r .reconcile.last_full_longest_step_us <<<"$j") us"
	sleep 1
done
