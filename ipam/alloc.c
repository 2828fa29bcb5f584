/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmnet/err.h"
#include "alloc.h"

#define HELD_MAX 64

struct geom {
	vmnet_ipam_ip step;	/* addresses per allocation: 1, or a block's */
	unsigned recs;		/* reservation files per allocation */
	unsigned len;		/* prefix length in the result, 0 = the subnet's */
};

/* A block of IPv4 (/30, /31) or IPv6 (blockSize6) gets a reservation file
 * for each of its first four addresses at most: all of a /30, /31, /126 or
 * /127, and the network, gateway, guest and next address of a larger IPv6
 * block. Its base being taken is what marks a block taken. */
static struct geom geom_of(const struct vmnet_ipam_conf *c, const struct vmnet_ipam_rangeset *set)
{
	unsigned len = vmnet_ipam_rangeset_is6(set) ? c->block6 : c->block;
	vmnet_ipam_ip step;

	if (!len)
		return (struct geom){ 1, 1, 0 };
	step = vmnet_ipam_block_size(set->r[0].subnet.addr, len);
	return (struct geom){ step, step < 4 ? (unsigned)step : 4, len };
}

/* The address handed to the guest and its gateway, for block base @b. A
 * block of four or more is network, host side, guest, ...; a /31 (RFC 3021)
 * or /127 (RFC 6164) is host, guest. */
static vmnet_ipam_ip guest_of(struct geom g, vmnet_ipam_ip b)
{
	return g.step >= 4 ? b + 2 : g.step == 2 ? b + 1 : b;
}

static vmnet_ipam_ip gw_of(struct geom g, const struct vmnet_ipam_range *r, vmnet_ipam_ip b)
{
	return g.step >= 4 ? b + 1 : g.step == 2 ? b : r->gw;
}

static vmnet_ipam_ip base_of(struct geom g, vmnet_ipam_ip a)
{
	return a & ~(g.step - 1);
}

/* A block must lie inside the range and never contain the range's gateway.
 * @b is aligned, so b + step - 1 cannot wrap. */
static bool block_ok(struct geom g, const struct vmnet_ipam_range *r, vmnet_ipam_ip b)
{
	vmnet_ipam_ip last = b + g.step - 1;

	return b >= r->start && last <= r->end && !(r->gw >= b && r->gw <= last);
}

/* The first aligned block at or after @from, within [@from, @hi]: false
 * when there is none (also when the arithmetic would wrap). */
static bool align_in(struct geom g, vmnet_ipam_ip from, vmnet_ipam_ip hi, vmnet_ipam_ip *ret)
{
	vmnet_ipam_ip lo = base_of(g, from);

	if (lo < from) {
		if (lo > VMNET_IPAM_IP_MAX - g.step)
			return false;
		lo += g.step;
	}
	if (lo > hi || hi - lo < g.step - 1)
		return false;
	*ret = lo;
	return true;
}

static void release_block(struct vmnet_ipam_store *s, vmnet_ipam_ip b,
			  const struct vmnet_ipam_owner *o, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		s->ops->release(s, b + k, o, NULL);
}

/* Reserve the block's records: -EEXIST, with nothing kept, if any is
 * taken. Every one gets a host-local record so no other tool hands one of
 * them out. */
static int reserve_block(struct vmnet_ipam_store *s, struct geom g, vmnet_ipam_ip b,
			 const struct vmnet_ipam_owner *o, struct vmnet_err *err)
{
	for (unsigned k = 0; k < g.recs; k++) {
		int r = s->ops->reserve(s, b + k, o, err);

		if (r < 0) {
			release_block(s, b, o, k);
			return r;
		}
	}
	return 0;
}

/* First free block of @r at or after @from (inclusive) and up to @to. */
static int pick_in(struct vmnet_ipam_store *s, struct geom g, const struct vmnet_ipam_range *r,
		   vmnet_ipam_ip from, vmnet_ipam_ip to, const struct vmnet_ipam_owner *o,
		   vmnet_ipam_ip *ret, struct vmnet_err *err)
{
	vmnet_ipam_ip hi = to > r->end ? r->end : to, lo, b;

	if (!align_in(g, from < r->start ? r->start : from, hi, &lo))
		return -ENOSPC;
	for (;;) {
		int rc = s->ops->next_free(s, &r->subnet, lo, hi, g.step, &b, err);

		if (rc < 0)
			return rc;
		if (block_ok(g, r, b)) {
			rc = reserve_block(s, g, b, o, err);
			if (rc == 0) {
				*ret = b;
				return 0;
			}
			/* -EEXIST: taken behind the store's back, now known */
			if (rc != -EEXIST)
				return rc;
		}
		if (b == VMNET_IPAM_IP_MAX - g.step + 1 || !align_in(g, b + g.step, hi, &lo))
			return -ENOSPC;
	}
}

