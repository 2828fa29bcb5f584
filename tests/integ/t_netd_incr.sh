#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# netd's incremental passes: with many attachments (VMNET_INCR_N, 200 by
# default), an event about one attachment (its host device deleted, a tc
# redirect deleted in its VM namespace, its record rewritten, an element of
# its deleted) makes netd check that attachment only, and repair it within
# the bound t_netd uses; the periodic pass still checks every attachment;
# what cannot be narrowed down (a table flushed, an event of a namespace
# that is no attachment's) still brings a full pass. The counters are netd
# status's: full_passes, incremental_passes, last_incremental_checked,
# last_full_checked (and the durations, reported, not asserted: speed is
# shown by `make bench`). A full pass runs in steps (last_full_steps), and
# calls made while full passes run leave netd's cache as on disk.
#
#   tests/integ/t_netd_incr.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq nft
NETD=$B/netd
need_bins "$VMNET" "$B/vmnet-ipam" "$NETD"
world_init
host_ns

N=${VMNET_INCR_N:-200}
NNS=10 # attachments with netns wiring, one VM namespace each; the rest host-wired
BOUND_MS=5000 # as t_netd: the target is 1 s, the assert leaves room for slow CI
SOCK=$W_TMP/netd.sock
NET=incr1
BR=vmbrin$$
BR=${BR:0:15}
CONF=$(conf_shared "$NET" "$BR" 10.81.0.0/16 10.81.0.1 '.tapName = "t@IFNAME@"')
HCONF=$(jq -c '.tap = "host"' <<<"$CONF")

st() { nc_ status --json; }
rc_() { st | jq -r ".reconcile.$1"; }

# A long interval first: no periodic pass gets in the way of the counts.
t_ok "netd starts (interval 60 s)" netd_start --interval 60 -v

vm_ns hw
HW=$REPLY
fail=0
for i in $(seq 0 $((N - NNS - 1))); do
	plugin ADD id="h$i" if="e$i" ns="$HW" conf="$HCONF" >/dev/null || { fail=1; cni_report; break; }
done
for i in $(seq 0 $((NNS - 1))); do
	vm_ns "v$i"
	VNS[i]=$REPLY
	plugin ADD id="v$i" ns="${VNS[i]}" >/dev/null || { fail=1; cni_report; break; }
done
t_eq "$N attachments added ($((N - NNS)) host-wired, $NNS netns-wired)" "$fail" 0
t_eq "netd knows all $N" "$(st | jq -r .attachments)" "$N"

# settle: wait until no pass has run for 1.5 s (what ADDs triggered is done).
settle() {
	local p0 p1 i
	p0=$(rc_ passes)
	for i in $(seq 20); do
		sleep 1.5
		p1=$(rc_ passes)
		[ "$p1" = "$p0" ] && return 0
		p0=$p1
	done
	return 1
}
t_ok "netd settles after the ADDs" settle
t_ok "a full pass (netd reconcile) checks every attachment" nc_ reconcile
t_eq "  last_full_checked = $N" "$(rc_ last_full_checked)" "$N"
FULL_US=$(rc_ last_full_us)
diag "a full pass over $N attachments: $FULL_US us"

# one_event TAG BREAK CHECK: break one attachment (BREAK, a command), wait
# until CHECK holds (the repair), then the counters: no full pass, and the
# incremental passes checked only a few attachments: the one, its bridge's
# stand-in, and those the kernel itself names meanwhile (a bridge notifies
# each port with carrier when one comes or goes: here the NNS veths).
one_event() {
	local tag=$1 brk=$2 chk=$3 f0 i0 t0 t1 checked
	settle
	f0=$(rc_ full_passes)
	i0=$(rc_ incremental_passes)
	t0=$(ms_now)
	eval "$brk"
	while ! eval "$chk" >/dev/null 2>&1; do
		[ $(($(ms_now) - t0)) -gt $((BOUND_MS * 2)) ] && break
		sleep 0.02
	done
	t1=$(ms_now)
	if eval "$chk" >/dev/null 2>&1 && [ $((t1 - t0)) -le $BOUND_MS ]; then
		ok "$tag: repaired after $((t1 - t0)) ms (bound $BOUND_MS ms)"
	else
		not_ok "$tag: repaired" "after $((t1 - t0)) ms" "$(tail -10 "$W_TMP/netd.log")"
	fi
	settle
	checked=$(rc_ last_incremental_checked)
	t_eq "  no full pass ran" "$(rc_ full_passes)" "$f0"
	t_ok "  incremental passes ran ($i0 -> $(rc_ incremental_passes))" \
		test "$(rc_ incremental_passes)" -gt "$i0"
	t_ok "  the last checked $checked of $N attachments (at most $((NNS + 2)))" \
		test "$checked" -le $((NNS + 2)) ||
		diag "$(grep -E "pass|event" "$W_TMP/netd.log" | tail -30)"
	diag "$tag: last incremental pass $(rc_ last_incremental_us) us, $checked checked; full $(rc_ last_full_us) us, $(rc_ last_full_checked) checked"
}

