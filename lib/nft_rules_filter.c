/* SPDX-License-Identifier: MIT */
/*
 * Rules of the filter chains of inet vmnet: forward (replies, published
 * ports, isolation groups, closed NAT networks; both families), antispoof
 * (isolated links; IPv6's from nft_rules6.c) and input (what an isolated
 * guest may reach on the host).
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if_arp.h>
#include <stdio.h>

#include <libnftnl/rule.h>

#include "nft_priv.h"

/* ct state established,related counter accept */
static int rule_fwd_est(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_ct_bits(r, NFT_CT_STATE, CT_STATE_EST_REL) ?:
	       nft_expr_simple(r, "counter") ?:
	       nft_expr_verdict(r, NF_ACCEPT, NULL);
}

/* ct state established,related accept (input: no counter) */
static int rule_est(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_ct_bits(r, NFT_CT_STATE, CT_STATE_EST_REL) ?: nft_expr_verdict(r, NF_ACCEPT, NULL);
}

/* ---- isolation and anti-spoofing (inet vmnet) ---- */

/* iifname @iso_ifs iifname . ether saddr != @spoofmac counter name spoof_drop drop
 * (in the inet family, ether saddr comes with meta iiftype ether: without
 * it nft shows a raw @ll load that it cannot read back) */
static int rule_iso_mac(struct nftnl_rule *r, uint32_t unused)
{
	uint16_t ether = ARPHRD_ETHER;

	return nft_expr_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?:
	       nft_expr_meta(r, NFT_META_IIFTYPE, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, &ether, 2) ?:
	       nft_expr_if_concat_not_in(r, NFT_PAYLOAD_LL_HEADER, ETH_SADDR, 6, S_SPOOFMAC) ?:
	       nft_expr_drop(r, O_SPOOF);
}

/* iifname @iso_ifs meta nfproto ipv4 ip saddr 0.0.0.0 udp dport 67 accept:
 * only DHCP may come from no address (the host answers it; it is not
 * routed anywhere useful), everything else must pass spoof4. */
static int rule_iso_dhcp(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?:
	       nft_expr_ipv4(r) ?:
	       nft_expr_dhcp_discover(r) ?:
	       nft_expr_verdict(r, NF_ACCEPT, NULL);
}

/* iifname @iso_ifs meta nfproto ipv4 iifname . ip saddr != @spoof4 counter name spoof_drop drop */
static int rule_iso_ip(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?:
	       nft_expr_ipv4(r) ?:
	       nft_expr_if_concat_not_in(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 4, S_SPOOF4) ?:
	       nft_expr_drop(r, O_SPOOF);
}

/* iifname @iso_ifs udp sport 67 counter name dhcp_server_drop drop: DHCP
 * answers come from the host (netd), never from a guest */
static int rule_iso_dhcp_server(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?: nft_expr_dhcp_server_drop(r);
}

/* iifname @iso_ifs oifname @iso_ifs udp dport 67-68 counter name
 * dhcp_server_drop drop: not even guests of one group talk DHCP to each
 * other (a client on a raw socket takes an offer from any source port);
 * nor DHCPv6 (udp dport 546-547, dhcp6_server_drop) */
static int fwd_iso_dhcp(struct nftnl_rule *r, uint16_t lo, const char *counter)
{
	return nft_expr_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?:
	       nft_expr_if_in(r, NFT_META_OIFNAME, S_ISO_IFS, false) ?:
	       nft_expr_udp_range_drop(r, lo, lo + 1, counter);
}

static int rule_fwd_iso_dhcp(struct nftnl_rule *r, uint32_t unused)
{
	return fwd_iso_dhcp(r, 67, O_DHCP);
}

static int rule_fwd_iso_dhcp6(struct nftnl_rule *r, uint32_t unused)
{
	return fwd_iso_dhcp(r, 546, O_DHCP6);
}

/* iifname @iso_ifs meta nfproto ipv4 ip daddr 127.0.0.0/8 counter name
 * loopback_drop drop: with localhostPorts the link has route_localnet, and
 * the host's loopback services are not the guest's */
static int rule_iso_loopback(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?:
	       nft_expr_ipv4(r) ?:
	       nft_expr_daddr_loopback(r) ?:
	       nft_expr_drop(r, O_LOOPBACK);
}

