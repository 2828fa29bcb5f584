#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# vmnet beside a real Docker 20.10 daemon (issue 16): dockerd --iptables=true
# runs in the test's host namespace (a private mount namespace with /run and
# /var/lib overlaid, tests/clients/holder.sh; its own data root, exec root,
# socket and pidfile; an image imported from a local busybox archive). Its
# `table ip filter` FORWARD has policy drop; vmnet puts accepts for its own
# devices into DOCKER-USER (include/vmnet/docker.h) and the test checks,
# with real packets, that:
#
# - guests of a shared network reach each other across the bridge, and
#   guests of both modes (both wirings) reach the wan and are reached on
#   their published ports from the wan; without vmnet's accepts they are
#   not (the accepts are what makes it work);
# - `iptables-nft -S DOCKER-USER` shows exactly vmnet's rules, as plain
#   iptables rules, and Docker's RETURN after them; `nft list` of the table
#   loads again with `nft -f` and reads back the same;
# - the plugin adds them without netd; netd puts them back within a second
#   after they are flushed, after Docker's table is deleted and dockerd
#   recreates it, and after a dockerd restart; the same in ip6 filter's
#   DOCKER-USER; isolated guests of one group still reach each other and
#   guests of no group do not (vmnet's own isolation holds);
# - a Docker container publishing 8080 makes a later vmnet ADD of 8080 fail
#   with 102 naming docker; a port Docker publishes after vmnet did is
#   listed by netd status;
# - Docker's own container still reaches the wan and is reached on its
#   published port; after the last DEL vmnet's rules are gone.
#
#   tests/integ/t_docker.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

guest_world wan
need_cmds dockerd docker-proxy containerd runc iptables-nft ip6tables-nft nsenter unshare busybox
NETD=$B/netd
need_bins "$NETD"

CL=$LIB_ROOT/tests/clients
H=$W_TMP/h
SOCK=$W_TMP/netd.sock
BR=vmbrdk$$
BR=${BR:0:15}
IMG=vmnet-busybox
# The client docker.io ships beside dockerd (another docker on PATH may be
# newer, and from no package).
DOCKER=/usr/bin/docker
mkdir -p "$H/net.d"

# ---------------------------------------------------------------- Docker

dk() { in_h "$DOCKER" -H "unix://$H/docker.sock" "$@"; }
ipt() { ip netns exec "$HOST_NS" iptables-nft "$@"; }

echo '{}' >"$H/daemon.json"
dockerd_start() {
	local i
	rm -f "$H/docker.pid"
	nsenter --mount="/proc/$HOLDER/ns/mnt" --net="/run/netns/$HOST_NS" -- \
		dockerd --iptables=true --data-root "$H/docker-root" --exec-root "$H/docker-exec" \
		-H "unix://$H/docker.sock" --pidfile "$H/docker.pid" --config-file "$H/daemon.json" \
		--storage-driver vfs --exec-opt native.cgroupdriver=cgroupfs \
		</dev/null >>"$W_TMP/dockerd.log" 2>&1 &
	DOCKERD=$!
	track_pid "$DOCKERD"
	for i in $(seq 300); do
		dk version >/dev/null 2>&1 && return 0
		alive "$DOCKERD" || break
		sleep 0.1
	done
	tail -20 "$W_TMP/dockerd.log"
	return 1
}

# Containers first (by Docker), then lib.sh ends what it tracked.
docker_cleanup() {
	[ -n "${DOCKERD:-}" ] && alive "$DOCKERD" || return 0
	dk rm -f web web2 >/dev/null 2>&1
	return 0
}
trap 'rc=$?; docker_cleanup; (exit $rc); world_exit' EXIT

image_build() { busybox_image "$H" && dk import "$H/rootfs.tar" "$IMG" >/dev/null; }

t_ok "the private mount namespace is ready" holder_start "$H" "$B"
t_ok "dockerd 20.10 runs in the test's host namespace" dockerd_start
t_ok "it is not the machine's mount namespace" \
	test "$(readlink "/proc/$HOLDER/ns/mnt")" != "$(readlink /proc/self/ns/mnt)"
t_ok "docker imports a busybox image from a local archive" image_build
t_match "Docker made FORWARD drop by default" "$(ipt -S FORWARD)" '^-P FORWARD DROP'
t_eq "Docker made DOCKER-USER" "$(ipt -S DOCKER-USER)" "-N DOCKER-USER
-A DOCKER-USER -j RETURN"

# ---------------------------------------------------------------- vmnet guests

with_ports() { jq -c --argjson p "$2" '.runtimeConfig.portMappings = $p' <<<"$1"; }
pm() { jq -cn --arg p "$1" --argjson h "$2" '{hostPort: $h, containerPort: 80, protocol: $p}'; }