HDEV=$(jq -r .hostIf "$(record_path "$NET" h7 e7)")
one_event "host tap $HDEV of h7 deleted" "hlink link del $HDEV" "hlink link show dev $HDEV up"

VDEV=$(jq -r .hostIf "$(record_path "$NET" v3 eth0)")
one_event "host veth end $VDEV of v3 deleted" "hlink link del $VDEV" \
	"hlink link show dev $VDEV up && ip -n ${VNS[3]} link show dev eth0"

one_event "forwarding in v5's VM namespace deleted" "ip netns exec ${VNS[5]} nft flush ruleset" \
	"fwd_ok ${VNS[5]} eth0 t@IFNAME@"

REC=$(record_path "$NET" h11 e11)
one_event "h11's record rewritten" "cp $REC $REC.tmp && mv $REC.tmp $REC" "true"

# An element deleted names its attachment; the table then needs restoring,
# which is a full pass under every network's lock (as before).
IP12=$(jq -r .address "$(record_path "$NET" h12 e12)" | cut -d/ -f1)
F0=$(rc_ full_passes)
T0=$(ms_now)
hnft delete element inet vmnet guests4 "{ $IP12 }"
for _ in $(seq 250); do nft_has_elem guests4 "$IP12" && break; sleep 0.02; done
T1=$(ms_now)
t_ok "h12's element deleted: back after $((T1 - T0)) ms" nft_has_elem guests4 "$IP12"
settle
t_ok "  by a full pass (the table restored)" test "$(rc_ full_passes)" -gt "$F0"

# What cannot be narrowed down: a namespace that is no attachment's (it has
# an id here through a veth peer) changes a link; the table is flushed.
settle
F0=$(rc_ full_passes)
ns_add other
OTHER=$REPLY
hlink link add vmxo$$ type veth peer name o0 netns "$OTHER"
ip -n "$OTHER" link set o0 up
settle
t_ok "an event of a namespace no record names: a full pass" test "$(rc_ full_passes)" -gt "$F0"
hlink link del vmxo$$ 2>/dev/null

# A VM namespace dies without DEL: its attachment alone is torn down.
settle
F0=$(rc_ full_passes)
VDEV9=$(jq -r .hostIf "$(record_path "$NET" v9 eth0)")
t_ok "v9's namespace deleted, the kernel destroys it" ns_del_dead "${VNS[9]}" "$VDEV9"
T0=$(ms_now)
for _ in $(seq 150); do test -e "$(record_path "$NET" v9 eth0)" || break; sleep 0.05; done
T1=$(ms_now)
t_fail "  v9 is torn down ($((T1 - T0)) ms after its namespace died)" test -e "$(record_path "$NET" v9 eth0)"
settle
t_eq "  without a full pass" "$(rc_ full_passes)" "$F0"
t_eq "  netd knows $((N - 1)) attachments" "$(st | jq -r .attachments)" "$((N - 1))"

settle
F0=$(rc_ full_passes)
T0=$(ms_now)
hnft flush ruleset
for _ in $(seq 250); do hnft list table inet vmnet >/dev/null 2>&1 && break; sleep 0.02; done
T1=$(ms_now)
t_ok "nft flush ruleset: the table is back after $((T1 - T0)) ms" hnft list table inet vmnet
settle
t_ok "  by a full pass" test "$(rc_ full_passes)" -gt "$F0"
t_eq "  that checked every attachment" "$(rc_ last_full_checked)" "$((N - 1))"

# The periodic pass is still a full one.
kill_pid "$NETD_PID"
t_ok "netd restarts with --interval 2" netd_start --interval 2
# The period is the interval, or 50 times the last full pass when that is
# longer (netd_full_every_ms): read it, never assume 2 s. Two periods and a
# margin for the passes themselves.
EVERY=$(st | jq -r .full_every_secs)
[ "$EVERY" -ge 2 ] 2>/dev/null || EVERY=2
# full_passes_by N SECS: wait until N full passes have run, at most SECS.
full_passes_by() {
	local end=$((SECONDS + $2))
	while [ "$(rc_ full_passes)" -lt "$1" ] && [ "$SECONDS" -lt "$end" ]; do sleep 0.2; done
	[ "$(rc_ full_passes)" -ge "$1" ]
}
F0=$(rc_ full_passes)
T0=$(ms_now)
full_passes_by $((F0 + 2)) $((3 * EVERY + 6))
F1=$(rc_ full_passes) T1=$(ms_now)
t_ok "  periodic full passes ran ($F0 -> $F1 in $((T1 - T0)) ms, every ${EVERY} s)" \
	test "$F1" -ge $((F0 + 2))
