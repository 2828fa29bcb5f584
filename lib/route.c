/* SPDX-License-Identifier: MIT */
/*
 * Routes of both families: unicast routes through a device (with or
 * without a gateway) and the blackhole routes of aggregates. Each kernel
 * conversation exists once, on a family-tagged struct ipx (ipx.h); the
 * IPv4 and IPv6 entry points only convert their arguments.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdio.h>
#include <string.h>

#include "ipx.h"
#include "vmnet/addr.h"
#include "vmnet/names.h"
#include "vmnet/nl.h"

static struct nl_msg *route_msg(int type, int flags, int af, const struct ipx *dst,
				unsigned char protocol, unsigned char scope, unsigned char rtype)
{
	struct rtmsg rtm = {
		.rtm_family = (unsigned char)af,
		.rtm_dst_len = dst ? dst->len : 0,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = protocol,
		.rtm_scope = scope,
		.rtm_type = rtype,
	};
	struct nl_msg *m = nlmsg_alloc_simple(type, flags);

	if (m && nlmsg_append(m, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

/* @gw NULL or zero: no gateway. */
static int route_add(struct vmnet_nl *nl, int ifindex, const struct ipx *dst, const struct ipx *gw,
		     bool link_scope, struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN], gbuf[VMNET_PREFIXSTRLEN];
	_cleanup_msg_ struct nl_msg *m = NULL;
	bool via = gw && !ipx_is_zero(gw);
	int r;

	ipx_fmt(dst, true, buf);
	if (dst->len > ipx_size(dst) * 8)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "adding route %s", buf);
	m = route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, dst->af, dst, VMNET_RTPROT,
		      link_scope ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE, RTN_UNICAST);
	if (!m || (dst->len && put_ipx(m, RTA_DST, dst) < 0) ||
	    nla_put_u32(m, RTA_OIF, (uint32_t)ifindex) < 0 || (via && put_ipx(m, RTA_GATEWAY, gw) < 0))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "adding route %s", buf);
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r < 0) {
		if (via)
			return vmnet_nl_fail(nl, err, r, "adding route %s via %s dev %d", buf,
					     ipx_fmt(gw, false, gbuf), ifindex);
		return vmnet_nl_fail(nl, err, r, "adding route %s dev %d", buf, ifindex);
	}
	return 0;
}

static int route_del(struct vmnet_nl *nl, int ifindex, const struct ipx *dst,
		     struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN];
	_cleanup_msg_ struct nl_msg *m = NULL;
	int r;

	ipx_fmt(dst, true, buf);
	/* Scope NOWHERE, protocol and type 0: match whatever the route has. */
	m = route_msg(RTM_DELROUTE, 0, dst->af, dst, 0, RT_SCOPE_NOWHERE, 0);
	if (!m || (dst->len && put_ipx(m, RTA_DST, dst) < 0) ||
	    nla_put_u32(m, RTA_OIF, (uint32_t)ifindex) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "deleting route %s", buf);
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r < 0 && !vmnet_err_is_gone(r))
		return vmnet_nl_fail(nl, err, r, "deleting route %s dev %d", buf, ifindex);
	return 0;
}

struct route_match {
	int ifindex;
	const struct ipx *dst, *gw; /* gw zero: a route without gateway */
	bool found;
};

/* @a (absent: all zero) holds the bytes of @want (zero: any zero). */
static bool attr_is(const struct nlattr *a, const struct ipx *want)
{
	if (!a)
		return ipx_is_zero(want);
	return ipx_eq_bytes(want, a);
}

