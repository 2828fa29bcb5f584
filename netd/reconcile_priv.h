/* SPDX-License-Identifier: MIT */
/*
 * What reconcile.c and reconcile_nft.c share: the pass's view of one record.
 */
#ifndef NETD_RECONCILE_PRIV_H
#define NETD_RECONCILE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reconcile.h"
#include "state.h"
#include "vmnet/record.h"

struct vmnet_nft;

struct item {
	struct vmnet_record rec;
	struct netd_stamp stamp;	/* of its file when read (ino 0: none) */
	int nsfd;		/* proven to be the record's namespace; -1: none */
	bool gone;		/* tear down the host side (never inside the namespace
				   unless nsfd is set) */
	bool unverified;	/* the namespace could not be proven: leave it alone */
	bool broken;		/* the kernel does not match the record: repair */
	bool flagged;		/* the look found it gone or broken: decide under lock */
	bool again;		/* look at it again soon (absent namespace, busy lock) */
	bool sentinel;		/* stands for its bridge's attachments (netd_target) */
	int64_t absent_since;	/* monotonic ms of the first scan that missed it */
	char why[300];		/* why gone */
	char status[200];
};

struct items {
	struct item *v;
	size_t n, cap;
	struct netd_reconcile_stats *p;
	struct netd_state *cache;	/* records may come from it (netd_state_read) */
	enum netd_read how;		/* as this allows; NETD_READ_FILE without one */
};

void netd_note_error(struct netd_reconcile_stats *p, const char *what, const struct vmnet_err *e);

/* Does table inet vmnet need a re-sync (missing, another version, or
 * lacking an element of a live item)? @why says why. */
bool netd_nft_needs_sync(struct vmnet_nft *nft, struct item *items, size_t n, char *why,
			 size_t wsize);

/* Re-sync it from the live items when it needs one (and some are live). */
int netd_sync_nft(struct item *items, size_t n, bool any_live, struct netd_reconcile_stats *p);

struct vmnet_check_ctx;

/* Check @items (identity first), without acting: whether any is live.
 * @c: the handles the checks share (NULL: their own, closed after). */
bool netd_assess(struct netd_state *st, struct item *items, size_t n, struct vmnet_check_ctx *c,
		 struct netd_reconcile_stats *p);
/* Open @c's nftables handle with a snapshot of our sets (a pass over many
 * attachments); without one, the checks ask the kernel key by key. */
void netd_check_ctx_snapshot(struct vmnet_check_ctx *c);
/* Decide again under its network's lock on one item found gone or broken,
 * and act. */
void netd_settle_one(struct netd_state *st, const char *cni_path, struct item *it,
		     struct netd_reconcile_stats *p);
/* Close what netd_assess opened and forget the items, statuses unset. */
void netd_items_drop(struct items *l);
void netd_count(struct netd_reconcile_stats *p, int64_t t0, bool full, unsigned checked);
/* A full pass; @next (may be NULL) gets what to look at again. */
int netd_reconcile_full(struct netd_state *st, const char *cni_path,
			struct netd_reconcile_stats *p, struct netd_targets *next);

#endif
