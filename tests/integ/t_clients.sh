#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Real clients nobody here wrote, against vmnet in the test's host namespace:
#
# - podman 4.3 (CNI backend) and containerd 1.6's `ctr run --cni` each run a
#   container on a vmnet network (cniVersion 1.0.0, what both accept) through
#   ADD and DEL; neither calls CHECK (the plugin directory's shim logs every
#   verb and the test asserts the exact sequence). While the container runs:
#   its netns holds the guest-side veth with the vmnet address and the tap, a
#   VMM stand-in (fakevm) opens the tap there and the guest behind it pings
#   the gateway and the outside; netd keeps the attachment although it cannot
#   open podman's netns path. After the client removed the container: no
#   record, no device, no nft element, no IPAM reservation. With a 1.1.0
#   conflist both refuse the result and undo the ADD.
# - Docker 20.10's rules (captured from a real dockerd, loaded with nft -f)
#   and a real firewalld 1.3 daemon beside vmnet: netd status warns about
#   each, and the warning is true (the guest cannot reach the outside while
#   the firewall is there, and can once it is gone). netd on firewalld's
#   system bus puts the bridge into its own zone (also after a reload): the
#   guest reaches the outside and the warning goes. With Docker's
#   DOCKER-USER chain netd puts vmnet's accepts there and the warning goes.
#
# Every client runs in a private mount namespace (tests/clients/holder.sh)
# and in the test's host network namespace; the processes the test starts
# (holder, dbus-daemon, firewalld, containerd, netd, fakevm; the containers
# through their clients) are ended by PID.
#
#   tests/integ/t_clients.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq nft nsenter unshare podman ctr containerd crun runc firewalld firewall-cmd \
	dbus-daemon busybox
NETD=$B/netd
need_bins "$VMNET" "$B/vmnet-ipam" "$NETD"
world_init
host_ns
wan_setup

CL=$LIB_ROOT/tests/clients
H=$W_TMP/h # everything the clients write
PLUG=$W_TMP/plugins
SOCK=$W_TMP/netd.sock
NET=vmnetclients
BR=vmbrcl$$
BR=${BR:0:15}
SUBNET=10.66.0.0/24
GW=10.66.0.1
IMG=localhost/vmnet-busybox:latest
mkdir -p "$H/net.d" "$H/podman.d" "$H/tmp" "$PLUG"

# ---------------------------------------------------------------- setup

# The plugin directory the clients get: the logging shim as vmnet.
cp "$CL/cni-shim" "$PLUG/vmnet"
ln -s "$VMNET" "$PLUG/vmnet.real"
ln -s "$B/vmnet-ipam" "$PLUG/vmnet-ipam"
verbs() { awk '{ printf "%s%s", sep, $1; sep = " " }' "$PLUG/verbs.log" 2>/dev/null; }

# A conflist as the README shows it, at the version Debian 12's clients speak.
jq -n --arg name "$NET" --arg br "$BR" --arg sub "$SUBNET" --arg gw "$GW" \
	--arg state "$W_TMP/state" --arg ipam "$W_TMP/ipam" '{
	cniVersion: "1.0.0", name: $name,
	plugins: [{type: "vmnet", mode: "shared", bridge: $br, tap: "netns", tapName: "tap0",
		   mtu: 1500, ipMasq: true, stateDir: $state,
		   ipam: {type: "vmnet-ipam", dataDir: $ipam,
			  ranges: [[{subnet: $sub, gateway: $gw}]]}}]
}' >"$H/net.d/10-$NET.conflist"
cp "$H/net.d/10-$NET.conflist" "$H/podman.d/"

netd_start() {
	ip netns exec "$HOST_NS" "$NETD" --state-dir "$W_TMP/state" --socket "$SOCK" \
		--cni-path "$PLUG" --no-dhcp </dev/null >>"$W_TMP/netd.log" 2>&1 &
	track_pid $!
	local i
	for i in $(seq 100); do
		nc_ status >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	cat "$W_TMP/netd.log"
	return 1
}
warnings() { nc_ status --json | jq -r '.warnings[]?'; }
# The same findings as objects: family table base chain verdict certain, one per line.
findings() {
	nc_ status --json |
		jq -r '.firewall[]? | "\(.family) \(.table) \(.base) \(.chain) \(.verdict) \(.certain)"'
}


