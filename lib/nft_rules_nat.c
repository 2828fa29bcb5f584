/* SPDX-License-Identifier: MIT */
/*
 * Rules of the nat chains of inet vmnet: published ports (prerouting and
 * output jump to dnat4, which hands IPv6 to dnat6) and masquerading (NAT44
 * and NAT66) at postrouting. Published ports on the loopback are IPv4's
 * only: IPv6 has no route_localnet.
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>

#include <libnftnl/rule.h>

#include "nft_priv.h"

/* meta l4proto { tcp, udp, sctp } fib daddr type local jump dnat4 */
int nft_rule_to_dnat(struct nftnl_rule *r, uint32_t anon_id)
{
	return nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG_1) ?:
	       nft_expr_lookup(r, "__set%d", anon_id, false, false) ?:
	       nft_expr_fib_local(r) ?:
	       nft_expr_verdict(r, NFT_JUMP, C_DNAT4);
}

/*
 * meta nfproto ipv4 ip daddr 127.0.0.0/8 return: published ports on
 * 127.0.0.1 (and, with localhostPorts, every published port on the
 * loopback) are for host clients, whose packets are DNAT'd at the output
 * hook. At prerouting a loopback destination comes from a guest or from a
 * neighbour, and DNAT there would happen before the kernel's martian check.
 */
int nft_rule_pre_loopback(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_ipv4(r) ?: nft_expr_daddr_loopback(r) ?: nft_expr_verdict(r, NFT_RETURN, NULL);
}

/* The host-address map first, so a specific hostIP wins over a wildcard:
 * dnat ip to ip daddr . meta l4proto . th dport map @ports4h */
static int rule_dnat4_host(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_ipv4(r) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_DADDR, 4, NFT_REG_1) ?:
	       nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG32_01) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_02) ?:
	       nft_expr_lookup(r, S_PORTS4H, 0, true, false) ?:
	       nft_expr_dnat4(r);
}

/* dnat ip to meta l4proto . th dport map @ports4 */
static int rule_dnat4_any(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_ipv4(r) ?:
	       nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG_1) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01) ?:
	       nft_expr_lookup(r, S_PORTS4, 0, true, false) ?:
	       nft_expr_dnat4(r);
}

/* meta nfproto ipv6 goto dnat6 (IPv4 goes on here) */
static int rule_dnat_to6(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_ipv6(r) ?: nft_expr_verdict(r, NFT_GOTO, C_DNAT6);
}

/* dnat ip6 to ip6 daddr . meta l4proto . th dport map @ports6h (with the
 * dependency nft compiles for ip6 daddr: meta nfproto ipv6); the address
 * takes 16 bytes, so the protocol starts at reg 2 and the port lands there */
static int rule_dnat6_host(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_ipv6(r) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP6_DADDR, 16, NFT_REG_1) ?:
	       nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG_2) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_05) ?:
	       nft_expr_lookup(r, S_PORTS6H, 0, true, false) ?:
	       nft_expr_dnat6(r, NFT_REG_2);
}

/* dnat ip6 to meta l4proto . th dport map @ports6 (dnat4 sent only IPv6) */
static int rule_dnat6_any(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG_1) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01) ?:
	       nft_expr_lookup(r, S_PORTS6, 0, true, false) ?:
	       nft_expr_dnat6(r, NFT_REG_2);
}

/* Chain reached, before any source NAT: ip daddr @guests4 add @reached4
 * { ip daddr } (ip6 ... @guests6 ... @reached6), the guests a flow went to:
 * published ports' (DNAT'd), routed, the host's own. Those are the entries
 * a DEL flushes (the guest answers them). A nat chain sees the first packet
 * of a flow only, so this costs one look-up a flow; a DEL flushes a
 * guest's conntrack entries only when the guest is here (lib/attach.c),
 * the walk of the whole table being ~0.4 ms. */
static int seen(struct nftnl_rule *r, bool v6)
{
	return (v6 ? nft_expr_ipv6(r) : nft_expr_ipv4(r)) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? IP6_DADDR : IP4_DADDR,
				v6 ? 16 : 4, NFT_REG_1) ?:
	       nft_expr_lookup(r, v6 ? S_GUESTS6 : S_GUESTS4, 0, false, false) ?:
	       /* loaded again, as nft compiles it: a listing reads back the same */
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? IP6_DADDR : IP4_DADDR,
				v6 ? 16 : 4, NFT_REG_1) ?:
	       nft_expr_dynset_add(r, v6 ? S_SEEN6 : S_SEEN4);
}

static int rule_seen(struct nftnl_rule *r, uint32_t unused)
{
	return seen(r, false);
}

static int rule_seen6(struct nftnl_rule *r, uint32_t unused)
{
	return seen(r, true);
}

