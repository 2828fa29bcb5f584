/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"
#include "reconcile.h"
#include "reconcile_priv.h"
#include "repair.h"
#include "state.h"
#include "vmnet/attach.h"
#include "vmnet/common.h"
#include "vmnet/delegate.h"
#include "vmnet/err.h"
#include "vmnet/link.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "vmnet/netns.h"
#include "vmnet/nft.h"
#include "vmnet/nl.h"
#include "vmnet/nsid.h"
#include "vmnet/record.h"
#include "vmnet/teardown.h"

/* Short: the plugin holds a lock for one ADD/DEL, milliseconds. A busy
 * network is retried by the next pass rather than waited for. */
#define PASS_LOCK_TIMEOUT_MS 2000

/* A namespace is dead only when two scans at least this far apart found
 * nothing holding it: one scan can race a process between clone() and
 * the bind mount that keeps its namespace (ip netns add, a runtime). */
#define NETNS_DEAD_MS 1000

/* A full pass takes an unchanged record from the cache (netd_state_read),
 * but every this many it reads every file: what the cache holds is then
 * never older than that, whatever a file system makes of its stamps. */
#define FULL_READ_EVERY 10


struct net {
	char name[129];
	int lock;
};

static int64_t now_ms(void)
{
	return netd_now_us() / 1000;
}

static int cmp_net(const void *a, const void *b)
{
	return strcmp(((const struct net *)a)->name, ((const struct net *)b)->name);
}

struct nets {
	struct net *v;
	size_t n, cap;
};

static int add_net(const char *network, const char *dir, void *data)
{
	struct nets *l = data;

	(void)dir;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct net *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	snprintf(l->v[l->n].name, sizeof(l->v[l->n].name), "%s", network);
	l->v[l->n++].lock = -1;
	return 0;
}

/* Network directories of the state dir, sorted (a fixed lock order). */
static int list_nets(const char *state_dir, struct net **ret, size_t *ret_n)
{
	struct nets l = { 0 };
	int r = vmnet_record_walk_networks(state_dir, add_net, &l);

	if (r < 0) {
		free(l.v);
		return r;
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), cmp_net);
	*ret = l.v;
	*ret_n = l.n;
	return 0;
}

static int add_item(const char *network, const char *path, void *data)
{
	struct items *l = data;
	struct vmnet_err e = { 0 };
	struct item *it;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct item *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	it = &l->v[l->n];
	memset(it, 0, sizeof(*it));
	it->nsfd = -1;
	if (netd_state_read(l->cache, l->cache ? l->how : NETD_READ_FILE, network, path,
			    &it->rec, &it->stamp, &e) < 0) {
		/* Never act on a record we cannot read: the plugin's DEL
		 * knows how to remove it by name. */
		if (e.msg[0])
			netd_note_error(l->p, "unreadable record", &e);
		return 0;
	}
	l->n++;
	return 0;
}

/* The records of @network. @locked (its lock held): a record's temporary
 * file is then a killed writer's (its ADD wrote nothing else before it)
 * and goes. */
static int read_records(const char *state_dir, const char *network, bool locked,
			struct items *l)
{
	int r = vmnet_record_walk(state_dir, network, locked, add_item, l);

	return r == -ENOMEM ? r : 0;
}

/* The host end of a netns-wired attachment is a veth: it exists while its
 * peer does, and the kernel destroys the peer with its namespace. A live
 * veth of ours is proof that the namespace lives, seen or not. */
static bool veth_alive(const struct vmnet_record *rec)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *nl = NULL;
	struct vmnet_link_info info;
	char alias[256];
	int r;

	if (rec->wiring != VMNET_TAP_NETNS)
		return false;
	if (vmnet_nl_open(-1, &nl, NULL) < 0)
		return true; /* cannot tell: not a fact to tear down on */
	r = vmnet_link_get(nl, rec->host_if, &info, NULL);
	if (r < 0)
		return r != -ENODEV;
	vmnet_name_alias(alias, sizeof(alias), rec->network, rec->cid, rec->ifname);
	return !strcmp(info.kind, "veth") && !strcmp(info.alias, alias);
}

/* 1 if the nsid the host gave the namespace at ADD is no longer assigned:
 * the kernel frees it only when the namespace dies. */