/* Round robin as host-local: start after the set's last reserved address,
 * go through the other ranges, then wrap to the start of the first. */
static int pick(struct vmnet_ipam_store *s, struct geom g, const struct vmnet_ipam_rangeset *set,
		unsigned idx, const struct vmnet_ipam_owner *o, vmnet_ipam_ip *ret_b,
		unsigned *ret_j, struct vmnet_err *err)
{
	vmnet_ipam_ip last, from = 0;
	unsigned j0 = 0;
	int rc;

	if (s->ops->last_get(s, idx, &last) == 0) {
		int j = vmnet_ipam_rangeset_find(set, last);

		if (j >= 0) {
			j0 = (unsigned)j;
			from = base_of(g, last) + g.step;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned k = 0; k <= set->n; k++) {
			unsigned j = (j0 + k) % set->n;
			const struct vmnet_ipam_range *r = &set->r[j];

			if (k == 0)
				rc = pick_in(s, g, r, from, VMNET_IPAM_IP_MAX, o, ret_b, err);
			else if (k == set->n)
				rc = from ? pick_in(s, g, r, 0, from - 1, o, ret_b, err) : -ENOSPC;
			else
				rc = pick_in(s, g, r, 0, VMNET_IPAM_IP_MAX, o, ret_b, err);
			if (rc == 0) {
				*ret_j = j;
				return 0;
			}
			if (rc != -ENOSPC)
				return rc;
		}
		/* Full according to the maps: they may hold addresses another
		 * tool released since. Re-read them once before saying so. */
		for (unsigned j = 0; pass == 0 && j < set->n; j++)
			if ((rc = s->ops->refresh(s, &set->r[j].subnet, err)) < 0)
				return rc;
	}
	return -ENOSPC;
}

static const char *owner_str(const struct vmnet_ipam_owner *o, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", o->id, o->ifname[0] ? o->ifname : "-");
	return buf;
}

static int take_requested(struct vmnet_ipam_store *s, struct geom g,
			  const struct vmnet_ipam_rangeset *set, vmnet_ipam_ip req,
			  const struct vmnet_ipam_owner *o, vmnet_ipam_ip *ret_b, unsigned *ret_j,
			  struct vmnet_err *err)
{
	char a[VMNET_ADDRSTRLEN], ob[300];
	int j = vmnet_ipam_rangeset_find(set, req);
	const struct vmnet_ipam_range *r = &set->r[j];
	vmnet_ipam_ip b = base_of(g, req);
	struct vmnet_ipam_owner cur;
	int rc;

	vmnet_ipam_ip_fmt(req, a);
	if (req == r->gw)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "requested address %s is the gateway", a);
	if (g.step > 1 && (req != guest_of(g, b) || !block_ok(g, r, b)))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "requested address %s is not the guest address of a /%u block in the range",
				     a, g.len);
	rc = reserve_block(s, g, b, o, err);
	if (rc == -EEXIST) {
		for (unsigned k = 0; k < g.recs; k++)
			if (s->ops->owner(s, b + k, &cur, NULL) == 0)
				return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
						     "requested address %s is already allocated to %s",
						     a, owner_str(&cur, ob, sizeof(ob)));
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "requested address %s is already allocated", a);
	}
	if (rc < 0)
		return rc;
	*ret_b = b;
	*ret_j = (unsigned)j;
	return 0;
}

/* Each requested address names its range set; two for one set is an error. */
static int requests_by_set(const struct vmnet_ipam_conf *c, vmnet_ipam_ip req[VMNET_IPAM_MAX_SETS],
			   bool has_req[VMNET_IPAM_MAX_SETS], struct vmnet_err *err)
{
	char a[VMNET_ADDRSTRLEN], b2[VMNET_ADDRSTRLEN];

	for (unsigned i = 0; i < c->n_req; i++) {
		unsigned k;

		for (k = 0; k < c->n_sets; k++)
			if (vmnet_ipam_rangeset_find(&c->sets[k], c->req[i]) >= 0)
				break;
		if (k == c->n_sets)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "requested address %s is not in any configured range",
					     vmnet_ipam_ip_fmt(c->req[i], a));
		if (has_req[k])
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "requested addresses %s and %s are in the same range set",
					     vmnet_ipam_ip_fmt(req[k], a), vmnet_ipam_ip_fmt(c->req[i], b2));
		has_req[k] = true;
		req[k] = c->req[i];
	}
	return 0;
}

/* Set @i's entry of @res for block (or address) @b of range @r. */
static void fill_ip(struct vmnet_ipam_result *res, unsigned i, struct geom g,
		    const struct vmnet_ipam_range *r, vmnet_ipam_ip b)
{
	res->ips[i].addr.addr = guest_of(g, b);
	res->ips[i].addr.len = (uint8_t)(g.len ? g.len : r->subnet.len);
	res->ips[i].gateway = gw_of(g, r, b);
}

