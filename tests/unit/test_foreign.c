/* SPDX-License-Identifier: MIT */
/*
 * Other tables' forward chains (lib/foreign.c, foreign_scan.c), no
 * root: rulesets are built as nft builds them (libnftnl expressions, the
 * netlink messages a dump returns), fed to the reader, then walked. The
 * Docker and firewalld shapes are the ones tests/clients/ shape files hold.
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "tap.h"
#include "vmnet/foreign.h"

enum k {
	END,
	IIF,
	OIF,
	NIIF,
	NOIF,
	IIFP,	  /* meta iifname/oifname ==, !=, "prefix*" */
	CTSTATE,  /* ct state & v != 0 */
	CTSTATUS, /* ct status & v != 0 */
	NFPROTO,  /* meta nfproto == v */
	SADDR,	  /* ip saddr == v */
	UNKNOWN,  /* an expression the reader does not interpret */
	COUNTER,
	ACCEPT,
	DROP,
	REJECT,
	JUMP,
	GOTO,
	RETURN,
	VMAP,
	L4PROTO, /* meta l4proto == v */
	DPORT,	 /* th dport == v */
	DADDR,	 /* ip daddr == v */
	PRANGE,	 /* --dport a:b as iptables-nft writes it (range eq); v = a << 16 | b */
	PCMPS,	 /* th dport a-b as nft writes it (cmp >=, cmp <=) */
	XTDNAT,	 /* iptables-nft's -j DNAT (an xt target) */
	NATDNAT, /* nft's dnat */
};

struct op {
	enum k k;
	const char *s;
	uint32_t v;
};

#define R(...) ((const struct op[]){__VA_ARGS__, {END, NULL, 0}})
#define CT_INVALID 1
#define CT_ESTREL 6
#define CT_NEW 8

static struct vmnet_fw_ruleset rs;
static uint32_t seq;

static void feed(struct nlmsghdr *nh)
{
	if (vmnet_fw_feed(&rs, nh) < 0)
		ok(0, "feed message type %u", nh->nlmsg_type);
}

/* hook < 0: a regular chain. */
static void chain(uint8_t fam, const char *table, const char *name, int hook, int prio, bool drop)
{
	char buf[4096];
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nh;

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (hook >= 0) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, drop ? NF_DROP : NF_ACCEPT);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	}
	nh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWCHAIN, fam, 0, seq++);
	nftnl_chain_nlmsg_build_payload(nh, c);
	nftnl_chain_free(c);
	feed(nh);
}

static struct nftnl_expr *ex(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	nftnl_rule_add_expr(r, e);
	return e;
}

static void load_meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = ex(r, "meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
}

static void cmp(struct nftnl_rule *r, uint32_t op, const void *d, uint32_t len)
{
	struct nftnl_expr *e = ex(r, "cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, d, len);
}

static void ifname(struct nftnl_rule *r, const struct op *o)
{
	char name[IFNAMSIZ] = "";

	strncpy(name, o->s, sizeof(name) - 1);
	load_meta(r, o->k == OIF || o->k == NOIF ? NFT_META_OIFNAME : NFT_META_IIFNAME);
	cmp(r, o->k == NIIF || o->k == NOIF ? NFT_CMP_NEQ : NFT_CMP_EQ, name,
	    o->k == IIFP ? (uint32_t)strlen(name) : IFNAMSIZ);
}

static void ct_bits(struct nftnl_rule *r, uint32_t key, uint32_t mask)
{
	struct nftnl_expr *e = ex(r, "ct");
	uint32_t zero = 0;

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	e = ex(r, "bitwise");
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	cmp(r, NFT_CMP_NEQ, &zero, 4);
}

static void verdict(struct nftnl_rule *r, int v, const char *target)
{
	struct nftnl_expr *e = ex(r, "immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)v);
	if (target)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, target);
}

/* What a DNAT rule matches, as iptables-nft and nft encode it. */
static void dnat_match(struct nftnl_rule *r, const struct op *o)
{
	struct nftnl_expr *e;
	uint8_t b = (uint8_t)o->v;
	uint16_t port = htons((uint16_t)o->v);
	uint32_t a = htonl(o->v);

	if (o->k == L4PROTO) {
		load_meta(r, NFT_META_L4PROTO);
		cmp(r, NFT_CMP_EQ, &b, 1);
		return;
	}
	e = ex(r, "payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
			   o->k == DADDR ? NFT_PAYLOAD_NETWORK_HEADER
					 : NFT_PAYLOAD_TRANSPORT_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, o->k == DADDR ? 16 : 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, o->k == DADDR ? 4 : 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	if (o->k == PRANGE || o->k == PCMPS) {
		uint16_t lo = htons((uint16_t)(o->v >> 16)), hi = htons((uint16_t)o->v);

		if (o->k == PCMPS) {
			cmp(r, NFT_CMP_GTE, &lo, 2);
			cmp(r, NFT_CMP_LTE, &hi, 2);
			return;
		}
		e = ex(r, "range");
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, &lo, 2);
		nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, &hi, 2);
	} else if (o->k == DPORT) {
		cmp(r, NFT_CMP_EQ, &port, 2);
	} else {
		cmp(r, NFT_CMP_EQ, &a, 4);
	}
}