static bool nsid_freed(const struct vmnet_record *rec)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *nl = NULL;

	return rec->host_nsid >= 0 && vmnet_nl_open(-1, &nl, NULL) == 0 &&
	       vmnet_nsid_exists(nl, rec->host_nsid, NULL) == 0;
}

static void unverified(struct item *it, const char *why)
{
	it->unverified = true;
	snprintf(it->status, sizeof(it->status), "unverified: namespace %.60s %.110s",
		 it->rec.netns, why);
}

/* Nothing the scan could see holds the namespace. Dead only on facts that
 * cannot be mistaken: a second scan NETNS_DEAD_MS later missing it too,
 * and, where some processes could not be inspected, its nsid freed. */
static void absent(struct item *it, bool incomplete, int64_t now, struct netd_reconcile_stats *p)
{
	if (veth_alive(&it->rec)) {
		it->absent_since = 0;
		unverified(it, "is not visible to netd, but its veth peer lives");
		return;
	}
	if (!it->absent_since)
		it->absent_since = now;
	if (now - it->absent_since < NETNS_DEAD_MS) {
		p->recheck = it->again = true;
		unverified(it, "is held by nothing netd can see (checking again)");
		return;
	}
	if (incomplete && !nsid_freed(&it->rec)) {
		unverified(it, "is held by nothing netd can see, but netd cannot inspect every "
			       "process and its nsid is still assigned");
		return;
	}
	it->gone = true;
	snprintf(it->why, sizeof(it->why), "namespace %.200s is gone: held by nothing for %lld ms%s",
		 it->rec.netns, (long long)(now - it->absent_since),
		 incomplete ? ", its nsid freed" : "");
}

/* Decide what this pass may do with the attachment's namespace: act in it
 * (nsfd proven), tear the host side down (gone), or leave it (unverified). */
static void probe_netns(struct item *it, struct vmnet_netns_scan **scan, int64_t now,
			struct netd_reconcile_stats *p)
{
	struct vmnet_err e = { 0 };
	bool incomplete;
	int r;

	if (!it->rec.netns[0])
		return;
	r = vmnet_netns_prove(it->rec.netns, &it->rec.netns_id, it->rec.boot_id, scan, &it->nsfd,
			      &incomplete, &e);
	if (r > 0) {
		it->absent_since = 0;
		return;
	}
	if (r == 0) {
		absent(it, incomplete, now, p);
		return;
	}
	it->absent_since = 0;
	if (r == -ESTALE) {
		/* Whatever the path names now is another namespace: gone,
		 * and nothing is done inside it (nsfd stays -1). */
		it->gone = true;
		snprintf(it->why, sizeof(it->why), "namespace %.150s is gone: %.120s",
			 it->rec.netns, e.msg);
		return;
	}
	unverified(it, e.msg);
}

static void teardown(struct item *it, const char *state_dir, const char *cni_path,
		     struct netd_reconcile_stats *p)
{
	const struct vmnet_record *rec = &it->rec;
	const struct vmnet_release how = { .cni_path = cni_path, .own_env = true };
	struct vmnet_err e = { 0 };
	char what[1024];

	snprintf(what, sizeof(what), "removing %.128s/%.256s@%s (%.300s)", rec->network, rec->cid,
		 rec->ifname, rec->pending ? "an ADD that did not finish" : it->why);
	log_info("%s", what);
	if (vmnet_teardown_record(state_dir, rec, it->nsfd, &how, &e) < 0) {
		netd_note_error(p, what, &e);
		snprintf(it->status, sizeof(it->status), "teardown failed: %.180s", e.msg);
		return;
	}
	p->removed++;
}

/* What each attachment needs, without acting: gone (tear the host side
 * down), broken (repair), unverified (leave alone) or nothing. Identity
 * first: only a proven namespace (or none at all) is checked. Returns
 * whether any record is live. */
bool netd_assess(struct netd_state *st, struct item *items, size_t n, struct vmnet_check_ctx *c,
		 struct netd_reconcile_stats *p)
{
	_cleanup_(vmnet_check_ctx_close) struct vmnet_check_ctx own = { 0 };
	_cleanup_(vmnet_netns_scan_freep) struct vmnet_netns_scan *scan = NULL;
	int64_t now = now_ms();
	bool any_live = false;

	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		struct netd_entry *e = netd_state_find_key(st, it->rec.network, it->rec.cid,
							   it->rec.ifname);
		struct vmnet_err ce = { 0 };