t_ok "netd starts in the host namespace" netd_start
t_ok "the clients' private mount namespace is ready" holder_start "$H" "$PLUG"
t_ok "it is not the machine's mount namespace" \
	test "$(readlink "/proc/$HOLDER/ns/mnt")" != "$(readlink /proc/self/ns/mnt)"

# podman's configuration: CNI backend, our plugin dir and conflist dir, no
# cgroups (this machine's hybrid layout), ulimits within the hard limits
# (root here lacks CAP_SYS_RESOURCE: podman's default of 1048576 fails).
hard() {
	local n
	n=$(ulimit -H "$1")
	[ "$n" = unlimited ] || [ "$n" -gt "$2" ] && n=$2
	echo "$n"
}
NOFILE=$(hard -n 20000)
NPROC=$(hard -u 4096)
cat >"$H/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=$NPROC:$NPROC"]
cgroups = "disabled"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "crun"
tmp_dir = "$H/tmp"
lock_type = "file"
[network]
network_backend = "cni"
cni_plugin_dirs = ["$PLUG"]
network_config_dir = "$H/podman.d"
default_network = "$NET"
EOF
cat >"$H/storage.conf" <<EOF
[storage]
driver = "overlay"
runroot = "$H/podman-run"
graphroot = "$H/podman-root"
EOF
pm() { CONTAINERS_CONF=$H/containers.conf CONTAINERS_STORAGE_CONF=$H/storage.conf in_h podman "$@"; }

# The image: busybox-static, imported (no registry).
image_build() { busybox_image "$H" && pm import -q "$H/rootfs.tar" "$IMG"; }
t_ok "podman imports a busybox image" image_build

# ---------------------------------------------------------------- podman

# netns_of CID: the container's netns path as the client gave it to the plugin.
netns_of() { awk -v c="$1" '$1 == "ADD" && $2 == c { print $3 }' "$PLUG/verbs.log" | tail -n1; }
rec_of() { record_path "$NET" "$1" eth0; }
rec_get() { jq -r ".$2 // empty" "$(rec_of "$1")" 2>/dev/null; }

