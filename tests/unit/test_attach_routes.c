/* SPDX-License-Identifier: MIT */
/*
 * The routes the VM netns carries for an attachment (vmnet_attach_routes):
 * from the recorded IPAM result, gateway filled in, connected route left
 * out, bad gateways refused with code 7; IPv6 routes alike, via the guest's
 * IPv6 gateway. No root.
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "vmnet/attach.h"
#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/result.h"

/* @rec's routes, @result (JSON text, or NULL: none recorded) its IPAM
 * result; @rec cleared. Returns the count or the error code (negated). */
static int routes_rec(struct vmnet_record *rec, const char *result,
		      struct vmnet_result_route *out, unsigned max)
{
	struct vmnet_err err = { 0 };
	int r;

	rec->ipam_result = result ? vmnet_json_load(result, strlen(result), NULL) : NULL;
	r = vmnet_attach_routes(rec, out, max, &err);
	vmnet_record_clear(rec);
	return r < 0 ? -err.code : r;
}

/* @routes_json: the IPAM result's "routes" array. Returns the count or the
 * error code (negated). */
static int routes_of(const char *guest, const char *gw, const char *routes_json,
		     struct vmnet_result_route *out, unsigned max)
{
	struct vmnet_record rec;
	char buf[1024];

	memset(&rec, 0, sizeof(rec));
	vmnet_prefix_parse(guest, false, false, &rec.guest);
	vmnet_ip4_parse(gw, &rec.gateway);
	snprintf(buf, sizeof(buf),
		 "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"%s\",\"gateway\":\"%s\"}],"
		 "\"routes\":%s}", guest, gw, routes_json);
	return routes_rec(&rec, routes_json ? buf : NULL, out, max);
}

static bool is(const struct vmnet_result_route *rt, const char *dst, const char *gw)
{
	struct vmnet_prefix d;
	uint32_t g;

	return vmnet_prefix_parse(dst, false, false, &d) == 0 && vmnet_ip4_parse(gw, &g) == 0 &&
	       rt->dst.addr == d.addr && rt->dst.len == d.len && rt->gw == g;
}

/* A dual-stack record: 10.88.0.5/24 via 10.88.0.1 and @guest6 via @gw6. */
static int routes6_of(const char *guest6, const char *gw6, const char *routes_json,
		      struct vmnet_result_route *out, unsigned max)
{
	struct vmnet_record rec;
	char buf[1024];

	memset(&rec, 0, sizeof(rec));
	vmnet_prefix_parse("10.88.0.5/24", false, false, &rec.guest);
	vmnet_ip4_parse("10.88.0.1", &rec.gateway);
	vmnet_prefix6_parse(guest6, false, false, &rec.guest6);
	vmnet_ip6_parse(gw6, &rec.gateway6);
	snprintf(buf, sizeof(buf),
		 "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.88.0.5/24\","
		 "\"gateway\":\"10.88.0.1\"},{\"address\":\"%s\",\"gateway\":\"%s\"}],"
		 "\"routes\":%s}", guest6, gw6, routes_json);
	return routes_rec(&rec, buf, out, max);
}

static bool is6(const struct vmnet_result_route *rt, const char *dst, const char *gw)
{
	struct vmnet_prefix6 d;
	struct in6_addr g;

	return rt->family == 6 && vmnet_prefix6_parse(dst, false, false, &d) == 0 &&
	       vmnet_ip6_parse(gw, &g) == 0 && vmnet_ip6_eq(&rt->dst6.addr, &d.addr) &&
	       rt->dst6.len == d.len && vmnet_ip6_eq(&rt->gw6, &g);
}

static void test_ipv6(void)
{
	struct vmnet_result_route rt[VMNET_RESULT_MAX_ROUTES];
	int n;

	n = routes6_of("fd88::5/64", "fd88::1",
		       "[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"::/0\"},"
		       "{\"dst\":\"2001:db8::/32\",\"gw\":\"fd88::fe\"},{\"dst\":\"fd88::/64\"},"
		       "{\"dst\":\"fd88::9/64\",\"gw\":\"fd88::1\"}]", rt, 16);
	ok(n == 3 && is(&rt[0], "0.0.0.0/0", "10.88.0.1") && is6(&rt[1], "::/0", "fd88::1") &&
		   is6(&rt[2], "2001:db8::/32", "fd88::fe"),
	   "IPv6: default via the IPv6 gateway, a gw route as given, the connected prefix left "
	   "out (%d)", n);
	n = routes6_of("fd89::1/127", "fd89::", "[{\"dst\":\"::/0\"}]", rt, 16);
	ok(n == 1 && is6(&rt[0], "::/0", "fd89::"), "/127 block: default via the block's gateway");
	ok(routes6_of("fd88::5/64", "fd88::1", "[{\"dst\":\"2001:db8::/32\",\"gw\":\"fd99::1\"}]",
		      rt, 16) == -CNI_ERR_INVALID_CONFIG,
	   "IPv6: a gateway outside the guest's prefix: code 7");
	ok(routes6_of("fd88::5/64", "fd88::1", "[{\"dst\":\"2001:db8::/32\",\"gw\":\"fd88::5\"}]",
		      rt, 16) == -CNI_ERR_INVALID_CONFIG,
	   "IPv6: the guest itself as gateway: code 7");
	ok(routes_of("10.88.0.5/24", "10.88.0.1", "[{\"dst\":\"::/0\"},{\"dst\":\"0.0.0.0/0\"}]",
		     rt, 16) == 1 && is(&rt[0], "0.0.0.0/0", "10.88.0.1"),
	   "a guest without IPv6: the result's IPv6 routes are left out");
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
	test_ipv6();
	return done();
}
