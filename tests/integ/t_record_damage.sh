#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# A record cut short (a crash of the filesystem, a full disk) does not make
# DEL leave the attachment's nftables elements behind: DEL takes the
# address the damaged record still shows (only one no readable record
# holds) and removes what points at it and at the attachment's devices,
# the published port's DNAT included. The next VM given that address then
# receives none of the old VM's published-port traffic, and the port can be
# published again. An empty record names no address: DEL learns it from the
# elements keyed by the attachment's device. And an ADD given an address no
# record holds first clears what still points at it (a mapping planted by
# hand stands for one a lost record left), and nothing else. Both wirings.
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

# get_port [P]: what the outside gets from the host's published port P (PORT).
get_port() {
	ip netns exec "$WAN_NS" timeout 5 socat -T2 - \
		"TCP:$WAN_HOST_IP:${1:-$PORT},connect-timeout=2" </dev/null 2>/dev/null
}

# vm NAME VMNS CONF [CNI_ARGS]: ADD, then a guest answering "tcp-NAME" on 80.
vm() {
	plugin ADD id="$1" ns="$2" conf="$3" args="${4:-}" || { cni_report; return 1; }
	RES=$CNI_OUT
	guest_attach "$1" "$RES" "$2" || return 1
	ip netns exec "${G_NS[$1]}" socat TCP-LISTEN:80,reuseaddr,fork "SYSTEM:echo tcp-$1" \
		</dev/null >/dev/null 2>&1 &
	track_pid $!
	guest_ping "$1" "${G_GW[$1]}" 5 >/dev/null
}

# dev_elems: elements of bridge vmnet's ports (one per attached device).
dev_elems() {
	ip netns exec "$HOST_NS" nft -j list set bridge vmnet ports |
		jq '[.nftables[].set.elem // empty | .[]] | length'
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
	t_plugin "[$tap] DEL of a (no prevResult)" DEL id="a$n" ns="$A" conf="$pub"
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
	t_plugin "[$tap] DEL of b" DEL id="b$n" ns="$Bns" conf="$base"
	t_plugin "[$tap] DEL of c" DEL id="c$n" ns="$Cns" conf="$pub"

	# An empty record (truncated to nothing), DEL without prevResult or
	# portMappings.
	vm_ns "e$n"
	E=$REPLY
	t_ok "[$tap] VM e publishes tcp/$PORT" vm "e$n" "$E" "$pub"
	EADDR=$(json_get "$RES" '.ips[0].address' | cut -d/ -f1)
	t_eq "[$tap] the outside reaches e through tcp/$PORT" "$(get_port)" "tcp-e$n"
	t_eq "[$tap] e's device is a bridge port of ours" "$(dev_elems)" "1"
	rec=$(record_path "$net" "e$n" eth0)
	truncate -s 0 "$rec"
	guest_stop "e$n"
	t_plugin "[$tap] DEL of e, empty record" DEL id="e$n" ns="$E" conf="$base"
	t_eq "[$tap] no element names $EADDR" "$(elems "$EADDR" | tr '\n' ' ')" "0 0 "
	t_eq "[$tap] no element names e's device" "$(dev_elems)" "0"
	t_fail "[$tap] e's DNAT is gone" sh -c \
		"ip netns exec $HOST_NS nft list map inet vmnet ports4 | grep -q ' $PORT :'"
	t_fail "[$tap] e's record is gone" test -e "$rec"
	vm_ns "f$n"
	Fns=$REPLY
	t_ok "[$tap] VM f publishes tcp/$PORT again" vm "f$n" "$Fns" "$pub"
	t_eq "[$tap] the outside reaches f through tcp/$PORT" "$(get_port)" "tcp-f$n"
	guest_stop "f$n"
	t_plugin "[$tap] DEL of f" DEL id="f$n" ns="$Fns" conf="$pub"

	# Stale elements no record names, as a lost record leaves them (an
	# attachment's elements come and go in one batch, so its address is
	# in guests4 too): a mapping to the address the next ADD gets, and one
	# to another address (it stays: it is not the ADD's).
	SADDR=10.7$n.0.50
	OADDR=10.7$n.0.51
	t_ok "[$tap] stale elements planted" ip netns exec "$HOST_NS" nft add element inet vmnet \
		ports4 "{ tcp . 8123 : $SADDR . 80, tcp . 8124 : $OADDR . 80 }"
	ip netns exec "$HOST_NS" nft add element inet vmnet guests4 "{ $SADDR }"
	vm_ns "g$n"
	Gns=$REPLY
	t_ok "[$tap] VM g gets $SADDR" vm "g$n" "$Gns" "$base" "IP=$SADDR"
	t_eq "[$tap] the outside gets no answer through the stale tcp/8123" "$(get_port 8123)" ""
	t_fail "[$tap] ports4 no longer maps tcp/8123" sh -c \
		"ip netns exec $HOST_NS nft list map inet vmnet ports4 | grep -q ' 8123 :'"
	t_ok "[$tap] the mapping to $OADDR stays" sh -c \
		"ip netns exec $HOST_NS nft list map inet vmnet ports4 | grep -q ' 8124 : $OADDR'"
	ip netns exec "$HOST_NS" nft delete element inet vmnet ports4 "{ tcp . 8124 }"
	guest_stop "g$n"
	t_plugin "[$tap] DEL of g" DEL id="g$n" ns="$Gns" conf="$base"
done
t_done
