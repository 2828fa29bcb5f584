/* SPDX-License-Identifier: MIT */
/*
 * Round-trip tests for the nftables engine (lib/nft*.c), no root: build each batch, parse it
 * back with libnftnl and check the objects and elements the kernel would see.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "vmnet/inet.h"
#include "vmnet/nft.h"
#include "tap.h"

/* What a batch holds, parsed back. */
#define MAXM 256
/* Base rules vmnet installs (both tables), whatever the attachments. */
#define BASE_RULES 81
struct msg {
	uint16_t type; /* NFT_MSG_* or NFNL_MSG_BATCH_* */
	uint16_t flags;
	uint32_t seq;
	char name[64], chain[64]; /* table/chain/set name; rule's chain */
	uint32_t hook, ktype, klen, dtype, dlen, sflags;
	int32_t prio;
	char exprs[256];   /* rule: expression names, comma separated */
	char lookups[128]; /* rule: looked-up set names */
	char comment[64];  /* table comment */
	int n_elems;
	uint8_t key[32], data[20]; /* first element */
	uint32_t key_len, data_len;
	uint8_t udata[128]; /* set userdata */
	uint32_t udata_len;
};

struct parsed {
	struct msg m[MAXM];
	int n;
	size_t total_elems[8];
};

static int udata_cb(const struct nftnl_udata *a, void *data)
{
	if (nftnl_udata_type(a) == NFTNL_UDATA_TABLE_COMMENT)
		snprintf(data, 64, "%s", (const char *)nftnl_udata_get(a));
	return 0;
}

static int expr_cb(struct nftnl_expr *e, void *data)
{
	struct msg *m = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	size_t l = strlen(m->exprs);

	snprintf(m->exprs + l, sizeof(m->exprs) - l, "%s%s", l ? "," : "", name);
	if (!strcmp(name, "lookup")) {
		l = strlen(m->lookups);
		snprintf(m->lookups + l, sizeof(m->lookups) - l, "%s%s", l ? "," : "",
			 nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET));
	}
	return 0;
}

/* libnftnl 1.2.4 refuses to parse element lists addressed by set ID (the
 * anonymous sets): count those from the raw attributes. */
static void raw_elems(const struct nlmsghdr *nh, struct msg *m)
{
	const struct nlattr *a, *e;

	mnl_attr_for_each(a, nh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
			snprintf(m->name, sizeof(m->name), "%s", mnl_attr_get_str(a));
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
			mnl_attr_for_each_nested(e, a) m->n_elems++;
	}
}

static void parse_one(const struct nlmsghdr *nh, struct msg *m)
{
	uint16_t t = NFNL_MSG_TYPE(nh->nlmsg_type);
	uint32_t len;

	if (nh->nlmsg_type == NFNL_MSG_BATCH_BEGIN || nh->nlmsg_type == NFNL_MSG_BATCH_END) {
		m->type = nh->nlmsg_type;
		return;
	}
	m->type = t;
	switch (t) {
	case NFT_MSG_NEWTABLE:
	case NFT_MSG_DELTABLE: {
		struct nftnl_table *x = nftnl_table_alloc();
		const void *u;

		if (nftnl_table_nlmsg_parse(nh, x) == 0) {
			snprintf(m->name, sizeof(m->name), "%s",
				 nftnl_table_get_str(x, NFTNL_TABLE_NAME));
			u = nftnl_table_get_data(x, NFTNL_TABLE_USERDATA, &len);
			if (u)
				nftnl_udata_parse(u, len, udata_cb, m->comment);
		}
		nftnl_table_free(x);
		break;
	}
	case NFT_MSG_NEWCHAIN: {
		struct nftnl_chain *x = nftnl_chain_alloc();

		if (nftnl_chain_nlmsg_parse(nh, x) == 0) {
			snprintf(m->name, sizeof(m->name), "%s",
				 nftnl_chain_get_str(x, NFTNL_CHAIN_NAME));
			m->hook = nftnl_chain_is_set(x, NFTNL_CHAIN_HOOKNUM)
					  ? nftnl_chain_get_u32(x, NFTNL_CHAIN_HOOKNUM)
					  : 99;
			m->prio = nftnl_chain_get_s32(x, NFTNL_CHAIN_PRIO);
		}
		nftnl_chain_free(x);
		break;
	}
	case NFT_MSG_NEWSET: {
		struct nftnl_set *x = nftnl_set_alloc();

		if (nftnl_set_nlmsg_parse(nh, x) == 0) {
			snprintf(m->name, sizeof(m->name), "%s",
				 nftnl_set_get_str(x, NFTNL_SET_NAME));
			m->ktype = nftnl_set_get_u32(x, NFTNL_SET_KEY_TYPE);
			m->klen = nftnl_set_get_u32(x, NFTNL_SET_KEY_LEN);
			m->dtype = nftnl_set_get_u32(x, NFTNL_SET_DATA_TYPE);
			m->dlen = nftnl_set_get_u32(x, NFTNL_SET_DATA_LEN);
			m->sflags = nftnl_set_get_u32(x, NFTNL_SET_FLAGS);
			if (nftnl_set_is_set(x, NFTNL_SET_USERDATA)) {
				const void *u = nftnl_set_get_data(x, NFTNL_SET_USERDATA,
								   &m->udata_len);

				if (m->udata_len <= sizeof(m->udata))
					memcpy(m->udata, u, m->udata_len);
			}
		}
		nftnl_set_free(x);
		break;
	}
	case NFT_MSG_NEWRULE: {
		struct nftnl_rule *x = nftnl_rule_alloc();

		if (nftnl_rule_nlmsg_parse(nh, x) == 0) {
			snprintf(m->chain, sizeof(m->chain), "%s",
				 nftnl_rule_get_str(x, NFTNL_RULE_CHAIN));
			nftnl_expr_foreach(x, expr_cb, m);
		}
		nftnl_rule_free(x);
		break;
	}
	default: { /* NEW/DEL/DESTROY SETELEM */
		struct nftnl_set *x = nftnl_set_alloc();
		struct nftnl_set_elems_iter *it;
		struct nftnl_set_elem *e;

		if (nftnl_set_elems_nlmsg_parse(nh, x) < 0) {
			raw_elems(nh, m);
		} else {
			snprintf(m->name, sizeof(m->name), "%s",
				 nftnl_set_get_str(x, NFTNL_SET_NAME));
			it = nftnl_set_elems_iter_create(x);
			/* _next() returns the current element, then advances. */
			while ((e = nftnl_set_elems_iter_next(it))) {
				const void *p;

				if (m->n_elems++)
					continue;
				p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &m->key_len);
				if (p && m->key_len <= sizeof(m->key))
					memcpy(m->key, p, m->key_len);
				p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &m->data_len);
				if (p && m->data_len <= sizeof(m->data))
					memcpy(m->data, p, m->data_len);
				else
					m->data_len = 0;
			}
			nftnl_set_elems_iter_destroy(it);
		}
		nftnl_set_free(x);
		break;
	}
	}
}

