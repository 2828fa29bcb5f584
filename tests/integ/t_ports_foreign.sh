#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# ADD refuses (102) a host port another manager's table already DNATs, as
# t_docker checks with Docker's table, here without Docker and with the
# tables in every position the reader meets them: a foreign table made
# before vmnet's and one made after (the reader dumps rules table by table,
# only of the tables its chain dump shows to be others'), a DNAT in a base
# chain and in a chain jumped to, an ip and an inet table, and a foreign
# table without DNAT (read, no conflict). vmnet's own published ports stay
# the batch's to refuse.
#
#   tests/integ/t_ports_foreign.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

host_world nft

with_ports() { jq -c --argjson p "$2" '.runtimeConfig.portMappings = $p' <<<"$1"; }
pm() { jq -cn --arg p "$1" --argjson h "$2" '{hostPort: $h, containerPort: 80, protocol: $p}'; }

NET=pforeign
CONF=$(conf_shared "$NET" vmbr-pfor 10.83.0.0/24 10.83.0.1)

# A table of another manager before vmnet's exist: ip, DNAT in a base chain.
cat >"$W_TMP/early.nft" <<'EOF'
table ip early {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 8601 dnat to 192.0.2.10:80
	}
}
EOF
t_ok "table ip early with a DNAT of tcp/8601" hnft -f "$W_TMP/early.nft"

vm_ns vm-a && VMA=$REPLY
t_plugin "ADD a publishing tcp/8600 (no other manager has it)" \
	ADD id=pf-a ns="$VMA" conf="$(with_ports "$CONF" "[$(pm tcp 8600)]")"
t_ok "vmnet's tables exist now" hnft list table inet vmnet

# Tables of others made after vmnet's: inet with the DNAT in a chain its
# base chain jumps to, and one without any DNAT.
cat >"$W_TMP/late.nft" <<'EOF'
table inet late {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		jump pub
	}
	chain pub {
		udp dport 8602 dnat ip to 192.0.2.11:80
	}
}
table inet quiet {
	chain fw {
		type filter hook forward priority filter; policy accept;
		tcp dport 8603 accept
	}
}
EOF
t_ok "table inet late with a DNAT of udp/8602 in a jumped-to chain, table inet quiet" \
	hnft -f "$W_TMP/late.nft"

vm_ns vm-b && VMB=$REPLY
CNI_DETAILS='tcp/8601 .*table ip early, chain pre' \
	t_plugin_code "ADD of tcp/8601 fails with 102 naming table ip early" 102 \
	ADD id=pf-b ns="$VMB" conf="$(with_ports "$CONF" "[$(pm tcp 8601)]")"
t_plugin "its DEL succeeds" DEL id=pf-b ns="$VMB" conf="$(with_ports "$CONF" "[$(pm tcp 8601)]")"
CNI_DETAILS='udp/8602 .*table inet late, chain pub' \
	t_plugin_code "ADD of udp/8602 fails with 102 naming table inet late's chain pub" 102 \
	ADD id=pf-b ns="$VMB" conf="$(with_ports "$CONF" "[$(pm udp 8602)]")"
t_plugin "its DEL succeeds" DEL id=pf-b ns="$VMB" conf="$(with_ports "$CONF" "[$(pm udp 8602)]")"
t_plugin "ADD of tcp/8602 succeeds (the DNAT is udp's)" \
	ADD id=pf-b ns="$VMB" conf="$(with_ports "$CONF" "[$(pm tcp 8602)]")"
t_plugin "DEL b" DEL id=pf-b ns="$VMB" conf="$(with_ports "$CONF" "[$(pm tcp 8602)]")"
t_plugin "ADD of tcp/8603 succeeds (table inet quiet only accepts it)" \
	ADD id=pf-b ns="$VMB" conf="$(with_ports "$CONF" "[$(pm tcp 8603)]")"
t_plugin "DEL b" DEL id=pf-b ns="$VMB" conf="$(with_ports "$CONF" "[$(pm tcp 8603)]")"
CNI_DETAILS='8600' t_plugin_code "ADD of vmnet's own tcp/8600 again fails with 102" 102 \
	ADD id=pf-b ns="$VMB" conf="$(with_ports "$CONF" "[$(pm tcp 8600)]")"
t_plugin "its DEL succeeds" DEL id=pf-b ns="$VMB" conf="$(with_ports "$CONF" "[$(pm tcp 8600)]")"

t_ok "without the other tables" hnft delete table ip early
t_ok "... (late)" hnft delete table inet late
t_plugin "ADD of tcp/8601 succeeds once table ip early is gone" \
	ADD id=pf-b ns="$VMB" conf="$(with_ports "$CONF" "[$(pm tcp 8601)]")"
t_plugin "DEL b" DEL id=pf-b ns="$VMB" conf="$(with_ports "$CONF" "[$(pm tcp 8601)]")"
t_plugin "DEL a" DEL id=pf-a ns="$VMA" conf="$(with_ports "$CONF" "[$(pm tcp 8600)]")"
t_done