/* What @o already holds in set @i (held[h]): a repeated ADD gets it again
 * (host-local refuses instead); a different request is a conflict. */
static int reuse(const struct vmnet_ipam_conf *c, unsigned i, struct geom g, vmnet_ipam_ip held,
		 const vmnet_ipam_ip *req, const struct vmnet_ipam_owner *o, vmnet_ipam_ip *ret_b,
		 struct vmnet_err *err)
{
	char a[VMNET_ADDRSTRLEN], b2[VMNET_ADDRSTRLEN], ob[300];

	*ret_b = base_of(g, held);
	if (req && guest_of(g, *ret_b) != *req)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "%s already holds %s in range set %u, not %s",
				     owner_str(o, ob, sizeof(ob)),
				     vmnet_ipam_ip_fmt(guest_of(g, *ret_b), a), i,
				     vmnet_ipam_ip_fmt(*req, b2));
	return vmnet_ipam_rangeset_find(&c->sets[i], held);
}

/* A fresh block (or address) of set @i: requested, or picked. */
static int take(struct vmnet_ipam_store *s, const struct vmnet_ipam_conf *c, unsigned i,
		struct geom g, const vmnet_ipam_ip *req, const struct vmnet_ipam_owner *o,
		vmnet_ipam_ip *ret_b, struct vmnet_err *err)
{
	const struct vmnet_ipam_rangeset *set = &c->sets[i];
	char rb[2 * VMNET_ADDRSTRLEN];
	unsigned j = 0;
	int rc;

	if (req)
		rc = take_requested(s, g, set, *req, o, ret_b, &j, err);
	else
		rc = pick(s, g, set, i, o, ret_b, &j, err);
	if (rc == -ENOSPC)
		return vmnet_err_set(err, VMNET_ERR_RANGE_FULL, 0,
				     "no free %s left in range set %u (%s)",
				     g.step > 1 ? "block" : "address", i,
				     vmnet_ipam_range_fmt(&set->r[0], rb));
	if (rc < 0)
		return rc;
	if ((rc = s->ops->last_set(s, i, guest_of(g, *ret_b), err)) < 0) {
		release_block(s, *ret_b, o, g.recs);
		return rc;
	}
	return (int)j;
}

int vmnet_ipam_alloc(struct vmnet_ipam_store *s, const struct vmnet_ipam_conf *c,
		     const struct vmnet_ipam_owner *o, struct vmnet_ipam_result *res,
		     struct vmnet_err *err)
{
	vmnet_ipam_ip held[HELD_MAX], req[VMNET_IPAM_MAX_SETS] = { 0 };
	vmnet_ipam_ip got[VMNET_IPAM_MAX_SETS];
	bool has_req[VMNET_IPAM_MAX_SETS] = { false }, fresh[VMNET_IPAM_MAX_SETS] = { false };
	int n_held, rc = 0;
	unsigned i;

	memset(res, 0, sizeof(*res));
	rc = requests_by_set(c, req, has_req, err);
	if (rc < 0)
		return rc;

	n_held = s->ops->find(s, o, held, HELD_MAX, err);
	if (n_held < 0)
		return n_held;

	for (i = 0; i < c->n_sets; i++) {
		const struct geom g = geom_of(c, &c->sets[i]);
		int h;

		for (h = 0; h < n_held; h++)
			if (vmnet_ipam_rangeset_find(&c->sets[i], held[h]) >= 0)
				break;
		if (h < n_held) {
			rc = reuse(c, i, g, held[h], has_req[i] ? &req[i] : NULL, o, &got[i], err);
		} else {
			rc = take(s, c, i, g, has_req[i] ? &req[i] : NULL, o, &got[i], err);
			fresh[i] = rc >= 0;
		}
		if (rc < 0)
			goto undo;
		fill_ip(res, i, g, &c->sets[i].r[rc], got[i]);
	}
	res->n_ips = c->n_sets;
	memcpy(res->routes, c->routes, sizeof(c->routes));
	res->n_routes = c->n_routes;
	res->dns = c->dns;
	return 0;
undo:
	/* Set i failed; every fresh allocation before it goes. */
	for (unsigned k = 0; k < i; k++)
		if (fresh[k])
			release_block(s, got[k], o, geom_of(c, &c->sets[k]).recs);
	return rc;
}

static int release_owner(struct vmnet_ipam_store *s, const struct vmnet_ipam_owner *o,
			 struct vmnet_err *err)
{
	vmnet_ipam_ip held[HELD_MAX];
	int n = s->ops->find(s, o, held, HELD_MAX, err), rc;

	for (int i = 0; i < n; i++)
		if ((rc = s->ops->release(s, held[i], o, err)) < 0)
			return rc;
	return n;
}

