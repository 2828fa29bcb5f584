/* SPDX-License-Identifier: MIT */
/*
 * netd keeps the aggregate routes (include/vmnet/aggregate.h) of isolated
 * networks with "aggregateRoute": one per block that holds a live
 * attachment's address, the block being the IPv4 or IPv6 range of the
 * network's IPAM config (its subnetFile read at each pass). A block's route comes
 * with its first attachment and goes with its last, at the pass after.
 */
#ifndef NETD_AGGREGATE_H
#define NETD_AGGREGATE_H

#include <stddef.h>

struct item;
struct netd_reconcile_stats;

/* From the records the pass read (@items, those not torn down): add the
 * wanted aggregates, and delete ours no record wants unless a busy network
 * lock left records unread (@p->busy). Failures are noted in @p. */
void netd_aggregate_sync(const struct item *items, size_t n, struct netd_reconcile_stats *p);

#endif
