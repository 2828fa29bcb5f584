/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
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

static struct nl_msg *addr_msg(int type, int flags, int ifindex, uint8_t len)
{
	struct ifaddrmsg ifa = {
		.ifa_family = AF_INET, .ifa_prefixlen = len, .ifa_index = (uint32_t)ifindex};
	struct nl_msg *m = nlmsg_alloc_simple(type, flags);

	if (m && nlmsg_append(m, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

static int put_ip(struct nl_msg *m, int type, uint32_t host_order)
{
	uint32_t be = htonl(host_order);

	return nla_put(m, type, sizeof(be), &be);
}

static int add(struct vmnet_nl *nl, int ifindex, uint32_t local, const struct vmnet_prefix *a,
	       struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN], lbuf[VMNET_ADDRSTRLEN];
	_cleanup_msg_ struct nl_msg *m = NULL;
	int r;

	vmnet_prefix_fmt(a, buf);
	if (a->len > 32)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "adding address %s", buf);
	m = addr_msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, a->len);
	if (!m || put_ip(m, IFA_LOCAL, local) < 0 || put_ip(m, IFA_ADDRESS, a->addr) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "adding address %s", buf);
	/* `ip addr add ... brd +`: guests on a bridge may broadcast. */
	if (local == a->addr && a->len < 31 &&
	    put_ip(m, IFA_BROADCAST, a->addr | ~vmnet_mask(a->len)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "adding address %s", buf);
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r < 0) {
		if (local != a->addr)
			return vmnet_nl_fail(nl, err, r, "adding address %s peer %s to link %d",
					     vmnet_ip4_fmt(local, lbuf), buf, ifindex);
		return vmnet_nl_fail(nl, err, r, "adding address %s to link %d", buf, ifindex);
	}
	return 0;
}

int vmnet_addr_add(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *a,
		   struct vmnet_err *err)
{
	return add(nl, ifindex, a->addr, a, err);
}

int vmnet_addr_add_peer(struct vmnet_nl *nl, int ifindex, uint32_t local,
			const struct vmnet_prefix *peer, struct vmnet_err *err)
{
	return add(nl, ifindex, local, peer, err);
}

int vmnet_addr_del(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *a,
		   struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN];
	_cleanup_msg_ struct nl_msg *m = NULL;
	int r;

	vmnet_prefix_fmt(a, buf);
	m = addr_msg(RTM_DELADDR, 0, ifindex, a->len);
	if (!m || put_ip(m, IFA_LOCAL, a->addr) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "deleting address %s", buf);
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r < 0 && !vmnet_err_is_gone(r))
		return vmnet_nl_fail(nl, err, r, "deleting address %s from link %d", buf, ifindex);
	return 0;
}

struct addr_match {
	int ifindex;
	const struct vmnet_prefix *a;
	bool found;
};

static int match_addr(const struct nlmsghdr *h, void *arg)
{
	struct addr_match *q = arg;
	const struct ifaddrmsg *ifa = nlmsg_data(h);
	struct nlattr *tb[IFA_MAX + 1];
	uint32_t be;

	if (h->nlmsg_type != RTM_NEWADDR ||
	    nlmsg_parse((struct nlmsghdr *)h, sizeof(*ifa), tb, IFA_MAX, NULL) < 0)
		return 0;
	/* Checked here too: kernels before 5.1 ignore the index filter. */
	if (ifa->ifa_family != AF_INET || (int)ifa->ifa_index != q->ifindex ||
	    ifa->ifa_prefixlen != q->a->len || !tb[IFA_LOCAL] || nla_len(tb[IFA_LOCAL]) != 4)
		return 0;
	memcpy(&be, nla_data(tb[IFA_LOCAL]), 4);
	if (ntohl(be) == q->a->addr)
		q->found = true;
	return 0;
}

int vmnet_addr_has(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *a,
		   struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN];
	_cleanup_msg_ struct nl_msg *m = addr_msg(RTM_GETADDR, NLM_F_DUMP, ifindex, 0);
	struct addr_match q = {.ifindex = ifindex, .a = a};
	int r;

	if (!m)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "listing addresses");
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), match_addr, &q);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "looking for address %s on link %d",
				     vmnet_prefix_fmt(a, buf), ifindex);
	return q.found;
}

