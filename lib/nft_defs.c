/* SPDX-License-Identifier: MIT */
/*
 * The base ruleset's objects: both tables, their chains, our named sets and
 * maps (elements go in with put_elems), the named counters, and put_base,
 * which lays them all down before the rules (nft_rules.c).
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <string.h>

#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "vmnet/common.h"
#include "vmnet/names.h"
#include "nft_priv.h"

/* linux/netfilter_bridge.h drags in linux/if.h, which clashes with net/if.h. */
#ifndef NF_BR_PRE_ROUTING
#define NF_BR_PRE_ROUTING 0
#endif
#ifndef NF_BR_FORWARD
#define NF_BR_FORWARD 2
#endif

struct nftnl_table *nft_table_new(int fam, bool with_udata)
{
	struct nftnl_table *t = nftnl_table_alloc();
	char v[32];

	if (!t)
		return NULL;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, VMNET_NFT_TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, fam);
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, 0);
	if (with_udata) {
		/* A comment TLV, so `nft list` shows the version readably. */
		struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(64);

		if (!u)
			goto fail;
		snprintf(v, sizeof(v), "vmnet:%d", VMNET_NFT_VERSION);
		if (!nftnl_udata_put_strz(u, NFTNL_UDATA_TABLE_COMMENT, v) ||
		    nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(u),
					 nftnl_udata_buf_len(u)) < 0) {
			nftnl_udata_buf_free(u);
			goto fail;
		}
		nftnl_udata_buf_free(u);
	}
	return t;
fail:
	nftnl_table_free(t);
	return NULL;
}

int nft_put_table(struct nft_batch *b, int fam, uint16_t type, uint16_t flags, bool with_udata)
{
	struct nft_msg_label d = {.kind = M_TABLE, .fam = fam};
	struct nftnl_table *t = nft_table_new(fam, with_udata);
	struct nlmsghdr *nh;

	if (!t)
		return -ENOMEM;
	nh = nft_msg_start(b, fam, type, flags, &d);
	if (!nh) {
		nftnl_table_free(t);
		return -ENOMEM;
	}
	nftnl_table_nlmsg_build_payload(nh, t);
	nft_msg_done(b, nh);
	nftnl_table_free(t);
	return 0;
}

/* NEWTABLE (so DELTABLE cannot fail the batch and keep the other table),
 * then DELTABLE, for both our tables. */
int nft_put_tables_delete(struct nft_batch *b)
{
	static const int fams[] = {F_INET, F_BRIDGE};
	int ret = 0;

	for (size_t i = 0; ret >= 0 && i < ARRAY_SIZE(fams); i++) {
		ret = nft_put_table(b, fams[i], NFT_MSG_NEWTABLE, NLM_F_CREATE, false);
		if (ret >= 0)
			ret = nft_put_table(b, fams[i], NFT_MSG_DELTABLE, 0, false);
	}
	return ret;
}

struct nft_chain_def {
	int fam;
	const char *name, *type;
	int hook; /* -1: regular chain */
	int prio;
};

/* The hooks; dnat4 is jumped to by prerouting and output so both share one
 * pair of lookups (it hands IPv6 on to dnat6). antispoof runs
 * before conntrack (-300 < -200), so spoofed packets never create entries.
 * reached (nft_rules_nat.c) runs before every source NAT at postrouting
 * (srcnat is 100): the kernel stops at the first nat chain that NATs a
 * flow, and Docker's or another table's masquerade may be one. */
static const struct nft_chain_def chains[] = {
	{F_INET, "prerouting", "nat", NF_INET_PRE_ROUTING, -100},
	{F_INET, "output", "nat", NF_INET_LOCAL_OUT, -100},
	{F_INET, C_SEEN, "nat", NF_INET_POST_ROUTING, 50},
	{F_INET, "postrouting", "nat", NF_INET_POST_ROUTING, 100},
	{F_INET, "forward", "filter", NF_INET_FORWARD, 0},
	{F_INET, C_DNAT4, NULL, -1, 0},
	{F_INET, C_DNAT6, NULL, -1, 0},
	{F_INET, C_ANTISPOOF, "filter", NF_INET_PRE_ROUTING, -300},
	{F_INET, "input", "filter", NF_INET_LOCAL_IN, 0},
	{F_BRIDGE, C_ANTISPOOF, "filter", NF_BR_PRE_ROUTING, -200},
	{F_BRIDGE, "forward", "filter", NF_BR_FORWARD, -200},
};