CONF_S=$(conf_shared dks "$BR" 10.67.0.0/24 10.67.0.1 '.capabilities = {portMappings: true}')
CONF_I=$(conf_net isolated host dki 10.68.0.0/24)
CONF_J=$(conf_net isolated netns dkj 10.69.0.0/24)
declare -A CONF VMNS RES
CONF[a]=$(with_ports "$CONF_S" "[$(pm tcp 8081)]")
CONF[b]=$CONF_S
CONF[c]=$(with_ports "$CONF_I" "[$(pm tcp 8082)]")
CONF[d]=$(with_ports "$CONF_J" "[$(pm tcp 8083)]")

# c2 and c3 share an isolation group on c's network; c is in none.
CONF[c2]=$CONF_I
CONF[c3]=$CONF_I
declare -A ARGS=([c2]="IgnoreUnknown=1;VMNET_GROUP=blue" [c3]="IgnoreUnknown=1;VMNET_GROUP=blue")
GUESTS="a b c d c2 c3"
for g in $GUESTS; do
	vm_ns "dk-$g" && VMNS[$g]=$REPLY
	t_plugin "ADD $g (no netd running)" ADD id="${P}dk-$g" ns="${VMNS[$g]}" \
		conf="${CONF[$g]}" args="${ARGS[$g]:-}"
	RES[$g]=$CNI_OUT
	t_ok "guest stand-in $g" guest_up "$g" "${RES[$g]}" "${VMNS[$g]}"
done

# The rules vmnet owns in DOCKER-USER, sorted; Docker's RETURN stays last.
ours() { ipt -S DOCKER-USER | grep -- '--comment vmnet' | sort; }
want_ours() {
	printf -- '-A DOCKER-USER %s -m comment --comment vmnet -j ACCEPT\n' \
		"-i $BR" "-o $BR" "-i vmt+" "-o vmt+" "-i vmv+" "-o vmv+" | sort
}
t_eq "iptables-nft -S DOCKER-USER shows exactly vmnet's rules" "$(ours)" "$(want_ours)"
t_eq "... six of them, then Docker's RETURN" "$(ipt -S DOCKER-USER | tail -n +2 | awk '{ print ($NF == "RETURN") }' | tr -d '\n')" \
	"0000001"
t_match "nft list shows them with their comment" "$(hnft list chain ip filter DOCKER-USER)" \
	"iifname \"vmt\*\" counter packets [0-9]+ bytes [0-9]+ accept comment \"vmnet\""

wan_ok() { [ "$(guest_wan "$1" 2>/dev/null)" = "$WAN_HOST_IP" ]; }

# works: every path a guest has, through Docker's FORWARD.
paths_work() {
	local t=$1
	t_ok "$t a reaches b across the bridge" guest_ping a "${G_IP[b]}"
	t_ok "$t isolated c2 reaches c3 (one group)" guest_ping c2 "${G_IP[c3]}"
	t_fail "$t isolated c does not reach c2 (vmnet's isolation still holds)" guest_ping c "${G_IP[c2]}"
	for g in a c d; do
		t_eq "$t $g reaches the wan" "$(guest_wan "$g")" "$WAN_HOST_IP"
	done
	t_eq "$t wan reaches a's published port" "$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" 8081)" tcp-a
	t_eq "$t wan reaches c's published port (isolated, host wiring)" \
		"$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" 8082)" tcp-c
	t_eq "$t wan reaches d's published port (isolated, netns wiring)" \
		"$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" 8083)" tcp-d
}
paths_work "[plugin's accepts]"

# Without them Docker's policy drops it all: they are what makes it work.
for h in $(hnft -a list chain ip filter DOCKER-USER | awk '/comment "vmnet"/ { print $NF }'); do
	hnft delete rule ip filter DOCKER-USER handle "$h"
done
t_eq "vmnet's rules removed by hand" "$(ours)" ""
t_fail "without them a cannot reach b" guest_ping a "${G_IP[b]}"
t_fail "without them a cannot reach the wan" wan_ok a
t_eq "without them the wan cannot reach c's port" "$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" 8082)" ""

# ---------------------------------------------------------------- netd restores them

# back_within_1s [ours6]: vmnet's six rules are there (in ip6 filter) within a second.
back_within_1s() {
	local i get=${1:-ours}
	for i in $(seq 20); do
		[ "$($get)" = "$(want_ours)" ] && return 0
		sleep 0.05
	done
	echo "after 1 s: $($get)"
	return 1
}
t_ok "netd starts" netd_start
t_ok "netd's first pass puts them back within a second" back_within_1s
paths_work "[netd's accepts]"
ipt -F DOCKER-USER
ipt -A DOCKER-USER -j RETURN
t_ok "DOCKER-USER flushed and rebuilt: back within a second" back_within_1s

# ip6 filter: one more table (Docker makes its DOCKER-USER with --ip6tables).
ours6() { ip netns exec "$HOST_NS" ip6tables-nft -S DOCKER-USER 2>/dev/null | grep -- '--comment vmnet' | sort; }
t_eq "no DOCKER-USER in ip6 filter: nothing of vmnet's there" "$(ours6)" ""
ip netns exec "$HOST_NS" ip6tables-nft -N DOCKER-USER
t_ok "ip6 filter's DOCKER-USER created: vmnet's rules there within a second" back_within_1s ours6

