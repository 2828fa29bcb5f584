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

/* A namespace is dead only when two scans at least this far apart found
 * nothing holding it: one scan can race a process between clone() and
 * the bind mount that keeps its namespace (ip netns add, a runtime). */
#define NETNS_DEAD_MS 1000

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
	if (vmnet_grow(&l->v, &l->cap, l->n, sizeof(*l->v), 8) < 0)
		return -ENOMEM;
	snprintf(l->v[l->n].name, sizeof(l->v[l->n].name), "%s", network);
	l->v[l->n++].lock = -1;
	return 0;
}

int netd_list_nets(const char *state_dir, struct net **ret, size_t *ret_n)
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

int netd_read_one(const char *network, const char *path, void *data)
{
	struct items *l = data;
	struct vmnet_err e = { 0 };
	struct item *it;

	if (vmnet_grow(&l->v, &l->cap, l->n, sizeof(*l->v), 16) < 0)
		return -ENOMEM;
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

int netd_read_records(const char *state_dir, const char *network, bool locked,
			struct items *l)
{
	int r = vmnet_record_walk(state_dir, network, locked, netd_read_one, l);

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
		 struct vmnet_netns_scan **scan, struct netd_reconcile_stats *p)
{
	_cleanup_(vmnet_check_ctx_close) struct vmnet_check_ctx own = { 0 };
	_cleanup_(vmnet_netns_scan_freep) struct vmnet_netns_scan *own_scan = NULL;
	int64_t now = now_ms();
	bool any_live = false;

	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		struct netd_entry *e = netd_state_find_key(st, it->rec.network, it->rec.cid,
							   it->rec.ifname);
		struct vmnet_err ce = { 0 };

		it->absent_since = e ? e->absent_since : 0;
		probe_netns(it, scan ? scan : &own_scan, now, p);
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

void netd_act(struct item *items, size_t n, bool gone, const char *state_dir,
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

	if (vmnet_record_lock(st->state_dir, it->rec.network, NETD_PASS_LOCK_TIMEOUT_MS, &lock, &e) < 0) {
		p->busy = it->again = true;
		return;
	}
	if (vmnet_record_path(path, sizeof(path), st->state_dir, it->rec.network, it->rec.cid,
			      it->rec.ifname) < 0 ||
	    vmnet_record_read_path(path, &fresh.rec, &e) < 0) {
		it->gone = true; /* its DEL came first: no status to keep */
		return;
	}
	netd_assess(st, &fresh, 1, NULL, NULL, p);
	netd_act(&fresh, 1, true, st->state_dir, cni_path, p);
	netd_act(&fresh, 1, false, st->state_dir, cni_path, p);
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