static int put_chain(struct nft_batch *b, const struct nft_chain_def *c)
{
	struct nft_msg_label d = {.kind = M_OTHER};
	struct nftnl_chain *ch = nftnl_chain_alloc();
	struct nlmsghdr *nh;

	if (!ch)
		return -ENOMEM;
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, VMNET_NFT_TABLE);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, c->name);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, c->fam);
	if (c->hook >= 0) {
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, c->type);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, c->hook);
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, c->prio);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nh = nft_msg_start(b, c->fam, NFT_MSG_NEWCHAIN, NLM_F_CREATE, &d);
	if (!nh) {
		nftnl_chain_free(ch);
		return -ENOMEM;
	}
	nftnl_chain_nlmsg_build_payload(nh, ch);
	nft_msg_done(b, nh);
	nftnl_chain_free(ch);
	return 0;
}

#define IF_IP4 DT_CONCAT2(DT_IFNAME, DT_IPADDR), IFNAME_LEN + 4
#define IF_MAC DT_CONCAT2(DT_IFNAME, DT_ETHERADDR), IFNAME_LEN + ETHER_LEN
#define IF_IP6 DT_CONCAT2(DT_IFNAME, DT_IP6ADDR), IFNAME_LEN + 16
/* typeof iifname . @th,64,128: a raw payload is an integer */
#define IF_ND DT_CONCAT2(DT_IFNAME, DT_INTEGER), IFNAME_LEN + 16
#define IP6 DT_IP6ADDR, 16
#define PORT6 DT_CONCAT2(DT_IP6ADDR, DT_INET_SERVICE), 20
/* A dynamic set stops taking elements at its size (the kernel's default
 * is 65,535): room for every guest a host could have. */
#define SEEN_MAX (1u << 20)

