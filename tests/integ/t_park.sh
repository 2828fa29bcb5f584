#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Parked taps (issue 15, decision 2; lib/park.c): DEL of host wiring takes
# the tap out of service instead of deleting it. A parked tap is down, no
# bridge port, without address, in no nftables set, named vmp<slot> under
# the parked alias; a VMM that opens it again reaches nothing, and an ADD
# does not take it back while it is held. A later ADD takes a parked tap
# back and leaves nothing of its previous life on it (address, MAC, alias,
# master, group, tc filters, nft elements), and it carries the new guest's
# traffic. The same container ID and ifname can be added right after DEL.
# Bounds: the config's parkMax parked taps at most (the excess is deleted by
# the plugin; 0: none parked or taken), VMNET_PARK_MAX overrides it; a
# parked tap in a high slot is moved down by netd's pass (one link dump)
# and taken; netd deletes those older than a few seconds, GC deletes all;
# netd status counts them. netns wiring still deletes its devices.
#
#   tests/integ/t_park.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq nft tc
need_bins "$VMNET" "$B/vmnet-ipam" "$FAKEVM" "$NETD"
world_init
host_ns
vm_ns vm && VM=$REPLY
SOCK=$W_TMP/netd.sock

SH=$(conf_shared parksh "vmbrpk$$" 10.77.0.0/24 10.77.0.1 '.tap = "host"')
ISO=$(conf_shared parkiso unused 10.78.0.0/24 10.78.0.1 \
	'.mode = "isolated" | del(.bridge) | .tap = "host" | del(.ipam.ranges[0][0].gateway)')
NS_CONF=$(conf_shared parkns "vmbrpn$$" 10.79.0.0/24 10.79.0.1)

parked() { hlink -o link show | awk -F': ' '$2 ~ /^vmp[0-9]+$/ { print $2 }'; }
n_parked() { parked | wc -l; }
ifindex() { hlink -j link show dev "$1" 2>/dev/null | jq -r '.[0].ifindex // empty'; }
parked_idx() { hlink -j link show | jq -r '.[] | select(.ifname | test("^vmp[0-9]+$")) | .ifindex'; }
link_j() { hlink -j -d addr show dev "$1" | jq -c '.[0]'; }
gc_conf() { jq -c '.cniVersion = "1.1.0" | .["cni.dev/valid-attachments"] = []' <<<"$1"; }
SH1=$(jq -c '.parkMax = 1' <<<"$SH")
SH0=$(jq -c '.parkMax = 0' <<<"$SH")
vmt_count() { hlink -o link show | grep -c ': vmt'; }
# max_call VERB CID CONF: the plugin with VMNET_PARK_MAX=2.
max_call() {
	cni_env "$HOST_NS" "$3" CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_IFNAME=eth0 \
		CNI_NETNS="/run/netns/$VM" VMNET_PARK_MAX=2
}
# nft_lacks TEXT: the nft ruleset (sets and elements) does not mention TEXT.
nft_lacks() { ! hnft list ruleset 2>/dev/null | grep -qF -- "$1"; }

# --- DEL parks
t_plugin "ADD a1 (shared, host wiring)" ADD id=a1 ns="$VM" conf="$SH"
R1=$CNI_OUT
TAP1=$(json_get "$R1" '.interfaces[1].name')
IDX1=$(ifindex "$TAP1")
MAC1=$(json_get "$R1" '.interfaces[1].mac')
IP1=$(guest_ip "$R1")
t_ok "a guest on a1's tap" guest_attach a1 "$R1" "$VM"
t_ok "it reaches its gateway" guest_ping a1 10.77.0.1
guest_stop a1
t_plugin "DEL a1" DEL id=a1 ns="$VM" conf="$SH"
t_eq "a1's tap is no longer called $TAP1" "$(ifindex "$TAP1")" ""
t_eq "one parked tap, a1's own device" "$(parked_idx)" "$IDX1"
P1=$(parked)
t_eq "the parked tap is quiet and ours (down, no master, no address, group, alias)" \
	"$(parked_bad "$HOST_NS")" ""
