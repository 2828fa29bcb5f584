/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmnet/addr.h"
#include "vmnet/aggregate.h"
#include "vmnet/names.h"

#define HAVE_MAX 256

struct have {
	struct vmnet_prefix v[HAVE_MAX];
	size_t n;
};

static int collect(const struct vmnet_prefix *dst, void *arg)
{
	struct have *h = arg;

	if (h->n == HAVE_MAX)
		return -ENOSPC;
	h->v[h->n++] = *dst;
	return 0;
}

static bool in(const struct vmnet_prefix *v, size_t n, const struct vmnet_prefix *p)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].len == p->len && v[i].addr == p->addr)
			return true;
	return false;
}

static bool kept(const struct vmnet_aggregate_want *w, const struct vmnet_prefix *p)
{
	for (size_t i = 0; i < w->n_keep; i++)
		if (vmnet_prefix_contains(p, w->keep[i]))
			return true;
	return in(w->blocks, w->n_blocks, p);
}

int vmnet_aggregate_sync(struct vmnet_nl *nl, const struct vmnet_aggregate_want *w, bool prune,
			 struct vmnet_err *err)
{
	struct have *h = calloc(1, sizeof(*h));
	int r, first = 0, changed = 0;

	if (!h)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "listing aggregate routes");
	r = vmnet_route_blackhole_list(nl, VMNET_RTPROT_AGGREGATE, collect, h, err);
	if (r < 0) {
		free(h);
		return r;
	}
	/* Each wanted one once: blocks may repeat. */
	for (size_t i = 0; i < w->n_blocks; i++) {
		if (in(h->v, h->n, &w->blocks[i]) || in(w->blocks, i, &w->blocks[i]))
			continue;
		r = vmnet_route_blackhole_add(nl, &w->blocks[i], VMNET_RTPROT_AGGREGATE,
					      first ? NULL : err);
		if (r < 0 && !first)
			first = r;
		else if (r == 0)
			changed++;
	}
	for (size_t i = 0; prune && i < h->n; i++) {
		if (kept(w, &h->v[i]))
			continue;
		r = vmnet_route_blackhole_del(nl, &h->v[i], VMNET_RTPROT_AGGREGATE,
					      first ? NULL : err);
		if (r < 0 && !first)
			first = r;
		else if (r == 0)
			changed++;
	}
	free(h);
	return first ? first : changed;
}
