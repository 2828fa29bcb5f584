/* SPDX-License-Identifier: MIT */
/* IPAM config parsing: valid forms, defaults, and each rejection with its
 * exact code and message. No root needed. */
#include <stdio.h>
#include <string.h>

#include "vmnet/err.h"
#include "vmnet/json.h"
#include "../../ipam/conf.h"
#include "tap.h"

#define V4(x) vmnet_ipam_ip_from4(x)
/* fdXX::/64 style: the top 16 bits, then the low 64. */
#define V6(top, low) (((vmnet_ipam_ip)(top) << 112) | (vmnet_ipam_ip)(low))

static int parse(const char *text, const struct vmnet_cni_args *args, struct vmnet_ipam_conf *c,
		 struct vmnet_err *err)
{
	json_t *v = vmnet_json_load(text, strlen(text), err);
	int r;

	if (!v)
		return -1;
	r = vmnet_ipam_conf_parse(v, args, c, err);
	json_decref(v);
	return r;
}

#define HEAD "{\"cniVersion\":\"1.0.0\",\"name\":\"n1\",\"type\":\"t\","

struct bad {
	const char *name, *json;
	int code;
	const char *msg;
};

static const struct bad bads[] = {
	{ "no ipam", HEAD "\"x\":1}", 7, "ipam: missing" },
	{ "no ranges", HEAD "\"ipam\":{\"type\":\"v\"}}", 7, "ipam.ranges: missing" },
	{ "ranges not array", HEAD "\"ipam\":{\"ranges\":{}}}", 7, "ipam.ranges: must be" },
	{ "empty range set", HEAD "\"ipam\":{\"ranges\":[[]]}}", 7, "ipam.ranges[0]: must be a non-empty array" },
	{ "subnet missing", HEAD "\"ipam\":{\"ranges\":[[{\"gateway\":\"10.0.0.1\"}]]}}", 7, "ipam.ranges[0][0].subnet: missing" },
	{ "subnet not CIDR", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0\"}]]}}", 7, "ipam.ranges[0][0].subnet: not a CIDR" },
	{ "subnet host bits", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.5/24\"}]]}}", 7, "ipam.ranges[0][0].subnet: 10.1.0.5/24 has host bits set" },
	{ "subnet /31", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/31\"}]]}}", 7, "too small to allocate from" },
	{ "subnet /32", HEAD "\"ipam\":{\"subnet\":\"10.1.0.1/32\"}}", 7, "ipam.subnet: 10.1.0.1/32 is too small to allocate from" },
	{ "IPv6 malformed prefix", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"fd88::g/64\"}]]}}", 7, "ipam.ranges[0][0].subnet: not a CIDR" },
	{ "IPv6 /129", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"fd88::/129\"}]]}}", 7, "ipam.ranges[0][0].subnet: not a CIDR" },
	{ "IPv6 host bits", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"fd88::1/64\"}]]}}", 7, "fd88::1/64 has host bits set" },
	{ "IPv6 /127 subnet", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"fd88::/127\"}]]}}", 7, "fd88::/127 is too small to allocate from" },
	{ "IPv4-mapped subnet", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"::ffff:10.0.0.0/120\"}]]}}", 7, "subnet: not a CIDR" },
	{ "IPv6 subnet over the mapped range", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"::/64\"}]]}}", 7, "overlaps the IPv4-mapped addresses" },
	{ "IPv6 gateway outside", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"fd88::/64\",\"gateway\":\"fd89::1\"}]]}}", 7, "ipam.ranges[0][0].gateway: fd89::1 is not in fd88::/64" },
	{ "IPv4 gateway in IPv6 subnet", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"fd88::/64\",\"gateway\":\"10.0.0.1\"}]]}}", 7, "gateway: 10.0.0.1 is not in fd88::/64" },
	{ "IPv6 rangeStart outside", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"fd88::/64\",\"rangeStart\":\"fd88:0:0:1::5\"}]]}}", 7, "rangeStart: fd88:0:0:1::5 is not in fd88::/64" },
	{ "IPv6 rangeEnd outside", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"fd88::/120\",\"rangeEnd\":\"fd88::1:0\"}]]}}", 7, "rangeEnd: fd88::1:0 is not in fd88::/120" },
	{ "IPv6 rangeEnd malformed", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"fd88::/120\",\"rangeEnd\":\"fd88:::1\"}]]}}", 7, "rangeEnd: not an IP address" },
	{ "IPv6 start after end", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"fd88::/120\",\"rangeStart\":\"fd88::9\",\"rangeEnd\":\"fd88::3\"}]]}}", 7, "rangeStart fd88::9 is after rangeEnd fd88::3" },
	{ "range set mixing families", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"},{\"subnet\":\"fd88::/64\"}]]}}", 7, "range set 0 mixes IPv4 and IPv6" },
	{ "two IPv6 range sets", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"fd88::/64\"}],[{\"subnet\":\"fd89::/64\"}]]}}", 7, "range sets 0 and 1 are both IPv6" },
	{ "overlapping IPv6 ranges", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"fd88::/64\"},{\"subnet\":\"fd88::/120\"}]]}}", 7, "overlaps range set 0 range 0" },
	{ "blockSize6 not fitting", HEAD "\"ipam\":{\"blockSize6\":48,\"ranges\":[[{\"subnet\":\"fd88::/64\"}]]}}", 7, "ipam.blockSize6: a /48 block does not fit in fd88::/64" },
	{ "blockSize6 128", HEAD "\"ipam\":{\"blockSize6\":128,\"subnet\":\"fd88::/64\"}}", 7, "ipam.blockSize6: must be at most 127" },
	{ "blockSize6 129", HEAD "\"ipam\":{\"blockSize6\":129,\"subnet\":\"fd88::/64\"}}", 7, "ipam.blockSize6" },
	{ "isolated /64 blocks in a /64", HEAD "\"mode\":\"isolated\",\"ipam\":{\"subnet\":\"10.1.0.0/24\",\"ranges\":[[{\"subnet\":\"fd88::/80\"}]]}}", 7, "a /64 block does not fit in fd88::/80" },
	{ "bad IPv6 runtime ip", HEAD "\"runtimeConfig\":{\"ips\":[\"fd88::zz\"]},\"ipam\":{\"subnet\":\"fd88::/64\"}}", 7, "runtimeConfig.ips[0]: fd88::zz is not an IP address" },
	{ "IPv6 route /129", HEAD "\"ipam\":{\"subnet\":\"fd88::/64\",\"routes\":[{\"dst\":\"::/129\"}]}}", 7, "ipam.routes[0].dst: not a CIDR" },
	{ "route gw of the other family", HEAD "\"ipam\":{\"subnet\":\"fd88::/64\",\"routes\":[{\"dst\":\"::/0\",\"gw\":\"10.0.0.1\"}]}}", 7, "ipam.routes[0].gw: 10.0.0.1 is not of the family of dst" },
	{ "single-range IPv6 /129", HEAD "\"ipam\":{\"subnet\":\"fd88::/129\"}}", 7, "ipam.subnet: not a CIDR" },
	{ "rangeStart outside", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeStart\":\"10.2.0.1\"}]]}}", 7, "ipam.ranges[0][0].rangeStart: 10.2.0.1 is not in 10.1.0.0/24" },
	{ "rangeEnd bad", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeEnd\":\"x\"}]]}}", 7, "ipam.ranges[0][0].rangeEnd: not an IP address" },
	{ "gateway outside", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"gateway\":\"10.1.1.1\"}]]}}", 7, "ipam.ranges[0][0].gateway: 10.1.1.1 is not in" },
	{ "start after end", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeStart\":\"10.1.0.9\",\"rangeEnd\":\"10.1.0.3\"}]]}}", 7, "rangeStart 10.1.0.9 is after rangeEnd 10.1.0.3" },
	{ "overlapping sets", HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}],[{\"subnet\":\"10.1.0.0/25\"}]]}}", 7, "overlaps range set 0" },
	{ "bad blockSize", HEAD "\"ipam\":{\"blockSize\":29,\"subnet\":\"10.1.0.0/24\"}}", 7, "ipam.blockSize: must be 30 or 31" },
	{ "relative dataDir", HEAD "\"ipam\":{\"dataDir\":\"rel\",\"subnet\":\"10.1.0.0/24\"}}", 7, "ipam.dataDir: must be an absolute path" },
	{ "bad route", HEAD "\"ipam\":{\"subnet\":\"10.1.0.0/24\",\"routes\":[{\"dst\":\"nope\"}]}}", 7, "ipam.routes[0].dst: not a CIDR" },
	{ "bad runtime ip", HEAD "\"runtimeConfig\":{\"ips\":[\"10.1.0.x\"]},\"ipam\":{\"subnet\":\"10.1.0.0/24\"}}", 7, "runtimeConfig.ips[0]: 10.1.0.x is not an IP address" },
	{ "bad ipRanges", HEAD "\"runtimeConfig\":{\"ipRanges\":[[{\"subnet\":\"10.9.0.0/33\"}]]},\"ipam\":{\"subnet\":\"10.1.0.0/24\"}}", 7, "runtimeConfig.ipRanges[0][0].subnet: not a CIDR" },
	{ "unsupported version", "{\"cniVersion\":\"0.2.0\",\"name\":\"n1\",\"ipam\":{}}", 1, "0.2.0 is not supported" },
	{ "bad name", "{\"cniVersion\":\"1.0.0\",\"name\":\"-x\",\"ipam\":{}}", 7, "name: must match" },
	{ "bad resolvConf", HEAD "\"ipam\":{\"subnet\":\"10.1.0.0/24\",\"resolvConf\":\"/nonexistent/r\"}}", 7, "ipam.resolvConf: cannot read /nonexistent/r" },
	{ "malformed JSON", "{\"cniVersion\":", 6, "line 1" },
};

