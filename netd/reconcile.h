/* SPDX-License-Identifier: MIT */
/*
 * One level-triggered reconcile pass: make the kernel match the records.
 * First a look without any lock (the plugin's ADD/DEL/GC never wait for
 * it): every record read, its namespace proven, the kernel checked. What
 * it finds gone or broken is decided again and acted on one attachment at
 * a time under its network's lock (ADD/DEL of that network wait for that
 * one only); only when table inet vmnet needs restoring does a pass decide
 * again on every record under every network's lock:
 *   1. a record whose VM namespace is proven gone is torn down like DEL
 *      (devices, elements, IPAM address, record; the bridge with the last
 *      one); one whose namespace cannot be proven either way is left alone
 *      and reported "unverified";
 *   2. inet vmnet is re-synced in one atomic batch if it is missing, of an
 *      older version, or lacks an element of a live record;
 *   3. every live record whose namespace is proven the one its ADD saw
 *      (vmnet_netns_prove) is checked and, on a mismatch, repaired.
 * Only objects named and aliased as ours are ever touched
 * (doc/how-it-works.md, "Safety and failure").
 */
#ifndef NETD_RECONCILE_H
#define NETD_RECONCILE_H

#include <stdbool.h>
#include <stdint.h>

struct netd_state;

struct netd_reconcile_stats {
	int64_t at;		/* unix seconds of the last pass, 0 = none yet */
	unsigned duration_ms;
	unsigned records;	/* live records seen */
	unsigned synced;	/* passes that re-synced the table */
	unsigned repaired, removed, errors;	/* in the last pass */
	unsigned long passes, total_repaired, total_removed, total_synced;
	unsigned long locked;	/* passes that took the network locks: a look
				   without them found something to do */
	unsigned parked;	/* parked taps left after the pass (lib/park.c) */
	unsigned doomed;	/* doomed host ends left, too young (handoff.h) */
	bool busy;		/* a network lock was busy: retry soon */
	bool recheck;		/* a namespace went unseen: scan again soon */
	char last_error[480];
};

/* @cni_path: where IPAM plugins are found for releases. Updates @st's cache
 * and statuses and @stats. Returns 0, or a negative errno if the state
 * directory cannot be read at all. */
int netd_reconcile(struct netd_state *st, const char *cni_path,
		   struct netd_reconcile_stats *stats);

#endif