static void put_op(struct nftnl_rule *r, const struct op *o)
{
	struct nftnl_expr *e;
	uint8_t b;
	uint32_t a;

	switch (o->k) {
	case IIF:
	case OIF:
	case NIIF:
	case NOIF:
	case IIFP:
		ifname(r, o);
		break;
	case CTSTATE:
	case CTSTATUS:
		ct_bits(r, o->k == CTSTATE ? NFT_CT_STATE : NFT_CT_STATUS, o->v);
		break;
	case NFPROTO:
		b = (uint8_t)o->v;
		load_meta(r, NFT_META_NFPROTO);
		cmp(r, NFT_CMP_EQ, &b, 1);
		break;
	case SADDR:
		e = ex(r, "payload");
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 12);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 4);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
		a = htonl(o->v);
		cmp(r, NFT_CMP_EQ, &a, 4);
		break;
	case UNKNOWN:
		e = ex(r, "osf");
		nftnl_expr_set_u32(e, NFTNL_EXPR_OSF_DREG, NFT_REG_1);
		break;
	case COUNTER:
		ex(r, "counter");
		break;
	case ACCEPT:
		verdict(r, NF_ACCEPT, NULL);
		break;
	case DROP:
		verdict(r, NF_DROP, NULL);
		break;
	case RETURN:
		verdict(r, NFT_RETURN, NULL);
		break;
	case JUMP:
		verdict(r, NFT_JUMP, o->s);
		break;
	case GOTO:
		verdict(r, NFT_GOTO, o->s);
		break;
	case REJECT:
		e = ex(r, "reject");
		nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMPX_UNREACH);
		nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
		break;
	case VMAP:
		load_meta(r, NFT_META_IIFNAME);
		e = ex(r, "lookup");
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, "__map0");
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
		break;
	case L4PROTO:
	case DPORT:
	case DADDR:
	case PRANGE:
	case PCMPS:
		dnat_match(r, o);
		break;
	case XTDNAT:
		e = ex(r, "target");
		nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "DNAT");
		nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 2);
		/* libnftnl 1.2 keeps (and frees) the info pointer it is given */
		nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, calloc(1, 40), 40);
		break;
	case NATDNAT:
		e = ex(r, "immediate");
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
		nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &(uint32_t){htonl(0x0a000002)}, 4);
		e = ex(r, "nat");
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
		break;
	case END:
		break;
	}
}

static void rule(uint8_t fam, const char *table, const char *ch, uint64_t handle,
		 const struct op *ops)
{
	char buf[8192];
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nh;

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, ch);
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, handle);
	for (; ops->k != END; ops++)
		put_op(r, ops);
	nh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, fam, 0, seq++);
	nftnl_rule_nlmsg_build_payload(nh, r);
	nftnl_rule_free(r);
	feed(nh);
}

static struct vmnet_fw_finding fs[16];
static size_t n_fs;

static bool complete;

static void scan(void)
{
	static const char *const names[] = {"br-vms"};
	const struct vmnet_fw_ours ours = {names, 1};

	vmnet_fw_index(&rs);
	complete = vmnet_fw_scan(&rs, &ours, fs, 16, &n_fs);
}