static bool parse(const void *buf, size_t len, struct parsed *p)
{
	const struct nlmsghdr *nh = buf;
	int l = (int)len;

	memset(p, 0, sizeof(*p));
	for (; mnl_nlmsg_ok(nh, l); nh = mnl_nlmsg_next(nh, &l)) {
		struct msg *m;

		if (p->n == MAXM)
			return false;
		m = &p->m[p->n++];
		m->flags = nh->nlmsg_flags;
		m->seq = nh->nlmsg_seq;
		parse_one(nh, m);
	}
	return l == 0;
}

static int count(const struct parsed *p, uint16_t type)
{
	int n = 0;

	for (int i = 0; i < p->n; i++)
		n += p->m[i].type == type;
	return n;
}

static const struct msg *find(const struct parsed *p, uint16_t type, const char *name, int nth)
{
	for (int i = 0; i < p->n; i++)
		if (p->m[i].type == type && !strcmp(p->m[i].name, name) && nth-- == 0)
			return &p->m[i];
	return NULL;
}

static int elems_in(const struct parsed *p, uint16_t type, const char *name)
{
	int n = 0;

	for (int i = 0; i < p->n; i++)
		if (p->m[i].type == type && !strcmp(p->m[i].name, name))
			n += p->m[i].n_elems;
	return n;
}

static const struct vmnet_port ports[] = {
	{.proto = IPPROTO_TCP, .host_port = 8080, .guest_port = 80},
	{.proto = IPPROTO_UDP, .host_port = 5353, .guest_port = 53, .host_ip = 0xc0000201,
	 .family = 4}, /* on 192.0.2.1 */
};

static const struct vmnet_nft_att att = {
	.host_if = "vmv0123456789ab",
	.guest_ip = 0x0a010005, /* 10.1.0.5 */
	.guest_mac = {2, 0, 0, 0, 0, 5},
	.masq = true,
	.ports = ports,
	.n_ports = 2,
};

