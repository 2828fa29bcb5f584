/* SPDX-License-Identifier: MIT */
/*
 * netd keeps the inode pools (include/vmnet/pool.h) of the networks it has
 * records of filled, so a burst of ADDs takes its state inodes from them and
 * the allocations are paid here, between passes.
 */
#ifndef NETD_POOL_H
#define NETD_POOL_H

struct netd_state;

/* Every network with a record: its record pool and, when its IPAM is
 * vmnet-ipam, its store's pool, filled to VMNET_POOL_FILL when below
 * VMNET_POOL_LOW. Returns how many inodes were made. */
unsigned netd_pools_tend(const struct netd_state *st);

#endif
