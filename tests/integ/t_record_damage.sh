#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# A record cut short (a crash of the filesystem, a full disk) does not make
# DEL leave the attachment's nftables elements behind: DEL takes the
# address the damaged record still shows (only one no readable record
# holds) and removes what points at it and at the attachment's devices,
# the published port's DNAT included. The next VM given that address then
# receives none of the old VM's published-port traffic, and the port can be
# published again. Both wirings.
#
#   tests/integ/t_record_damage.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq socat nft ss truncate
need_bins "$VMNET" "$B/vmnet-ipam" "$FAKEVM"
world_init
host_ns
wan_setup

PORT=8095

# get_port: what the outside gets from the host's published PORT.
get_port() {
	ip netns exec "$WAN_NS" timeout 5 socat -T2 - "TCP:$WAN_HOST_IP:$PORT,connect-timeout=2" \
		</dev/null 2>/dev/null
}

# vm NAME VMNS CONF [CNI_ARGS]: ADD, then a guest answering "tcp-NAME" on 80.
vm() {
	cni "$HOST_NS" ADD "$1" eth0 "/run/netns/$2" "$3" "${4:-}" || { cni_report; return 1; }
	RES=$CNI_OUT
	guest_attach "$1" "$RES" "$2" || return 1
	ip netns exec "${G_NS[$1]}" socat TCP-LISTEN:80,reuseaddr,fork "SYSTEM:echo tcp-$1" \
		</dev/null >/dev/null 2>&1 &
	track_pid $!
	guest_ping "$1" "${G_GW[$1]}" 5 >/dev/null
}

# elems ADDR: elements of inet vmnet and bridge vmnet that name ADDR.
elems() {
	ip netns exec "$HOST_NS" nft list table inet vmnet 2>/dev/null | grep -c "$1"
	ip netns exec "$HOST_NS" nft list table bridge vmnet 2>/dev/null | grep -c "$1"
}

n=0
for tap in netns host; do
	n=$((n + 1))
	net=dmg$n
	base=$(conf_shared "$net" "vmbrdm$n" "10.7$n.0.0/24" "10.7$n.0.1" \
		".tap = \"$tap\" | .capabilities = {portMappings: true}")
	pub=$(jq -c --argjson p "$PORT" \
		'.runtimeConfig.portMappings = [{hostPort: $p, containerPort: 80, protocol: "tcp"}]' \
		<<<"$base")
	vm_ns "a$n"
	A=$REPLY
	t_ok "[$tap] VM a publishes tcp/$PORT" vm "a$n" "$A" "$pub"
	ADDR=$(json_get "$RES" '.ips[0].address' | cut -d/ -f1)
	t_eq "[$tap] the outside reaches a through tcp/$PORT" "$(get_port)" "tcp-a$n"

	# Cut the record right after its address, as a crash of the
	# filesystem may leave it.
	rec=$(record_path "$net" "a$n" eth0)
	truncate -s "$(grep -m1 -bo '"gateway"' "$rec" | head -n1 | cut -d: -f1)" "$rec"
	t_fail "[$tap] the record no longer parses" jq . "$rec"
	guest_stop "a$n"
	t_cni "[$tap] DEL of a (no prevResult)" "$HOST_NS" DEL "a$n" eth0 "/run/netns/$A" "$pub"
	t_eq "[$tap] no element names $ADDR" "$(elems "$ADDR" | tr '\n' ' ')" "0 0 "
	t_fail "[$tap] the port's DNAT is gone" sh -c \
		"ip netns exec $HOST_NS nft list map inet vmnet ports4 | grep -q ' $PORT :'"
	t_fail "[$tap] the record is gone" test -e "$rec"
	t_fail "[$tap] the reservation is gone" test -e "$(ipam_path "$net" "$ADDR")"

	# The next VM gets that address and publishes nothing.
	vm_ns "b$n"
	Bns=$REPLY
	t_ok "[$tap] VM b gets $ADDR" vm "b$n" "$Bns" "$base" "IP=$ADDR"
	t_eq "[$tap] b has a's address" "$(json_get "$RES" '.ips[0].address' | cut -d/ -f1)" "$ADDR"
	t_eq "[$tap] the outside reaches nothing through tcp/$PORT" "$(get_port)" ""
	vm_ns "c$n"
	Cns=$REPLY
	t_ok "[$tap] VM c publishes tcp/$PORT again" vm "c$n" "$Cns" "$pub"
	t_eq "[$tap] the outside reaches c through tcp/$PORT" "$(get_port)" "tcp-c$n"
	guest_stop "b$n"
	guest_stop "c$n"
	t_cni "[$tap] DEL of b" "$HOST_NS" DEL "b$n" eth0 "/run/netns/$Bns" "$base"
	t_cni "[$tap] DEL of c" "$HOST_NS" DEL "c$n" eth0 "/run/netns/$Cns" "$pub"
done
t_done
