/* SPDX-License-Identifier: MIT */
/*
 * Addresses and routes of both families. Each kernel conversation exists
 * once, on a family-tagged struct ipx; the IPv4 and IPv6 entry points only
 * convert their arguments.
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdio.h>
#include <string.h>

#include "vmnet/addr.h"
#include "vmnet/names.h"
#include "vmnet/nl.h"

static void msg_freep(struct nl_msg **m)
{
	if (*m)
		nlmsg_free(*m);
}
#define _cleanup_msg_ _cleanup_(msg_freep)

/* An address (or prefix) of either family, in network order as the kernel
 * takes it. */
struct ipx {
	int af;		/* AF_INET or AF_INET6 */
	uint8_t len;
	union {
		uint32_t be4;
		struct in6_addr a6;
	} u;
};

static int ipx_size(const struct ipx *x)
{
	return x->af == AF_INET6 ? 16 : 4;
}

static struct ipx from4(uint32_t host_order, uint8_t len)
{
	struct ipx x = { .af = AF_INET, .len = len };

	x.u.be4 = htonl(host_order);
	return x;
}

static struct ipx from6(const struct in6_addr *a, uint8_t len)
{
	struct ipx x = { .af = AF_INET6, .len = len };

	x.u.a6 = *a;
	return x;
}

static bool ipx_is_zero(const struct ipx *x)
{
	return x->af == AF_INET6 ? vmnet_ip6_is_zero(&x->u.a6) : x->u.be4 == 0;
}

static bool ipx_eq_bytes(const struct ipx *x, const struct nlattr *a)
{
	return a && nla_len(a) == ipx_size(x) && !memcmp(nla_data(a), &x->u, (size_t)ipx_size(x));
}

/* "addr/len" (@with_len) or "addr" into @buf of VMNET_PREFIXSTRLEN. */
static const char *ipx_fmt(const struct ipx *x, bool with_len, char *buf)
{
	char a[VMNET_ADDRSTRLEN];

	inet_ntop(x->af, &x->u, a, sizeof(a));
	if (with_len)
		snprintf(buf, VMNET_PREFIXSTRLEN, "%s/%u", a, x->len);
	else
		snprintf(buf, VMNET_PREFIXSTRLEN, "%s", a);
	return buf;
}

static int put_ipx(struct nl_msg *m, int type, const struct ipx *x)
{
	return nla_put(m, type, ipx_size(x), &x->u);
}

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

struct addr_match {
	int ifindex;
	const struct ipx *a;
	bool found;
};

static int match_addr(const struct nlmsghdr *h, void *arg)
{
	struct addr_match *q = arg;
	const struct ifaddrmsg *ifa = nlmsg_data(h);
	struct nlattr *tb[IFA_MAX + 1];

	if (h->nlmsg_type != RTM_NEWADDR ||
	    nlmsg_parse((struct nlmsghdr *)h, sizeof(*ifa), tb, IFA_MAX, NULL) < 0)
		return 0;
	/* Checked here too: kernels before 5.1 ignore the index filter. */
	if (ifa->ifa_family != q->a->af || (int)ifa->ifa_index != q->ifindex ||
	    ifa->ifa_prefixlen != q->a->len)
		return 0;
	/* IPv4 always reports IFA_LOCAL; IPv6 only for a peer address. */
	if (ipx_eq_bytes(q->a, tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS]))
		q->found = true;
	return 0;
}

static int has(struct vmnet_nl *nl, int ifindex, const struct ipx *a, struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN];
	_cleanup_msg_ struct nl_msg *m = addr_msg(RTM_GETADDR, NLM_F_DUMP, a->af, ifindex, 0, 0);
	struct addr_match q = { .ifindex = ifindex, .a = a };
	int r;

	if (!m)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "listing addresses");
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), match_addr, &q);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "looking for address %s on link %d",
				     ipx_fmt(a, true, buf), ifindex);
	return q.found;
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

/* ------------------------------------------------------------ IPv4 */

#define A4(p) from4((p)->addr, (p)->len)

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

/* ------------------------------------------------------------ IPv6 */

#define A6(p) from6(&(p)->addr, (p)->len)
/* A NULL gateway is "none", as :: is. */
static struct ipx gw6(const struct in6_addr *gw)
{
	return gw ? from6(gw, 128) : from6(&in6addr_any, 128);
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
