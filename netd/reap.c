/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "daemon.h"
#include "reap.h"
#include "vmnet/clock.h"
#include "vmnet/err.h"
#include "vmnet/events.h"
#include "vmnet/handoff.h"
#include "vmnet/link.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "vmnet/nl.h"
#include "vmnet/park.h"

static bool has_prefix(const char *name, const char *prefix)
{
	return !strncmp(name, prefix, strlen(prefix));
}

void netd_reap_note(struct netd_daemon *d, const struct vmnet_events *ev)
{
	for (size_t i = 0; i < ev->n; i++) {
		const struct vmnet_event *e = &ev->v[i];
		int slot;

		if (e->kind != VMNET_EV_LINK || e->del)
			continue;
		if (has_prefix(e->name, VMNET_PREFIX_DOOMED)) {
			d->reap_seen = true;
		} else if (has_prefix(e->name, VMNET_PREFIX_PARKED)) {
			d->reap_seen = true;
			slot = vmnet_park_slot_of(e->name);
			if (slot < 0)
				d->reap_known = false;
			else if (slot > d->reap_top)
				d->reap_top = slot;
		}
	}
}

/* Where the parked taps' look goes by name: up to the highest slot known
 * taken when that is well below the attachments (about one tap each with
 * host wiring); -1: one dump of every tap. A full pass knows the slots
 * from its devices' snapshot @snap (taps parked since are link events the
 * next pass notes), else it dumps (lost events, taps parked while netd was
 * away). -2: none is taken, no look. */
static int parked_upto(struct netd_daemon *d, bool full, const struct vmnet_link_snap *snap)
{
	int top = d->reap_top;

	if (full && snap)
		top = vmnet_park_top_in(snap);
	else if (full || !d->reap_known)
		return -1;
	if (top < 0)
		return -2;
	return (size_t)top < d->st.n / NETD_REAP_BY_NAME_RATIO ? top : -1;
}

static void reap_parked(struct netd_daemon *d, struct vmnet_nl *nl, bool full,
			const struct vmnet_link_snap *snap, struct vmnet_err *e)
{
	int upto = parked_upto(d, full, snap), top = -1;

	if (upto == -2) {
		d->last_pass.parked = 0;
		d->reap_known = true;
		d->reap_top = -1;
		return;
	}
	if (upto >= 0)
		d->reap_by_name++;
	if (vmnet_park_reap(nl, VMNET_PARK_AGE_S, upto, &d->last_pass.parked, &top, e) < 0) {
		log_warn("removing parked devices: %s", e->msg);
		d->reap_known = false;
		return;
	}
	d->reap_known = true;
	d->reap_top = top;
}

void netd_reap(struct netd_daemon *d, bool full)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *nl = NULL;
	struct vmnet_link_snap *snap = d->full_links;
	struct vmnet_err e = { 0 };
	int64_t now = vmnet_mono_ms();

	d->full_links = NULL;
	/* Nothing to look for: no link event named a parked or doomed device
	 * since the last look, and that look left none. */
	if (!full && !d->reap_seen && !d->last_pass.parked && !d->last_pass.doomed)
		goto out;
	/* Skipped, it is owed: the pass after says when (netd_reap_due). */
	if (!full && now < d->next_reap) {
		d->reap_owed = true;
		goto out;
	}
	d->reap_owed = d->reap_seen = false;
	d->next_reap = now + NETD_REAP_EVERY_MS;
	d->reap_looks++;
	if (vmnet_nl_open(-1, &nl, &e) < 0)
		log_warn("removing parked devices: %s", e.msg);
	else
		reap_parked(d, nl, full, snap, &e);
	/* Host ends a DEL handed over that netd did not get to delete. */
	if (nl && vmnet_handoff_reap(nl, full ? snap : NULL, VMNET_DOOMED_AGE_S,
				     &d->last_pass.doomed, &e) < 0)
		log_warn("removing doomed devices: %s", e.msg);
out:
	vmnet_link_snap_free(snap);
}

int64_t netd_reap_due(const struct netd_daemon *d)
{
	return d->reap_owed ? d->next_reap : 0;
}
