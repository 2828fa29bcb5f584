/* SPDX-License-Identifier: MIT */
/*
 * The IPv6 policy of guest links, once for both kinds: isolated links in
 * inet vmnet's antispoof chain ("iifname @iso_ifs" first), shared guests'
 * bridge ports in bridge vmnet's (after "iifname != @ports accept"). A
 * guest sends IPv6 only if it has an address (iso_ifs6, ports_v6), from
 * that address (spoof6, port_ip6) or a link-local one (its MAC was checked
 * already), and from :: only DAD's neighbour solicitation for a target of
 * its own; its advertisements name only such targets (nd6, port_nd6; the
 * target of a solicitation from an address is whom it asks); no
 * router advertisement, redirect or DHCPv6 server message. The rules are
 * as nft 1.0.6 compiles what it lists, dependencies included: it has no
 * "icmpv6 taddr", so targets are "@th,64,128".
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/rule.h>

#include "nft_priv.h"

struct link6 {
	bool bridge;
	const char *has6, *addr, *nd; /* the sets: links with IPv6, link . address, ND targets */
};

static const struct link6 iso = {false, S_ISO_IFS6, S_SPOOF6, S_ND6};
static const struct link6 port = {true, S_PORTS_V6, S_PORT_IP6, S_PORT_ND6};

/* isolated links: iifname @iso_ifs; bridge ports are guests' already */
static int pre(struct nftnl_rule *r, const struct link6 *l)
{
	return l->bridge ? 0 : nft_expr_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false);
}

/* the dependency of "ip6 ...": meta nfproto ipv6 (inet), meta protocol ip6
 * (bridge); of "icmpv6 ..." alone: ether type ip6 in the bridge */
static int dep(struct nftnl_rule *r, const struct link6 *l, bool icmp)
{
	uint16_t ip6 = htons(0x86dd);

	if (!l->bridge)
		return nft_expr_ipv6(r);
	if (icmp)
		return nft_expr_payload(r, NFT_PAYLOAD_LL_HEADER, ETH_TYPE, 2, NFT_REG_1) ?:
		       nft_expr_cmp(r, NFT_CMP_EQ, &ip6, 2);
	return nft_expr_meta(r, NFT_META_PROTOCOL, NFT_REG_1) ?: nft_expr_cmp(r, NFT_CMP_EQ, &ip6, 2);
}

/* udp sport 547 counter name dhcp6_server_drop drop */
static int dhcp6_server(struct nftnl_rule *r, const struct link6 *l)
{
	return pre(r, l) ?: nft_expr_udp_port_drop(r, 0, 547, O_DHCP6);
}

/* icmpv6 type @type counter name ra_drop drop */
static int icmp_drop(struct nftnl_rule *r, const struct link6 *l, uint8_t type)
{
	return pre(r, l) ?: dep(r, l, true) ?: nft_expr_icmp6_type(r, type) ?: nft_expr_drop(r, O_RA);
}

/* meta nfproto ipv6 iifname != @has6 counter name spoof_drop drop */
static int no6(struct nftnl_rule *r, const struct link6 *l)
{
	return pre(r, l) ?: dep(r, l, false) ?:
	       nft_expr_if_in(r, NFT_META_IIFNAME, l->has6, true) ?:
	       nft_expr_drop(r, O_SPOOF);
}

/* icmpv6 type nd-neighbor-advert @th,64,64 != 0xfe80000000000000
 *	iifname . @th,64,128 != @nd counter name spoof_drop drop */
static int na(struct nftnl_rule *r, const struct link6 *l)
{
	return pre(r, l) ?: dep(r, l, true) ?:
	       nft_expr_icmp6_type(r, ICMP6_NA) ?:
	       nft_expr_ll6(r, NFT_PAYLOAD_TRANSPORT_HEADER, ND_TARGET, NFT_CMP_NEQ) ?:
	       nft_expr_if_concat_in(r, NFT_PAYLOAD_TRANSPORT_HEADER, ND_TARGET, 16, l->nd, true) ?:
	       nft_expr_drop(r, O_SPOOF);
}

/* ip6 saddr :: icmpv6 type nd-neighbor-solicit, then the target: a
 * link-local one (@ll) or iifname . @th,64,128 @nd; accept */
