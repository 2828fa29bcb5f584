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

	return !it->gone && rec->mode == VMNET_MODE_ISOLATED &&
	       (rec->guest.addr || vmnet_record_has6(rec)) && rec->netconf &&
	       json_is_true(json_object_get(rec->netconf, "aggregateRoute"));
}

struct want {
	struct vmnet_prefix blocks[WANT_MAX];
	uint32_t keep[WANT_MAX];
	struct vmnet_prefix6 blocks6[WANT_MAX];
	struct in6_addr keep6[WANT_MAX];
	struct vmnet_aggregate_want w;
};

/* The IPv4 and IPv6 ranges of the network @net, as its config names them
 * now. The items of a network are read together, so its config is parsed
 * once per run of them. */
struct subnets {
	const char *net;
	struct vmnet_prefix s4[SUBNETS_MAX];
	struct vmnet_prefix6 s6[SUBNETS_MAX];
	int n4, n6;
};

static void read_subnets(const struct vmnet_record *rec, struct subnets *s,
			 struct netd_reconcile_stats *p)
{
	struct vmnet_err e = { 0 };

	if (s->net && !strcmp(s->net, rec->network))
		return;
	s->net = rec->network;
	s->n4 = vmnet_ipam_subnets4(rec->netconf, s->s4, SUBNETS_MAX, &e);
	s->n6 = s->n4 < 0 ? 0 : vmnet_ipam_subnets6(rec->netconf, s->s6, SUBNETS_MAX, &e);
	if (s->n4 < 0 || s->n6 < 0) {
		netd_note_error(p, "aggregate route: the network's ranges", &e);
		s->n4 = s->n6 = 0;
	}
}

/* The block holding @a into @out, or, for a guest in no block the network's
 * config names now (its subnet file changed), its address: the old block's
 * route stays while such guests live. */
static void add4(const struct subnets *s, uint32_t a, struct want *out)
{
	int j;

	for (j = 0; j < s->n4 && !vmnet_prefix_contains(&s->s4[j], a); j++)
		;
	if (j < s->n4)
		out->blocks[out->w.n_blocks++] = s->s4[j];
	else
		out->keep[out->w.n_keep++] = a;
}

static void add6(const struct subnets *s, const struct in6_addr *a, struct want *out)
{
	int j;

	for (j = 0; j < s->n6 && !vmnet_prefix6_contains(&s->s6[j], a); j++)
		;
	if (j < s->n6)
		out->blocks6[out->w.n_blocks6++] = s->s6[j];
	else
		out->keep6[out->w.n_keep6++] = *a;
}

static bool room(const struct vmnet_aggregate_want *w)
{
	return w->n_blocks < WANT_MAX && w->n_keep < WANT_MAX && w->n_blocks6 < WANT_MAX &&
	       w->n_keep6 < WANT_MAX;
}

/* The blocks of each wanted item, both families, into @out. */
static void collect(const struct item *items, size_t n, struct want *out,
		    struct netd_reconcile_stats *p)
{
	struct subnets s = { 0 };

	out->w = (struct vmnet_aggregate_want){ .blocks = out->blocks, .keep = out->keep,
						.blocks6 = out->blocks6, .keep6 = out->keep6 };
	for (size_t i = 0; i < n && room(&out->w); i++) {
		const struct vmnet_record *rec = &items[i].rec;

		if (!wants(&items[i]))
			continue;
		read_subnets(rec, &s, p);
		if (rec->guest.addr)
			add4(&s, rec->guest.addr, out);
		if (vmnet_record_has6(rec))
			add6(&s, &rec->guest6.addr, out);
	}
}

void netd_aggregate_sync(const struct item *items, size_t n, struct netd_reconcile_stats *p)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *nl = NULL;
	static struct want want;
	struct vmnet_err e = { 0 };
	int r;

	collect(items, n, &want, p);
	if (!want.w.n_blocks && !want.w.n_keep && !want.w.n_blocks6 && !want.w.n_keep6 &&
	    !maybe_ours)
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
			 want.w.n_blocks + want.w.n_blocks6);
	maybe_ours = want.w.n_blocks || want.w.n_keep || want.w.n_blocks6 || want.w.n_keep6 ||
		     p->busy;
}