static int match_route(const struct nlmsghdr *h, void *arg)
{
	struct route_match *q = arg;
	const struct rtmsg *rtm = nlmsg_data(h);
	struct nlattr *tb[RTA_MAX + 1];
	uint32_t table;

	if (h->nlmsg_type != RTM_NEWROUTE ||
	    nlmsg_parse((struct nlmsghdr *)h, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return 0;
	table = tb[RTA_TABLE] && nla_len(tb[RTA_TABLE]) == 4 ? nla_get_u32(tb[RTA_TABLE])
							     : rtm->rtm_table;
	if (rtm->rtm_family != q->dst->af || table != RT_TABLE_MAIN ||
	    rtm->rtm_type != RTN_UNICAST || rtm->rtm_dst_len != q->dst->len || !tb[RTA_OIF] ||
	    nla_len(tb[RTA_OIF]) != 4 || (int)nla_get_u32(tb[RTA_OIF]) != q->ifindex)
		return 0;
	if (attr_is(tb[RTA_DST], q->dst) && attr_is(tb[RTA_GATEWAY], q->gw))
		q->found = true;
	return 0;
}

static int route_has(struct vmnet_nl *nl, int ifindex, const struct ipx *dst, const struct ipx *gw,
		     struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN];
	_cleanup_msg_ struct nl_msg *m = route_msg(RTM_GETROUTE, NLM_F_DUMP, dst->af, NULL, 0, 0, 0);
	struct route_match q = { .ifindex = ifindex, .dst = dst, .gw = gw };
	int r;

	/* With NETLINK_GET_STRICT_CHK the kernel sends the main table's
	 * routes through this device only; older kernels send everything. */
	if (!m || nla_put_u32(m, RTA_OIF, (uint32_t)ifindex) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "listing routes");
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), match_route, &q);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "looking for route %s dev %d",
				     ipx_fmt(dst, true, buf), ifindex);
	return q.found;
}

static int route_ensure(struct vmnet_nl *nl, int ifindex, const struct ipx *dst,
			const struct ipx *gw, struct vmnet_err *err)
{
	int r = route_add(nl, ifindex, dst, gw, false, err);

	/* EEXIST also when the destination is routed through another device
	 * or gateway (routes are unique by destination and metric; IPv4 also
	 * TOS), and NLM_F_EXCL refuses an IPv6 multipath sibling. */
	if (r == -EEXIST && route_has(nl, ifindex, dst, gw, NULL) == 1) {
		vmnet_err_clear(err);
		return 0;
	}
	return r;
}

int vmnet_route_add(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *dst, uint32_t gw,
		    bool link_scope, struct vmnet_err *err)
{
	struct ipx d = A4(dst), g = from4(gw, 32);

	return route_add(nl, ifindex, &d, &g, link_scope, err);
}

int vmnet_route_del(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *dst,
		    struct vmnet_err *err)
{
	struct ipx d = A4(dst);

	return route_del(nl, ifindex, &d, err);
}

int vmnet_route_has(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *dst, uint32_t gw,
		    struct vmnet_err *err)
{
	struct ipx d = A4(dst), g = from4(gw, 32);

	return route_has(nl, ifindex, &d, &g, err);
}

int vmnet_route_ensure(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *dst,
		       uint32_t gw, struct vmnet_err *err)
{
	struct ipx d = A4(dst), g = from4(gw, 32);

	return route_ensure(nl, ifindex, &d, &g, err);
}

/* A NULL gateway is "none", as :: is. */
static struct ipx gw6(const struct in6_addr *gw)
{
	return gw ? from6(gw, 128) : from6(&in6addr_any, 128);
}

int vmnet_route6_ensure(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix6 *dst,
			const struct in6_addr *gw, struct vmnet_err *err)
{
	struct ipx d = A6(dst), g = gw6(gw);

	return route_ensure(nl, ifindex, &d, &g, err);
}

int vmnet_route6_has(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix6 *dst,
		     const struct in6_addr *gw, struct vmnet_err *err)
{
	struct ipx d = A6(dst), g = gw6(gw);

	return route_has(nl, ifindex, &d, &g, err);
}

int vmnet_route6_del(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix6 *dst,
		     struct vmnet_err *err)
{
	struct ipx d = A6(dst);

	return route_del(nl, ifindex, &d, err);
}

static int blackhole_add(struct vmnet_nl *nl, struct ipx d, unsigned char protocol,
			 struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN];
	_cleanup_msg_ struct nl_msg *m = NULL;
	int r;

	ipx_fmt(&d, true, buf);
	m = route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, d.af, &d, protocol,
		      RT_SCOPE_UNIVERSE, RTN_BLACKHOLE);
	if (!m || d.len > ipx_size(&d) * 8 || (d.len && put_ipx(m, RTA_DST, &d) < 0))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, m ? EINVAL : ENOMEM,
				     "adding blackhole route %s", buf);
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "adding blackhole route %s", buf);
	return 0;
}

