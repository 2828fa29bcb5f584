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
 * That is a full pass. An incremental one (reconcile_incr.c) does the same
 * for the attachments events named only, and falls back to a full one for
 * what it cannot narrow down.
 */
#ifndef NETD_RECONCILE_H
#define NETD_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

struct vmnet_events;

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
	unsigned long pooled;	/* inodes put in pools (netd/pool.h), in all */
	/* Full passes read every record; incremental ones (events) only the
	 * attachments the events name. Durations in microseconds. */
	unsigned checked;	/* attachments looked at by the last pass */
	bool last_full;		/* the last pass was a full one */
	unsigned long full_passes, incr_passes;
	unsigned last_full_us, last_incr_us;
	unsigned last_full_checked, last_incr_checked;
	unsigned last_full_steps;	/* the loop served between them (full.c) */
	unsigned last_full_step_us;	/* its longest step (the whole pass when not in
					   steps): what a request may wait for it */
	unsigned long full_meanwhile;	/* records changed while a full pass ran,
					   read again after it */
	bool busy;		/* a network lock was busy: retry soon */
	bool recheck;		/* a namespace went unseen: scan again soon */
	char last_error[480];
};

/* What a pass looks at: every record (@all), or the attachments in @v.
 * A target marked @sentinel stands for its bridge's others: found broken,
 * they are all looked at (a full pass). */
struct netd_target {
	struct netd_key k;
	bool sentinel;
};

struct netd_targets {
	bool all;
	struct netd_target *v;
	size_t n, cap;
};

/* CLOCK_MONOTONIC in microseconds: what pass durations are measured in. */
int64_t netd_now_us(void);

/* A periodic full pass is a safety net (events drive the repairs): it
 * comes every @interval_s seconds, or NETD_FULL_SPACING times the last full
 * pass's length if that is longer, so that it takes at most 2 % of a CPU
 * (a full pass over 10,000 attachments takes over a second). ms. */
#define NETD_FULL_SPACING 50
int64_t netd_full_every_ms(const struct netd_reconcile_stats *p, unsigned interval_s);

/* Add one attachment (out of memory: @t->all). */
void netd_targets_add_rec(struct netd_targets *t, const struct vmnet_record *rec, bool sentinel);
/* What @ev's events name, mapped to the attachments of @st's cache: a link
 * by its name or alias (a bridge: one of its attachments, all of them when
 * it was deleted), a VM namespace by its nsid, a deleted nft element by the
 * guest address or host device in it. What names no recorded attachment is
 * left out; what cannot be mapped (an unknown namespace, a lost event, a
 * table-wide change) sets @t->all. */
void netd_targets_add_events(struct netd_targets *t, struct netd_state *st,
			     const struct vmnet_events *ev);
/* The records inotify said changed (netd_state_handle_events). */
void netd_targets_add_changes(struct netd_targets *t, const struct netd_state *st);
void netd_targets_free(struct netd_targets *t);

/* A pass over @t: a full one (netd_reconcile) if @t->all, else an
 * incremental one over the attachments @t names, that falls back to a full
 * one when the table needs restoring or a sentinel is broken. @t is then
 * emptied and given what the next pass must look at again (a namespace
 * to look for once more, a busy lock). Returns as netd_reconcile. */
int netd_reconcile_targets(struct netd_state *st, const char *cni_path, struct netd_targets *t,
			   struct netd_reconcile_stats *stats);

/* A full pass in steps (full.c), for netd's loop to serve DHCP, clients
 * and events in between. Begin: every record read (0, or a negative errno:
 * the state directory unreadable, @stats says so; out of memory). A step
 * checks records for about @budget_us: true once all are checked. End: the
 * rest of the pass, as netd_reconcile_full; it frees @f, and hands the
 * pass's device snapshot to *@links (NULL: none was taken) if @links. A pass begun and
 * not ended (netd exiting) is freed, acting on nothing. */
struct netd_full;
struct vmnet_link_snap;
int netd_full_begin(struct netd_state *st, struct netd_reconcile_stats *stats,
		    struct netd_full **ret);
bool netd_full_step(struct netd_full *f, int64_t budget_us);
void netd_full_end(struct netd_full *f, const char *cni_path, struct netd_targets *next,
		   struct vmnet_link_snap **links);
struct netd_full *netd_full_free(struct netd_full *f);

/* A full pass in one go; @next (may be NULL) gets what to look at again,
 * everything if the state directory cannot be read. */
int netd_reconcile_full(struct netd_state *st, const char *cni_path,
			struct netd_reconcile_stats *stats, struct netd_targets *next);

/* @cni_path: where IPAM plugins are found for releases. Updates @st's cache
 * and statuses and @stats. Returns 0, or a negative errno if the state
 * directory cannot be read at all. */
int netd_reconcile(struct netd_state *st, const char *cni_path,
		   struct netd_reconcile_stats *stats);

#endif
