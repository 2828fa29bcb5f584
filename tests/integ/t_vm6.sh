#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Real dual-stack VMs: QEMU guests (tests/vm/) on the taps vmnet creates for
# dual-stack networks, each taking its IPv4 address by DHCP and its IPv6
# address, default route and MTU from netd's router advertisements and
# DHCPv6 (Debian's dhcpcd in the guest), with every check made from inside a
# guest kernel:
#
#   shared (tap in the VM netns)      a, b   a <-> b over IPv6; b publishes
#                                            8080 -> 80 on both families
#   shared (tap in the host)          c
#   isolated, /64 per VM (tap in the VM netns)  e, g: group "blue"   f: none
#   shared, IPv6-only (no IPv4 range)  o   booted without ip=; publishes
#                                            8081 -> 80 (IPv6 only)
#
#   every guest: its address is the result's, its default route is the
#   router's link-local address, its IPv6 MTU the network's, it pings its
#   gateway over IPv6 and reaches an IPv6 server on the wan, which sees the
#   host's own uplink address (NAT66); e and g reach each other, f neither;
#   b's page over IPv6 from the wan, from the host and from a (hairpin); o
#   has no IPv4 at all and its page is reached over IPv6 from the wan.
#
# The host's uplink is configured by router advertisements (wan6_setup):
# turning IPv6 forwarding on must not cost it its default route.
#
#   tests/integ/t_vm6.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2016 # diagnostics quote values
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/vm/vmlib.sh
. "$LIB_ROOT/tests/vm/vmlib.sh"

need_root
need_cmds jq socat nft ss nsenter busybox qemu-system-x86_64 cpio gzip xz modprobe dhcpcd radvd
need_bins "$VMNET" "$B/vmnet-ipam" "$B/netd"
world_init

vm_suite_init

host_ns
wan6_setup uplink6 2001:db8:6::
WAN6_IP=2001:db8:6::1
WAN6_PORT=7006
ip netns exec "$WAN6_NS" socat "TCP6-LISTEN:$WAN6_PORT,bind=[$WAN6_IP],reuseaddr,fork" \
	'SYSTEM:echo $SOCAT_PEERADDR' </dev/null >/dev/null 2>"$W_TMP/wan6.err" &
track_pid $!
wait_listen "$WAN6_NS" tcp "$WAN6_PORT" >/dev/null || bail "wan6 server: $(cat "$W_TMP/wan6.err")"

# The host's own address on the uplink (SLAAC from the wan's RAs): what the
# wan sees of masqueraded guests, and where ports are published.
host6() {
	ip -n "$HOST_NS" -6 addr show dev uplink6 scope global -tentative 2>/dev/null |
		awk '$1 == "inet6" { sub("/.*", "", $2); print $2; exit }'
}
for i in $(seq 100); do
	HOST6=$(host6)
	[ -n "$HOST6" ] && [ -n "$(default6 "$HOST_NS" uplink6)" ] && break
	sleep 0.1
done
[ -n "$HOST6" ] || bail "the host's uplink got no address from the wan's RAs"

MTU=1400
HELLO="hello from a vmnet guest"
declare -A RES NS IP6 GW6 LINK

# ---------------------------------------------------------------- netd

NETD_SOCK=$W_TMP/netd.sock
mkdir -p "$W_TMP/state"
ip netns exec "$HOST_NS" "$B/netd" --state-dir "$W_TMP/state" --socket "$NETD_SOCK" --cni-path "$B" \
	</dev/null >"$W_TMP/netd.log" 2>&1 &
NETD_PID=$!
track_pid $NETD_PID
for i in $(seq 50); do
	[ -S "$NETD_SOCK" ] && break
	alive $NETD_PID || break
	sleep 0.1
done
[ -S "$NETD_SOCK" ] || bail "netd did not come up: $(tail -n 3 "$W_TMP/netd.log")"
ok "netd runs in the host namespace"

# ---------------------------------------------------------------- networks

dual() { # NAME BRIDGE OCTET JQ IPV6_PREFIX_LEN
	conf_shared "$1" "$2" "10.93.$3.0/24" "10.93.$3.1" \
		".mtu = $MTU | .ipam.ranges = [[{subnet: \"10.93.$3.0/24\"}], [{subnet: \"fd93:$3::/$5\"}]] | $4"
}
conf_s=$(dual vm6-shared vmbr-6s 1 '.capabilities = {portMappings: true}' 64)
conf_h=$(dual vm6-host vmbr-6h 2 '.tap = "host"' 64)
conf_i=$(dual vm6-iso unused 3 '.mode = "isolated" | del(.bridge) | .ipam.blockSize = 30' 56)
conf_b=$(jq -c '.runtimeConfig = {portMappings: [{hostPort: 8080, containerPort: 80, protocol: "tcp"}]}' \
	<<<"$conf_s")