static int blackhole_del(struct vmnet_nl *nl, struct ipx d, unsigned char protocol,
			 struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN];
	_cleanup_msg_ struct nl_msg *m = NULL;
	int r;

	ipx_fmt(&d, true, buf);
	/* Type and protocol given: the kernel deletes only a route that has
	 * both, never another owner's route to the same prefix. */
	m = route_msg(RTM_DELROUTE, 0, d.af, &d, protocol, RT_SCOPE_NOWHERE, RTN_BLACKHOLE);
	if (!m || (d.len && put_ipx(m, RTA_DST, &d) < 0))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "deleting route %s", buf);
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r < 0 && !vmnet_err_is_gone(r))
		return vmnet_nl_fail(nl, err, r, "deleting blackhole route %s", buf);
	return 0;
}

struct blackhole_walk {
	int af;
	unsigned char protocol;
	int (*fn4)(const struct vmnet_prefix *dst, void *arg);
	int (*fn6)(const struct vmnet_prefix6 *dst, void *arg);
	void *arg;
};

static int each_blackhole(const struct nlmsghdr *h, void *arg)
{
	struct blackhole_walk *w = arg;
	const struct rtmsg *rtm = nlmsg_data(h);
	struct nlattr *tb[RTA_MAX + 1];
	struct ipx d = { .af = w->af, .len = rtm->rtm_dst_len };
	uint32_t table;

	if (h->nlmsg_type != RTM_NEWROUTE ||
	    nlmsg_parse((struct nlmsghdr *)h, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return 0;
	table = tb[RTA_TABLE] && nla_len(tb[RTA_TABLE]) == 4 ? nla_get_u32(tb[RTA_TABLE])
							     : rtm->rtm_table;
	/* Filtered here too: kernels without strict checking dump them all. */
	if (rtm->rtm_family != w->af || table != RT_TABLE_MAIN ||
	    rtm->rtm_type != RTN_BLACKHOLE || rtm->rtm_protocol != w->protocol ||
	    d.len > ipx_size(&d) * 8 || (tb[RTA_DST] && nla_len(tb[RTA_DST]) != ipx_size(&d)))
		return 0;
	if (tb[RTA_DST])
		memcpy(&d.u, nla_data(tb[RTA_DST]), (size_t)ipx_size(&d));
	if (d.af == AF_INET6) {
		struct vmnet_prefix6 p6 = { .addr = d.u.a6, .len = d.len };

		return w->fn6(&p6, w->arg);
	}
	return w->fn4(&(struct vmnet_prefix){ .addr = ntohl(d.u.be4), .len = d.len }, w->arg);
}

static int blackhole_list(struct vmnet_nl *nl, struct blackhole_walk *w, struct vmnet_err *err)
{
	_cleanup_msg_ struct nl_msg *m = route_msg(RTM_GETROUTE, NLM_F_DUMP, w->af, NULL,
						   w->protocol, 0, RTN_BLACKHOLE);
	int r;

	if (!m)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "listing routes");
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), each_blackhole, w);
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "listing blackhole routes");
	return 0;
}

int vmnet_route_blackhole_add(struct vmnet_nl *nl, const struct vmnet_prefix *dst,
			      unsigned char protocol, struct vmnet_err *err)
{
	return blackhole_add(nl, A4(dst), protocol, err);
}

int vmnet_route_blackhole_del(struct vmnet_nl *nl, const struct vmnet_prefix *dst,
			      unsigned char protocol, struct vmnet_err *err)
{
	return blackhole_del(nl, A4(dst), protocol, err);
}

int vmnet_route_blackhole_list(struct vmnet_nl *nl, unsigned char protocol,
			       int (*fn)(const struct vmnet_prefix *dst, void *arg), void *arg,
			       struct vmnet_err *err)
{
	return blackhole_list(nl, &(struct blackhole_walk){ .af = AF_INET, .protocol = protocol,
							    .fn4 = fn, .arg = arg }, err);
}

int vmnet_route6_blackhole_add(struct vmnet_nl *nl, const struct vmnet_prefix6 *dst,
			       unsigned char protocol, struct vmnet_err *err)
{
	return blackhole_add(nl, A6(dst), protocol, err);
}

int vmnet_route6_blackhole_del(struct vmnet_nl *nl, const struct vmnet_prefix6 *dst,
			       unsigned char protocol, struct vmnet_err *err)
{
	return blackhole_del(nl, A6(dst), protocol, err);
}

int vmnet_route6_blackhole_list(struct vmnet_nl *nl, unsigned char protocol,
				int (*fn)(const struct vmnet_prefix6 *dst, void *arg), void *arg,
				struct vmnet_err *err)
{
	return blackhole_list(nl, &(struct blackhole_walk){ .af = AF_INET6, .protocol = protocol,
							    .fn6 = fn, .arg = arg }, err);
}