		it->absent_since = e ? e->absent_since : 0;
		probe_netns(it, &scan, now, p);
		/* A pending record read under its network's lock belongs to an
		 * ADD that died half way: undo it like a DEL. */
		if (it->rec.pending)
			it->gone = true;
		if (it->gone)
			continue;
		any_live = true;
		if (it->unverified || (it->rec.netns[0] && it->nsfd < 0))
			continue;
		if (vmnet_attach_check_in(c ? c : &own, &it->rec, it->nsfd, &ce) == 0) {
			snprintf(it->status, sizeof(it->status), "ok");
			continue;
		}
		it->broken = true;
		snprintf(it->why, sizeof(it->why), "%.290s", ce.msg);
	}
	return any_live;
}

/* What assess decided: tear down what is gone (@gone), or repair what is
 * broken (the table is restored in between). */
static void act(struct item *items, size_t n, bool gone, const char *state_dir,
		const char *cni_path, struct netd_reconcile_stats *p)
{
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		struct vmnet_err re = { 0 };
		char what[512];

		if (gone && it->gone)
			teardown(it, state_dir, cni_path, p);
		if (gone || !it->broken)
			continue;
		snprintf(what, sizeof(what), "repairing %s/%s@%s", it->rec.network, it->rec.cid,
			 it->rec.ifname);
		log_info("%s: %s", what, it->why);
		if (netd_repair(&it->rec, it->nsfd, &re) < 0) {
			netd_note_error(p, what, &re);
			snprintf(it->status, sizeof(it->status), "broken: %.180s", re.msg);
		} else {
			p->repaired++;
			snprintf(it->status, sizeof(it->status), "ok (repaired: %.160s)", it->why);
		}
	}
}

/* Lock every network and read its records; false if some were skipped. */
static bool lock_and_read(const char *state_dir, struct net *nets, size_t n_nets,
			  struct items *l)
{
	bool all_locked = true;

