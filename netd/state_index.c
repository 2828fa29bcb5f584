/* SPDX-License-Identifier: MIT */
/*
 * The record cache's secondary indexes (state.h): its entries by host
 * device, guest address (either family), VM namespace id and, for those
 * that keep their network config, by network, each a sorted
 * array of entry pointers kept current as entries come and go. An event
 * (a link, a namespace's change, an nftables element) names one of these;
 * finding its attachment by scanning every record made each event O(N),
 * and every call makes a dozen events: at 10,000 attachments netd spent
 * tens of milliseconds of CPU per call on it, beside the calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

union ix_key {
	const char *name;
	uint32_t ip4;
	const struct in6_addr *ip6;
	int nsid;
};

/* Does @e belong in index @kind, and under which key? */
static bool key_of(enum netd_ix kind, const struct netd_entry *e, union ix_key *k)
{
	const struct vmnet_record *r = &e->rec;

	switch (kind) {
	case NETD_IX_HOST_IF:
		k->name = r->host_if;
		return r->host_if[0] != '\0';
	case NETD_IX_GUEST4:
		k->ip4 = r->guest.addr;
		return r->guest.addr != 0;
	case NETD_IX_GUEST6:
		k->ip6 = &r->guest6.addr;
		return vmnet_record_has6(r);
	case NETD_IX_CONF:
		k->name = r->network;
		return r->netconf != NULL;
	default:
		k->nsid = r->host_nsid;
		return true;
	}
}

static int key_cmp(enum netd_ix kind, const union ix_key *k, const struct netd_entry *e)
{
	union ix_key o;

	key_of(kind, e, &o);
	switch (kind) {
	case NETD_IX_HOST_IF:
	case NETD_IX_CONF:
		return strcmp(k->name, o.name);
	case NETD_IX_GUEST4:
		return k->ip4 < o.ip4 ? -1 : k->ip4 > o.ip4;
	case NETD_IX_GUEST6:
		return memcmp(k->ip6, o.ip6, sizeof(*k->ip6));
	default:
		return k->nsid < o.nsid ? -1 : k->nsid > o.nsid;
	}
}

/* The first position in index @kind whose entry is not below (@k, @e): by
 * key, then by address, so that an entry has one place. @e NULL: the
 * first of @k. */
