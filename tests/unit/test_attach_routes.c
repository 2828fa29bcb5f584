/* SPDX-License-Identifier: MIT */
/*
 * The routes the VM netns carries for an attachment (vmnet_attach_routes):
 * from the recorded IPAM result, gateway filled in, connected route left
 * out, bad gateways refused with code 7. No root.
 */
#include <string.h>

#include "tap.h"
#include "vmnet/attach.h"
#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/result.h"

/* @routes_json: the IPAM result's "routes" array. Returns the count or the
 * error code (negated). */
static int routes_of(const char *guest, const char *gw, const char *routes_json,
		     struct vmnet_result_route *out, unsigned max)
{
	struct vmnet_record rec;
	struct vmnet_err err = { 0 };
	char buf[1024];
	int r;

	memset(&rec, 0, sizeof(rec));
	vmnet_prefix_parse(guest, false, false, &rec.guest);
	vmnet_ip4_parse(gw, &rec.gateway);
	snprintf(buf, sizeof(buf),
		 "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"%s\",\"gateway\":\"%s\"}],"
		 "\"routes\":%s}", guest, gw, routes_json);
	rec.ipam_result = routes_json ? vmnet_json_load(buf, strlen(buf), NULL) : NULL;
	r = vmnet_attach_routes(&rec, out, max, &err);
	vmnet_record_clear(&rec);
	return r < 0 ? -err.code : r;
}

static bool is(const struct vmnet_result_route *rt, const char *dst, const char *gw)
{
	struct vmnet_prefix d;
	uint32_t g;

	return vmnet_prefix_parse(dst, false, false, &d) == 0 && vmnet_ip4_parse(gw, &g) == 0 &&
	       rt->dst.addr == d.addr && rt->dst.len == d.len && rt->gw == g;
}

int main(void)
{
	struct vmnet_result_route rt[VMNET_RESULT_MAX_ROUTES];
	int n;

	ok(routes_of("10.88.0.5/24", "10.88.0.1", NULL, rt, 16) == 0,
	   "no recorded IPAM result: no routes");
	ok(routes_of("10.88.0.5/24", "10.88.0.1", "[]", rt, 16) == 0, "no routes in the result");
	n = routes_of("10.88.0.5/24", "10.88.0.1",
		      "[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"192.0.2.0/24\",\"gw\":\"10.88.0.254\"},"
		      "{\"dst\":\"10.88.0.0/24\"}]", rt, 16);
	ok(n == 2 && is(&rt[0], "0.0.0.0/0", "10.88.0.1") && is(&rt[1], "192.0.2.0/24", "10.88.0.254"),
	   "default via the gateway, a gw route as given, the connected one left out (%d)", n);
	n = routes_of("10.88.0.5/24", "10.88.0.1", "[{\"dst\":\"10.88.0.9/24\",\"gw\":\"10.88.0.1\"}]",
		      rt, 16);
	ok(n == 0, "the guest's own prefix, with host bits and a gw, is still the connected one");
	n = routes_of("10.90.0.1/31", "10.90.0.0", "[{\"dst\":\"0.0.0.0/0\"}]", rt, 16);
	ok(n == 1 && is(&rt[0], "0.0.0.0/0", "10.90.0.0"), "/31 block: default via the block's gateway");
	ok(routes_of("10.88.0.5/24", "10.88.0.1", "[{\"dst\":\"192.0.2.0/24\",\"gw\":\"198.51.100.1\"}]",
		     rt, 16) == -CNI_ERR_INVALID_CONFIG,
	   "a gateway outside the guest's subnet: code 7");
	ok(routes_of("10.88.0.5/24", "10.88.0.1", "[{\"dst\":\"192.0.2.0/24\",\"gw\":\"10.88.0.5\"}]",
		     rt, 16) == -CNI_ERR_INVALID_CONFIG,
	   "the guest itself as gateway: code 7");
	ok(routes_of("10.88.0.5/24", "10.88.0.1",
		     "[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"192.0.2.0/24\"}]", rt, 1) ==
		   -CNI_ERR_INVALID_CONFIG,
	   "more routes than room: code 7");
	return done();
}