t_ok "the parked tap is in no nftables set or rule" nft_lacks "$P1"
t_ok "a1's address is in no nftables set" nft_lacks "$IP1"
t_ok "a1's old name is in no nftables set" nft_lacks "$TAP1"
t_ok "no route leads to the parked tap" sh -c "! ip -n $HOST_NS route get $IP1 | grep -q vmp"

# --- a VMM that opens the parked tap again reaches nothing; ADD leaves it
ns_add g-ghost && GHOST=$REPLY
OUT=$(ip netns exec "$HOST_NS" "$FAKEVM" -d -p "$W_TMP/ghost.pid" -m "$(json_get "$R1" '.interfaces[.ips[0].interface].mac')" \
	"$P1" "/run/netns/$GHOST" eth0 2>>"$W_TMP/ghost.err")
t_eq "a VMM opens the parked tap again" "$OUT" ready
GHOST_PID=$(cat "$W_TMP/ghost.pid" 2>/dev/null)
[ -n "$GHOST_PID" ] && track_pid "$GHOST_PID"
ip -n "$GHOST" addr add "$IP1/24" dev eth0
ip -n "$GHOST" route add default via 10.77.0.1 dev eth0
t_ok "from the parked tap, the gateway does not answer" \
	sh -c "! ip netns exec $GHOST ping -c1 -W2 10.77.0.1 >/dev/null 2>&1"
t_eq "the held parked tap is still parked and quiet" "$(parked_bad "$HOST_NS")" ""
t_plugin "ADD a2 while the parked tap is held by a VMM" ADD id=a2 ns="$VM" conf="$SH"
TAP2=$(json_get "$CNI_OUT" '.interfaces[1].name')
t_ok "a2 did not take the held tap" sh -c "[ '$(ifindex "$TAP2")' != '$IDX1' ]"
[ -n "$GHOST_PID" ] && kill_pid "$GHOST_PID"
t_plugin "DEL a2" DEL id=a2 ns="$VM" conf="$SH"
t_eq "two parked taps" "$(n_parked)" 2

# --- ADD takes a parked tap back, with nothing of its previous life
BEFORE=$(parked_idx | tr '\n' ' ')
# The host namespace's link messages while a3 is added: a tap taken back
# gets its name and alias in the request that takes it (one rename, no
# temporary name on the way); poke/seen mark the start and the end.
MON=$W_TMP/links.mon
ip -n "$HOST_NS" monitor link >"$MON" 2>&1 &
MON_PID=$!
mon_poke() { # a veth pair named $1 in the host namespace, seen by the monitor
	local i # (made again until seen: the monitor may not listen yet)
	for _ in $(seq 20); do
		hlink link add "$1" type veth peer name "${1}p" || return 1
		for i in $(seq 10); do grep -q ": $1@" "$MON" && return 0; sleep 0.02; done
		hlink link del "$1"
	done
	return 1
}
t_ok "the link monitor runs" mon_poke monstart
t_plugin "ADD a3 (shared)" ADD id=a3 ns="$VM" conf="$SH"
t_ok "the link monitor saw a3's ADD" mon_poke monend
kill_pid "$MON_PID"
hlink link del monstart 2>/dev/null
hlink link del monend 2>/dev/null
R3=$CNI_OUT
TAP3=$(json_get "$R3" '.interfaces[1].name')
IDX3=$(ifindex "$TAP3")
t_ok "a3's tap is a parked one taken back" sh -c "echo ' $BEFORE' | grep -q ' $IDX3 '"
t_eq "one parked tap left" "$(n_parked)" 1
A3MON=$(sed -n '/monstart/,/monend/p' "$MON")
t_eq "a3's tap taken back: no temporary name in between" "$(grep -c "^$IDX3: vmq" <<<"$A3MON")" 0
t_eq "a3's tap taken back: one new name" \
	"$(grep -o "^$IDX3: [^:@]*" <<<"$A3MON" | sort -u | grep -vc ": vmp")" 1
