/* SPDX-License-Identifier: MIT */
/*
 * A reconcile pass's clock, its errors and its totals (netd status, the
 * log line after each pass).
 */
#include <stdio.h>
#include <time.h>

#include "reconcile_priv.h"
#include "vmnet/err.h"
#include "vmnet/log.h"

int64_t netd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t netd_full_every_ms(const struct netd_reconcile_stats *p, unsigned interval_s)
{
	int64_t spaced = (int64_t)p->last_full_us / 1000 * NETD_FULL_SPACING;
	int64_t every = (int64_t)interval_s * 1000;

	return spaced > every ? spaced : every;
}

void netd_note_error(struct netd_reconcile_stats *p, const char *what, const struct vmnet_err *e)
{
	p->errors++;
	snprintf(p->last_error, sizeof(p->last_error), "%.200s: %.270s", what, e->msg);
	log_warn("%.200s: %.270s", what, e->msg);
}

/* The pass's totals and its log line: @full or incremental, @checked
 * attachments looked at, begun at @t0 (netd_now_us). */
void netd_count(struct netd_reconcile_stats *p, int64_t t0, bool full, unsigned checked)
{
	unsigned us = (unsigned)(netd_now_us() - t0);

	p->passes++;
	p->total_repaired += p->repaired;
	p->total_removed += p->removed;
	p->at = (int64_t)time(NULL);
	p->duration_ms = us / 1000;
	p->checked = checked;
	p->last_full = full;
	if (full) {
		p->full_passes++;
		p->last_full_us = us;
		p->last_full_checked = checked;
	} else {
		p->incr_passes++;
		p->last_incr_us = us;
		p->last_incr_checked = checked;
	}
	if (p->repaired || p->removed || p->synced || p->errors)
		log_info("%s pass: %u records, %u checked, %u repaired, %u removed, table %s, "
			 "%u errors, %u us", full ? "full" : "incremental", p->records, checked,
			 p->repaired, p->removed, p->synced ? "restored" : "ok", p->errors, us);
	else
		log_debug("%s pass: %u records, %u checked, all in place, %u us",
			  full ? "full" : "incremental", p->records, checked, us);
}
