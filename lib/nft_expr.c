/* SPDX-License-Identifier: MIT */
/*
 * Expressions, as `nft --debug=netlink` compiles them, for the rule
 * builders (nft_rules_*.c): what nft prints, it reads back into the same
 * bytecode.
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <stdio.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "nft_priv.h"

static struct nftnl_expr *expr_append(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (e)
		nftnl_rule_add_expr(r, e);
	return e;
}

int nft_expr_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = expr_append(r, "meta");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	return 0;
}

int nft_expr_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = expr_append(r, "cmp");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	return 0;
}

int nft_expr_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = expr_append(r, "payload");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	return 0;
}

/* lookup of the key starting at @sreg; a map's data goes to @dreg (0: a set). */
static int expr_lookup_reg(struct nftnl_rule *r, const char *set, uint32_t id, uint32_t sreg,
			   uint32_t dreg, bool inv)
{
	struct nftnl_expr *e = expr_append(r, "lookup");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	if (id)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id);
	if (dreg)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
	if (inv)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	return 0;
}

int nft_expr_lookup(struct nftnl_rule *r, const char *set, uint32_t id, bool map, bool inv)
{
	return expr_lookup_reg(r, set, id, NFT_REG_1, map ? NFT_REG_1 : 0, inv);
}

/* counter name @name */
int nft_expr_objref(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = expr_append(r, "objref");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
	nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name);
	return 0;
}

/* meta nfproto ipv4 */
int nft_expr_ipv4(struct nftnl_rule *r)
{
	uint8_t v = NFPROTO_IPV4;

	return nft_expr_meta(r, NFT_META_NFPROTO, NFT_REG_1) ?: nft_expr_cmp(r, NFT_CMP_EQ, &v, 1);
}

/* meta nfproto ipv6 */
int nft_expr_ipv6(struct nftnl_rule *r)
{
	uint8_t v = NFPROTO_IPV6;

	return nft_expr_meta(r, NFT_META_NFPROTO, NFT_REG_1) ?: nft_expr_cmp(r, NFT_CMP_EQ, &v, 1);
}

/* icmpv6 type @type, after the caller's network-layer dependency (inet:
 * meta nfproto ipv6; bridge: ether type ip6) */
int nft_expr_icmp6_type(struct nftnl_rule *r, uint8_t type)
{
	uint8_t icmp6 = IPPROTO_ICMPV6;

	return nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, &icmp6, 1) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, &type, 1);
}

/* The 8 bytes at @base+@off are (@op NFT_CMP_EQ) or are not fe80::/64, as
 * nft compiles "ip6 saddr fe80::/64" (and "@th,64,64 0xfe80000000000000") */
int nft_expr_ll6(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t op)
{
	static const uint8_t ll[8] = {0xfe, 0x80};

	return nft_expr_payload(r, base, off, 8, NFT_REG_1) ?: nft_expr_cmp(r, op, ll, 8);
}

/* ct <key> & mask != 0 */
int nft_expr_ct_bits(struct nftnl_rule *r, uint32_t key, uint32_t mask)
{
	uint32_t zero = 0;
	struct nftnl_expr *e = expr_append(r, "ct");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	e = expr_append(r, "bitwise");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	return nft_expr_cmp(r, NFT_CMP_NEQ, &zero, 4);
}

/* add @set { <register 1> }: from the packet path, into a dynamic set */
int nft_expr_dynset_add(struct nftnl_rule *r, const char *set)
{
	struct nftnl_expr *e = expr_append(r, "dynset");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_ADD);
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set);
	return 0;
}

/* fib daddr type local */
int nft_expr_fib_local(struct nftnl_rule *r)
{
	uint32_t local = RTN_LOCAL;
	struct nftnl_expr *e = expr_append(r, "fib");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	return nft_expr_cmp(r, NFT_CMP_EQ, &local, 4);
}

int nft_expr_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = expr_append(r, "immediate");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdict);
	if (chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	return 0;
}

