/* SPDX-License-Identifier: MIT */
/*
 * How far apart netd's periodic full passes are (netd_full_every_ms,
 * netd/reconcile_stats.c): the configured interval while a full pass is
 * short, NETD_FULL_SPACING times the last full pass once that is longer,
 * so that the safety net takes at most 2 % of a CPU at any scale.
 */
#include "../../netd/reconcile.h"
#include "tap.h"

static int64_t every(unsigned last_full_us, unsigned interval_s)
{
	struct netd_reconcile_stats p = { .last_full_us = last_full_us };

	return netd_full_every_ms(&p, interval_s);
}

int main(void)
{
	ok(every(0, 10) == 10000, "no full pass yet: the interval (%lld ms)", (long long)every(0, 10));
	ok(every(120000, 10) == 10000, "a 120 ms pass (1,000 attachments): the interval (%lld ms)",
	   (long long)every(120000, 10));
	ok(every(200000, 10) == 10000, "a 200 ms pass: exactly the interval (%lld ms)",
	   (long long)every(200000, 10));
	ok(every(1500000, 10) == 75000, "a 1.5 s pass (10,000 attachments): 75 s (%lld ms)",
	   (long long)every(1500000, 10));
	ok(every(1500000, 120) == 120000, "a longer interval configured wins (%lld ms)",
	   (long long)every(1500000, 120));
	ok(every(10000, 0) == 500, "--interval 0: 50 times the pass, not back to back (%lld ms)",
	   (long long)every(10000, 0));
	return done();
}
