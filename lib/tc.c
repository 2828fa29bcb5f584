/* SPDX-License-Identifier: MIT */
/*
 * Messages are built by hand with libnl's nlmsg/nla API rather than through
 * rtnl_cls/rtnl_act objects: the whole filter is five nested attributes,
 * and the same layout is what vmnet_tc_redirect_check() parses back.
 * Equivalent to:
 *   tc qdisc add dev FROM ingress
 *   tc filter replace dev FROM parent ffff: protocol all prio 1 handle 800::800 \
 *      u32 match u32 0 0 action mirred egress redirect dev TO
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <string.h>

#include "vmnet/nl.h"
#include "vmnet/tc.h"

#define INGRESS_HANDLE 0xffff0000u /* ffff: */
#define FILTER_HANDLE 0x80000800u  /* 800::800 */
#define FILTER_PRIO 1

static void msg_freep(struct nl_msg **m)
{
	if (*m)
		nlmsg_free(*m);
}
#define _cleanup_msg_ _cleanup_(msg_freep)

static struct nl_msg *tc_msg(int type, int flags, int ifindex, uint32_t handle, uint32_t parent,
			     uint32_t info)
{
	struct tcmsg t = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_handle = handle,
		.tcm_parent = parent,
		.tcm_info = info,
	};
	struct nl_msg *m = nlmsg_alloc_simple(type, flags);

	if (m && nlmsg_append(m, &t, sizeof(t), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

/* Returns 1 if we created the qdisc, 0 if it was there. */
static int add_ingress(struct vmnet_nl *nl, int ifindex, struct vmnet_err *err)
{
	_cleanup_msg_ struct nl_msg *m = NULL;
	int r;

	m = tc_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex, INGRESS_HANDLE, TC_H_INGRESS,
		   0);
	if (!m || nla_put_string(m, TCA_KIND, "ingress") < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "adding ingress qdisc");
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r == -EEXIST)
		return 0;
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "adding ingress qdisc to link %d", ifindex);
	return 1;
}

static int build_filter(struct nl_msg *m, int to_ifindex)
{
	/* A selector with one key; keys[] is a flexible array member. */
	_Alignas(struct tc_u32_sel)
		uint8_t sel_buf[sizeof(struct tc_u32_sel) + sizeof(struct tc_u32_key)] = {0};
	struct tc_u32_sel *sel = (struct tc_u32_sel *)sel_buf;
	struct tc_mirred mirred = {
		.action = TC_ACT_STOLEN,
		.eaction = TCA_EGRESS_REDIR,
		.ifindex = (uint32_t)to_ifindex,
	};
	struct nlattr *opts, *acts, *act, *aopts;

	/* One key with mask 0 matches every packet. */
	sel->flags = TC_U32_TERMINAL;
	sel->nkeys = 1;
	if (nla_put_string(m, TCA_KIND, "u32") < 0 || !(opts = nla_nest_start(m, TCA_OPTIONS)) ||
	    nla_put(m, TCA_U32_SEL, sizeof(sel_buf), sel_buf) < 0 ||
	    !(acts = nla_nest_start(m, TCA_U32_ACT)) || !(act = nla_nest_start(m, 1)) ||
	    nla_put_string(m, TCA_ACT_KIND, "mirred") < 0 ||
	    !(aopts = nla_nest_start(m, TCA_ACT_OPTIONS)) ||
	    nla_put(m, TCA_MIRRED_PARMS, sizeof(mirred), &mirred) < 0)
		return -ENOMEM;
	nla_nest_end(m, aopts);
	nla_nest_end(m, act);
	nla_nest_end(m, acts);
	nla_nest_end(m, opts);
	return 0;
}

static int del_ingress(struct vmnet_nl *nl, int ifindex)
{
	/* Handle 0: with ffff: the kernel says EINVAL, not ENOENT, when the
	 * ingress slot holds only the noop qdisc. */
	_cleanup_msg_ struct nl_msg *m = tc_msg(RTM_DELQDISC, 0, ifindex, 0, TC_H_INGRESS, 0);
	int r;

	if (!m)
		return -ENOMEM;
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	return vmnet_err_is_gone(r) ? 0 : r;
}