/* dnat ip6 to <addr in reg 1> : <port in @port_reg> */
int nft_expr_dnat6(struct nftnl_rule *r, uint32_t port_reg)
{
	struct nftnl_expr *e = expr_append(r, "nat");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV6);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, port_reg);
	return 0;
}

/* dnat ip to <addr in reg 1> : <port in reg32_01> */
int nft_expr_dnat4(struct nftnl_rule *r)
{
	struct nftnl_expr *e = expr_append(r, "nat");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG32_01);
	return 0;
}

int nft_expr_simple(struct nftnl_rule *r, const char *name)
{
	return expr_append(r, name) ? 0 : -ENOMEM;
}

/* ip daddr 127.0.0.0/8 (the first byte, as nft compiles a /8) */
int nft_expr_daddr_loopback(struct nftnl_rule *r)
{
	uint8_t lo = 127;

	return nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_DADDR, 1, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, &lo, 1);
}

/* [meta iifname|oifname => reg 1] lookup reg 1 @set [inverted] */
int nft_expr_if_in(struct nftnl_rule *r, uint32_t meta_key, const char *set, bool inv)
{
	return nft_expr_meta(r, meta_key, NFT_REG_1) ?: nft_expr_lookup(r, set, 0, false, inv);
}

int nft_expr_drop(struct nftnl_rule *r, const char *counter)
{
	return nft_expr_objref(r, counter) ?: nft_expr_verdict(r, NF_DROP, NULL);
}

/* iifname . <@len bytes at @base+@off> != @set: key in reg 1 (16 bytes of
 * ifname) and reg 2 onwards; the kernel zeroes the padding of a short load. */
int nft_expr_if_concat_in(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
			  const char *set, bool inv)
{
	return nft_expr_meta(r, NFT_META_IIFNAME, NFT_REG_1) ?:
	       nft_expr_payload(r, base, off, len, NFT_REG_2) ?:
	       nft_expr_lookup(r, set, 0, false, inv);
}

int nft_expr_if_concat_not_in(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
			      const char *set)
{
	return nft_expr_if_concat_in(r, base, off, len, set, true);
}

/* ip saddr 0.0.0.0 udp dport 67: a DHCP client without an address yet */
int nft_expr_dhcp_discover(struct nftnl_rule *r)
{
	uint32_t any = 0;
	uint8_t udp = IPPROTO_UDP;
	uint16_t bootps = htons(67);

	return nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 4, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, &any, 4) ?:
	       nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, &udp, 1) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, &bootps, 2);
}

/* udp sport|dport (@off 0|2) @port counter name @counter drop */
int nft_expr_udp_port_drop(struct nftnl_rule *r, uint32_t off, uint16_t port, const char *counter)
{
	uint8_t udp = IPPROTO_UDP;
	uint16_t be = htons(port);

	return nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, &udp, 1) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, off, 2, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, &be, 2) ?:
	       nft_expr_drop(r, counter);
}

/* udp dport @lo-@hi counter name @counter drop */
int nft_expr_udp_range_drop(struct nftnl_rule *r, uint16_t lo, uint16_t hi, const char *counter)
{
	uint8_t udp = IPPROTO_UDP;
	uint16_t a = htons(lo), b = htons(hi);

	return nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, &udp, 1) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_GTE, &a, 2) ?:
	       nft_expr_cmp(r, NFT_CMP_LTE, &b, 2) ?:
	       nft_expr_drop(r, counter);
}

/* udp sport 67 counter name dhcp_server_drop drop */
int nft_expr_dhcp_server_drop(struct nftnl_rule *r)
{
	return nft_expr_udp_port_drop(r, 0, 67, O_DHCP);
}

/* udp dport 67-68 counter name dhcp_server_drop drop */
int nft_expr_dhcp_ports_drop(struct nftnl_rule *r)
{
	return nft_expr_udp_range_drop(r, 67, 68, O_DHCP);
}
