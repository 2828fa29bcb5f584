/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reconcile.h"
#include "repair.h"
#include "state.h"
#include "vmnet/attach.h"
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

struct item {
	struct vmnet_record rec;
	int nsfd;		/* proven to be the record's namespace; -1: none */
	bool gone;		/* tear down the host side (never inside the namespace
				   unless nsfd is set) */
	bool unverified;	/* the namespace could not be proven: leave it alone */
	int64_t absent_since;	/* monotonic ms of the first scan that missed it */
	char why[300];		/* why gone */
	char status[200];
};

struct net {
	char name[129];
	int lock;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cmp_net(const void *a, const void *b)
{
	return strcmp(((const struct net *)a)->name, ((const struct net *)b)->name);
}

static void note_error(struct netd_reconcile_stats *p, const char *what, const struct vmnet_err *e)
{
	p->errors++;
	snprintf(p->last_error, sizeof(p->last_error), "%.200s: %.270s", what, e->msg);
	log_warn("%.200s: %.270s", what, e->msg);
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

struct items {
	struct item *v;
	size_t n, cap;
	struct netd_reconcile_stats *p;
};

static int add_item(const char *network, const char *path, void *data)
{
	struct items *l = data;
	struct vmnet_err e = { 0 };
	struct item *it;

	(void)network;
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
	if (vmnet_record_read_path(path, &it->rec, &e) < 0) {
		/* Never act on a record we cannot read: the plugin's DEL
		 * knows how to remove it by name. */
		if (e.msg[0])
			note_error(l->p, "unreadable record", &e);
		return 0;
	}
	l->n++;
	return 0;
}

/* The records of @network, under its lock: a record's temporary file is
 * then a killed writer's (its ADD wrote nothing else before it) and goes. */
static int read_records(const char *state_dir, const char *network, struct items *l)
{
	int r = vmnet_record_walk(state_dir, network, true, add_item, l);

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
		p->recheck = true;
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
		note_error(p, what, &e);
		snprintf(it->status, sizeof(it->status), "teardown failed: %.180s", e.msg);
		return;
	}
	p->removed++;
}

static bool nft_needs_sync(struct vmnet_nft *nft, struct item *items, size_t n, char *why,
			   size_t wsize)
{
	struct vmnet_nft_att att;
	struct vmnet_err e = { 0 };
	int ver = 0, r;

	r = vmnet_nft_table_version(nft, &ver, &e);
	if (r < 0) {
		snprintf(why, wsize, "reading the table: %s", e.msg);
		return true;
	}
	if (r == 0) {
		snprintf(why, wsize, "table inet vmnet is missing");
		return true;
	}
	if (ver != VMNET_NFT_VERSION) {
		snprintf(why, wsize, "table inet vmnet has version %d, not %d", ver,
			 VMNET_NFT_VERSION);
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		if (items[i].gone)
			continue;
		vmnet_attach_nft_att(&items[i].rec, &att);
		vmnet_err_clear(&e);
		if (vmnet_nft_check(nft, &att, &e) < 0) {
			snprintf(why, wsize, "%.64s/%.64s@%s: %.300s", items[i].rec.network, items[i].rec.cid,
				 items[i].rec.ifname, e.msg);
			return true;
		}
	}
	return false;
}

static int sync_nft(struct item *items, size_t n, bool any_live, struct netd_reconcile_stats *p)
{
	_cleanup_(vmnet_nft_closep) struct vmnet_nft *nft = NULL;
	struct vmnet_nft_att *atts = NULL;
	struct vmnet_err e = { 0 };
	size_t na = 0;
	char why[600];
	int r;

	r = vmnet_nft_open(-1, &nft, &e);
	if (r < 0) {
		note_error(p, "nftables", &e);
		return r;
	}
	/* With no attachment at all there is nothing to restore: an absent
	 * table is then the plugin's business, not ours. */
	if (!any_live || !nft_needs_sync(nft, items, n, why, sizeof(why)))
		return 0;
	for (size_t i = 0; i < n; i++)
		na += !items[i].gone;
	atts = calloc(na ? na : 1, sizeof(*atts));
	if (!atts)
		return -ENOMEM;
	na = 0;
	for (size_t i = 0; i < n; i++)
		if (!items[i].gone)
			vmnet_attach_nft_att(&items[i].rec, &atts[na++]);
	log_info("restoring inet vmnet with %zu attachments: %s", na, why);
	r = vmnet_nft_sync(nft, atts, na, &e);
	free(atts);
	if (r < 0) {
		note_error(p, "restoring inet vmnet", &e);
		return r;
	}
	p->synced++;
	p->total_synced++;
	return 0;
}

/* Gone records are torn down; the rest stay live (unverified ones too:
 * their elements stay in the table, nothing else is done for them).
 * Returns whether any record is live. */
static bool settle(struct netd_state *st, struct item *items, size_t n, const char *cni_path,
		   struct netd_reconcile_stats *p)
{
	_cleanup_(vmnet_netns_scan_freep) struct vmnet_netns_scan *scan = NULL;
	int64_t now = now_ms();
	bool any_live = false;

	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		struct netd_entry *e = netd_state_find_key(st, it->rec.network, it->rec.cid,
							   it->rec.ifname);

