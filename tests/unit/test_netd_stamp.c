/* SPDX-License-Identifier: MIT */
/*
 * When netd takes a record from its cache instead of its file (netd/stamp.c,
 * netd_state_read, netd_state_adopt), without root: only while the file is
 * the one the cache read, by its stamp; a full pass only once that stamp
 * has settled (a change within the timestamp granularity could leave it as
 * it was); and a full pass's adoption keeps the entries of unchanged files.
 */
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../netd/state.h"
#include "record_test.h"
#include "tap.h"
#include "vmnet/err.h"
#include "vmnet/record.h"

static char state[] = "/tmp/vmnet-netd-stamp.XXXXXX";

static int cleanup(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb, (void)flag, (void)f;
	return remove(p);
}

static void path_of(const char *cid, char *buf, size_t size)
{
	vmnet_record_path(buf, size, state, "neta", cid, "eth0");
}

/* neta/@cid@eth0 on host device @dev, with IPAM routes if @routes. */
static int put(const char *cid, const char *dev, bool routes)
{
	struct vmnet_record rec;
	int r;

	record_fixture(&rec, "neta", cid, 0x0a420005u, 16);
	snprintf(rec.host_if, sizeof(rec.host_if), "%s", dev);
	if (routes)
		rec.ipam_result = json_pack("{s:[{s:s}]}", "routes", "dst", "10.9.0.0/16");
	r = record_put(state, &rec);
	vmnet_record_clear(&rec);
	return r;
}

/* What netd_state_read(@how) gives for @cid: 1 cache, 0 file, < 0; its
 * host device into @dev. */
static int take(struct netd_state *st, enum netd_read how, const char *cid, char *dev,
		bool *routes)
{
	struct vmnet_record rec = {0};
	char path[4096];
	int r;

	path_of(cid, path, sizeof(path));
	r = netd_state_read(st, how, "neta", path, &rec, NULL, NULL);
	if (r >= 0)
		snprintf(dev, IFNAMSIZ, "%s", rec.host_if);
	if (routes)
		*routes = rec.ipam_result != NULL;
	vmnet_record_clear(&rec);
	return r;
}

static void test_stamp(void)
{
	struct netd_stamp a, b, later;
	char path[4096];

	path_of("c1", path, sizeof(path));
	netd_stamp_take(path, &a);
	netd_stamp_take(path, &b);
	ok(a.ino && netd_stamp_same(&a, &b), "a file's stamp, taken twice, is the same");
	ok(!netd_stamp_settled(&a), "a file written just now has not settled");
	later = a;
	later.taken.tv_sec += NETD_STAMP_SETTLE_S + 1;
	ok(netd_stamp_settled(&later), "it has %d s later", NETD_STAMP_SETTLE_S + 1);
	later.taken.tv_sec = a.ctime.tv_sec - 60;
	ok(!netd_stamp_settled(&later), "a change time after the clock (set back) has not");
	put("c1", "vmvnew", false);
	netd_stamp_take(path, &b);
	ok(!netd_stamp_same(&a, &b), "a rewrite (spare and exchange) changes the stamp");
	netd_stamp_take("/nonexistent/x@eth0.json", &b);
	ok(b.ino == 0 && !netd_stamp_same(&b, &b), "no file: a stamp the same as nothing");
}

