/* SPDX-License-Identifier: MIT */
/*
 * A full pass (reconcile.h), in steps. The record files are listed first
 * (each network's lock held, when free, only while its folder is listed);
 * then read, then checked, a step at a time, and netd's loop serves DHCP,
 * its clients and the kernel's events between two steps: a pass over
 * 10,000 attachments takes a second of CPU, which a guest's DHCP request or
 * a `netd status` used to wait for. At the end, as a pass in one go: what
 * the checks flagged is decided again under its network's lock and acted
 * on, the table restored if it needs it, and the cache made from what the
 * pass read; records that changed meanwhile are then read into it again
 * (a client's request may have read them between two steps), and checked
 * by the incremental pass after (their events wait for it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregate.h"
#include "reconcile.h"
#include "reconcile_priv.h"
#include "state.h"
#include "vmnet/attach.h"
#include "vmnet/common.h"
#include "vmnet/err.h"
#include "vmnet/log.h"
#include "vmnet/netns.h"
#include "vmnet/record.h"

/* A full pass takes an unchanged record from the cache (netd_state_read),
 * but every this many it reads every file: what the cache holds is then
 * never older than that, whatever a file system makes of its stamps. */
#define FULL_READ_EVERY 10

/* Records read or checked between two looks at the clock. */
#define STEP_ITEMS 16

/* What the look without locks found (look_decide). */
enum look { LOOK_NOTHING, LOOK_ITEMS, LOOK_ALL };

/* A record file to read, of nets[net]. */
struct rec_file {
	size_t net;
	char *path;
};

struct netd_full {
	struct netd_state *st;
	struct items l;
	struct net *nets;
	size_t n_nets;
	struct rec_file *files;		/* listed by begin, read by the steps */
	size_t n_files, cap_files, next_file;
	size_t cur_net;			/* the network being listed */
	struct vmnet_check_ctx c;	/* shared by the steps' checks */
	size_t next;			/* the first record not yet checked */
	bool any_live;
	bool unread;			/* a folder could not be read: LOOK_ALL */
	bool nft_lacks;			/* an item checked lacks an nftables element */
	enum netd_snap snapped;		/* the snapshots taken so far */
	int64_t spent_us;		/* in begin and the steps */
	unsigned steps;
};

/* Lock every network and read its records; false if some were skipped. */
static bool lock_and_read(const char *state_dir, struct net *nets, size_t n_nets,
			  struct items *l)
{
	bool all_locked = true;

	for (size_t i = 0; i < n_nets; i++) {
		struct vmnet_err e = { 0 };

		if (vmnet_record_lock(state_dir, nets[i].name, NETD_PASS_LOCK_TIMEOUT_MS, &nets[i].lock,
				      &e) < 0) {
			all_locked = false;
			l->p->busy = true;
			log_info("skipping network %s this pass: %s", nets[i].name, e.msg);
			continue;
		}
		if (netd_read_records(state_dir, nets[i].name, true, l) < 0) {
			all_locked = false;
			l->p->errors++;
		}
	}
	return all_locked;
}

/* The cache from the records the pass read, those it acted on (flagged)
 * read again (@adopt); else every record read again, after a pass that
 * locked everything. */
static void refresh_cache(struct netd_state *st, struct item *items, size_t n, bool adopt)
{
	struct vmnet_record **recs = adopt ? calloc(n ? n : 1, sizeof(*recs)) : NULL;
	const struct netd_stamp **stamps = adopt ? calloc(n ? n : 1, sizeof(*stamps)) : NULL;

	for (size_t i = 0; recs && stamps && i < n; i++) {
		recs[i] = &items[i].rec;
		stamps[i] = &items[i].stamp;
	}
	if (!recs || !stamps || netd_state_adopt(st, recs, stamps, n) < 0) {
		netd_state_load(st, NULL);
	} else {
		for (size_t i = 0; i < n; i++) {
			struct netd_key k;

			if (!items[i].flagged)
				continue;
			netd_key_of(&items[i].rec, &k);
			netd_state_refresh(st, &k);
		}
	}
	free(recs);
	free(stamps);
}

