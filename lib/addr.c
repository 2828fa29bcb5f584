/* SPDX-License-Identifier: MIT */
/*
 * Addresses of both families: add, delete, look for one; every IPv4
 * address of a namespace from one dump (a snapshot). Each kernel
 * conversation exists once, on a family-tagged struct ipx (ipx.h); the
 * IPv4 and IPv6 entry points only convert their arguments. Routes are
 * route.c's.
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipx.h"
#include "vmnet/addr.h"
#include "vmnet/names.h"
#include "vmnet/nl.h"

static struct nl_msg *addr_msg(int type, int flags, int af, int ifindex, uint8_t len,
			       uint8_t ifa_flags)
{
	struct ifaddrmsg ifa = { .ifa_family = (uint8_t)af, .ifa_prefixlen = len,
				 .ifa_flags = ifa_flags, .ifa_index = (uint32_t)ifindex };
	struct nl_msg *m = nlmsg_alloc_simple(type, flags);

	if (m && nlmsg_append(m, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

/* IPv6 addresses go in without duplicate address detection (IFA_F_NODAD):
 * IPAM made them unique, and DAD would keep them tentative (unusable) for a
 * second or more after ADD returns. */
static int add(struct vmnet_nl *nl, int ifindex, const struct ipx *local, const struct ipx *a,
	       struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN], lbuf[VMNET_PREFIXSTRLEN];
	_cleanup_msg_ struct nl_msg *m = NULL;
	bool peer = memcmp(&local->u, &a->u, (size_t)ipx_size(a)) != 0;
	int r;

	ipx_fmt(a, true, buf);
	if (a->len > ipx_size(a) * 8)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "adding address %s", buf);
	m = addr_msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, a->af, ifindex, a->len,
		     a->af == AF_INET6 ? IFA_F_NODAD : 0);
	if (!m || put_ipx(m, IFA_LOCAL, local) < 0 || put_ipx(m, IFA_ADDRESS, a) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "adding address %s", buf);
	/* `ip addr add ... brd +`: guests on a bridge may broadcast. */
	if (a->af == AF_INET && !peer && a->len < 31 &&
	    nla_put_u32(m, IFA_BROADCAST, a->u.be4 | htonl(~vmnet_mask(a->len))) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "adding address %s", buf);
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r < 0) {
		if (peer)
			return vmnet_nl_fail(nl, err, r, "adding address %s peer %s to link %d",
					     ipx_fmt(local, false, lbuf), buf, ifindex);
		return vmnet_nl_fail(nl, err, r, "adding address %s to link %d", buf, ifindex);
	}
	return 0;
}

static int del(struct vmnet_nl *nl, int ifindex, const struct ipx *a, struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN];
	_cleanup_msg_ struct nl_msg *m = NULL;
	int r;

	ipx_fmt(a, true, buf);
	m = addr_msg(RTM_DELADDR, 0, a->af, ifindex, a->len, 0);
	if (!m || put_ipx(m, IFA_LOCAL, a) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "deleting address %s", buf);
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r < 0 && !vmnet_err_is_gone(r))
		return vmnet_nl_fail(nl, err, r, "deleting address %s from link %d", buf, ifindex);
	return 0;
}

/* Each address of family @af on device @ifindex (0: every device), from
 * one RTM_GETADDR dump, to @fn. */
struct addr_walk {
	int af, ifindex;
	void (*fn)(int ifindex, const struct ipx *a, void *arg);
	void *arg;
};

static int each_addr(const struct nlmsghdr *h, void *arg)
{
	const struct addr_walk *w = arg;
	const struct ifaddrmsg *ifa = nlmsg_data(h);
	struct nlattr *tb[IFA_MAX + 1], *at;
	struct ipx x = { .af = w->af };

	if (h->nlmsg_type != RTM_NEWADDR ||
	    nlmsg_parse((struct nlmsghdr *)h, sizeof(*ifa), tb, IFA_MAX, NULL) < 0)
		return 0;
	/* Checked here too: kernels before 5.1 ignore the index filter. */
	if (ifa->ifa_family != w->af || (w->ifindex && (int)ifa->ifa_index != w->ifindex))
		return 0;
	/* IPv4 always reports IFA_LOCAL; IPv6 only for a peer address. */
	at = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!at || nla_len(at) != ipx_size(&x))
		return 0;
	x.len = ifa->ifa_prefixlen;
	memcpy(&x.u, nla_data(at), (size_t)ipx_size(&x));
	w->fn((int)ifa->ifa_index, &x, w->arg);
	return 0;
}