J=$(link_j "$TAP3")
t_eq "a3's tap: a3's alias" "$(jq -r .ifalias <<<"$J")" "vmnet:parksh/a3/eth0"
t_eq "a3's tap: a3's MAC" "$(jq -r .address <<<"$J")" "$(json_get "$R3" '.interfaces[1].mac')"
t_ok "a3's tap: not a1's MAC" sh -c "[ '$(jq -r .address <<<"$J")' != '$MAC1' ]"
t_eq "a3's tap: a port of the bridge, up" "$(jq -r '"\(.master) \(.flags | index("UP") != null)"' <<<"$J")" \
	"vmbrpk$$ true"
t_eq "a3's tap: default group, no IPv4 address" \
	"$(jq -r '"\(.group) \([.addr_info[] | select(.family == "inet")] | length)"' <<<"$J")" "default 0"
t_plugin "CHECK a3" CHECK id=a3 ns="$VM" conf="$(with_prev "$SH" "$R3")"
t_ok "a guest on the reused tap" guest_attach a3 "$R3" "$VM"
t_ok "it reaches its gateway" guest_ping a3 10.77.0.1
guest_stop a3

# --- the same container ID and ifname right after DEL
t_plugin "DEL a3" DEL id=a3 ns="$VM" conf="$SH"
t_plugin "ADD a3 again right after its DEL" ADD id=a3 ns="$VM" conf="$SH"
t_plugin "CHECK the new a3" CHECK id=a3 ns="$VM" conf="$(with_prev "$SH" "$CNI_OUT")"
t_plugin "DEL a3 again" DEL id=a3 ns="$VM" conf="$SH"

# --- isolated mode: the gateway address and group do not survive parking
t_plugin "ADD i1 (isolated, host wiring)" ADD id=i1 ns="$VM" conf="$ISO" args="IgnoreUnknown=1;VMNET_GROUP=g1"
RI1=$CNI_OUT
TI1=$(json_get "$RI1" '.interfaces[0].name')
GI1=$(json_get "$RI1" '.ips[0].gateway')
IPI1=$(guest_ip "$RI1")
t_ok "i1's tap has its gateway address" sh -c "ip -n $HOST_NS -4 addr show dev $TI1 | grep -q 'inet $GI1/'"
t_plugin "DEL i1" DEL id=i1 ns="$VM" conf="$ISO"
t_eq "parked taps are quiet (the gateway address went)" "$(parked_bad "$HOST_NS")" ""
t_ok "i1's address is in no nftables set" nft_lacks "$IPI1"
BEFORE=$(parked_idx | tr '\n' ' ')
t_plugin "ADD i2 (isolated)" ADD id=i2 ns="$VM" conf="$ISO"
RI2=$CNI_OUT
TI2=$(json_get "$RI2" '.interfaces[0].name')
GI2=$(json_get "$RI2" '.ips[0].gateway')
t_ok "i2's tap is a parked one taken back" sh -c "echo ' $BEFORE' | grep -q ' $(ifindex "$TI2") '"
J=$(link_j "$TI2")
t_eq "i2's tap: only i2's gateway address" \
	"$(jq -r '[.addr_info[] | select(.family == "inet") | .local] | join(" ")' <<<"$J")" "$GI2"
t_eq "i2's tap: i2's alias, default group" "$(jq -r '"\(.ifalias) \(.group)"' <<<"$J")" \
	"vmnet:parkiso/i2/eth0 default"
t_eq "i2's tap: no tc filter" "$(tc -n "$HOST_NS" filter show dev "$TI2" ingress 2>/dev/null)" ""
t_eq "i2's tap: route_localnet off" \
	"$(ip netns exec "$HOST_NS" cat "/proc/sys/net/ipv4/conf/$TI2/route_localnet")" 0
t_plugin "CHECK i2" CHECK id=i2 ns="$VM" conf="$(with_prev "$ISO" "$RI2")"
t_plugin "DEL i2" DEL id=i2 ns="$VM" conf="$ISO"