static void finish(struct netd_state *st, struct item *items, size_t n, bool adopt,
		   struct netd_reconcile_stats *p)
{
	refresh_cache(st, items, n, adopt);
	p->records = 0;
	for (size_t i = 0; i < n; i++) {
		if (!items[i].gone) {
			p->records++;
			netd_state_set_status(st, &items[i].rec, items[i].status,
					      items[i].absent_since);
		} else if (items[i].rec.host_nsid >= 0) {
			netd_state_nsid_note_gone(st, items[i].rec.host_nsid);
		}
		if (items[i].nsfd >= 0)
			close(items[i].nsfd);
		vmnet_record_clear(&items[i].rec);
	}
	free(items);
}

/* The pending record of an ADD still running is no leftover: its network's
 * lock is taken. */
static bool adding(const char *state_dir, const struct vmnet_record *rec)
{
	int fd = -1;

	if (vmnet_record_lock(state_dir, rec->network, 0, &fd, NULL) < 0)
		return true;
	close(fd);
	return false;
}

/* Every network locked (those that stay busy are skipped), records read
 * under the locks, decided again and acted on. */
static void locked_pass(struct netd_state *st, struct net *nets, size_t n_nets,
			const char *cni_path, struct items *l)
{
	_cleanup_(vmnet_check_ctx_close) struct vmnet_check_ctx c = { 0 };
	struct netd_reconcile_stats *p = l->p;
	bool all_locked, any_live;

	p->busy = p->recheck = false;
	all_locked = lock_and_read(st->state_dir, nets, n_nets, l);
	netd_check_ctx_snapshot(&c);
	any_live = netd_assess(st, l->v, l->n, &c, NULL, p);
	netd_act(l->v, l->n, true, st->state_dir, cni_path, p);
	/* The table holds every network's elements, so it is rebuilt only
	 * when every network is locked and its records known. */
	if (all_locked)
		netd_sync_nft(l->v, l->n, any_live, p);
	netd_act(l->v, l->n, false, st->state_dir, cni_path, p);
	for (size_t i = 0; i < n_nets; i++)
		if (nets[i].lock >= 0)
			close(nets[i].lock);
}

/* What the next pass should look at again: a namespace to look for once
 * more, a pending record whose ADD still runs; a busy lock, everything. */
static void carry(const struct items *l, struct netd_targets *next)
{
	if (!next)
		return;
	if (l->p->busy)
		next->all = true;
	for (size_t i = 0; i < l->n && !next->all; i++)
		if (l->v[i].again)
			netd_targets_add_rec(next, &l->v[i].rec, false);
}

static int add_file(const char *network, const char *path, void *data)
{
	struct netd_full *f = data;

	(void)network;
	if (vmnet_grow(&f->files, &f->cap_files, f->n_files, sizeof(*f->files), 64) < 0)
		return -ENOMEM;
	f->files[f->n_files].net = f->cur_net;
	f->files[f->n_files].path = strdup(path);
	if (!f->files[f->n_files].path)
		return -ENOMEM;
	f->n_files++;
	return 0;
}

/* The record files, listed without waiting for any lock: a free one is
 * taken just while its network's folder is listed (a killed ADD's
 * temporary record file then goes on the way), a busy one is not waited
 * for. The steps read them (look_read). */
static void look_list(struct netd_full *f)
{
	struct netd_state *st = f->st;
	struct items *l = &f->l;

	l->cache = st;
	l->how = l->p->full_passes % FULL_READ_EVERY ? NETD_READ_SETTLED : NETD_READ_FILE;
	for (size_t i = 0; i < f->n_nets && !f->unread; i++) {
		int lock = -1;

		vmnet_record_lock(st->state_dir, f->nets[i].name, 0, &lock, NULL);
		f->cur_net = i;
		f->unread = vmnet_record_walk(st->state_dir, f->nets[i].name, lock >= 0, add_file,
					      f) == -ENOMEM;
		if (lock >= 0)
			close(lock);
	}
	/* Room for every record listed: growing by doubling would copy the
	 * items (each a whole record) over and over. */
	l->v = malloc((f->n_files + 1) * sizeof(*l->v));
	l->cap = l->v ? f->n_files + 1 : 0;
}

