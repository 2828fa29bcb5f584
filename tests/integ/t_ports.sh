#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Published ports (issue 4) end to end: real TCP and UDP through
# runtimeConfig.portMappings from the wan, from the host namespace, from
# 127.0.0.1 (localhostPorts on and off) and hairpin from a VM to its own and
# to another VM's port, in shared and isolated mode with both wirings;
# hostIP; conflicts (102) and invalid ports (7) without leftovers; UDP
# conntrack after the VM behind a port is replaced; CHECK of the port
# elements; DEL with the netns gone.
#
#   tests/integ/t_ports.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

guest_world wan

HOST2=203.0.113.2 # a second host address, for hostIP
ip -n "$HOST_NS" addr add "$HOST2/24" dev wan0


# with_ports CONF JSON_ARRAY: CONF with runtimeConfig.portMappings set.
with_ports() {
	jq -c --argjson p "$2" '.runtimeConfig.portMappings = $p' <<<"$1"
}

# pm PROTO HOSTPORT [CONTAINERPORT [HOSTIP]]: one mapping as JSON.
pm() {
	jq -cn --arg p "$1" --argjson h "$2" --argjson c "${3:-80}" --arg ip "${4:-}" \
		'{hostPort: $h, containerPort: $c, protocol: $p} + (if $ip != "" then {hostIP: $ip} else {} end)'
}

vm_up() { guest_up "$@"; }
get() { net_get "$@"; }

# t_get NAME NS PROTO IP PORT WANT: the answer is WANT.
t_get() {
	local name=$1
	shift
	t_eq "$name" "$(get "$1" "$2" "$3" "$4")" "$5"
}

# t_noget NAME NS PROTO IP PORT: no answer.
t_noget() {
	local got
	got=$(get "$2" "$3" "$4" "$5")
	if [ -z "$got" ]; then ok "$1"; else not_ok "$1" "got an answer: '$got'"; fi
}

# attachments_now: vmnet devices, records, IPAM files, nft port elements.
attachments_now() {
	ip -n "$HOST_NS" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep -E '^vm[vt]' | sort
	find "$W_TMP/state" "$W_TMP/ipam" -type f ! -name lock ! -name 'last_reserved_ip*' 2>/dev/null | sort
	hnft list map inet vmnet ports4 2>/dev/null | grep -v '^\s*\(type\|map\|}\|table\)'
	hnft list map inet vmnet ports4h 2>/dev/null | grep -v '^\s*\(type\|map\|}\|table\)'
}

# map_has MAP PORT: an element of MAP has host port PORT.
map_has() {
	hnft list map inet vmnet "$1" 2>/dev/null | grep -qE "\. $2 : "
}

# ---------------------------------------------------------------- paths

