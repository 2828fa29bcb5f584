/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: netd's DHCPv6 parser, from the IPv6 header as the
 * packet socket delivers it and as a bare message. Whatever parses is
 * answered for a fixed link and the answer must parse back with the same
 * transaction id, within NETD_DHCP6_REPLY_MAX: the builder is checked too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../netd/dhcp6.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct netd_link6 fixed_link = {
	.ifindex = 5,
	.mac = {0x02, 0, 0, 0, 0, 0x01},
	.guest_mac = {0x02, 0, 0, 0, 0, 0x02},
	.addr = {.s6_addr = {0xfd, 0x88, [15] = 0x10}},
	.prefix_len = 64,
	.prefixes = {{.prefix = {.s6_addr = {0xfd, 0x88}}, .len = 64}},
	.n_prefixes = 1,
	.managed = true,
	.router_lifetime = 1800,
	.mtu = 1400,
	.dns = {{.s6_addr = {0xfd, 0x88, [15] = 1}}},
	.n_dns = 1,
	.search = {"vm.test", "example.com"},
	.n_search = 2,
};

static void answer(const uint8_t *buf, size_t len)
{
	struct netd_dhcp6_msg req, rep;
	uint8_t out[NETD_DHCP6_REPLY_MAX];
	int n;

	if (netd_dhcp6_parse(buf, len, &req) < 0)
		return;
	n = netd_dhcp6_answer(&req, &fixed_link, out, sizeof(out));
	if (n < 0 || n > NETD_DHCP6_REPLY_MAX)
		abort();
	if (n == 0)
		return;
	if (netd_dhcp6_parse(out, (size_t)n, &rep) < 0 || rep.xid != req.xid ||
	    (rep.type != DHCP6_ADVERTISE && rep.type != DHCP6_REPLY) || rep.serverid_len != 10 ||
	    rep.clientid_len != req.clientid_len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netd_dhcp6_ip ip;

	if (netd_dhcp6_parse_ip(data, size, &ip) == 0) {
		if (ip.off + ip.len > size)
			abort();
		answer(data + ip.off, ip.len);
	}
	answer(data, size);
	return 0;
}