static void test_attach_with_table(void)
{
	static const uint8_t k_ip[] = {10, 1, 0, 5};
	static const uint8_t k_p4[] = {6, 0, 0, 0, 0x1f, 0x90, 0, 0};
	static const uint8_t d_p4[] = {10, 1, 0, 5, 0, 80, 0, 0};
	static const uint8_t k_p4h[] = {192, 0, 2, 1, 17, 0, 0, 0, 0x14, 0xe9, 0, 0};
	static struct parsed p;
	struct vmnet_err e = {0};
	const struct msg *m;
	void *buf = NULL;
	size_t len = 0;
	bool seq_ok = true, ack_ok = true;
	int r;

	r = vmnet_nft_build_attach(&att, true, 1000, &buf, &len, &e);
	ok(r == 0 && buf && len > 0, "build attach with table");
	ok(parse(buf, len, &p), "batch parses back completely");
	ok(p.n > 2 && p.m[0].type == NFNL_MSG_BATCH_BEGIN &&
		   p.m[p.n - 1].type == NFNL_MSG_BATCH_END,
	   "batch begin ... end");
	for (int i = 0; i < p.n; i++) {
		seq_ok &= p.m[i].seq == 1000u + i;
		if (i && i < p.n - 1)
			ack_ok &= !!(p.m[i].flags & NLM_F_ACK);
	}
	ok(seq_ok, "consecutive sequence numbers");
	ok(ack_ok, "NLM_F_ACK on every message");

	m = &p.m[1];
	ok(m->type == NFT_MSG_NEWTABLE && !strcmp(m->name, "vmnet") &&
		   (m->flags & (NLM_F_CREATE | NLM_F_EXCL)) == (NLM_F_CREATE | NLM_F_EXCL),
	   "NEWTABLE inet vmnet first, exclusive");
	ok(!strcmp(m->comment, "vmnet:7"), "table comment carries the ruleset version");
	ok(count(&p, NFT_MSG_NEWTABLE) == 2 && p.m[2].type == NFT_MSG_NEWTABLE &&
		   (p.m[2].flags & NLM_F_EXCL) && !strcmp(p.m[2].comment, "vmnet:7"),
	   "two tables (inet, bridge), both exclusive");
	ok(count(&p, NFT_MSG_NEWOBJ) == 12, "twelve named counters");

	ok(count(&p, NFT_MSG_NEWCHAIN) == 11, "eleven chains");
	m = find(&p, NFT_MSG_NEWCHAIN, "forward", 1);
	ok(m && m->hook == 2 && m->prio == -200, "bridge forward: between ports");
	m = find(&p, NFT_MSG_NEWCHAIN, "antispoof", 0);
	ok(m && m->hook == NF_INET_PRE_ROUTING && m->prio == -300, "inet antispoof: raw prerouting");
	m = find(&p, NFT_MSG_NEWCHAIN, "antispoof", 1);
	ok(m && m->hook == 0 && m->prio == -200, "bridge antispoof: prerouting -200");
	m = find(&p, NFT_MSG_NEWCHAIN, "input", 0);
	ok(m && m->hook == NF_INET_LOCAL_IN && m->prio == 0, "input: filter");
	m = find(&p, NFT_MSG_NEWCHAIN, "prerouting", 0);
	ok(m && m->hook == NF_INET_PRE_ROUTING && m->prio == -100, "prerouting: dstnat");
	m = find(&p, NFT_MSG_NEWCHAIN, "output", 0);
	ok(m && m->hook == NF_INET_LOCAL_OUT && m->prio == -100, "output: -100");
	m = find(&p, NFT_MSG_NEWCHAIN, "postrouting", 0);
	ok(m && m->hook == NF_INET_POST_ROUTING && m->prio == 100, "postrouting: srcnat");
	m = find(&p, NFT_MSG_NEWCHAIN, "reached", 0);
	ok(m && m->hook == NF_INET_POST_ROUTING && m->prio == 50, "reached: before every srcnat");
	m = find(&p, NFT_MSG_NEWCHAIN, "forward", 0);
	ok(m && m->hook == NF_INET_FORWARD && m->prio == 0, "forward: filter");
	m = find(&p, NFT_MSG_NEWCHAIN, "dnat4", 0);
	ok(m && m->hook == 99, "dnat4 is a regular chain");

	m = find(&p, NFT_MSG_NEWSET, "guests4", 0);
	ok(m && m->ktype == 7 && m->klen == 4 && !(m->sflags & NFT_SET_MAP),
	   "set guests4 ipv4_addr");
	m = find(&p, NFT_MSG_NEWSET, "masq4", 0);
	ok(m && m->ktype == 7 && m->klen == 4, "set masq4 ipv4_addr");
	m = find(&p, NFT_MSG_NEWSET, "ports4", 0);
	ok(m && m->ktype == ((12 << 6) | 13) && m->klen == 8 && m->dtype == ((7 << 6) | 13) &&
		   m->dlen == 8 && (m->sflags & NFT_SET_MAP),
	   "map ports4 inet_proto . inet_service : ipv4_addr . inet_service");
	m = find(&p, NFT_MSG_NEWSET, "ports4h", 0);
	ok(m && m->ktype == ((((7 << 6) | 12) << 6) | 13) && m->klen == 12 &&
		   m->dtype == ((7 << 6) | 13) && m->dlen == 8,
	   "map ports4h ipv4_addr . inet_proto . inet_service : ...");
	m = find(&p, NFT_MSG_NEWSET, "__set%d", 0);
	ok(m && m->ktype == 12 && m->klen == 1 && (m->sflags & NFT_SET_ANONYMOUS),
	   "anonymous l4proto set");
	ok(elems_in(&p, NFT_MSG_NEWSETELEM, "__set%d") == 6, "two anonymous sets of 3 protocols");

	m = find(&p, NFT_MSG_NEWSET, "iso_ifs", 0);
	ok(m && m->ktype == 41 && m->klen == 16, "set iso_ifs ifname");
	m = find(&p, NFT_MSG_NEWSET, "spoof4", 0);
	ok(m && m->ktype == ((41 << 6) | 7) && m->klen == 20, "set spoof4 ifname . ipv4_addr");
	m = find(&p, NFT_MSG_NEWSET, "spoofmac", 0);
	ok(m && m->ktype == ((41 << 6) | 9) && m->klen == 24, "set spoofmac ifname . ether_addr");
	m = find(&p, NFT_MSG_NEWSET, "iso_grp", 0);
	ok(m && m->ktype == 41 && (m->sflags & NFT_SET_MAP) && m->dtype == 35 && m->dlen == 4,
	   "map iso_grp ifname : devgroup");
	m = find(&p, NFT_MSG_NEWSET, "iso_members", 0);
	ok(m && m->ktype == ((41 << 6) | 35) && m->klen == 20, "set iso_members ifname . devgroup");
	ok(find(&p, NFT_MSG_NEWSET, "host_open", 0) && find(&p, NFT_MSG_NEWSET, "ports", 0) &&
		   find(&p, NFT_MSG_NEWSET, "port_mac", 0) && find(&p, NFT_MSG_NEWSET, "port_ip4", 0),
	   "sets host_open, ports, port_mac, port_ip4");

	m = find(&p, NFT_MSG_NEWSET, "guest_net", 0);
	ok(m && m->ktype == ((41 << 6) | 7) && m->klen == 20, "set guest_net ifname . ipv4_addr");
	{
		const struct msg *net = NULL;

		for (int i = 0; i < p.n; i++)
			if (p.m[i].type == NFT_MSG_NEWRULE && !strcmp(p.m[i].chain, "forward") &&
			    !strcmp(p.m[i].lookups, "guests4,guests4,guest_net"))
				net = &p.m[i];
		ok(net && !strcmp(net->lookups, "guests4,guests4,guest_net"),
		   "forward: guests of one shared network reach no other network's guests");
	}
	m = find(&p, NFT_MSG_NEWSET, "reached4", 0);
	ok(m && m->ktype == 7 && m->klen == 4 && (m->sflags & NFT_SET_EVAL),
	   "set reached4 ipv4_addr, dynamic");
	m = find(&p, NFT_MSG_NEWSET, "reached6", 0);
	ok(m && m->ktype == 8 && m->klen == 16 && (m->sflags & NFT_SET_EVAL),
	   "set reached6 ipv6_addr, dynamic");
	ok(count(&p, NFT_MSG_NEWRULE) == BASE_RULES, "every base rule once");
	ok(elems_in(&p, NFT_MSG_NEWSETELEM, "reached4") == 0,
	   "an ADD puts its guest into no reached4 (packets do)");
	{
		int fwd = 0, in = 0, spoof = 0, grp = 0, dhcp = 0;

		for (int i = 0; i < p.n; i++) {
			const struct msg *x = &p.m[i];

			if (x->type != NFT_MSG_NEWRULE)
				continue;
			fwd += !strcmp(x->chain, "forward");
			dhcp += !strcmp(x->exprs, "meta,lookup,meta,lookup,meta,cmp,payload,cmp,cmp,"
						  "objref,immediate");
			in += !strcmp(x->chain, "input");
			spoof += !strcmp(x->chain, "antispoof");
			if (!strcmp(x->lookups, "iso_ifs,iso_ifs,iso_members"))
				grp += !strcmp(x->exprs, "meta,lookup,meta,lookup,meta,meta,lookup,"
							 "immediate");
		}
		ok(fwd == 14 + 4 && in == 10 && spoof == 14 + 22,
		   "forward 14+4, input 10, antispoof 14+22 rules");
		ok(dhcp == 4, "udp dport 67-68 and 546-547 dropped between guest ports and isolated links");
		ok(grp == 1, "group rule: oifname . iifgroup in iso_members, no map, no mark");
	}
	m = find(&p, NFT_MSG_NEWRULE, "", 0);
	for (int i = 0, pre = 0; i < p.n; i++) {
		const struct msg *x = &p.m[i];

		if (x->type != NFT_MSG_NEWRULE)
			continue;
		if (!strcmp(x->chain, "prerouting") && !pre++)
			ok(!strcmp(x->exprs, "meta,cmp,payload,cmp,immediate"),
			   "prerouting: loopback destinations return before any DNAT");
		else if (!strcmp(x->chain, "prerouting") && pre++ == 1)
			ok(!strcmp(x->exprs, "meta,lookup,fib,cmp,immediate"),
			   "prerouting: l4proto set, fib local, jump");
	}
	{
		const struct msg *d4[3] = {0}, *d6[2] = {0}, *post[7] = {0}, *seen[2] = {0}, *r1, *r2;
		int np = 0, n4 = 0, n6 = 0, ns = 0;

		for (int i = 0; i < p.n; i++) {
			const struct msg *x = &p.m[i];

			if (x->type != NFT_MSG_NEWRULE)
				continue;
			if (!strcmp(x->chain, "dnat4") && n4 < 3)
				d4[n4++] = x;
			if (!strcmp(x->chain, "dnat6") && n6 < 2)
				d6[n6++] = x;
			if (!strcmp(x->chain, "postrouting") && np < 7)
				post[np++] = x;
			if (!strcmp(x->chain, "reached") && ns < 2)
				seen[ns++] = x;
		}
		ok(ns == 2 && !strcmp(seen[0]->lookups, "guests4") &&
			   !strcmp(seen[0]->exprs, "meta,cmp,payload,lookup,payload,dynset") &&
			   !strcmp(seen[1]->lookups, "guests6"),
		   "reached: a flow's first packet marks its guest, IPv4 and IPv6");
		r1 = d4[1];
		r2 = d4[2];
		ok(n4 == 3 && !strcmp(d4[0]->exprs, "meta,cmp,immediate"), "dnat4 rule 1: IPv6 to dnat6");
		ok(n6 == 2 && !strcmp(d6[0]->lookups, "ports6h") &&
			   !strcmp(d6[0]->exprs, "meta,cmp,payload,meta,payload,lookup,nat") &&
			   !strcmp(d6[1]->lookups, "ports6") &&
			   !strcmp(d6[1]->exprs, "meta,payload,lookup,nat"),
		   "dnat6: host-address map, then wildcard map");
		ok(np == 7 && !strcmp(post[1]->lookups, "guests6") && !strcmp(post[6]->lookups, "masq6,guests6"),
		   "postrouting: hairpin and NAT66 twins");
		ok(np == 7 && !strcmp(post[3]->lookups, "cluster4") &&
			   !strcmp(post[3]->exprs, "meta,cmp,payload,payload,lookup,immediate") &&
			   !strcmp(post[4]->lookups, "cluster6"),
		   "postrouting: traffic to the cluster keeps its source, before masquerading");
		post[1] = post[2];
		post[2] = post[5];
		np = 3;
		ok(r1 && !strcmp(r1->lookups, "ports4h") &&
			   !strcmp(r1->exprs, "meta,cmp,payload,meta,payload,lookup,nat"),
		   "dnat4 rule 1: host-address map first");
		ok(r2 && !strcmp(r2->lookups, "ports4") &&
			   !strcmp(r2->exprs, "meta,cmp,meta,payload,lookup,nat"),
		   "dnat4 rule 2: wildcard map");
		ok(np == 3 && !strcmp(post[0]->lookups, "guests4") &&
			   !strcmp(post[0]->exprs, "ct,bitwise,cmp,meta,cmp,payload,lookup,masq"),
		   "postrouting: hairpin masquerade");
		ok(np == 3 && !strcmp(post[1]->exprs, "meta,cmp,payload,cmp,ct,bitwise,cmp,masq"),
		   "postrouting: localhost masquerade");
		ok(np == 3 && !strcmp(post[2]->lookups, "masq4,guests4") &&
			   !strcmp(post[2]->exprs, "meta,cmp,payload,lookup,payload,lookup,masq"),
		   "postrouting: masq4 to non-guests");
	}

	m = find(&p, NFT_MSG_NEWSETELEM, "guests4", 0);
	ok(m && m->n_elems == 1 && m->key_len == 4 && !memcmp(m->key, k_ip, 4) &&
		   !(m->flags & NLM_F_EXCL),
	   "guests4 element 10.1.0.5, not exclusive");
	m = find(&p, NFT_MSG_NEWSETELEM, "masq4", 0);
	ok(m && m->n_elems == 1 && !memcmp(m->key, k_ip, 4), "masq4 element");
	m = find(&p, NFT_MSG_NEWSETELEM, "closed4", 0);
	ok(m && m->n_elems == 1 && !memcmp(m->key, k_ip, 4),
	   "closed4 element: ipMasq without routedInbound");
	{
		const struct msg *closed = NULL;

		for (int i = 0; i < p.n; i++)
			if (p.m[i].type == NFT_MSG_NEWRULE && !strcmp(p.m[i].chain, "forward") &&
			    !strcmp(p.m[i].lookups, "closed4,guest_net"))
				closed = &p.m[i];
		ok(closed && !strcmp(closed->exprs, "meta,cmp,payload,lookup,meta,payload,lookup,"
						    "objref,immediate"),
		   "forward: routed connections to closed guests dropped, counted");
	}
	m = find(&p, NFT_MSG_NEWSETELEM, "ports4", 0);
	ok(m && m->n_elems == 1 && m->key_len == 8 && !memcmp(m->key, k_p4, 8) &&
		   m->data_len == 8 && !memcmp(m->data, d_p4, 8) && (m->flags & NLM_F_EXCL),
	   "ports4 tcp . 8080 : 10.1.0.5 . 80, exclusive");
	m = find(&p, NFT_MSG_NEWSETELEM, "ports4h", 0);
	ok(m && m->key_len == 12 && !memcmp(m->key, k_p4h, 12) && (m->flags & NLM_F_EXCL),
	   "ports4h 192.0.2.1 . udp . 5353");
	free(buf);
}

