/* SPDX-License-Identifier: MIT */
/*
 * netd's in-memory view of the attachment records, kept current by inotify
 * on the state directory (a record that appears is answered for at once,
 * before any reconcile pass) and refreshed by every pass. The records on
 * disk stay the truth: this is a cache for lookups (DHCP, lease, list).
 */
#ifndef NETD_STATE_H
#define NETD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stamp.h"
#include "vmnet/names.h"
#include "vmnet/record.h"

struct vmnet_err;

struct netd_entry {
	struct vmnet_record rec;	/* ipam_result/netconf dropped: not needed here */
	char status[200];		/* last reconcile verdict: "ok", "repaired", ... */
	int64_t absent_since;		/* monotonic ms since which no scan found its
					   namespace, 0 = found (kept across passes) */
	char *ipam_pool;		/* its vmnet-ipam store's inode pool, or NULL */
	struct netd_stamp stamp;	/* of the file @rec was read from (ino 0: none) */
	bool kept;			/* in a new cache as it was (state_load.c) */
};

/* One attachment: the key of its record. */
struct netd_key {
	char network[VMNET_NETNAME_MAX + 1];
	char cid[257];
	char ifname[IFNAMSIZ];
};

/* The cache's secondary indexes (state_index.c): entry pointers sorted by
 * host device, guest address of either family, and VM namespace id. */
enum netd_ix {
	NETD_IX_HOST_IF, NETD_IX_GUEST4, NETD_IX_GUEST6, NETD_IX_NSID,
	NETD_IX_CONF,	/* the entries that keep their network config, by network */
	NETD_IX_N
};
struct netd_index {
	struct netd_entry **v[NETD_IX_N];
	size_t n[NETD_IX_N], cap[NETD_IX_N];
	bool dirty; /* out of step (a load, or out of memory): rebuilt when asked */
};

#define NETD_GONE_NSIDS 256
#define NETD_GONE_NSID_MS 10000

struct netd_state {
	char *state_dir;
	struct netd_entry **v;
	size_t n, cap;
	struct netd_index ix;
	int ino_fd;			/* inotify, -1 if not watching */
	int *wds;			/* watch descriptor -> network dir index */
	char (*wd_net)[VMNET_NETNAME_MAX + 1];
	size_t n_wd, cap_wd;
	int root_wd;
	/* What inotify said changed since netd_state_forget_changes(): these
	 * records (written or removed), or, when it could not say (an
	 * overflow, a new network), changed_all. */
	struct netd_key *changed;
	size_t n_changed, cap_changed;
	bool changed_all;
	/* Records events named that are not read yet (netd_state_flush). */
	struct netd_key *dirty;
	size_t n_dirty, cap_dirty;
	/* The nsids of the last records removed (a ring), and when: events
	 * from their namespaces (a DEL's devices going) concern no attachment
	 * for NETD_GONE_NSID_MS (the kernel gives a dead namespace's id to
	 * the next one that needs one). */
	int gone_nsid[NETD_GONE_NSIDS];
	int64_t gone_at[NETD_GONE_NSIDS];
	unsigned n_gone_nsid;
};

int netd_state_init(struct netd_state *st, const char *state_dir, struct vmnet_err *err);
void netd_state_free(struct netd_state *st);

/* Re-read every record (keeps the statuses of those that stay). */
int netd_state_load(struct netd_state *st, struct vmnet_err *err);
/* The same from @n records a pass has just read, every one there is, in
 * place of reading them again: their JSON moves into the cache (the rest
 * of each record stays with the caller). -ENOMEM leaves the cache as it
 * was. */
/* The cache from the records a full pass found (@stamps[i]: @recs[i]'s, or
 * NULL): an entry whose file is unchanged is kept as it is. */
int netd_state_adopt(struct netd_state *st, struct vmnet_record *const *recs,
		     const struct netd_stamp *const *stamps, size_t n);

/* The inotify fd to poll; netd_state_handle_events() reads what is pending
 * and updates the cache. Returns 1 if anything changed, 0 if not. It is
 * netd_state_note_events(), which reads a record new to the cache at once
 * and notes the cached ones the events name (each once, however many
 * events do: a rewrite is two, an ADD three rewrites), returning 1 if
 * any, then netd_state_flush(), which reads each noted record again (or
 * forgets it). The loop only notes; the pass and every reader of the cache
 * flush first. */
int netd_state_fd(const struct netd_state *st);
int netd_state_handle_events(struct netd_state *st);
int netd_state_note_events(struct netd_state *st);
int netd_state_flush(struct netd_state *st);

