/* SPDX-License-Identifier: MIT */
/* vmnet_pick_address: the guest's addresses out of IPAM's result, for
 * IPv4-only, dual-stack and IPv6-only networks in both modes, and every
 * refusal with its code. No root needed. */
#include <string.h>

#include "tap.h"
#include "vmnet/err.h"
#include "vmnet/record.h"
#include "../../cni/plugin.h"

#define R(ips) "{\"cniVersion\":\"1.0.0\",\"ips\":[" ips "]}"
#define V4 "{\"address\":\"10.88.0.5/24\",\"gateway\":\"10.88.0.1\"}"
#define V6(a, gw) "{\"address\":\"" a "\",\"gateway\":\"" gw "\"}"

enum { SH = VMNET_MODE_SHARED, ISO = VMNET_MODE_ISOLATED };
/* what the record holds afterwards: 4 IPv4, 6 IPv6, 46 both */
static const struct {
	const char *name, *json;
	int mode, code, fams;
	const char *frag;
} cases[] = {
	{ "IPv4 only, shared", R(V4), SH, 0, 4, "" },
	{ "dual stack, shared", R(V4 "," V6("fd88::5/64", "fd88::1")), SH, 0, 46, "" },
	{ "IPv6 only, shared /64", R(V6("fd88::2/64", "fd88::1")), SH, 0, 6, "" },
	{ "IPv6 only, shared /120", R(V6("fd88::2/120", "fd88::1")), SH, 0, 6, "" },
	{ "IPv6 only, isolated /64 block", R(V6("fd88:0:0:3::2/64", "fd88:0:0:3::1")), ISO, 0, 6,
	  "" },
	{ "IPv6 only, isolated /126 block", R(V6("fd88::6/126", "fd88::5")), ISO, 0, 6, "" },
	{ "IPv6 only, isolated /127 block", R(V6("fd88::3/127", "fd88::2")), ISO, 0, 6, "" },
	{ "no address at all", R(""), SH, 7, 0, "ipam returned no address" },
	{ "IPv6 only, shared /127", R(V6("fd88::3/127", "fd88::2")), SH, 7, 0,
	  "a shared network needs a subnet" },
	{ "IPv6 only, isolated /56", R(V6("fd88::2/56", "fd88::1")), ISO, 7, 0,
	  "block of /64 to /127" },
	{ "IPv6 only, isolated /128", R(V6("fd88::2/128", "fd88::1")), ISO, 7, 0,
	  "block of /64 to /127" },
	{ "IPv6 only, no gateway", R("{\"address\":\"fd88::2/64\"}"), SH, 7, 0,
	  "no IPv6 gateway" },
	{ "IPv6 only, gateway = address", R(V6("fd88::2/64", "fd88::2")), SH, 7, 0,
	  "not a different address" },
	{ "IPv6 only, gateway outside", R(V6("fd88::2/64", "fd89::1")), SH, 7, 0,
	  "not a different address" },
	{ "IPv6 only, link-local", R(V6("fe80::2/64", "fe80::1")), SH, 7, 0, "link-local" },
	{ "IPv6 only, multicast", R(V6("ff02::2/64", "ff02::1")), SH, 7, 0, "multicast" },
	{ "dual stack, bad IPv6 half", R(V4 "," V6("fd88::2/64", "fd89::1")), SH, 7, 0,
	  "not a different address" },
};

static int fams(const struct vmnet_record *rec)
{
	return (vmnet_record_has4(rec) ? 4 : 0) * (vmnet_record_has6(rec) ? 10 : 1) +
	       (vmnet_record_has6(rec) ? 6 : 0);
}

int main(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_error_t je;
		json_t *v = json_loads(cases[i].json, 0, &je);
		struct vmnet_result res;
		struct vmnet_record rec;
		struct vmnet_err err = { 0 };
		int r = -1;

		memset(&rec, 0, sizeof(rec));
		rec.mode = cases[i].mode;
		if (v && vmnet_result_parse(v, &res, &err) == 0)
			r = vmnet_pick_address(&res, &rec, &err);
		if (!ok(cases[i].code ? r < 0 && err.code == cases[i].code &&
						strstr(err.msg, cases[i].frag)
				      : r == 0 && fams(&rec) == cases[i].fams,
			"%s: %s", cases[i].name,
			cases[i].code ? "refused" : "accepted"))
			printf("# got %d (code %d: %s), families %d\n", r, err.code, err.msg,
			       fams(&rec));
		if (!cases[i].code && !vmnet_record_has4(&rec))
			ok(!rec.gateway && rec.guest.len == 0 && vmnet_record_has_address(&rec),
			   "%s: no IPv4 address or gateway, an address all the same", cases[i].name);
		json_decref(v);
	}
	return done();
}
