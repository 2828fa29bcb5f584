/* SPDX-License-Identifier: MIT */
/*
 * What netd tells the guest of one link over IPv6: the description the
 * router advertisements (ra.h) and the DHCPv6 server (dhcp6.h) are built
 * from. The daemon fills one per guest from its record; nothing here reads
 * records, so the engines stay pure and testable.
 *
 * On a shared bridge several guests share an ifindex: each has its own
 * entry (its guest MAC and address); the advertisements of that ifindex are
 * built from the first entry added (prefixes, MTU and DNS are the bridge's,
 * the same in every entry).
 */
#ifndef NETD_LINK6_H
#define NETD_LINK6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp.h"

#define NETD_LINK6_MAX_PREFIXES 4
#define NETD_LINK6_MAX_DNS 8

struct netd_prefix6 {
	struct in6_addr prefix; /* host bits zero */
	uint8_t len;		/* 1..128; SLAAC needs 64 */
	bool autonomous;	/* A flag: guests may form addresses by SLAAC */
};

struct netd_link6 {
	int ifindex;	      /* the host side: bridge, or the VM's own link */
	uint8_t mac[6];	      /* that link's MAC (source link-layer option, DUID) */
	uint8_t guest_mac[6]; /* DHCPv6 answers only this MAC */
	struct in6_addr addr; /* the guest's address; :: for none (no DHCPv6) */
	uint8_t prefix_len;   /* its on-link prefix length */
	struct netd_prefix6 prefixes[NETD_LINK6_MAX_PREFIXES]; /* advertised, on-link */
	unsigned n_prefixes;
	bool managed;				 /* M flag: DHCPv6 assigns @addr (stateful) */
	uint16_t router_lifetime;		 /* seconds; 0: not a default router */
	uint32_t mtu;				 /* MTU option; 0 for none, else 1280.. */
	struct in6_addr dns[NETD_LINK6_MAX_DNS]; /* RDNSS, option 23 */
	unsigned n_dns;
	char search[NETD_DHCP_MAX_SEARCH][NETD_DHCP_NAME_SIZE]; /* DNSSL, option 24 */
	unsigned n_search;
	uint32_t valid_secs;	 /* address and prefix valid lifetime; 0: default */
	uint32_t preferred_secs; /* preferred lifetime; 0: default */
	unsigned ra_interval_s;	 /* MaxRtrAdvInterval, 4..1800; 0: default */
};

#define NETD_LINK6_VALID_SECS 86400u
#define NETD_LINK6_PREFERRED_SECS 14400u
#define NETD_LINK6_RA_INTERVAL 600u

/* True when @l can be served: an ifindex, a unicast link MAC, prefixes of
 * lengths 1..128, an MTU of 0 or 1280.., a router lifetime <= 9000, and
 * when @addr is set a guest MAC and a prefix length. */
bool netd_link6_valid(const struct netd_link6 *l);

/* The lifetimes and interval in effect (defaults for 0, preferred <= valid). */
uint32_t netd_link6_valid_secs(const struct netd_link6 *l);
uint32_t netd_link6_preferred_secs(const struct netd_link6 *l);
unsigned netd_link6_ra_interval(const struct netd_link6 *l);

/* The search names of @l in DNS wire form (DNSSL, DHCPv6 option 24) into
 * @buf, in order, as many as fit @size: the first that does not fit ends
 * the list, so the order a guest searches in is kept; invalid names are
 * skipped. Returns the bytes written. */
size_t netd_link6_names(const struct netd_link6 *l, uint8_t *buf, size_t size);

#endif
