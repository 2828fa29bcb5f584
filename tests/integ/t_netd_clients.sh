#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# netd's control socket cannot be held by slow clients: with 100 silent and
# 20 trickling connections open (a byte every 0.5 s, never a newline),
# `netd status` is answered at once, a deleted bridge is repaired and a
# guest's DHCP is answered as fast as with no client at all; every one of
# those clients is dropped at its whole-request deadline; a client that
# never reads its replies holds nothing either. (And a network named like
# netd's own lock file does not keep netd from starting.)
#
#   tests/integ/t_netd_clients.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq socat nft python3 busybox
need_bins "$VMNET" "$B/vmnet-ipam" "$FAKEVM" "$NETD"
world_init
host_ns

SOCK=$W_TMP/netd.sock
NET=slow1
BR=vmbrsc$$
BR=${BR:0:15}
CONF=$(conf_shared "$NET" "$BR" 10.78.0.0/24 10.78.0.1)
BOUND_MS=1000 # what an idle netd does in ~20 ms; a held loop took > 30 s
DEADLINE_MS=3000 # NETD_CONN_DEADLINE_MS

vm_ns vm0
VM0=$REPLY
LCONF=$(conf_shared netd.lock vmbrlk$$ 10.79.0.0/24 10.79.0.1)
t_plugin "ADD on a network named netd.lock" ADD id=c0 ns="$VM0" conf="$LCONF"
t_ok "netd starts (its lock cannot collide with a network's folder)" netd_start
t_run nc_ list
t_match "netd lists the netd.lock network's attachment" "$T_OUT" ' c0 '

vm_ns vm1
VM1=$REPLY
t_plugin "ADD c1" ADD id=c1 ns="$VM1"
t_ok "guest stand-in on c1's tap" guest_attach g1 "$CNI_OUT" "$VM1"

# slow_clients SILENT TRICKLE SECONDS: open the connections in HOST_NS, keep
# them for SECONDS, print how many netd closed and after how long (ms, max).
cat >"$W_TMP/slow.py" <<'PY'
import socket, sys, time
path, silent, trickle, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
conns = []
for i in range(silent + trickle):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.setblocking(False)
    conns.append([s, i >= silent, time.monotonic(), None])
print("open", len(conns), flush=True)
end = time.monotonic() + secs
next_byte = 0
while time.monotonic() < end and any(c[3] is None for c in conns):
    now = time.monotonic()
    for c in conns:
        if c[3] is not None:
            continue
        try:
            if c[1] and now >= next_byte:
                c[0].send(b"{")
            if c[0].recv(4096) == b"":
                c[3] = now - c[2]
        except BlockingIOError:
            pass
        except OSError:
            c[3] = now - c[2]
    if now >= next_byte:
        next_byte = now + 0.5
    time.sleep(0.05)
closed = [c[3] for c in conns if c[3] is not None]
print("closed", len(closed), int(max(closed) * 1000) if closed else -1, flush=True)
PY
ip netns exec "$HOST_NS" python3 "$W_TMP/slow.py" "$SOCK" 100 20 8 >"$W_TMP/slow.out" 2>&1 &
SLOW=$!
track_pid $SLOW
for _ in $(seq 100); do grep -q '^open' "$W_TMP/slow.out" && break; sleep 0.05; done
t_match "120 slow clients are connected" "$(head -n1 "$W_TMP/slow.out")" '^open 120$'

# timed NAME CMD...: CMD succeeds within BOUND_MS.
timed() {
	local name=$1 t0 ms
	shift
	t0=$(ms_now)
	t_run "$@"
	local rc=$?
	ms=$(($(ms_now) - t0))
	if [ $rc -eq 0 ] && [ $ms -le $BOUND_MS ]; then ok "$name ($ms ms)"
	else not_ok "$name" "exit $rc after $ms ms (bound $BOUND_MS ms)" "$T_OUT"; fi
}

timed "netd status is answered with the slow clients connected" nc_ status
timed "netd list is answered too" nc_ list

bridge_back() {
	local i
	for i in $(seq 200); do
		ip -n "$HOST_NS" link show dev "$BR" >/dev/null 2>&1 && return 0
		sleep 0.005
	done
	return 1
}
ip -n "$HOST_NS" link del "$BR"
timed "a deleted bridge is repaired" bridge_back

cat >"$W_TMP/udhcpc.sh" <<'EOS'
#!/bin/sh
[ "$1" = bound ] && echo "ip=$ip router=$router" >"$OUT"
exit 0
EOS
chmod +x "$W_TMP/udhcpc.sh"
dhcp() {
	rm -f "$W_TMP/lease.txt"
	in_guest g1 env OUT="$W_TMP/lease.txt" timeout 5 busybox udhcpc -i eth0 -n -q -f -t 1 \
		-T 1 -s "$W_TMP/udhcpc.sh" >/dev/null 2>&1
	grep -q "^ip=${G_IP[g1]} router=10.78.0.1" "$W_TMP/lease.txt"
}
timed "the guest's DHCP request is answered" dhcp

wait "$SLOW"
read -r _ n_closed max_ms < <(tail -n1 "$W_TMP/slow.out")
t_eq "netd dropped every slow client" "$n_closed" 120
if [ "${max_ms:-99999}" -le $((DEADLINE_MS + 1000)) ]; then ok "within the deadline ($max_ms ms)"
else not_ok "within the deadline" "the last was dropped after $max_ms ms"; fi

# A client that pipelines requests and never reads: netd stops reading it
# once a reply waits, and drops it at the deadline; others are served.
python3 -c 'import sys; sys.stdout.write("{\"version\":1,\"command\":\"list\"}\n" * 32)' \
	>"$W_TMP/many.req"
ip netns exec "$HOST_NS" socat -u "OPEN:$W_TMP/many.req" "UNIX-CONNECT:$SOCK" &
track_pid $!
timed "netd status with a client that does not read its replies" nc_ status
t_ok "netd is still running" alive "$NETD_PID"

# A record planted as a symlink in the state folder is not read through it.
jq '.cid = "evil"' "$(record_path "$NET" c1 eth0)" >"$W_TMP/elsewhere.json"
ln -s "$W_TMP/elsewhere.json" "$W_TMP/state/$NET/evil@eth0.json"
t_ok "netd reconcile with a planted symlink record" nc_ reconcile
t_run nc_ list
t_fail "netd does not follow the symlink: no attachment 'evil'" grep -q evil <<<"$T_OUT"
rm -f "$W_TMP/state/$NET/evil@eth0.json"

t_plugin "DEL c1" DEL id=c1 ns="$VM1"
t_plugin "DEL c0" DEL id=c0 ns="$VM0" conf="$LCONF"
t_done