static struct nl_msg *route_msg(int type, int flags, const struct vmnet_prefix *dst,
				unsigned char protocol, unsigned char scope, unsigned char rtype)
{
	struct rtmsg rtm = {
		.rtm_family = AF_INET,
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

int vmnet_route_add(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *dst, uint32_t gw,
		    bool link_scope, struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN], gbuf[VMNET_ADDRSTRLEN];
	_cleanup_msg_ struct nl_msg *m = NULL;
	int r;

	vmnet_prefix_fmt(dst, buf);
	if (dst->len > 32)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "adding route %s", buf);
	m = route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, dst, VMNET_RTPROT,
		      link_scope ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE, RTN_UNICAST);
	if (!m || (dst->len && put_ip(m, RTA_DST, dst->addr) < 0) ||
	    nla_put_u32(m, RTA_OIF, (uint32_t)ifindex) < 0 ||
	    (gw && put_ip(m, RTA_GATEWAY, gw) < 0))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "adding route %s", buf);
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r < 0) {
		if (gw)
			return vmnet_nl_fail(nl, err, r, "adding route %s via %s dev %d", buf,
					     vmnet_ip4_fmt(gw, gbuf), ifindex);
		return vmnet_nl_fail(nl, err, r, "adding route %s dev %d", buf, ifindex);
	}
	return 0;
}

int vmnet_route_del(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *dst,
		    struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN];
	_cleanup_msg_ struct nl_msg *m = NULL;
	int r;

	vmnet_prefix_fmt(dst, buf);
	/* Scope NOWHERE, protocol and type 0: match whatever the route has. */
	m = route_msg(RTM_DELROUTE, 0, dst, 0, RT_SCOPE_NOWHERE, 0);
	if (!m || (dst->len && put_ip(m, RTA_DST, dst->addr) < 0) ||
	    nla_put_u32(m, RTA_OIF, (uint32_t)ifindex) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "deleting route %s", buf);
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r < 0 && !vmnet_err_is_gone(r))
		return vmnet_nl_fail(nl, err, r, "deleting route %s dev %d", buf, ifindex);
	return 0;
}

struct route_match {
	int ifindex;
	const struct vmnet_prefix *dst;
	uint32_t gw;
	bool found;
};

static int match_route(const struct nlmsghdr *h, void *arg)
{
	struct route_match *q = arg;
	const struct rtmsg *rtm = nlmsg_data(h);
	struct nlattr *tb[RTA_MAX + 1];
	uint32_t table, be = 0, gw = 0;

	if (h->nlmsg_type != RTM_NEWROUTE ||
	    nlmsg_parse((struct nlmsghdr *)h, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return 0;
	table = tb[RTA_TABLE] && nla_len(tb[RTA_TABLE]) == 4 ? nla_get_u32(tb[RTA_TABLE])
							     : rtm->rtm_table;
	if (rtm->rtm_family != AF_INET || table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST ||
	    rtm->rtm_dst_len != q->dst->len || !tb[RTA_OIF] || nla_len(tb[RTA_OIF]) != 4 ||
	    (int)nla_get_u32(tb[RTA_OIF]) != q->ifindex)
		return 0;
	if (tb[RTA_DST]) {
		if (nla_len(tb[RTA_DST]) != 4)
			return 0;
		memcpy(&be, nla_data(tb[RTA_DST]), 4);
	}
	if (tb[RTA_GATEWAY] && nla_len(tb[RTA_GATEWAY]) == 4)
		memcpy(&gw, nla_data(tb[RTA_GATEWAY]), 4);
	if (ntohl(be) == q->dst->addr && ntohl(gw) == q->gw)
		q->found = true;
	return 0;
}

int vmnet_route_has(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *dst, uint32_t gw,
		    struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN];
	_cleanup_msg_ struct nl_msg *m = route_msg(RTM_GETROUTE, NLM_F_DUMP, NULL, 0, 0, 0);
	struct route_match q = {.ifindex = ifindex, .dst = dst, .gw = gw};
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
				     vmnet_prefix_fmt(dst, buf), ifindex);
	return q.found;
}