const struct nft_set_def nft_sets[SI_N] = {
	[SI_GUESTS4] = {F_INET, S_GUESTS4, 0, DT_IPADDR, 4, 0, 0},
	[SI_MASQ4] = {F_INET, S_MASQ4, 0, DT_IPADDR, 4, 0, 0},
	[SI_PORTS4] = {F_INET, S_PORTS4, NFT_SET_MAP, DT_CONCAT2(DT_INET_PROTO, DT_INET_SERVICE), 8,
		       DT_CONCAT2(DT_IPADDR, DT_INET_SERVICE), 8},
	[SI_PORTS4H] = {F_INET, S_PORTS4H, NFT_SET_MAP,
			DT_CONCAT3(DT_IPADDR, DT_INET_PROTO, DT_INET_SERVICE), 12,
			DT_CONCAT2(DT_IPADDR, DT_INET_SERVICE), 8},
	[SI_ISO_IFS] = {F_INET, S_ISO_IFS, 0, DT_IFNAME, IFNAME_LEN, 0, 0},
	[SI_SPOOF4] = {F_INET, S_SPOOF4, 0, IF_IP4, 0, 0},
	[SI_SPOOFMAC] = {F_INET, S_SPOOFMAC, 0, IF_MAC, 0, 0},
	[SI_ISO_GRP] = {F_INET, S_ISO_GRP, NFT_SET_MAP, DT_IFNAME, IFNAME_LEN, DT_DEVGROUP, 4},
	[SI_ISO_MEMBERS] = {F_INET, S_ISO_MEMBERS, 0, DT_CONCAT2(DT_IFNAME, DT_DEVGROUP),
			    IFNAME_LEN + 4, 0, 0},
	[SI_HOST_OPEN] = {F_INET, S_HOST_OPEN, 0, DT_IFNAME, IFNAME_LEN, 0, 0},
	[SI_PORTS] = {F_BRIDGE, S_PORTS, 0, DT_IFNAME, IFNAME_LEN, 0, 0},
	[SI_PORT_MAC] = {F_BRIDGE, S_PORT_MAC, 0, IF_MAC, 0, 0},
	[SI_PORT_IP4] = {F_BRIDGE, S_PORT_IP4, 0, IF_IP4, 0, 0},
	[SI_GUEST_NET] = {F_INET, S_GUEST_NET, 0, IF_IP4, 0, 0}, /* bridge . guest ip */
	[SI_CLOSED4] = {F_INET, S_CLOSED4, 0, DT_IPADDR, 4, 0, 0},
	[SI_GUESTS6] = {F_INET, S_GUESTS6, 0, IP6, 0, 0},
	[SI_MASQ6] = {F_INET, S_MASQ6, 0, IP6, 0, 0},
	[SI_CLOSED6] = {F_INET, S_CLOSED6, 0, IP6, 0, 0},
	[SI_PORTS6] = {F_INET, S_PORTS6, NFT_SET_MAP, DT_CONCAT2(DT_INET_PROTO, DT_INET_SERVICE), 8,
		       PORT6},
	[SI_PORTS6H] = {F_INET, S_PORTS6H, NFT_SET_MAP,
			DT_CONCAT3(DT_IP6ADDR, DT_INET_PROTO, DT_INET_SERVICE), 24, PORT6},
	[SI_SPOOF6] = {F_INET, S_SPOOF6, 0, IF_IP6, 0, 0},
	[SI_ND6] = {F_INET, S_ND6, 0, IF_ND, 0, 0, true},
	[SI_ISO_IFS6] = {F_INET, S_ISO_IFS6, 0, DT_IFNAME, IFNAME_LEN, 0, 0},
	[SI_GUEST_NET6] = {F_INET, S_GUEST_NET6, 0, IF_IP6, 0, 0},
	[SI_PORTS_V6] = {F_BRIDGE, S_PORTS_V6, 0, DT_IFNAME, IFNAME_LEN, 0, 0},
	[SI_PORT_IP6] = {F_BRIDGE, S_PORT_IP6, 0, IF_IP6, 0, 0},
	[SI_PORT_ND6] = {F_BRIDGE, S_PORT_ND6, 0, IF_ND, 0, 0, true},
	/* guest . cluster prefix (nft_cluster.c) */
	[SI_CLUSTER4] = {F_INET, S_CLUSTER4, NFT_SET_INTERVAL | NFT_SET_CONCAT,
			 DT_CONCAT2(DT_IPADDR, DT_IPADDR), 8, 0, 0, .range_field = 4},
	[SI_CLUSTER6] = {F_INET, S_CLUSTER6, NFT_SET_INTERVAL | NFT_SET_CONCAT,
			 DT_CONCAT2(DT_IP6ADDR, DT_IP6ADDR), 32, 0, 0, .range_field = 16},
	/* guests a flow went to (nft_rules_nat.c): filled by packets,
	 * emptied by DEL (lib/attach.c) */
	[SI_SEEN4] = {F_INET, S_SEEN4, NFT_SET_EVAL, DT_IPADDR, 4, 0, 0, .size = SEEN_MAX},
	[SI_SEEN6] = {F_INET, S_SEEN6, NFT_SET_EVAL, IP6, 0, 0, .size = SEEN_MAX},
};

struct nftnl_set *nft_set_ref(int fam, const char *name, uint32_t id)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, VMNET_NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, fam);
	if (id)
		nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	return s;
}

/* nft's ids of expressions and typeof attributes (src/expression.h,
 * src/payload.c, src/meta.c of nftables 1.0.6) */
#define EXPR_PAYLOAD 7
#define EXPR_META 9
#define EXPR_CONCAT 13
#define PROTO_BASE_TRANSPORT_HDR 3 /* nft's own numbering, not NFT_PAYLOAD_* */