int vmnet_ipam_release(struct vmnet_ipam_store *s, const struct vmnet_ipam_owner *o,
		       struct vmnet_err *err)
{
	struct vmnet_ipam_owner legacy = *o;
	int n, m = 0;

	if ((n = release_owner(s, o, err)) < 0)
		return n;
	/* host-local falls back to records holding only the container ID. */
	if (o->ifname[0]) {
		legacy.ifname[0] = '\0';
		if ((m = release_owner(s, &legacy, err)) < 0)
			return m;
	}
	return n + m;
}

int vmnet_ipam_check(struct vmnet_ipam_store *s, const struct vmnet_ipam_conf *c,
		     const struct vmnet_ipam_owner *o, struct vmnet_err *err)
{
	vmnet_ipam_ip held[HELD_MAX];
	char ob[300], a[VMNET_ADDRSTRLEN];
	int n = s->ops->find(s, o, held, HELD_MAX, err);

	if (n < 0)
		return n;
	for (unsigned i = 0; i < c->n_sets; i++) {
		struct vmnet_ipam_owner cur;
		int h;

		for (h = 0; h < n; h++)
			if (vmnet_ipam_rangeset_find(&c->sets[i], held[h]) >= 0)
				break;
		if (h == n)
			return vmnet_err_set(err, VMNET_ERR_CHECK, 0,
					     "no address of range set %u is allocated to %s", i,
					     owner_str(o, ob, sizeof(ob)));
		if (s->ops->owner(s, held[h], &cur, NULL) < 0 || strcmp(cur.id, o->id) ||
		    (cur.ifname[0] && strcmp(cur.ifname, o->ifname)))
			return vmnet_err_set(err, VMNET_ERR_CHECK, 0,
					     "the record of %s no longer names %s",
					     vmnet_ipam_ip_fmt(held[h], a), owner_str(o, ob, sizeof(ob)));
	}
	return 0;
}

struct gc_ctx {
	struct vmnet_ipam_store *s;
	const struct vmnet_ipam_conf *c;
	struct vmnet_err *err;
	int released;
};

static int gc_one(const struct vmnet_ipam_owner *o, void *u)
{
	struct gc_ctx *g = u;
	int r;

	if (vmnet_ipam_conf_is_valid(g->c, o))
		return 0;
	if ((r = release_owner(g->s, o, g->err)) < 0)
		return r;
	g->released++;
	return 0;
}

int vmnet_ipam_gc(struct vmnet_ipam_store *s, const struct vmnet_ipam_conf *c,
		  struct vmnet_err *err)
{
	struct gc_ctx g = { s, c, err, 0 };
	int r;

	/* No list means the runtime told us nothing, not "nothing is valid". */
	if (!c->has_valid)
		return 0;
	/* The owner index is derived: GC rebuilds it from the reservations
	 * first, so damage to it cannot hide an address from GC. */
	if ((r = s->ops->rescan(s, err)) < 0 || (r = s->ops->owners(s, gc_one, &g, err)) < 0)
		return r;
	if ((r = s->ops->sweep(s, err)) < 0)
		return r;
	return g.released + r;
}

static bool set_has_free(struct vmnet_ipam_store *s, struct geom g,
			 const struct vmnet_ipam_rangeset *set, struct vmnet_err *err)
{
	for (unsigned j = 0; j < set->n; j++) {
		const struct vmnet_ipam_range *r = &set->r[j];
		vmnet_ipam_ip lo, b;
		bool more = align_in(g, r->start, r->end, &lo);

		while (more && s->ops->next_free(s, &r->subnet, lo, r->end, g.step, &b, err) == 0) {
			if (block_ok(g, r, b))
				return true;
			more = b != VMNET_IPAM_IP_MAX - g.step + 1 && align_in(g, b + g.step, r->end, &lo);
		}
	}
	return false;
}

int vmnet_ipam_status(struct vmnet_ipam_store *s, const struct vmnet_ipam_conf *c,
		      struct vmnet_err *err)
{
	char rb[2 * VMNET_ADDRSTRLEN];

	for (unsigned i = 0; i < c->n_sets; i++) {
		const struct geom g = geom_of(c, &c->sets[i]);

		if (set_has_free(s, g, &c->sets[i], err))
			continue;
		for (unsigned j = 0; j < c->sets[i].n; j++)
			s->ops->refresh(s, &c->sets[i].r[j].subnet, NULL);
		if (!set_has_free(s, g, &c->sets[i], err))
			return vmnet_err_set(err, CNI_ERR_NOT_AVAILABLE, 0,
					     "range set %u (%s) has no free %s", i,
					     vmnet_ipam_range_fmt(&c->sets[i].r[0], rb),
					     g.step > 1 ? "block" : "address");
	}
	return 0;
}