combo() {
	local mode=$1 w=$2 k=$3
	local t="[$mode $w]" net=p$k sub=10.60.$k.0/24 p1=$((8000 + 10 * k)) p2=$((8001 + 10 * k))
	local p3=$((8002 + 10 * k)) conf conf1 conf2 conf3 ns1 ns2 ns3 r1 r2 r3 n1=$mode-$w-1 n2=$mode-$w-2 n3=$mode-$w-3

	conf=$(conf_net "$mode" "$w" "$net" "$sub" '.localhostPorts = true')
	conf1=$(with_ports "$conf" "[$(pm tcp $p1), $(pm udp $p1)]")
	conf2=$(with_ports "$conf" "[$(pm tcp $p2), $(pm udp $p2)]")
	conf3=$(with_ports "$(conf_net "$mode" "$w" "q$k" "10.61.$k.0/24")" "[$(pm tcp $p3), $(pm udp $p3)]")
	vm_ns "$n1" && ns1=$REPLY
	vm_ns "$n2" && ns2=$REPLY
	vm_ns "$n3" && ns3=$REPLY
	t_plugin "$t ADD vm1 publishing tcp+udp $p1" ADD id="$P$n1" ns="$ns1" conf="$conf1" || return
	r1=$CNI_OUT
	t_plugin "$t ADD vm2 publishing tcp+udp $p2" ADD id="$P$n2" ns="$ns2" conf="$conf2" || return
	r2=$CNI_OUT
	t_plugin "$t ADD vm3 (localhostPorts off) publishing $p3" ADD id="$P$n3" ns="$ns3" conf="$conf3" || return
	r3=$CNI_OUT
	t_ok "$t guest stand-in vm1" vm_up "$n1" "$r1" "$ns1"
	t_ok "$t guest stand-in vm2" vm_up "$n2" "$r2" "$ns2"
	t_ok "$t guest stand-in vm3" vm_up "$n3" "$r3" "$ns3"
	t_ok "$t ports4 has tcp $p1" map_has ports4 "$p1"

	local proto
	for proto in tcp udp; do
		t_get "$t $proto from wan to $WAN_HOST_IP:$p1 reaches vm1" "$WAN_NS" $proto "$WAN_HOST_IP" $p1 "$proto-$n1"
		t_get "$t $proto from wan to $WAN_HOST_IP:$p2 reaches vm2" "$WAN_NS" $proto "$WAN_HOST_IP" $p2 "$proto-$n2"
		t_get "$t $proto from the host to its own $WAN_HOST_IP:$p1 reaches vm1" "$HOST_NS" $proto "$WAN_HOST_IP" $p1 "$proto-$n1"
		t_get "$t $proto from the host to 127.0.0.1:$p1 (localhostPorts) reaches vm1" "$HOST_NS" $proto 127.0.0.1 $p1 "$proto-$n1"
		t_get "$t $proto hairpin: vm1 to its own port $WAN_HOST_IP:$p1" "${G_NS[$n1]}" $proto "$WAN_HOST_IP" $p1 "$proto-$n1"
		t_get "$t $proto hairpin: vm1 to vm2's port $WAN_HOST_IP:$p2" "${G_NS[$n1]}" $proto "$WAN_HOST_IP" $p2 "$proto-$n2"
		t_get "$t $proto from wan to $WAN_HOST_IP:$p3 reaches vm3" "$WAN_NS" $proto "$WAN_HOST_IP" $p3 "$proto-$n3"
		t_noget "$t $proto from the host to 127.0.0.1:$p3 (localhostPorts off): no answer" "$HOST_NS" $proto 127.0.0.1 $p3
	done
	t_eq "$t vm1 still reaches the wan (masquerade)" "$(guest_wan "$n1")" "$WAN_HOST_IP"

	t_plugin "$t CHECK vm1" CHECK id="$P$n1" ns="$ns1" conf="$(with_prev "$conf1" "$r1")"
	t_plugin "$t DEL vm1" DEL id="$P$n1" ns="$ns1" conf="$conf1"
	t_plugin "$t DEL vm2" DEL id="$P$n2" ns="$ns2" conf="$conf2"
	t_plugin "$t DEL vm3" DEL id="$P$n3" ns="$ns3" conf="$conf3"
	t_fail "$t ports4 no longer has $p1" map_has ports4 "$p1"
	t_noget "$t after DEL, wan to $WAN_HOST_IP:$p1 gets no answer" "$WAN_NS" tcp "$WAN_HOST_IP" $p1
	guest_stop "$n1"
	guest_stop "$n2"
	guest_stop "$n3"
}

# ---------------------------------------------------------------- hostIP, conflicts, invalid