# attached WHO CID PID: the state while the container (its first process is
# PID) runs. Its netns is the VM sandbox: the guest stand-in's VMM half
# (fakevm) opens the tap there as a VMM would, and the guest pings the
# gateway and the outside through it. The container's own stack cannot: what
# arrives on eth0 is redirected to the tap, the VM's.
attached() {
	local who=$1 cid=$2 pid=$3 addr mac out
	t_ok "$who: vmnet recorded the attachment" test -s "$(rec_of "$cid")"
	addr=$(rec_get "$cid" address)
	mac=$(rec_get "$cid" guestMac)
	ATT_IP=${addr%/*}
	ATT_IF=$(rec_get "$cid" hostIf)
	t_match "$who: the record has an address in $SUBNET" "$addr" '^10\.66\.0\.[0-9]+/24$'
	t_match "$who: eth0 in the container's netns holds it" \
		"$(nsenter --net="/proc/$pid/ns/net" ip -o -4 addr show dev eth0 2>&1)" "inet ${addr//./\\.} "
	t_match "$who: the tap is in the container's netns" \
		"$(nsenter --net="/proc/$pid/ns/net" ip -d link show dev tap0 2>&1)" "tun type tap"
	t_match "$who: the host end is on $BR in the host namespace" \
		"$(ip -n "$HOST_NS" -o link show dev "${ATT_IF:-none}" 2>&1)" "^[0-9]+: vmv[0-9a-f]{12}@.* master $BR "
	t_ok "$who: IPAM holds the address" test -n "$ATT_IP" -a -e "$(ipam_path "$NET" "$ATT_IP")"
	t_ok "$who: the guest address is in guests4" nft_has_elem guests4 "${ATT_IP:-none}"
	ns_add "g-$who"
	G_NS[$who]=$REPLY
	out=$(nsenter --net="/proc/$pid/ns/net" "$FAKEVM" -d -p "$W_TMP/fakevm-$who.pid" -m "$mac" \
		tap0 "/run/netns/${G_NS[$who]}" eth0 2>>"$W_TMP/fakevm-$who.err")
	[ "$out" = ready ] && G_PID[$who]=$(cat "$W_TMP/fakevm-$who.pid") && track_pid "${G_PID[$who]}"
	t_eq "$who: a VMM opens the tap in the container's netns" "$out" ready
	ip -n "${G_NS[$who]}" addr add "$addr" dev eth0
	ip -n "${G_NS[$who]}" route add default via "$GW" dev eth0
	t_ok "$who: the guest pings the gateway through the tap" \
		ip netns exec "${G_NS[$who]}" busybox ping -c2 -W3 "$GW"
}

# detached WHO CID: nothing of it is left.
detached() {
	local who=$1 cid=$2
	t_fail "$who: no record" test -e "$(rec_of "$cid")"
	t_fail "$who: no host device $ATT_IF" ip -n "$HOST_NS" link show dev "${ATT_IF:-none}"
	t_fail "$who: no IPAM reservation" test -e "$(ipam_path "$NET" "${ATT_IP:-none}")"
	t_fail "$who: no guests4 element" nft_has_elem guests4 "${ATT_IP:-none}"
	t_eq "$who: netd lists nothing" "$(nc_ list --json | jq '.attachments | length')" 0
}

# outside WHO: the guest reaches the wan through the host's masquerade.
outside() { ip netns exec "${G_NS[$1]}" busybox ping -c1 -W2 "$WAN_IP"; }

# What the test started through the clients, stopped before lib.sh ends the
# processes it tracked (holder last): containers first, by their clients.
clients_cleanup() {
	[ -n "${HOLDER:-}" ] && alive "$HOLDER" || return 0
	pm rm -f -t 0 -a >/dev/null 2>&1
	[ -n "${CTRD:-}" ] && alive "$CTRD" && ctr_ task kill -s KILL c2 >/dev/null 2>&1
	return 0
}
trap 'rc=$?; clients_cleanup; (exit $rc); world_exit' EXIT

t_ok "podman runs a container on the vmnet network" \
	pm run -d --name c1 --cap-add NET_RAW --network "$NET" "$IMG" sleep 600
PCID=$(pm inspect --format '{{.Id}}' c1 2>/dev/null)
PPID_=$(pm inspect --format '{{.State.Pid}}' c1 2>/dev/null)
# A safety net: ended by PID (container first) if the test stops early.
track_pid "$(pm inspect --format '{{.State.ConmonPid}}' c1 2>/dev/null)"
track_pid "$PPID_"
t_eq "podman called VERSION, then ADD" "$(verbs)" "VERSION ADD"
t_match "podman passed its own netns path" "$(netns_of "$PCID")" '^/run/netns/netns-'
attached podman "$PCID" "$PPID_"
# podman's netns path is mounted in podman's mount namespace only: netd
# finds it there (through a process of that mount namespace) and proves it
# is the namespace the ADD saw, so it keeps the attachment and can repair it.
t_ok "netd runs a pass" nc_ reconcile
t_ok "netd keeps podman's attachment" test -s "$(rec_of "$PCID")"
t_eq "netd: its namespace is proven, the attachment ok" \
	"$(nc_ list --json | jq -r '.attachments[0].status')" ok
t_ok "podman: the guest reaches the outside" outside podman
# What arrives on the container's eth0 belongs to the VM: the container's own
# ping goes out, its reply is redirected to the tap.
t_fail "podman: the container's own ping gets no reply" pm exec c1 ping -c1 -W2 "$GW"
t_match "podman: the ping went out; no reply reached the container" "$T_OUT" '1 packets transmitted, 0 packets received'

# ---------------------------------------------------------------- other firewalls

# Each warning netd gives is checked against the traffic: the guest cannot
# reach the outside while the other firewall is there, and can once it is not.
t_eq "no warnings on a clean host namespace" "$(warnings)" ""
# Shapes as nft encodes them: lo, ct state without new, IPv6 only, foreign
# devices on both sides and a contradiction after a jump are guards; a port
# and vmnet's own bridge prefix make "may"; the unconditional drop ends the
# chain (nothing after it, no policy).
ip netns exec "$HOST_NS" nft -f "$CL/shapes.nft"
t_eq "rule shapes: the findings" "$(findings | tr '\n' ,)" \
	"inet shapes shapefwd shapefwd drop false,inet shapes shapefwd shapefwd reject false,inet shapes shapefwd shapefwd drop true,"
ip netns exec "$HOST_NS" nft delete table inet shapes

# What iptables-nft writes: xt matches (conntrack, addrtype) and targets
# (LOG, REJECT) beside native expressions.
ipt() { ip netns exec "$HOST_NS" iptables "$@"; }
ipt -A FORWARD -m conntrack --ctstate INVALID -j DROP
ipt -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j DROP
ipt -A FORWARD -m state --state INVALID -j DROP
ipt -A FORWARD -m addrtype --dst-type LOCAL -j DROP
ipt -A FORWARD -j LOG
ipt -A FORWARD -j REJECT
t_eq "iptables-nft shapes: the findings" "$(findings | tr '\n' ,)" \
	"ip filter FORWARD FORWARD drop false,ip filter FORWARD FORWARD reject true,"
ip netns exec "$HOST_NS" nft delete table ip filter
# Docker's rules without DOCKER-USER: vmnet has nowhere to put its accepts.
sed -e '/chain DOCKER-USER {/,/}/d' -e '/jump DOCKER-USER/d' "$CL/docker-20.10.nft" >"$W_TMP/docker-nouser.nft"
ip netns exec "$HOST_NS" nft -f "$W_TMP/docker-nouser.nft"
t_eq "Docker's rules: netd status warns about FORWARD's policy drop" "$(warnings)" \
	"table ip filter, chain FORWARD (forward hook, priority 0): policy drop: VM traffic its rules do not accept is dropped, whatever vmnet accepts; to let vmnet's traffic through, add: nft insert rule ip filter FORWARD iifname \"$BR\" accept; nft insert rule ip filter FORWARD oifname \"$BR\" accept"
t_eq "Docker's rules: the finding as JSON" "$(findings)" "ip filter FORWARD FORWARD policy drop true"
t_fail "Docker's rules: the guest cannot reach the outside (the warning is true)" outside podman
ip netns exec "$HOST_NS" nft delete table ip filter
ip netns exec "$HOST_NS" nft delete table ip nat
# With DOCKER-USER, netd puts vmnet's accepts for the bridge there (t_docker.sh
# checks them with a real dockerd).
docker_user_ours() {
	local i
	for i in $(seq 20); do
		[ "$(ip netns exec "$HOST_NS" iptables-nft -S DOCKER-USER 2>/dev/null |
			grep -c -- "-[io] $BR -m comment --comment vmnet -j ACCEPT")" = 2 ] && return 0
		sleep 0.05
	done
	ip netns exec "$HOST_NS" iptables-nft -S DOCKER-USER
	return 1
}
ip netns exec "$HOST_NS" nft -f "$CL/docker-20.10.nft"
t_ok "Docker's rules: netd adds vmnet's accepts for the bridge to DOCKER-USER within a second" \
	docker_user_ours
t_ok "Docker's rules + vmnet's accepts: the guest reaches the outside" outside podman
t_eq "Docker's rules + vmnet's accepts: FORWARD's policy is no longer a warning" "$(warnings)" ""
ip netns exec "$HOST_NS" nft delete table ip filter
ip netns exec "$HOST_NS" nft delete table ip nat
t_ok "without Docker's rules: the guest reaches the outside" outside podman

firewalld_start() {
	local i
	bg_h "$W_TMP/dbus.log" dbus-daemon --system --nofork --nopidfile
	DBUS=$REPLY
	bg_h "$W_TMP/firewalld.out" firewalld --nofork --nopid --log-target file \
		--log-file "$W_TMP/firewalld.log"
	FWD=$REPLY
	for i in $(seq 150); do
		[ "$(in_h firewall-cmd --state 2>/dev/null)" = running ] && return 0
		alive "$FWD" || break
		sleep 0.1
	done
	cat "$W_TMP/dbus.log" "$W_TMP/firewalld.out" "$W_TMP/firewalld.log" 2>/dev/null | tail -20
	return 1
}
# The private system bus in the holder's /run: for firewalld, firewall-cmd and netd.
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/proc/$HOLDER/root/run/dbus/system_bus_socket
t_ok "firewalld 1.3 runs in the host namespace" firewalld_start
t_ok "firewalld made its table" ip netns exec "$HOST_NS" nft list table inet firewalld
t_match "firewalld: netd status warns about its zone's final reject" "$(warnings)" \
	'^table inet firewalld, chain filter_FORWARD \(forward hook, priority 10\): rule handle [0-9]+ in chain filter_FWD_public rejects VM traffic that earlier rules do not accept'
t_eq "firewalld: one warning" "$(warnings | wc -l)" 1
t_eq "firewalld: the finding as JSON" "$(findings)" \
	"inet firewalld filter_FORWARD filter_FWD_public reject true"
t_fail "firewalld: nothing in the machine's namespace" nft list table inet firewalld
t_fail "firewalld: the guest cannot reach the outside (the warning is true)" outside podman
# netd on firewalld's (private) system bus puts the bridge into its zone
# "vmnet": netd restarted with the bus address above (its state is on disk).
netd_on_bus() {
	local pid
	pid=$(nc_ status --json | jq -r .pid)
	[ -n "$pid" ] && kill_pid "$pid"
	netd_start
}
fw_zone_is() { # ZONE: the bridge is in ZONE within 3 s
	local i
	for i in $(seq 30); do
		[ "$(in_h firewall-cmd --get-zone-of-interface="$BR" 2>/dev/null)" = "$1" ] && return 0
		sleep 0.1
	done
	in_h firewall-cmd --get-active-zones
	return 1
}
t_ok "firewalld: netd restarts on firewalld's system bus" netd_on_bus
t_ok "firewalld: netd puts the bridge into zone vmnet" fw_zone_is vmnet
t_ok "firewalld + bridge in zone vmnet: the guest reaches the outside" outside podman
# netd counts the devices as its own once it has bound them itself (after
# the reload that loaded its zone, the next pass: 0.5 s).
fw_bound() {
	local i
	for i in $(seq 30); do
		nc_ status --json | jq -e '.firewalld.devices == .firewalld.wanted' >/dev/null && return 0
		sleep 0.1
	done
	nc_ status --json | jq -c .firewalld
	return 1
}
t_ok "firewalld: netd has bound every device of its own" fw_bound
t_eq "firewalld + bridge in zone vmnet: no warning (the zone's reject no longer meets VM traffic)" \
	"$(warnings)" ""
t_ok "firewalld: firewall-cmd --reload" in_h firewall-cmd --reload
t_ok "firewalld reloaded: netd puts the bridge back into zone vmnet" fw_zone_is vmnet
t_ok "firewalld reloaded: the guest reaches the outside" outside podman
t_ok "firewalld: vmnet's table is still there" ip netns exec "$HOST_NS" nft list table inet vmnet
kill_pid "$FWD"
kill_pid "$DBUS"
t_fail "firewalld ended (by its PID)" alive "$FWD"
# firewalld removes its table when it stops (CleanupOnExit=yes by default).
t_fail "firewalld removed its table" ip netns exec "$HOST_NS" nft list table inet firewalld
t_ok "without firewalld: the guest reaches the outside" outside podman
t_eq "no warnings once both are gone" "$(warnings)" ""

# ---------------------------------------------------------------- podman DEL

guest_stop podman
t_ok "podman removes the container" pm rm -f -t 0 c1
t_eq "podman called VERSION, then DEL" "$(verbs)" "VERSION ADD VERSION DEL"
detached podman "$PCID"

# ---------------------------------------------------------------- 1.1.0

# The README's claim: podman 4.3 refuses a 1.1.0 result. It then undoes the
# ADD with a DEL, so nothing of vmnet's is left behind.
jq '.cniVersion = "1.1.0" | .name = "vmnet11"' "$H/podman.d/10-$NET.conflist" \
	>"$H/podman.d/11-vmnet11.conflist"
: >"$PLUG/verbs.log"
t_fail "podman 4.3 with a 1.1.0 conflist fails" pm run -d --name c3 --network vmnet11 "$IMG" sleep 600
t_match "podman: unsupported CNI result version" "$T_OUT" 'unsupported CNI result version'
t_eq "podman 1.1.0: ADD, then DEL" "$(verbs)" "VERSION VERSION ADD DEL"
pm rm -f -t 0 c3 >/dev/null 2>&1
t_eq "podman 1.1.0: no record left" "$(find "$W_TMP/state/vmnet11" -name '*.json' 2>/dev/null)" ""
t_eq "podman 1.1.0: no address left" "$(find "$W_TMP/ipam/vmnet11" -name '10.*' 2>/dev/null)" ""
rm "$H/podman.d/11-vmnet11.conflist"

# ---------------------------------------------------------------- containerd

cat >"$H/containerd.toml" <<EOF
version = 2
root = "$H/containerd/root"
state = "$H/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$H/containerd.sock"
EOF
ctr_() { in_h ctr -a "$H/containerd.sock" "$@"; }
containerd_start() {
	local i
	bg_h "$W_TMP/containerd.log" containerd --config "$H/containerd.toml"
	CTRD=$REPLY
	for i in $(seq 100); do
		ctr_ version >/dev/null 2>&1 && return 0
		alive "$CTRD" || break
		sleep 0.1
	done
	tail -20 "$W_TMP/containerd.log"
	return 1
}
image_to_ctr() {
	pm save -q --format docker-archive -o "$H/img.tar" "$IMG" &&
		ctr_ images import "$H/img.tar"
}
t_ok "containerd 1.6 runs in the host namespace" containerd_start
t_ok "ctr imports the image podman saved" image_to_ctr
REF=$(ctr_ images ls -q 2>/dev/null | head -n1)

# containerd 1.6 refuses a 1.1.0 result too, and undoes the ADD.
mv "$H/net.d/10-$NET.conflist" "$H/10-$NET.conflist"
jq '.cniVersion = "1.1.0" | .name = "vmnet11"' "$H/10-$NET.conflist" >"$H/net.d/11-vmnet11.conflist"
: >"$PLUG/verbs.log"
t_fail "ctr with a 1.1.0 conflist fails" in_h timeout 30 ctr -a "$H/containerd.sock" run --rm --cni "$REF" c4 true
t_match "ctr: unsupported CNI result version" "$T_OUT" 'unsupported CNI result version'
t_eq "ctr 1.1.0: ADD, then DEL" "$(verbs)" "ADD DEL"
ctr_ task kill -s KILL c4 >/dev/null 2>&1
ctr_ containers rm c4 >/dev/null 2>&1
t_eq "ctr 1.1.0: no record left" "$(find "$W_TMP/state/vmnet11" -name '*.json' 2>/dev/null)" ""
t_eq "ctr 1.1.0: no address left" "$(find "$W_TMP/ipam/vmnet11" -name '10.*' 2>/dev/null)" ""
rm "$H/net.d/11-vmnet11.conflist"
mv "$H/10-$NET.conflist" "$H/net.d/"
: >"$PLUG/verbs.log"

# `ctr run --rm --cni` stays in the foreground until the task ends, then
# removes the container and calls DEL.
bg_h "$W_TMP/ctr-run.log" ctr -a "$H/containerd.sock" run --rm --cni "$REF" c2 sleep 600
CTR_RUN=$REPLY
ctr_task_pid() { ctr_ task ls 2>/dev/null | awk '$1 == "c2" && $3 == "RUNNING" { print $2 }'; }
for i in $(seq 100); do
	CPID=$(ctr_task_pid)
	[ -n "$CPID" ] && break
	sleep 0.1
done
t_match "ctr runs a container with --cni" "${CPID:-}" '^[0-9]+$'
t_eq "ctr called ADD once" "$(verbs)" "ADD"
# containerd prefixes the container ID with its namespace ("default").
t_eq "ctr passed the task's netns by PID" "$(netns_of default-c2)" "/proc/${CPID:-}/ns/net"
attached ctr default-c2 "${CPID:-none}"
t_ok "ctr: the guest reaches the outside" outside ctr
guest_stop ctr
ctr_ task kill -s KILL c2 >/dev/null 2>&1
for i in $(seq 100); do
	alive "$CTR_RUN" || break
	sleep 0.1
done
t_fail "ctr run ended with its task" alive "$CTR_RUN"
t_eq "ctr called DEL once" "$(verbs)" "ADD DEL"
detached ctr default-c2
t_eq "ctr removed the container" "$(ctr_ containers ls -q 2>/dev/null)" ""
kill_pid "$CTRD"
t_fail "containerd ended (by its PID)" alive "$CTRD"

clients_cleanup
t_done
