/* SPDX-License-Identifier: MIT */
/*
 * IPv4 ranges as host-local defines them: a subnet, the first and last
 * allocatable address and a gateway that is never handed out.
 */
#ifndef VMNET_IPAM_RANGE_H
#define VMNET_IPAM_RANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmnet/inet.h"

struct vmnet_err;

#define VMNET_IPAM_MAX_SETS 8
#define VMNET_IPAM_MAX_RANGES 16

struct vmnet_ipam_range {
	struct vmnet_prefix subnet;
	uint32_t start;	/* first allocatable address, inclusive */
	uint32_t end;	/* last allocatable address, inclusive */
	uint32_t gw;	/* returned with the address, never allocated */
	bool explicit_bounds;	/* gateway, rangeStart or rangeEnd given */
};

/* One address (or block) is taken from each range set. */
struct vmnet_ipam_rangeset {
	struct vmnet_ipam_range r[VMNET_IPAM_MAX_RANGES];
	unsigned n;
};

/* Build a range from its config strings (@start, @end, @gw may be NULL for
 * host-local's defaults: start = network+1, end = broadcast-1, gw =
 * network+1). @path names the JSON object in messages. Code 7 for bad
 * values, 2 for IPv6. */
int vmnet_ipam_range_init(struct vmnet_ipam_range *r, const char *path, const char *subnet,
			  const char *start, const char *end, const char *gw,
			  struct vmnet_err *err);

static inline bool vmnet_ipam_range_contains(const struct vmnet_ipam_range *r, uint32_t a)
{
	return a >= r->start && a <= r->end;
}

static inline bool vmnet_ipam_range_overlaps(const struct vmnet_ipam_range *a,
					     const struct vmnet_ipam_range *b)
{
	return a->start <= b->end && b->start <= a->end;
}

/* Index of the range of @set holding @a, or -1. */
int vmnet_ipam_rangeset_find(const struct vmnet_ipam_rangeset *set, uint32_t a);

/* "10.1.0.2-10.1.0.254" into @buf. */
const char *vmnet_ipam_range_fmt(const struct vmnet_ipam_range *r, char buf[2 * VMNET_ADDRSTRLEN]);

#endif
