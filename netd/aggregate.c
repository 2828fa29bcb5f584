/* SPDX-License-Identifier: MIT */
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "aggregate.h"
#include "reconcile_priv.h"
#include "vmnet/aggregate.h"
#include "vmnet/common.h"
#include "vmnet/ipam.h"
#include "vmnet/log.h"
#include "vmnet/nl.h"

#define WANT_MAX 256
#define SUBNETS_MAX 16

/* Whether a route of ours may exist: true at start (a previous netd may
 * have left some), false once a sync found none and nothing is wanted, so
 * a host without the feature is spared a route dump each pass. */
static bool maybe_ours = true;

static bool wants(const struct item *it)
{
	const struct vmnet_record *rec = &it->rec;

	return !it->gone && rec->mode == VMNET_MODE_ISOLATED && rec->guest.addr && rec->netconf &&
	       json_is_true(json_object_get(rec->netconf, "aggregateRoute"));
}

struct want {
	struct vmnet_prefix blocks[WANT_MAX];
	uint32_t keep[WANT_MAX];
	struct vmnet_aggregate_want w;
};

/* The block of each wanted item into @out, or, for a guest in no block the
 * network's config names now (its subnet file changed), its address: the
 * old block's route stays while such guests live. The items of a network
 * are read together, so its config is parsed once per run of them. */
static void collect(const struct item *items, size_t n, struct want *out,
		    struct netd_reconcile_stats *p)
{
	struct vmnet_prefix subs[SUBNETS_MAX];
	struct vmnet_aggregate_want *w = &out->w;
	const char *net = NULL;
	int n_subs = 0, j;

	*w = (struct vmnet_aggregate_want){ .blocks = out->blocks, .keep = out->keep };
	for (size_t i = 0; i < n && w->n_blocks < WANT_MAX && w->n_keep < WANT_MAX; i++) {
		const struct vmnet_record *rec = &items[i].rec;

		if (!wants(&items[i]))
			continue;
		if (!net || strcmp(net, rec->network)) {
			struct vmnet_err e = { 0 };

			net = rec->network;
			n_subs = vmnet_ipam_subnets4(rec->netconf, subs, SUBNETS_MAX, &e);
			if (n_subs < 0) {
				netd_note_error(p, "aggregate route: the network's ranges", &e);
				n_subs = 0;
			}
		}
		for (j = 0; j < n_subs && !vmnet_prefix_contains(&subs[j], rec->guest.addr); j++)
			;
		if (j < n_subs)
			out->blocks[w->n_blocks++] = subs[j];
		else
			out->keep[w->n_keep++] = rec->guest.addr;
	}
}

void netd_aggregate_sync(const struct item *items, size_t n, struct netd_reconcile_stats *p)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *nl = NULL;
	static struct want want;
	struct vmnet_err e = { 0 };
	int r;

	collect(items, n, &want, p);
	if (!want.w.n_blocks && !want.w.n_keep && !maybe_ours)
		return;
	if (vmnet_nl_open(-1, &nl, &e) < 0) {
		netd_note_error(p, "aggregate routes", &e);
		return;
	}
	r = vmnet_aggregate_sync(nl, &want.w, !p->busy, &e);
	if (r < 0) {
		netd_note_error(p, "aggregate routes", &e);
		return;
	}
	if (r > 0)
		log_info("aggregate routes: %d added or removed, %zu blocks wanted", r,
			 want.w.n_blocks);
	maybe_ours = want.w.n_blocks || want.w.n_keep || p->busy;
}
