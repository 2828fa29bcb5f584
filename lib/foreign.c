/* SPDX-License-Identifier: MIT */
/*
 * Other tables' forward paths, read: rule shapes from a libnftnl dump
 * (include/vmnet/foreign.h says what the shapes mean; foreign_scan.c walks
 * them).
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_state.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "vmnet/common.h"
#include "vmnet/foreign.h"
#include "vmnet/names.h"

/* ct state bits (nf_conntrack_common.h: NF_CT_STATE_BIT) */
#define CT_INVALID 0x01
#define CT_NEW 0x08

enum src {
	SRC_OTHER,
	SRC_IIFNAME,
	SRC_OIFNAME,
	SRC_NFPROTO,
	SRC_PROTOCOL,
	SRC_CTSTATE,
	SRC_L4PROTO, /* meta l4proto, ip protocol */
	SRC_DPORT,   /* th dport: 2 bytes at transport header + 2 */
	SRC_DADDR,   /* ip daddr */
};

#define N_REGS 24 /* NFT_REG_VERDICT .. NFT_REG32_15 */

struct regs {
	enum src src[N_REGS];
	uint32_t mask[N_REGS]; /* SRC_CTSTATE: the bits a bitwise kept; 0 = none */
	struct vmnet_fw_rule *r;
};

static void reg_set(struct regs *g, uint32_t reg, enum src src, uint32_t mask)
{
	if (reg < N_REGS) {
		g->src[reg] = src;
		g->mask[reg] = mask;
	}
}

static enum src reg_src(const struct regs *g, uint32_t reg, uint32_t *ret_mask)
{
	if (reg >= N_REGS)
		return SRC_OTHER;
	*ret_mask = g->mask[reg];
	return g->src[reg];
}

static void ex_meta(struct regs *g, const struct nftnl_expr *e)
{
	uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
	enum src s = SRC_OTHER;

	if (!nftnl_expr_is_set(e, NFTNL_EXPR_META_DREG))
		return; /* meta set: a statement */
	if (key == NFT_META_IIFNAME)
		s = SRC_IIFNAME;
	else if (key == NFT_META_OIFNAME)
		s = SRC_OIFNAME;
	else if (key == NFT_META_NFPROTO)
		s = SRC_NFPROTO;
	else if (key == NFT_META_PROTOCOL)
		s = SRC_PROTOCOL;
	else if (key == NFT_META_L4PROTO)
		s = SRC_L4PROTO;
	reg_set(g, nftnl_expr_get_u32(e, NFTNL_EXPR_META_DREG), s, 0);
}

static void ex_ct(struct regs *g, const struct nftnl_expr *e)
{
	if (!nftnl_expr_is_set(e, NFTNL_EXPR_CT_DREG))
		return; /* ct set */
	reg_set(g, nftnl_expr_get_u32(e, NFTNL_EXPR_CT_DREG),
		nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY) == NFT_CT_STATE ? SRC_CTSTATE : SRC_OTHER,
		0);
}

/* `ct state established,related` is ct state & 0x06 != 0: keep the mask. */
static void ex_bitwise(struct regs *g, const struct nftnl_expr *e)
{
	uint32_t m = 0, sreg = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_SREG), len = 0, xl = 0;
	const uint32_t *mask = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &len);
	const uint32_t * xor = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_XOR, &xl);
	uint32_t dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_DREG);
	bool is_bool = !nftnl_expr_is_set(e, NFTNL_EXPR_BITWISE_OP) ||
		       nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_OP) == NFT_BITWISE_BOOL;

	if (reg_src(g, sreg, &m) == SRC_CTSTATE && is_bool && mask && len == 4 && xor&&xl == 4 &&
	    !*xor)
		reg_set(g, dreg, SRC_CTSTATE, *mask);
	else
		reg_set(g, dreg, SRC_OTHER, 0);
}

static void cmp_ifname(struct vmnet_fw_rule *r, bool oif, bool neg, const char *d, uint32_t len)
{
	struct vmnet_fw_if *f;
	size_t n = strnlen(d, len);

	if (!neg && n < len && !strcmp(d, "lo")) {
		r->guard = true; /* VM traffic is never forwarded in or out through lo */
		return;
	}
	if (r->n_ifs == VMNET_FW_IFS || n >= IFNAMSIZ) {
		r->partial = true;
		return;
	}
	f = &r->ifs[r->n_ifs++];
	f->oif = oif;
	f->neg = neg;
	f->prefix = n == len; /* nft compares a wildcard's prefix only, without the NUL */
	memcpy(f->name, d, n);
	f->name[n] = 0;
}

