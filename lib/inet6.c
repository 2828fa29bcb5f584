/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmnet/inet.h"

int vmnet_ip6_parse(const char *s, struct in6_addr *ret)
{
	struct in6_addr a;

	if (!s || !strchr(s, ':') || inet_pton(AF_INET6, s, &a) != 1 || IN6_IS_ADDR_V4MAPPED(&a))
		return -EINVAL;
	*ret = a;
	return 0;
}

static bool host_bits_zero(const struct in6_addr *a, unsigned len)
{
	for (unsigned bit = len; bit < 128; bit++)
		if (a->s6_addr[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

int vmnet_prefix6_parse(const char *s, bool strict, bool allow_bare, struct vmnet_prefix6 *ret)
{
	char buf[VMNET_PREFIXSTRLEN];
	struct in6_addr a;
	unsigned len;

	if (vmnet_prefix_split(s, buf, sizeof(buf), 128, allow_bare, &len) < 0 ||
	    vmnet_ip6_parse(buf, &a) < 0)
		return -EINVAL;
	if (strict && !host_bits_zero(&a, len))
		return -EINVAL;
	ret->addr = a;
	ret->len = (uint8_t)len;
	return 0;
}

const char *vmnet_ip6_fmt(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, VMNET_ADDRSTRLEN);
}

const char *vmnet_prefix6_fmt(const struct vmnet_prefix6 *p, char *buf)
{
	char a[VMNET_ADDRSTRLEN];

	snprintf(buf, VMNET_PREFIXSTRLEN, "%s/%u", vmnet_ip6_fmt(&p->addr, a), p->len);
	return buf;
}

struct vmnet_prefix6 vmnet_prefix6_net(const struct vmnet_prefix6 *p)
{
	struct vmnet_prefix6 n = *p;

	for (unsigned bit = p->len; bit < 128; bit++)
		n.addr.s6_addr[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
	return n;
}

bool vmnet_prefix6_contains(const struct vmnet_prefix6 *p, const struct in6_addr *a)
{
	struct vmnet_prefix6 x = { .addr = *a, .len = p->len }, nx, np;

	nx = vmnet_prefix6_net(&x);
	np = vmnet_prefix6_net(p);
	return vmnet_ip6_eq(&nx.addr, &np.addr);
}

int vmnet_ip_text_family(const char *s)
{
	struct vmnet_prefix p4;
	struct vmnet_prefix6 p6;

	if (vmnet_prefix_parse(s, false, true, &p4) == 0)
		return 4;
	if (vmnet_prefix6_parse(s, false, true, &p6) == 0)
		return 6;
	return 0;
}
