/* SPDX-License-Identifier: MIT */
/*
 * Both families on one path: inside this file an IPv4 block or address is
 * written as its IPv4-mapped IPv6 twin (::ffff:a.b.c.d, prefix length + 96),
 * and turned back at the kernel call. vmnet never routes ::ffff:0:0/96
 * itself (IPAM refuses mapped addresses), so the two cannot meet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmnet/addr.h"
#include "vmnet/aggregate.h"
#include "vmnet/names.h"

#define HAVE_MAX 256
#define MAPPED 96

struct have {
	struct vmnet_prefix6 v[2 * HAVE_MAX];
	size_t n, n4;	/* n4: how many of them were IPv4 */
};

static struct in6_addr map_addr(uint32_t a)
{
	struct in6_addr x = { .s6_addr = { [10] = 0xff, [11] = 0xff } };
	uint32_t be = htonl(a);

	memcpy(&x.s6_addr[12], &be, 4);
	return x;
}

static struct vmnet_prefix6 map(const struct vmnet_prefix *p)
{
	return (struct vmnet_prefix6){ .addr = map_addr(p->addr), .len = (uint8_t)(p->len + MAPPED) };
}

static int collect4(const struct vmnet_prefix *dst, void *arg)
{
	struct have *h = arg;

	if (h->n4 == HAVE_MAX)
		return -ENOSPC;
	h->n4++;
	h->v[h->n++] = map(dst);
	return 0;
}

static int collect6(const struct vmnet_prefix6 *dst, void *arg)
{
	struct have *h = arg;

	if (h->n - h->n4 == HAVE_MAX)
		return -ENOSPC;
	if (!IN6_IS_ADDR_V4MAPPED(&dst->addr))
		h->v[h->n++] = *dst;
	return 0;
}

static bool eq(const struct vmnet_prefix6 *a, const struct vmnet_prefix6 *b)
{
	return a->len == b->len && vmnet_ip6_eq(&a->addr, &b->addr);
}

/* The wanted blocks of both families as one list, IPv4 first. */
static size_t n_blocks(const struct vmnet_aggregate_want *w)
{
	return w->n_blocks + w->n_blocks6;
}

static struct vmnet_prefix6 block(const struct vmnet_aggregate_want *w, size_t i)
{
	return i < w->n_blocks ? map(&w->blocks[i]) : w->blocks6[i - w->n_blocks];
}

static bool in_blocks(const struct vmnet_aggregate_want *w, size_t n, const struct vmnet_prefix6 *p)
{
	for (size_t i = 0; i < n; i++) {
		struct vmnet_prefix6 b = block(w, i);

		if (eq(&b, p))
			return true;
	}
	return false;
}

static bool in_have(const struct have *h, const struct vmnet_prefix6 *p)
{
	for (size_t i = 0; i < h->n; i++)
		if (eq(&h->v[i], p))
			return true;
	return false;
}

static bool kept(const struct vmnet_aggregate_want *w, const struct vmnet_prefix6 *p)
{
	for (size_t i = 0; i < w->n_keep; i++) {
		struct in6_addr a = map_addr(w->keep[i]);

		if (vmnet_prefix6_contains(p, &a))
			return true;
	}
	for (size_t i = 0; i < w->n_keep6; i++)
		if (vmnet_prefix6_contains(p, &w->keep6[i]))
			return true;
	return in_blocks(w, n_blocks(w), p);
}

/* Add or delete the blackhole route to @p, whichever its family. */
static int route(struct vmnet_nl *nl, bool add, const struct vmnet_prefix6 *p,
		 struct vmnet_err *err)
{
	struct vmnet_prefix p4;

	if (!IN6_IS_ADDR_V4MAPPED(&p->addr))
		return add ? vmnet_route6_blackhole_add(nl, p, VMNET_RTPROT_AGGREGATE, err)
			   : vmnet_route6_blackhole_del(nl, p, VMNET_RTPROT_AGGREGATE, err);
	memcpy(&p4.addr, &p->addr.s6_addr[12], 4);
	p4.addr = ntohl(p4.addr);
	p4.len = (uint8_t)(p->len - MAPPED);
	return add ? vmnet_route_blackhole_add(nl, &p4, VMNET_RTPROT_AGGREGATE, err)
		   : vmnet_route_blackhole_del(nl, &p4, VMNET_RTPROT_AGGREGATE, err);
}

int vmnet_aggregate_sync(struct vmnet_nl *nl, const struct vmnet_aggregate_want *w, bool prune,
			 struct vmnet_err *err)
{
	struct have *h = calloc(1, sizeof(*h));
	int r, first = 0, changed = 0;

	if (!h)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "listing aggregate routes");
	r = vmnet_route_blackhole_list(nl, VMNET_RTPROT_AGGREGATE, collect4, h, err);
	if (r >= 0)
		r = vmnet_route6_blackhole_list(nl, VMNET_RTPROT_AGGREGATE, collect6, h, err);
	if (r < 0) {
		free(h);
		return r;
	}
	/* Each wanted one once: blocks may repeat. */
	for (size_t i = 0; i < n_blocks(w); i++) {
		struct vmnet_prefix6 b = block(w, i);

		if (in_have(h, &b) || in_blocks(w, i, &b))
			continue;
		r = route(nl, true, &b, first ? NULL : err);
		if (r < 0 && !first)
			first = r;
		else if (r == 0)
			changed++;
	}
	for (size_t i = 0; prune && i < h->n; i++) {
		if (kept(w, &h->v[i]))
			continue;
		r = route(nl, false, &h->v[i], first ? NULL : err);
		if (r < 0 && !first)
			first = r;
		else if (r == 0)
			changed++;
	}
	free(h);
	return first ? first : changed;
}
