/* SPDX-License-Identifier: MIT */
/*
 * What DELs leave for netd when no ADD takes it back (netd/reap.c): parked
 * taps (lib/park.c) once VMNET_PARK_AGE_S old, and doomed host ends
 * (lib/handoff.c) a DEL handed over that netd did not get to delete, once
 * VMNET_DOOMED_AGE_S old.
 */
#ifndef NETD_REAP_H
#define NETD_REAP_H

#include <stdbool.h>
#include <stdint.h>

struct netd_daemon;

/* At most one look per NETD_REAP_EVERY_MS but in a full pass: a look is a
 * dump of every link of the host namespace, and passes follow the events
 * of every call. */
#define NETD_REAP_EVERY_MS 1000

/* The look of a pass (@full: a full one); the counts go to the last pass's
 * parked and doomed. */
void netd_reap(struct netd_daemon *d, bool full);

/* When a look that a pass skipped is due (monotonic ms), 0 if none is. */
int64_t netd_reap_due(const struct netd_daemon *d);

#endif
