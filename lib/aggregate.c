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

int vmnet_aggregate_sync(struct vmnet_nl *nl, const struct vmnet_prefix *want, size_t n,
			 bool prune, struct vmnet_err *err)
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
	/* Each wanted one once: @want may repeat a block. */
	for (size_t i = 0; i < n; i++) {
		if (in(h->v, h->n, &want[i]) || in(want, i, &want[i]))
			continue;
		r = vmnet_route_blackhole_add(nl, &want[i], VMNET_RTPROT_AGGREGATE,
					      first ? NULL : err);
		if (r < 0 && !first)
			first = r;
		else if (r == 0)
			changed++;
	}
	for (size_t i = 0; prune && i < h->n; i++) {
		if (in(want, n, &h->v[i]))
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