/* A match on the ct states in @states (ct state bits, as xt's): a flow's
 * first packet is `new`, so one that excludes it is a guard (with
 * established or related only, the flow never started through this chain). */
static void ct_states(struct vmnet_fw_rule *r, uint32_t states)
{
	if (!(states & CT_NEW))
		r->guard = true;
	r->partial = true;
}

static uint16_t be16(const uint8_t *d)
{
	return (uint16_t)(d[0] << 8 | d[1]);
}

/* What a DNAT rule matches: protocol, destination port and address (an
 * inequality or another size leaves it unknown). They narrow VM traffic too. */
static void ex_cmp_dnat(struct vmnet_fw_rule *r, enum src s, bool eq, const uint8_t *d,
			uint32_t len)
{
	r->partial = true;
	if (!eq)
		return;
	if (s == SRC_L4PROTO && len == 1)
		r->l4proto = d[0];
	else if (s == SRC_DPORT && len == 2)
		r->dport = r->dport_hi = be16(d);
	else if (s == SRC_DADDR && len == 4)
		r->daddr = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

/* A destination port range as iptables-nft writes it (--dport a:b). */
static void ex_range(struct regs *g, const struct nftnl_expr *e)
{
	uint32_t m = 0, l1 = 0, l2 = 0;
	const uint8_t *lo = nftnl_expr_get(e, NFTNL_EXPR_RANGE_FROM_DATA, &l1);
	const uint8_t *hi = nftnl_expr_get(e, NFTNL_EXPR_RANGE_TO_DATA, &l2);

	g->r->partial = true;
	if (reg_src(g, nftnl_expr_get_u32(e, NFTNL_EXPR_RANGE_SREG), &m) == SRC_DPORT &&
	    nftnl_expr_get_u32(e, NFTNL_EXPR_RANGE_OP) == NFT_RANGE_EQ && lo && hi && l1 == 2 &&
	    l2 == 2) {
		g->r->dport = be16(lo);
		g->r->dport_hi = be16(hi);
	}
}

/* payload loads vmnet reads: ip protocol, ip daddr, th dport. */
static void ex_payload(struct regs *g, const struct nftnl_expr *e)
{
	uint32_t base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
	uint32_t off = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
	uint32_t len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
	enum src s = SRC_OTHER;

	if (!nftnl_expr_is_set(e, NFTNL_EXPR_PAYLOAD_DREG))
		return; /* payload set: a statement */
	if (base == NFT_PAYLOAD_NETWORK_HEADER && off == 9 && len == 1)
		s = SRC_L4PROTO;
	else if (base == NFT_PAYLOAD_NETWORK_HEADER && off == 16 && len == 4)
		s = SRC_DADDR;
	else if (base == NFT_PAYLOAD_TRANSPORT_HEADER && off == 2 && len == 2)
		s = SRC_DPORT;
	reg_set(g, nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_DREG), s, 0);
}

/* What one comparison says about VM traffic (IPv4, first packet `new`). */
static void ex_cmp(struct regs *g, const struct nftnl_expr *e)
{
	struct vmnet_fw_rule *r = g->r;
	uint32_t len = 0, mask = 0, v = 0;
	const uint8_t *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
	uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
	enum src s = reg_src(g, nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_SREG), &mask);
	bool eq = op == NFT_CMP_EQ, neq = op == NFT_CMP_NEQ;

	if (d && len == 2 && s == SRC_DPORT && (op == NFT_CMP_GTE || op == NFT_CMP_LTE))
		*(op == NFT_CMP_GTE ? &r->dport : &r->dport_hi) =
			be16(d); /* nft's `th dport a-b` */
	if (!d || !len || (!eq && !neq)) {
		r->partial = true;
		return;
	}
	memcpy(&v, d, len < 4 ? len : 4);
	switch (s) {
	case SRC_IIFNAME:
	case SRC_OIFNAME:
		cmp_ifname(r, s == SRC_OIFNAME, neq, (const char *)d, len);
		return;
	case SRC_NFPROTO: /* 1 byte */
		if ((eq && d[0] != NFPROTO_IPV4) || (neq && d[0] == NFPROTO_IPV4))
			r->guard = true;
		return;
	case SRC_PROTOCOL: /* 2 bytes, network order; bridges also carry ARP */
		if (len != 2)
			r->partial = true;
		else if (eq && (uint16_t)v == htons(ETH_P_IPV6))
			r->guard = true;
		else if (!(eq && (uint16_t)v == htons(ETH_P_IP)) &&
			 !(neq && (uint16_t)v == htons(ETH_P_IPV6)))
			r->partial = true;
		return;
	case SRC_L4PROTO:
	case SRC_DPORT:
	case SRC_DADDR:
		ex_cmp_dnat(r, s, eq, d, len);
		return;
	case SRC_CTSTATE:
		if (mask && !v && len == 4) /* (state & mask) != 0, or == 0 */
			ct_states(r, neq ? mask : ~mask);
		else if (!mask && eq)
			ct_states(r, v);
		else
			r->partial = true;
		return;
	default:
		r->partial = true;
		return;
	}
}

