/* SPDX-License-Identifier: MIT */
/* The per-link IPv6 description's checks and defaults (link6.h). */
#include <errno.h>
#include <string.h>

#include "link6.h"

static bool mac_unicast(const uint8_t m[6])
{
	static const uint8_t zero[6];

	return !(m[0] & 1) && memcmp(m, zero, 6) != 0;
}

bool netd_link6_valid(const struct netd_link6 *l)
{
	if (l->ifindex <= 0 || !mac_unicast(l->mac) || l->n_prefixes > NETD_LINK6_MAX_PREFIXES ||
	    l->n_dns > NETD_LINK6_MAX_DNS || l->n_search > NETD_DHCP_MAX_SEARCH)
		return false;
	/* RFC 4861 6.2.1: AdvDefaultLifetime is at most 9000 seconds. */
	if ((l->mtu && (l->mtu < 1280 || l->mtu > 65535)) || l->router_lifetime > 9000)
		return false;
	for (unsigned i = 0; i < l->n_prefixes; i++)
		if (l->prefixes[i].len < 1 || l->prefixes[i].len > 128)
			return false;
	if (IN6_IS_ADDR_UNSPECIFIED(&l->addr))
		return !l->managed;
	return mac_unicast(l->guest_mac) && l->prefix_len >= 1 && l->prefix_len <= 128 &&
	       !IN6_IS_ADDR_MULTICAST(&l->addr) && !IN6_IS_ADDR_LINKLOCAL(&l->addr);
}

uint32_t netd_link6_valid_secs(const struct netd_link6 *l)
{
	return l->valid_secs ? l->valid_secs : NETD_LINK6_VALID_SECS;
}

uint32_t netd_link6_preferred_secs(const struct netd_link6 *l)
{
	uint32_t p = l->preferred_secs ? l->preferred_secs : NETD_LINK6_PREFERRED_SECS;
	uint32_t v = netd_link6_valid_secs(l);

	return p < v ? p : v;
}

unsigned netd_link6_ra_interval(const struct netd_link6 *l)
{
	unsigned i = l->ra_interval_s ? l->ra_interval_s : NETD_LINK6_RA_INTERVAL;

	/* RFC 4861 6.2.1: MaxRtrAdvInterval is 4..1800 seconds. */
	return i < 4 ? 4 : i > 1800 ? 1800 : i;
}

size_t netd_link6_names(const struct netd_link6 *l, uint8_t *buf, size_t size)
{
	size_t n = 0;

	for (unsigned i = 0; i < l->n_search && i < NETD_DHCP_MAX_SEARCH; i++) {
		int r = netd_dhcp_name_encode(l->search[i], buf + n, size - n);

		if (r == -ENOBUFS)
			break;
		if (r > 0)
			n += (size_t)r;
	}
	return n;
}