void netd_state_forget_changes(struct netd_state *st);
/* Did a record removed lately have the namespace with id @nsid? */
bool netd_state_nsid_gone(const struct netd_state *st, int nsid);
/* A record of the namespace with id @nsid was removed (by a pass). */
void netd_state_nsid_note_gone(struct netd_state *st, int nsid);

/* Re-read the record of @k into the cache, or forget it if it is gone;
 * not noted as a change. */
void netd_state_refresh(struct netd_state *st, const struct netd_key *k);

/* @rec's key. */
void netd_key_of(const struct vmnet_record *rec, struct netd_key *k);
/* @k from a record's file name in @network, "<cid>@<ifname>.json"; false
 * if @name is none. */
bool netd_key_of_name(const char *network, const char *name, struct netd_key *k);

/* Where a pass takes a record from (netd_state_read). */
enum netd_read {
	NETD_READ_FILE,		/* its file, always */
	NETD_READ_SETTLED,	/* the cache's copy when the file's stamp is the one
				   the cache read it with and settled (stamp.h): a
				   full pass, which may follow lost events */
	NETD_READ_FLUSHED,	/* the cache's copy when the file's stamp is the one
				   the cache read it with: a pass right after a
				   flush, when a later change's events are still to
				   come and bring another pass */
};

/* The record at @path (a file of @network) into @ret as vmnet_record_read_path
 * would give it, or, as @how allows, the cache's copy: the same but for its
 * JSON, of which the cache keeps only what a pass reads (state_load.c:
 * the IPAM result's routes, an aggregate route's network config).
 * Whatever acts on a record reads its file again under its network's
 * lock. @ret_stamp: the file's stamp, taken before any read.
 * 1 from the cache, 0 from the file, else as vmnet_record_read_path. */
int netd_state_read(struct netd_state *st, enum netd_read how, const char *network,
		    const char *path, struct vmnet_record *ret, struct netd_stamp *ret_stamp,
		    struct vmnet_err *err);

/* Lookups; NULL if none. @ifname NULL or "" matches the first attachment of
 * @cid (sorted by network, then ifname). */
struct netd_entry *netd_state_find(struct netd_state *st, const char *cid, const char *ifname);
/* The index of the first entry after @i (< st->n) of another network than
 * @i's: the cache is sorted by network first. */
size_t netd_state_network_end(const struct netd_state *st, size_t i);
struct netd_entry *netd_state_find_key(struct netd_state *st, const char *network,
				       const char *cid, const char *ifname);
/* The record with guest MAC @mac whose host side is the device @dev (the
 * bridge or the host device in shared mode, the host device in isolated). */
struct netd_entry *netd_state_find_mac(struct netd_state *st, const uint8_t mac[6],
				       const char *dev);

/* The entries whose host device is @name, guest address @ip (IPv4, IPv6)
 * or VM namespace id @nsid: *ret and how many (a range of an index, valid
 * until the cache changes); -ENOMEM when the index could not be made. */
ssize_t netd_state_with_host_if(struct netd_state *st, const char *name,
				struct netd_entry *const **ret);
ssize_t netd_state_with_guest4(struct netd_state *st, uint32_t ip, struct netd_entry *const **ret);
ssize_t netd_state_with_guest6(struct netd_state *st, const struct in6_addr *ip,
			       struct netd_entry *const **ret);
ssize_t netd_state_with_nsid(struct netd_state *st, int nsid, struct netd_entry *const **ret);
/* Every entry of index @kind (with IPv6: NETD_IX_GUEST6; keeping its
 * network config: NETD_IX_CONF), without a walk over the cache; -ENOMEM. */
ssize_t netd_state_all_of(struct netd_state *st, enum netd_ix kind, struct netd_entry *const **ret);
/* state_index.c, for state.c: @e in and out of the indexes, all again. */
void netd_index_add(struct netd_index *ix, struct netd_entry *e);
void netd_index_del(struct netd_index *ix, const struct netd_entry *e);
void netd_index_rebuild(struct netd_index *ix, struct netd_entry *const *v, size_t n);
void netd_index_free(struct netd_index *ix);

/* Set the verdict of @rec's entry (no-op if there is none). */
void netd_state_set_status(struct netd_state *st, const struct vmnet_record *rec,
			   const char *status, int64_t absent_since);

/* Is @name a directory entry of a record ("<cid>@<ifname>.json")? */
bool netd_state_is_record_name(const char *name);

#endif