/* Read listed records until @deadline (netd_now_us); then, all read, the
 * snapshots, one at a time until the deadline: the table's after the
 * records, as a complete record's elements went in before it. True once
 * there is nothing left to read or take. */
static bool look_read(struct netd_full *f, int64_t deadline)
{
	bool did = false;	/* a call makes some headway, whatever the deadline */

	while (f->next_file < f->n_files && !f->unread) {
		const struct rec_file *rf = &f->files[f->next_file++];

		did = true;
		f->unread = netd_read_one(f->nets[rf->net].name, rf->path, &f->l) < 0;
		if (f->next_file < f->n_files && f->next_file % STEP_ITEMS == 0 &&
		    netd_now_us() >= deadline)
			return false;
	}
	while (f->snapped < NETD_SNAP_ALL) {
		if (did && netd_now_us() >= deadline)
			return false;
		netd_check_ctx_snapshot_one(&f->c, f->snapped++);
		did = true;
	}
	return true;
}

/* After the checks of the look (no lock held; the plugin's ADD and DEL
 * never wait for it): whether something needs the locked pass, an
 * attachment gone or broken, a leftover pending record, or the table to
 * restore. Concurrent calls can make a look see what is no longer so; the
 * locked pass decides again on what it reads under lock. */
static enum look look_decide(struct netd_full *f)
{
	struct items *l = &f->l;
	bool need = false;
	char why[600];

	if (f->unread)
		return LOOK_ALL;
	if (f->any_live && f->c.nft && (f->nft_lacks || !netd_nft_table_ok(f->c.nft, why, sizeof(why))))
		return LOOK_ALL;
	for (size_t i = 0; i < l->n; i++) {
		struct item *it = &l->v[i];

		if (it->gone && it->rec.pending && adding(f->st->state_dir, &it->rec))
			l->p->busy = it->again = true;
		else if (it->gone || it->broken)
			need = it->flagged = true;
	}
	return need ? LOOK_ITEMS : LOOK_NOTHING;
}

struct netd_full *netd_full_free(struct netd_full *f)
{
	if (!f)
		return NULL;
	netd_items_drop(&f->l);
	vmnet_check_ctx_close(&f->c);
	for (size_t i = 0; i < f->n_files; i++)
		free(f->files[i].path);
	free(f->files);
	free(f->nets);
	free(f);
	return NULL;
}

int netd_full_begin(struct netd_state *st, struct netd_reconcile_stats *p, struct netd_full **ret)
{
	int64_t t0 = netd_now_us();
	struct netd_full *f = calloc(1, sizeof(*f));
	int r;

	p->repaired = p->removed = p->errors = p->synced = 0;
	p->busy = p->recheck = false;
	if (!f)
		return -ENOMEM;
	f->st = st;
	f->l.p = p;
	r = netd_list_nets(st->state_dir, &f->nets, &f->n_nets);
	if (r < 0) {
		snprintf(p->last_error, sizeof(p->last_error), "reading %s: %s", st->state_dir,
			 strerror(-r));
		p->errors++;
		netd_full_free(f);
		return r;
	}
	look_list(f);
	f->spent_us = netd_now_us() - t0;
	*ret = f;
	return 0;
}

