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
struct vmnet_events;

/* A look is a dump of every tap of the host namespace (or, see below, a
 * look-up of the parking slots in use), and passes follow
 * the events of every call: an incremental pass looks only when a link
 * event since the last look named a parked or doomed device, or that look
 * left some to age out; and at most once per NETD_REAP_EVERY_MS. A full
 * pass always looks (netd's start, lost events, the interval); one in
 * steps finds the slots in use and the doomed devices in the snapshot of
 * the devices its checks took (d->full_links), and looks each up again. */
#define NETD_REAP_EVERY_MS 1000

/* An incremental pass's look at the parked taps goes by name (a request
 * per slot up to the highest one taken) while that is fewer than the
 * attachments by this factor: a dump costs the kernel and netd a fraction
 * of a request per device, and with host wiring every attachment is a tap
 * the dump returns. */
#define NETD_REAP_BY_NAME_RATIO 4

/* The look of a pass (@full: a full one); the counts go to the last pass's
 * parked and doomed. */
void netd_reap(struct netd_daemon *d, bool full);
/* Note the link events of @ev that name a parked or doomed device (before
 * the pass that reads them). */
void netd_reap_note(struct netd_daemon *d, const struct vmnet_events *ev);

/* When a look that a pass skipped is due (monotonic ms), 0 if none is. */
int64_t netd_reap_due(const struct netd_daemon *d);

#endif