static void test_read(struct netd_state *st)
{
	struct netd_entry *e = netd_state_find_key(st, "neta", "c2", "eth0");
	char dev[IFNAMSIZ] = "";
	bool routes = false;

	ok(take(st, NETD_READ_FILE, "c2", dev, NULL) == 0 && !strcmp(dev, "vmv0002"),
	   "NETD_READ_FILE: the file");
	ok(take(st, NETD_READ_FLUSHED, "c2", dev, &routes) == 1 && !strcmp(dev, "vmv0002") &&
		   routes,
	   "NETD_READ_FLUSHED, the file unchanged: the cache's copy, with its IPAM routes");
	ok(take(st, NETD_READ_FLUSHED, "c3", dev, &routes) == 1 && !routes,
	   "an IPAM result without routes is not kept");
	ok(take(st, NETD_READ_SETTLED, "c2", dev, NULL) == 0,
	   "NETD_READ_SETTLED, the file written just now: the file");
	/* What a change within the file system's granularity would leave: the
	 * same stamp, another content. */
	if (e)
		strcpy(e->rec.host_if, "vmvstale");
	ok(e && take(st, NETD_READ_SETTLED, "c2", dev, NULL) == 0 && !strcmp(dev, "vmv0002"),
	   "so a change the stamp cannot show is read");
	if (e)
		e->stamp.taken.tv_sec += NETD_STAMP_SETTLE_S + 1;
	ok(e && take(st, NETD_READ_SETTLED, "c2", dev, NULL) == 1 && !strcmp(dev, "vmvstale"),
	   "settled: the cache's copy");
	put("c2", "vmvnext", false);
	ok(take(st, NETD_READ_SETTLED, "c2", dev, NULL) == 0 && !strcmp(dev, "vmvnext") &&
		   take(st, NETD_READ_FLUSHED, "c2", dev, NULL) == 0 && !strcmp(dev, "vmvnext"),
	   "rewritten, its events not read: the file, either way");
	netd_state_handle_events(st);
	ok(take(st, NETD_READ_FLUSHED, "c2", dev, NULL) == 1 && !strcmp(dev, "vmvnext"),
	   "its events read: the cache's copy again");
	ok(take(st, NETD_READ_FLUSHED, "c9", dev, NULL) == -ENOENT, "no record: -ENOENT");
}

/* A full pass's adoption keeps the entry of an unchanged file (and its
 * status) when the entry was read after the file had settled, and makes
 * one anew from what the pass read for a changed file or an entry that
 * could differ from its file. */
static void test_adopt(struct netd_state *st)
{
	static const char *const cids[] = {"c1", "c2", "c3"};
	struct vmnet_record recs[3];
	struct netd_stamp stamps[3];
	struct vmnet_record *rp[3];
	const struct netd_stamp *sp[3];
	struct netd_entry *c1 = netd_state_find_key(st, "neta", "c1", "eth0");
	struct netd_entry *c2 = netd_state_find_key(st, "neta", "c2", "eth0");
	struct netd_entry *c3 = netd_state_find_key(st, "neta", "c3", "eth0"), *e;
	bool bad = false;

	if (!c2 || !c3)
		return (void)ok(false, "c2 and c3 in the cache");
	netd_state_set_status(st, &c3->rec, "ok", 0);
	c3->stamp.taken.tv_sec += NETD_STAMP_SETTLE_S + 1;
	netd_state_set_status(st, &c2->rec, "ok", 0);
	strcpy(c2->rec.host_if, "vmvstale");
	put("c1", "vmvlast", false);
	for (int i = 0; i < 3; i++) {
		char path[4096];

		memset(&recs[i], 0, sizeof(recs[i]));
		path_of(cids[i], path, sizeof(path));
		bad |= netd_state_read(st, NETD_READ_FILE, "neta", path, &recs[i], &stamps[i],
				       NULL) != 0;
		rp[i] = &recs[i];
		sp[i] = &stamps[i];
	}
	ok(!bad && netd_state_adopt(st, rp, sp, 3) == 0 && st->n == 3, "three records adopted");
	e = netd_state_find_key(st, "neta", "c3", "eth0");
	ok(e && e == c3 && !strcmp(e->status, "ok"), "an unchanged file's settled entry is kept");
	e = netd_state_find_key(st, "neta", "c2", "eth0");
	ok(e && e != c2 && !strcmp(e->rec.host_if, "vmvnext") && !strcmp(e->status, "ok"),
	   "one read before its file settled is made anew from the file, its status kept");
	e = netd_state_find_key(st, "neta", "c1", "eth0");
	ok(e && e != c1 && !strcmp(e->rec.host_if, "vmvlast") && netd_stamp_same(&e->stamp, &stamps[0]),
	   "a changed file's entry is new, with the stamp it was read with");
	for (int i = 0; i < 3; i++)
		vmnet_record_clear(&recs[i]);
}

