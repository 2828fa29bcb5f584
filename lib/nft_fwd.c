/* SPDX-License-Identifier: MIT */
/*
 * The VM namespace's forwarding (netns wiring): one netdev table per
 * attachment, two ingress chains, each forwarding every frame to the other
 * device. Equivalent to:
 *
 *   table netdev vmnet_<hash> {
 *     comment "vmnet:<network>/<container>/<ifname>"
 *     chain peer {
 *       type filter hook ingress device "eth0" priority -500; policy accept;
 *       fwd to "tap0"
 *     }
 *     chain tap {
 *       type filter hook ingress device "tap0" priority -500; policy accept;
 *       fwd to "eth0"
 *     }
 *   }
 *
 * It replaced a tc redirect (an ingress qdisc and a u32 filter with a
 * mirred action per device, four requests): tc puts every such device on
 * two machine-wide lists, the flow-offload bindings walked at each new
 * qdisc and the mirred actions walked at every device deletion anywhere,
 * so netns-wired ADDs grew with the number of VM namespaces (about +0.9 ms
 * at 1,000 here). A table is one batch and on no machine-wide list
 * (tests/bench/README.md).
 */
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdbool.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <string.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "vmnet/names.h"
#include "nft_priv.h"

#define F_NETDEV NFPROTO_NETDEV
#define FWD_PRIO (-500)

static int put_fwd_table(struct nft_batch *b, const char *name, const char *comment,
			 uint16_t type, uint16_t flags)
{
	struct nft_msg_label d = {.kind = M_OTHER};
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nh;
	int r = -ENOMEM;

	if (!t)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, F_NETDEV);
	if (comment) {
		struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);

		if (!u || !nftnl_udata_put_strz(u, NFTNL_UDATA_TABLE_COMMENT, comment) ||
		    nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(u),
					 nftnl_udata_buf_len(u)) < 0) {
			nftnl_udata_buf_free(u);
			goto out;
		}
		nftnl_udata_buf_free(u);
	}
	nh = nft_msg_start(b, F_NETDEV, type, flags, &d);
	if (!nh)
		goto out;
	nftnl_table_nlmsg_build_payload(nh, t);
	nft_msg_done(b, nh);
	r = 0;
out:
	nftnl_table_free(t);
	return r;
}

/* Chain @chain on @dev's ingress, and its one rule: fwd to @to_idx. */
static int put_fwd_chain(struct nft_batch *b, const char *table, const char *chain,
			 const char *dev, int to_idx)
{
	struct nft_msg_label d = {.kind = M_OTHER};
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *imm = nftnl_expr_alloc("immediate"), *fwd = nftnl_expr_alloc("fwd");
	uint32_t idx = (uint32_t)to_idx;
	struct nlmsghdr *nh;
	int ret = -ENOMEM;

	if (!c || !r || !imm || !fwd)
		goto out;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, F_NETDEV);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_NETDEV_INGRESS);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, FWD_PRIO);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nftnl_chain_set_str(c, NFTNL_CHAIN_DEV, dev);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, F_NETDEV);
	nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set(imm, NFTNL_EXPR_IMM_DATA, &idx, sizeof(idx));
	nftnl_expr_set_u32(fwd, NFTNL_EXPR_FWD_SREG_DEV, NFT_REG_1);
	nftnl_rule_add_expr(r, steal_ptr(imm));
	nftnl_rule_add_expr(r, steal_ptr(fwd));
	nh = nft_msg_start(b, F_NETDEV, NFT_MSG_NEWCHAIN, NLM_F_CREATE, &d);
	if (!nh)
		goto out;
	nftnl_chain_nlmsg_build_payload(nh, c);
	nft_msg_done(b, nh);
	nh = nft_msg_start(b, F_NETDEV, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, &d);
	if (!nh)
		goto out;
	nftnl_rule_nlmsg_build_payload(nh, r);
	nft_msg_done(b, nh);
	ret = 0;
out:
	if (imm)
		nftnl_expr_free(imm);
	if (fwd)
		nftnl_expr_free(fwd);
	if (r)
		nftnl_rule_free(r);
	if (c)
		nftnl_chain_free(c);
	return ret;
}

/* The table made new (@replace false: NLM_F_EXCL, the batch fails with
 * -EEXIST when there is one), or emptied and refilled in one transaction
 * (@replace): whatever it held (an earlier ADD's, a tampered copy) is
 * replaced atomically. A batch of additions leaves nothing for nf_tables'
 * destroy work after the commit; a deleted table does, and until that work
 * has run (an RCU grace period, 10-15 ms here) the close of any
 * nftables socket on the machine waits for it (tests/bench/README.md). */