/* ct status dnat accept: published ports stay reachable from everywhere,
 * isolated guests included, like for any outside client. */
static int rule_fwd_dnat(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_ct_bits(r, NFT_CT_STATUS, IPS_DST_NAT_BIT) ?: nft_expr_verdict(r, NF_ACCEPT, NULL);
}

/*
 * iifname @iso_ifs oifname @iso_ifs oifname . iifgroup @iso_members accept
 *
 * The host end of an isolated link carries its isolation group as its
 * device group (attach.c), so "the incoming link is in the outgoing link's
 * group" is one lookup of oifname . iifgroup, in a form nft prints and
 * reads back (a map lookup inside a concatenation is neither).
 */
static int rule_fwd_group(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?:
	       nft_expr_if_in(r, NFT_META_OIFNAME, S_ISO_IFS, false) ?:
	       nft_expr_meta(r, NFT_META_OIFNAME, NFT_REG_1) ?:
	       nft_expr_meta(r, NFT_META_IIFGROUP, NFT_REG_2) ?:
	       nft_expr_lookup(r, S_ISO_MEMBERS, 0, false, false) ?:
	       nft_expr_verdict(r, NF_ACCEPT, NULL);
}

/* iifname @iso_ifs oifname @iso_ifs counter name iso_drop drop */
static int rule_fwd_iso_iso(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?:
	       nft_expr_if_in(r, NFT_META_OIFNAME, S_ISO_IFS, false) ?:
	       nft_expr_drop(r, O_ISO);
}

/* The address family of a rule that has an IPv4 and an IPv6 twin. */
struct fam {
	int (*dep)(struct nftnl_rule *r); /* meta nfproto ipv4|ipv6 */
	uint32_t saddr, daddr, len;
	const char *guests, *guest_net, *closed, *cluster;
	uint32_t reg2; /* the register after the address in reg 1 */
};

static const struct fam v4 = {nft_expr_ipv4, IP4_SADDR, IP4_DADDR, 4,
			      S_GUESTS4, S_GUEST_NET, S_CLOSED4, S_CLUSTER4, NFT_REG32_01};
static const struct fam v6 = {nft_expr_ipv6, IP6_SADDR, IP6_DADDR, 16,
			      S_GUESTS6, S_GUEST_NET6, S_CLOSED6, S_CLUSTER6, NFT_REG_2};

/* <ip|ip6> <s|d>addr @set */
static int addr_in(struct nftnl_rule *r, const struct fam *f, bool src, const char *set, bool inv)
{
	return nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, src ? f->saddr : f->daddr, f->len,
				NFT_REG_1) ?:
	       nft_expr_lookup(r, set, 0, false, inv);
}

/* iifname|oifname @iso_ifs ip saddr|daddr @guests4 counter name iso_drop drop */
static int fwd_iso_guests(struct nftnl_rule *r, const struct fam *f, bool out)
{
	return nft_expr_if_in(r, out ? NFT_META_IIFNAME : NFT_META_OIFNAME, S_ISO_IFS, false) ?:
	       f->dep(r) ?:
	       addr_in(r, f, !out, f->guests, false) ?:
	       nft_expr_drop(r, O_ISO);
}

/* iifname @iso_ifs ip daddr @guests4 counter name iso_drop drop: an isolated
 * guest reaches other networks' guests only through published ports. */
static int rule_fwd_iso_out(struct nftnl_rule *r, uint32_t unused)
{
	return fwd_iso_guests(r, &v4, true);
}

static int rule_fwd_iso_out6(struct nftnl_rule *r, uint32_t unused)
{
	return fwd_iso_guests(r, &v6, true);
}

/* oifname @iso_ifs ip saddr @guests4 counter name iso_drop drop: and no
 * other guest reaches an isolated one directly. */
static int rule_fwd_iso_in(struct nftnl_rule *r, uint32_t unused)
{
	return fwd_iso_guests(r, &v4, false);
}

static int rule_fwd_iso_in6(struct nftnl_rule *r, uint32_t unused)
{
	return fwd_iso_guests(r, &v6, false);
}