		it->absent_since = e ? e->absent_since : 0;
		probe_netns(it, &scan, now, p);
		/* A pending record read under its network's lock belongs to an
		 * ADD that died half way: undo it like a DEL. */
		if (it->rec.pending)
			it->gone = true;
		if (it->gone)
			teardown(it, st->state_dir, cni_path, p);
		else
			any_live = true;
	}
	return any_live;
}

static void repair_all(struct item *items, size_t n, struct netd_reconcile_stats *p)
{
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		struct vmnet_err e = { 0 }, re = { 0 };
		char what[512];

		/* Identity first, then action: only a proven namespace (or
		 * none at all) is checked or repaired. */
		if (it->gone || it->unverified || (it->rec.netns[0] && it->nsfd < 0))
			continue;
		if (vmnet_attach_check(&it->rec, it->nsfd, &e) == 0) {
			snprintf(it->status, sizeof(it->status), "ok");
			continue;
		}
		snprintf(what, sizeof(what), "repairing %s/%s@%s", it->rec.network, it->rec.cid,
			 it->rec.ifname);
		log_info("%s: %s", what, e.msg);
		if (netd_repair(&it->rec, it->nsfd, &re) < 0) {
			note_error(p, what, &re);
			snprintf(it->status, sizeof(it->status), "broken: %.180s", re.msg);
		} else {
			p->repaired++;
			snprintf(it->status, sizeof(it->status), "ok (repaired: %.160s)", e.msg);
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
		if (read_records(state_dir, nets[i].name, l) < 0) {
			all_locked = false;
			l->p->errors++;
		}
	}
	return all_locked;
}

static void finish(struct netd_state *st, struct item *items, size_t n,
		   struct netd_reconcile_stats *p)
{
	netd_state_load(st, NULL);
	p->records = 0;
	for (size_t i = 0; i < n; i++) {
		if (!items[i].gone) {
			p->records++;
			netd_state_set_status(st, &items[i].rec, items[i].status,
					      items[i].absent_since);
		}
		if (items[i].nsfd >= 0)
			close(items[i].nsfd);
		vmnet_record_clear(&items[i].rec);
	}
	free(items);
}

/* The pass's totals and its log line. */
static void count(struct netd_reconcile_stats *p, int64_t t0)
{
	p->passes++;
	p->total_repaired += p->repaired;
	p->total_removed += p->removed;
	p->at = (int64_t)time(NULL);
	p->duration_ms = (unsigned)(now_ms() - t0);
	if (p->repaired || p->removed || p->synced || p->errors)
		log_info("pass: %u records, %u repaired, %u removed, table %s, %u errors, %u ms",
			 p->records, p->repaired, p->removed, p->synced ? "restored" : "ok",
			 p->errors, p->duration_ms);
	else
		log_debug("pass: %u records, all in place, %u ms", p->records, p->duration_ms);
}

int netd_reconcile(struct netd_state *st, const char *cni_path, struct netd_reconcile_stats *p)
{
	const char *state_dir = st->state_dir;
	struct items l = { .p = p };
	struct net *nets = NULL;
	size_t n_nets = 0;
	int64_t t0 = now_ms();
	bool all_locked, any_live;
	int r;

	p->repaired = p->removed = p->errors = p->synced = 0;
	p->busy = p->recheck = false;
	r = list_nets(state_dir, &nets, &n_nets);
	if (r < 0) {
		snprintf(p->last_error, sizeof(p->last_error), "reading %s: %s", state_dir,
			 strerror(-r));
		p->errors++;
		return r;
	}
	all_locked = lock_and_read(state_dir, nets, n_nets, &l);
	any_live = settle(st, l.v, l.n, cni_path, p);
	/* The table holds every network's elements, so it is rebuilt only
	 * when every network is locked and its records known. */
	if (all_locked)
		sync_nft(l.v, l.n, any_live, p);
	repair_all(l.v, l.n, p);
	for (size_t i = 0; i < n_nets; i++)
		if (nets[i].lock >= 0)
			close(nets[i].lock);
	free(nets);
	finish(st, l.v, l.n, p);
	count(p, t0);
	return 0;
}