t_eq "  each checked every attachment" "$(rc_ last_full_checked)" "$((N - 1))"

# Events more often than the interval (a busy host's calls) bring
# incremental passes; they must not put the periodic full pass off.
EVERY=$(st | jq -r .full_every_secs)
[ "$EVERY" -ge 2 ] 2>/dev/null || EVERY=2
(for _ in $(seq $((10 * EVERY + 40))); do
	cp "$REC" "$REC.tmp" && mv "$REC.tmp" "$REC"
	sleep 0.4
done) &
TOUCH_PID=$!
track_pid "$TOUCH_PID"
F0=$(rc_ full_passes) I0=$(rc_ incremental_passes) T0=$(ms_now)
full_passes_by $((F0 + 2)) $((3 * EVERY + 6))
F1=$(rc_ full_passes) I1=$(rc_ incremental_passes) T1=$(ms_now)
kill_pid "$TOUCH_PID"
t_ok "  a record rewritten every 0.4 s: incremental passes ran ($I0 -> $I1)" \
	test "$I1" -ge $((I0 + 3))
t_ok "  ...and the periodic full passes still did ($F0 -> $F1 in $((T1 - T0)) ms)" \
	test "$F1" -ge $((F0 + 2))

t_run nc_ status
t_match "netd status prints both kinds of pass" "$T_OUT" "passes: +[0-9]+ full \(last [0-9]+ us, $((N - 1)) checked\), [0-9]+ incremental"
diag "$(grep -E '^passes:' <<<"$T_OUT")"

# A full pass runs in steps (--step-ms 0: 16 records a step), netd serving
# its clients, DHCP and events between two. Calls while full passes run one
# after another (SIGHUP every 50 ms), a poller's status requests reading
# the changed records into netd's cache between two steps: after them,
# netd's cache is as on disk (test_netd_full checks the case itself).
kill_pid "$NETD_PID"
t_ok "netd restarts with --interval 60 --step-ms 0" netd_start --interval 60 --step-ms 0
settle
F0=$(rc_ full_passes)
kill -HUP "$NETD_PID"
full_passes_by $((F0 + 1)) 10
STEPS=$(rc_ last_full_steps)
t_ok "  a full pass (SIGHUP) over $((N - 1)) attachments took $STEPS steps (at least $(((N + 14) / 16)))" \
	test "$STEPS" -ge $(((N + 14) / 16))
LONGEST=$(rc_ last_full_longest_step_us) WHOLE=$(rc_ last_full_us)
t_ok "  its longest step ($LONGEST us) is part of the pass ($WHOLE us)" \
	test "$LONGEST" -gt 0 -a "$LONGEST" -lt "$WHOLE"
(while :; do kill -HUP "$NETD_PID"; sleep 0.05; done) &
HUP_PID=$!
track_pid "$HUP_PID"
(while :; do nc_ status --json >/dev/null 2>&1; done) &
POLL_PID=$!
track_pid "$POLL_PID"
M0=$(rc_ full_meanwhile)
fail=0
for k in $(seq 0 79); do
	plugin ADD id="c$k" if="c$k" ns="$HW" conf="$HCONF" >/dev/null || { fail=1; cni_report; break; }
	# every other one goes again: adds and removals both
	if [ $((k % 2)) = 1 ]; then
		plugin DEL id="c$k" if="c$k" ns="$HW" conf="$HCONF" >/dev/null || { fail=1; cni_report; break; }
	fi
done
kill_pid "$HUP_PID"
kill_pid "$POLL_PID"
t_eq "  80 ADDs, every other one deleted again, while full passes ran" "$fail" 0
diag "records changed while a full pass ran: $(($(rc_ full_meanwhile) - M0))"
settle
ON_DISK=$(find "$W_TMP/state/$NET" -name '*@*.json' | wc -l)
t_eq "  netd knows what is on disk ($ON_DISK attachments)" "$(st | jq -r .attachments)" "$ON_DISK"
missing=0 gone=0
for k in $(seq 0 79); do
	if nc_ lease "c$k" "c$k" >/dev/null 2>&1; then
		[ $((k % 2)) = 1 ] && gone=$((gone + 1))
	else
		[ $((k % 2)) = 0 ] && missing=$((missing + 1))
	fi
done
t_eq "  each added one has its lease from netd" "$missing" 0
t_eq "  no deleted one has" "$gone" 0
t_done