/*
 * ip saddr @guests4 ip daddr @guests4 oifname . ip saddr != @guest_net
 *	counter name iso_drop drop
 *
 * Shared networks are isolated from each other: guest to guest traffic
 * leaving through a bridge is allowed only from a guest of that bridge's
 * network. With bridge netfilter, traffic inside one network shows here
 * with oifname = its bridge (allowed); between two networks it is routed
 * out of the other bridge (dropped). Published ports were accepted above.
 */
static int fwd_net(struct nftnl_rule *r, const struct fam *f)
{
	return f->dep(r) ?:
	       addr_in(r, f, true, f->guests, false) ?:
	       addr_in(r, f, false, f->guests, false) ?:
	       nft_expr_meta(r, NFT_META_OIFNAME, NFT_REG_1) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, f->saddr, f->len, NFT_REG_2) ?:
	       nft_expr_lookup(r, f->guest_net, 0, false, true) ?:
	       nft_expr_drop(r, O_ISO);
}

static int rule_fwd_net(struct nftnl_rule *r, uint32_t unused)
{
	return fwd_net(r, &v4);
}

static int rule_fwd_net6(struct nftnl_rule *r, uint32_t unused)
{
	return fwd_net(r, &v6);
}

/*
 * ip daddr . ip saddr @cluster4 accept
 *
 * A guest of a network with clusterCIDRs takes connections from its
 * cluster's prefixes (the other nodes' guests, with their own addresses).
 * After the isolation rules: this node's own guests fall inside the
 * cluster's prefixes too, and were judged above by their groups and
 * networks. The same for IPv6 (cluster6).
 */
static int fwd_cluster(struct nftnl_rule *r, const struct fam *f)
{
	return f->dep(r) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, f->daddr, f->len, NFT_REG_1) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, f->saddr, f->len, f->reg2) ?:
	       nft_expr_lookup(r, f->cluster, 0, false, false) ?:
	       nft_expr_verdict(r, NF_ACCEPT, NULL);
}

static int rule_fwd_cluster(struct nftnl_rule *r, uint32_t unused)
{
	return fwd_cluster(r, &v4);
}

static int rule_fwd_cluster6(struct nftnl_rule *r, uint32_t unused)
{
	return fwd_cluster(r, &v6);
}

/*
 * ip daddr @closed4 iifname . ip saddr != @guest_net counter name inbound_drop drop
 *
 * Guests behind NAT (ipMasq without routedInbound), and every guest of a
 * network with clusterCIDRs (without routedInbound), take no connection
 * routed to their address from outside (the cluster's were accepted above): a host that routes the guest
 * subnet via this one would otherwise reach every guest port. Replies and
 * published ports were accepted above; the host's own traffic does not
 * pass the forward hook. What is left from a guest is traffic inside its
 * bridge (bridge netfilter: iifname is the bridge, the source one of its
 * guests); an isolated guest's was accepted (its group) or dropped above.
 * The same for IPv6 with ipMasq6 (closed6, guest_net6).
 */
static int fwd_closed(struct nftnl_rule *r, const struct fam *f)
{
	return f->dep(r) ?:
	       addr_in(r, f, false, f->closed, false) ?:
	       nft_expr_meta(r, NFT_META_IIFNAME, NFT_REG_1) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, f->saddr, f->len, NFT_REG_2) ?:
	       nft_expr_lookup(r, f->guest_net, 0, false, true) ?:
	       nft_expr_drop(r, O_INBOUND);
}

static int rule_fwd_closed(struct nftnl_rule *r, uint32_t unused)
{
	return fwd_closed(r, &v4);
}

static int rule_fwd_closed6(struct nftnl_rule *r, uint32_t unused)
{
	return fwd_closed(r, &v6);
}

/* iifname != @iso_ifs accept: the input chain polices isolated links only */
static int rule_in_other(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, true) ?:
	       nft_expr_verdict(r, NF_ACCEPT, NULL);
}

/* iifname @host_open accept */
static int rule_in_open(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_if_in(r, NFT_META_IIFNAME, S_HOST_OPEN, false) ?:
	       nft_expr_verdict(r, NF_ACCEPT, NULL);
}