conf_o=$(dual vm6-only vmbr-6o 4 '.capabilities = {portMappings: true} | .ipam.ranges = [.ipam.ranges[1]] |
	.runtimeConfig = {portMappings: [{hostPort: 8081, containerPort: 80, protocol: "tcp"}]}' 64)

# add VM CONF [CNI_ARGS]
add() {
	local v=$1
	vm_ns "vm-$v"
	NS[$v]=$REPLY
	if ! plugin ADD id="${P}vm-$v" ns="${NS[$v]}" conf="$2" args="${3:-}"; then
		not_ok "ADD $v" "$(cni_report)"
		return 1
	fi
	RES[$v]=$CNI_OUT
	IP6[$v]=$(jq -r '[.ips[] | select(.address | contains(":"))][0].address // empty' <<<"$CNI_OUT")
	GW6[$v]=$(jq -r '[.ips[] | select(.address | contains(":"))][0].gateway // empty' <<<"$CNI_OUT")
	if [ -n "${IP6[$v]}" ] && [ -n "${GW6[$v]}" ]; then
		ok "ADD $v: ${IP6[$v]} via ${GW6[$v]}"
	else
		not_ok "ADD $v: the result has an IPv6 address with its gateway" "$CNI_OUT"
		return 1
	fi
}
add a "$conf_s" || t_done
add b "$conf_b" || t_done
add c "$conf_h" || t_done
add e "$conf_i" "IgnoreUnknown=1;VMNET_GROUP=blue" || t_done
add f "$conf_i" || t_done
add g "$conf_i" "IgnoreUnknown=1;VMNET_GROUP=blue" || t_done
add o "$conf_o" || t_done
t_eq "o (IPv6-only): the result has no IPv4 address" \
	"$(jq -c '[.ips[] | select(.address | contains(":") | not)]' <<<"${RES[o]}")" "[]"
t_eq "isolated guests get a /64 each" "${IP6[e]#*/} ${IP6[f]#*/} ${IP6[g]#*/}" "64 64 64"

def=$(default6 "$HOST_NS" uplink6)
t_eq "the host keeps its RA-learned default route with forwarding on" "$def" "$WAN6_LL"
t_eq "IPv6 forwarding is on in the host namespace" \
	"$(ip netns exec "$HOST_NS" cat /proc/sys/net/ipv6/conf/all/forwarding)" 1
t_eq "the RA-configured uplink accepts RAs while forwarding (accept_ra=2)" \
	"$(ip netns exec "$HOST_NS" cat /proc/sys/net/ipv6/conf/uplink6/accept_ra)" 2

# The router each guest must learn: the link-local address of the bridge or
# of its own host link.
for v in a b; do LINK[$v]=vmbr-6s; done
LINK[c]=vmbr-6h
LINK[o]=vmbr-6o
for v in e f g; do
	LINK[$v]=$(jq -r '.interfaces[] | select(.name | startswith("vm")) | select((.sandbox // "") == "") | .name' \
		<<<"${RES[$v]}" | head -n 1)
done

# ---------------------------------------------------------------- boot

boot() {
	local v=$1
	# o has no IPv4: no ip=, IPv6 from netd alone
	if [ "$v" = o ]; then
		vm_boot "$v" "${RES[$v]}" "${NS[$v]}" "" "vm.ip6=dhcp"
		return
	fi
	vm_boot "$v" "${RES[$v]}" "${NS[$v]}" "" \
		"ip=dhcp vm.fallback=$(vm_ip_arg "${RES[$v]}" "vm-$v" | cut -d= -f2) vm.ip6=dhcp"
}
ALL="a b c e f g o"
T_BOOT=$(vm_now)
for v in $ALL; do boot "$v"; done
# shellcheck disable=SC2317 # vm_wait_all calls it
netd_tail() { tail -n 20 "$W_TMP/netd.log"; }
vm_wait_all 150 "boots to network-ready with IPv6" netd_tail

for v in $ALL; do
	vm_up "$v" || continue
	# DHCPv6 leases are /128s; the prefix is on-link by the RA.
	t_eq "$v took the result's IPv6 address by DHCPv6 from netd" \
		"$(vm_field "$v" via6) $(vm_field "$v" ip6 | cut -d/ -f1)" "dhcp6 ${IP6[$v]%/*}"
	t_eq "$v's IPv6 default route is the router's link-local address (netd's RA)" \
		"$(vm_field "$v" gw6)" "$(link_local "$HOST_NS" "${LINK[$v]}")"
	t_eq "$v's IPv6 MTU is the network's (the RA's MTU option)" "$(vm_field "$v" mtu6)" "$MTU"
done
vm_up o && t_eq "o (IPv6-only) has no IPv4 address" "$(vm_field o via) $(vm_field o ip)" "none none"

# ---------------------------------------------------------------- checks

# expand6 ADDR: ADDR written out in full, as socat's SOCAT_PEERADDR has it.
expand6() {
	local a=$1 p out='' i n
	local -a h=() t=() parts
	if [[ $a == *::* ]]; then
		[ -n "${a%%::*}" ] && IFS=: read -ra h <<<"${a%%::*}"
		[ -n "${a##*::}" ] && IFS=: read -ra t <<<"${a##*::}"
		n=$((8 - ${#h[@]} - ${#t[@]}))
		parts=("${h[@]}")
		for ((i = 0; i < n; i++)); do parts+=(0); done
		parts+=("${t[@]}")
	else
		IFS=: read -ra parts <<<"$a"
	fi
	for p in "${parts[@]}"; do out+=$(printf '%04x:' $((16#$p))); done
	echo "${out%:}"
}
wan6_cmd() {
	echo "sh -c 's=\$(nc -w 5 $WAN6_IP $WAN6_PORT </dev/null); echo \"wan saw \$s\"; [ \"\$s\" = [$(expand6 "$HOST6")] ]'"
}

a6() { echo "${IP6[$1]%/*}"; }
for v in $ALL; do vm_check "$v" gw6 "pings its gateway ${GW6[$v]} over IPv6" "$(vm_ping_cmd "${GW6[$v]}")"; done
vm_check a peer6 "pings b ($(a6 b)) across the bridge over IPv6" "$(vm_ping_cmd "$(a6 b)")"
vm_check b peer6 "pings a ($(a6 a)) across the bridge over IPv6" "$(vm_ping_cmd "$(a6 a)")"
vm_check e peer6 "pings g ($(a6 g)) over IPv6, same group" "$(vm_ping_cmd "$(a6 g)")"
vm_check g peer6 "pings e ($(a6 e)) over IPv6, same group" "$(vm_ping_cmd "$(a6 e)")"
for v in a c e f o; do
	vm_check "$v" wan6 "reaches the IPv6 wan server, which sees the host's $HOST6 (NAT66)" "$(wan6_cmd)"
done
for v in b o; do
	vm_check "$v" httpd "serves HTTP on port 80" \
		"httpd -p 80 -h /www && retry 20 sh -c 'netstat -ltn | grep -q \":80 \"'"
done
vm_collect

vm_check e nopeer6 "cannot ping f ($(a6 f)) over IPv6: isolated, no common group" "$(vm_noping_cmd "$(a6 f)")"
vm_check f nopeer6 "cannot ping e ($(a6 e)) over IPv6: isolated, no common group" "$(vm_noping_cmd "$(a6 e)")"
vm_check a hairpin6 "gets b's page through the published port [$HOST6]:8080 (hairpin)" \
	"sh -c '[ \"\$(wget -qO- http://[$HOST6]:8080/)\" = \"$HELLO\" ]'"
got=$(ip netns exec "$WAN6_NS" timeout 10 busybox wget -qO- "http://[$HOST6]:8080/" 2>&1)
t_eq "a wan client gets b's page through the published port [$HOST6]:8080 -> 80" "$got" "$HELLO"
got=$(ip netns exec "$HOST_NS" timeout 10 busybox wget -qO- "http://[$HOST6]:8080/" 2>&1)
t_eq "a client on the host gets b's page through [$HOST6]:8080" "$got" "$HELLO"
got=$(ip netns exec "$WAN6_NS" timeout 10 busybox wget -qO- "http://[$HOST6]:8081/" 2>&1)
t_eq "a wan client gets o's (IPv6-only) page through [$HOST6]:8081 -> 80" "$got" "$HELLO"
vm_collect

# netd puts vmnet's IPv6 rules back after the administrator's `nft flush
# ruleset` (nftables.service's own reload does that): within a few seconds
# the IPv6 paths work again.
hnft flush ruleset
for i in $(seq 50); do
	nft_has_elem guests6 "$(a6 a)" && break
	sleep 0.1
done
t_ok "after nft flush ruleset, netd restores the IPv6 sets (a's $(a6 a) in guests6)" nft_has_elem guests6 "$(a6 a)"
vm_check a peer6b "pings b over IPv6 again after the restore" "$(vm_ping_cmd "$(a6 b)")"
vm_check e wan6b "reaches the IPv6 wan server masqueraded again after the restore" "$(wan6_cmd)"
vm_check f nopeer6b "cannot ping e over IPv6 after the restore either" "$(vm_noping_cmd "$(a6 e)")"
vm_collect

for v in $ALL; do vm_kill "$v"; done
for v in $ALL; do
	plugin DEL id="${P}vm-$v" ns="${NS[$v]}" conf="$(case $v in a) echo "$conf_s" ;; b) echo "$conf_b" ;;
		c) echo "$conf_h" ;; o) echo "$conf_o" ;; *) echo "$conf_i" ;; esac)" ||
		not_ok "DEL $v" "$(cni_report)"
done
t_eq "no IPv6 address of the guests' networks is left in the host namespace" \
	"$(ip -n "$HOST_NS" -6 addr show | grep -c 'fd93:')" 0
diag "t_vm6 total $(vm_since "$T_START") s"
t_done
