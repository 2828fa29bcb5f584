/* SPDX-License-Identifier: MIT */
/*
 * The aggregate route of an isolated network (conflist "aggregateRoute"):
 * one blackhole route for each of the node's whole blocks (an IPv4 one, an
 * IPv6 one for dual-stack networks), rtm_protocol
 * VMNET_RTPROT_AGGREGATE, in the main table, as Calico installs one per IPAM
 * block. A routing daemon announces that one route instead of a /30, /31 or
 * /64 per VM; on the node the VMs' connected routes are more specific and win,
 * and traffic to an address of the block no VM holds is dropped here
 * instead of following the default route back out.
 */
#ifndef VMNET_AGGREGATE_H
#define VMNET_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "inet.h"

struct vmnet_nl;

/* What the node's aggregates should be: the blocks wanted (duplicates
 * allowed), and guest addresses whose aggregate stays if it exists (guests
 * of a block the configuration no longer names). */
struct vmnet_aggregate_want {
	const struct vmnet_prefix *blocks;
	size_t n_blocks;
	const uint32_t *keep;
	size_t n_keep;
	/* The same for IPv6. */
	const struct vmnet_prefix6 *blocks6;
	size_t n_blocks6;
	const struct in6_addr *keep6;
	size_t n_keep6;
};

/* Make the aggregates in @nl's namespace match @w: add the missing blocks
 * and, with @prune, delete those of ours that are neither wanted nor hold a
 * kept address. Returns how many routes it added or deleted; on failure a
 * negative errno and @err, after doing what it could. */
int vmnet_aggregate_sync(struct vmnet_nl *nl, const struct vmnet_aggregate_want *w, bool prune,
			 struct vmnet_err *err);

#endif
