/* SPDX-License-Identifier: MIT */
/*
 * The devices a DEL handed over (lib/handoff.c), deleted when no plugin
 * call is likely to be waiting. Deleting them holds RTNL for a millisecond
 * or two (unregister_netdevice_many's grace periods): right at the DEL's
 * release request, which is when the next call starts, that call's first
 * link request waited for it (1.9 ms of a 4.5 ms netns-wiring ADD with
 * netd, tests/bench/README.md). So netd queues them, with the namespace
 * the DEL proved, and deletes them once no request has come for
 * NETD_DOOMED_QUIET_MS (a gap between calls), or, under a steady stream of
 * calls, one per NETD_DOOMED_STEP_MS once the oldest waited
 * NETD_DOOMED_MAX_MS. A full queue deletes its oldest at once; netd's exit
 * deletes all. They carry nothing meanwhile (down, off the bridge, no
 * address), and a runtime that deletes the namespace takes them with it
 * once netd lets go of it.
 */
#ifndef NETD_DOOMED_H
#define NETD_DOOMED_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETD_DOOMED_QUEUE 64
#define NETD_DOOMED_QUIET_MS 30
#define NETD_DOOMED_MAX_MS 1000
#define NETD_DOOMED_STEP_MS 50

struct netd_doomed_q {
	struct {
		int nsfd;		/* the VM namespace (owned) */
		char tap[IFNAMSIZ];	/* the doomed tap's name in it */
		char what[400];		/* network/cid@ifname, for the log */
		int64_t at;		/* monotonic ms it was queued */
	} v[NETD_DOOMED_QUEUE];
	size_t n;
	int64_t last_request;		/* monotonic ms of the last request */
	int64_t last_removal;
	unsigned long removed;		/* deleted, since netd started */
};

void netd_doomed_init(struct netd_doomed_q *q);
/* A request arrived at @now: calls are running, wait for a gap. */
void netd_doomed_busy(struct netd_doomed_q *q, int64_t now);
/* Queue @tap's devices in the namespace @nsfd (borrowed: a copy is kept);
 * a full queue deletes its oldest first. False: no copy could be kept, they
 * were deleted now. */
bool netd_doomed_defer(struct netd_doomed_q *q, int nsfd, const char *tap, const char *what,
		       int64_t now);
/* When netd_doomed_tend has work next (monotonic ms), 0: none queued. */
int64_t netd_doomed_due(const struct netd_doomed_q *q);
/* Delete what is due at @now (everything with @all); how many went. */
unsigned netd_doomed_tend(struct netd_doomed_q *q, int64_t now, bool all);

#endif
