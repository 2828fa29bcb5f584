/* SPDX-License-Identifier: MIT */
/*
 * Router advertisements and solicitations (RFC 4861, RDNSS and DNSSL from
 * RFC 8106), as bytes: no I/O, fuzzed. guest6.c sends and receives them.
 */
#ifndef NETD_RA_H
#define NETD_RA_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "link6.h"

#define ND_ROUTER_SOLICIT_TYPE 133
#define ND_ROUTER_ADVERT_TYPE 134
/* The largest RA we build: header, source link-layer, MTU, 4 prefixes,
 * RDNSS of 8, DNSSL of 8 names of 255 octets. It fits any IPv6 MTU only
 * because DNSSL is cut to what fits 1280 - 40 (see netd_ra_build()). */
#define NETD_RA_MAX 1232
/* The hop limit guests are told to use (RFC 4861's Cur Hop Limit). */
#define NETD_RA_HOP_LIMIT 64

/* A router solicitation as the raw ICMPv6 socket delivers it. */
struct netd_rs {
	bool has_slla;
	uint8_t slla[6]; /* the solicitor's link-layer address */
};

/* Validate a router solicitation (RFC 4861 6.1.1): @hop_limit (from the
 * IPv6 header) 255, type 133, code 0, 8 bytes or more, every option of
 * non-zero length within the message, no source link-layer option when
 * @src is unspecified. The checksum is the kernel's (raw ICMPv6 sockets
 * check it). *ret written only on success; -EBADMSG when invalid. */
int netd_rs_parse(const uint8_t *buf, size_t len, int hop_limit, const struct in6_addr *src,
		  struct netd_rs *ret);

/* The ICMPv6 part of an RA for @l (the kernel fills the checksum on a raw
 * ICMPv6 socket), with @router_lifetime in place of the link's (0 in the
 * last RA before the link stops). Options: source link-layer, MTU, one
 * Prefix Information per prefix, RDNSS, DNSSL (names that do not fit
 * NETD_RA_MAX are left out, invalid names skipped). Returns the length,
 * -EINVAL if @l is not valid, -ENOBUFS if @size is too small. */
int netd_ra_build(const struct netd_link6 *l, uint16_t router_lifetime, uint8_t *buf, size_t size);

/* What an RA says, for tests and the fuzzer's round trip. */
struct netd_ra_info {
	uint8_t hop_limit, flags; /* flags: 0x80 M, 0x40 O */
	uint16_t router_lifetime;
	uint8_t slla[6];
	bool has_slla;
	uint32_t mtu;
	struct netd_prefix6 prefixes[NETD_LINK6_MAX_PREFIXES];
	uint32_t prefix_valid[NETD_LINK6_MAX_PREFIXES], prefix_preferred[NETD_LINK6_MAX_PREFIXES];
	unsigned n_prefixes;
	struct in6_addr dns[NETD_LINK6_MAX_DNS];
	unsigned n_dns;
	uint32_t rdnss_lifetime, dnssl_lifetime;
	char search[NETD_DHCP_MAX_SEARCH][NETD_DHCP_NAME_SIZE];
	unsigned n_search;
};

/* Parse an RA (type 134, options bounded as for RS). -EBADMSG if invalid. */
int netd_ra_parse(const uint8_t *buf, size_t len, struct netd_ra_info *ret);

/* Names in DNS wire form (uncompressed, as in DNSSL and DHCPv6 option 24)
 * from @w into @ret, zero padding ending the list. Returns how many (at
 * most @max), -EBADMSG when a label overruns or a name is too long. */
int netd_names6_decode(const uint8_t *w, size_t len, char (*ret)[NETD_DHCP_NAME_SIZE],
		       unsigned max);

#endif
