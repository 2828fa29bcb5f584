/* SPDX-License-Identifier: MIT */
/*
 * The routes of the VM netns from the IPAM result (vmnet_attach_routes),
 * and the route calls of either family on them.
 */
#include <stdio.h>
#include <string.h>

#include "attach_priv.h"
#include "vmnet/addr.h"
#include "vmnet/err.h"
#include "vmnet/result.h"

/* An IPv4 route of the result, made ready for the VM netns: 1 to keep, 0
 * when it is the connected route, or code 7. */
static int fix4(const struct vmnet_record *rec, struct vmnet_result_route *rt,
		struct vmnet_err *err)
{
	struct vmnet_prefix net = { .addr = rec->guest.addr & vmnet_mask(rec->guest.len),
				    .len = rec->guest.len };
	char d[VMNET_PREFIXSTRLEN], g[VMNET_ADDRSTRLEN];

	/* An IPv6-only guest: its IPv4 routes are left out. */
	if (!vmnet_record_has4(rec))
		return 0;
	rt->dst.addr &= vmnet_mask(rt->dst.len);
	/* The kernel's connected route of the guest address. */
	if (rt->dst.addr == net.addr && rt->dst.len == net.len)
		return 0;
	if (!rt->gw)
		rt->gw = rec->gateway;
	if (rt->gw == rec->guest.addr || !vmnet_prefix_contains(&net, rt->gw))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam route %s via %s: the gateway is not another "
				     "address of the guest's subnet",
				     vmnet_prefix_fmt(&rt->dst, d), vmnet_ip4_fmt(rt->gw, g));
	return 1;
}

/* fix4 for IPv6: without IPv6 on the guest, its routes are left out. */
static int fix6(const struct vmnet_record *rec, struct vmnet_result_route *rt,
		struct vmnet_err *err)
{
	struct vmnet_prefix6 net = vmnet_prefix6_net(&rec->guest6);
	char d[VMNET_PREFIXSTRLEN], g[VMNET_ADDRSTRLEN];

	if (!vmnet_record_has6(rec))
		return 0;
	rt->dst6 = vmnet_prefix6_net(&rt->dst6);
	if (rt->dst6.len == net.len && vmnet_ip6_eq(&rt->dst6.addr, &net.addr))
		return 0;
	if (vmnet_ip6_is_zero(&rt->gw6))
		rt->gw6 = rec->gateway6;
	if (vmnet_ip6_eq(&rt->gw6, &rec->guest6.addr) || !vmnet_prefix6_contains(&net, &rt->gw6))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam route %s via %s: the gateway is not another "
				     "address of the guest's subnet",
				     vmnet_prefix6_fmt(&rt->dst6, d), vmnet_ip6_fmt(&rt->gw6, g));
	return 1;
}

int vmnet_attach_routes(const struct vmnet_record *rec, struct vmnet_result_route *ret,
			unsigned max, struct vmnet_err *err)
{
	struct vmnet_result res;
	unsigned n = 0;
	int r;

	if (!rec->ipam_result)
		return 0;
	r = vmnet_result_parse(rec->ipam_result, &res, err);
	if (r < 0)
		return vmnet_err_wrap(err, "ipam result");
	for (unsigned i = 0; i < res.n_routes; i++) {
		struct vmnet_result_route rt = res.routes[i];

		r = rt.family == 6 ? fix6(rec, &rt, err) : fix4(rec, &rt, err);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		if (n == max)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "ipam returned more than %u routes", max);
		ret[n++] = rt;
	}
	return (int)n;
}

int vmnet_attach_route_ensure(struct vmnet_nl *nl, int ifindex,
			      const struct vmnet_result_route *rt, struct vmnet_err *err)
{
	if (rt->family == 6)
		return vmnet_route6_ensure(nl, ifindex, &rt->dst6, &rt->gw6, err);
	return vmnet_route_ensure(nl, ifindex, &rt->dst, rt->gw, err);
}

int vmnet_attach_route_has(struct vmnet_nl *nl, int ifindex, const struct vmnet_result_route *rt,
			   struct vmnet_err *err)
{
	if (rt->family == 6)
		return vmnet_route6_has(nl, ifindex, &rt->dst6, &rt->gw6, err);
	return vmnet_route_has(nl, ifindex, &rt->dst, rt->gw, err);
}

const char *vmnet_attach_route_fmt(const struct vmnet_result_route *rt,
				   char buf[VMNET_ROUTESTRLEN])
{
	char d[VMNET_PREFIXSTRLEN], g[VMNET_ADDRSTRLEN];

	if (rt->family == 6)
		snprintf(buf, VMNET_ROUTESTRLEN, "%s via %s", vmnet_prefix6_fmt(&rt->dst6, d),
			 vmnet_ip6_fmt(&rt->gw6, g));
	else
		snprintf(buf, VMNET_ROUTESTRLEN, "%s via %s", vmnet_prefix_fmt(&rt->dst, d),
			 vmnet_ip4_fmt(rt->gw, g));
	return buf;
}
