/* SPDX-License-Identifier: MIT */
/*
 * Incremental passes: an event names a link, a VM namespace, an nft element
 * or a record; only the attachments it names are read, proven and checked
 * (netd_assess), and settled under their network's lock, as a full pass
 * does for all of them. A full pass stays the answer to what cannot be
 * narrowed down (a lost event, a table-wide change, a table that needs
 * restoring) and runs at the interval (main.c).
 */
#include <arpa/inet.h>
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
#include "vmnet/err.h"
#include "vmnet/events.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "vmnet/nft.h"

/* More than this many attachments named at once: a full pass is cheaper
 * than a look at each. */
#define TARGETS_MAX 4096

static void add_key(struct netd_targets *t, const struct netd_key *k, bool sentinel)
{
	if (t->all)
		return;
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].k.cid, k->cid) && !strcmp(t->v[i].k.ifname, k->ifname) &&
		    !strcmp(t->v[i].k.network, k->network)) {
			t->v[i].sentinel &= sentinel;
			return;
		}
	if (t->n >= TARGETS_MAX) {
		t->all = true;
		return;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct netd_target *v = realloc(t->v, cap * sizeof(*v));

		if (!v) {
			t->all = true;
			return;
		}
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n].k = *k;
	t->v[t->n++].sentinel = sentinel;
}

void netd_targets_add_rec(struct netd_targets *t, const struct vmnet_record *rec, bool sentinel)
{
	struct netd_key k;

	netd_key_of(rec, &k);
	add_key(t, &k, sentinel);
}

