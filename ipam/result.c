/* SPDX-License-Identifier: MIT */
/*
 * vmnet-ipam's result as CNI JSON. The engine's vmnet_result speaks IPv4
 * only; this renders ips[] and routes[] of either family itself and takes
 * everything else (cniVersion, dns) from vmnet_result_render, so an IPv4
 * result is the same JSON, key for key and in the same order, as before.
 */
#include <errno.h>
#include <string.h>

#include "vmnet/common.h"
#include "vmnet/json.h"
#include "alloc.h"

static int render_ip(json_t *a, const struct vmnet_ipam_result_ip *ip,
		     enum vmnet_cni_version version)
{
	char buf[VMNET_PREFIXSTRLEN];
	json_t *o = json_object();

	if (vmnet_json_append(a, o) < 0)
		return -ENOMEM;
	if (version < VMNET_CNI_V100 &&
	    vmnet_json_set(o, "version", json_string(vmnet_ipam_ip_is4(ip->addr.addr) ? "4" : "6")) < 0)
		return -ENOMEM;
	if (vmnet_json_set(o, "address", json_string(vmnet_ipam_prefix_fmt(&ip->addr, buf))) < 0)
		return -ENOMEM;
	if (ip->gateway &&
	    vmnet_json_set(o, "gateway", json_string(vmnet_ipam_ip_fmt(ip->gateway, buf))) < 0)
		return -ENOMEM;
	return 0;
}

static int render_route(json_t *a, const struct vmnet_ipam_route *rt)
{
	char buf[VMNET_PREFIXSTRLEN];
	json_t *o = json_object();

	if (vmnet_json_append(a, o) < 0 ||
	    vmnet_json_set(o, "dst", json_string(vmnet_ipam_prefix_fmt(&rt->dst, buf))) < 0)
		return -ENOMEM;
	if (rt->gw && vmnet_json_set(o, "gw", json_string(vmnet_ipam_ip_fmt(rt->gw, buf))) < 0)
		return -ENOMEM;
	return 0;
}

static int render_lists(json_t *v, const struct vmnet_ipam_result *res,
			enum vmnet_cni_version version)
{
	json_t *a;

	if (res->n_ips) {
		if (vmnet_json_set(v, "ips", a = json_array()) < 0)
			return -ENOMEM;
		for (unsigned i = 0; i < res->n_ips; i++)
			if (render_ip(a, &res->ips[i], version) < 0)
				return -ENOMEM;
	}
	if (res->n_routes) {
		if (vmnet_json_set(v, "routes", a = json_array()) < 0)
			return -ENOMEM;
		for (unsigned i = 0; i < res->n_routes; i++)
			if (render_route(a, &res->routes[i]) < 0)
				return -ENOMEM;
	}
	return 0;
}

json_t *vmnet_ipam_result_render(const struct vmnet_ipam_result *res,
				 enum vmnet_cni_version version)
{
	_cleanup_free_ struct vmnet_result *base = calloc(1, sizeof(*base));
	json_auto_t *head = NULL, *v = json_object();
	const char *key;
	json_t *val;

	if (!base || !v)
		return NULL;
	base->dns = res->dns;
	if (!(head = vmnet_result_render(base, version)) ||
	    vmnet_json_set(v, "cniVersion", json_incref(json_object_get(head, "cniVersion"))) < 0 ||
	    render_lists(v, res, version) < 0)
		return NULL;
	json_object_foreach(head, key, val)
		if (strcmp(key, "cniVersion") &&
		    vmnet_json_set(v, key, json_incref(val)) < 0)
			return NULL;
	return steal_ptr(v);
}