bool netd_full_step(struct netd_full *f, int64_t budget_us)
{
	_cleanup_(vmnet_netns_scan_freep) struct vmnet_netns_scan *scan = NULL;
	int64_t t0 = netd_now_us(), now = t0;
	char why[600];

	/* A namespace scan at most per step: one made at the first step
	 * would grow old over a long pass. */
	f->steps++;
	if (f->snapped < NETD_SNAP_ALL) {
		/* Deadline overflow: the budget of a pass in one go is INT64_MAX. */
		bool all = look_read(f, budget_us > INT64_MAX - t0 ? INT64_MAX : t0 + budget_us);

		now = netd_now_us();
		if (!all || now - t0 >= budget_us) {
			f->spent_us += now - t0;
			return f->unread;
		}
	}
	while (f->next < f->l.n && !f->unread) {
		size_t k = f->l.n - f->next < STEP_ITEMS ? f->l.n - f->next : STEP_ITEMS;

		f->any_live |= netd_assess(f->st, &f->l.v[f->next], k, &f->c, &scan, f->l.p);
		/* Their nftables elements against the snapshot: the end
		 * (look_decide) only reads the verdict. */
		if (f->c.nft && !f->nft_lacks)
			f->nft_lacks = !netd_nft_items_ok(f->c.nft, &f->l.v[f->next], k, why, sizeof(why));
		f->next += k;
		now = netd_now_us();
		if (now - t0 >= budget_us)
			break;
	}
	f->spent_us += now - t0;
	return f->next == f->l.n || f->unread;
}

/* Act on what the look decided: settle the flagged items one by one under
 * their network's lock, or decide again on everything under every lock. */
static void settle(struct netd_full *f, enum look seen, const char *cni_path)
{
	struct items *l = &f->l;

	switch (seen) {
	case LOOK_NOTHING:
		break;
	case LOOK_ITEMS:
		for (size_t i = 0; i < l->n; i++)
			if (l->v[i].flagged)
				netd_settle_one(f->st, cni_path, &l->v[i], l->p);
		l->p->locked++;
		break;
	case LOOK_ALL:
		netd_items_drop(l);
		l->cache = NULL;
		locked_pass(f->st, f->nets, f->n_nets, cni_path, l);
		l->p->locked++;
		break;
	}
}

/* The records that changed while the pass ran (their events noted, and
 * maybe read into the cache by a DHCP request between two steps): the
 * cache made from what the pass read has an older copy or none. Read
 * again; the next incremental pass checks them. */
static void meanwhile(struct netd_state *st, struct netd_reconcile_stats *p)
{
	for (size_t i = 0; i < st->n_changed && !st->changed_all; i++)
		netd_state_refresh(st, &st->changed[i]);
	p->full_meanwhile += st->n_changed;
}

void netd_full_end(struct netd_full *f, const char *cni_path, struct netd_targets *next,
		   struct vmnet_link_snap **links)
{
	struct netd_reconcile_stats *p = f->l.p;
	int64_t t0 = netd_now_us() - f->spent_us;
	enum look seen;
	unsigned checked;

	seen = look_decide(f);
	/* The checks' handles (the table's snapshot) are the look's only; the
	 * devices' snapshot may serve the look at parked taps (netd/reap.h). */
	if (links) {
		*links = f->c.links;
		f->c.links = NULL;
	}
	vmnet_check_ctx_close(&f->c);
	settle(f, seen, cni_path);
	checked = (unsigned)f->l.n;
	netd_aggregate_sync(f->l.v, f->l.n, p);
	carry(&f->l, next);
	finish(f->st, f->l.v, f->l.n, seen != LOOK_ALL, p);
	f->l.v = NULL;
	f->l.n = 0;
	meanwhile(f->st, p);
	p->last_full_steps = f->steps;
	netd_count(p, t0, true, checked);
	netd_full_free(f);
}

int netd_reconcile_full(struct netd_state *st, const char *cni_path,
			struct netd_reconcile_stats *p, struct netd_targets *next)
{
	struct netd_full *f = NULL;
	int r = netd_full_begin(st, p, &f);

	if (r < 0) {
		if (next)
			next->all = true;
		return r;
	}
	netd_full_step(f, INT64_MAX);
	netd_full_end(f, cni_path, next, NULL);
	return 0;
}

int netd_reconcile(struct netd_state *st, const char *cni_path, struct netd_reconcile_stats *p)
{
	return netd_reconcile_full(st, cni_path, p, NULL);
}
