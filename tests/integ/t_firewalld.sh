#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# vmnet beside a real firewalld 1.3 (issue 16, item 2): netd puts vmnet's
# host-side devices (the bridge of a shared network, the per-VM link of an
# isolated one) into firewalld's zone "vmnet" and adds policy
# "vmnet-to-host", through firewalld's D-Bus API. Checked with real packets:
# guests reach each other, the outside (wan), their gateway (ICMP) and the
# host's DNS port but no other host port, and the wan reaches their published
# ports but not an unpublished one, with firewalld's default zone, with the
# default zone's target DROP, after `firewall-cmd --reload`, after firewalld
# is restarted and after the bus itself is. `firewall-cmd --get-active-zones`
# shows the devices in the zone; after the last DEL the bindings are gone
# (the zone and policy stay). netd status warns about firewalld only for a
# network open to routed connections. netd without a system bus works as
# before and says so once.
#
# dbus-daemon --system and firewalld run in a private mount namespace
# (tests/clients/holder.sh: /run, /var/lib, /etc/firewalld overlaid) and in
# the test's host network namespace; netd reaches that private bus through
# DBUS_SYSTEM_BUS_ADDRESS, never the machine's. Every process is ended by PID.
#
#   tests/integ/t_firewalld.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317
. "$(dirname "$0")/lib.sh"

need_cmds nsenter unshare firewalld firewall-cmd dbus-daemon
need_bins "$B/netd"
guest_world wan

CL=$LIB_ROOT/tests/clients
H=$W_TMP/h
SOCK=$W_TMP/netd.sock
mkdir -p "$H" "$W_TMP/noplugins"

fwcmd() { in_h firewall-cmd "$@"; }

dbus_start() {
	bg_h "$W_TMP/dbus.log" dbus-daemon --system --nofork --nopidfile
	DBUS=$REPLY
	local i
	for i in $(seq 100); do
		in_h test -S /run/dbus/system_bus_socket && return 0
		sleep 0.05
	done
	cat "$W_TMP/dbus.log"
	return 1
}
firewalld_start() {
	local i
	bg_h "$W_TMP/firewalld.out" firewalld --nofork --nopid --log-target file \
		--log-file "$W_TMP/firewalld.log"
	FWD=$REPLY
	for i in $(seq 200); do
		[ "$(fwcmd --state 2>/dev/null)" = running ] && return 0
		alive "$FWD" || break
		sleep 0.1
	done
	tail -20 "$W_TMP/firewalld.out" "$W_TMP/firewalld.log" 2>/dev/null
	return 1
}

t_ok "a private mount namespace for dbus and firewalld" holder_start "$H" "$W_TMP/noplugins"
t_ok "it is not the machine's mount namespace" \
	test "$(readlink "/proc/$HOLDER/ns/mnt")" != "$(readlink /proc/self/ns/mnt)"
# The private bus, for firewalld, firewall-cmd and netd (never the machine's).
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/proc/$HOLDER/root/run/dbus/system_bus_socket
t_ok "dbus-daemon --system runs there" dbus_start
t_ok "firewalld 1.3 runs in the host namespace" firewalld_start
t_eq "its default zone is public" "$(fwcmd --get-default-zone 2>&1)" public
t_fail "nothing of firewalld in the machine's namespace" nft list table inet firewalld

t_ok "netd starts, on the private system bus" netd_start --no-dhcp
t_ok "netd found firewalld" file_has "$W_TMP/netd.log" "firewalld: system bus connected, firewalld running"

# ---------------------------------------------------------------- guests

# Shared network S (guests a, b on bridge vb-fws), isolated network I
# (guest c on its own link); a and c publish a port.
CONF_S=$(conf_net shared netns fws 10.67.1.0/24)
CONF_I=$(conf_net isolated netns fwi 10.67.2.0/24)
PORT_A=9181
PORT_C=9182
ports() { jq -c --argjson h "$1" '.runtimeConfig.portMappings = [{hostPort: $h, containerPort: 80, protocol: "tcp"}]' <<<"$2"; }
up() { # NAME CONF
	local ns
	vm_ns "vm-$1" && ns=$REPLY
	t_plugin "ADD $1" ADD id="$P$1" ns="$ns" conf="$2" || return
	RES[$1]=$CNI_OUT
	VMNS[$1]=$ns
	t_ok "guest $1 is up" guest_up "$1" "$CNI_OUT" "$ns"
}
declare -A RES VMNS
up a "$(ports $PORT_A "$CONF_S")"
up b "$CONF_S"
up c "$(ports $PORT_C "$CONF_I")"
DEV_C=$(json_get "${RES[c]}" '.interfaces[0].name')
DEVS="$DEV_C vb-fws"

