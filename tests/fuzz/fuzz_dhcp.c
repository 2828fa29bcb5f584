/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: netd's DHCP packet parser, from the IPv4 header as the
 * packet socket delivers it. Whatever parses as a request is answered with a
 * fixed lease and the reply must parse back: the builder is checked too.
 * Options parsed include 119 (search), joined across copies, with
 * compression pointers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../netd/dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void answer(const uint8_t *buf, size_t len)
{
	static const struct netd_lease l = {
		.ip = 0x0a09000a,
		.prefix_len = 24,
		.router = 0x0a090001,
		.dns = {0xc0000235, 0x7f000035},
		.n_dns = 2,
		.domain = "vm.test",
		.mtu = 1400,
		.hostname = "g",
		.search = {"vm.test", "example.com"},
		.n_search = 2,
	};
	struct netd_dhcp_msg req, rep;
	struct netd_dhcp_ip ip;
	uint8_t out[NETD_DHCP_REPLY_MAX];
	int type, n;

	if (netd_dhcp_parse_request(buf, len, &req) < 0)
		return;
	type = netd_dhcp_decide(&req, &l);
	if (!type)
		return;
	n = netd_dhcp_build_reply(&req, &l, type, out, sizeof(out));
	if (n < 0 || netd_dhcp_parse_ip(out, (size_t)n, &ip) < 0 ||
	    netd_dhcp_parse_msg(out + ip.off, ip.len, &rep) < 0 || rep.type != type ||
	    rep.xid != req.xid || memcmp(rep.chaddr, req.chaddr, 6))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netd_dhcp_msg m;
	struct netd_dhcp_ip ip;

	/* The same bytes as a whole packet and as a bare DHCP payload, so
	 * seeds need not carry valid IP checksums to reach the options. */
	if (netd_dhcp_parse_ip(data, size, &ip) == 0 && ip.off + ip.len <= size)
		answer(data + ip.off, ip.len);
	answer(data, size);
	netd_dhcp_parse_msg(data, size, &m);
	return 0;
}
