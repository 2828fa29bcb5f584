/* SPDX-License-Identifier: MIT */
/*
 * Deferred deletion of the devices DELs handed over (netd/doomed.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "doomed.h"
#include "vmnet/attach.h"
#include "vmnet/clock.h"
#include "vmnet/err.h"
#include "vmnet/log.h"

void netd_doomed_init(struct netd_doomed_q *q)
{
	memset(q, 0, sizeof(*q));
}

void netd_doomed_busy(struct netd_doomed_q *q, int64_t now)
{
	q->last_request = now;
}

/* Delete @tap's devices in @nsfd, proven ours by their alias and group
 * (vmnet_attach_doomed_remove): the one way netd deletes what a DEL
 * handed over. */
static void remove_one(struct netd_doomed_q *q, int nsfd, const char *tap, const char *what)
{
	struct vmnet_err e = { 0 };

	if (vmnet_attach_doomed_remove(nsfd, tap, &e) < 0) {
		log_warn("removing the devices of %s: %s", what, e.msg);
		return;
	}
	log_debug("removed the devices of %s a DEL handed over", what);
	q->removed++;
}

/* The oldest, then its namespace let go of. */
static void remove_oldest(struct netd_doomed_q *q)
{
	remove_one(q, q->v[0].nsfd, q->v[0].tap, q->v[0].what);
	close(q->v[0].nsfd);
	q->n--;
	memmove(&q->v[0], &q->v[1], q->n * sizeof(q->v[0]));
}

bool netd_doomed_defer(struct netd_doomed_q *q, int nsfd, const char *tap, const char *what,
		       int64_t now)
{
	int fd;

	/* Full: the oldest goes now, as the DEL would have deleted it. */
	if (q->n == NETD_DOOMED_QUEUE)
		remove_oldest(q);
	fd = fcntl(nsfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		remove_one(q, nsfd, tap, what);
		return false;
	}
	q->v[q->n].nsfd = fd;
	snprintf(q->v[q->n].tap, sizeof(q->v[q->n].tap), "%s", tap);
	snprintf(q->v[q->n].what, sizeof(q->v[q->n].what), "%s", what);
	q->v[q->n].at = now;
	q->n++;
	return true;
}

int64_t netd_doomed_due(const struct netd_doomed_q *q)
{
	int64_t quiet, step;

	if (!q->n)
		return 0;
	quiet = q->last_request + NETD_DOOMED_QUIET_MS;
	step = q->v[0].at + NETD_DOOMED_MAX_MS;
	if (step < q->last_removal + NETD_DOOMED_STEP_MS)
		step = q->last_removal + NETD_DOOMED_STEP_MS;
	return quiet < step ? quiet : step;
}

unsigned netd_doomed_tend(struct netd_doomed_q *q, int64_t now, bool all)
{
	unsigned n = 0;

	if (all) {
		for (; q->n; n++)
			remove_oldest(q);
		return n;
	}
	/* One at a time: a deletion blocks netd for the kernel's
	 * rcu_barrier, and a request that comes meanwhile ends the gap. In
	 * a gap between calls, the oldest; under a stream of calls, the
	 * overdue ones a step apart. */
	if (q->n && (now >= q->last_request + NETD_DOOMED_QUIET_MS ||
		     (now >= q->v[0].at + NETD_DOOMED_MAX_MS &&
		      now >= q->last_removal + NETD_DOOMED_STEP_MS))) {
		remove_oldest(q);
		q->last_removal = vmnet_mono_ms();
		n = 1;
	}
	return n;
}
