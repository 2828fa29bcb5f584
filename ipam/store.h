/* SPDX-License-Identifier: MIT */
/*
 * The store the allocator works over, and its on-disk implementation.
 *
 * On disk it is host-local's layout, which stays the source of truth:
 * <dataDir>/<net>/<ip> (O_EXCL, 0600, "<id>\r\n<ifname>"), last_reserved_ip.N
 * and a flock()ed "lock" file. Beside it, in <dataDir>/<net>/.vmnet/ (which
 * host-local never reads as a record), two derived indexes keep ADD and DEL
 * independent of the number of allocations:
 *   o/<16 hex>       owner index: "<id>\n<ifname>\n<ip>\n..." per attachment
 *   map.<net>_<len>  one bit per address of an IPv4 subnet, mmap'ed: set = taken
 *   stamp            the directory's mtime/ctime/size after our last change
 * Any change we did not make (host-local, a crash) changes the directory's
 * timestamps; the next operation sees the stamp differ and rebuilds both
 * indexes with one scan. The O_EXCL create stays the final arbiter.
 * IPv6 records are named by the address's canonical text (fd88::2), as
 * host-local names them. IPv6 subnets get no free-map (a /64 has 2^64
 * addresses): the next free address is found by probing forward from
 * last_reserved_ip, one stat per reservation in the way.
 */
#ifndef VMNET_IPAM_STORE_H
#define VMNET_IPAM_STORE_H

#include <stdint.h>

#include "vmnet/inet.h"
#include "conf.h"

struct vmnet_err;
struct vmnet_ipam_store;

struct vmnet_ipam_store_ops {
	/* Record @ip for @o: 0, or -EEXIST (no error set) when anyone holds it. */
	int (*reserve)(struct vmnet_ipam_store *s, vmnet_ipam_ip ip, const struct vmnet_ipam_owner *o,
		       struct vmnet_err *err);
	/* Drop @ip if @o still holds it; absent is success. */
	int (*release)(struct vmnet_ipam_store *s, vmnet_ipam_ip ip, const struct vmnet_ipam_owner *o,
		       struct vmnet_err *err);
	/* Holder of @ip, or -ENOENT when free. */
	int (*owner)(struct vmnet_ipam_store *s, vmnet_ipam_ip ip, struct vmnet_ipam_owner *ret,
		     struct vmnet_err *err);
	/* Up to @max addresses held by exactly @o; returns the count. */
	int (*find)(struct vmnet_ipam_store *s, const struct vmnet_ipam_owner *o, vmnet_ipam_ip *ips,
		    unsigned max, struct vmnet_err *err);
	/* Lowest @step-aligned block in [@from, @hi] of @subnet that the store
	 * believes free (a hint; reserve decides), or -ENOSPC. */
	int (*next_free)(struct vmnet_ipam_store *s, const struct vmnet_ipam_prefix *subnet,
			 vmnet_ipam_ip from, vmnet_ipam_ip hi, vmnet_ipam_ip step, vmnet_ipam_ip *ret,
			 struct vmnet_err *err);
	/* Forget cached knowledge about @subnet (after next_free found nothing). */
	int (*refresh)(struct vmnet_ipam_store *s, const struct vmnet_ipam_prefix *subnet,
		       struct vmnet_err *err);
	/* Round-robin cursor of range set @set: -ENOENT when none. */
	int (*last_get)(struct vmnet_ipam_store *s, unsigned set, vmnet_ipam_ip *ret);
	int (*last_set)(struct vmnet_ipam_store *s, unsigned set, vmnet_ipam_ip ip,
			struct vmnet_err *err);
	/* Call @cb for each owner holding an address (GC). */
	int (*owners)(struct vmnet_ipam_store *s,
		      int (*cb)(const struct vmnet_ipam_owner *o, void *u), void *u,
		      struct vmnet_err *err);
	/* Rebuild derived knowledge from the reservations themselves (GC). */
	int (*rescan)(struct vmnet_ipam_store *s, struct vmnet_err *err);
	/* Free every reservation that names no owner (a crash mid-write, a
	 * damaged or planted file); returns how many. */
	int (*sweep)(struct vmnet_ipam_store *s, struct vmnet_err *err);
};

struct vmnet_ipam_store {
	const struct vmnet_ipam_store_ops *ops;
};

struct vmnet_ipam_disk;

/* Open <dir>/<net>, creating it (0755), and take its lock, waiting up to
 * @timeout_ms (code 11 after). Rebuilds the indexes if the stamp differs.
 * The store is s->base; release with vmnet_ipam_disk_close(). */
int vmnet_ipam_disk_open(const char *dir, const char *net, int timeout_ms,
			 struct vmnet_ipam_disk **ret, struct vmnet_err *err);
struct vmnet_ipam_store *vmnet_ipam_disk_store(struct vmnet_ipam_disk *d);
/* Record the stamp (unless a store operation failed half-way), unlock,
 * free. NULL-safe. */
void vmnet_ipam_disk_close(struct vmnet_ipam_disk *d);
/* How many times the indexes were rebuilt by open (tests). */
unsigned vmnet_ipam_disk_rebuilds(const struct vmnet_ipam_disk *d);

static inline void vmnet_ipam_disk_closep(struct vmnet_ipam_disk **d)
{
	vmnet_ipam_disk_close(*d);
}

#endif