# zone_has: firewalld's active zones list every vmnet device in zone vmnet.
zone_devs() { fwcmd --zone=vmnet --list-interfaces 2>/dev/null | tr ' ' '\n' | sort | xargs; }
want_devs() { tr ' ' '\n' <<<"$DEVS" | sort | xargs; }
# bound_within MS: the devices are in zone vmnet within MS milliseconds.
bound_within() {
	local end=$(($(ms_now) + $1))
	while [ "$(ms_now)" -le "$end" ]; do
		[ "$(zone_devs)" = "$(want_devs)" ] && return 0
		sleep 0.1
	done
	echo "zone vmnet has '$(zone_devs)', want '$(want_devs)'"
	return 1
}

# works TAG: what must hold whatever firewalld does.
works() {
	local t=$1
	t_ok "$t: a reaches b (VM to VM)" guest_ping a "${G_IP[b]}"
	t_ok "$t: a reaches the wan" test -n "$(guest_wan a)"
	t_ok "$t: c (isolated) reaches the wan" test -n "$(guest_wan c)"
	t_ok "$t: a reaches its gateway (ICMP to the host)" guest_ping a "${G_GW[a]}"
	t_eq "$t: the wan reaches a's published port" \
		"$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" $PORT_A)" tcp-a
	t_eq "$t: the wan reaches c's published port" \
		"$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" $PORT_C)" tcp-c
	t_eq "$t: the wan does not reach a's unpublished port 80" \
		"$(ip netns exec "$WAN_NS" ip route add 10.67.0.0/16 via "$WAN_HOST_IP" 2>/dev/null
		   net_get "$WAN_NS" tcp "${G_IP[a]}" 80
		   ip netns exec "$WAN_NS" ip route del 10.67.0.0/16 2>/dev/null)" ""
}

t_ok "netd binds the bridge and the isolated link to zone vmnet" bound_within 3000
t_match "firewall-cmd --get-active-zones shows them in zone vmnet" \
	"$(fwcmd --get-active-zones 2>&1 | tr '\n' ' ')" "vmnet +interfaces: [^ ]*(${DEV_C}|vb-fws) [^ ]*(${DEV_C}|vb-fws)"
t_match "zone vmnet and policy vmnet-to-host are permanent" \
	"$(fwcmd --permanent --get-zones) / $(fwcmd --permanent --get-policies)" \
	'(^| )vmnet( |$).* / (.* )?vmnet-to-host( |$)'
t_eq "policy vmnet-to-host: vmnet to the host" \
	"$(fwcmd --policy=vmnet-to-host --list-all 2>&1 | awk '$1 ~ /^(ingress-zones|egress-zones|target|services|protocols):$/' | xargs)" \
	"target: REJECT ingress-zones: vmnet egress-zones: HOST services: dhcp dhcpv6 dns protocols: icmp ipv6-icmp"
t_eq "netd status: firewalld running, 2 devices in its zone" \
	"$(nc_ status --json | jq -c '.firewalld | [.running, .zone, .devices, .wanted]')" '[true,"vmnet",2,2]'
t_match "netd status says so" "$(nc_ status)" 'firewalld: +running, zone vmnet applied to 2 of 2 devices'
works "default zone public"

# The host's DHCP and DNS ports are open to guests, others are not.
host_udp() { # PORT: a UDP server on the shared gateway; a asks it
	udp_answer "$HOST_NS" "${G_GW[a]}" "$1" "host-$1"
	wait_listen "$HOST_NS" udp "$1" && net_get "${G_NS[a]}" udp "${G_GW[a]}" "$1"
}
t_eq "a reaches the host's DNS port" "$(host_udp 53)" host-53
t_eq "a does not reach another host port (policy vmnet-to-host rejects)" "$(host_udp 5353)" ""

# firewalld's other zones no longer meet what guests send: no warning.
t_eq "netd status: no warning about firewalld" "$(nc_ status --json | jq -c '[.warnings[]?, .firewall[]?]')" '[]'

# ---------------------------------------------------------------- DROP, reload, restart

t_ok "the default zone's target becomes DROP" fwcmd --permanent --zone=public --set-target=DROP
t_ok "firewall-cmd --reload" fwcmd --reload
t_eq "public's target is DROP" "$(fwcmd --permanent --zone=public --get-target 2>&1)" DROP
t_ok "after the reload netd binds the devices again within 2 s" bound_within 2000
works "default zone DROP"

