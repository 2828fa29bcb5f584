/* SPDX-License-Identifier: MIT */
/*
 * Filling the inode pools (netd/pool.h). Only entries are added here, never
 * taken: a plugin takes them under the lock of the folder they become part
 * of, and a new name never collides with one it renames. netd takes no lock:
 * filling a pool costs an inode allocation per entry, and a lock held that
 * long would make the ADDs of the network wait for it. So each entry comes
 * into view whole (vmnet_pool_fill): a taker never gets one netd is still
 * writing.
 *
 * The last DEL of a network drops its record pool (a network without
 * attachments leaves only its lock). A fill racing that DEL could leave a
 * pool behind, so after filling netd looks again: no record left, it drops
 * the pool itself. Either the DEL's drop comes after netd's fill, or netd's
 * look comes after the DEL's removal of the record.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmnet/common.h"
#include "vmnet/log.h"
#include "vmnet/pool.h"
#include "vmnet/record.h"
#include "pool.h"
#include "state.h"

/* Fill pool folder @path (made if @create) when it runs low. */
static unsigned tend_one(const char *path, bool create)
{
	_cleanup_close_ int pfd = -1;
	int r;

	pfd = vmnet_pool_open(AT_FDCWD, path, create);
	if (pfd < 0 || vmnet_pool_count(pfd, VMNET_POOL_LOW) >= VMNET_POOL_LOW)
		return 0;
	r = vmnet_pool_fill(pfd, VMNET_POOL_FILL);
	if (r < 0) {
		log_warn("filling the inode pool %s: %s", path, strerror(-r));
		return 0;
	}
	return (unsigned)r;
}

unsigned netd_pools_tend(const struct netd_state *st)
{
	unsigned made = 0;

	/* The cache is sorted by network: one visit per network, the next
	 * one found by a binary search, not by a walk over every entry. */
	for (size_t i = 0; i < st->n; i = netd_state_network_end(st, i)) {
		const struct vmnet_record *rec = &st->v[i]->rec;
		char path[PATH_MAX];

		if (vmnet_record_dir(path, sizeof(path) - sizeof("/" VMNET_POOL_DIR), st->state_dir,
				     rec->network) == 0) {
			strcat(path, "/" VMNET_POOL_DIR);
			unsigned k = tend_one(path, true);

			if (k && !vmnet_record_others(st->state_dir, rec->network, "", "", NULL))
				vmnet_pool_drop(AT_FDCWD, path);
			made += k;
		}
		if (st->v[i]->ipam_pool)
			made += tend_one(st->v[i]->ipam_pool, false);
	}
	return made;
}