/* meta l4proto <proto> [th dport <port>] accept */
static int rule_in_service(struct nftnl_rule *r, uint8_t proto, uint16_t port)
{
	uint16_t be = htons(port);
	int ret = nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG_1) ?: nft_expr_cmp(r, NFT_CMP_EQ, &proto, 1);

	if (!ret && port)
		ret = nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1) ?:
		      nft_expr_cmp(r, NFT_CMP_EQ, &be, 2);
	return ret ?: nft_expr_verdict(r, NF_ACCEPT, NULL);
}

static int rule_in_icmp(struct nftnl_rule *r, uint32_t unused)
{
	return rule_in_service(r, IPPROTO_ICMP, 0);
}

static int rule_in_dhcp(struct nftnl_rule *r, uint32_t unused)
{
	return rule_in_service(r, IPPROTO_UDP, 67);
}

/* ICMPv6 (neighbour discovery, router solicitations, echo) and DHCPv6 */
static int rule_in_icmp6(struct nftnl_rule *r, uint32_t unused)
{
	return rule_in_service(r, IPPROTO_ICMPV6, 0);
}

static int rule_in_dhcp6(struct nftnl_rule *r, uint32_t unused)
{
	return rule_in_service(r, IPPROTO_UDP, 547);
}

static int rule_in_dns_udp(struct nftnl_rule *r, uint32_t unused)
{
	return rule_in_service(r, IPPROTO_UDP, 53);
}

static int rule_in_dns_tcp(struct nftnl_rule *r, uint32_t unused)
{
	return rule_in_service(r, IPPROTO_TCP, 53);
}

/* counter name iso_drop drop (everything else from an isolated link) */
static int rule_iso_drop(struct nftnl_rule *r, uint32_t unused)
{
	return nft_expr_drop(r, O_ISO);
}

/* In order per chain. */
const struct nft_rule_def nft_rules_filter[] = {
	{F_INET, "forward", rule_fwd_est},
	{F_INET, "forward", rule_fwd_dnat},
	{F_INET, "forward", rule_fwd_iso_dhcp},
	{F_INET, "forward", rule_fwd_iso_dhcp6},
	{F_INET, "forward", rule_fwd_group},
	{F_INET, "forward", rule_fwd_iso_iso},
	{F_INET, "forward", rule_fwd_iso_out},
	{F_INET, "forward", rule_fwd_iso_out6},
	{F_INET, "forward", rule_fwd_iso_in},
	{F_INET, "forward", rule_fwd_iso_in6},
	{F_INET, "forward", rule_fwd_net},
	{F_INET, "forward", rule_fwd_net6},
	{F_INET, "forward", rule_fwd_cluster},
	{F_INET, "forward", rule_fwd_cluster6},
	{F_INET, "forward", rule_fwd_closed},
	{F_INET, "forward", rule_fwd_closed6},
	{F_INET, C_ANTISPOOF, rule_iso_mac},
	{F_INET, C_ANTISPOOF, rule_iso_loopback},
	{F_INET, C_ANTISPOOF, rule_iso_dhcp_server},
	{F_INET, C_ANTISPOOF, nft_rule_iso_dhcp6_server},
	{F_INET, C_ANTISPOOF, rule_iso_dhcp},
	{F_INET, C_ANTISPOOF, rule_iso_ip},
	{F_INET, C_ANTISPOOF, nft_rule_iso_ra},
	{F_INET, C_ANTISPOOF, nft_rule_iso_redirect},
	{F_INET, C_ANTISPOOF, nft_rule_iso_no6},
	{F_INET, C_ANTISPOOF, nft_rule_iso_na},
	{F_INET, C_ANTISPOOF, nft_rule_iso_dad_ll},
	{F_INET, C_ANTISPOOF, nft_rule_iso_dad},
	{F_INET, C_ANTISPOOF, nft_rule_iso_ll},
	{F_INET, C_ANTISPOOF, nft_rule_iso_ip6},
	{F_INET, "input", rule_in_other},
	{F_INET, "input", rule_est},
	{F_INET, "input", rule_in_open},
	{F_INET, "input", rule_in_icmp},
	{F_INET, "input", rule_in_icmp6},
	{F_INET, "input", rule_in_dhcp},
	{F_INET, "input", rule_in_dhcp6},
	{F_INET, "input", rule_in_dns_udp},
	{F_INET, "input", rule_in_dns_tcp},
	{F_INET, "input", rule_iso_drop},
	{0},
};
