/* SPDX-License-Identifier: MIT */
/*
 * Rules of bridge vmnet: anti-spoofing on the bridge ports of shared
 * guests, and no DHCP between two guests' ports.
 */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>

#include <libnftnl/rule.h>

#include "nft_priv.h"

/* ether type <@type>: read from the frame, so a VLAN tag the driver moved
 * into metadata still shows as 0x8100 and never passes as IPv4 or ARP */
static int ex_ether_type(struct nftnl_rule *r, uint16_t type)
{
	uint16_t be = htons(type);

	return ex_payload(r, NFT_PAYLOAD_LL_HEADER, ETH_TYPE, 2, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_EQ, &be, 2);
}

/* iifname != @ports accept: not a guest's port */
static int rule_br_other(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_in(r, NFT_META_IIFNAME, S_PORTS, true) ?: ex_verdict(r, NF_ACCEPT, NULL);
}

/* iifname . ether saddr != @port_mac counter name spoof_drop drop */
static int rule_br_mac(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_concat_not_in(r, NFT_PAYLOAD_LL_HEADER, ETH_SADDR, 6, S_PORT_MAC) ?:
	       ex_drop(r, O_SPOOF);
}

/* ether type != ip ether type != arp counter name spoof_drop drop: VLAN
 * tags (the payload shows the tag even when the kernel moved it into
 * metadata), IPv6 (not supported yet) and any other ethertype. After this,
 * meta protocol and ether type agree, so the rules below may use the
 * dependency nft itself compiles for ip (meta protocol): what nft lists,
 * it reads back into the same bytecode. */
static int rule_br_types(struct nftnl_rule *r, uint32_t unused)
{
	uint16_t ip = htons(0x0800), arp = htons(0x0806);

	return ex_payload(r, NFT_PAYLOAD_LL_HEADER, ETH_TYPE, 2, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_NEQ, &ip, 2) ?:
	       ex_payload(r, NFT_PAYLOAD_LL_HEADER, ETH_TYPE, 2, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_NEQ, &arp, 2) ?:
	       ex_drop(r, O_SPOOF);
}

/* meta protocol ip, as nft compiles the dependency of ip in the bridge family */
static int ex_meta_ip(struct nftnl_rule *r)
{
	uint16_t ip = htons(0x0800);

	return ex_meta(r, NFT_META_PROTOCOL, NFT_REG_1) ?: ex_cmp(r, NFT_CMP_EQ, &ip, 2);
}

/* ip daddr 127.0.0.0/8 counter name loopback_drop drop: as rule_iso_loopback,
 * for the bridge of a shared network */
static int rule_br_loopback(struct nftnl_rule *r, uint32_t unused)
{
	return ex_meta_ip(r) ?: ex_daddr_loopback(r) ?: ex_drop(r, O_LOOPBACK);
}

/* udp sport 67 counter name dhcp_server_drop drop: no guest answers DHCP */
static int rule_br_dhcp_server(struct nftnl_rule *r, uint32_t unused)
{
	return ex_dhcp_server_drop(r);
}

/* bridge forward: iifname @ports oifname @ports udp dport 67-68 counter
 * name dhcp_server_drop drop. Frames between two guests' ports: a client's
 * broadcast reaches no rogue server, a forged offer no client. The host
 * (netd) still gets the requests (bridge input) and answers (bridge output). */
static int rule_br_fwd_dhcp(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_in(r, NFT_META_IIFNAME, S_PORTS, false) ?:
	       ex_if_in(r, NFT_META_OIFNAME, S_PORTS, false) ?:
	       ex_dhcp_ports_drop(r);
}

/* ip saddr 0.0.0.0 udp dport 67 accept */
static int rule_br_dhcp(struct nftnl_rule *r, uint32_t unused)
{
	return ex_meta_ip(r) ?: ex_dhcp_discover(r) ?: ex_verdict(r, NF_ACCEPT, NULL);
}

/* iifname . ip saddr != @port_ip4 counter name spoof_drop drop */
static int rule_br_ip(struct nftnl_rule *r, uint32_t unused)
{
	return ex_meta_ip(r) ?:
	       ex_if_concat_not_in(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 4, S_PORT_IP4) ?:
	       ex_drop(r, O_SPOOF);
}

/* ether type arp arp saddr ip != 0.0.0.0 iifname . arp saddr ip != @port_ip4
 * counter name spoof_drop drop: no ARP claiming another address (a probe
 * from 0.0.0.0 updates no neighbour table) */
static int rule_br_arp_ip(struct nftnl_rule *r, uint32_t unused)
{
	uint32_t any = 0;

	return ex_ether_type(r, 0x0806) ?:
	       ex_payload(r, NFT_PAYLOAD_NETWORK_HEADER, ARP_SPA, 4, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_NEQ, &any, 4) ?:
	       ex_if_concat_not_in(r, NFT_PAYLOAD_NETWORK_HEADER, ARP_SPA, 4, S_PORT_IP4) ?:
	       ex_drop(r, O_SPOOF);
}

/* ether type arp iifname . arp saddr ether != @port_mac counter name spoof_drop drop */
static int rule_br_arp_mac(struct nftnl_rule *r, uint32_t unused)
{
	return ex_ether_type(r, 0x0806) ?:
	       ex_if_concat_not_in(r, NFT_PAYLOAD_NETWORK_HEADER, ARP_SHA, 6, S_PORT_MAC) ?:
	       ex_drop(r, O_SPOOF);
}

static int rule_br_ip_ok(struct nftnl_rule *r, uint32_t unused)
{
	return ex_ether_type(r, 0x0800) ?: ex_verdict(r, NF_ACCEPT, NULL);
}

static int rule_br_arp_ok(struct nftnl_rule *r, uint32_t unused)
{
	return ex_ether_type(r, 0x0806) ?: ex_verdict(r, NF_ACCEPT, NULL);
}

/* counter name spoof_drop drop: nothing else from a guest port (rule_br_types
 * dropped other ethertypes already) */
static int rule_br_rest(struct nftnl_rule *r, uint32_t unused)
{
	return ex_drop(r, O_SPOOF);
}

/* In order per chain. */
const struct rule_def nft_rules_bridge[] = {
	{F_BRIDGE, C_ANTISPOOF, rule_br_other},
	{F_BRIDGE, C_ANTISPOOF, rule_br_mac},
	{F_BRIDGE, C_ANTISPOOF, rule_br_types},
	{F_BRIDGE, C_ANTISPOOF, rule_br_loopback},
	{F_BRIDGE, C_ANTISPOOF, rule_br_dhcp_server},
	{F_BRIDGE, C_ANTISPOOF, rule_br_dhcp},
	{F_BRIDGE, C_ANTISPOOF, rule_br_ip},
	{F_BRIDGE, C_ANTISPOOF, rule_br_ip_ok},
	{F_BRIDGE, C_ANTISPOOF, rule_br_arp_ip},
	{F_BRIDGE, C_ANTISPOOF, rule_br_arp_mac},
	{F_BRIDGE, C_ANTISPOOF, rule_br_arp_ok},
	{F_BRIDGE, C_ANTISPOOF, rule_br_rest},
	{F_BRIDGE, "forward", rule_br_fwd_dhcp},
	{0},
};