static void test_attach_elements_only(void)
{
	static struct parsed p;
	struct vmnet_nft_att a = att;
	void *buf = NULL;
	size_t len;
	int r;

	a.routed_inbound = true;
	ok(vmnet_nft_build_attach(&a, false, 1, &buf, &len, NULL) == 0 && parse(buf, len, &p) &&
		   find(&p, NFT_MSG_NEWSETELEM, "masq4", 0) &&
		   !find(&p, NFT_MSG_NEWSETELEM, "closed4", 0),
	   "routedInbound: masq4 but no closed4 element");
	free(buf);
	buf = NULL;
	a.routed_inbound = false;
	a.masq = false;
	{
		static const uint8_t k[] = {10, 1, 0, 5, 10, 100, 0, 0};
		struct vmnet_cluster cl = {.n4 = 1, .v4 = {{0x0a640000, 16}}};
		const struct msg *m;

		a.cluster = &cl;
		ok(vmnet_nft_build_attach(&a, false, 1, &buf, &len, NULL) == 0 && parse(buf, len, &p) &&
			   find(&p, NFT_MSG_NEWSETELEM, "closed4", 0) &&
			   !find(&p, NFT_MSG_NEWSETELEM, "masq4", 0),
		   "clusterCIDRs without ipMasq: closed4, no masq4");
		m = find(&p, NFT_MSG_NEWSETELEM, "cluster4", 0);
		ok(m && m->key_len == 8 && !memcmp(m->key, k, 8) && !find(&p, NFT_MSG_NEWSETELEM, "cluster6", 0),
		   "cluster4 10.1.0.5 . 10.100.0.0/16 (no IPv6 guest: no cluster6)");
		free(buf);
		buf = NULL;
		a.cluster = NULL;
	}
	a.host_if = NULL;
	r = vmnet_nft_build_attach(&a, false, 1, &buf, &len, NULL);
	ok(r == 0 && parse(buf, len, &p), "build attach, elements only");
	ok(p.n == 2 + 3 && count(&p, NFT_MSG_NEWSETELEM) == 3,
	   "only guests4 + one message per port (no masq4, no interface)");
	ok(!count(&p, NFT_MSG_NEWTABLE) && !count(&p, NFT_MSG_NEWCHAIN) &&
		   !count(&p, NFT_MSG_NEWRULE) && !count(&p, NFT_MSG_NEWSET),
	   "no table, chain, set or rule");
	free(buf);
}