/* Hairpin (VM -> host:port -> VM): ct status dnat ip saddr @guests4 masquerade */
static int masq_hairpin(struct nftnl_rule *r, bool v6)
{
	return nft_expr_ct_bits(r, NFT_CT_STATUS, IPS_DST_NAT_BIT) ?:
	       (v6 ? nft_expr_ipv6(r) : nft_expr_ipv4(r)) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? IP6_SADDR : IP4_SADDR,
				v6 ? 16 : 4, NFT_REG_1) ?:
	       nft_expr_lookup(r, v6 ? S_GUESTS6 : S_GUESTS4, 0, false, false) ?:
	       nft_expr_simple(r, "masq");
}

static int rule_masq_hairpin(struct nftnl_rule *r, uint32_t unused)
{
	return masq_hairpin(r, false);
}

static int rule_masq_hairpin6(struct nftnl_rule *r, uint32_t unused)
{
	return masq_hairpin(r, true);
}

/* Published ports reached from localhost: ip saddr 127.0.0.0/8 ct status dnat masquerade */
static int rule_masq_local(struct nftnl_rule *r, uint32_t unused)
{
	uint8_t lo = 127;

	return nft_expr_ipv4(r) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 1, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, &lo, 1) ?:
	       nft_expr_ct_bits(r, NFT_CT_STATUS, IPS_DST_NAT_BIT) ?:
	       nft_expr_simple(r, "masq");
}

/* ip saddr . ip daddr @cluster4 accept (ip6 ... @cluster6): a guest's
 * traffic to its network's clusterCIDRs keeps its source address */
static int nat_cluster(struct nftnl_rule *r, bool v6)
{
	return (v6 ? nft_expr_ipv6(r) : nft_expr_ipv4(r)) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? IP6_SADDR : IP4_SADDR,
				v6 ? 16 : 4, NFT_REG_1) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? IP6_DADDR : IP4_DADDR,
				v6 ? 16 : 4, v6 ? NFT_REG_2 : NFT_REG32_01) ?:
	       nft_expr_lookup(r, v6 ? S_CLUSTER6 : S_CLUSTER4, 0, false, false) ?:
	       nft_expr_verdict(r, NF_ACCEPT, NULL);
}

static int rule_nat_cluster(struct nftnl_rule *r, uint32_t unused)
{
	return nat_cluster(r, false);
}

static int rule_nat_cluster6(struct nftnl_rule *r, uint32_t unused)
{
	return nat_cluster(r, true);
}

/* ip saddr @masq4 ip daddr != @guests4 masquerade: bridged VM-to-VM frames
 * (bridge netfilter) and routed guest-to-guest traffic keep their source.
 * NAT66 the same: ip6 saddr @masq6 ip6 daddr != @guests6 masquerade */
static int masq_out(struct nftnl_rule *r, bool v6)
{
	uint32_t len = v6 ? 16 : 4;

	return (v6 ? nft_expr_ipv6(r) : nft_expr_ipv4(r)) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? IP6_SADDR : IP4_SADDR, len,
				NFT_REG_1) ?:
	       nft_expr_lookup(r, v6 ? S_MASQ6 : S_MASQ4, 0, false, false) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? IP6_DADDR : IP4_DADDR, len,
				NFT_REG_1) ?:
	       nft_expr_lookup(r, v6 ? S_GUESTS6 : S_GUESTS4, 0, false, true) ?:
	       nft_expr_simple(r, "masq");
}

static int rule_masq_out(struct nftnl_rule *r, uint32_t unused)
{
	return masq_out(r, false);
}

static int rule_masq_out6(struct nftnl_rule *r, uint32_t unused)
{
	return masq_out(r, true);
}

/* In order per chain (nft_rules.c adds them after the jumps to dnat4). */
const struct nft_rule_def nft_rules_nat[] = {
	{F_INET, C_DNAT4, rule_dnat_to6},
	{F_INET, C_DNAT4, rule_dnat4_host},
	{F_INET, C_DNAT4, rule_dnat4_any},
	{F_INET, C_DNAT6, rule_dnat6_host},
	{F_INET, C_DNAT6, rule_dnat6_any},
	{F_INET, C_SEEN, rule_seen},
	{F_INET, C_SEEN, rule_seen6},
	{F_INET, "postrouting", rule_masq_hairpin},
	{F_INET, "postrouting", rule_masq_hairpin6},
	{F_INET, "postrouting", rule_masq_local},
	{F_INET, "postrouting", rule_nat_cluster},
	{F_INET, "postrouting", rule_nat_cluster6},
	{F_INET, "postrouting", rule_masq_out},
	{F_INET, "postrouting", rule_masq_out6},
	{0},
};