static int build_fwd(struct nft_batch *b, const struct vmnet_fwd *f, bool replace)
{
	int r = 0;

	if (replace) {
		r = put_fwd_table(b, f->table, NULL, NFT_MSG_NEWTABLE, NLM_F_CREATE);
		if (r == 0)
			r = put_fwd_table(b, f->table, NULL, NFT_MSG_DELTABLE, 0);
	}
	if (r == 0)
		r = put_fwd_table(b, f->table, f->comment, NFT_MSG_NEWTABLE,
				  NLM_F_CREATE | (replace ? 0 : NLM_F_EXCL));
	if (r == 0)
		r = put_fwd_chain(b, f->table, VMNET_FWD_CHAIN_PEER, f->peer, f->tap_idx);
	if (r == 0)
		r = put_fwd_chain(b, f->table, VMNET_FWD_CHAIN_TAP, f->tap, f->peer_idx);
	return r;
}

int vmnet_nft_build_fwd(const struct vmnet_fwd *f, uint32_t seq, void **ret_buf,
			size_t *ret_len, struct vmnet_err *err)
{
	struct nft_batch b;
	int r = nft_batch_init(&b, seq);

	return nft_build_out(&b, r < 0 ? r : build_fwd(&b, f, false), ret_buf, ret_len, err);
}

static int fwd_send(struct vmnet_nft *n, const struct vmnet_fwd *f, bool replace,
		    struct vmnet_err *err)
{
	struct nft_batch b;
	int r = nft_batch_init(&b, nft_seq(n));

	r = nft_batch_end(&b, r < 0 ? r : build_fwd(&b, f, replace), err);
	if (r < 0)
		return r;
	return nft_batch_send(n, &b, "forwarding between the tap and the veth peer", err);
}

/* A new attachment's namespace has no table yet: made new. One there (a
 * crashed ADD's, a repair's target) is replaced; that rare path pays a
 * grace period in the kernel's abort of the first batch. */
int vmnet_nft_fwd_set(struct vmnet_nft *n, const struct vmnet_fwd *f, struct vmnet_err *err)
{
	int r = fwd_send(n, f, false, err);

	if (r != -EEXIST)
		return r;
	vmnet_err_clear(err);
	return fwd_send(n, f, true, err);
}

int vmnet_nft_fwd_clear(struct vmnet_nft *n, const char *table, struct vmnet_err *err)
{
	struct nft_batch b;
	int r = nft_batch_init(&b, nft_seq(n));

	/* NEWTABLE first, so the DELTABLE of a missing table cannot fail. */
	if (r >= 0)
		r = put_fwd_table(&b, table, NULL, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	if (r >= 0)
		r = put_fwd_table(&b, table, NULL, NFT_MSG_DELTABLE, 0);
	r = nft_batch_end(&b, r, err);
	if (r < 0)
		return r;
	return nft_batch_send(n, &b, "deleting the forwarding table", err);
}

/* What a check found of the table's two chains: [0] peer, [1] tap. */
struct fwd_seen {
	const struct vmnet_fwd *f;
	bool chain[2], rule[2];
	char dev[2][IFNAMSIZ];
	int to[2];
};

static int chain_slot(const char *name)
{
	if (!strcmp(name, VMNET_FWD_CHAIN_PEER))
		return 0;
	return strcmp(name, VMNET_FWD_CHAIN_TAP) ? -1 : 1;
}

static int fwd_chain_cb(const struct nlmsghdr *nh, void *data)
{
	struct fwd_seen *s = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	const char *dev;
	int i;

	if (!c || nftnl_chain_nlmsg_parse(nh, c) < 0 ||
	    strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE) ?: "", s->f->table))
		goto out;
	i = chain_slot(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME) ?: "");
	if (i < 0 || !nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) ||
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) != NF_NETDEV_INGRESS)
		goto out;
	dev = nftnl_chain_get_str(c, NFTNL_CHAIN_DEV);
	if (!dev && nftnl_chain_is_set(c, NFTNL_CHAIN_DEVICES)) {
		const char *const *devs = nftnl_chain_get(c, NFTNL_CHAIN_DEVICES);

		dev = devs && devs[0] && !devs[1] ? devs[0] : NULL;
	}
	s->chain[i] = true;
	snprintf(s->dev[i], sizeof(s->dev[i]), "%s", dev ?: "");
out:
	if (c)
		nftnl_chain_free(c);
	return MNL_CB_OK;
}