# Docker's table gone (a firewall reload) and rebuilt by a dockerd restart.
kill_pid "$DOCKERD"
t_fail "dockerd ended (by its PID)" alive "$DOCKERD"
t_eq "Docker's rules stay after dockerd ends; so do vmnet's" "$(ours)" "$(want_ours)"
hnft delete table ip filter
t_ok "dockerd starts again" dockerd_start
t_ok "dockerd recreated DOCKER-USER" ipt -S DOCKER-USER
t_ok "vmnet's rules are back within a second" back_within_1s
t_eq "exactly vmnet's rules, then Docker's RETURN" \
	"$(ipt -S DOCKER-USER | tail -n +2 | awk '{ print ($NF == "RETURN") }' | tr -d '\n')" "0000001"
handles() { hnft -a list chain ip filter DOCKER-USER | awk '/comment "vmnet"/ { print $NF }' | sort; }
H_BEFORE=$(handles)
kill_pid "$DOCKERD"
t_ok "a plain dockerd restart" dockerd_start
t_ok "vmnet's rules are there within a second" back_within_1s
if [ "$(handles)" = "$H_BEFORE" ]; then diag "dockerd's restart kept vmnet's rules"; else
	diag "dockerd's restart replaced vmnet's rules; netd put them back"; fi
paths_work "[after dockerd restarts]"

# `nft list` of Docker's table with vmnet's rules loads again and reads back the same.
save_load() {
	local ns
	hnft list table ip filter >"$W_TMP/filter.nft" || return 1
	ns_add dk-load
	ns=$REPLY
	ip netns exec "$ns" nft -f "$W_TMP/filter.nft" || return 1
	[ "$(ip netns exec "$ns" iptables-nft -S DOCKER-USER)" = "$(ipt -S DOCKER-USER)" ] ||
		{ echo "read back: $(ip netns exec "$ns" iptables-nft -S DOCKER-USER)"; return 1; }
}
t_ok "nft list table ip filter loads with nft -f and reads back the same" save_load

# ---------------------------------------------------------------- ports across managers

web_up() {
	dk run -d --name "$1" -p "$2:80" "$IMG" sh -c \
		"while true; do echo docker-$1 | nc -l -p 80; done" >/dev/null
}
t_ok "a Docker container publishes 8080" web_up web 8080
t_match "Docker's DNAT for 8080 is in table ip nat chain DOCKER" "$(ipt -t nat -S DOCKER)" \
	'-p tcp -m tcp --dport 8080 -j DNAT'
vm_ns dk-e && VMNS[e]=$REPLY
CNI_DETAILS='tcp/8080 .*docker \(table ip nat, chain DOCKER' \
	t_plugin_code "vmnet ADD publishing 8080 fails with 102 naming docker" 102 \
	ADD id="${P}dk-e" ns="${VMNS[e]}" conf="$(with_ports "$CONF_S" "[$(pm tcp 8080)]")"
t_fail "nothing of it is recorded" test -e "$(record_path dks "${P}dk-e" eth0)"
t_plugin "its DEL succeeds" DEL id="${P}dk-e" ns="${VMNS[e]}" conf="$(with_ports "$CONF_S" "[$(pm tcp 8080)]")"
t_eq "the wan reaches Docker's container on 8080" \
	"$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" 8080)" docker-web
t_ok "Docker's container reaches the wan" dk exec web ping -c1 -W3 "$WAN_IP"
t_ok "Docker publishes 8081 after vmnet's guest a did" web_up web2 8081
t_match "netd status lists the conflict" "$(nc_ status --json | jq -r '.warnings[]')" \
	"port conflict: host port tcp/8081 of dks/${P}dk-a@eth0 is also published by docker \(table ip nat, chain DOCKER"
t_eq "... and as an object" \
	"$(nc_ status --json | jq -r '.port_conflicts[] | "\(.network) \(.protocol) \(.host_port)"')" "dks tcp 8081"
dk rm -f web2 >/dev/null 2>&1
t_eq "the conflict is gone with Docker's container" "$(nc_ status --json | jq '.port_conflicts | length')" 0

# ---------------------------------------------------------------- the last DEL

for g in $GUESTS; do
	guest_stop "$g"
	t_plugin "DEL $g" DEL id="${P}dk-$g" ns="${VMNS[$g]}" conf="${CONF[$g]}" args="${ARGS[$g]:-}"
	[ "$g" = c2 ] && t_eq "vmnet's rules stay while guests are left" "$(ours)" "$(want_ours)"
done
t_eq "after the last DEL vmnet's rules are gone" "$(ours)" ""
t_eq "... from ip6 filter's DOCKER-USER too" "$(ours6)" ""
t_eq "... Docker's own are untouched" "$(ipt -S DOCKER-USER)" "-N DOCKER-USER
-A DOCKER-USER -j RETURN"
t_ok "netd runs a pass" nc_ reconcile
t_eq "netd does not bring them back" "$(ours)" ""
t_eq "the wan still reaches Docker's container" "$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" 8080)" docker-web

docker_cleanup
kill_pid "$DOCKERD"
t_done