static void ex_verdict(struct vmnet_fw_rule *r, const struct nftnl_expr *e)
{
	const char *chain;

	switch ((int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT)) {
	case NF_ACCEPT:
		r->verdict = VMNET_FW_ACCEPT;
		break;
	case NF_DROP:
		r->verdict = VMNET_FW_DROP;
		break;
	case NFT_RETURN:
		r->verdict = VMNET_FW_RETURN;
		break;
	case NFT_JUMP:
	case NFT_GOTO:
		r->verdict = (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT) == NFT_JUMP
				     ? VMNET_FW_JUMP
				     : VMNET_FW_GOTO;
		chain = nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN);
		if (!chain || strlen(chain) >= sizeof(r->target))
			r->verdict = VMNET_FW_OTHER;
		else
			snprintf(r->target, sizeof(r->target), "%s", chain);
		break;
	case NFT_CONTINUE:
		break;
	default:
		r->verdict = VMNET_FW_OTHER;
		break;
	}
}

/* iptables-nft keeps some matches as xt blobs: conntrack and state are read
 * (`-m conntrack --ctstate INVALID`), comments ignored, others unknown. */
static void ex_xt_match(struct vmnet_fw_rule *r, const struct nftnl_expr *e)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_MT_NAME);
	uint32_t len = 0, rev = nftnl_expr_get_u32(e, NFTNL_EXPR_MT_REV);
	const void *info = nftnl_expr_get(e, NFTNL_EXPR_MT_INFO, &len);

	if (!name || !info) {
		r->unknown = true;
	} else if (!strcmp(name, "conntrack") && rev == 3 &&
		   len >= sizeof(struct xt_conntrack_mtinfo3)) {
		const struct xt_conntrack_mtinfo3 *c = info;

		/* -m state is this match with the alias flag (iptables 1.8) */
		if ((c->match_flags & ~XT_CONNTRACK_STATE_ALIAS) != XT_CONNTRACK_STATE)
			r->unknown = true;
		else
			ct_states(r, c->invert_flags & XT_CONNTRACK_STATE ? ~(uint32_t)c->state_mask
									  : c->state_mask);
	} else if (!strcmp(name, "state") && len >= sizeof(struct xt_state_info)) {
		ct_states(r, ((const struct xt_state_info *)info)->statemask);
	} else if (strcmp(name, "comment")) {
		r->unknown = true;
	}
}

/* xt targets that let the packet go on to the next rule. */
static const char *const xt_go_on[] = {"LOG", "NFLOG",	 "MARK",     "CONNMARK",    "TCPMSS",
				       "CT",  "NOTRACK", "CLASSIFY", "DSCP",	    "TOS",
				       "TTL", "AUDIT",	 "SECMARK",  "CONNSECMARK", "TRACE"};

static void ex_xt_target(struct vmnet_fw_rule *r, const struct nftnl_expr *e)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME);

	if (name && !strcmp(name, "REJECT")) {
		r->verdict = VMNET_FW_REJECT;
		return;
	}
	if (name && !strcmp(name, "DNAT"))
		r->dnat = true;
	for (size_t i = 0; name && i < ARRAY_SIZE(xt_go_on); i++)
		if (!strcmp(name, xt_go_on[i]))
			return;
	r->verdict = VMNET_FW_OTHER;
	r->unknown = true;
}

/* Expressions that neither match nor decide: counters, logs, marks set. */
static const char *const neutral[] = {"counter", "log", "objref", "notrack", "dup", "connlimit"};
/* Loaders whose value vmnet does not interpret: a comparison on it is partial. */
static const struct {
	const char *name;
	uint16_t dreg;
} loaders[] = {
	{"fib", NFTNL_EXPR_FIB_DREG},	    {"rt", NFTNL_EXPR_RT_DREG},
	{"exthdr", NFTNL_EXPR_EXTHDR_DREG}, {"socket", NFTNL_EXPR_SOCKET_DREG},
	{"hash", NFTNL_EXPR_HASH_DREG},	    {"numgen", NFTNL_EXPR_NG_DREG},
};