int vmnet_tc_redirect(struct vmnet_nl *nl, int from_ifindex, int to_ifindex, struct vmnet_err *err)
{
	_cleanup_msg_ struct nl_msg *m = NULL;
	int r, created;

	created = add_ingress(nl, from_ifindex, err);
	if (created < 0)
		return created;
	/* No NLM_F_EXCL: an existing 800::800 is replaced, not duplicated. */
	m = tc_msg(RTM_NEWTFILTER, NLM_F_CREATE, from_ifindex, FILTER_HANDLE, INGRESS_HANDLE,
		   TC_H_MAKE((uint32_t)FILTER_PRIO << 16, htons(ETH_P_ALL)));
	if (!m || build_filter(m, to_ifindex) < 0) {
		r = vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "adding redirect filter");
		goto undo_qdisc;
	}
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r < 0) {
		vmnet_nl_fail(nl, err, r, "adding redirect from link %d to %d", from_ifindex,
			      to_ifindex);
		goto undo_qdisc;
	}
	return 0;

undo_qdisc:
	if (created)
		del_ingress(nl, from_ifindex);
	return r;
}

struct qdisc_want {
	int ifindex;
	char kind[16];	/* of its ingress qdisc, "" if none */
};

static int parse_kind(const struct nlmsghdr *h, void *arg)
{
	struct qdisc_want *w = arg;
	const struct tcmsg *t = nlmsg_data(h);
	struct nlattr *tb[TCA_MAX + 1];

	if (h->nlmsg_type == RTM_NEWQDISC && h->nlmsg_len >= NLMSG_LENGTH(sizeof(*t)) &&
	    t->tcm_ifindex == w->ifindex && t->tcm_parent == TC_H_INGRESS &&
	    nlmsg_parse((struct nlmsghdr *)h, sizeof(struct tcmsg), tb, TCA_MAX, NULL) == 0 &&
	    tb[TCA_KIND])
		snprintf(w->kind, sizeof(w->kind), "%.*s", nla_len(tb[TCA_KIND]),
			 (const char *)nla_data(tb[TCA_KIND]));
	return 0;
}

struct redirect_match {
	int to;
	bool found;
};

/* Does this u32 action list hold "mirred egress redirect dev @to"? */
static bool acts_redirect_to(struct nlattr *acts, int to)
{
	struct nlattr *act;
	int rem;

	nla_for_each_nested(act, acts, rem)
	{
		struct nlattr *ta[TCA_ACT_MAX + 1], *tm[TCA_MIRRED_MAX + 1];
		const struct tc_mirred *p;

		if (nla_parse_nested(ta, TCA_ACT_MAX, act, NULL) < 0 || !ta[TCA_ACT_KIND] ||
		    !ta[TCA_ACT_OPTIONS] || nla_strcmp(ta[TCA_ACT_KIND], "mirred") ||
		    nla_parse_nested(tm, TCA_MIRRED_MAX, ta[TCA_ACT_OPTIONS], NULL) < 0 ||
		    !tm[TCA_MIRRED_PARMS] || nla_len(tm[TCA_MIRRED_PARMS]) < (int)sizeof(*p))
			continue;
		p = nla_data(tm[TCA_MIRRED_PARMS]);
		if (p->eaction == TCA_EGRESS_REDIR && (int)p->ifindex == to &&
		    p->action == TC_ACT_STOLEN)
			return true;
	}
	return false;
}

/* A u32 selector that matches everything: every key has mask 0. */
static bool sel_matches_all(struct nlattr *a)
{
	const struct tc_u32_sel *sel = nla_data(a);
	size_t len = (size_t)nla_len(a);

	if (len < sizeof(*sel) || len < sizeof(*sel) + sel->nkeys * sizeof(sel->keys[0]))
		return false;
	for (unsigned i = 0; i < sel->nkeys; i++)
		if (sel->keys[i].mask)
			return false;
	return true;
}