static void reset(void)
{
	vmnet_fw_free(&rs);
	n_fs = 0;
}

static bool has(enum vmnet_fw_what what, const char *ch, uint64_t handle, bool certain)
{
	for (size_t i = 0; i < n_fs && i < 16; i++)
		if (fs[i].what == what && !strcmp(fs[i].chain, ch) && fs[i].handle == handle &&
		    fs[i].certain == certain)
			return true;
	return false;
}

#define F NFPROTO_IPV4
#define FWD NF_INET_FORWARD

static void docker(void)
{
	chain(F, "filter", "DOCKER", -1, 0, false);
	chain(F, "filter", "DOCKER-ISOLATION-STAGE-1", -1, 0, false);
	chain(F, "filter", "DOCKER-ISOLATION-STAGE-2", -1, 0, false);
	chain(F, "filter", "FORWARD", FWD, 0, true);
	chain(F, "filter", "DOCKER-USER", -1, 0, false);
	rule(F, "filter", "DOCKER-ISOLATION-STAGE-1", 10,
	     R({IIF, "docker0", 0}, {NOIF, "docker0", 0}, {COUNTER, NULL, 0},
	       {JUMP, "DOCKER-ISOLATION-STAGE-2", 0}));
	rule(F, "filter", "DOCKER-ISOLATION-STAGE-1", 11, R({COUNTER, NULL, 0}, {RETURN, NULL, 0}));
	rule(F, "filter", "DOCKER-ISOLATION-STAGE-2", 12,
	     R({OIF, "docker0", 0}, {COUNTER, NULL, 0}, {DROP, NULL, 0}));
	rule(F, "filter", "DOCKER-ISOLATION-STAGE-2", 13, R({COUNTER, NULL, 0}, {RETURN, NULL, 0}));
	rule(F, "filter", "FORWARD", 20, R({COUNTER, NULL, 0}, {JUMP, "DOCKER-USER", 0}));
	rule(F, "filter", "FORWARD", 21,
	     R({COUNTER, NULL, 0}, {JUMP, "DOCKER-ISOLATION-STAGE-1", 0}));
	rule(F, "filter", "FORWARD", 22,
	     R({OIF, "docker0", 0}, {CTSTATE, NULL, CT_ESTREL}, {COUNTER, NULL, 0},
	       {ACCEPT, NULL, 0}));
	rule(F, "filter", "FORWARD", 23,
	     R({OIF, "docker0", 0}, {COUNTER, NULL, 0}, {JUMP, "DOCKER", 0}));
	rule(F, "filter", "FORWARD", 24,
	     R({IIF, "docker0", 0}, {NOIF, "docker0", 0}, {COUNTER, NULL, 0}, {ACCEPT, NULL, 0}));
	rule(F, "filter", "FORWARD", 25,
	     R({IIF, "docker0", 0}, {OIF, "docker0", 0}, {COUNTER, NULL, 0}, {ACCEPT, NULL, 0}));
	rule(F, "filter", "DOCKER-USER", 30, R({COUNTER, NULL, 0}, {RETURN, NULL, 0}));
}

#define I NFPROTO_INET
#define FWT "firewalld"

static void firewalld(void)
{
	chain(I, FWT, "filter_FORWARD", FWD, 10, false);
	chain(I, FWT, "filter_FORWARD_ZONES", -1, 0, false);
	chain(I, FWT, "filter_FWD_public", -1, 0, false);
	chain(I, FWT, "filter_FWD_public_allow", -1, 0, false);
	chain(I, FWT, "filter_INPUT", NF_INET_LOCAL_IN, 10, false);
	rule(I, FWT, "filter_FORWARD", 100, R({CTSTATE, NULL, CT_ESTREL}, {ACCEPT, NULL, 0}));
	rule(I, FWT, "filter_FORWARD", 101, R({CTSTATUS, NULL, 0x20}, {ACCEPT, NULL, 0}));
	rule(I, FWT, "filter_FORWARD", 102, R({IIF, "lo", 0}, {ACCEPT, NULL, 0}));
	rule(I, FWT, "filter_FORWARD", 103, R({CTSTATE, NULL, CT_INVALID}, {DROP, NULL, 0}));
	rule(I, FWT, "filter_FORWARD", 104, R({NFPROTO, NULL, NFPROTO_IPV6}, {REJECT, NULL, 0}));
	rule(I, FWT, "filter_FORWARD", 105, R({JUMP, "filter_FORWARD_ZONES", 0}));
	rule(I, FWT, "filter_FORWARD", 106, R({REJECT, NULL, 0}));
	rule(I, FWT, "filter_FORWARD_ZONES", 110,
	     R({IIF, "eth0", 0}, {GOTO, "filter_FWD_public", 0}));
	rule(I, FWT, "filter_FORWARD_ZONES", 111, R({GOTO, "filter_FWD_public", 0}));
	rule(I, FWT, "filter_FWD_public", 120, R({JUMP, "filter_FWD_public_allow", 0}));
	rule(I, FWT, "filter_FWD_public", 121, R({REJECT, NULL, 0}));
	rule(I, FWT, "filter_FWD_public_allow", 130, R({OIF, "eth0", 0}, {ACCEPT, NULL, 0}));
	rule(I, FWT, "filter_INPUT", 140, R({REJECT, NULL, 0}));
}

