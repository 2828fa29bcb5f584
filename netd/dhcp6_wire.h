/* SPDX-License-Identifier: MIT */
/*
 * What the IPv6 engines' pure files share: byte order helpers, DHCPv6
 * message and option codes (RFC 8415), RA option types (RFC 4861, 8106).
 * Private to ra_*.c and dhcp6_*.c.
 */
#ifndef NETD_DHCP6_WIRE_H
#define NETD_DHCP6_WIRE_H

#include <stddef.h>
#include <stdint.h>

enum {
	ND_OPT_SLLA = 1,
	ND_OPT_PREFIX = 3,
	ND_OPT_MTU = 5,
	ND_OPT_RDNSS = 25,
	ND_OPT_DNSSL = 31,
};

enum {
	D6_OPT_CLIENTID = 1,
	D6_OPT_SERVERID = 2,
	D6_OPT_IA_NA = 3,
	D6_OPT_IA_TA = 4,
	D6_OPT_IAADDR = 5,
	D6_OPT_ORO = 6,
	D6_OPT_PREFERENCE = 7,
	D6_OPT_ELAPSED = 8,
	D6_OPT_STATUS = 13,
	D6_OPT_RAPID_COMMIT = 14,
	D6_OPT_DNS = 23,
	D6_OPT_DOMAINS = 24,
	D6_OPT_IA_PD = 25,
	D6_OPT_IAPREFIX = 26,
	D6_OPT_INFO_REFRESH = 32,
};

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
