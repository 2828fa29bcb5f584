#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Every rule vmnet installs is printed by the distribution's nft and comes
# back from `nft list ruleset > f; nft flush ruleset; nft -f f` as it was
# (issue 10). Dual-stack attachments of both modes in both wirings, with
# published ports, an isolation group, anti-spoofing (IPv6's packets:
# t_nft6.sh) and clusterCIDRs (ranges of guest . prefix; packets: t_ccidr.sh),
# then:
#   - `nft list ruleset` exits 0 with nothing on stderr;
#   - nft lists as many rules per chain as the kernel holds (build/tools/
#     nftdump reads the kernel by netlink, without nft);
#   - after the round trip the kernel holds the same chains, sets, elements
#     and rule bytecode;
#   - packets prove it, before and after: guest -> wan masquerade, published
#     ports from the wan, isolation groups (same group reaches, other group
#     and shared guests dropped), spoofed sources dropped;
#   - DEL still removes every element.
#
#   tests/integ/t_nftsave.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq socat nft ss python3
need_bins "$VMNET" "$B/vmnet-ipam" "$FAKEVM" "$B/tools/nftdump"
world_init
host_ns
wan_setup

UDP_SINK=9999

# rule_counts: "family chain count" per chain, from nft's JSON listing.
nft_rule_counts() {
	hnft -j list ruleset | jq -r '.nftables[] | select(.rule) | .rule | "\(.family) \(.chain)"' |
		sort | uniq -c | awk '{ print $2, $3, $1 }'
}
# ... and from the kernel's (nftdump: "rule FAMILY TABLE CHAIN ...").
kernel_rule_counts() {
	nft_dump | awk '$1 == "rule" { print $2, $4 }' | sort | uniq -c | awk '{ print $2, $3, $1 }'
}