static int expr_cb(struct nftnl_expr *e, void *data)
{
	struct regs *g = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	size_t i;

	if (!name)
		name = "";
	if (!strcmp(name, "meta"))
		ex_meta(g, e);
	else if (!strcmp(name, "ct"))
		ex_ct(g, e);
	else if (!strcmp(name, "bitwise"))
		ex_bitwise(g, e);
	else if (!strcmp(name, "cmp"))
		ex_cmp(g, e);
	else if (!strcmp(name, "payload"))
		ex_payload(g, e);
	else if (!strcmp(name, "immediate") && nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT))
		ex_verdict(g->r, e);
	else if (!strcmp(name, "immediate"))
		reg_set(g, nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG), SRC_OTHER, 0);
	else if (!strcmp(name, "reject"))
		g->r->verdict = VMNET_FW_REJECT;
	else if (!strcmp(name, "match"))
		ex_xt_match(g->r, e);
	else if (!strcmp(name, "target"))
		ex_xt_target(g->r, e);
	else if (!strcmp(name, "lookup") && nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG) &&
		 nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_DREG) == NFT_REG_VERDICT)
		g->r->verdict = VMNET_FW_OTHER; /* a verdict map */
	else if (!strcmp(name, "range"))
		ex_range(g, e);
	else if (!strcmp(name, "lookup") || !strcmp(name, "limit") || !strcmp(name, "quota"))
		g->r->partial = true; /* lookup's map dreg, if any, is only data */
	else {
		for (i = 0; i < ARRAY_SIZE(neutral); i++)
			if (!strcmp(name, neutral[i]))
				return MNL_CB_OK;
		for (i = 0; i < ARRAY_SIZE(loaders); i++)
			if (!strcmp(name, loaders[i].name)) {
				if (nftnl_expr_is_set(e, loaders[i].dreg))
					reg_set(g, nftnl_expr_get_u32(e, loaders[i].dreg),
						SRC_OTHER, 0);
				return MNL_CB_OK;
			}
		/* queue, nat, ...: registers unknown from here on */
		g->r->unknown = true;
		if (!strcmp(name, "nat") &&
		    nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_TYPE) == NFT_NAT_DNAT)
			g->r->dnat = true;
		if (!strcmp(name, "queue"))
			g->r->verdict = VMNET_FW_OTHER;
		for (i = 0; i < N_REGS; i++)
			reg_set(g, (uint32_t)i, SRC_OTHER, 0);
	}
	return MNL_CB_OK;
}

static bool family_wanted(uint32_t fam)
{
	return fam == NFPROTO_IPV4 || fam == NFPROTO_INET || fam == NFPROTO_BRIDGE;
}

static bool table_ours(uint32_t fam, const char *table)
{
	return (fam == NFPROTO_INET || fam == NFPROTO_BRIDGE) && !strcmp(table, VMNET_NFT_TABLE);
}

ssize_t vmnet_fw_chain_find(const struct vmnet_fw_ruleset *rs, uint8_t fam, const char *table,
			    const char *name)
{
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct vmnet_fw_chain *c = &rs->chains[i];

		if (c->family == fam && !strcmp(c->name, name) && !strcmp(c->table, table))
			return (ssize_t)i;
	}
	return -1;
}

static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	void *p;

	if (n < *cap)
		return v;
	p = realloc(v, (*cap ? *cap * 2 : 32) * size);
	if (p)
		*cap = *cap ? *cap * 2 : 32;
	return p;
}

