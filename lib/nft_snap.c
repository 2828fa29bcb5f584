/* SPDX-License-Identifier: MIT */
/*
 * Reading every element of our sets: the dump (nft_dump_all, also what
 * vmnet_nft_forget matches against), and a snapshot of it held by a handle
 * (vmnet_nft_snapshot). netd's full pass checks every attachment: asked key
 * by key, that is one GETSETELEM request per element, about ten per
 * attachment and twice over; from the snapshot it is one dump per set and a
 * binary search per element. The kernel's answer is the same either way:
 * the snapshot holds exactly the keys and data the dump returned.
 */
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/set.h>

#include "vmnet/common.h"
#include "vmnet/err.h"
#include "vmnet/nft.h"
#include "nft_priv.h"

/* ---- the dump ---- */

struct dump {
	unsigned si;
	nft_elem_fn add;
	void *ctx;
	int err;
};

static int dump_cb(const struct nlmsghdr *nh, void *data)
{
	struct dump *dp = data;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it = NULL;
	struct nftnl_set_elem *e;

	if (!s || nftnl_set_elems_nlmsg_parse(nh, s) < 0 || !(it = nftnl_set_elems_iter_create(s)))
		dp->err = -ENOMEM;
	for (e = it ? nftnl_set_elems_iter_next(it) : NULL; e && !dp->err;
	     e = nftnl_set_elems_iter_next(it)) {
		struct nft_raw_elem r = {0};

		r.k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &r.klen);
		r.d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &r.dlen);
		r.end = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &r.elen);
		if (r.k)
			dp->err = dp->add(dp->ctx, dp->si, &r);
	}
	if (it)
		nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	/* Keep reading: a dump stopped early leaves the rest queued. */
	return MNL_CB_OK;
}

int nft_dump_all(struct vmnet_nft *n, nft_elem_fn add, void *ctx)
{
	struct dump dp = {.add = add, .ctx = ctx};

	for (unsigned si = 0; si < SI_N && !dp.err; si++) {
		char buf[REQ_BUF];
		struct nftnl_set *s = nft_set_ref(nft_sets[si].fam, nft_sets[si].name, 0);
		struct nlmsghdr *nh;
		int r;

		if (!s)
			return -ENOMEM;
		nh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, nft_sets[si].fam, NLM_F_DUMP,
					   0);
		nftnl_set_elems_nlmsg_build_payload(nh, s);
		nftnl_set_free(s);
		dp.si = si;
		r = nft_request(n, nh, dump_cb, &dp);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	return dp.err;
}

/* ---- the snapshot ---- */

struct snap_el {
	uint8_t si, klen, dlen;
	uint8_t k[sizeof(((struct nft_key *)0)->k)];
	uint8_t d[sizeof(((struct nft_key *)0)->d)];
};

struct nft_snap {
	struct snap_el *v;
	size_t n, cap;
	int have_table, version;
};

static int snap_cmp(unsigned si, const uint8_t *k, uint32_t klen, const struct snap_el *e)
{
	if (si != e->si)
		return si < e->si ? -1 : 1;
	if (klen != e->klen)
		return klen < e->klen ? -1 : 1;
	return memcmp(k, e->k, klen);
}

static int snap_el_cmp(const void *a, const void *b)
{
	const struct snap_el *x = a;

	return snap_cmp(x->si, x->k, x->klen, b);
}

static int snap_add(void *ctx, unsigned si, const struct nft_raw_elem *r)
{
	struct nft_snap *s = ctx;
	struct snap_el *e;

	/* Interval sets are asked the kernel (nft_snap_get); a key or data
	 * longer than any of ours is nothing a check looks for. */
	if (nft_sets[si].flags & NFT_SET_INTERVAL || r->klen > sizeof(e->k) ||
	    (r->d && r->dlen > sizeof(e->d)))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;

		e = realloc(s->v, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		s->v = e;
		s->cap = cap;
	}
	e = &s->v[s->n++];
	memset(e, 0, sizeof(*e));
	e->si = (uint8_t)si;
	e->klen = (uint8_t)r->klen;
	memcpy(e->k, r->k, r->klen);
	if (r->d) {
		e->dlen = (uint8_t)r->dlen;
		memcpy(e->d, r->d, r->dlen);
	}
	return 0;
}

static void snap_free(struct nft_snap *s)
{
	if (s)
		free(s->v);
	free(s);
}

void vmnet_nft_snapshot_drop(struct vmnet_nft *n)
{
	if (n) {
		snap_free(n->snap);
		n->snap = NULL;
	}
}

int vmnet_nft_snapshot(struct vmnet_nft *n, struct vmnet_err *err)
{
	struct nft_snap *s = calloc(1, sizeof(*s));
	int r;

	vmnet_nft_snapshot_drop(n);
	if (!s)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "nft: snapshot");
	r = vmnet_nft_table_version(n, &s->version, err);
	if (r < 0) {
		snap_free(s);
		return r;
	}
	s->have_table = r;
	r = r ? nft_dump_all(n, snap_add, s) : 0;
	if (r < 0) {
		snap_free(s);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: listing elements");
	}
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), snap_el_cmp);
	n->snap = s;
	return 0;
}

int nft_snap_table(const struct vmnet_nft *n, int *ret_version)
{
	if (!n->snap)
		return -ENODATA;
	*ret_version = n->snap->version;
	return n->snap->have_table;
}

int nft_snap_get(const struct vmnet_nft *n, unsigned si, const struct nft_key *k,
		 uint8_t *ret_data, uint32_t *ret_dlen)
{
	const struct nft_snap *s = n->snap;
	size_t lo = 0, hi;

	if (!s || nft_sets[si].flags & NFT_SET_INTERVAL)
		return -ENODATA;
	hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = snap_cmp(si, k->k, k->klen, &s->v[mid]);

		if (!c) {
			memcpy(ret_data, s->v[mid].d, s->v[mid].dlen);
			*ret_dlen = s->v[mid].dlen;
			return 1;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}