static void test_shared_bridge(void)
{
	static struct parsed p;
	struct vmnet_nft_att a = att;
	void *buf = NULL;
	size_t len;

	a.bridge = "vmbr0";
	ok(vmnet_nft_build_attach(&a, false, 1, &buf, &len, NULL) == 0 && parse(buf, len, &p) &&
		   find(&p, NFT_MSG_NEWSETELEM, "guest_net", 0),
	   "shared attachment with its bridge: bridge . guest in guest_net");
	free(buf);
	buf = NULL;
	ok(vmnet_nft_build_detach(&a, VMNET_NFT_OP_DESTROY, 7, &buf, &len, NULL) == 0 &&
		   parse(buf, len, &p) && find(&p, 30, "guest_net", 0),
	   "detach removes it");
	free(buf);
}

static void test_detach(void)
{
	static struct parsed p;
	const struct msg *m;
	void *buf = NULL;
	size_t len;
	int r;

	r = vmnet_nft_build_detach(&att, VMNET_NFT_OP_DESTROY, 7, &buf, &len, NULL);
	ok(r == 0 && parse(buf, len, &p), "build detach");
	ok(count(&p, 30 /* NFT_MSG_DESTROYSETELEM */) == 15 && p.n == 17,
	   "DESTROYSETELEM for guests4, masq4, closed4, both ports and every interface key "
	   "(iso_ifs6 and ports_v6 too)");
	m = find(&p, 30, "ports4", 0);
	ok(m && m->key_len == 8 && m->data_len == 0, "delete by key only");
	free(buf);
	r = vmnet_nft_build_detach(&att, VMNET_NFT_OP_DEL, 7, &buf, &len, NULL);
	ok(r == 0 && parse(buf, len, &p) && count(&p, NFT_MSG_DELSETELEM) == 15,
	   "DELSETELEM variant");
	free(buf);
}

static int elems_of(const struct parsed *p, uint16_t type)
{
	int n = 0;

	for (int i = 0; i < p->n; i++)
		if (p->m[i].type == type)
			n += p->m[i].n_elems;
	return n;
}

/* Forget, as if the tables held att's and another attachment's elements:
 * exactly the elements of the address or device asked for go. */
static void test_forget(void)
{
	static const struct vmnet_port other_port = {.proto = IPPROTO_TCP, .host_port = 8081,
						      .guest_port = 80};
	static const uint8_t k_ip[] = {10, 1, 0, 5};
	static struct parsed p;
	static const struct vmnet_nft_att other = {
		.host_if = "vmvffffffffffff",
		.guest_ip = 0x0a010006, /* 10.1.0.6 */
		.guest_mac = {2, 0, 0, 0, 0, 6},
		.ports = &other_port,
		.n_ports = 1,
		.bridge = "vmbr0",
	};
	struct vmnet_nft_att atts[2] = {att, other};
	const struct msg *m;
	void *buf = NULL;
	size_t len;
	int own;

	ok(vmnet_nft_build_attach(&atts[0], false, 1, &buf, &len, NULL) == 0 &&
		   parse(buf, len, &p),
	   "forget: att's own elements");
	own = elems_of(&p, NFT_MSG_NEWSETELEM);
	free(buf);
	buf = NULL;
	ok(vmnet_nft_build_forget(atts, 2, att.guest_ip, NULL, att.host_if, 7, &buf, &len, NULL) == 0 &&
		   parse(buf, len, &p),
	   "forget: address and device");
	ok(elems_of(&p, 30) == own && own == 8, "forget: every element of att, no other");
	m = find(&p, 30, "guests4", 0);
	ok(m && m->n_elems == 1 && m->key_len == 4 && !memcmp(m->key, k_ip, 4),
	   "forget: guests4 loses att's address only");
	ok(elems_in(&p, 30, "ports4") == 1 && elems_in(&p, 30, "ports4h") == 1 &&
		   !find(&p, 30, "guest_net", 0),
	   "forget: att's port mappings, not the other's");
	free(buf);
	buf = NULL;
	ok(vmnet_nft_build_forget(atts, 2, 0, NULL, att.host_if, 7, &buf, &len, NULL) == 0 &&
		   parse(buf, len, &p) && elems_of(&p, 30) == 3 &&
		   elems_in(&p, 30, "ports") == 1 && elems_in(&p, 30, "port_mac") == 1 &&
		   elems_in(&p, 30, "port_ip4") == 1,
	   "forget without address: only the device's ports, port_mac, port_ip4");
	free(buf);
	buf = NULL;
	ok(vmnet_nft_build_forget(atts, 2, 0x0a010006, NULL, NULL, 7, &buf, &len, NULL) == 0 &&
		   parse(buf, len, &p) && elems_of(&p, 30) == 4 &&
		   elems_in(&p, 30, "guests4") == 1 && elems_in(&p, 30, "ports4") == 1 &&
		   elems_in(&p, 30, "guest_net") == 1 && elems_in(&p, 30, "port_ip4") == 1,
	   "forget without device: what points at the address (guest_net by address)");
	free(buf);
	buf = NULL;
	ok(vmnet_nft_build_forget(atts, 2, 0x0a010007, NULL, "vmv000000000000", 7, &buf, &len,
				  NULL) == 0 &&
		   parse(buf, len, &p) && elems_of(&p, 30) == 0,
	   "forget of an unknown address and device: nothing");
	free(buf);
}

