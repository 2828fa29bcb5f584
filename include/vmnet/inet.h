/* SPDX-License-Identifier: MIT */
/*
 * IPv4 addresses and prefixes in host byte order. IPv6 will get its own
 * family member in struct vmnet_prefix; callers already go through these
 * helpers rather than touching the integers.
 */
#ifndef VMNET_INET_H
#define VMNET_INET_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define VMNET_ADDRSTRLEN INET6_ADDRSTRLEN
#define VMNET_PREFIXSTRLEN (INET6_ADDRSTRLEN + 4)

struct vmnet_prefix {
	uint32_t addr;	/* host order */
	uint8_t len;	/* 0..32 */
};

/* Parse a dotted quad; -EINVAL (and no write) on anything else, including
 * IPv6 (-EAFNOSUPPORT so callers can say "IPv6 is not supported yet"). */
int vmnet_ip4_parse(const char *s, uint32_t *ret_addr);

/* Parse "a.b.c.d/len". With @strict, host bits must be zero. A bare
 * address is accepted only if @allow_bare, and then gets /32. */
int vmnet_prefix_parse(const char *s, bool strict, bool allow_bare, struct vmnet_prefix *ret);

/* "addr/len" or a bare "addr" (if @allow_bare; then len = @max) split into
 * @addr (@size bytes) and *ret_len <= @max; -EINVAL if it does not split. */
int vmnet_prefix_split(const char *s, char *addr, size_t size, unsigned max, bool allow_bare,
		       unsigned *ret_len);

/* Format into a caller buffer of VMNET_ADDRSTRLEN / VMNET_PREFIXSTRLEN. */
const char *vmnet_ip4_fmt(uint32_t addr, char *buf);
const char *vmnet_prefix_fmt(const struct vmnet_prefix *p, char *buf);

static inline uint32_t vmnet_mask(uint8_t len)
{
	return len == 0 ? 0 : (uint32_t)0xffffffffu << (32 - len);
}

static inline bool vmnet_prefix_contains(const struct vmnet_prefix *p, uint32_t a)
{
	return (a & vmnet_mask(p->len)) == (p->addr & vmnet_mask(p->len));
}

/* IPv6 (lib/inet6.c): the address in network order as the kernel and
 * nftables take it, with its prefix length. len 0 in a record or result
 * means "no IPv6 address" (no guest or route is ever ::/0 of its own). */
struct vmnet_prefix6 {
	struct in6_addr addr;
	uint8_t len;	/* 0..128 */
};

/* Parse an IPv6 address; -EINVAL for anything else, including IPv4 text
 * and IPv4-mapped addresses (::ffff:a.b.c.d), which never name a guest. */
int vmnet_ip6_parse(const char *s, struct in6_addr *ret);
/* "addr/len" as vmnet_prefix_parse (strict: host bits zero; bare: /128). */
int vmnet_prefix6_parse(const char *s, bool strict, bool allow_bare, struct vmnet_prefix6 *ret);
const char *vmnet_ip6_fmt(const struct in6_addr *a, char *buf);
const char *vmnet_prefix6_fmt(const struct vmnet_prefix6 *p, char *buf);
bool vmnet_prefix6_contains(const struct vmnet_prefix6 *p, const struct in6_addr *a);
/* @p with its host bits cleared. */
struct vmnet_prefix6 vmnet_prefix6_net(const struct vmnet_prefix6 *p);

static inline bool vmnet_ip6_is_zero(const struct in6_addr *a)
{
	return IN6_IS_ADDR_UNSPECIFIED(a);
}

static inline bool vmnet_ip6_eq(const struct in6_addr *a, const struct in6_addr *b)
{
	return IN6_ARE_ADDR_EQUAL(a, b);
}

/* 4 or 6 for text that parses as an address or prefix of that family
 * (bare or with "/len"), 0 for anything else. */
int vmnet_ip_text_family(const char *s);

/* MAC addresses: "aa:bb:cc:dd:ee:ff" (case-insensitive). Rejects multicast
 * and all-zero addresses when @unicast is set. */
int vmnet_mac_parse(const char *s, bool unicast, uint8_t ret_mac[6]);
const char *vmnet_mac_fmt(const uint8_t mac[6], char buf[18]);

/* The port protocols vmnet publishes: "tcp", "udp", "sctp" (any case on
 * input). Name: NULL for another protocol. Parse: -EINVAL for another. */
const char *vmnet_proto_name(uint8_t proto);
int vmnet_proto_parse(const char *s, uint8_t *ret);

#endif
