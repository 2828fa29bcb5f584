/* SPDX-License-Identifier: MIT */
/*
 * Rules of bridge vmnet: anti-spoofing on the bridge ports of shared
 * guests, and no DHCP between two guests' ports.
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>

#include <libnftnl/rule.h>

#include "vmnet/common.h"
#include "nft_priv.h"

/* ether type <@type>: read from the frame, so a VLAN tag the driver moved
 * into metadata still shows as 0x8100 and never passes as IPv4 or ARP */
static int expr_ether_type(struct nftnl_rule *r, uint16_t type)
{
	uint16_t be = htons(type);

	return nft_expr_payload(r, NFT_PAYLOAD_LL_HEADER, ETH_TYPE, 2, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, &be, 2);
}

/* iifname != @ports accept: not a guest's port */
static int rule_br_other(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_if_in(r, NFT_META_IIFNAME, S_PORTS, true) ?: nft_expr_verdict(r, NF_ACCEPT, NULL);
}

/* iifname . ether saddr != @port_mac counter name spoof_drop drop */
static int rule_br_mac(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_if_concat_not_in(r, NFT_PAYLOAD_LL_HEADER, ETH_SADDR, 6, S_PORT_MAC) ?:
	       nft_expr_drop(r, O_SPOOF);
}

/* ether type != ip ether type != arp ether type != ip6 counter name
 * spoof_drop drop: VLAN tags (the payload shows the tag even when the
 * kernel moved it into metadata) and any other ethertype. After this, meta
 * protocol and ether type agree, so the rules below may use the dependency
 * nft itself compiles for ip and ip6 (meta protocol): what nft lists, it
 * reads back into the same bytecode. */
static int rule_br_types(struct nftnl_rule *r, uint32_t unused)
{
	static const uint16_t types[] = {0x0800, 0x0806, 0x86dd};
	int ret = 0;

	for (size_t i = 0; !ret && i < ARRAY_SIZE(types); i++) {
		uint16_t be = htons(types[i]);

		ret = nft_expr_payload(r, NFT_PAYLOAD_LL_HEADER, ETH_TYPE, 2, NFT_REG_1) ?:
		      nft_expr_cmp(r, NFT_CMP_NEQ, &be, 2);
	}
	return ret ?: nft_expr_drop(r, O_SPOOF);
}

/* meta protocol ip, as nft compiles the dependency of ip in the bridge family */
static int expr_meta_ip(struct nftnl_rule *r)
{
	uint16_t ip = htons(0x0800);

	return nft_expr_meta(r, NFT_META_PROTOCOL, NFT_REG_1) ?: nft_expr_cmp(r, NFT_CMP_EQ, &ip, 2);
}

/* ip daddr 127.0.0.0/8 counter name loopback_drop drop: as rule_iso_loopback,
 * for the bridge of a shared network */
static int rule_br_loopback(struct nftnl_rule *r, uint32_t unused)
{
	return expr_meta_ip(r) ?: nft_expr_daddr_loopback(r) ?: nft_expr_drop(r, O_LOOPBACK);
}

/* udp sport 67 counter name dhcp_server_drop drop: no guest answers DHCP */
static int rule_br_dhcp_server(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_dhcp_server_drop(r);
}

/* bridge forward: iifname @ports oifname @ports udp dport 67-68 counter
 * name dhcp_server_drop drop. Frames between two guests' ports: a client's
 * broadcast reaches no rogue server, a forged offer no client. The host
 * (netd) still gets the requests (bridge input) and answers (bridge output). */
static int br_fwd_dhcp(struct nftnl_rule *r, uint16_t lo, const char *counter)
{
	return nft_expr_if_in(r, NFT_META_IIFNAME, S_PORTS, false) ?:
	       nft_expr_if_in(r, NFT_META_OIFNAME, S_PORTS, false) ?:
	       nft_expr_udp_range_drop(r, lo, lo + 1, counter);
}

static int rule_br_fwd_dhcp(struct nftnl_rule *r, uint32_t unused)
{
	return br_fwd_dhcp(r, 67, O_DHCP);
}

/* ... and DHCPv6: udp dport 546-547 counter name dhcp6_server_drop drop */
static int rule_br_fwd_dhcp6(struct nftnl_rule *r, uint32_t unused)
{
	return br_fwd_dhcp(r, 546, O_DHCP6);
}