static void test_sync_large(void)
{
	static struct parsed p;
	static struct vmnet_port many[5000];
	struct vmnet_nft_att a[3] = {att, att, att};
	void *buf = NULL;
	size_t len;
	int r;

	for (int i = 0; i < 5000; i++)
		many[i] =
			(struct vmnet_port){.proto = IPPROTO_TCP, .host_port = 10000 + i,
					    .guest_port = 80, .host_ip = i % 2 ? 0x0a000001 : 0,
					    .family = i % 2 ? 4 : 0};
	a[1].guest_ip++;
	a[1].masq = false;
	a[2].guest_ip += 2;
	a[2].ports = many;
	a[2].n_ports = 5000;
	r = vmnet_nft_build_sync(a, 3, 50, &buf, &len, NULL);
	ok(r == 0 && parse(buf, len, &p), "build sync with 5000 ports");
	ok(p.m[1].type == NFT_MSG_NEWTABLE && !(p.m[1].flags & NLM_F_EXCL) &&
		   p.m[2].type == NFT_MSG_DELTABLE && p.m[3].type == NFT_MSG_NEWTABLE &&
		   p.m[4].type == NFT_MSG_DELTABLE && p.m[5].type == NFT_MSG_NEWTABLE &&
		   (p.m[5].flags & NLM_F_EXCL),
	   "sync: NEWTABLE, DELTABLE (inet, bridge), NEWTABLE");
	ok(count(&p, NFT_MSG_NEWRULE) == BASE_RULES, "sync: base rules once");
	ok(elems_in(&p, NFT_MSG_NEWSETELEM, "ports") == 3 &&
		   elems_in(&p, NFT_MSG_NEWSETELEM, "port_mac") == 3,
	   "sync: bridge port elements of all three");
	ok(elems_in(&p, NFT_MSG_NEWSETELEM, "guests4") == 3 &&
		   elems_in(&p, NFT_MSG_NEWSETELEM, "masq4") == 2,
	   "sync: guests4 has 3, masq4 has 2");
	ok(elems_in(&p, NFT_MSG_NEWSETELEM, "ports4") == 2 + 2500 &&
		   elems_in(&p, NFT_MSG_NEWSETELEM, "ports4h") == 2 + 2500,
	   "sync: every port element present");
	ok(elems_in(&p, NFT_MSG_NEWSETELEM, "reached4") == 3,
	   "sync: every guest counts as reached (reached4)");
	ok(p.n < 170, "sync: elements chunked into few messages (%d)", p.n);
	free(buf);
}

static void test_isolated(void)
{
	static const uint8_t k_spoof4[20] = {'v', 'm', 't', '1', [16] = 10, 0, 2, 2};
	static const uint8_t k_mac[24] = {'v', 'm', 't', '1', [16] = 2, 0, 0, 0, 0, 6};
	static const uint8_t d_grp[4] = {7, 0, 0, 0}; /* host-endian device group */
	static struct parsed p;
	struct vmnet_nft_att a = {.host_if = "vmt1",
				  .isolated = true,
				  .guest_ip = 0x0a000202,
				  .guest_mac = {2, 0, 0, 0, 0, 6},
				  .iso_id = 7,
				  .host_access = true};
	struct vmnet_err e = {0};
	const struct msg *m;
	void *buf = NULL;
	size_t len;
	int r;

	r = vmnet_nft_build_attach(&a, false, 1, &buf, &len, NULL);
	ok(r == 0 && parse(buf, len, &p), "build isolated attach");
	ok(count(&p, NFT_MSG_NEWSETELEM) == 7 && !find(&p, NFT_MSG_NEWSETELEM, "ports", 0),
	   "guests4, iso_ifs, spoof4, spoofmac, iso_grp, iso_members, host_open; no bridge port");
	m = find(&p, NFT_MSG_NEWSETELEM, "spoof4", 0);
	ok(m && m->key_len == 20 && !memcmp(m->key, k_spoof4, 20), "spoof4 vmt1 . 10.0.2.2");
	m = find(&p, NFT_MSG_NEWSETELEM, "spoofmac", 0);
	ok(m && m->key_len == 24 && !memcmp(m->key, k_mac, 24), "spoofmac vmt1 . 02:..:06");
	m = find(&p, NFT_MSG_NEWSETELEM, "iso_grp", 0);
	ok(m && m->key_len == 16 && m->data_len == 4 && !memcmp(m->data, d_grp, 4),
	   "iso_grp vmt1 : 7");
	m = find(&p, NFT_MSG_NEWSETELEM, "iso_members", 0);
	ok(m && m->key_len == 20 && m->key[16] == 7, "iso_members vmt1 . 7");
	free(buf);

	a.iso_id = 0;
	a.host_access = false;
	r = vmnet_nft_build_attach(&a, false, 1, &buf, &len, NULL);
	ok(r == 0 && parse(buf, len, &p) && count(&p, NFT_MSG_NEWSETELEM) == 4,
	   "no group, no hostAccess: guests4, iso_ifs, spoof4, spoofmac");
	free(buf);

	a.host_if = NULL;
	r = vmnet_nft_build_attach(&a, false, 1, &buf, &len, &e);
	ok(r == -EINVAL && e.code == CNI_ERR_INVALID_CONFIG, "isolated needs an interface");
	a.host_if = "vmt1";
	memset(a.guest_mac, 0, 6);
	vmnet_err_clear(&e);
	r = vmnet_nft_build_attach(&a, false, 1, &buf, &len, &e);
	ok(r == -EINVAL && e.code == CNI_ERR_INVALID_CONFIG, "an interface needs a MAC");
}