static int match_filter(const struct nlmsghdr *h, void *arg)
{
	struct redirect_match *q = arg;
	struct nlattr *tb[TCA_MAX + 1], *tu[TCA_U32_MAX + 1];

	if (h->nlmsg_type != RTM_NEWTFILTER ||
	    nlmsg_parse((struct nlmsghdr *)h, sizeof(struct tcmsg), tb, TCA_MAX, NULL) < 0 ||
	    !tb[TCA_KIND] || nla_strcmp(tb[TCA_KIND], "u32") || !tb[TCA_OPTIONS] ||
	    nla_parse_nested(tu, TCA_U32_MAX, tb[TCA_OPTIONS], NULL) < 0)
		return 0;
	/* The u32 root hash table is listed too; it has no selector. */
	if (tu[TCA_U32_SEL] && tu[TCA_U32_ACT] && sel_matches_all(tu[TCA_U32_SEL]) &&
	    acts_redirect_to(tu[TCA_U32_ACT], q->to))
		q->found = true;
	return 0;
}

/* Why no redirect was found: the ingress qdisc is missing (a device whose
 * ingress qdisc was deleted shows the noop qdisc), or only the filter.
 * A dump, not a get: the kernel answers a qdisc get through
 * rtnetlink_send(), which also multicasts it to every RTNLGRP_TC listener
 * as an RTM_NEWQDISC "change", and netd listens: each of its checks would
 * schedule its next pass. A dump reaches only the asker, but lists every
 * qdisc of the namespace (the kernel does not filter it by device): hence
 * only after a miss. */
static int redirect_missing(struct vmnet_nl *nl, int from_ifindex, int to_ifindex,
			    struct vmnet_err *err)
{
	_cleanup_msg_ struct nl_msg *qm = tc_msg(RTM_GETQDISC, NLM_F_DUMP, from_ifindex, 0, 0, 0);
	struct qdisc_want w = {.ifindex = from_ifindex};
	int r;

	if (!qm)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "checking redirect");
	r = vmnet_nl_talk(nl, nlmsg_hdr(qm), parse_kind, &w);
	if (r < 0 && r != -ENOENT && r != -EINVAL)
		return vmnet_nl_fail(nl, err, r, "checking ingress qdisc of link %d", from_ifindex);
	if (r < 0 || strcmp(w.kind, "ingress"))
		return vmnet_err_set(err, VMNET_ERR_CHECK, ENOENT, "no ingress qdisc on ifindex %d",
				     from_ifindex);
	return vmnet_err_set(err, VMNET_ERR_CHECK, ENOENT, "no redirect from ifindex %d to %d",
			     from_ifindex, to_ifindex);
}

/* The device's ingress filters first: their dump lists this device's
 * ingress block only (empty without an ingress qdisc), so a check costs
 * the same with one device in the namespace or a thousand. A redirect
 * found there is the one ADD made, whatever holds the block (ingress, or
 * an admin's clsact: packets are redirected either way). */
int vmnet_tc_redirect_check(struct vmnet_nl *nl, int from_ifindex, int to_ifindex,
			    struct vmnet_err *err)
{
	_cleanup_msg_ struct nl_msg *fm = NULL;
	struct redirect_match q = {.to = to_ifindex};
	int r;

	fm = tc_msg(RTM_GETTFILTER, NLM_F_DUMP, from_ifindex, 0, INGRESS_HANDLE, 0);
	if (!fm)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "checking redirect");
	r = vmnet_nl_talk(nl, nlmsg_hdr(fm), match_filter, &q);
	if (r < 0 && r != -ENOENT && r != -EINVAL)
		return vmnet_nl_fail(nl, err, r, "listing ingress filters of link %d",
				     from_ifindex);
	if (r == 0 && q.found)
		return 0;
	return redirect_missing(nl, from_ifindex, to_ifindex, err);
}

int vmnet_tc_clear(struct vmnet_nl *nl, int ifindex, struct vmnet_err *err)
{
	int r = del_ingress(nl, ifindex);

	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "deleting ingress qdisc of link %d", ifindex);
	return 0;
}