suite_hostip_conflict() {
	local t="[hostIP/conflict]" conf ca cb cc ns_a ns_b ns_c ra rb snap bad name spec
	conf=$(conf_net shared netns hc 10.62.0.0/24)
	ca=$(with_ports "$conf" "[$(pm tcp 8500 80 "$WAN_HOST_IP"), $(pm tcp 8600)]")
	cb=$(with_ports "$conf" "[$(pm tcp 8500 80 "$HOST2")]")
	vm_ns hc-a && ns_a=$REPLY
	vm_ns hc-b && ns_b=$REPLY
	t_plugin "$t ADD a: tcp 8500 on $WAN_HOST_IP, tcp 8600 everywhere" ADD id="${P}hc-a" ns="$ns_a" conf="$ca" || return
	ra=$CNI_OUT
	t_plugin "$t ADD b: tcp 8500 on $HOST2 (another address: no conflict)" ADD id="${P}hc-b" ns="$ns_b" conf="$cb"
	rb=$CNI_OUT
	t_ok "$t guest stand-in a" vm_up hc-a "$ra" "$ns_a"
	t_ok "$t guest stand-in b" vm_up hc-b "$rb" "$ns_b"
	t_ok "$t ports4h has 8500" map_has ports4h 8500
	t_get "$t wan to $WAN_HOST_IP:8500 reaches a" "$WAN_NS" tcp "$WAN_HOST_IP" 8500 tcp-hc-a
	t_get "$t wan to $HOST2:8500 reaches b" "$WAN_NS" tcp "$HOST2" 8500 tcp-hc-b
	t_get "$t wan to $HOST2:8600 (no hostIP) reaches a" "$WAN_NS" tcp "$HOST2" 8600 tcp-hc-a
	t_plugin "$t DEL b" DEL id="${P}hc-b" ns="$ns_b" conf="$cb"
	guest_stop hc-b
	t_noget "$t a's mapping bound to $WAN_HOST_IP does not answer on $HOST2:8500" "$WAN_NS" tcp "$HOST2" 8500
	t_get "$t ... but still on $WAN_HOST_IP:8500" "$WAN_NS" tcp "$WAN_HOST_IP" 8500 tcp-hc-a

	# Conflict: c asks for tcp 8600 (a has it) → 102, nothing of c left.
	snap=$(attachments_now)
	vm_ns hc-c && ns_c=$REPLY
	cc=$(with_ports "$conf" "[$(pm udp 8601), $(pm tcp 8600)]")
	CNI_DETAILS=8600 t_plugin_code "$t ADD c asking for tcp 8600 again: 102" 102 \
		ADD id="${P}hc-c" ns="$ns_c" conf="$cc"
	t_eq "$t the refused ADD left no device, record, IPAM file or map element" "$(attachments_now)" "$snap"
	t_fail "$t the refused ADD left nothing in its VM netns" \
		sh -c "ip -n $ns_c -o link show | grep -v ': lo:' | grep -q ."
	t_fail "$t no udp 8601 element from the refused ADD" map_has ports4 8601
	t_get "$t a still answers on tcp 8600" "$WAN_NS" tcp "$WAN_HOST_IP" 8600 tcp-hc-a
	t_plugin "$t CHECK a after the refused ADD" CHECK id="${P}hc-a" ns="$ns_a" conf="$(with_prev "$ca" "$ra")"

	# Invalid ports: code 7, nothing left.
	for spec in 'hostPort 0|{"hostPort":0,"containerPort":80,"protocol":"tcp"}' \
		'hostPort 70000|{"hostPort":70000,"containerPort":80,"protocol":"tcp"}' \
		'containerPort 70000|{"hostPort":8700,"containerPort":70000,"protocol":"tcp"}' \
		'protocol icmp|{"hostPort":8701,"containerPort":80,"protocol":"icmp"}'; do
		name=${spec%%|*} bad=${spec#*|}
		snap=$(attachments_now)
		CNI_DETAILS='portMappings' t_plugin_code "$t $name: code 7" 7 ADD id="${P}hc-c" \
			ns="$ns_c" conf="$(with_ports "$conf" "[$bad]")"
		t_eq "$t $name: nothing left" "$(attachments_now)" "$snap"
	done
	t_fail "$t VM netns of the invalid ADDs still empty" \
		sh -c "ip -n $ns_c -o link show | grep -v ': lo:' | grep -q ."

	t_plugin "$t DEL a" DEL id="${P}hc-a" ns="$ns_a" conf="$ca"
	guest_stop hc-a
}

# ---------------------------------------------------------------- UDP conntrack

# rx_wait FILE: wait (up to 3 s) for the client's stream (a datagram every
# 0.2 s) to show up in FILE.
rx_wait() {
	for _ in $(seq 30); do
		grep -q ping "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

suite_conntrack() {
	local t="[udp conntrack]" conf c1 c2 ns1 ns2 r1 r2 ip1 pid
	conf=$(conf_net shared netns ct 10.63.0.0/24)
	c1=$(with_ports "$conf" "[$(pm udp 8800 90)]")
	vm_ns ct-1 && ns1=$REPLY
	vm_ns ct-2 && ns2=$REPLY
	t_plugin "$t ADD vm1 publishing udp 8800" ADD id="${P}ct-1" ns="$ns1" conf="$c1" || return
	r1=$CNI_OUT
	ip1=$(guest_ip "$r1")
	t_ok "$t guest stand-in vm1" vm_up ct-1 "$r1" "$ns1"
	ip netns exec "${G_NS[ct-1]}" socat -u UDP-RECV:90 "OPEN:$W_TMP/ct-1.rx,creat,append" </dev/null >/dev/null 2>&1 &
	track_pid $!
	wait_listen "${G_NS[ct-1]}" udp 90
	# The client: one datagram every 0.2 s, always from 203.0.113.10:40000.
	ip netns exec "$WAN_NS" bash -c "while :; do echo ping | socat -u - UDP:$WAN_HOST_IP:8800,sourceport=40000,reuseaddr 2>/dev/null; sleep 0.2; done" \
		</dev/null >/dev/null 2>&1 &
	pid=$!
	track_pid $pid
	rx_wait "$W_TMP/ct-1.rx"
	t_ok "$t vm1 receives the client's datagrams" grep -q ping "$W_TMP/ct-1.rx"
	t_ok "$t the flow put vm1 ($ip1) in reached4" nft_has_elem reached4 "$ip1"

	VMNET_LOG_LEVEL=debug t_plugin "$t DEL vm1" DEL id="${P}ct-1" ns="$ns1" conf="$c1"
	t_match "$t DEL vm1 flushed its conntrack entries" "$CNI_ERR" \
		"guest ${ip1//./\\.}: flushed by the kernel's filter"
	t_fail "$t vm1 left reached4" nft_has_elem reached4 "$ip1"
	t_eq "$t no conntrack entry answers from vm1's address" \
		"$(ip netns exec "$HOST_NS" conntrack -L --reply-src "$ip1" 2>/dev/null | grep -c .)" 0
	guest_stop ct-1
	sleep 1 # the client keeps sending: its conntrack entry stays alive
	diag "conntrack before the new ADD: $(ip netns exec "$HOST_NS" conntrack -L -p udp --orig-port-src 40000 2>/dev/null)"
	# vm2 gets another address, so a stale entry would point elsewhere.
	c2=$(with_ports "$conf" "[$(pm udp 8800 90)]")
	t_plugin "$t ADD vm2 with the same mapping" ADD id="${P}ct-2" \
		ns="$ns2" conf="$c2" args="IgnoreUnknown=1;IP=10.63.0.77"
	r2=$CNI_OUT
	t_ok "$t vm2 has another address than vm1 ($ip1)" test "$(guest_ip "$r2")" != "$ip1" -a -n "$(guest_ip "$r2")"
	t_ok "$t guest stand-in vm2" vm_up ct-2 "$r2" "$ns2"
	ip netns exec "${G_NS[ct-2]}" socat -u UDP-RECV:90 "OPEN:$W_TMP/ct-2.rx,creat,append" </dev/null >/dev/null 2>&1 &
	track_pid $!
	wait_listen "${G_NS[ct-2]}" udp 90
	rx_wait "$W_TMP/ct-2.rx"
	t_ok "$t the same client flow (sport 40000) now reaches vm2" grep -q ping "$W_TMP/ct-2.rx"
	kill_pid "$pid"
	t_plugin "$t DEL vm2" DEL id="${P}ct-2" ns="$ns2" conf="$c2"
	guest_stop ct-2

	# No flow ever reached vm3's published port: its DEL does not walk the
	# kernel's conntrack table (~0.4 ms).
	t_plugin "$t ADD vm3 publishing udp 8800, no client" ADD id="${P}ct-3" ns="$ns2" conf="$c2" || return
	ip1=$(guest_ip "$CNI_OUT")
	t_fail "$t vm3 ($ip1) is not in reached4" nft_has_elem reached4 "$ip1"
	VMNET_LOG_LEVEL=debug t_plugin "$t DEL vm3" DEL id="${P}ct-3" ns="$ns2" conf="$c2"
	t_match "$t DEL vm3 leaves conntrack alone" "$CNI_ERR" \
		"guest ${ip1//./\\.}: no flow went to it, nothing to flush"

	# A flow to a guest without published ports (the host's own here) is
	# flushed too: the next owner of the address must not get it.
	t_plugin "$t ADD vm4 without ports" ADD id="${P}ct-4" ns="$ns2" conf="$conf" || return
	ip1=$(guest_ip "$CNI_OUT")
	ip netns exec "$HOST_NS" bash -c "echo x >/dev/udp/$ip1/9" 2>/dev/null
	t_ok "$t the host's datagram put vm4 ($ip1) in reached4" nft_has_elem reached4 "$ip1"
	VMNET_LOG_LEVEL=debug t_plugin "$t DEL vm4" DEL id="${P}ct-4" ns="$ns2" conf="$conf"
	t_match "$t DEL vm4 flushed its conntrack entries" "$CNI_ERR" \
		"guest ${ip1//./\\.}: flushed by the kernel's filter"
	t_eq "$t no conntrack entry answers from vm4's address" \
		"$(ip netns exec "$HOST_NS" conntrack -L --reply-src "$ip1" 2>/dev/null | grep -c .)" 0
}

# ---------------------------------------------------------------- CHECK and DEL

suite_check_del() {
	local t="[check/del]" conf c1 c2 ns1 ns2 r1 r2 w
	for w in netns host; do
		conf=$(conf_net isolated "$w" "cd$w" "10.64.$([ $w = netns ] && echo 1 || echo 2).0/24")
		c1=$(with_ports "$conf" "[$(pm tcp 8080), $(pm udp 8080)]")
		c2=$(with_ports "$conf" "[$(pm tcp 8090), $(pm tcp 8091 80 "$WAN_HOST_IP")]")
		vm_ns "cd$w-1" && ns1=$REPLY
		vm_ns "cd$w-2" && ns2=$REPLY
		t_plugin "$t [$w] ADD vm1 with tcp+udp 8080" ADD id="${P}cd$w-1" ns="$ns1" conf="$c1" || continue
		r1=$CNI_OUT
		t_plugin "$t [$w] CHECK vm1" CHECK id="${P}cd$w-1" ns="$ns1" conf="$(with_prev "$c1" "$r1")"
		t_ok "$t [$w] delete element ports4 { tcp . 8080 } by hand" \
			hnft delete element inet vmnet ports4 '{ tcp . 8080 }'
		CNI_DETAILS='ports4|8080' t_plugin_code "$t [$w] CHECK vm1 without its tcp 8080 element: 110" 110 \
			CHECK id="${P}cd$w-1" ns="$ns1" conf="$(with_prev "$c1" "$r1")"
		t_plugin "$t [$w] DEL vm1" DEL id="${P}cd$w-1" ns="$ns1" conf="$c1"
		t_fail "$t [$w] udp 8080 element gone" map_has ports4 8080

		t_plugin "$t [$w] ADD vm2 with tcp 8090 and tcp 8091 on $WAN_HOST_IP" ADD id="${P}cd$w-2" ns="$ns2" conf="$c2" || continue
		r2=$CNI_OUT
		t_ok "$t [$w] ports4 has 8090" map_has ports4 8090
		t_ok "$t [$w] ports4h has 8091" map_has ports4h 8091
		t_ok "$t [$w] delete vm2's netns" ns_del "$ns2"
		t_plugin "$t [$w] DEL vm2 with its netns gone" DEL id="${P}cd$w-2" ns="$ns2" conf="$c2"
		t_fail "$t [$w] ports4 no longer has 8090" map_has ports4 8090
		t_fail "$t [$w] ports4h no longer has 8091" map_has ports4h 8091
		t_plugin "$t [$w] DEL vm2 again" DEL id="${P}cd$w-2" conf="$c2"
	done
}

each_mode combo
suite_hostip_conflict
suite_conntrack
suite_check_del

t_done