/* What every pass asks of the whole cache comes from the indexes: the
 * entries with IPv6, those that keep their network config (an aggregate
 * route's). */
static void test_all_of(struct netd_state *st)
{
	struct netd_entry *const *v;
	struct vmnet_record rec;
	ssize_t n6, nc;

	n6 = netd_state_all_of(st, NETD_IX_GUEST6, &v);
	nc = netd_state_all_of(st, NETD_IX_CONF, &v);
	ok(n6 == 0 && nc == 0, "no entry with IPv6 or a network config (%zd, %zd)", n6, nc);
	record_fixture(&rec, "neta", "c4", 0x0a420009u, 16);
	rec.guest6.addr.s6_addr[0] = 0xfd;
	rec.guest6.addr.s6_addr[15] = 9;
	rec.guest6.len = 64;
	rec.mode = VMNET_MODE_ISOLATED;
	rec.netconf = json_pack("{s:b}", "aggregateRoute", 1);
	record_put(state, &rec);
	vmnet_record_clear(&rec);
	record_fixture(&rec, "neta", "c5", 0x0a42000au, 16);
	rec.netconf = json_pack("{s:b}", "aggregateRoute", 0);
	record_put(state, &rec);
	vmnet_record_clear(&rec);
	netd_state_handle_events(st);
	n6 = netd_state_all_of(st, NETD_IX_GUEST6, &v);
	ok(n6 == 1 && !strcmp(v[0]->rec.cid, "c4"), "one with IPv6: c4 (%zd)", n6);
	nc = netd_state_all_of(st, NETD_IX_CONF, &v);
	ok(nc == 1 && !strcmp(v[0]->rec.cid, "c4"),
	   "one keeps its network config, the aggregate route's (%zd)", nc);
	netd_state_load(st, NULL);
	ok(netd_state_all_of(st, NETD_IX_CONF, &v) == 1 &&
		   netd_state_all_of(st, NETD_IX_GUEST6, &v) == 1,
	   "the same after a reload");
}

/* The cache keeps a record's published ports (netd's status reads them
 * for conflicts with other DNAT owners), and its copies carry their own. */
static void test_ports(struct netd_state *st)
{
	struct vmnet_port pv[2] = {{.proto = 6, .host_port = 8081, .guest_port = 80},
				   {.proto = 17, .host_port = 5353, .guest_port = 53}};
	struct vmnet_record rec, got = {0};
	struct netd_entry *e;
	char path[4096];

	record_fixture(&rec, "neta", "c6", 0x0a42000bu, 16);
	vmnet_record_set_ports(&rec, pv, 2);
	record_put(state, &rec);
	vmnet_record_clear(&rec);
	netd_state_handle_events(st);
	e = netd_state_find_key(st, "neta", "c6", "eth0");
	ok(e && e->rec.n_ports == 2 && e->rec.ports[1].host_port == 5353,
	   "the cache keeps a record's published ports (%u)", e ? e->rec.n_ports : 0);
	path_of("c6", path, sizeof(path));
	ok(netd_state_read(st, NETD_READ_FLUSHED, "neta", path, &got, NULL, NULL) == 1 &&
		   got.n_ports == 2 && got.ports != (e ? e->rec.ports : NULL) &&
		   got.ports[0].host_port == 8081,
	   "a copy from the cache has them, its own");
	vmnet_record_clear(&got);
	netd_state_load(st, NULL);
	e = netd_state_find_key(st, "neta", "c6", "eth0");
	ok(e && e->rec.n_ports == 2, "and after a reload");
}

int main(void)
{
	struct netd_state st;
	struct vmnet_err err = {0};

	if (!mkdtemp(state))
		return 1;
	put("c1", "vmv0001", false);
	put("c2", "vmv0002", true);
	put("c3", "vmv0003", false);
	test_stamp();
	ok(netd_state_init(&st, state, &err) == 0 && st.n == 3, "a cache of three records: %s",
	   err.msg);
	test_read(&st);
	test_adopt(&st);
	test_all_of(&st);
	test_ports(&st);
	netd_state_free(&st);
	nftw(state, cleanup, 8, FTW_DEPTH | FTW_PHYS);
	return done();
}
