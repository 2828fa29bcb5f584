/* SPDX-License-Identifier: MIT */
/*
 * Forgetting an address or a host device without knowing the attachment
 * that left it behind (include/vmnet/nft.h, vmnet_nft_forget): every set
 * and map is dumped, and the elements that point at the address or are
 * keyed by the device go in one batch. For an ADD whose address no record
 * holds (a stale DNAT must not reach the new guest) and a DEL whose record
 * is gone to a crash (nothing else names its elements).
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/set.h>

#include "vmnet/common.h"
#include "vmnet/inet.h"
#include "vmnet/log.h"
#include "nft_priv.h"

/* Where a set's key (or a map's data) holds a guest address (of IPv6 with
 * @v6) or a host device: offsets, -1 none. guest_net's interface is a
 * bridge, never a host device; ports4h's key address is a host address. */
struct forget_where {
	int key_ip, key_if, data_ip;
	bool v6;
};

static struct forget_where where(unsigned si)
{
	switch (si) {
	case SI_GUESTS4:
	case SI_MASQ4:
	case SI_CLOSED4:
	case SI_CLUSTER4:
		return (struct forget_where){0, -1, -1, false};
	case SI_GUESTS6:
	case SI_MASQ6:
	case SI_CLOSED6:
	case SI_CLUSTER6: /* guest . prefix */
		return (struct forget_where){0, -1, -1, true};
	case SI_PORTS4:
	case SI_PORTS4H:
		return (struct forget_where){-1, -1, 0, false};
	case SI_PORTS6:
	case SI_PORTS6H:
		return (struct forget_where){-1, -1, 0, true};
	case SI_GUEST_NET:
		return (struct forget_where){IFNAME_LEN, -1, -1, false};
	case SI_GUEST_NET6:
		return (struct forget_where){IFNAME_LEN, -1, -1, true};
	case SI_SPOOF4:
	case SI_PORT_IP4:
		return (struct forget_where){IFNAME_LEN, 0, -1, false};
	case SI_SPOOF6:
	case SI_ND6:
	case SI_PORT_IP6:
	case SI_PORT_ND6:
		return (struct forget_where){IFNAME_LEN, 0, -1, true};
	case SI_SEEN4:
	case SI_SEEN6:
		/* Kept: it makes the address's next DEL flush conntrack, which
		 * a crashed owner's flows still need. */
		return (struct forget_where){-1, -1, -1, false};
	default: /* keyed by ifname [. mac | . group] */
		return (struct forget_where){-1, 0, -1, false};
	}
}

/* Is the address of @w's family at @off of @p (@len bytes)? */
static bool ip_at(const uint8_t *p, uint32_t len, int off, const struct forget_where *w,
		  const struct nft_forget_what *f)
{
	uint32_t be = htonl(f->ip);
	uint32_t alen = w->v6 ? 16 : 4;
	const void *want = w->v6 ? (const void *)f->ip6 : &be;

	if (off < 0 || (uint32_t)off + alen > len)
		return false;
	if (w->v6 ? !f->ip6 || vmnet_ip6_is_zero(f->ip6) : !f->ip)
		return false;
	return !memcmp(p + off, want, alen);
}

bool nft_forget_match(const struct nft_elem *e, const struct nft_forget_what *f)
{
	struct forget_where w = where(e->si);
	struct nft_key ifk;

	if (ip_at(e->k.k, e->k.klen, w.key_ip, &w, f) || ip_at(e->k.d, e->k.dlen, w.data_ip, &w, f))
		return true;
	if (!f->host_if || !*f->host_if || w.key_if < 0 || e->k.klen < IFNAME_LEN)
		return false;
	nft_key_if(&ifk, f->host_if, NULL, 0);
	return !memcmp(e->k.k, ifk.k, IFNAME_LEN);
}

/* One DESTROYSETELEM message per set for the elements of @el that match,
 * *ret_n of them; the batch is left open (batch_finish). */
int nft_forget_build(struct nft_batch *b, const struct nft_elem *el, size_t n_el,
		     const struct nft_forget_what *w, uint32_t seq, size_t *ret_n)
{
	_cleanup_free_ struct nft_key *keys = malloc(ELEMS_PER_MSG * sizeof(*keys));
	int ret = nft_batch_init(b, seq);

	*ret_n = 0;
	if (!keys)
		return -ENOMEM;
	for (unsigned s = 0; ret >= 0 && s < SI_N; s++) {
		const struct nft_set_def *sd = &nft_sets[s];
		struct nft_msg_label d = {.kind = M_SET, .set = sd->name};
		size_t n = 0;

		for (size_t i = 0; ret >= 0 && i <= n_el; i++) {
			if (i < n_el &&
			    (el[i].si != s || !nft_forget_match(&el[i], w)))
				continue;
			if (i < n_el) {
				keys[n++] = el[i].k;
				(*ret_n)++;
			}
			if (!n || (n < ELEMS_PER_MSG && i < n_el))
				continue;
			ret = nft_put_elems(b, sd->fam, NFT_MSG_DESTROYSETELEM, 0, sd->name, 0,
					    keys, n, &d);
			n = 0;
		}
	}
	return ret;
}