static int dad(struct nftnl_rule *r, const struct link6 *l, bool ll)
{
	static const uint8_t any[16];
	int ret = pre(r, l) ?: dep(r, l, false) ?:
		  nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP6_SADDR, 16, NFT_REG_1) ?:
		  nft_expr_cmp(r, NFT_CMP_EQ, any, 16) ?:
		  nft_expr_icmp6_type(r, ICMP6_NS);

	if (!ret)
		ret = ll ? nft_expr_ll6(r, NFT_PAYLOAD_TRANSPORT_HEADER, ND_TARGET, NFT_CMP_EQ)
			 : nft_expr_if_concat_in(r, NFT_PAYLOAD_TRANSPORT_HEADER, ND_TARGET, 16,
						 l->nd, false);
	return ret ?: nft_expr_verdict(r, NF_ACCEPT, NULL);
}

/* ip6 saddr fe80::/64 accept */
static int ll_src(struct nftnl_rule *r, const struct link6 *l)
{
	return pre(r, l) ?: dep(r, l, false) ?:
	       nft_expr_ll6(r, NFT_PAYLOAD_NETWORK_HEADER, IP6_SADDR, NFT_CMP_EQ) ?:
	       nft_expr_verdict(r, NF_ACCEPT, NULL);
}

/* iifname . ip6 saddr != @addr counter name spoof_drop drop */
static int src(struct nftnl_rule *r, const struct link6 *l)
{
	return pre(r, l) ?: dep(r, l, false) ?:
	       nft_expr_if_concat_in(r, NFT_PAYLOAD_NETWORK_HEADER, IP6_SADDR, 16, l->addr, true) ?:
	       nft_expr_drop(r, O_SPOOF);
}

int nft_rule_iso_dhcp6_server(struct nftnl_rule *r, uint32_t unused)
{
	return dhcp6_server(r, &iso);
}

int nft_rule_iso_ra(struct nftnl_rule *r, uint32_t unused)
{
	return icmp_drop(r, &iso, ICMP6_RA);
}

int nft_rule_iso_redirect(struct nftnl_rule *r, uint32_t unused)
{
	return icmp_drop(r, &iso, ICMP6_REDIRECT);
}

int nft_rule_iso_no6(struct nftnl_rule *r, uint32_t unused)
{
	return no6(r, &iso);
}

int nft_rule_iso_na(struct nftnl_rule *r, uint32_t unused)
{
	return na(r, &iso);
}

int nft_rule_iso_dad_ll(struct nftnl_rule *r, uint32_t unused)
{
	return dad(r, &iso, true);
}

int nft_rule_iso_dad(struct nftnl_rule *r, uint32_t unused)
{
	return dad(r, &iso, false);
}

int nft_rule_iso_ll(struct nftnl_rule *r, uint32_t unused)
{
	return ll_src(r, &iso);
}

int nft_rule_iso_ip6(struct nftnl_rule *r, uint32_t unused)
{
	return src(r, &iso);
}

int nft_rule_br_dhcp6_server(struct nftnl_rule *r, uint32_t unused)
{
	return dhcp6_server(r, &port);
}

int nft_rule_br_ra(struct nftnl_rule *r, uint32_t unused)
{
	return icmp_drop(r, &port, ICMP6_RA);
}

int nft_rule_br_redirect(struct nftnl_rule *r, uint32_t unused)
{
	return icmp_drop(r, &port, ICMP6_REDIRECT);
}

int nft_rule_br_no6(struct nftnl_rule *r, uint32_t unused)
{
	return no6(r, &port);
}

int nft_rule_br_na(struct nftnl_rule *r, uint32_t unused)
{
	return na(r, &port);
}

int nft_rule_br_dad_ll(struct nftnl_rule *r, uint32_t unused)
{
	return dad(r, &port, true);
}

int nft_rule_br_dad(struct nftnl_rule *r, uint32_t unused)
{
	return dad(r, &port, false);
}

int nft_rule_br_ll(struct nftnl_rule *r, uint32_t unused)
{
	return ll_src(r, &port);
}

int nft_rule_br_ip6(struct nftnl_rule *r, uint32_t unused)
{
	return src(r, &port);
}

/* ether type ip6 accept: what is left of a guest's IPv6 passed */
int nft_rule_br_ip6_ok(struct nftnl_rule *r, uint32_t unused)
{
	uint16_t ip6 = htons(0x86dd);

	return nft_expr_payload(r, NFT_PAYLOAD_LL_HEADER, ETH_TYPE, 2, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, &ip6, 2) ?: nft_expr_verdict(r, NF_ACCEPT, NULL);
}