static void test_invalid(void)
{
	struct vmnet_port bad = {.proto = 1 /* icmp */, .host_port = 80, .guest_port = 80};
	struct vmnet_nft_att a = att;
	struct vmnet_err e = {0};
	void *buf = NULL;
	size_t len = 0;
	int r;

	a.ports = &bad;
	a.n_ports = 1;
	r = vmnet_nft_build_attach(&a, false, 1, &buf, &len, &e);
	ok(r == -EINVAL && e.code == CNI_ERR_INVALID_CONFIG && !buf, "icmp port refused");
	a = att;
	a.guest_ip = 0;
	vmnet_err_clear(&e);
	r = vmnet_nft_build_attach(&a, false, 1, &buf, &len, &e);
	ok(r == -EINVAL && e.code == CNI_ERR_INVALID_CONFIG, "missing guest address refused");
	ok(!strcmp(vmnet_proto_name(IPPROTO_SCTP), "sctp") && !vmnet_proto_name(1),
	   "protocol names");
}

/* A dual-stack guest: the IPv6 twins, ports into both maps by family. */
static void test_dual_stack(void)
{
	static const struct vmnet_port ports6[] = {
		{IPPROTO_TCP, 8080, 80, 0, IN6ADDR_ANY_INIT, 0},     /* both */
		{IPPROTO_TCP, 8081, 81, 0xc0000201, IN6ADDR_ANY_INIT, 4}, /* IPv4 only */
		{IPPROTO_UDP, 5353, 53, 0, {{{0xfd, 0, [15] = 1}}}, 6},  /* IPv6 on fd00::1 */
		{IPPROTO_TCP, 8082, 82, 0, IN6ADDR_LOOPBACK_INIT, 6}, /* ::1: left out */
	};
	static const uint8_t g6[16] = {0xfd, 0x66, [15] = 5};
	/* `nft --debug=mnl add set inet t s '{ typeof iifname . @th,64,128; }'`
	 * (nftables 1.0.6, little-endian host) */
	static const uint8_t nd_typeof[] = {
		0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x03, 0x40, 0x00, 0x04, 0x0d, 0x00,
		0x00, 0x00, 0x01, 0x38, 0x00, 0x0e, 0x00, 0x04, 0x09, 0x00, 0x00, 0x00,
		0x01, 0x06, 0x00, 0x04, 0x06, 0x00, 0x00, 0x00, 0x01, 0x26, 0x00, 0x04,
		0x07, 0x00, 0x00, 0x00, 0x01, 0x1e, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
		0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x02, 0x04, 0x03, 0x00, 0x00, 0x00,
		0x03, 0x04, 0x40, 0x00, 0x00, 0x00, 0x04, 0x04, 0x80, 0x00, 0x00, 0x00};
	static const uint8_t k_p6[8] = {IPPROTO_TCP, 0, 0, 0, 0x1f, 0x90};
	static const uint8_t d_p6[20] = {0xfd, 0x66, [15] = 5, [16] = 0, 80};
	static const uint8_t k_p6h[24] = {0xfd, [15] = 1, [16] = IPPROTO_UDP, [20] = 0x14, 0xe9};
	static struct parsed p;
	struct vmnet_nft_att a = att;
	const struct msg *m;
	void *buf = NULL;
	size_t len;
	int r;

	memcpy(&a.guest_ip6, g6, 16);
	a.masq6 = true;
	a.ports = ports6;
	a.n_ports = 4;
	a.bridge = "vmbr0";
	r = vmnet_nft_build_attach(&a, true, 1, &buf, &len, NULL);
	ok(r == 0 && parse(buf, len, &p), "build dual-stack attach");
	m = find(&p, NFT_MSG_NEWSET, "guests6", 0);
	ok(m && m->ktype == 8 && m->klen == 16, "set guests6 ipv6_addr");
	m = find(&p, NFT_MSG_NEWSET, "ports6h", 0);
	ok(m && m->ktype == ((((8 << 6) | 12) << 6) | 13) && m->klen == 24 &&
		   m->dtype == ((8 << 6) | 13) && m->dlen == 20,
	   "map ports6h ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service");
	m = find(&p, NFT_MSG_NEWSET, "nd6", 0);
	ok(m && m->ktype == ((41 << 6) | 4) && m->klen == 32, "set nd6 ifname . integer (typeof)");
	ok(m && m->udata_len == sizeof(nd_typeof) && !memcmp(m->udata, nd_typeof, sizeof(nd_typeof)),
	   "nd6's userdata is what nft 1.0.6 writes for typeof iifname . @th,64,128");
	m = find(&p, NFT_MSG_NEWSET, "port_nd6", 0);
	ok(m && m->klen == 32, "set port_nd6 in bridge vmnet");
	m = find(&p, NFT_MSG_NEWSETELEM, "guests6", 0);
	ok(m && m->key_len == 16 && !memcmp(m->key, g6, 16), "guests6 fd66::5");
	ok(find(&p, NFT_MSG_NEWSETELEM, "masq6", 0) && find(&p, NFT_MSG_NEWSETELEM, "closed6", 0),
	   "masq6 and closed6");
	ok(elems_in(&p, NFT_MSG_NEWSETELEM, "ports4") == 1 &&
		   elems_in(&p, NFT_MSG_NEWSETELEM, "ports4h") == 1 &&
		   elems_in(&p, NFT_MSG_NEWSETELEM, "ports6") == 1 &&
		   elems_in(&p, NFT_MSG_NEWSETELEM, "ports6h") == 1,
	   "family 0 into both, family 4 and 6 into theirs, ::1 nowhere");
	m = find(&p, NFT_MSG_NEWSETELEM, "ports6", 0);
	ok(m && m->key_len == 8 && !memcmp(m->key, k_p6, 8) && m->data_len == 20 &&
		   !memcmp(m->data, d_p6, 20) && (m->flags & NLM_F_EXCL),
	   "ports6 tcp . 8080 : fd66::5 . 80, exclusive");
	m = find(&p, NFT_MSG_NEWSETELEM, "ports6h", 0);
	ok(m && m->key_len == 24 && !memcmp(m->key, k_p6h, 24), "ports6h fd00::1 . udp . 5353");
	m = find(&p, NFT_MSG_NEWSETELEM, "port_ip6", 0);
	ok(m && m->key_len == 32 && !memcmp(m->key + 16, g6, 16) &&
		   find(&p, NFT_MSG_NEWSETELEM, "port_nd6", 0) &&
		   find(&p, NFT_MSG_NEWSETELEM, "ports_v6", 0) &&
		   find(&p, NFT_MSG_NEWSETELEM, "guest_net6", 0) &&
		   !find(&p, NFT_MSG_NEWSETELEM, "spoof6", 0),
	   "shared: port_ip6, port_nd6, ports_v6, guest_net6; no spoof6");
	free(buf);

	a.isolated = true;
	a.masq6 = false;
	r = vmnet_nft_build_attach(&a, false, 1, &buf, &len, NULL);
	ok(r == 0 && parse(buf, len, &p) && find(&p, NFT_MSG_NEWSETELEM, "spoof6", 0) &&
		   find(&p, NFT_MSG_NEWSETELEM, "nd6", 0) &&
		   find(&p, NFT_MSG_NEWSETELEM, "iso_ifs6", 0) &&
		   !find(&p, NFT_MSG_NEWSETELEM, "port_ip6", 0) &&
		   !find(&p, NFT_MSG_NEWSETELEM, "masq6", 0) &&
		   !find(&p, NFT_MSG_NEWSETELEM, "closed6", 0),
	   "isolated, ipMasq6 false: spoof6, nd6, iso_ifs6; no masq6, closed6");
	free(buf);

	r = vmnet_nft_build_detach(&a, VMNET_NFT_OP_DESTROY, 7, &buf, &len, NULL);
	ok(r == 0 && parse(buf, len, &p) && find(&p, 30, "masq6", 0) && find(&p, 30, "closed6", 0) &&
		   find(&p, 30, "port_nd6", 0) && find(&p, 30, "spoof6", 0) &&
		   elems_in(&p, 30, "ports6") == 1 && elems_in(&p, 30, "ports6h") == 1,
	   "detach: every IPv6 key the attachment could own");
	free(buf);
	{
		struct vmnet_nft_att atts[2] = {a, att};
		struct in6_addr ip6;

		memcpy(&ip6, g6, 16);
		r = vmnet_nft_build_forget(atts, 2, 0, &ip6, NULL, 7, &buf, &len, NULL);
		ok(r == 0 && parse(buf, len, &p) && elems_in(&p, 30, "guests6") == 1 &&
			   elems_in(&p, 30, "ports6") == 1 && elems_in(&p, 30, "ports6h") == 1 &&
			   elems_in(&p, 30, "spoof6") == 1 && elems_in(&p, 30, "nd6") == 1 &&
			   !find(&p, 30, "guests4", 0) && !find(&p, 30, "iso_ifs6", 0),
		   "forget by IPv6 address: its IPv6 elements, nothing else");
		free(buf);
	}
}