static size_t lower_bound(const struct netd_index *ix, enum netd_ix kind, const union ix_key *k,
			  const struct netd_entry *e)
{
	struct netd_entry *const *v = ix->v[kind];
	size_t lo = 0, hi = ix->n[kind];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(kind, k, v[mid]);

		if (c > 0 || (!c && e && (uintptr_t)v[mid] < (uintptr_t)e))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int add_one(struct netd_index *ix, enum netd_ix kind, struct netd_entry *e)
{
	union ix_key k;
	size_t at;

	if (!key_of(kind, e, &k))
		return 0;
	if (ix->n[kind] == ix->cap[kind]) {
		size_t cap = ix->cap[kind] ? 2 * ix->cap[kind] : 64;
		struct netd_entry **v = realloc(ix->v[kind], cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ix->v[kind] = v;
		ix->cap[kind] = cap;
	}
	at = lower_bound(ix, kind, &k, e);
	memmove(&ix->v[kind][at + 1], &ix->v[kind][at], (ix->n[kind] - at) * sizeof(*ix->v[kind]));
	ix->v[kind][at] = e;
	ix->n[kind]++;
	return 0;
}

void netd_index_add(struct netd_index *ix, struct netd_entry *e)
{
	for (int kind = 0; kind < NETD_IX_N && !ix->dirty; kind++)
		if (add_one(ix, kind, e) < 0)
			ix->dirty = true;
}

void netd_index_del(struct netd_index *ix, const struct netd_entry *e)
{
	for (int kind = 0; kind < NETD_IX_N && !ix->dirty; kind++) {
		union ix_key k;
		size_t at;

		if (!key_of(kind, e, &k))
			continue;
		at = lower_bound(ix, kind, &k, e);
		if (at == ix->n[kind] || ix->v[kind][at] != e) {
			ix->dirty = true; /* not where it should be: rebuild */
			break;
		}
		memmove(&ix->v[kind][at], &ix->v[kind][at + 1],
			(ix->n[kind] - at - 1) * sizeof(*ix->v[kind]));
		ix->n[kind]--;
	}
}

/* qsort_r's order of index *@arg: lower_bound's, by key then address. */
static int order(const void *a, const void *b, void *arg)
{
	enum netd_ix kind = *(const enum netd_ix *)arg;
	struct netd_entry *ea = *(struct netd_entry *const *)a, *eb = *(struct netd_entry *const *)b;
	union ix_key k;
	int c;

	key_of(kind, ea, &k);
	c = key_cmp(kind, &k, eb);
	if (c)
		return c;
	return (uintptr_t)ea < (uintptr_t)eb ? -1 : (uintptr_t)ea > (uintptr_t)eb;
}

/* Every entry of @v that has a key, then one sort per index: inserting
 * them one by one moved half an index per entry (O(N^2): a full pass's
 * cache of 10,000 attachments spent tens of milliseconds on it). */
void netd_index_rebuild(struct netd_index *ix, struct netd_entry *const *v, size_t n)
{
	ix->dirty = false;
	for (enum netd_ix kind = 0; kind < NETD_IX_N; kind++) {
		union ix_key k;
		size_t m = 0;

		if (ix->cap[kind] < n) {
			struct netd_entry **nv = realloc(ix->v[kind], (n ? n : 1) * sizeof(*nv));

			if (!nv) {
				ix->dirty = true;
				return;
			}
			ix->v[kind] = nv;
			ix->cap[kind] = n ? n : 1;
		}
		for (size_t i = 0; i < n; i++)
			if (key_of(kind, v[i], &k))
				ix->v[kind][m++] = v[i];
		if (m > 1)
			qsort_r(ix->v[kind], m, sizeof(*ix->v[kind]), order, &kind);
		ix->n[kind] = m;
	}
}

void netd_index_free(struct netd_index *ix)
{
	for (int kind = 0; kind < NETD_IX_N; kind++)
		free(ix->v[kind]);
	memset(ix, 0, sizeof(*ix));
}

/* The entries of index @kind under key @k: *ret and the count; -ENOMEM
 * when the index could not be kept (the caller then looks at everything). */
static ssize_t range(struct netd_state *st, enum netd_ix kind, const union ix_key *k,
		     struct netd_entry *const **ret)
{
	struct netd_index *ix = &st->ix;
	size_t lo, hi;

	if (ix->dirty)
		netd_index_rebuild(ix, st->v, st->n);
	if (ix->dirty)
		return -ENOMEM;
	lo = lower_bound(ix, kind, k, NULL);
	for (hi = lo; hi < ix->n[kind] && !key_cmp(kind, k, ix->v[kind][hi]); hi++)
		;
	*ret = ix->v[kind] + lo;
	return (ssize_t)(hi - lo);
}

ssize_t netd_state_with_host_if(struct netd_state *st, const char *name,
				struct netd_entry *const **ret)
{
	union ix_key k = {.name = name};

	return range(st, NETD_IX_HOST_IF, &k, ret);
}

ssize_t netd_state_with_guest4(struct netd_state *st, uint32_t ip, struct netd_entry *const **ret)
{
	union ix_key k = {.ip4 = ip};

	return range(st, NETD_IX_GUEST4, &k, ret);
}

ssize_t netd_state_with_guest6(struct netd_state *st, const struct in6_addr *ip,
			       struct netd_entry *const **ret)
{
	union ix_key k = {.ip6 = ip};

	return range(st, NETD_IX_GUEST6, &k, ret);
}

ssize_t netd_state_with_nsid(struct netd_state *st, int nsid, struct netd_entry *const **ret)
{
	union ix_key k = {.nsid = nsid};

	return range(st, NETD_IX_NSID, &k, ret);
}

ssize_t netd_state_all_of(struct netd_state *st, enum netd_ix kind, struct netd_entry *const **ret)
{
	struct netd_index *ix = &st->ix;

	if (ix->dirty)
		netd_index_rebuild(ix, st->v, st->n);
	if (ix->dirty)
		return -ENOMEM;
	*ret = ix->v[kind];
	return (ssize_t)ix->n[kind];
}
