/* SPDX-License-Identifier: MIT */
/*
 * A full pass in steps (netd/full.c) and the records that change while it
 * runs: netd's loop serves clients between two steps, and a client's
 * request reads the records changed since into the cache; the cache the
 * pass then makes from what it read has an older copy of them, or none, or
 * one of a record removed meanwhile. After the pass the cache must be as
 * on disk. In a private network namespace only (root): the pass checks
 * and repairs the kernel.
 */
#include <ftw.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../netd/reconcile.h"
#include "../../netd/state.h"
#include "record_test.h"
#include "tap.h"
#include "vmnet/err.h"
#include "vmnet/record.h"

static char state[] = "/tmp/vmnet-netd-full.XXXXXX";

static int cleanup(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb, (void)flag, (void)f;
	return remove(p);
}

static int put(const char *cid, uint32_t addr, const char *dev)
{
	struct vmnet_record rec;
	int r;

	record_fixture(&rec, "neta", cid, addr, 24);
	snprintf(rec.host_if, sizeof(rec.host_if), "%s", dev);
	r = record_put(state, &rec);
	vmnet_record_clear(&rec);
	return r;
}

static void drop(const char *cid)
{
	char path[4096];

	vmnet_record_path(path, sizeof(path), state, "neta", cid, "eth0");
	unlink(path);
}

static bool known(struct netd_state *st, const char *cid)
{
	return netd_state_find_key(st, "neta", cid, "eth0") != NULL;
}

/* One full pass in steps of one group of records, @between run after its
 * first step, as the loop would serve a client then. */
static void stepped(struct netd_state *st, struct netd_reconcile_stats *p,
		    void (*between)(struct netd_state *st))
{
	struct netd_targets next = { 0 };
	struct netd_full *f = NULL;
	unsigned steps = 1;

	if (netd_full_begin(st, p, &f) < 0) {
		ok(0, "a full pass begins");
		return;
	}
	netd_full_step(f, 0);
	between(st);
	while (!netd_full_step(f, 0))
		steps++;
	netd_full_end(f, "/nonexistent", &next, NULL);
	netd_targets_free(&next);
	ok(p->last_full_steps == steps + 1 && steps >= 2, "the pass took %u steps (%u counted)",
	   steps + 1, p->last_full_steps);
}

static void change(struct netd_state *st)
{
	put("new", 0x0a4a0080u, "vmv0080");
	drop("c7");
	netd_state_handle_events(st);
}

int main(void)
{
	struct netd_reconcile_stats p = { 0 };
	struct netd_state st;
	struct vmnet_err err = { 0 };
	char cid[16], dev[16];
	unsigned long before;

	/* Only in a private netns: the pass checks and repairs the kernel. */
	if (unshare(CLONE_NEWNET) < 0) {
		printf("ok 1 - full pass # SKIP needs CAP_SYS_ADMIN\n");
		printf("1..1\n");
		return 0;
	}
	if (!mkdtemp(state))
		return 1;
	for (int i = 0; i < 40; i++) {
		snprintf(cid, sizeof(cid), "c%d", i);
		snprintf(dev, sizeof(dev), "vmv%04d", i);
		put(cid, 0x0a4a0002u + (uint32_t)i, dev);
	}
	ok(netd_state_init(&st, state, &err) == 0 && st.n == 40, "a cache of 40 records: %s",
	   err.msg);
	/* The first pass makes the table (the namespace has none): a pass
	 * that restores it reads every record again under every lock. */
	netd_reconcile(&st, "/nonexistent", &p);
	ok(p.full_passes == 1, "a first full pass in one go");
	before = p.full_meanwhile;
	stepped(&st, &p, change);
	ok(p.full_meanwhile == before + 2, "two records changed while it ran (%lu)",
	   p.full_meanwhile - before);
	ok(known(&st, "new"), "one added meanwhile is in the cache after the pass");
	ok(!known(&st, "c7"), "one removed meanwhile is not");
	ok(known(&st, "c8") && st.n == 40, "the others are (%zu)", st.n);
	netd_state_free(&st);
	nftw(state, cleanup, 8, FTW_DEPTH | FTW_PHYS);
	return done();
}