/* One typeof component: its expression id, then its attributes. */
static bool put_typeof(struct nftnl_udata_buf *u, uint8_t idx, uint32_t expr,
		       const uint32_t *attrs, size_t n)
{
	struct nftnl_udata *outer = nftnl_udata_nest_start(u, idx), *data;

	if (!outer || !nftnl_udata_put_u32(u, NFTNL_UDATA_SET_TYPEOF_EXPR, expr))
		return false;
	data = nftnl_udata_nest_start(u, NFTNL_UDATA_SET_TYPEOF_DATA);
	if (!data)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!nftnl_udata_put_u32(u, i, attrs[i]))
			return false;
	nftnl_udata_nest_end(u, data);
	nftnl_udata_nest_end(u, outer);
	return true;
}

/* The userdata nft writes for "typeof iifname . @th,64,128", so it lists
 * the set that way (and reads the listing back into the same set). */
static bool put_nd_typeof(struct nftnl_udata_buf *u)
{
	static const uint32_t meta[] = {NFT_META_IIFNAME};
	/* protocol description, type, base, offset and length in bits */
	static const uint32_t raw[] = {0, 0, PROTO_BASE_TRANSPORT_HDR, ND_TARGET * 8, 128};
	struct nftnl_udata *key, *data;

	if (!nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, 0))
		return false;
	key = nftnl_udata_nest_start(u, NFTNL_UDATA_SET_KEY_TYPEOF);
	if (!key || !nftnl_udata_put_u32(u, NFTNL_UDATA_SET_TYPEOF_EXPR, EXPR_CONCAT))
		return false;
	data = nftnl_udata_nest_start(u, NFTNL_UDATA_SET_TYPEOF_DATA);
	if (!data || !put_typeof(u, 0, EXPR_META, meta, ARRAY_SIZE(meta)) ||
	    !put_typeof(u, 1, EXPR_PAYLOAD, raw, ARRAY_SIZE(raw)))
		return false;
	nftnl_udata_nest_end(u, data);
	nftnl_udata_nest_end(u, key);
	return true;
}

/* nft prints a key or data by the byte order it records in the set's
 * userdata (1 host, 2 big endian); without it, groups would show swapped.
 * A typeof set records its expressions instead. */
static int set_byteorder(struct nftnl_set *s, const struct nft_set_def *sd)
{
	struct nftnl_udata_buf *u;
	bool ok;
	int ret = 0;

	if (sd->ktype != DT_IFNAME && !sd->nd)
		return 0;
	u = nftnl_udata_buf_alloc(128);
	if (!u)
		return -ENOMEM;
	if (sd->nd)
		ok = put_nd_typeof(u);
	else
		ok = nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, 1) &&
		     nftnl_udata_put_u32(u, NFTNL_UDATA_SET_DATABYTEORDER, 1);
	if (!ok || nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u),
				      nftnl_udata_buf_len(u)) < 0)
		ret = -ENOMEM;
	nftnl_udata_buf_free(u);
	return ret;
}

int nft_put_set(struct nft_batch *b, const struct nft_set_def *sd, uint32_t id)
{
	struct nft_msg_label d = {.kind = M_SET, .set = sd->name};
	struct nftnl_set *s = nft_set_ref(sd->fam, sd->name, id);
	struct nlmsghdr *nh;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, sd->flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, sd->ktype);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, sd->klen);
	if (sd->flags & NFT_SET_MAP) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, sd->dtype);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, sd->dlen);
	}
	if (sd->flags & NFT_SET_ANONYMOUS)
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, 3);
	else if (sd->size)
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, sd->size);
	if (sd->range_field) {
		/* the kernel picks its set type for ranges of concatenations
		 * (pipapo) by the fields' lengths, as nft sends them */
		uint8_t fields[2] = {sd->range_field, sd->range_field};

		nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields, sizeof(fields));
	}
	if (set_byteorder(s, sd) < 0) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nh = nft_msg_start(b, sd->fam, NFT_MSG_NEWSET, NLM_F_CREATE, &d);
	if (!nh) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nftnl_set_nlmsg_build_payload(nh, s);
	nft_msg_done(b, nh);
	nftnl_set_free(s);
	return 0;
}

