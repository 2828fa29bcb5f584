/* SPDX-License-Identifier: MIT */
/*
 * What dhcp_parse.c and dhcp_build.c share: the BOOTP layout (RFC 2131),
 * the option codes we read or write (RFC 2132), network byte order and the
 * Internet checksum. Private to those two files.
 */
#ifndef NETD_DHCP_WIRE_H
#define NETD_DHCP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define BOOTP_FIXED 236 /* op .. file */
#define BOOTP_MIN 300	/* old BOOTP clients drop shorter replies */
#define DHCP_OPTS_OFF (BOOTP_FIXED + 4)
#define IP_HDR 20
#define UDP_HDR 8

static const uint8_t magic[4] = {99, 130, 83, 99};

enum {
	OPT_PAD = 0,
	OPT_MASK = 1,
	OPT_ROUTER = 3,
	OPT_DNS = 6,
	OPT_HOSTNAME = 12,
	OPT_DOMAIN = 15,
	OPT_MTU = 26,
	OPT_BROADCAST = 28,
	OPT_REQUESTED_IP = 50,
	OPT_LEASE = 51,
	OPT_TYPE = 53,
	OPT_SERVER_ID = 54,
	OPT_PRL = 55,
	OPT_MAX_SIZE = 57,
	OPT_T1 = 58,
	OPT_T2 = 59,
	OPT_SEARCH = 119,
	OPT_END = 255,
};

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071 sum, not yet folded or inverted, so pieces can be chained. */
static inline uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len >= 2; p += 2, len -= 2)
		sum += get16(p);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static inline uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

#endif