/* ip saddr 0.0.0.0 udp dport 67 accept */
static int rule_br_dhcp(struct nftnl_rule *r, uint32_t unused)
{
	return expr_meta_ip(r) ?: nft_expr_dhcp_discover(r) ?: nft_expr_verdict(r, NF_ACCEPT, NULL);
}

/* iifname . ip saddr != @port_ip4 counter name spoof_drop drop */
static int rule_br_ip(struct nftnl_rule *r, uint32_t unused)
{
	return expr_meta_ip(r) ?:
	       nft_expr_if_concat_not_in(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 4, S_PORT_IP4) ?:
	       nft_expr_drop(r, O_SPOOF);
}

/* ether type arp arp saddr ip != 0.0.0.0 iifname . arp saddr ip != @port_ip4
 * counter name spoof_drop drop: no ARP claiming another address (a probe
 * from 0.0.0.0 updates no neighbour table) */
static int rule_br_arp_ip(struct nftnl_rule *r, uint32_t unused)
{
	uint32_t any = 0;

	return expr_ether_type(r, 0x0806) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, ARP_SPA, 4, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_NEQ, &any, 4) ?:
	       nft_expr_if_concat_not_in(r, NFT_PAYLOAD_NETWORK_HEADER, ARP_SPA, 4, S_PORT_IP4) ?:
	       nft_expr_drop(r, O_SPOOF);
}

/* ether type arp iifname . arp saddr ether != @port_mac counter name spoof_drop drop */
static int rule_br_arp_mac(struct nftnl_rule *r, uint32_t unused)
{
	return expr_ether_type(r, 0x0806) ?:
	       nft_expr_if_concat_not_in(r, NFT_PAYLOAD_NETWORK_HEADER, ARP_SHA, 6, S_PORT_MAC) ?:
	       nft_expr_drop(r, O_SPOOF);
}

static int rule_br_ip_ok(struct nftnl_rule *r, uint32_t unused)
{
	return expr_ether_type(r, 0x0800) ?: nft_expr_verdict(r, NF_ACCEPT, NULL);
}

static int rule_br_arp_ok(struct nftnl_rule *r, uint32_t unused)
{
	return expr_ether_type(r, 0x0806) ?: nft_expr_verdict(r, NF_ACCEPT, NULL);
}

/* counter name spoof_drop drop: nothing else from a guest port (rule_br_types
 * dropped other ethertypes already) */
static int rule_br_rest(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_drop(r, O_SPOOF);
}

/* In order per chain; IPv6's from nft_rules6.c. */
const struct nft_rule_def nft_rules_bridge[] = {
	{F_BRIDGE, C_ANTISPOOF, rule_br_other},
	{F_BRIDGE, C_ANTISPOOF, rule_br_mac},
	{F_BRIDGE, C_ANTISPOOF, rule_br_types},
	{F_BRIDGE, C_ANTISPOOF, rule_br_loopback},
	{F_BRIDGE, C_ANTISPOOF, rule_br_dhcp_server},
	{F_BRIDGE, C_ANTISPOOF, nft_rule_br_dhcp6_server},
	{F_BRIDGE, C_ANTISPOOF, rule_br_dhcp},
	{F_BRIDGE, C_ANTISPOOF, rule_br_ip},
	{F_BRIDGE, C_ANTISPOOF, rule_br_ip_ok},
	{F_BRIDGE, C_ANTISPOOF, nft_rule_br_ra},
	{F_BRIDGE, C_ANTISPOOF, nft_rule_br_redirect},
	{F_BRIDGE, C_ANTISPOOF, nft_rule_br_no6},
	{F_BRIDGE, C_ANTISPOOF, nft_rule_br_na},
	{F_BRIDGE, C_ANTISPOOF, nft_rule_br_dad_ll},
	{F_BRIDGE, C_ANTISPOOF, nft_rule_br_dad},
	{F_BRIDGE, C_ANTISPOOF, nft_rule_br_ll},
	{F_BRIDGE, C_ANTISPOOF, nft_rule_br_ip6},
	{F_BRIDGE, C_ANTISPOOF, nft_rule_br_ip6_ok},
	{F_BRIDGE, C_ANTISPOOF, rule_br_arp_ip},
	{F_BRIDGE, C_ANTISPOOF, rule_br_arp_mac},
	{F_BRIDGE, C_ANTISPOOF, rule_br_arp_ok},
	{F_BRIDGE, C_ANTISPOOF, rule_br_rest},
	{F_BRIDGE, "forward", rule_br_fwd_dhcp},
	{F_BRIDGE, "forward", rule_br_fwd_dhcp6},
	{0},
};