/* The rule's target if it is exactly "fwd to <ifindex>", else -1. */
static int rule_target(struct nftnl_rule *r)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	int n = 0, to = -1;
	bool fwd = false;

	if (!it)
		return -1;
	while ((e = nftnl_expr_iter_next(it))) {
		const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
		uint32_t len = 0;
		const void *d;

		n++;
		if (n == 1 && !strcmp(name, "immediate") &&
		    nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) == NFT_REG_1 &&
		    (d = nftnl_expr_get(e, NFTNL_EXPR_IMM_DATA, &len)) && len == sizeof(uint32_t)) {
			uint32_t v;

			memcpy(&v, d, sizeof(v));
			to = (int)v;
		} else if (n == 2 && !strcmp(name, "fwd") &&
			   nftnl_expr_get_u32(e, NFTNL_EXPR_FWD_SREG_DEV) == NFT_REG_1) {
			fwd = true;
		}
	}
	nftnl_expr_iter_destroy(it);
	return n == 2 && fwd ? to : -1;
}

static int fwd_rule_cb(const struct nlmsghdr *nh, void *data)
{
	struct fwd_seen *s = data;
	struct nftnl_rule *r = nftnl_rule_alloc();
	int i;

	if (!r || nftnl_rule_nlmsg_parse(nh, r) < 0 ||
	    strcmp(nftnl_rule_get_str(r, NFTNL_RULE_TABLE) ?: "", s->f->table))
		goto out;
	i = chain_slot(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN) ?: "");
	if (i < 0)
		goto out;
	/* One rule per chain: a second one, whatever it does, is not ours. */
	s->to[i] = s->rule[i] ? -1 : rule_target(r);
	s->rule[i] = true;
out:
	if (r)
		nftnl_rule_free(r);
	return MNL_CB_OK;
}

/* Whether @s holds the forwarding @f asks for. */
static int fwd_verdict(const struct fwd_seen *s, struct vmnet_err *err)
{
	const struct vmnet_fwd *f = s->f;
	const char *dev[2] = {f->peer, f->tap};
	const int to[2] = {f->tap_idx, f->peer_idx};

	for (int i = 0; i < 2; i++) {
		if (!s->chain[i])
			return vmnet_err_set(err, VMNET_ERR_CHECK, ENOENT,
					     "no forwarding from %s to %s (table netdev %s)", dev[i],
					     dev[!i], f->table);
		if (strcmp(s->dev[i], dev[i]))
			return vmnet_err_set(err, VMNET_ERR_CHECK, ENOENT,
					     "the chain forwarding %s's frames hooks %s", dev[i],
					     s->dev[i][0] ? s->dev[i] : "no device");
		if (!s->rule[i] || s->to[i] != to[i])
			return vmnet_err_set(err, VMNET_ERR_CHECK, ENOENT,
					     "%s's frames are not forwarded to %s", dev[i], dev[!i]);
	}
	return 0;
}

int vmnet_nft_fwd_check(struct vmnet_nft *n, const struct vmnet_fwd *f, struct vmnet_err *err)
{
	struct fwd_seen s = {.f = f};
	char buf[REQ_BUF];
	struct nlmsghdr *nh;
	int r;

	nh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, F_NETDEV, NLM_F_DUMP, 0);
	r = nft_request(n, nh, fwd_chain_cb, &s);
	if (r < 0 && r != -ENOENT)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: listing netdev chains");
	r = vmnet_nft_dump_rules(n, F_NETDEV, f->table, fwd_rule_cb, &s, err);
	if (r < 0)
		return r;
	return fwd_verdict(&s, err);
}

int vmnet_nft_fwd_check_msgs(const void *buf, size_t len, const struct vmnet_fwd *f,
			     struct vmnet_err *err)
{
	struct fwd_seen s = {.f = f};
	const struct nlmsghdr *nh = buf;
	int left = (int)(len > INT32_MAX ? INT32_MAX : len);

	for (; mnl_nlmsg_ok(nh, left); nh = mnl_nlmsg_next(nh, &left)) {
		if (NFNL_SUBSYS_ID(nh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
			continue;
		if (NFNL_MSG_TYPE(nh->nlmsg_type) == NFT_MSG_NEWCHAIN)
			fwd_chain_cb(nh, &s);
		else if (NFNL_MSG_TYPE(nh->nlmsg_type) == NFT_MSG_NEWRULE)
			fwd_rule_cb(nh, &s);
	}
	return fwd_verdict(&s, err);
}