static void test_real_shapes(void)
{
	docker();
	scan();
	ok(n_fs == 1 && has(VMNET_FW_POLICY, "FORWARD", 0, true) && complete,
	   "Docker: FORWARD's policy drop, nothing else (%zu findings)", n_fs);
	reset();

	firewalld();
	scan();
	ok(n_fs == 1 && has(VMNET_FW_REJECTS, "filter_FWD_public", 121, true),
	   "firewalld: the zone chain's final reject, reached by every VM packet (%zu findings)",
	   n_fs);
	ok(!has(VMNET_FW_DROPS, "filter_FORWARD", 103, false) &&
		   !has(VMNET_FW_REJECTS, "filter_FORWARD", 104, false),
	   "firewalld: ct state invalid and IPv6-only rejects are guarded");
	ok(!has(VMNET_FW_REJECTS, "filter_FORWARD", 106, true),
	   "firewalld: the reject after the zones' goto is not reached");
	reset();

	docker();
	firewalld();
	scan();
	ok(n_fs == 2, "Docker and firewalld together: both (%zu findings)", n_fs);
	reset();
}

static void base(uint8_t fam, bool drop)
{
	chain(fam, "t", "fwd", FWD, 0, drop);
}

static void test_guards(void)
{
	base(F, false);
	rule(F, "t", "fwd", 1, R({IIF, "eth0", 0}, {OIF, "eth1", 0}, {DROP, NULL, 0}));
	rule(F, "t", "fwd", 2, R({CTSTATE, NULL, CT_ESTREL}, {DROP, NULL, 0}));
	rule(F, "t", "fwd", 3, R({IIFP, "docker", 0}, {OIF, "eth0", 0}, {DROP, NULL, 0}));
	rule(F, "t", "fwd", 4, R({IIF, "x", 0}, {JUMP, "sub", 0}));
	chain(F, "t", "sub", -1, 0, false);
	rule(F, "t", "sub", 5, R({IIF, "y", 0}, {DROP, NULL, 0}));
	rule(F, "t", "sub", 6, R({NIIF, "x", 0}, {DROP, NULL, 0}));
	rule(F, "t", "fwd", 7, R({IIF, "lo", 0}, {DROP, NULL, 0}));
	rule(F, "t", "fwd", 8, R({OIF, "lo", 0}, {REJECT, NULL, 0}));
	scan();
	ok(n_fs == 0,
	   "guards: lo, foreign devices on both sides, ct state without new, "
	   "contradictions with the jumping rule (%zu findings)",
	   n_fs);
	reset();
}

