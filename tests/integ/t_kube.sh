#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The Kubernetes example (contrib/kubernetes; README "Running vmnet on
# Kubernetes nodes with kata-containers"). vmnet-node-subnet, with a fake
# kubectl on PATH, writes the node's podCIDRs: dual stack, the single-stack
# .spec.podCIDR fallback, nothing yet (exit 1, no file), not a CIDR (exit 1,
# file kept), unchanged (the file is not rewritten). The shipped conflist,
# its paths pointed into the test's directory, through vmnet ADD, CHECK and
# DEL in a pod namespace: a dual-stack result from the podCIDRs, and the
# namespace holds exactly what kata's scan finds (eth0 with the guest's
# MAC, addresses and default routes, joined by tc to the tap).
#
#   tests/integ/t_kube.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq nft
need_bins "$VMNET" "$B/vmnet-ipam"
world_init
host_ns

K8S=$LIB_ROOT/contrib/kubernetes
FAKE=$W_TMP/fakebin
FILE=$W_TMP/run/node-subnet
export FAKE_LOG=$W_TMP/kubectl.log
mkdir -p "$FAKE"
# kubectl get node NAME -o jsonpath=EXPR: the podCIDRs in FAKE_PODCIDRS
# (space separated), the single podCIDR in FAKE_PODCIDR.
cat >"$FAKE/kubectl" <<'EOF'
#!/bin/sh
printf '%s\n' "$*" >>"$FAKE_LOG"
[ "$1 $2 $4" = "get node -o" ] || exit 2
case $5 in
*podCIDRs*) [ -z "${FAKE_PODCIDRS:-}" ] || printf '%s\n' $FAKE_PODCIDRS ;;
*podCIDR*) printf '%s' "${FAKE_PODCIDR:-}" ;;
*) exit 2 ;;
esac
EOF
chmod +x "$FAKE/kubectl"

# writer [VAR=VALUE...]: the script for node "node-a" with the fake kubectl.
writer() {
	env PATH="$FAKE:$PATH" NODE_NAME=node-a "$@" "$K8S/vmnet-node-subnet" "$FILE" 2>&1
}
prefixes() { grep -v '^#' "$FILE" | tr '\n' ' '; }

t_fail "no podCIDR yet: exit 1" writer FAKE_PODCIDRS= FAKE_PODCIDR=
t_ok "and no file" test ! -e "$FILE"
t_ok "single stack (.spec.podCIDR only): written" writer FAKE_PODCIDRS= FAKE_PODCIDR=10.100.8.0/24
t_eq "the file holds the podCIDR" "$(prefixes)" "10.100.8.0/24 "
t_ok "dual stack: written" writer FAKE_PODCIDRS="10.100.7.0/24 fd00:100:7::/64"
t_eq "the file holds both podCIDRs, IPv4 first" "$(prefixes)" "10.100.7.0/24 fd00:100:7::/64 "
t_match "kubectl was asked about this node" "$(tail -n 1 "$FAKE_LOG")" "^get node node-a -o jsonpath="
ino=$(stat -c %i "$FILE")
t_ok "unchanged podCIDRs: success" writer FAKE_PODCIDRS="10.100.7.0/24 fd00:100:7::/64"
t_eq "and the file is not rewritten" "$(stat -c %i "$FILE")" "$ino"
t_fail "an answer that is not a CIDR: exit 1" writer FAKE_PODCIDRS="nonsense"
t_eq "and the file is kept" "$(prefixes)" "10.100.7.0/24 fd00:100:7::/64 "
t_eq "no temporary file is left" "$(find "$W_TMP/run" -type f | wc -l)" 1

# ------------------------------------------------------------ the conflist
CONF=$(jq -c --arg d "$W_TMP" '.plugins[0] + {cniVersion, name} |
	.stateDir = ($d + "/state") | .ipam.dataDir = ($d + "/ipam") |
	.ipam.subnetFile = ($d + "/run/node-subnet")' "$K8S/10-vmnet.conflist")
t_match "contrib/kubernetes/10-vmnet.conflist reads as a vmnet conflist" "$CONF" '"type":"vmnet"'
vm_ns pod
POD=$REPLY
t_plugin "ADD of a pod with the shipped conflist" ADD id=pod1 ns="$POD"
RES=$CNI_OUT
t_match "its IPv4 address is from the podCIDR" \
	"$(jq -r '.ips[] | select(.address | contains(".")) | .address' <<<"$RES")" '^10\.100\.7\.[0-9]+/24$'
t_match "its IPv6 address is from the IPv6 podCIDR" \
	"$(jq -r '.ips[] | select(.address | contains(":")) | .address' <<<"$RES")" '^fd00:100:7::[0-9a-f]+/64$'
t_eq "the pod netns holds lo, eth0 and the tap (what kata's scan sees)" \
	"$(ip -n "$POD" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort | tr '\n' ' ')" \
	"eth0 lo tap0 "
t_match "eth0 is a veth" "$(ip -n "$POD" -d link show eth0)" "veth"
t_match "eth0 carries the guest's MAC" "$(ip -n "$POD" link show eth0)" \
	"link/ether $(jq -r '.interfaces[-1].mac' <<<"$RES")"
t_match "eth0 has the guest's IPv4 address" "$(ip -n "$POD" -4 addr show eth0)" \
	"inet $(jq -r '.ips[0].address' <<<"$RES")"
t_match "eth0 has the guest's IPv6 address" "$(ip -n "$POD" -6 addr show eth0 scope global)" \
	"inet6 $(jq -r '.ips[1].address' <<<"$RES")"
t_match "the IPv4 default route goes via the gateway on eth0" "$(ip -n "$POD" -4 route show default)" \
	"^default via 10\\.100\\.7\\.1 dev eth0"
t_match "the IPv6 default route goes via the gateway on eth0" "$(ip -n "$POD" -6 route show default)" \
	"^default via fd00:100:7::1 dev eth0"
t_match "tap0 is a tap" "$(ip -n "$POD" -d link show tap0)" "tun type tap"
t_ok "eth0's frames are forwarded to tap0 and tap0's to eth0 (nft netdev)" fwd_ok "$POD" eth0 tap0
reserved() { find "$W_TMP/ipam/vmnet" -maxdepth 1 \( -name '10.*' -o -name 'fd00*' \) | wc -l; }
t_eq "vmnet-ipam holds the pod's two addresses" "$(reserved)" 2
t_plugin "CHECK of the pod" CHECK id=pod1 ns="$POD" conf="$(with_prev "$CONF" "$RES")"
t_plugin "DEL of the pod" DEL id=pod1 ns="$POD"
t_eq "after DEL the pod netns holds lo only" "$(ip -n "$POD" -o link show | wc -l)" 1
t_eq "and the addresses are released" "$(reserved)" 0

t_done
