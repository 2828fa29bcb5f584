/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: router solicitations as guests send them (netd_rs_parse
 * with the hop limit and source taken from the input), router
 * advertisements as parsed back, and RA building from a link description
 * drawn from the input: every RA built must fit NETD_RA_MAX and parse back
 * saying what the description says.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../netd/ra.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fix_bool(bool *b)
{
	uint8_t v;

	memcpy(&v, b, 1);
	v &= 1;
	memcpy(b, &v, 1);
}

/* A link description from the input's bytes (fields it lacks stay 0). */
static void link_from(const uint8_t *d, size_t size, struct netd_link6 *l)
{
	size_t take = size < sizeof(*l) ? size : sizeof(*l);

	memset(l, 0, sizeof(*l));
	memcpy(l, d, take);
	/* Strings end within their arrays; counts stay within them (an
	 * out-of-range count is the caller's bug, refused by _valid()). */
	for (unsigned i = 0; i < NETD_DHCP_MAX_SEARCH; i++)
		l->search[i][NETD_DHCP_NAME_SIZE - 1] = '\0';
	/* A bool holds 0 or 1: reading another byte value is undefined. */
	fix_bool(&l->managed);
	for (unsigned i = 0; i < NETD_LINK6_MAX_PREFIXES; i++)
		fix_bool(&l->prefixes[i].autonomous);
}

static void build(const uint8_t *data, size_t size)
{
	struct netd_link6 l;
	struct netd_ra_info ra;
	uint8_t buf[NETD_RA_MAX];
	int n;

	link_from(data, size, &l);
	n = netd_ra_build(&l, l.router_lifetime, buf, sizeof(buf));
	if (n == -EINVAL && !netd_link6_valid(&l))
		return;
	if (n < 16 || n > NETD_RA_MAX || n % 8 || netd_ra_parse(buf, (size_t)n, &ra) < 0)
		abort();
	if (ra.router_lifetime != l.router_lifetime || ra.mtu != l.mtu ||
	    memcmp(ra.slla, l.mac, 6) ||
	    ra.n_prefixes != (l.n_prefixes < NETD_LINK6_MAX_PREFIXES ? l.n_prefixes
								     : NETD_LINK6_MAX_PREFIXES) ||
	    ((ra.flags & 0x80) != 0) != l.managed)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in6_addr src = {0};
	struct netd_ra_info ra;
	struct netd_rs rs;

	if (size >= 17) {
		memcpy(&src, data + 1, 16);
		netd_rs_parse(data + 17, size - 17, data[0], &src, &rs);
	}
	netd_rs_parse(data, size, 255, &src, &rs);
	netd_ra_parse(data, size, &ra);
	build(data, size);
	return 0;
}
