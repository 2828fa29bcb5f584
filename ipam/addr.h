/* SPDX-License-Identifier: MIT */
/*
 * Addresses of either family as one 128-bit integer, so the allocator's
 * arithmetic (add, compare, align, mask) is the same for both: an IPv6
 * address is its 128 bits in host order, an IPv4 address is stored
 * IPv4-mapped (::ffff:a.b.c.d), which no IPv6 range may contain (the parser
 * refuses IPv4-mapped IPv6 text), so the family of a value is never in
 * doubt. Prefix lengths stay in the family's own terms (0..32, 0..128).
 *
 * This is the type later IPv6 wiring outside ipam/ can convert from and to
 * (vmnet_ipam_ip_from4/to4, _from_in6/to_in6).
 */
#ifndef VMNET_IPAM_ADDR_H
#define VMNET_IPAM_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "vmnet/inet.h"

typedef unsigned __int128 vmnet_ipam_ip;

#define VMNET_IPAM_IP_MAX (~(vmnet_ipam_ip)0)
#define VMNET_IPAM_V4MAPPED ((vmnet_ipam_ip)0xffff << 32)

struct vmnet_ipam_prefix {
	vmnet_ipam_ip addr;
	uint8_t len;	/* 0..32 for IPv4, 0..128 for IPv6 */
};

static inline bool vmnet_ipam_ip_is4(vmnet_ipam_ip a)
{
	return (a >> 32) == 0xffff;
}

static inline int vmnet_ipam_ip_family(vmnet_ipam_ip a)
{
	return vmnet_ipam_ip_is4(a) ? AF_INET : AF_INET6;
}

/* 32 or 128: the width of @a's family. */
static inline unsigned vmnet_ipam_ip_bits(vmnet_ipam_ip a)
{
	return vmnet_ipam_ip_is4(a) ? 32 : 128;
}

static inline vmnet_ipam_ip vmnet_ipam_ip_from4(uint32_t a)
{
	return VMNET_IPAM_V4MAPPED | a;
}

static inline uint32_t vmnet_ipam_ip_to4(vmnet_ipam_ip a)
{
	return (uint32_t)a;
}

/* The host part of @p: the addresses of the prefix are addr..addr|hostmask. */
static inline vmnet_ipam_ip vmnet_ipam_hostmask(const struct vmnet_ipam_prefix *p)
{
	unsigned host = vmnet_ipam_ip_bits(p->addr) - p->len;

	return host >= 128 ? VMNET_IPAM_IP_MAX : ((vmnet_ipam_ip)1 << host) - 1;
}

static inline vmnet_ipam_ip vmnet_ipam_prefix_last(const struct vmnet_ipam_prefix *p)
{
	return p->addr | vmnet_ipam_hostmask(p);
}

static inline bool vmnet_ipam_prefix_contains(const struct vmnet_ipam_prefix *p, vmnet_ipam_ip a)
{
	return vmnet_ipam_ip_is4(a) == vmnet_ipam_ip_is4(p->addr) &&
	       (a & ~vmnet_ipam_hostmask(p)) == (p->addr & ~vmnet_ipam_hostmask(p));
}

/* Number of addresses in a block of prefix length @len in @a's family,
 * saturated at 2^127 (a /0 or /1 of IPv6 is never a block). */
vmnet_ipam_ip vmnet_ipam_block_size(vmnet_ipam_ip a, unsigned len);

/* Parse an IPv4 or IPv6 address: 0, or -EINVAL (nothing written) for
 * anything else, including IPv4-mapped IPv6 text. */
int vmnet_ipam_ip_parse(const char *s, vmnet_ipam_ip *ret);

/* Parse "addr/len" (any host bits kept). A bare address only if
 * @allow_bare, then with the family's full length. -EINVAL otherwise,
 * including a length past the family's width (a /33, a /129). */
int vmnet_ipam_prefix_parse(const char *s, bool allow_bare, struct vmnet_ipam_prefix *ret);

/* Canonical text (RFC 5952 for IPv6, as Go's net.IP and so host-local's
 * file names write it; dotted quad for IPv4) into a VMNET_ADDRSTRLEN buffer. */
const char *vmnet_ipam_ip_fmt(vmnet_ipam_ip a, char *buf);
/* "addr/len" into a VMNET_PREFIXSTRLEN buffer. */
const char *vmnet_ipam_prefix_fmt(const struct vmnet_ipam_prefix *p, char *buf);

void vmnet_ipam_ip_to_in6(vmnet_ipam_ip a, struct in6_addr *ret);
vmnet_ipam_ip vmnet_ipam_ip_from_in6(const struct in6_addr *a);

#endif
