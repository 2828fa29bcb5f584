/* SPDX-License-Identifier: MIT */
/* What netd's IPv6 unit tests share: an address from its text, and the link
 * description they build RAs and DHCPv6 answers for (stateful fd88::10 on
 * fd88::/64, MTU 1400, two DNS servers, two search domains). */
#ifndef VMNET_TEST_LINK6_TEST_H
#define VMNET_TEST_LINK6_TEST_H

#include <arpa/inet.h>
#include <string.h>

#include "../../netd/link6.h"

__attribute__((unused)) static struct in6_addr a6(const char *s)
{
	struct in6_addr a;

	inet_pton(AF_INET6, s, &a);
	return a;
}

__attribute__((unused)) static struct netd_link6 link6_fixture(void)
{
	struct netd_link6 l = {
		.ifindex = 5,
		.mac = {0x02, 0, 0, 0, 0, 0x01},
		.guest_mac = {0x02, 0, 0, 0, 0, 0x02},
		.prefix_len = 64,
		.n_prefixes = 1,
		.managed = true,
		.router_lifetime = 1800,
		.mtu = 1400,
		.n_dns = 2,
		.search = {"vm.test", "example.com"},
		.n_search = 2,
	};

	l.addr = a6("fd88::10");
	l.prefixes[0].prefix = a6("fd88::");
	l.prefixes[0].len = 64;
	l.dns[0] = a6("fd88::1");
	l.dns[1] = a6("2001:db8::53");
	return l;
}

/* @l's search list: as many domains as it holds, of 250 characters each
 * (labels of 63), "aaa...", "bbb...", ... */
__attribute__((unused)) static void link6_long_search(struct netd_link6 *l)
{
	for (unsigned i = 0; i < NETD_DHCP_MAX_SEARCH; i++) {
		memset(l->search[i], 'a' + (int)i, 250);
		for (int j = 63; j < 250; j += 64)
			l->search[i][j] = '.';
		l->search[i][250] = '\0';
	}
	l->n_search = NETD_DHCP_MAX_SEARCH;
}

#endif