int vmnet_nft_build_forget(const struct vmnet_nft_att *atts, size_t n_atts, uint32_t guest_ip,
			   const struct in6_addr *guest_ip6, const char *host_if, uint32_t seq,
			   void **ret_buf, size_t *ret_len, struct vmnet_err *err)
{
	struct nft_forget_what w = {guest_ip, guest_ip6, host_if};
	_cleanup_free_ struct nft_elem *el = NULL;
	size_t total = 1, n_el = 0, n_match;
	struct nft_batch b;
	int ret;

	ret = nft_atts_validate(atts, n_atts, err);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n_atts; i++)
		total += ELEMS_MAX(&atts[i]);
	el = malloc(total * sizeof(*el));
	if (!el)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "nft: building batch");
	for (size_t i = 0; i < n_atts; i++)
		n_el += nft_att_elems(&atts[i], true, NULL, 0, el + n_el);
	ret = nft_forget_build(&b, el, n_el, &w, seq, &n_match);
	return nft_build_out(&b, ret, ret_buf, ret_len, err);
}

/* ---- the dump (nft_snap.c) into nft_elems ---- */

struct dump {
	struct nft_elem *el;
	size_t n, cap;
};

static int dump_add(void *ctx, unsigned si, const struct nft_raw_elem *r)
{
	struct dump *dp = ctx;
	struct nft_elem *x;

	if (r->klen > sizeof(x->k.k) || (r->d && r->dlen > sizeof(x->k.d)) ||
	    (r->end && r->elen > sizeof(x->k.kend)))
		return 0; /* not a key of ours: nothing to match */
	if (dp->n == dp->cap) {
		size_t cap = dp->cap ? 2 * dp->cap : 64;

		x = realloc(dp->el, cap * sizeof(*x));
		if (!x)
			return -ENOMEM;
		dp->el = x;
		dp->cap = cap;
	}
	x = &dp->el[dp->n++];
	memset(x, 0, sizeof(*x));
	x->si = si;
	memcpy(x->k.k, r->k, r->klen);
	x->k.klen = r->klen;
	if (r->d) {
		memcpy(x->k.d, r->d, r->dlen);
		x->k.dlen = r->dlen;
	}
	if (r->end) { /* a range of cluster4|6: deleted by both ends */
		memcpy(x->k.kend, r->end, r->elen);
		x->k.kendlen = r->elen;
	}
	return 0;
}

/* Every element of every set of ours into dp->el. */
static int dump_all(struct vmnet_nft *n, struct dump *dp)
{
	return nft_dump_all(n, dump_add, dp);
}

/* The guest address of family @v6 that spoof4|6 or port_ip4|6 pairs with
 * @host_if into @ret (4 or 16 bytes, zeroed first). */
static int if_guest(struct vmnet_nft *n, const char *host_if, bool v6, void *ret,
		    struct vmnet_err *err)
{
	struct nft_forget_what f = {.host_if = host_if};
	uint32_t alen = v6 ? 16 : 4;
	struct dump dp = {0};
	int r = dump_all(n, &dp);
	bool found = false;

	memset(ret, 0, alen);
	for (size_t i = 0; r >= 0 && i < dp.n && !found; i++) {
		const struct nft_elem *e = &dp.el[i];
		bool ours = v6 ? e->si == SI_SPOOF6 || e->si == SI_PORT_IP6
			       : e->si == SI_SPOOF4 || e->si == SI_PORT_IP4;

		if (!ours || e->k.klen < IFNAME_LEN + alen || !nft_forget_match(e, &f))
			continue;
		memcpy(ret, e->k.k + IFNAME_LEN, alen);
		found = true;
	}
	free(dp.el);
	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: listing elements");
	return 0;
}

int vmnet_nft_if_guest(struct vmnet_nft *n, const char *host_if, uint32_t *ret_ip,
		       struct vmnet_err *err)
{
	uint32_t be;
	int r = if_guest(n, host_if, false, &be, err);

	*ret_ip = r < 0 ? 0 : ntohl(be);
	return r;
}

int vmnet_nft_if_guest6(struct vmnet_nft *n, const char *host_if, struct in6_addr *ret_ip6,
			struct vmnet_err *err)
{
	return if_guest(n, host_if, true, ret_ip6, err);
}

int vmnet_nft_forget6(struct vmnet_nft *n, uint32_t guest_ip, const struct in6_addr *guest_ip6,
		      const char *host_if, struct vmnet_err *err)
{
	struct nft_forget_what w = {guest_ip, guest_ip6, host_if};
	struct dump dp = {0};
	struct nft_batch b;
	size_t n_match = 0, idx;
	int r = dump_all(n, &dp);

	if (r < 0) {
		free(dp.el);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: listing elements");
	}
	r = nft_forget_build(&b, dp.el, dp.n, &w, nft_seq(n), &n_match);
	if (r >= 0 && n_match)
		r = nft_batch_finish(&b);
	if (r < 0 || !n_match) {
		nft_batch_free(&b);
		free(dp.el);
		return r < 0 ? vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: building batch") : 0;
	}
	log_info("removing %zu stale nftables element(s) of %s", n_match,
		 host_if && *host_if ? host_if : "an unrecorded address");
	r = nft_batch_run(n, &b, "removing stale elements", &idx);
	/* A set gone since the dump, or a kernel without DESTROYSETELEM. */
	if (r < 0 && !nft_destroy_refused(r))
		nft_batch_fail(&b, idx, r, "removing stale elements", err);
	nft_batch_free(&b);
	if (nft_destroy_refused(r)) {
		size_t k = 0;

		for (size_t i = 0; i < dp.n; i++)
			if (nft_forget_match(&dp.el[i], &w))
				dp.el[k++] = dp.el[i];
		r = nft_del_elems_one_by_one(n, dp.el, k, err);
	}
	free(dp.el);
	return r < 0 ? r : 0;
}

int vmnet_nft_forget(struct vmnet_nft *n, uint32_t guest_ip, const char *host_if,
		     struct vmnet_err *err)
{
	return vmnet_nft_forget6(n, guest_ip, NULL, host_if, err);
}