# --- GC removes them all
t_ok "some taps are parked" sh -c "[ $(n_parked) -ge 1 ]"
t_plugin "GC with no valid attachment" GC conf="$(gc_conf "$SH")"
t_eq "GC left no parked tap" "$(n_parked)" 0

# --- a parked tap in a high slot, the lower ones empty: netd's pass (one
# link dump) moves the taps it keeps down, where ADD's look-ups find them
t_plugin "ADD h1" ADD id=h1 ns="$VM" conf="$SH"
t_plugin "DEL h1" DEL id=h1 ns="$VM" conf="$SH"
P=$(parked)
t_ok "h1's tap moved to slot 20" hlink link set dev "$P" name vmp20
IDXH=$(ifindex vmp20)
t_ok "netd starts" netd_start
moved=''
for _ in $(seq 30); do
	[ "$(ifindex vmp0)" = "$IDXH" ] && moved=1 && break
	sleep 0.1
done
kill_pid "$NETD_PID"
t_eq "netd's pass moved it to slot 0 (young: kept)" "$moved" 1
t_plugin "ADD h2" ADD id=h2 ns="$VM" conf="$SH"
t_eq "h2 took the tap of slot 20" "$(ifindex "$(json_get "$CNI_OUT" '.interfaces[1].name')")" "$IDXH"
t_eq "... so none is parked" "$(n_parked)" 0
t_plugin "DEL h2" DEL id=h2 ns="$VM" conf="$SH"
t_eq "h2's DEL parks in the lowest slot" "$(parked)" vmp0
t_plugin "GC" GC conf="$(gc_conf "$SH")"

# --- the config's bound: parkMax
for c in k1 k2 k3; do t_plugin "ADD $c (parkMax 1)" ADD id=$c ns="$VM" conf="$SH1"; done
for c in k1 k2 k3; do t_plugin "DEL $c (parkMax 1)" DEL id=$c ns="$VM" conf="$SH1"; done
t_eq "parkMax 1: 3 DELs leave 1 parked tap" "$(n_parked)" 1
t_eq "... and no tap of k1..k3 under its own name" "$(vmt_count)" 0
P=$(parked_idx)
t_plugin "ADD z1 (parkMax 0)" ADD id=z1 ns="$VM" conf="$SH0"
t_ok "parkMax 0: ADD takes no parked tap" sh -c "[ '$(ifindex "$(json_get "$CNI_OUT" '.interfaces[1].name')")' != '$P' ]"
t_plugin "DEL z1 (parkMax 0)" DEL id=z1 ns="$VM" conf="$SH0"
t_eq "parkMax 0: DEL parks nothing and deletes the tap" "$(parked_idx) $(vmt_count)" "$P 0"
for v in -1 4097 '"2"' 1.5 true; do
	t_plugin_code "parkMax $v is refused (invalid config)" 7 ADD id=bad ns="$VM" \
		conf="$(jq -c ".parkMax = $v" <<<"$SH")"
done
t_eq "... and left nothing" "$(vmt_count) $(parked_idx)" "0 $P"
t_plugin "GC" GC conf="$(gc_conf "$SH")"

# --- the bound: the plugin deletes what finds no slot; VMNET_PARK_MAX
# overrides the config's parkMax
for c in b1 b2 b3 b4; do max_call ADD $c "$SH1" || diag "ADD $c: $CNI_OUT"; done
for c in b1 b2 b3 b4; do max_call DEL $c "$SH1" || diag "DEL $c: $CNI_OUT"; done
t_eq "VMNET_PARK_MAX=2 (parkMax 1): 4 DELs leave 2 parked taps" "$(n_parked)" 2
t_eq "... and no tap of b1..b4 under its own name" \
	"$(hlink -o link show | grep -c ': vmt')" 0
t_eq "the parked taps are quiet" "$(parked_bad "$HOST_NS" 2)" ""