int vmnet_route_ensure(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *dst,
		       uint32_t gw, struct vmnet_err *err)
{
	int r = vmnet_route_add(nl, ifindex, dst, gw, false, err);

	/* EEXIST also when the destination is routed through another device
	 * (IPv4 routes are unique by destination, TOS and metric). */
	if (r == -EEXIST && vmnet_route_has(nl, ifindex, dst, gw, NULL) == 1) {
		vmnet_err_clear(err);
		return 0;
	}
	return r;
}

int vmnet_addr_ensure(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *a,
		      struct vmnet_err *err)
{
	int r = vmnet_addr_add(nl, ifindex, a, err);

	if (r == -EEXIST) {
		vmnet_err_clear(err);
		return 0;
	}
	return r;
}

int vmnet_route_blackhole_add(struct vmnet_nl *nl, const struct vmnet_prefix *dst,
			      unsigned char protocol, struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN];
	_cleanup_msg_ struct nl_msg *m = NULL;
	int r;

	vmnet_prefix_fmt(dst, buf);
	m = route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, dst, protocol, RT_SCOPE_UNIVERSE,
		      RTN_BLACKHOLE);
	if (!m || dst->len > 32 || (dst->len && put_ip(m, RTA_DST, dst->addr) < 0))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, m ? EINVAL : ENOMEM,
				     "adding blackhole route %s", buf);
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "adding blackhole route %s", buf);
	return 0;
}

int vmnet_route_blackhole_del(struct vmnet_nl *nl, const struct vmnet_prefix *dst,
			      unsigned char protocol, struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN];
	_cleanup_msg_ struct nl_msg *m = NULL;
	int r;

	vmnet_prefix_fmt(dst, buf);
	/* Type and protocol given: the kernel deletes only a route that has
	 * both, never another owner's route to the same prefix. */
	m = route_msg(RTM_DELROUTE, 0, dst, protocol, RT_SCOPE_NOWHERE, RTN_BLACKHOLE);
	if (!m || (dst->len && put_ip(m, RTA_DST, dst->addr) < 0))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "deleting route %s", buf);
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r < 0 && !vmnet_err_is_gone(r))
		return vmnet_nl_fail(nl, err, r, "deleting blackhole route %s", buf);
	return 0;
}

struct blackhole_walk {
	unsigned char protocol;
	int (*fn)(const struct vmnet_prefix *dst, void *arg);
	void *arg;
};

static int each_blackhole(const struct nlmsghdr *h, void *arg)
{
	struct blackhole_walk *w = arg;
	const struct rtmsg *rtm = nlmsg_data(h);
	struct nlattr *tb[RTA_MAX + 1];
	struct vmnet_prefix dst = { .len = rtm->rtm_dst_len };
	uint32_t table, be = 0;

	if (h->nlmsg_type != RTM_NEWROUTE ||
	    nlmsg_parse((struct nlmsghdr *)h, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return 0;
	table = tb[RTA_TABLE] && nla_len(tb[RTA_TABLE]) == 4 ? nla_get_u32(tb[RTA_TABLE])
							     : rtm->rtm_table;
	/* Filtered here too: kernels without strict checking dump them all. */
	if (rtm->rtm_family != AF_INET || table != RT_TABLE_MAIN ||
	    rtm->rtm_type != RTN_BLACKHOLE || rtm->rtm_protocol != w->protocol ||
	    rtm->rtm_dst_len > 32 || (tb[RTA_DST] && nla_len(tb[RTA_DST]) != 4))
		return 0;
	if (tb[RTA_DST])
		memcpy(&be, nla_data(tb[RTA_DST]), 4);
	dst.addr = ntohl(be);
	return w->fn(&dst, w->arg);
}

int vmnet_route_blackhole_list(struct vmnet_nl *nl, unsigned char protocol,
			       int (*fn)(const struct vmnet_prefix *dst, void *arg), void *arg,
			       struct vmnet_err *err)
{
	_cleanup_msg_ struct nl_msg *m = route_msg(RTM_GETROUTE, NLM_F_DUMP, NULL, protocol, 0,
						   RTN_BLACKHOLE);
	struct blackhole_walk w = {.protocol = protocol, .fn = fn, .arg = arg};
	int r;

	if (!m)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "listing routes");
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), each_blackhole, &w);
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "listing blackhole routes");
	return 0;
}