# spoof NAME FAMILY: the guest sends UDP to the wan from an address not its
# own; the named counter spoof_drop of FAMILY's table must rise.
spoof() {
	local n=$1 before after fake
	fake=${G_IP[$n]%.*}.$(( ${G_IP[$n]##*.} + 100 ))
	before=$(nft_packets "$2" spoof_drop)
	in_guest "$n" ip addr add "$fake/32" dev eth0
	echo spoofed | in_guest "$n" timeout 3 socat -u - "UDP:$WAN_IP:$UDP_SINK,bind=$fake" 2>/dev/null
	sleep 0.3
	in_guest "$n" ip addr del "$fake/32" dev eth0
	after=$(nft_packets "$2" spoof_drop)
	[[ $before =~ ^[0-9]+$ && $after =~ ^[0-9]+$ ]] && [ "$after" -gt "$before" ]
}

declare -A R NS CONF PORT
ip netns exec "$WAN_NS" socat -u "UDP-RECV:$UDP_SINK,bind=$WAN_IP" "OPEN:$W_TMP/sink,creat,append" \
	</dev/null >/dev/null 2>&1 &
track_pid $!

# Per wiring: shared s1 (publishes a port), s2; isolated i1 (publishes a
# port), i2 in group red, i3 in group blue.
attach_all() {
	local w=$1 k=$2 s i n
	# Dual stack, so the IPv6 sets and maps hold elements too; clusterCIDRs
	# of both families, so cluster4 and cluster6 do.
	s=$(conf_net shared "$w" "sv$k" "10.70.$k.0/24" \
		".ipam.ranges = [[{subnet: \"10.70.$k.0/24\"}], [{subnet: \"fd70:$k::/64\"}]] |
		 .clusterCIDRs = [\"10.100.0.0/16\", \"192.0.2.0/25\", \"fd00:100::/48\"]")
	i=$(conf_net isolated "$w" "iv$k" "10.71.$k.0/24" \
		".ipam.ranges = [[{subnet: \"10.71.$k.0/24\"}], [{subnet: \"fd71:$k::/56\"}]] |
		 .clusterCIDRs = [\"fd00:100::/48\"]")
	PORT[$w-s1]=$((8100 + k)) PORT[$w-i1]=$((8200 + k))
	CONF[$w-s1]=$(jq -c --argjson p "${PORT[$w-s1]}" \
		'.runtimeConfig.portMappings = [{hostPort: $p, containerPort: 80, protocol: "tcp"}]' <<<"$s")
	CONF[$w-s2]=$s
	CONF[$w-i1]=$(jq -c --argjson p "${PORT[$w-i1]}" \
		'.runtimeConfig.portMappings = [{hostPort: $p, containerPort: 80, protocol: "tcp"}] |
		 .runtimeConfig.vmnetGroup = "red"' <<<"$i")
	CONF[$w-i2]=$(jq -c '.runtimeConfig.vmnetGroup = "red"' <<<"$i")
	CONF[$w-i3]=$(jq -c '.runtimeConfig.vmnetGroup = "blue"' <<<"$i")
	for n in s1 s2 i1 i2 i3; do
		vm_ns "$w-$n" && NS[$w-$n]=$REPLY
		t_plugin "[$w] ADD $n" ADD id="$P$w-$n" ns="${NS[$w-$n]}" conf="${CONF[$w-$n]}" ||
			return 1
		R[$w-$n]=$CNI_OUT
		t_ok "[$w] guest stand-in $n" guest_up "$w-$n" "${R[$w-$n]}" "${NS[$w-$n]}"
	done
}

# The behaviour that must survive the round trip.
prove() {
	local t="[$1 $2]" w=$2 before
	t_eq "$t shared s1 -> wan is masqueraded" "$(guest_wan "$w-s1")" "$WAN_HOST_IP"
	t_eq "$t isolated i1 -> wan is masqueraded" "$(guest_wan "$w-i1")" "$WAN_HOST_IP"
	t_eq "$t wan -> published port of s1" \
		"$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" "${PORT[$w-s1]}")" "tcp-$w-s1"
	t_eq "$t wan -> published port of i1" \
		"$(net_get "$WAN_NS" tcp "$WAN_HOST_IP" "${PORT[$w-i1]}")" "tcp-$w-i1"
	t_eq "$t s2 -> s1 on the same bridge" "$(net_get "${G_NS[$w-s2]}" tcp "${G_IP[$w-s1]}" 80)" "tcp-$w-s1"
	t_eq "$t i2 -> i1, same group (red)" "$(net_get "${G_NS[$w-i2]}" tcp "${G_IP[$w-i1]}" 80)" "tcp-$w-i1"
	before=$(nft_packets inet iso_drop)
	t_eq "$t i3 (blue) -> i1 (red): nothing" "$(net_get "${G_NS[$w-i3]}" tcp "${G_IP[$w-i1]}" 80)" ""
	t_eq "$t s1 (shared) -> i1: nothing" "$(net_get "${G_NS[$w-s1]}" tcp "${G_IP[$w-i1]}" 80)" ""
	t_rose "$t iso_drop rose" "$before" "$(nft_packets inet iso_drop)"
	t_ok "$t spoofed source from s1: bridge spoof_drop rose" spoof "$w-s1" bridge
	t_ok "$t spoofed source from i1: inet spoof_drop rose" spoof "$w-i1" inet
}

WIRINGS=()
k=1
for w in netns host; do
	case " ${VMNET_WIRING:-netns host} " in *" $w "*) ;; *) continue ;; esac
	attach_all "$w" "$k" || bail "attaching in $w wiring failed"
	WIRINGS+=("$w")
	k=$((k + 1))
done
for w in "${WIRINGS[@]}"; do prove before "$w"; done

hnft list ruleset >"$W_TMP/rules.nft" 2>"$W_TMP/list.err"
t_eq "nft list ruleset exits 0" "$?" 0
t_eq "nft list ruleset writes nothing on stderr" "$(cat "$W_TMP/list.err")" ""
t_match "the isolation group rule is listed whole" "$(cat "$W_TMP/rules.nft")" \
	'oifname \. iifgroup @iso_members accept'
t_match "the IPv6 ND target rule is listed whole" "$(cat "$W_TMP/rules.nft")" \
	'icmpv6 type nd-neighbor-advert @th,64,64 != 0xfe80000000000000 iifname \. @th,64,128 != @nd6'
t_match "the ND target sets are listed as declared" "$(cat "$W_TMP/rules.nft")" \
	'set port_nd6 \{[[:space:]]+typeof iifname \. @th,64,128'
t_match "IPv6 port mappings are listed" "$(cat "$W_TMP/rules.nft")" \
	'tcp \. [0-9]+ : fd70:[0-9]+::[0-9a-f]+ \. 80'
t_match "cluster ranges are listed (guest . prefix)" "$(cat "$W_TMP/rules.nft")" \
	'10\.70\.[0-9]+\.[0-9]+ \. 192\.0\.2\.0/25'
t_match "...of IPv6 too" "$(cat "$W_TMP/rules.nft")" 'fd71:[0-9a-f:]+ \. fd00:100::/48'
t_match "the cluster rules are listed whole" "$(cat "$W_TMP/rules.nft")" \
	'ip6 daddr \. ip6 saddr @cluster6 accept'
t_eq "nft lists as many rules per chain as the kernel holds" "$(nft_rule_counts)" "$(kernel_rule_counts)"
t_eq "...and every chain of both tables has rules" "$(kernel_rule_counts | wc -l)" \
	"$(nft_dump | grep -c '^chain')"
nft_dump >"$W_TMP/before.dump"

hnft flush ruleset
t_eq "after flush, the kernel holds no vmnet table" "$(nft_dump)" ""
t_ok "nft -f reads the listing back" hnft -f "$W_TMP/rules.nft"
nft_dump >"$W_TMP/after.dump"
t_dumps_same "$W_TMP/before.dump" "$W_TMP/after.dump"
t_eq "the reloaded tables list identically" "$(hnft list ruleset 2>&1 | grep -v 'packets')" \
	"$(grep -v 'packets' "$W_TMP/rules.nft")"

for w in "${WIRINGS[@]}"; do prove after "$w"; done

for w in "${WIRINGS[@]}"; do
	for n in s1 s2 i1 i2 i3; do
		t_plugin "[$w] DEL $n after the round trip" DEL id="$P$w-$n" \
			ns="${NS[$w-$n]}" conf="${CONF[$w-$n]}"
		guest_stop "$w-$n"
	done
done
t_eq "no element left in any set" "$(nft_dump | grep -c '^elem')" 0

t_done