void netd_targets_free(struct netd_targets *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* "vmnet:<network>/<cid>/<ifname>" (names.h) of a recorded attachment;
 * NULL for another alias (a parked or doomed device's, "vmnet:-..."). */
static const struct netd_entry *by_alias(const struct netd_state *st, const char *alias)
{
	size_t pl = strlen(VMNET_ALIAS_PREFIX);
	const char *net = alias + pl, *cid, *ifn;
	struct netd_key k;

	if (strncmp(alias, VMNET_ALIAS_PREFIX, pl) || *net == '-')
		return NULL;
	cid = strchr(net, '/');
	ifn = cid ? strrchr(cid + 1, '/') : NULL;
	if (!ifn || (size_t)(cid - net) >= sizeof(k.network) ||
	    (size_t)(ifn - cid - 1) >= sizeof(k.cid) || strlen(ifn + 1) >= sizeof(k.ifname))
		return NULL;
	memset(&k, 0, sizeof(k));
	memcpy(k.network, net, (size_t)(cid - net));
	memcpy(k.cid, cid + 1, (size_t)(ifn - cid - 1));
	memcpy(k.ifname, ifn + 1, strlen(ifn + 1));
	return netd_state_find_key((struct netd_state *)st, k.network, k.cid, k.ifname);
}

/* Each entry of @v (@n of them, or -ENOMEM: the index could not be made,
 * so a full pass decides) as a target. */
static void add_range(struct netd_targets *t, struct netd_entry *const *v, ssize_t n)
{
	if (n < 0)
		t->all = true;
	for (ssize_t i = 0; i < n; i++)
		netd_targets_add_rec(t, &v[i]->rec, false);
}

/* A link of the host namespace: the attachment whose host device it is
 * (by name, or by alias when renamed); a bridge: one of its attachments
 * stands for the bridge, all of them when it was deleted (each lost its
 * port). A link no record names (a parked or doomed device, another
 * manager's bridge) concerns no attachment. */
static void by_link(struct netd_targets *t, struct netd_state *st, const struct vmnet_event *e)
{
	const struct netd_entry *a = e->alias[0] ? by_alias(st, e->alias) : NULL;
	struct netd_entry *const *v = NULL;
	ssize_t n;

	if (a)
		netd_targets_add_rec(t, &a->rec, false);
	n = netd_state_with_host_if(st, e->name, &v);
	add_range(t, v, n);
	if (!e->bridge)
		return;
	for (size_t i = 0; i < st->n; i++) {
		const struct vmnet_record *r = &st->v[i]->rec;

		if (r->mode == VMNET_MODE_SHARED && !strcmp(r->bridge, e->name)) {
			netd_targets_add_rec(t, r, !e->del);
			if (!e->del)
				return;
		}
	}
}

/* Not an attachment's device: one vmnet is still creating (renamed once
 * done, which is an event of its own), or one parked or doomed. */
static bool passing(const char *name)
{
	return !strncmp(name, VMNET_PREFIX_TEMP, strlen(VMNET_PREFIX_TEMP)) ||
	       !strncmp(name, VMNET_PREFIX_DOOMED, strlen(VMNET_PREFIX_DOOMED)) ||
	       !strncmp(name, VMNET_PREFIX_PARKED, strlen(VMNET_PREFIX_PARKED));
}

/* A VM namespace's link or forwarding change: the attachment whose device in it
 * (veth end or tap) has that name, else every attachment in it (the nsid
 * the host gave it at ADD). One of an attachment removed lately (its DEL's
 * devices going) concerns none; an unknown namespace wants a full pass. */
static void by_netns(struct netd_targets *t, struct netd_state *st, const struct vmnet_event *e)
{
	struct netd_entry *const *v = NULL;
	ssize_t n = 0;
	bool named = false;

	if (e->name[0] && passing(e->name))
		return;
	n = netd_state_with_nsid(st, e->nsid, &v);
	if (n < 0) {
		t->all = true;
		return;
	}
	for (ssize_t i = 0; i < n && e->name[0]; i++) {
		const struct vmnet_record *r = &v[i]->rec;

		if (!strcmp(r->ifname, e->name) || !strcmp(r->tap_name, e->name)) {
			netd_targets_add_rec(t, r, false);
			named = true;
		}
	}
	if (!named)
		add_range(t, v, n);
	if (!n && !netd_state_nsid_gone(st, e->nsid)) {
		log_debug("an event of the namespace with id %d, not an attachment's: full pass",
			  e->nsid);
		t->all = true;
	}
}

/* The attachments @b (an element's key or data: fields 4-byte aligned)
 * names by guest address (either family) or host device. Every element an
 * attachment needs holds one of them (lib/nft_elems.c). */
static void by_bytes(struct netd_targets *t, struct netd_state *st, const uint8_t *b, size_t len)
{
	for (size_t off = 0; off + 4 <= len && !t->all; off += 4) {
		struct netd_entry *const *v = NULL;
		size_t sl = strnlen((const char *)b + off, len - off);
		char name[IFNAMSIZ];
		uint32_t be;
		ssize_t n;

		memcpy(&be, b + off, 4);
		n = netd_state_with_guest4(st, ntohl(be), &v);
		add_range(t, v, n);
		if (off + 16 <= len) {
			struct in6_addr a6;

			memcpy(&a6, b + off, 16);
			n = netd_state_with_guest6(st, &a6, &v);
			add_range(t, v, n);
		}
		/* A device name: NUL-terminated inside @b. */
		if (sl && sl < sizeof(name) && off + sl < len) {
			memcpy(name, b + off, sl);
			name[sl] = '\0';
			n = netd_state_with_host_if(st, name, &v);
			add_range(t, v, n);
		}
	}
}

/* An element that left a set of ours: whose was it? One no recorded
 * attachment's address or device is in was none's (its DEL took it). */
static void by_elem(struct netd_targets *t, struct netd_state *st, const struct vmnet_event *e)
{
	by_bytes(t, st, e->key, e->key_len);
	by_bytes(t, st, e->data, e->data_len);
}

void netd_targets_add_events(struct netd_targets *t, struct netd_state *st,
			     const struct vmnet_events *ev)
{
	if (ev->all)
		t->all = true;
	for (size_t i = 0; i < ev->n && !t->all; i++) {
		switch (ev->v[i].kind) {
		case VMNET_EV_LINK:
			by_link(t, st, &ev->v[i]);
			break;
		case VMNET_EV_NETNS:
			by_netns(t, st, &ev->v[i]);
			break;
		case VMNET_EV_ELEM:
			by_elem(t, st, &ev->v[i]);
			break;
		}
	}
}

void netd_targets_add_changes(struct netd_targets *t, const struct netd_state *st)
{
	if (st->changed_all)
		t->all = true;
	for (size_t i = 0; i < st->n_changed && !t->all; i++)
		add_key(t, &st->changed[i], false);
}

/* The records of @t; a target without one (its DEL came first) is none.
 * The events that named them were just flushed into the cache, so its copy
 * of an unchanged file is the record (a change since brings its own
 * events, and another pass). */
static int read_targets(struct netd_state *st, const struct netd_targets *t, struct items *l)
{
	l->v = calloc(t->n ? t->n : 1, sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		const struct netd_key *k = &t->v[i].k;
		struct item *it = &l->v[l->n];
		struct vmnet_err e = { 0 };
		char path[4096];

		it->nsfd = -1;
		if (vmnet_record_path(path, sizeof(path), st->state_dir, k->network, k->cid,
				      k->ifname) < 0 ||
		    netd_state_read(st, NETD_READ_FLUSHED, k->network, path, &it->rec, &it->stamp,
				    &e) < 0) {
			if (e.msg[0])
				netd_note_error(l->p, "unreadable record", &e);
			continue;
		}
		it->sentinel = t->v[i].sentinel;
		l->n++;
	}
	return 0;
}

static bool table_whole(struct vmnet_nft *nft)
{
	int ver = 0;

	return vmnet_nft_table_version(nft, &ver, NULL) > 0 && ver == VMNET_NFT_VERSION;
}

/* An element missing while the attachment's ADD or DEL runs (a DEL takes
 * the elements before the record) is no damage: once each item's network
 * lock is free, its record is read again, or the item is gone. False if
 * none is left. */
static bool after_calls(const struct netd_state *st, struct items *l)
{
	bool left = false;

	for (size_t i = 0; i < l->n; i++) {
		struct item *it = &l->v[i];
		struct vmnet_record fresh;
		char path[4096];
		int fd = -1;

		if (it->gone)
			continue;
		vmnet_record_lock(st->state_dir, it->rec.network, 2000, &fd, NULL);
		if (fd >= 0)
			close(fd);
		if (vmnet_record_path(path, sizeof(path), st->state_dir, it->rec.network,
				      it->rec.cid, it->rec.ifname) < 0 ||
		    vmnet_record_read_path(path, &fresh, NULL) < 0) {
			it->gone = true;
			continue;
		}
		vmnet_record_clear(&it->rec);
		it->rec = fresh;
		left = true;
	}
	return left;
}

/* The table whole for these items, and no sentinel broken: else a full
 * pass decides (and restores the table under every network's lock). */
static bool needs_full(const struct netd_state *st, struct items *l, struct vmnet_check_ctx *c)
{
	bool any_live = false;
	char why[600];

	for (size_t i = 0; i < l->n; i++) {
		/* (A pending record is an ADD's: not the bridge's fault.) */
		if (l->v[i].sentinel && (l->v[i].broken || (l->v[i].gone && !l->v[i].rec.pending))) {
			log_debug("%s/%s@%s stands for its bridge and needs work: full pass",
				  l->v[i].rec.network, l->v[i].rec.cid, l->v[i].rec.ifname);
			return true;
		}
		any_live |= !l->v[i].gone;
	}
	if (!any_live || (!c->nft && vmnet_nft_open(-1, &c->nft, NULL) < 0))
		return false;
	if (!netd_nft_needs_sync(c->nft, l->v, l->n, why, sizeof(why)))
		return false;
	if (table_whole(c->nft) && !after_calls(st, l))
		return false;
	if (!netd_nft_needs_sync(c->nft, l->v, l->n, why, sizeof(why)))
		return false;
	log_debug("full pass: %s", why);
	return true;
}

/* The aggregate routes want every record of their networks: the cache
 * keeps those records' configs (state.c), shallow copies here. */
static void aggregate_from_cache(struct netd_state *st, struct netd_reconcile_stats *p)
{
	struct netd_entry *const *e;
	ssize_t n = netd_state_all_of(st, NETD_IX_CONF, &e);
	struct item *v;

	if (n < 0 || !(v = calloc(n ? (size_t)n : 1, sizeof(*v))))
		return;
	for (ssize_t i = 0; i < n; i++)
		v[i].rec = e[i]->rec;
	netd_aggregate_sync(v, (size_t)n, p);
	free(v);
}

/* The cache follows what the pass did; statuses of what it looked at. */
static void finish_some(struct netd_state *st, struct items *l, struct netd_targets *next)
{
	for (size_t i = 0; i < l->n; i++) {
		struct item *it = &l->v[i];
		struct netd_key k;

		netd_key_of(&it->rec, &k);
		/* What the pass left alone is as the cache has it. */
		if (it->gone || it->broken)
			netd_state_refresh(st, &k);
		if (!it->gone)
			netd_state_set_status(st, &it->rec, it->status, it->absent_since);
		if (it->again)
			netd_targets_add_rec(next, &it->rec, false);
		if (it->nsfd >= 0)
			close(it->nsfd);
		vmnet_record_clear(&it->rec);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* What the look found gone or broken, decided again under its network's
 * lock. A pending record whose ADD still runs (its lock taken) is looked
 * at again by the next pass. */
static void settle(struct netd_state *st, const char *cni_path, struct items *l)
{
	bool locked = false;

	for (size_t i = 0; i < l->n; i++) {
		struct item *it = &l->v[i];
		int fd = -1;

		if (!it->gone && !it->broken)
			continue;
		if (it->gone && it->rec.pending) {
			if (vmnet_record_lock(st->state_dir, it->rec.network, 0, &fd, NULL) < 0) {
				l->p->busy = it->again = true;
				continue;
			}
			close(fd);
		}
		netd_settle_one(st, cni_path, it, l->p);
		locked = true;
	}
	l->p->locked += locked;
}

int netd_reconcile_targets(struct netd_state *st, const char *cni_path, struct netd_targets *t,
			   struct netd_reconcile_stats *p)
{
	_cleanup_(vmnet_check_ctx_close) struct vmnet_check_ctx c = { 0 };
	struct items l = { .p = p };
	int64_t t0 = netd_now_us();
	bool full = t->all;
	unsigned checked;

	p->repaired = p->removed = p->errors = p->synced = 0;
	p->busy = p->recheck = false;
	for (size_t i = 0; i < t->n && i < 8 && !full; i++)
		log_debug("incremental pass: %s/%s@%s%s", t->v[i].k.network, t->v[i].k.cid,
			  t->v[i].k.ifname, t->v[i].sentinel ? " (for its bridge)" : "");
	if (!full && read_targets(st, t, &l) < 0)
		full = true;
	t->n = 0;
	t->all = false;
	if (!full) {
		netd_assess(st, l.v, l.n, &c, NULL, p);
		full = needs_full(st, &l, &c);
	}
	if (full) {
		netd_items_drop(&l);
		return netd_reconcile_full(st, cni_path, p, t);
	}
	settle(st, cni_path, &l);
	checked = (unsigned)l.n;
	finish_some(st, &l, t);
	aggregate_from_cache(st, p);
	p->records = (unsigned)st->n;
	netd_count(p, t0, false, checked);
	return 0;
}
