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
struct vmnet_netns_scan;

/* Short: the plugin holds a lock for one ADD/DEL, milliseconds. A busy
 * network is retried by the next pass rather than waited for. */
#define NETD_PASS_LOCK_TIMEOUT_MS 2000

/* A network folder of the state dir, and its lock while a pass holds it. */
struct net {
	char name[129];
	int lock;
};

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

/* The network folders of @state_dir, sorted (a fixed lock order). */
int netd_list_nets(const char *state_dir, struct net **ret, size_t *ret_n);
/* The records of @network into @l. @locked (its lock held): a record's
 * temporary file is then a killed writer's (its ADD wrote nothing else
 * before it) and goes. 0, or -ENOMEM. */
int netd_read_records(const char *state_dir, const char *network, bool locked, struct items *l);
/* One record file of @network into @items (struct items): 0, or -ENOMEM;
 * one that cannot be read is left out (a vmnet_record_walk_fn). */
int netd_read_one(const char *network, const char *path, void *items);
/* What assess decided: tear down what is gone (@gone), or repair what is
 * broken (the table is restored in between). */
void netd_act(struct item *items, size_t n, bool gone, const char *state_dir,
	      const char *cni_path, struct netd_reconcile_stats *p);

void netd_note_error(struct netd_reconcile_stats *p, const char *what, const struct vmnet_err *e);

/* Does table inet vmnet need a re-sync (missing, another version, or
 * lacking an element of a live item)? @why says why. Its two halves: the
 * table there at our version; every element of @items' live ones there (a
 * full pass in steps checks these a step's items at a time). */
bool netd_nft_table_ok(struct vmnet_nft *nft, char *why, size_t wsize);
bool netd_nft_items_ok(struct vmnet_nft *nft, const struct item *items, size_t n, char *why,
		       size_t wsize);
bool netd_nft_needs_sync(struct vmnet_nft *nft, struct item *items, size_t n, char *why,
			 size_t wsize);

/* Re-sync it from the live items when it needs one (and some are live). */
int netd_sync_nft(struct item *items, size_t n, bool any_live, struct netd_reconcile_stats *p);

struct vmnet_check_ctx;

/* Check @items (identity first), without acting: whether any is live.
 * @c: the handles the checks share (NULL: their own, closed after);
 * @scan: the namespace scan they share, made when first needed (NULL: their
 * own). */
bool netd_assess(struct netd_state *st, struct item *items, size_t n, struct vmnet_check_ctx *c,
		 struct vmnet_netns_scan **scan, struct netd_reconcile_stats *p);
/* Snapshots for a pass over many attachments: the host's devices and IPv4
 * addresses (a dump each, looked up) and our nftables sets; without them,
 * the checks ask the kernel device by device and key by key. */
void netd_check_ctx_snapshot(struct vmnet_check_ctx *c);
/* One of them (a full pass in steps takes each in a step: at 10,000
 * attachments the devices' dump and the table's each take ~100 ms). The
 * table's first: an element missing there makes the pass restore the
 * whole table, a device missing only the attachment's check again. */
enum netd_snap { NETD_SNAP_NFT, NETD_SNAP_LINKS, NETD_SNAP_ADDRS, NETD_SNAP_ALL };
void netd_check_ctx_snapshot_one(struct vmnet_check_ctx *c, enum netd_snap which);
/* Decide again under its network's lock on one item found gone or broken,
 * and act. */
void netd_settle_one(struct netd_state *st, const char *cni_path, struct item *it,
		     struct netd_reconcile_stats *p);
/* Close what netd_assess opened and forget the items, statuses unset. */
void netd_items_drop(struct items *l);
void netd_count(struct netd_reconcile_stats *p, int64_t t0, bool full, unsigned checked);

#endif
