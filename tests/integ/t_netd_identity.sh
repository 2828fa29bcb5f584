#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# netd acts on a VM namespace only after proving it is the one the ADD saw
# (nsfs device + inode, boot ID), and calls it gone only on facts that
# cannot be mistaken, never on a path it cannot see:
#   (a) a runtime keeping its netns bind mount in a private mount namespace
#       (as podman does): not torn down, proven through the holder's mount,
#       repaired; shown "unverified" by a netd that cannot see the holder;
#   (b) netd itself with a private /run/netns: live VMs stay and are repaired;
#   (c) CNI_NETNS=/proc/<pid>/ns/net, the process dies without DEL and its
#       PID goes to a process in another (victim) namespace: nothing is ever
#       created in the victim's namespace, the attachment is torn down;
#   (d) a record from another boot: gone, its namespace untouched;
#   (e) a record without identity (an older vmnet): never repaired into.
#
#   tests/integ/t_netd_identity.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq nsenter unshare stat nft
NETD=$B/netd
need_bins "$VMNET" "$B/vmnet-ipam" "$FAKEVM" "$NETD"
world_init
host_ns

SOCK=$W_TMP/netd.sock
NET=netid1
BR=vmbrni$$
BR=${BR:0:15}
CONF=$(conf_shared "$NET" "$BR" 10.81.0.0/24 10.81.0.1)
BOUND_S=8 # repairs take about a second; "gone" needs two scans 1 s apart


# netd_up [WRAPPER...]: start netd in HOST_NS, through WRAPPER (unshare ...).
netd_up() {
	ip netns exec "$HOST_NS" "$@" "$NETD" --state-dir "$W_TMP/state" --socket "$SOCK" \
		--cni-path "$B" --interval 10 --no-dhcp </dev/null >>"$W_TMP/netd.log" 2>&1 &
	NETD_PID=$!
	track_pid "$NETD_PID"
	local i
	for i in $(seq 100); do
		nc_ status >/dev/null 2>&1 && return 0
		alive "$NETD_PID" || break
		sleep 0.05
	done
	echo "netd did not start:"
	tail -20 "$W_TMP/netd.log"
	return 1
}

# netd_down: SIGTERM to netd (the child when a wrapper forked it), wait.
netd_down() {
	local pid=$NETD_PID kid
	kid=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null)
	kid=${kid%% *}
	[ -n "$kid" ] && kill -TERM "$kid" 2>/dev/null
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 60); do alive "$pid" || break; sleep 0.05; done
	kill_pid "$pid"
	! test -e "$SOCK" || rm -f "$SOCK"
}

# two_passes: two reconcile passes far enough apart for a "gone" verdict.
two_passes() { nc_ reconcile >/dev/null && sleep 1.3 && nc_ reconcile >/dev/null; }

status_of() { nc_ list --json | jq -r --arg c "$1" '.attachments[] | select(.cid == $c) | .status'; }
host_dev() { jq -r .hostIf "$(record_path "$NET" "$1" eth0)"; }
has_dev() { ip -n "$HOST_NS" link show dev "$1" >/dev/null 2>&1; }
has_record() { test -e "$(record_path "$NET" "$1" eth0)"; }