# --- netd shows them and deletes them after a few seconds
t_ok "netd starts" netd_start
has_parked_count() { nc_ status --json | jq -e '.parked | type == "number"' >/dev/null; }
t_ok "netd status has a parked count" has_parked_count
# none_parked_within S: no parked tap is left within S seconds.
none_parked_within() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		[ "$(n_parked)" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}
t_ok "netd deleted the parked taps within 20 s" none_parked_within 20
nc_ status | grep parked: | while read -r l; do diag "$l"; done
# The look for parked taps is a dump of every link of the host namespace;
# passes follow every call's events, the look at most one a second
# (netd/reap.h), and one a pass skipped still comes.
st_num() { nc_ status --json | jq -r "$1"; }
P0=$(st_num .reconcile.passes) L0=$(st_num .parked_looks) T0=$(date +%s%N)
for k in $(seq 12); do
	plugin ADD id=s1 ns="$VM" conf="$SH" && plugin DEL id=s1 ns="$VM" conf="$SH"
	sleep 0.15
done
P1=$(st_num .reconcile.passes) L1=$(st_num .parked_looks) T1=$(date +%s%N)
SECS=$(((T1 - T0) / 1000000000 + 1))
diag "12 ADD/DEL pairs in ${SECS} s: $((P1 - P0)) passes, $((L1 - L0)) looks"
t_ok "a call's events make passes, more than looks for parked taps" test $((P1 - P0)) -gt $((L1 - L0))
t_ok "at most one look a second (and one more)" test $((L1 - L0)) -le $((SECS + 1))
t_ok "the last DEL's parked tap goes all the same (within 10 s)" none_parked_within 10
# With none left, a pass that no link event of a parked or doomed device
# asked for makes no look: an ADD and its record rewritten.
sleep 1.2
t_plugin "ADD s2" ADD id=s2 ns="$VM" conf="$SH"
REC=$(record_path parksh s2 eth0)
P0=$(st_num .reconcile.passes) L0=$(st_num .parked_looks)
for k in 1 2 3; do
	cp "$REC" "$REC.t" && mv "$REC.t" "$REC"
	sleep 0.4
done
P1=$(st_num .reconcile.passes) L1=$(st_num .parked_looks)
t_ok "s2's record rewritten 3 times: passes ($((P1 - P0)))" test "$P1" -gt "$P0"
t_eq "  and no look for parked taps" "$L1" "$L0"
t_plugin "DEL s2" DEL id=s2 ns="$VM" conf="$SH"
t_ok "  its DEL parks the tap: looked for and gone within 10 s" none_parked_within 10
t_ok "  by a look" test "$(st_num .parked_looks)" -gt "$L1"
# With many more attachments than parking slots in use, the look goes by
# name (a request per slot in use) instead of dumping every tap: 12
# attachments, one tap parked in slot 0.
for k in $(seq 12); do plugin ADD id=m$k ns="$VM" conf="$SH" || diag "ADD m$k: $CNI_OUT"; done
sleep 1.2
B0=$(st_num .parked_looks_by_name)
t_plugin "ADD s3 (12 attachments)" ADD id=s3 ns="$VM" conf="$SH"
t_plugin "DEL s3" DEL id=s3 ns="$VM" conf="$SH"
t_eq "  its tap is parked in slot 0" "$(parked)" vmp0
t_ok "  and gone within 10 s" none_parked_within 10
t_ok "  looked for by name" test "$(st_num .parked_looks_by_name)" -gt "$B0"
for k in $(seq 12); do plugin DEL id=m$k ns="$VM" conf="$SH" || diag "DEL m$k: $CNI_OUT"; done
t_ok "  the 12 taps their DELs park go too (a dump: now more slots than attachments)" \
	none_parked_within 15
kill_pid "$NETD_PID"

# --- netns wiring deletes its devices as before
t_plugin "ADD n1 (netns wiring)" ADD id=n1 ns="$VM" conf="$NS_CONF"
t_plugin "DEL n1" DEL id=n1 ns="$VM" conf="$NS_CONF"
t_eq "netns wiring: the veth is deleted, nothing parked" \
	"$(hlink -o link show | grep -c ': vmv')$(n_parked)" 00

t_done
