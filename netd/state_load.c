/* SPDX-License-Identifier: MIT */
/*
 * The record cache's entries from the records (state.h): read one, load
 * every network's, or adopt what a full pass read.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "state_priv.h"
#include "vmnet/err.h"
#include "vmnet/ipam.h"
#include "vmnet/log.h"

/* The cache keeps a record's JSON only where netd's passes need it
 * without reading the record: the network config for its aggregate route,
 * the IPAM result for the routes the check looks for in the VM. */
static void drop_json(struct vmnet_record *rec)
{
	json_t *conf = rec->netconf &&
				       json_is_true(json_object_get(rec->netconf, "aggregateRoute"))
			       ? json_incref(rec->netconf)
			       : NULL;
	json_t *res = json_array_size(json_object_get(rec->ipam_result, "routes"))
			      ? json_incref(rec->ipam_result)
			      : NULL;

	/* Only the JSON: vmnet_record_clear would free the ports too. */
	json_decref(rec->ipam_result);
	json_decref(rec->netconf);
	rec->ipam_result = res;
	rec->netconf = conf;
}

/* An entry for a copy of @rec (which stays the caller's). */
struct netd_entry *netd_entry_of(const struct vmnet_record *rec)
{
	struct netd_entry *e = calloc(1, sizeof(*e));
	char pool[PATH_MAX];

	if (!e)
		return NULL;
	if (vmnet_record_copy(&e->rec, rec) < 0) {
		free(e);
		return NULL;
	}
	if (vmnet_ipam_pool_dir(e->rec.netconf, pool, sizeof(pool)) == 0)
		e->ipam_pool = strdup(pool);
	drop_json(&e->rec);
	snprintf(e->status, sizeof(e->status), "pending");
	return e;
}

struct netd_entry *netd_entry_read(const char *path)
{
	struct vmnet_record rec = {0};
	struct vmnet_err err = {0};
	struct netd_stamp stamp;
	struct netd_entry *e;

	netd_stamp_take(path, &stamp);
	if (vmnet_record_read_path(path, &rec, &err) < 0) {
		if (err.msg[0])
			log_warn("%s", err.msg);
		return NULL;
	}
	e = netd_entry_of(&rec);
	vmnet_record_clear(&rec);
	if (e)
		e->stamp = stamp;
	return e;
}

/* The cache's entry for @path, if @how lets it stand for the file as
 * stamped @now. */
static const struct netd_entry *cached(struct netd_state *st, enum netd_read how,
				       const char *network, const char *path,
				       const struct netd_stamp *now)
{
	const char *name = strrchr(path, '/');
	struct netd_key k;
	ssize_t i;

	if (how == NETD_READ_FILE || !netd_key_of_name(network, name ? name + 1 : path, &k))
		return NULL;
	i = netd_cache_search(st->v, st->n, k.network, k.cid, k.ifname, NULL);
	if (i < 0 || !netd_stamp_same(&st->v[i]->stamp, now) ||
	    (how == NETD_READ_SETTLED && !netd_stamp_settled(&st->v[i]->stamp)))
		return NULL;
	return st->v[i];
}

int netd_state_read(struct netd_state *st, enum netd_read how, const char *network,
		    const char *path, struct vmnet_record *ret, struct netd_stamp *ret_stamp,
		    struct vmnet_err *err)
{
	struct netd_stamp now;
	const struct netd_entry *e;

	netd_stamp_take(path, &now);
	if (ret_stamp)
		*ret_stamp = now;
	e = cached(st, how, network, path, &now);
	if (!e)
		return vmnet_record_read_path(path, ret, err);
	if (vmnet_record_copy(ret, &e->rec) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "record");
	return 1;
}

struct load {
	struct netd_state *st;
	struct netd_entry **old;
	size_t n_old;
};

/* @e into the new cache (at the end: sorted after), with the status the
 * old cache had. */
static int load_entry(struct load *l, struct netd_entry *e)
{
	/* The old cache is sorted. */
	ssize_t i = netd_cache_search(l->old, l->n_old, e->rec.network, e->rec.cid, e->rec.ifname, NULL);

	if (i >= 0) {
		memcpy(e->status, l->old[i]->status, sizeof(e->status));
		e->absent_since = l->old[i]->absent_since;
	}
	if (netd_cache_insert(l->st, l->st->n, e) < 0) {
		netd_entry_free(e);
		return -ENOMEM;
	}
	return 0;
}

