/* SPDX-License-Identifier: MIT */
/*
 * Ranges as host-local defines them, for either family: a subnet, the first
 * and last allocatable address and a gateway that is never handed out.
 */
#ifndef VMNET_IPAM_RANGE_H
#define VMNET_IPAM_RANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

struct vmnet_err;

#define VMNET_IPAM_MAX_SETS 8
#define VMNET_IPAM_MAX_RANGES 16

struct vmnet_ipam_range {
	struct vmnet_ipam_prefix subnet;
	vmnet_ipam_ip start;	/* first allocatable address, inclusive */
	vmnet_ipam_ip end;	/* last allocatable address, inclusive */
	vmnet_ipam_ip gw;	/* returned with the address, never allocated; 0 = none */
	bool explicit_bounds;	/* gateway, rangeStart or rangeEnd given */
};

/* One address (or block) is taken from each range set. All ranges of a
 * set are of one family. */
struct vmnet_ipam_rangeset {
	struct vmnet_ipam_range r[VMNET_IPAM_MAX_RANGES];
	unsigned n;
};

static inline bool vmnet_ipam_rangeset_is6(const struct vmnet_ipam_rangeset *s)
{
	return s->n && !vmnet_ipam_ip_is4(s->r[0].subnet.addr);
}

/* Build a range from its config strings (@start, @end, @gw may be NULL for
 * host-local's defaults: start = network+1, gw = network+1, end =
 * broadcast-1 for IPv4 and the subnet's last address for IPv6). @path
 * names the JSON object in messages. Code 7 for bad values (also an
 * address of the other family, an IPv4 subnet larger than /8 is code 2). */
int vmnet_ipam_range_init(struct vmnet_ipam_range *r, const char *path, const char *subnet,
			  const char *start, const char *end, const char *gw,
			  struct vmnet_err *err);

static inline bool vmnet_ipam_range_contains(const struct vmnet_ipam_range *r, vmnet_ipam_ip a)
{
	return a >= r->start && a <= r->end && vmnet_ipam_ip_is4(a) == vmnet_ipam_ip_is4(r->start);
}

static inline bool vmnet_ipam_range_overlaps(const struct vmnet_ipam_range *a,
					     const struct vmnet_ipam_range *b)
{
	return a->start <= b->end && b->start <= a->end;
}

/* Index of the range of @set holding @a, or -1. */
int vmnet_ipam_rangeset_find(const struct vmnet_ipam_rangeset *set, vmnet_ipam_ip a);

/* "10.1.0.2-10.1.0.254" into @buf. */
const char *vmnet_ipam_range_fmt(const struct vmnet_ipam_range *r, char buf[2 * VMNET_ADDRSTRLEN]);

#endif
