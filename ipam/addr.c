/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"

vmnet_ipam_ip vmnet_ipam_block_size(vmnet_ipam_ip a, unsigned len)
{
	unsigned host = vmnet_ipam_ip_bits(a) - len;

	return (vmnet_ipam_ip)1 << (host > 127 ? 127 : host);
}

void vmnet_ipam_ip_to_in6(vmnet_ipam_ip a, struct in6_addr *ret)
{
	for (int i = 15; i >= 0; i--, a >>= 8)
		ret->s6_addr[i] = (uint8_t)a;
}

vmnet_ipam_ip vmnet_ipam_ip_from_in6(const struct in6_addr *a)
{
	vmnet_ipam_ip v = 0;

	for (int i = 0; i < 16; i++)
		v = (v << 8) | a->s6_addr[i];
	return v;
}

int vmnet_ipam_ip_parse(const char *s, vmnet_ipam_ip *ret)
{
	struct in6_addr a6;
	uint32_t a4;

	if (vmnet_ip4_parse(s, &a4) == 0) {
		*ret = vmnet_ipam_ip_from4(a4);
		return 0;
	}
	/* inet_pton takes a trailing dotted quad ("::ffff:1.2.3.4"); keep
	 * IPv4 out of IPv6 ranges by refusing the mapped ones. */
	if (strlen(s) >= INET6_ADDRSTRLEN || inet_pton(AF_INET6, s, &a6) != 1 ||
	    IN6_IS_ADDR_V4MAPPED(&a6))
		return -EINVAL;
	*ret = vmnet_ipam_ip_from_in6(&a6);
	return 0;
}

int vmnet_ipam_prefix_parse(const char *s, bool allow_bare, struct vmnet_ipam_prefix *ret)
{
	char buf[VMNET_PREFIXSTRLEN], *slash, *end;
	vmnet_ipam_ip a;
	unsigned long len;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (vmnet_ipam_ip_parse(buf, &a) < 0)
		return -EINVAL;
	if (!slash) {
		if (!allow_bare)
			return -EINVAL;
		len = vmnet_ipam_ip_bits(a);
	} else {
		if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3)
			return -EINVAL;
		len = strtoul(slash + 1, &end, 10);
		if (*end || len > vmnet_ipam_ip_bits(a))
			return -EINVAL;
	}
	ret->addr = a;
	ret->len = (uint8_t)len;
	return 0;
}

/* RFC 5952 section 4: lower case, no leading zeros, the longest run of two
 * or more zero groups (the first of equal runs) as "::". Unlike glibc's
 * inet_ntop, no dotted tail for ::a.b.c.d (Go writes none either). */
static void fmt6(vmnet_ipam_ip a, char *buf)
{
	unsigned g[8], best = 0, best_len = 0, i;
	char *p = buf;

	for (i = 0; i < 8; i++)
		g[i] = (unsigned)(a >> (112 - 16 * i)) & 0xffff;
	for (i = 0; i < 8;) {
		unsigned j = i;

		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	if (best_len < 2)
		best_len = 0;
	for (i = 0; i < 8; i++) {
		if (best_len && i == best) {
			p += sprintf(p, "::");
			i += best_len - 1;
			continue;
		}
		p += sprintf(p, "%s%x", p > buf && p[-1] != ':' ? ":" : "", g[i]);
	}
	*p = '\0';
}

const char *vmnet_ipam_ip_fmt(vmnet_ipam_ip a, char *buf)
{
	if (vmnet_ipam_ip_is4(a))
		return vmnet_ip4_fmt(vmnet_ipam_ip_to4(a), buf);
	fmt6(a, buf);
	return buf;
}

const char *vmnet_ipam_prefix_fmt(const struct vmnet_ipam_prefix *p, char *buf)
{
	char a[VMNET_ADDRSTRLEN];

	snprintf(buf, VMNET_PREFIXSTRLEN, "%s/%u", vmnet_ipam_ip_fmt(p->addr, a), p->len);
	return buf;
}