# wait_for SECS CMD...: poll until CMD succeeds.
wait_for() {
	local end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# ---------------------------------------------------------------- (a) private mount namespace

# The holder: a process in its own mount namespace (private propagation)
# that keeps a netns bind mount on a tmpfs only it sees, as podman does.
PNS=$W_TMP/pns
mkdir -p "$PNS"
# shellcheck disable=SC2016 # expanded by the inner bash
unshare -m --propagation private bash -c '
	mount -t tmpfs tmpfs "$1" && touch "$1/vmA" && unshare --net="$1/vmA" true || exit 1
	echo ready >"$2"
	exec sleep 1000000' _ "$PNS" "$W_TMP/holder.ready" </dev/null >/dev/null 2>"$W_TMP/holder.err" &
HOLDER=$!
track_pid "$HOLDER"
wait_for 5 test -s "$W_TMP/holder.ready" || bail "holder did not start: $(cat "$W_TMP/holder.err")"
in_holder() { nsenter -t "$HOLDER" -m "$@"; }
in_vmA() { nsenter -t "$HOLDER" -m nsenter --net="$PNS/vmA" "$@"; }

# cni_holder CMD CID CONF: the plugin as the runtime runs it, in the
# holder's mount namespace and the test's host netns; CNI_NETNS=$PNS/vmA.
cni_holder() {
	in_holder ip netns exec "$HOST_NS" env -i PATH="$PATH" CNI_COMMAND="$1" CNI_CONTAINERID="$2" \
		CNI_IFNAME=eth0 CNI_PATH="$B" CNI_NETNS="$PNS/vmA" "$VMNET" <<<"$3" \
		>"$W_TMP/cni.out" 2>"$W_TMP/cni.err"
	CNI_RC=$?
	CNI_OUT=$(cat "$W_TMP/cni.out")
	CNI_ERR=$(cat "$W_TMP/cni.err")
	return $CNI_RC
}

t_ok "netd starts" netd_up
if cni_holder ADD cA "$CONF"; then ok "ADD cA from a private mount namespace"; else
	not_ok "ADD cA from a private mount namespace" "$(cni_report)"; fi
DEVA=$(host_dev cA)
t_fail "netd's mount namespace does not see $PNS/vmA" test -e "$PNS/vmA"
NSID_A=$(jq -r .hostNsid "$(record_path "$NET" cA eth0)")
t_ok "the record holds the nsid the host gave the namespace" \
	sh -c "ip -n $HOST_NS netns list-id | grep -q '^nsid $NSID_A '"
t_eq "the record holds the namespace's inode" "$(jq -r .netnsIno "$(record_path "$NET" cA eth0)")" \
	"$(in_holder stat -L -c %i "$PNS/vmA")"
t_ok "two passes 1.3 s apart" two_passes
t_ok "cA is not torn down: record, address and host device stay" \
	sh -c "test -e '$(record_path "$NET" cA eth0)' && ip -n $HOST_NS link show dev $DEVA >/dev/null"
t_eq "cA's namespace is proven through the holder's mount: status ok" "$(status_of cA)" ok

ip -n "$HOST_NS" link del "$DEVA"
veth_back_A() { has_dev "$DEVA" && in_vmA ip link show dev eth0 >/dev/null 2>&1; }
t_ok "host veth of cA deleted: repaired through the holder's mount" wait_for $BOUND_S veth_back_A
t_ok "cA's tap survived the repair" in_vmA ip link show dev tap0

# A normal VM, with a guest on its tap, for (b).
vm_ns vmB
VMB=$REPLY
t_plugin "ADD cB" ADD id=cB ns="$VMB"
RESB=$CNI_OUT
DEVB=$(host_dev cB)
t_ok "guest on cB's tap" guest_attach gB "$RESB" "$VMB"
t_ok "gB pings its gateway" guest_ping gB 10.81.0.1

# ---------------------------------------------------------------- (d) another boot

vm_ns vmD
VMD=$REPLY
t_plugin "ADD cD" ADD id=cD ns="$VMD"
IPD=$(json_get "$CNI_OUT" '.ips[0].address' | cut -d/ -f1)
DEVD=$(host_dev cD)
IDX_D=$(ip -n "$VMD" -o link show | awk '{print $1}' | sort)
ip -n "$VMD" monitor link >"$W_TMP/vmD.mon" 2>&1 &
track_pid $!
sleep 0.3
RECD=$(record_path "$NET" cD eth0)
jq '.bootID = "00000000-0000-4000-8000-000000000000"' "$RECD" >"$RECD.t" && mv "$RECD.t" "$RECD"
goneD() { ! has_record cD && ! test -e "$(ipam_path "$NET" "$IPD")" && ! has_dev "$DEVD"; }
t_ok "a record of another boot is gone: record, address and host device removed" \
	wait_for $BOUND_S goneD
t_ok "its namespace untouched: the tap netd never entered to delete is still there" \
	ip -n "$VMD" link show dev tap0
# Events about the veth peer the kernel took down with its host end are
# expected; a device with a new index is not.
new_links_D() { awk '/^[0-9]+:/ {print $1}' "$W_TMP/vmD.mon" | sort -u | comm -23 - <(echo "$IDX_D"); }
t_eq "nothing was created in its namespace" "$(new_links_D)" ""
t_ok "netd says why" grep -q "removing $NET/cD@eth0 (namespace .* is gone: recorded in boot 00000000" \
	"$W_TMP/netd.log"

# ---------------------------------------------------------------- (e) no identity recorded

vm_ns vmE
VME=$REPLY
t_plugin "ADD cE" ADD id=cE ns="$VME"
RECE=$(record_path "$NET" cE eth0)
jq 'del(.netnsDev, .netnsIno)' "$RECE" >"$RECE.t" && mv "$RECE.t" "$RECE"
DEVE=$(host_dev cE)
ip -n "$HOST_NS" link del "$DEVE"
t_ok "two passes 1.3 s apart" two_passes
t_fail "a record without identity is not repaired into its namespace" \
	ip -n "$VME" link show dev eth0
t_ok "nor torn down" has_record cE
t_match "its status says why" "$(status_of cE)" "^unverified: .*older vmnet"
t_eq "netd status --json lists it as unverified" \
	"$(nc_ status --json | jq -r '.unverified_attachments[] | select(.cid == "cE") | .netns')" "/run/netns/$VME"
t_plugin "DEL cE" DEL id=cE ns="$VME"

# ---------------------------------------------------------------- (b) netd with a private /run/netns

netd_down
t_ok "netd starts with a private, empty /run/netns" netd_up unshare -m --propagation private \
	sh -c 'mount -t tmpfs tmpfs /run/netns && exec "$@"' _
t_ok "two passes 1.3 s apart" two_passes
t_ok "cA and cB are not torn down" sh -c "test -e '$(record_path "$NET" cA eth0)' &&
	test -e '$(record_path "$NET" cB eth0)' && ip -n $HOST_NS link show dev $DEVB >/dev/null"
t_eq "cB proven through another mount namespace: status ok" "$(status_of cB)" ok
t_ok "gB still pings its gateway" guest_ping gB 10.81.0.1
ip -n "$HOST_NS" link del "$DEVB"
t_ok "host veth of cB deleted: repaired" wait_for $BOUND_S has_dev "$DEVB"
t_ok "gB pings its gateway again" guest_ping gB 10.81.0.1

# ---------------------------------------------------------------- (a) a netd that cannot see the holder

netd_down
# In a PID namespace of its own netd sees no process but itself: cA's
# namespace is neither provable nor provably dead.
t_ok "netd starts in a PID namespace of its own" netd_up unshare --pid --kill-child=SIGTERM \
	--mount-proc
t_ok "two passes 1.3 s apart" two_passes
t_ok "cA is left alone" sh -c "test -e '$(record_path "$NET" cA eth0)' && ip -n $HOST_NS link show dev $DEVA >/dev/null"
t_match "cA's status: unverified, with the reason" "$(status_of cA)" \
	"^unverified: namespace $PNS/vmA is not visible to netd, but its veth peer lives"
t_run nc_ status
t_match "netd status names it" "$T_OUT" "UNVERIFIED: +$NET/cA@eth0 \($PNS/vmA\): "
diag "$T_OUT"
t_eq "netd status --json: 1 unverified" "$(nc_ status --json | jq -c '[.unverified, .unverified_attachments[0].cid]')" '[1,"cA"]'
t_eq "cB (path visible) is ok" "$(status_of cB)" ok
# Its host veth deleted (the peer goes with it): the namespace lives, but
# this netd can neither prove it (no repair) nor prove it dead (the nsid
# the host gave it is still assigned): left alone.
ip -n "$HOST_NS" link del "$DEVA"
t_ok "cA's host veth deleted; two passes 1.3 s apart" two_passes
t_fail "not repaired into a namespace netd cannot prove" has_dev "$DEVA"
t_ok "not torn down either" has_record cA
t_match "cA's status says why" "$(status_of cA)" "^unverified: .*nsid is still assigned"
netd_down

# ---------------------------------------------------------------- (c) PID reuse

# In a PID namespace of its own (so the test decides which PID comes next,
# through ns_last_pid), with netd inside it so that /proc/<pid> means the
# same process to the runtime and to netd: ADD with /proc/<pid>/ns/net,
# kill the process without DEL, give its PID to a process in a victim
# namespace. The script leaves its observations in $W_TMP/c.*.
vm_ns victim
VICTIM=$REPLY
ip -n "$VICTIM" monitor link >"$W_TMP/victim.mon" 2>&1 &
track_pid $!
tc -n "$VICTIM" monitor >"$W_TMP/victim-tc.mon" 2>&1 &
track_pid $!
ip netns exec "$VICTIM" nft monitor >"$W_TMP/victim-nft.mon" 2>&1 &
track_pid $!
sleep 0.3
# own_ns: wait until $X is in a namespace of its own (unshare(2) runs
# after the fork; until then /proc/$X/ns/net is this shell's namespace,
# which an ADD must never be pointed at).
own_ns() {
	for _ in $(seq 500); do
		[ "$(readlink "/proc/$X/ns/net")" != "$(readlink /proc/self/ns/net)" ] && return 0
		sleep 0.01
	done
	echo "process $X never left this namespace" >&2
	return 1
}
export -f own_ns
cat >"$W_TMP/pidreuse.sh" <<'EOS'
set -u
ip netns exec "$HOST_NS" "$NETD" --state-dir "$W_TMP/state" --socket "$SOCK" --cni-path "$B" \
	--interval 10 --no-dhcp </dev/null >>"$W_TMP/netd.log" 2>&1 &
N=$!
for _ in $(seq 100); do ip netns exec "$HOST_NS" "$NETD" status --socket "$SOCK" >/dev/null 2>&1 && break; sleep 0.05; done
unshare -n sleep 1000000 &
X=$!
echo "$X" >"$W_TMP/c.pid"
own_ns || exit 1
ip netns exec "$HOST_NS" env -i PATH="$PATH" CNI_COMMAND=ADD CNI_CONTAINERID=cC CNI_IFNAME=eth0 \
	CNI_PATH="$B" CNI_NETNS="/proc/$X/ns/net" "$VMNET" <<<"$CONF" >"$W_TMP/c.add" 2>&1
echo $? >"$W_TMP/c.addrc"
ip netns exec "$HOST_NS" "$NETD" reconcile --socket "$SOCK" >/dev/null 2>&1
ip netns exec "$HOST_NS" "$NETD" list --json --socket "$SOCK" >"$W_TMP/c.list" 2>&1
kill -KILL "$X"
wait "$X" 2>/dev/null
echo $((X - 1)) >/proc/sys/kernel/ns_last_pid
ip netns exec "$VICTIM" sleep 1000000 &
echo $! >"$W_TMP/c.victim"
for _ in $(seq 100); do test -e "$W_TMP/state/$NET/cC@eth0.json" || break; sleep 0.1; done
ip netns exec "$HOST_NS" "$NETD" reconcile --socket "$SOCK" >/dev/null 2>&1
kill -TERM "$N"
wait "$N"
EOS
export HOST_NS NETD W_TMP SOCK B NET VMNET CONF VICTIM
unshare --pid --kill-child --mount-proc bash "$W_TMP/pidreuse.sh"
X=$(cat "$W_TMP/c.pid")
t_eq "ADD cC with CNI_NETNS=/proc/$X/ns/net" "$(cat "$W_TMP/c.addrc")" 0
IPC=$(jq -r '.ips[0].address' "$W_TMP/c.add" | cut -d/ -f1)
DEVC=$(jq -r '.interfaces[1].name' "$W_TMP/c.add")
t_eq "cC ok while its process lives" \
	"$(jq -r '.attachments[] | select(.cid == "cC") | .status' "$W_TMP/c.list")" ok
t_eq "the victim got the dead process's PID" "$(cat "$W_TMP/c.victim")" "$X"
t_fail "the attachment is gone: record removed" has_record cC
t_fail "its address released" test -e "$(ipam_path "$NET" "$IPC")"
t_fail "its host device removed" has_dev "$DEVC"
t_eq "nothing in the victim's namespace but lo" \
	"$(ip -n "$VICTIM" -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')" "lo "
t_fail "no link was ever created in the victim's namespace" grep -qE '^[0-9]+: ' "$W_TMP/victim.mon"
t_fail "no qdisc was ever added there" grep -q . "$W_TMP/victim-tc.mon"
t_fail "no nftables table or rule either" grep -q . "$W_TMP/victim-nft.mon"
t_fail "netd never tried to repair cC" grep -q "repairing $NET/cC@eth0" "$W_TMP/netd.log"
t_ok "netd says why it removed cC" grep -q "removing $NET/cC@eth0 (namespace /proc/$X/ns/net is gone" \
	"$W_TMP/netd.log"

# The same reuse, with the runtime's DEL instead of netd (containerd calls
# DEL with the path it recorded): DEL works on the host side and does
# nothing in the namespace the path now names.
cat >"$W_TMP/pidreuse-del.sh" <<'EOS'
set -u
unshare -n sleep 1000000 &
X=$!
echo "$X" >"$W_TMP/d.pid"
own_ns || exit 1
run() {
	ip netns exec "$HOST_NS" env -i PATH="$PATH" CNI_COMMAND="$1" CNI_CONTAINERID=cE \
		CNI_IFNAME=eth0 CNI_PATH="$B" CNI_NETNS="/proc/$X/ns/net" "$VMNET" <<<"$CONF"
}
run ADD >"$W_TMP/d.add" 2>&1
echo $? >"$W_TMP/d.addrc"
kill -KILL "$X"
wait "$X" 2>/dev/null
echo $((X - 1)) >/proc/sys/kernel/ns_last_pid
ip netns exec "$VICTIM" sleep 1000000 &
V=$!
echo "$V" >"$W_TMP/d.victim"
run DEL >"$W_TMP/d.del" 2>&1
echo $? >"$W_TMP/d.delrc"
kill -KILL "$V"
EOS
: >"$W_TMP/victim.mon"
unshare --pid --kill-child --mount-proc bash "$W_TMP/pidreuse-del.sh"
X=$(cat "$W_TMP/d.pid")
t_eq "ADD cE with CNI_NETNS=/proc/$X/ns/net" "$(cat "$W_TMP/d.addrc")" 0
t_eq "the victim got cE's dead process's PID" "$(cat "$W_TMP/d.victim")" "$X"
t_eq "the runtime's DEL of cE succeeds" "$(cat "$W_TMP/d.delrc")" 0
t_ok "DEL says the path is no longer the namespace the ADD saw" \
	grep -q "/proc/$X/ns/net is not the namespace the ADD saw" "$W_TMP/d.del"
t_fail "cE's record is gone" has_record cE
t_eq "still nothing in the victim's namespace but lo" \
	"$(ip -n "$VICTIM" -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')" "lo "
t_fail "no link event in the victim's namespace" grep -qE '^[0-9]+: ' "$W_TMP/victim.mon"

diag "$(grep -E 'removing|repairing|unverified' "$W_TMP/netd.log" | tail -20)"
t_done