static void test_may(void)
{
	base(F, false);
	rule(F, "t", "fwd", 1, R({SADDR, NULL, 0x0a000001}, {DROP, NULL, 0}));
	rule(F, "t", "fwd", 2, R({IIF, "vmbr0", 0}, {REJECT, NULL, 0}));
	rule(F, "t", "fwd", 3, R({OIF, "br-vms", 0}, {DROP, NULL, 0}));
	rule(F, "t", "fwd", 4, R({IIFP, "vm", 0}, {OIF, "eth0", 0}, {DROP, NULL, 0}));
	rule(F, "t", "fwd", 5, R({UNKNOWN, NULL, 0}, {DROP, NULL, 0}));
	rule(F, "t", "fwd", 6, R({VMAP, NULL, 0}));
	rule(F, "t", "fwd", 7, R({CTSTATE, NULL, CT_NEW}, {DROP, NULL, 0}));
	rule(F, "t", "fwd", 8, R({OIF, "eth0", 0}, {JUMP, "sub", 0}));
	chain(F, "t", "sub", -1, 0, false);
	rule(F, "t", "sub", 9, R({DROP, NULL, 0}));
	scan();
	ok(n_fs == 8, "may: eight partial drops and rejects (%zu findings)", n_fs);
	ok(has(VMNET_FW_DROPS, "fwd", 1, false) && has(VMNET_FW_REJECTS, "fwd", 2, false) &&
		   has(VMNET_FW_DROPS, "fwd", 3, false) && has(VMNET_FW_DROPS, "fwd", 4, false),
	   "may: an address, vmnet's bridge, a named bridge of ours, a wildcard that covers ours");
	ok(has(VMNET_FW_DROPS, "fwd", 5, false) && has(VMNET_FW_MAY_ANY, "fwd", 6, false),
	   "may: an uninterpreted expression, a verdict map");
	ok(has(VMNET_FW_DROPS, "fwd", 7, false) && has(VMNET_FW_DROPS, "sub", 9, false),
	   "may: ct state new, an unconditional drop behind a conditional jump");
	reset();
}

static void test_flow(void)
{
	base(F, true);
	rule(F, "t", "fwd", 1, R({COUNTER, NULL, 0}, {ACCEPT, NULL, 0}));
	rule(F, "t", "fwd", 2, R({DROP, NULL, 0}));
	chain(F, "t", "in", NF_INET_LOCAL_IN, 0, true);
	chain(F, "t", "loop", -1, 0, false);
	rule(F, "t", "loop", 3, R({JUMP, "loop", 0}));
	scan();
	ok(n_fs == 0,
	   "an unconditional accept ends the walk: no policy, no later drop; input "
	   "hooks ignored (%zu findings)",
	   n_fs);
	reset();

	base(F, true);
	rule(F, "t", "fwd", 1, R({JUMP, "a", 0}));
	chain(F, "t", "a", -1, 0, false);
	rule(F, "t", "a", 2, R({JUMP, "a", 0}));
	rule(F, "t", "a", 3, R({RETURN, NULL, 0}));
	rule(F, "t", "a", 4, R({DROP, NULL, 0}));
	scan();
	ok(n_fs == 1 && has(VMNET_FW_POLICY, "fwd", 0, true),
	   "a jump loop ends; return skips the rest; the policy applies (%zu findings)", n_fs);
	ok(!complete, "a jump loop: the scan says it did not follow every jump");
	reset();

	chain(NFPROTO_BRIDGE, "br", "fwd", FWD, -200, false);
	rule(NFPROTO_BRIDGE, "br", "fwd", 1, R({REJECT, NULL, 0}));
	chain(NFPROTO_IPV6, "six", "fwd", FWD, 0, true);
	chain(NFPROTO_INET, "vmnet", "forward", FWD, 0, true);
	scan();
	ok(n_fs == 1 && has(VMNET_FW_REJECTS, "fwd", 1, true) && fs[0].family == NFPROTO_BRIDGE,
	   "bridge family counts; ip6 and our own table do not (%zu findings)", n_fs);
	reset();
}

static void test_fmt(void)
{
	char buf[512];

	firewalld();
	scan();
	vmnet_fw_finding_fmt(&fs[0], buf, sizeof(buf));
	ok(!strcmp(buf, "table inet firewalld, chain filter_FORWARD (forward hook, priority 10): "
			"rule handle 121 in chain filter_FWD_public rejects VM traffic that "
			"earlier rules do not accept, whatever vmnet accepts"),
	   "text: %s", buf);
	vmnet_fw_finding_fmt(&fs[0], buf, 20);
	ok(strlen(buf) == 19, "text: truncated, terminated");
	reset();
}

/* Port conflicts: Docker's DNAT (iptables-nft) and an nft dnat rule bound
 * to one address, found by protocol, port and address. */