static int add_chain(struct vmnet_fw_ruleset *rs, const struct nftnl_chain *nc)
{
	uint32_t fam = nftnl_chain_get_u32(nc, NFTNL_CHAIN_FAMILY);
	const char *table = nftnl_chain_get_str(nc, NFTNL_CHAIN_TABLE);
	const char *name = nftnl_chain_get_str(nc, NFTNL_CHAIN_NAME);
	struct vmnet_fw_chain *c, *v;

	if (!table || !name || !family_wanted(fam) || table_ours(fam, table))
		return 0;
	if (strlen(table) >= VMNET_FW_NAME || strlen(name) >= VMNET_FW_NAME) {
		rs->truncated = true;
		return 0;
	}
	v = grow(rs->chains, &rs->cap_chains, rs->n_chains, sizeof(*c));
	if (!v)
		return -ENOMEM;
	rs->chains = v;
	c = &rs->chains[rs->n_chains++];
	memset(c, 0, sizeof(*c));
	c->family = (uint8_t)fam;
	snprintf(c->table, sizeof(c->table), "%s", table);
	snprintf(c->name, sizeof(c->name), "%s", name);
	/* Only base chains have a hook; bridge's forward hook has inet's number. */
	c->forward = nftnl_chain_is_set(nc, NFTNL_CHAIN_HOOKNUM) &&
		     nftnl_chain_get_u32(nc, NFTNL_CHAIN_HOOKNUM) == NF_INET_FORWARD;
	c->priority = nftnl_chain_is_set(nc, NFTNL_CHAIN_PRIO)
			      ? (int)nftnl_chain_get_s32(nc, NFTNL_CHAIN_PRIO)
			      : 0;
	c->policy_drop = nftnl_chain_is_set(nc, NFTNL_CHAIN_POLICY) &&
			 nftnl_chain_get_u32(nc, NFTNL_CHAIN_POLICY) == NF_DROP;
	return 0;
}

static int add_rule(struct vmnet_fw_ruleset *rs, struct nftnl_rule *nr)
{
	uint32_t fam = nftnl_rule_get_u32(nr, NFTNL_RULE_FAMILY);
	const char *table = nftnl_rule_get_str(nr, NFTNL_RULE_TABLE);
	const char *chain = nftnl_rule_get_str(nr, NFTNL_RULE_CHAIN);
	struct regs g = {0};
	struct vmnet_fw_rule *r, *v;
	ssize_t ci;

	if (!table || !chain || !family_wanted(fam) || table_ours(fam, table))
		return 0;
	/* Chains are dumped first: a rule of an unknown chain came after it. */
	ci = vmnet_fw_chain_find(rs, (uint8_t)fam, table, chain);
	if (ci < 0) {
		rs->truncated = true;
		return 0;
	}
	v = grow(rs->rules, &rs->cap_rules, rs->n_rules, sizeof(*r));
	if (!v)
		return -ENOMEM;
	rs->rules = v;
	r = &rs->rules[rs->n_rules];
	memset(r, 0, sizeof(*r));
	r->chain = (size_t)ci;
	r->seq = rs->n_rules++;
	r->handle = nftnl_rule_get_u64(nr, NFTNL_RULE_HANDLE);
	g.r = r;
	nftnl_expr_foreach(nr, expr_cb, &g);
	return 0;
}

int vmnet_fw_feed(struct vmnet_fw_ruleset *rs, const struct nlmsghdr *nh)
{
	uint16_t type = nh->nlmsg_type & 0xff;
	int r = 0;

	if ((nh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
		return 0;
	if (type == NFT_MSG_NEWCHAIN) {
		struct nftnl_chain *c = nftnl_chain_alloc();

		if (!c)
			return -ENOMEM;
		r = nftnl_chain_nlmsg_parse(nh, c) < 0 ? -EINVAL : add_chain(rs, c);
		nftnl_chain_free(c);
	} else if (type == NFT_MSG_NEWRULE) {
		struct nftnl_rule *ru = nftnl_rule_alloc();

		if (!ru)
			return -ENOMEM;
		r = nftnl_rule_nlmsg_parse(nh, ru) < 0 ? -EINVAL : add_rule(rs, ru);
		nftnl_rule_free(ru);
	}
	return r;
}

static int by_chain(const void *a, const void *b)
{
	const struct vmnet_fw_rule *x = a, *y = b;

	if (x->chain != y->chain)
		return x->chain < y->chain ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void vmnet_fw_index(struct vmnet_fw_ruleset *rs)
{
	size_t i;

	if (rs->n_rules)
		qsort(rs->rules, rs->n_rules, sizeof(*rs->rules), by_chain);
	for (i = 0; i < rs->n_chains; i++)
		rs->chains[i].n = 0;
	for (i = rs->n_rules; i-- > 0;) {
		struct vmnet_fw_chain *c = &rs->chains[rs->rules[i].chain];

		c->first = i;
		c->n++;
	}
}

void vmnet_fw_free(struct vmnet_fw_ruleset *rs)
{
	free(rs->chains);
	free(rs->rules);
	memset(rs, 0, sizeof(*rs));
}