/* One NEWSETELEM/DELSETELEM message with @n keys for set @name. */
int nft_put_elems(struct nft_batch *b, int fam, uint16_t type, uint16_t flags, const char *name,
		  uint32_t id, const struct nft_key *keys, size_t n, const struct nft_msg_label *d)
{
	struct nftnl_set *s = nft_set_ref(fam, name, id);
	struct nlmsghdr *nh;

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();

		if (!e) {
			nftnl_set_free(s);
			return -ENOMEM;
		}
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, keys[i].k, keys[i].klen);
		if (keys[i].kendlen)
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, keys[i].kend,
					   keys[i].kendlen);
		if (keys[i].dlen && type == NFT_MSG_NEWSETELEM)
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, keys[i].d, keys[i].dlen);
		nftnl_set_elem_add(s, e);
	}
	nh = nft_msg_start(b, fam, type, flags, d);
	if (!nh) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nftnl_set_elems_nlmsg_build_payload(nh, s);
	nft_msg_done(b, nh);
	nftnl_set_free(s);
	return 0;
}

/* A named counter, so tests and admins can read what was dropped. */
int nft_put_counter(struct nft_batch *b, int fam, const char *name)
{
	struct nft_msg_label d = {.kind = M_OTHER};
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nh;

	if (!o)
		return -ENOMEM;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, VMNET_NFT_TABLE);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, fam);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	/* The kernel wants NFTA_OBJ_DATA; zeroed counts fill it. */
	nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_PKTS, 0);
	nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_BYTES, 0);
	nh = nft_msg_start(b, fam, NFT_MSG_NEWOBJ, NLM_F_CREATE, &d);
	if (!nh) {
		nftnl_obj_free(o);
		return -ENOMEM;
	}
	nftnl_obj_nlmsg_build_payload(nh, o);
	nft_msg_done(b, nh);
	nftnl_obj_free(o);
	return 0;
}

/* Both tables (NEWTABLE with @table_flags), then chains, sets, counters and
 * rules. The tables come first so a lost creation race fails on them. */
int nft_put_base(struct nft_batch *b, uint16_t table_flags)
{
	int ret;

	ret = nft_put_table(b, F_INET, NFT_MSG_NEWTABLE, table_flags, true);
	if (ret >= 0)
		ret = nft_put_table(b, F_BRIDGE, NFT_MSG_NEWTABLE, table_flags, true);
	for (size_t i = 0; ret >= 0 && i < ARRAY_SIZE(chains); i++)
		ret = put_chain(b, &chains[i]);
	for (size_t i = 0; ret >= 0 && i < ARRAY_SIZE(nft_sets); i++)
		ret = nft_put_set(b, &nft_sets[i], ++b->set_id);
	if (ret >= 0)
		ret = nft_put_counter(b, F_INET, O_SPOOF);
	if (ret >= 0)
		ret = nft_put_counter(b, F_INET, O_ISO);
	if (ret >= 0)
		ret = nft_put_counter(b, F_INET, O_INBOUND);
	if (ret >= 0)
		ret = nft_put_counter(b, F_INET, O_LOOPBACK);
	if (ret >= 0)
		ret = nft_put_counter(b, F_BRIDGE, O_LOOPBACK);
	if (ret >= 0)
		ret = nft_put_counter(b, F_INET, O_DHCP);
	if (ret >= 0)
		ret = nft_put_counter(b, F_BRIDGE, O_DHCP);
	if (ret >= 0)
		ret = nft_put_counter(b, F_BRIDGE, O_SPOOF);
	for (int f = 0; ret >= 0 && f < 2; f++) {
		ret = nft_put_counter(b, f ? F_BRIDGE : F_INET, O_DHCP6);
		if (ret >= 0)
			ret = nft_put_counter(b, f ? F_BRIDGE : F_INET, O_RA);
	}
	if (ret < 0)
		return ret;
	return nft_put_rules(b);
}