static int addr_walk(struct vmnet_nl *nl, struct addr_walk *w)
{
	_cleanup_msg_ struct nl_msg *m = addr_msg(RTM_GETADDR, NLM_F_DUMP, w->af, w->ifindex, 0, 0);

	return m ? vmnet_nl_talk(nl, nlmsg_hdr(m), each_addr, w) : -ENOMEM;
}

struct addr_match {
	const struct ipx *a;
	bool found;
};

static void match_addr(int ifindex, const struct ipx *x, void *arg)
{
	struct addr_match *q = arg;

	(void)ifindex;
	if (x->len == q->a->len && !memcmp(&x->u, &q->a->u, (size_t)ipx_size(x)))
		q->found = true;
}

static int has(struct vmnet_nl *nl, int ifindex, const struct ipx *a, struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN];
	struct addr_match q = { .a = a };
	struct addr_walk w = { .af = a->af, .ifindex = ifindex, .fn = match_addr, .arg = &q };
	int r = addr_walk(nl, &w);

	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "looking for address %s on link %d",
				     ipx_fmt(a, true, buf), ifindex);
	return q.found;
}

static void snap_add(int ifindex, const struct ipx *x, void *arg)
{
	struct vmnet_addr_snap *s = arg;

	if (s->failed || vmnet_grow(&s->v, &s->cap, s->n, sizeof(*s->v), 64) < 0) {
		s->failed = true;
		return;
	}
	s->v[s->n].ifindex = ifindex;
	s->v[s->n].addr = ntohl(x->u.be4);
	s->v[s->n].len = x->len;
	s->n++;
}

static int snap_cmp(const void *a, const void *b)
{
	const struct vmnet_addr_snap_entry *x = a, *y = b;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (int)x->len - (int)y->len;
}

int vmnet_addr_snap_take(struct vmnet_nl *nl, struct vmnet_addr_snap **ret, struct vmnet_err *err)
{
	struct vmnet_addr_snap *s = calloc(1, sizeof(*s));
	struct addr_walk w = { .af = AF_INET, .fn = snap_add, .arg = s };
	int r = s ? addr_walk(nl, &w) : -ENOMEM;

	if (r == 0 && s->failed)
		r = -ENOMEM;
	if (r < 0) {
		vmnet_addr_snap_free(s);
		return vmnet_nl_fail(nl, err, r, "listing addresses");
	}
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), snap_cmp);
	*ret = s;
	return 0;
}

bool vmnet_addr_snap_has(const struct vmnet_addr_snap *s, int ifindex, const struct vmnet_prefix *a)
{
	struct vmnet_addr_snap_entry key = { .ifindex = ifindex, .addr = a->addr, .len = a->len };

	return s && bsearch(&key, s->v, s->n, sizeof(*s->v), snap_cmp) != NULL;
}

struct vmnet_addr_snap *vmnet_addr_snap_free(struct vmnet_addr_snap *s)
{
	if (s) {
		free(s->v);
		free(s);
	}
	return NULL;
}

static int ensure(struct vmnet_nl *nl, int ifindex, const struct ipx *a, struct vmnet_err *err)
{
	int r = add(nl, ifindex, a, a, err);

	if (r == -EEXIST) {
		vmnet_err_clear(err);
		return 0;
	}
	return r;
}

int vmnet_addr_add(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *a,
		   struct vmnet_err *err)
{
	struct ipx x = A4(a);

	return add(nl, ifindex, &x, &x, err);
}

int vmnet_addr_add_peer(struct vmnet_nl *nl, int ifindex, uint32_t local,
			const struct vmnet_prefix *peer, struct vmnet_err *err)
{
	struct ipx l = from4(local, peer->len), p = A4(peer);

	return add(nl, ifindex, &l, &p, err);
}

int vmnet_addr_del(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *a,
		   struct vmnet_err *err)
{
	struct ipx x = A4(a);

	return del(nl, ifindex, &x, err);
}

int vmnet_addr_has(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *a,
		   struct vmnet_err *err)
{
	struct ipx x = A4(a);

	return has(nl, ifindex, &x, err);
}

int vmnet_addr_ensure(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *a,
		      struct vmnet_err *err)
{
	struct ipx x = A4(a);

	return ensure(nl, ifindex, &x, err);
}

int vmnet_addr6_ensure(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix6 *a,
		       struct vmnet_err *err)
{
	struct ipx x = A6(a);

	return ensure(nl, ifindex, &x, err);
}

int vmnet_addr6_del(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix6 *a,
		    struct vmnet_err *err)
{
	struct ipx x = A6(a);

	return del(nl, ifindex, &x, err);
}

int vmnet_addr6_has(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix6 *a,
		    struct vmnet_err *err)
{
	struct ipx x = A6(a);

	return has(nl, ifindex, &x, err);
}