/* An IPv6-only guest: no key of IPv4 at all (its IPv4 is then dropped as
 * spoofed), its ports on IPv6 only, the interface keys the rules need. */
static void test_v6only(void)
{
	static const struct vmnet_port p[] = {
		{IPPROTO_TCP, 8080, 80, 0, IN6ADDR_ANY_INIT, 0},	 /* IPv6 only */
		{IPPROTO_TCP, 8081, 81, 0xc0000201, IN6ADDR_ANY_INIT, 4}, /* nowhere */
	};
	static const char *const v4sets[] = {"guests4", "masq4", "closed4", "spoof4", "guest_net",
					     "ports4", "ports4h", "port_ip4"};
	static const uint8_t g6[16] = {0xfd, 0x88, [15] = 2};
	static struct parsed p4;
	struct vmnet_nft_att a = att;
	bool none4 = true;
	void *buf = NULL;
	size_t len;
	int r;

	a.guest_ip = 0;
	memcpy(&a.guest_ip6, g6, 16);
	a.masq6 = true;
	a.ports = p;
	a.n_ports = 2;
	a.bridge = "vmbr0";
	for (int iso = 0; iso < 2; iso++) {
		a.isolated = iso;
		r = vmnet_nft_build_attach(&a, false, 1, &buf, &len, NULL);
		ok(r == 0 && parse(buf, len, &p4), "IPv6-only %s: attach builds",
		   iso ? "isolated" : "shared");
		for (size_t i = 0; i < ARRAY_SIZE(v4sets); i++)
			none4 &= !find(&p4, NFT_MSG_NEWSETELEM, v4sets[i], 0);
		ok(none4, "... no IPv4 element");
		ok(elems_in(&p4, NFT_MSG_NEWSETELEM, "guests6") == 1 &&
			   elems_in(&p4, NFT_MSG_NEWSETELEM, "ports6") == 1 &&
			   !find(&p4, NFT_MSG_NEWSETELEM, "ports6h", 0) &&
			   find(&p4, NFT_MSG_NEWSETELEM, iso ? "iso_ifs" : "ports", 0) &&
			   find(&p4, NFT_MSG_NEWSETELEM, iso ? "spoofmac" : "port_mac", 0) &&
			   find(&p4, NFT_MSG_NEWSETELEM, iso ? "spoof6" : "port_ip6", 0),
		   "... guests6, the port without hostIP in ports6 (the IPv4 hostIP one nowhere), "
		   "%s", iso ? "iso_ifs, spoofmac, spoof6" : "ports, port_mac, port_ip6");
		free(buf);
		buf = NULL;
		r = vmnet_nft_build_detach(&a, VMNET_NFT_OP_DESTROY, 7, &buf, &len, NULL);
		ok(r == 0 && parse(buf, len, &p4) && !find(&p4, 30, "guests4", 0) &&
			   !find(&p4, 30, "spoof4", 0) && !find(&p4, 30, "port_ip4", 0) &&
			   find(&p4, 30, "guests6", 0) && find(&p4, 30, "spoof6", 0),
		   "... detach: its IPv6 keys, no IPv4 one");
		free(buf);
		buf = NULL;
	}
	memset(&a.guest_ip6, 0, 16);
	r = vmnet_nft_build_attach(&a, false, 1, &buf, &len, NULL);
	ok(r == -EINVAL && !buf, "no address of either family: refused");
}

int main(int argc, char **argv)
{
	if (argc > 1) { /* debugging aid: dump what an attach batch holds */
		static struct parsed p;
		void *buf;
		size_t len;

		vmnet_nft_build_attach(&att, true, 1, &buf, &len, NULL);
		parse(buf, len, &p);
		for (int i = 0; i < p.n; i++)
			printf("# %d type=%u flags=%#x name=%s chain=%s elems=%d exprs=%s\n", i,
			       p.m[i].type, p.m[i].flags, p.m[i].name, p.m[i].chain, p.m[i].n_elems,
			       p.m[i].exprs);
		free(buf);
		return 0;
	}
	test_attach_with_table();
	test_attach_elements_only();
	test_shared_bridge();
	test_detach();
	test_forget();
	test_sync_large();
	test_isolated();
	test_dual_stack();
	test_v6only();
	test_invalid();
	return done();
}
