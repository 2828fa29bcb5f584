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

/* The block of each wanted item into @want; the items of a network are
 * read together, so its config is parsed once per run of them. */
static size_t collect(const struct item *items, size_t n, struct vmnet_prefix *want,
		      struct netd_reconcile_stats *p)
{
	struct vmnet_prefix subs[SUBNETS_MAX];
	const char *net = NULL;
	size_t n_want = 0;
	int n_subs = 0;

	for (size_t i = 0; i < n && n_want < WANT_MAX; i++) {
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
		for (int j = 0; j < n_subs; j++)
			if (vmnet_prefix_contains(&subs[j], rec->guest.addr)) {
				want[n_want++] = subs[j];
				break;
			}
	}
	return n_want;
}

void netd_aggregate_sync(const struct item *items, size_t n, struct netd_reconcile_stats *p)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *nl = NULL;
	struct vmnet_prefix want[WANT_MAX];
	struct vmnet_err e = { 0 };
	size_t n_want = collect(items, n, want, p);
	int r;

	if (!n_want && !maybe_ours)
		return;
	if (vmnet_nl_open(-1, &nl, &e) < 0) {
		netd_note_error(p, "aggregate routes", &e);
		return;
	}
	r = vmnet_aggregate_sync(nl, want, n_want, !p->busy, &e);
	if (r < 0) {
		netd_note_error(p, "aggregate routes", &e);
		return;
	}
	if (r > 0)
		log_info("aggregate routes: %d added or removed, %zu wanted", r, n_want);
	maybe_ours = n_want > 0 || p->busy;
}