	for (size_t i = 0; i < n_nets; i++) {
		struct vmnet_err e = { 0 };

		if (vmnet_record_lock(state_dir, nets[i].name, PASS_LOCK_TIMEOUT_MS, &nets[i].lock,
				      &e) < 0) {
			all_locked = false;
			l->p->busy = true;
			log_info("skipping network %s this pass: %s", nets[i].name, e.msg);
			continue;
		}
		if (read_records(state_dir, nets[i].name, true, l) < 0) {
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

/* A look without any lock (the plugin's ADD and DEL never wait for it):
 * read every record and check the kernel. True when something needs the
 * locked pass: an attachment gone or broken, a leftover pending record, or
 * the table to restore. Concurrent calls can make a look see what is no
 * longer so; the locked pass decides again on what it reads under lock. */
enum look { LOOK_NOTHING, LOOK_ITEMS, LOOK_ALL };

static enum look look(struct netd_state *st, struct net *nets, size_t n_nets, struct items *l)
{
	_cleanup_(vmnet_check_ctx_close) struct vmnet_check_ctx c = { 0 };
	struct netd_reconcile_stats *p = l->p;
	bool any_live, need = false;
	char why[600];

	l->cache = st;
	l->how = p->full_passes % FULL_READ_EVERY ? NETD_READ_SETTLED : NETD_READ_FILE;
	/* Room for as many records as the cache has: growing by doubling
	 * would copy the items (each a whole record) over and over. */
	l->v = malloc((st->n + 16) * sizeof(*l->v));
	l->cap = l->v ? st->n + 16 : 0;
	for (size_t i = 0; i < n_nets; i++) {
		/* A free lock is taken just for the read: a killed ADD's
		 * temporary record file then goes on the way. */
		int lock = -1, r;

		vmnet_record_lock(st->state_dir, nets[i].name, 0, &lock, NULL);
		r = read_records(st->state_dir, nets[i].name, lock >= 0, l);
		if (lock >= 0)
			close(lock);
		if (r < 0)
			return LOOK_ALL;
	}
	/* After the records: a complete record's elements went in before it. */
	netd_check_ctx_snapshot(&c);
	any_live = netd_assess(st, l->v, l->n, &c, p);
	if (any_live && c.nft && netd_nft_needs_sync(c.nft, l->v, l->n, why, sizeof(why)))
		return LOOK_ALL;
	for (size_t i = 0; i < l->n; i++) {
		struct item *it = &l->v[i];

		if (it->gone && it->rec.pending && adding(st->state_dir, &it->rec))
			p->busy = it->again = true;
		else if (it->gone || it->broken)
			need = it->flagged = true;
	}
	return need ? LOOK_ITEMS : LOOK_NOTHING;
}

/* Decide again, under its network's lock, on the record of one item the
 * look flagged, and act: the plugin's ADD and DEL of that network wait only
 * for this one attachment's repair or teardown, not for a whole pass. */
void netd_settle_one(struct netd_state *st, const char *cni_path, struct item *it,
		     struct netd_reconcile_stats *p)
{
	_cleanup_close_ int lock = -1;
	struct item fresh = { .nsfd = -1 };
	struct vmnet_err e = { 0 };
	char path[PATH_MAX];

	if (vmnet_record_lock(st->state_dir, it->rec.network, PASS_LOCK_TIMEOUT_MS, &lock, &e) < 0) {
		p->busy = it->again = true;
		return;
	}
	if (vmnet_record_path(path, sizeof(path), st->state_dir, it->rec.network, it->rec.cid,
			      it->rec.ifname) < 0 ||
	    vmnet_record_read_path(path, &fresh.rec, &e) < 0) {
		it->gone = true; /* its DEL came first: no status to keep */
		return;
	}
	netd_assess(st, &fresh, 1, NULL, p);
	act(&fresh, 1, true, st->state_dir, cni_path, p);
	act(&fresh, 1, false, st->state_dir, cni_path, p);
	it->gone = fresh.gone;
	it->again |= fresh.again;
	it->absent_since = fresh.absent_since;
	memcpy(it->status, fresh.status, sizeof(it->status));
	if (fresh.nsfd >= 0)
		close(fresh.nsfd);
	vmnet_record_clear(&fresh.rec);
}

void netd_items_drop(struct items *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].nsfd >= 0)
			close(l->v[i].nsfd);
		vmnet_record_clear(&l->v[i].rec);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
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
	any_live = netd_assess(st, l->v, l->n, &c, p);
	act(l->v, l->n, true, st->state_dir, cni_path, p);
	/* The table holds every network's elements, so it is rebuilt only
	 * when every network is locked and its records known. */
	if (all_locked)
		netd_sync_nft(l->v, l->n, any_live, p);
	act(l->v, l->n, false, st->state_dir, cni_path, p);
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

int netd_reconcile_full(struct netd_state *st, const char *cni_path,
			struct netd_reconcile_stats *p, struct netd_targets *next)
{
	const char *state_dir = st->state_dir;
	struct items l = { .p = p };
	struct net *nets = NULL;
	size_t n_nets = 0;
	int64_t t0 = netd_now_us();
	enum look seen;
	unsigned checked;
	int r;

	p->repaired = p->removed = p->errors = p->synced = 0;
	p->busy = p->recheck = false;
	r = list_nets(state_dir, &nets, &n_nets);
	if (r < 0) {
		snprintf(p->last_error, sizeof(p->last_error), "reading %s: %s", state_dir,
			 strerror(-r));
		p->errors++;
		if (next)
			next->all = true;
		return r;
	}
	switch ((seen = look(st, nets, n_nets, &l))) {
	case LOOK_NOTHING:
		break;
	case LOOK_ITEMS:
		for (size_t i = 0; i < l.n; i++)
			if (l.v[i].flagged)
				netd_settle_one(st, cni_path, &l.v[i], p);
		p->locked++;
		break;
	case LOOK_ALL:
		netd_items_drop(&l);
		l.cache = NULL;
		locked_pass(st, nets, n_nets, cni_path, &l);
		p->locked++;
		break;
	}
	free(nets);
	checked = (unsigned)l.n;
	netd_aggregate_sync(l.v, l.n, p);
	carry(&l, next);
	finish(st, l.v, l.n, seen != LOOK_ALL, p);
	netd_count(p, t0, true, checked);
	return 0;
}

int netd_reconcile(struct netd_state *st, const char *cni_path, struct netd_reconcile_stats *p)
{
	return netd_reconcile_full(st, cni_path, p, NULL);
}