int main(void)
{
	struct vmnet_ipam_conf c;
	struct vmnet_err err = { 0 };
	struct vmnet_cni_args args = { 0 };
	int r;

	plan(ARRAY_SIZE(bads) + 13);

	r = parse(HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}]]}}", NULL, &c, &err);
	ok(r == 0 && c.n_sets == 1 && c.sets[0].r[0].start == V4(0x0a010001) &&
	   c.sets[0].r[0].end == V4(0x0a0100fe) && c.sets[0].r[0].gw == V4(0x0a010001) &&
	   !strcmp(c.data_dir, "/var/lib/cni/networks") && !strcmp(c.name, "n1"),
	   "defaults: start .1, end .254, gateway .1, default dataDir");
	vmnet_ipam_conf_done(&c);

	r = parse(HEAD "\"ipam\":{\"subnet\":\"10.3.0.0/16\",\"rangeStart\":\"10.3.1.0\","
		  "\"rangeEnd\":\"10.3.1.9\",\"gateway\":\"10.3.0.254\","
		  "\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"},{\"subnet\":\"10.2.0.0/24\"}]]},"
		  "\"runtimeConfig\":{\"ipRanges\":[[{\"subnet\":\"10.9.0.0/24\"}]]}}",
		  NULL, &c, &err);
	ok(r == 0 && c.n_sets == 3 && c.sets[0].r[0].subnet.addr == V4(0x0a030000) &&
	   c.sets[0].r[0].start == V4(0x0a030100) && c.sets[0].r[0].gw == V4(0x0a0300fe) &&
	   c.sets[1].r[0].subnet.addr == V4(0x0a090000) && c.sets[2].n == 2,
	   "single-range form, then ipRanges, then ranges (host-local order)");
	vmnet_ipam_conf_done(&c);

	snprintf(args.ip, sizeof(args.ip), "10.1.0.7,10.1.0.8/24");
	r = parse(HEAD "\"ipam\":{\"subnet\":\"10.1.0.0/24\"}}", &args, &c, &err);
	ok(r < 0 && err.code == CNI_ERR_INVALID_ENV,
	   "CNI_ARGS IP is a bare address (host-local's): a prefix length is code 4");
	vmnet_ipam_conf_done(&c);
	snprintf(args.ip, sizeof(args.ip), "10.1.0.7,10.1.0.8");
	r = parse(HEAD "\"args\":{\"cni\":{\"ips\":[\"10.1.0.9\"]}},\"runtimeConfig\":{\"ips\":[\"10.1.0.10/24\",\"10.1.0.7\"]},"
		  "\"ipam\":{\"subnet\":\"10.1.0.0/24\"}}", &args, &c, &err);
	ok(r == 0 && c.n_req == 4 && c.req[0] == V4(0x0a010007) && c.req[1] == V4(0x0a010008) &&
	   c.req[2] == V4(0x0a010009) && c.req[3] == V4(0x0a01000a),
	   "requested: CNI_ARGS IP list, args.cni.ips, runtimeConfig.ips, deduplicated");
	vmnet_ipam_conf_done(&c);

	r = parse(HEAD "\"ipam\":{\"subnet\":\"10.1.0.0/24\",\"blockSize\":30,"
		  "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.1.0.1\"},{\"dst\":\"192.168.0.0/16\"}]}}",
		  NULL, &c, &err);
	ok(r == 0 && c.block == 30 && c.n_routes == 2 && c.routes[0].gw == V4(0x0a010001) &&
	   c.routes[1].dst.len == 16 && c.routes[1].gw == 0, "blockSize and routes");
	vmnet_ipam_conf_done(&c);

	r = parse(HEAD "\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}],[{\"subnet\":\"fd88::/64\"}]],"
		  "\"routes\":[{\"dst\":\"::/0\",\"gw\":\"fd88::1\"}]},\"runtimeConfig\":{\"ips\":[\"fd88::7/64\"]}}",
		  NULL, &c, &err);
	ok(r == 0 && c.n_sets == 2 && vmnet_ipam_rangeset_is6(&c.sets[1]) &&
	   !vmnet_ipam_rangeset_is6(&c.sets[0]) && c.sets[1].r[0].start == V6(0xfd88, 1) &&
	   c.sets[1].r[0].gw == V6(0xfd88, 1) && c.sets[1].r[0].end == V6(0xfd88, UINT64_MAX) &&
	   c.n_req == 1 && c.req[0] == V6(0xfd88, 7) && c.routes[0].dst.len == 0 &&
	   c.routes[0].gw == V6(0xfd88, 1) && c.block6 == 0,
	   "dual stack: IPv6 defaults start ::1, gateway ::1, end the last address (no broadcast)");
	vmnet_ipam_conf_done(&c);
	r = parse(HEAD "\"mode\":\"isolated\",\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}],"
		  "[{\"subnet\":\"fd88::/48\"}]]}}", NULL, &c, &err);
	ok(r == 0 && c.block == 30 && c.block6 == 64 && c.sets[1].r[0].start == V6(0xfd88, 0) &&
	   c.sets[1].r[0].gw == 0, "isolated mode: /64 IPv6 blocks by default, the whole subnet");
	vmnet_ipam_conf_done(&c);
	r = parse(HEAD "\"ipam\":{\"subnet\":\"fd88::/64\",\"blockSize6\":127}}", NULL, &c, &err);
	ok(r == 0 && c.n_sets == 1 && c.block == 0 && c.block6 == 127 &&
	   vmnet_ipam_rangeset_is6(&c.sets[0]), "single-range IPv6-only network with blockSize6 127");
	vmnet_ipam_conf_done(&c);
	r = parse(HEAD "\"ipam\":{\"subnet\":\"FD88:0::/64\",\"rangeStart\":\"fd88::ff:0\"}}", NULL, &c,
		  &err);
	ok(r == 0 && c.sets[0].r[0].start == V6(0xfd88, 0xff0000) && c.sets[0].r[0].gw == V6(0xfd88, 1),
	   "IPv6 in any spelling; rangeStart alone keeps the default gateway");
	vmnet_ipam_conf_done(&c);

	r = parse(HEAD "\"ipam\":{\"subnet\":\"10.1.0.0/24\"},\"cni.dev/valid-attachments\":[]}",
		  NULL, &c, &err);
	ok(r == 0 && c.has_valid && c.n_valid == 0, "GC: empty valid list is a list");
	vmnet_ipam_conf_done(&c);
	r = parse(HEAD "\"ipam\":{\"subnet\":\"10.1.0.0/24\"}}", NULL, &c, &err);
	ok(r == 0 && !c.has_valid, "GC: absent list is no information");
	vmnet_ipam_conf_done(&c);
	r = parse(HEAD "\"ipam\":{\"subnet\":\"10.1.0.0/24\"},\"cni.dev/valid-attachments\":"
		  "[{\"containerID\":\"a\",\"ifname\":\"eth0\"}],\"cni.dev/attachments\":[{\"containerID\":\"b\",\"ifname\":\"eth1\"}]}",
		  NULL, &c, &err);
	{
		struct vmnet_ipam_owner a = { "a", "eth0" }, b = { "b", "eth1" }, x = { "a", "eth1" },
					 legacy = { "b", "" };

		ok(r == 0 && c.n_valid == 2 && vmnet_ipam_conf_is_valid(&c, &a) &&
		   vmnet_ipam_conf_is_valid(&c, &b) && !vmnet_ipam_conf_is_valid(&c, &x) &&
		   vmnet_ipam_conf_is_valid(&c, &legacy),
		   "GC: valid-attachments and attachments merged; ID-only owners match by ID");
	}
	vmnet_ipam_conf_done(&c);

	{
		struct vmnet_result_dns dns;

		vmnet_ipam_resolv_parse("# c\nnameserver 127.0.0.53\nnameserver 9.9.9.9\n"
					"nameserver 1.1.1.1\ndomain ex.org\nsearch a.org b.org\n"
					"options ndots:2 edns0\n", &dns);
		ok(dns.n_nameservers == 2 && !strcmp(dns.nameservers[0], "9.9.9.9") &&
		   !strcmp(dns.domain, "ex.org") && dns.n_search == 2 &&
		   !strcmp(dns.search[1], "b.org") && dns.n_options == 2,
		   "resolv.conf: loopback skipped, domain, search, options");
	}

	for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
		memset(&err, 0, sizeof(err));
		r = parse(bads[i].json, NULL, &c, &err);
		if (!ok(r < 0 && err.code == bads[i].code && strstr(err.msg, bads[i].msg),
			"rejects %s (code %d)", bads[i].name, bads[i].code))
			printf("# got code %d: %s\n", err.code, err.msg);
		if (r >= 0)
			vmnet_ipam_conf_done(&c);
	}
	return done();
}
