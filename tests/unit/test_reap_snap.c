/* SPDX-License-Identifier: MIT */
/*
 * The looks at parked taps and doomed host ends that netd's full pass
 * makes from its devices' snapshot (lib/park.c vmnet_park_top_in,
 * lib/handoff.c vmnet_handoff_reap with a snapshot): a snapshot is older
 * than a dump would be, so a doomed device goes only if a fresh look-up
 * still finds it doomed and old; devices of another kind or name are never
 * touched. In a private network namespace (root).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>

#include "vmnet/err.h"
#include "vmnet/handoff.h"
#include "vmnet/link.h"
#include "vmnet/names.h"
#include "vmnet/nl.h"
#include "vmnet/park.h"
#include "tap.h"

static struct vmnet_nl *nl;

static long long boot_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (long long)ts.tv_sec;
}

/* A veth @name (peer @peer) under the doomed alias of @age seconds ago. */
static int doomed(const char *name, const char *peer, long long age)
{
	char alias[64];
	struct vmnet_err e = { 0 };

	snprintf(alias, sizeof(alias), "%s%lld", VMNET_ALIAS_DOOMED, boot_s() - age);
	return vmnet_link_add_veth(nl, name, NULL, alias, peer, NULL, -1, 0, NULL, &e);
}

static bool there(const char *name)
{
	struct vmnet_link_info li;

	return vmnet_link_get(nl, name, &li, NULL) == 0;
}

static int set_alias(const char *name, const char *alias)
{
	struct vmnet_link_change c = VMNET_LINK_CHANGE_INIT;
	struct vmnet_link_info li;

	c.alias = alias;
	if (vmnet_link_get(nl, name, &li, NULL) < 0)
		return -1;
	return vmnet_link_set(nl, li.ifindex, &c, NULL);
}

static void test_doomed(void)
{
	struct vmnet_link_snap *s = NULL;
	struct vmnet_err e = { 0 };
	char young[64];
	unsigned left = 99;
	int r;

	ok(doomed("vmdh1", "vmdp1", 100) == 0 && doomed("vmdh2", "vmdp2", 0) == 0 &&
	   doomed("vmdh3", "vmdp3", 100) == 0 && doomed("vmdh4", "vmdp4", 100) == 0,
	   "four doomed veths, one young");
	ok(vmnet_link_snap_take(nl, &s, &e) == 0, "a snapshot: %s", e.msg);
	/* After the snapshot: one made young again (another device by that
	 * name by now, as far as the look can tell), one gone. */
	snprintf(young, sizeof(young), "%s%lld", VMNET_ALIAS_DOOMED, boot_s());
	ok(set_alias("vmdh3", young) == 0, "vmdh3 young since the snapshot");
	ok(vmnet_link_del(nl, "vmdh4", NULL) == 0, "vmdh4 gone since the snapshot");
	r = vmnet_handoff_reap(nl, s, VMNET_DOOMED_AGE_S, &left, &e);
	ok(r == 0, "the reap from the snapshot: %s", e.msg);
	ok(!there("vmdh1") && !there("vmdp1"), "the old one went, with its peer");
	ok(there("vmdh2") && there("vmdh3"), "the young one and the one young by now stay");
	ok(left == 2, "two left to age out (%u)", left);
	/* The peers' own names and a device of another kind are no doomed host
	 * ends. */
	ok(there("vmdp2") && there("vmdp3"), "the peers of those that stay stay");
	vmnet_link_snap_free(s);
	vmnet_link_del(nl, "vmdh2", NULL);
	vmnet_link_del(nl, "vmdh3", NULL);
}

static void test_park_top(void)
{
	struct vmnet_tap_opts o = { .uid = -1, .gid = -1 };
	struct vmnet_link_snap *s = NULL;
	struct vmnet_err e = { 0 };

	ok(vmnet_link_snap_take(nl, &s, &e) == 0 && vmnet_park_top_in(s) == -1,
	   "no parking slot taken in a namespace without taps");
	s = vmnet_link_snap_free(s);
	ok(vmnet_link_add_tap(-1, "vmp3", &o, &e) == 0 && vmnet_link_add_tap(-1, "vmp7", &o, &e) == 0,
	   "taps in parking slots 3 and 7: %s", e.msg);
	/* Not parked taps: a veth with a parking name, a tap with a name that
	 * is no slot. */
	ok(vmnet_link_add_veth(nl, "vmp9", NULL, NULL, "ktp9", NULL, -1, 0, NULL, &e) == 0 &&
	   vmnet_link_add_tap(-1, "vmp012", &o, &e) == 0, "a veth vmp9, a tap vmp012");
	ok(vmnet_link_snap_take(nl, &s, &e) == 0 && vmnet_park_top_in(s) == 7,
	   "the highest slot a tap takes is 7");
	vmnet_link_snap_free(s);
}

int main(void)
{
	struct vmnet_err e = { 0 };

	if (unshare(CLONE_NEWNET) < 0) {
		printf("ok 1 - reap from a snapshot # SKIP needs CAP_SYS_ADMIN\n1..1\n");
		return 0;
	}
	ok(vmnet_nl_open(-1, &nl, &e) == 0, "a route socket: %s", e.msg);
	test_doomed();
	test_park_top();
	vmnet_nl_close(nl);
	return done();
}