static void test_dnat(void)
{
	char buf[256];
	ssize_t i;

	chain(F, "nat", "DOCKER", -1, 0, false);
	chain(I, "mine", "pre", NF_INET_PRE_ROUTING, -100, false);
	rule(F, "nat", "DOCKER", 40, R({IIF, "docker0", 0}, {COUNTER, NULL, 0}, {RETURN, NULL, 0}));
	rule(F, "nat", "DOCKER", 41,
	     R({NIIF, "docker0", 0}, {L4PROTO, NULL, IPPROTO_TCP}, {DPORT, NULL, 8080},
	       {COUNTER, NULL, 0}, {XTDNAT, NULL, 0}));
	rule(I, "mine", "pre", 50,
	     R({DADDR, NULL, 0xc0000201}, {L4PROTO, NULL, IPPROTO_UDP}, {DPORT, NULL, 5353},
	       {NATDNAT, NULL, 0}));
	rule(I, "mine", "pre", 51, R({DPORT, NULL, 9000}, {COUNTER, NULL, 0})); /* no dnat */
	rule(F, "nat", "DOCKER", 42,
	     R({L4PROTO, NULL, IPPROTO_TCP}, {PRANGE, NULL, 7000u << 16 | 7010},
	       {XTDNAT, NULL, 0}));
	rule(I, "mine", "pre", 52,
	     R({L4PROTO, NULL, IPPROTO_UDP}, {PCMPS, NULL, 6000u << 16 | 6002},
	       {NATDNAT, NULL, 0}));
	vmnet_fw_index(&rs);
	i = vmnet_fw_dnat_owner(&rs, IPPROTO_TCP, 8080, 0);
	ok(i >= 0 && rs.rules[i].handle == 41, "Docker's DNAT owns tcp/8080");
	if (i >= 0) {
		vmnet_fw_owner_fmt(&rs, (size_t)i, buf, sizeof(buf));
		ok(!strcmp(buf, "docker (table ip nat, chain DOCKER, rule handle 41)"), "owner: %s",
		   buf);
	}
	ok(vmnet_fw_dnat_owner(&rs, IPPROTO_UDP, 8080, 0) < 0, "... not udp/8080");
	ok(vmnet_fw_dnat_owner(&rs, IPPROTO_TCP, 8081, 0) < 0, "... not tcp/8081");
	ok(vmnet_fw_dnat_owner(&rs, IPPROTO_TCP, 8080, 0xc0000201) >= 0,
	   "... and tcp/8080 on any one address");
	i = vmnet_fw_dnat_owner(&rs, IPPROTO_UDP, 5353, 0);
	ok(i >= 0 && rs.rules[i].handle == 50, "nft's dnat on 192.0.2.1 owns udp/5353");
	if (i >= 0) {
		vmnet_fw_owner_fmt(&rs, (size_t)i, buf, sizeof(buf));
		ok(!strcmp(buf, "table inet mine, chain pre, rule handle 50"), "owner: %s", buf);
	}
	ok(vmnet_fw_dnat_owner(&rs, IPPROTO_UDP, 5353, 0xc0000202) < 0,
	   "... not on another address");
	ok(vmnet_fw_dnat_owner(&rs, IPPROTO_TCP, 9000, 0) < 0,
	   "a port match without DNAT owns nothing");
	i = vmnet_fw_dnat_owner(&rs, IPPROTO_TCP, 7005, 0);
	ok(i >= 0 && rs.rules[i].handle == 42, "iptables-nft's --dport 7000:7010 owns tcp/7005");
	ok(vmnet_fw_dnat_owner(&rs, IPPROTO_TCP, 7011, 0) < 0, "... not tcp/7011");
	i = vmnet_fw_dnat_owner(&rs, IPPROTO_UDP, 6002, 0);
	ok(i >= 0 && rs.rules[i].handle == 52, "nft's udp dport 6000-6002 owns udp/6002");
	ok(vmnet_fw_dnat_owner(&rs, IPPROTO_UDP, 5999, 0) < 0, "... not udp/5999");
	reset();
}

int main(void)
{
	test_real_shapes();
	test_guards();
	test_may();
	test_flow();
	test_fmt();
	test_dnat();
	return done();
}