t_ok "firewall-cmd --reload again" fwcmd --reload
t_ok "after the reload netd binds them again within 2 s" bound_within 2000
works "after a reload"

kill_pid "$FWD"
t_fail "firewalld ended (by its PID)" alive "$FWD"
t_ok "netd saw it go" file_has "$W_TMP/netd.log" "firewalld stopped"
t_eq "netd status: firewalld not running" "$(nc_ status --json | jq -c '.firewalld.running')" false
t_ok "firewalld starts again" firewalld_start
t_ok "after the restart netd binds the devices again within 2 s" bound_within 2000
works "after a restart"
t_eq "the zone vmnet survived the restart (permanent)" "$(fwcmd --get-zone-of-interface=vb-fws 2>&1)" vmnet

# The bus itself restarts: netd goes on without it, and connects again on a
# pass (SIGHUP here; the periodic one otherwise) once its last try is 5 s old.
kill_pid "$FWD"
kill_pid "$DBUS"
t_ok "netd saw the bus go" file_has "$W_TMP/netd.log" "system bus lost"
t_match "netd status: firewalld not managed" "$(nc_ status)" 'firewalld: +not managed: system bus lost'
t_ok "dbus-daemon starts again" dbus_start
t_ok "firewalld starts again on it" firewalld_start
rebound() {
	local i
	for i in $(seq 15); do
		kill -HUP "$NETD_PID"
		bound_within 1000 >/dev/null && return 0
	done
	bound_within 0
}
t_ok "netd connects again and binds the devices" rebound
works "after a bus restart"

# ---------------------------------------------------------------- DEL

for g in a b c; do
	guest_stop $g
done
t_plugin "DEL c (the isolated link goes)" DEL id="${P}c" ns="${VMNS[c]}" conf="$(ports $PORT_C "$CONF_I")"
DEVS=vb-fws
t_ok "its binding goes" bound_within 2000
t_plugin "DEL b" DEL id="${P}b" ns="${VMNS[b]}" conf="$CONF_S"
t_plugin "DEL a, the last" DEL id="${P}a" ns="${VMNS[a]}" conf="$(ports $PORT_A "$CONF_S")"
DEVS=
t_ok "after the last DEL zone vmnet has no device" bound_within 2000
t_eq "netd status: 0 devices" "$(nc_ status --json | jq -c '.firewalld | [.running, .devices]')" '[true,0]'
t_match "the zone and policy stay (README says how to remove them)" \
	"$(fwcmd --permanent --get-zones) $(fwcmd --permanent --get-policies)" 'vmnet.*vmnet-to-host'

# A network open to routed connections from outside: firewalld's public
# zone (its target DROP by now) still meets those, and netd says so
# although the bridge is bound.
CONF_R=$(conf_net shared netns fwr 10.67.3.0/24 '.routedInbound = true')
vm_ns vm-r && NS_R=$REPLY
t_plugin "ADD r on a routedInbound network" ADD id="${P}r" ns="$NS_R" conf="$CONF_R"
DEVS=vb-fwr
t_ok "its bridge is bound" bound_within 3000
t_match "netd status: public's reject meets connections routed to it" \
	"$(nc_ status --json | jq -r '.warnings[]?')" 'chain filter_FWD_public drops VM traffic'
t_plugin "DEL r" DEL id="${P}r" ns="$NS_R" conf="$CONF_R"
DEVS=
t_ok "its binding goes" bound_within 2000

# ---------------------------------------------------------------- no bus

# netd without a system bus: works as before and says so once.
nobus() {
	local sock=$W_TMP/nobus.sock log=$W_TMP/nobus.log pid i
	DBUS_SYSTEM_BUS_ADDRESS=unix:path=$W_TMP/no-such-bus ip netns exec "$HOST_NS" "$NETD" \
		--state-dir "$W_TMP/state2" --socket "$sock" --no-dhcp </dev/null >"$log" 2>&1 &
	pid=$!
	track_pid $pid
	for i in $(seq 100); do
		ip netns exec "$HOST_NS" "$NETD" status --socket "$sock" >"$W_TMP/nobus.status" 2>&1 && break
		sleep 0.05
	done
	kill_pid $pid
	grep -c "not managing firewalld" "$log"
	grep -ci "error\|warn" "$log"
	grep -c "firewalld: *not managed: no system bus" "$W_TMP/nobus.status"
}
mkdir -p "$W_TMP/state2"
t_eq "netd without a system bus: one info line, no error, status says so" "$(nobus | xargs)" "1 0 1"

t_done