/* One record file into the cache. */
static int load_record(const char *network, const char *path, void *data)
{
	struct netd_entry *e = netd_entry_read(path);

	(void)network;
	return e ? load_entry(data, e) : 0;
}

static int load_network(const char *network, const char *dir, void *data)
{
	struct load *l = data;

	(void)dir;
	netd_state_watch(l->st, network);
	/* Out of memory stops this network only. */
	vmnet_record_walk(l->st->state_dir, network, false, load_record, l);
	return 0;
}

/* The old cache (@l) back in place of a new one that failed. */
static void load_undo(struct netd_state *st, const struct load *l)
{
	for (size_t i = 0; i < st->n; i++)
		if (!st->v[i]->kept)
			netd_entry_free(st->v[i]);
	for (size_t i = 0; i < l->n_old; i++)
		l->old[i]->kept = false;
	free(st->v);
	st->v = l->old;
	st->n = st->cap = l->n_old;
	netd_index_rebuild(&st->ix, st->v, st->n);
}

static void load_done(struct netd_state *st, const struct load *l)
{
	for (size_t i = 0; i < l->n_old; i++) {
		if (l->old[i]->kept)
			l->old[i]->kept = false;
		else
			netd_entry_free(l->old[i]);
	}
	free(l->old);
	netd_cache_sort(st);
	netd_index_rebuild(&st->ix, st->v, st->n);
}

/* A new cache: the indexes follow once it is whole (load_done). */
static void load_begin(struct netd_state *st)
{
	st->v = NULL;
	st->n = st->cap = 0;
	st->ix.dirty = true;
}

int netd_state_load(struct netd_state *st, struct vmnet_err *err)
{
	struct load l = {st, st->v, st->n};
	int r;

	load_begin(st);
	r = vmnet_record_walk_networks(st->state_dir, load_network, &l);
	if (r < 0) {
		load_undo(st, &l);
		return vmnet_err_set(err, CNI_ERR_IO, -r, "reading %s", st->state_dir);
	}
	load_done(st, &l);
	return 0;
}

/* The old entry for @rec when its file is unchanged (@stamp) and was so
 * when the entry was read (settled: else the file just read is the truth),
 * marked kept; else NULL. */
static struct netd_entry *keep(const struct load *l, const struct vmnet_record *rec,
			       const struct netd_stamp *stamp)
{
	ssize_t i;

	if (!stamp)
		return NULL;
	i = netd_cache_search(l->old, l->n_old, rec->network, rec->cid, rec->ifname, NULL);
	if (i < 0 || l->old[i]->kept || !netd_stamp_same(&l->old[i]->stamp, stamp) ||
	    !netd_stamp_settled(&l->old[i]->stamp))
		return NULL;
	l->old[i]->kept = true;
	return l->old[i];
}

/* @rec's entry into the new cache: the old one if its file is unchanged,
 * else a new one with the old one's status. */
static int adopt_one(struct load *l, struct vmnet_record *rec, const struct netd_stamp *stamp)
{
	struct netd_entry *e = keep(l, rec, stamp);

	if (e)
		return netd_cache_insert(l->st, l->st->n, e);
	e = netd_entry_of(rec);
	if (!e)
		return -ENOMEM;
	if (stamp)
		e->stamp = *stamp;
	return load_entry(l, e);
}

int netd_state_adopt(struct netd_state *st, struct vmnet_record *const *recs,
		     const struct netd_stamp *const *stamps, size_t n)
{
	struct load l = {st, st->v, st->n};
	const char *net = NULL;

	load_begin(st);
	for (size_t i = 0; i < n; i++) {
		if (adopt_one(&l, recs[i], stamps ? stamps[i] : NULL) < 0) {
			load_undo(st, &l);
			return -ENOMEM;
		}
		if (!net || strcmp(net, recs[i]->network))
			netd_state_watch(st, net = recs[i]->network);
	}
	load_done(st, &l);
	return 0;
}
