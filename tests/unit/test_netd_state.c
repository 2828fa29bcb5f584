/* SPDX-License-Identifier: MIT */
/*
 * netd's record cache (netd/state.c) without root: it stays sorted by
 * (network, cid, ifname) through its first load and through the inotify
 * events of records written and removed in any order, so that a look-up is
 * a binary search (netd_state_find_key) and a record's change no sort; its
 * secondary indexes (state_index.c) follow every change.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../netd/state.h"
#include "record_test.h"
#include "tap.h"
#include "vmnet/err.h"
#include "vmnet/record.h"

static char state[] = "/tmp/vmnet-netd-state.XXXXXX";

/* Record @network/@cid@eth0, the @k-th. */
static int put(const char *network, const char *cid, unsigned k)
{
	struct vmnet_record rec;

	record_fixture(&rec, network, cid, 0x0a400000u | (k + 2), 16);
	snprintf(rec.host_if, sizeof(rec.host_if), "vmv%04x", k);
	rec.guest_mac[5] = (uint8_t)k;
	return record_put(state, &rec);
}

static int key_cmp(const struct vmnet_record *a, const struct vmnet_record *b)
{
	int r = strcmp(a->network, b->network);

	if (!r)
		r = strcmp(a->cid, b->cid);
	return r ? r : strcmp(a->ifname, b->ifname);
}

static bool sorted(const struct netd_state *st)
{
	for (size_t i = 1; i < st->n; i++)
		if (key_cmp(&st->v[i - 1]->rec, &st->v[i]->rec) >= 0)
			return false;
	return true;
}

/* Every cid "c<i>" of @network for which @want[i] is set is found, and
 * only those. */
static bool finds(struct netd_state *st, const char *network, const bool *want, unsigned n)
{
	char cid[16];

	for (unsigned i = 0; i < n; i++) {
		struct netd_entry *e;

		snprintf(cid, sizeof(cid), "c%u", i);
		e = netd_state_find_key(st, network, cid, "eth0");
		if (!e != !want[i] || (e && strcmp(e->rec.cid, cid))) {
			printf("# %s/%s: %s\n", network, cid, e ? "found" : "not found");
			return false;
		}
	}
	return !netd_state_find_key(st, network, "c", "eth0") &&
	       !netd_state_find_key(st, network, "c0", "eth1");
}

static bool in_range(const struct netd_entry *e, struct netd_entry *const *v, ssize_t n)
{
	for (ssize_t i = 0; i < n; i++)
		if (v[i] == e)
			return true;
	return false;
}

/* The indexes hold every entry under its keys and nothing else. */
static bool indexed(struct netd_state *st)
{
	size_t want[NETD_IX_N] = {0};

	for (size_t i = 0; i < st->n; i++) {
		const struct netd_entry *e = st->v[i];
		const struct vmnet_record *r = &e->rec;
		struct netd_entry *const *v;
		bool in = true;
		ssize_t n;

		want[NETD_IX_HOST_IF] += r->host_if[0] != '\0';
		want[NETD_IX_GUEST4] += r->guest.addr != 0;
		want[NETD_IX_GUEST6] += vmnet_record_has6(r);
		want[NETD_IX_NSID]++;
		want[NETD_IX_CONF] += r->netconf != NULL;

		if (r->host_if[0])
			n = netd_state_with_host_if(st, r->host_if, &v), in &= in_range(e, v, n);
		if (r->guest.addr)
			n = netd_state_with_guest4(st, r->guest.addr, &v), in &= in_range(e, v, n);
		if (vmnet_record_has6(r))
			n = netd_state_with_guest6(st, &r->guest6.addr, &v), in &= in_range(e, v, n);
		n = netd_state_with_nsid(st, r->host_nsid, &v);
		if (!in || !in_range(e, v, n)) {
			printf("# %s/%s@%s is not indexed under its keys\n", r->network, r->cid, r->ifname);
			return false;
		}
	}
	for (int k = 0; k < NETD_IX_N; k++)
		if (st->ix.n[k] != want[k]) {
			printf("# index %d holds %zu entries, not %zu\n", k, st->ix.n[k], want[k]);
			return false;
		}
	return true;
}

static int cleanup(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb, (void)flag, (void)f;
	return remove(p);
}

#define N 60

int main(void)
{
	struct netd_state st;
	struct vmnet_err err = {0};
	bool in_a[N] = {0}, in_b[N] = {0};
	unsigned order[N], written = 0;
	int bad = 0;

	if (!mkdtemp(state))
		return perror("mkdtemp"), 1;
	/* A fixed shuffle: keys arrive out of order (c7 after c41...). */
	for (unsigned i = 0; i < N; i++)
		order[i] = (i * 37 + 11) % N;
	for (unsigned i = 0; i < N / 2; i++) {
		char cid[16];

		snprintf(cid, sizeof(cid), "c%u", order[i]);
		bad |= put("netb", cid, order[i]) < 0;
		in_b[order[i]] = true;
		written++;
	}
	ok(!bad && netd_state_init(&st, state, &err) == 0, "a cache of %u records loaded: %s",
	   written, err.msg);
	ok(st.n == written && sorted(&st), "all of them, sorted (%zu)", st.n);
	ok(finds(&st, "netb", in_b, N) && finds(&st, "neta", in_a, N),
	   "each found by its key, no other");

	/* More records, of a network before the loaded one and of the same,
	 * in the shuffled order: each one event read. */
	for (unsigned i = N / 2; i < N; i++) {
		char cid[16];

		snprintf(cid, sizeof(cid), "c%u", order[i]);
		bad |= put("netb", cid, order[i]) < 0;
		in_b[order[i]] = true;
		bad |= put("neta", cid, order[i]) < 0;
		in_a[order[i]] = true;
		netd_state_handle_events(&st);
	}
	ok(!bad && st.n == N + N / 2 && sorted(&st), "written after the load: in, sorted (%zu)",
	   st.n);
	ok(finds(&st, "netb", in_b, N) && finds(&st, "neta", in_a, N),
	   "each found by its key, no other");

	/* Every third one removed, then one written again. */
	for (unsigned i = 0; i < N; i += 3) {
		char cid[16];

		snprintf(cid, sizeof(cid), "c%u", i);
		if (in_b[i] && vmnet_record_remove_key(state, "netb", cid, "eth0", &err) == 0)
			in_b[i] = false;
	}
	netd_state_handle_events(&st);
	bad |= put("netb", "c3", 3) < 0;
	in_b[3] = true;
	netd_state_handle_events(&st);
	ok(!bad && sorted(&st), "removals and a record written again: sorted (%zu)", st.n);
	ok(finds(&st, "netb", in_b, N) && finds(&st, "neta", in_a, N),
	   "the removed are gone, the others found");

	/* A record written three times (as an ADD does: pending, with its
	 * address, ready; each a rename exchange, two events naming it): read
	 * at its first event, as new to the cache, then noted once and read
	 * again at the flush, not at each event. */
	size_t before = st.n;
	struct netd_entry *c9;
	struct vmnet_record r9;

	record_fixture(&r9, "neta", "c9999", 0x0a41ff09u, 16);
	strcpy(r9.host_if, "vmv9999a");
	r9.host_nsid = 4242;
	bad |= record_put(state, &r9) < 0;
	c9 = netd_state_note_events(&st) == 1 ? netd_state_find_key(&st, "neta", "c9999", "eth0")
					       : NULL;
	ok(!bad && c9 && st.n == before + 1 && c9->rec.host_nsid == 4242,
	   "a record new to the cache: read at its first event");
	netd_state_flush(&st);
	strcpy(r9.host_if, "vmv9999b");
	bad |= record_put(state, &r9) < 0 || record_put(state, &r9) < 0;
	c9 = netd_state_note_events(&st) == 1 ? netd_state_find_key(&st, "neta", "c9999", "eth0")
					       : NULL;
	ok(!bad && c9 && st.n == before + 1 && st.n_dirty == 1 && !strcmp(c9->rec.host_if, "vmv9999a"),
	   "its two rewrites (four events) noted once, not read yet (%zu noted)", st.n_dirty);
	c9 = netd_state_flush(&st) == 1 ? netd_state_find_key(&st, "neta", "c9999", "eth0") : NULL;
	ok(c9 && !strcmp(c9->rec.host_if, "vmv9999b") && st.n_dirty == 0 && sorted(&st),
	   "its last version read at the flush");
	ok(netd_state_note_events(&st) == 0 && netd_state_flush(&st) == 0,
	   "nothing more to note or read");
	bad |= vmnet_record_remove_key(state, "neta", "c9999", "eth0", &err) < 0;
	ok(!bad && netd_state_note_events(&st) == 1 &&
		   netd_state_find_key(&st, "neta", "c9999", "eth0") && netd_state_flush(&st) == 1 &&
		   !netd_state_find_key(&st, "neta", "c9999", "eth0") && st.n == before &&
		   netd_state_nsid_gone(&st, 4242),
	   "removed: forgotten at the flush, its namespace's id noted as gone");

	/* A record rewritten in place keeps its slot and its status. */
	struct netd_entry *c5 = netd_state_find_key(&st, "neta", "c5", "eth0");

	if (c5)
		netd_state_set_status(&st, &c5->rec, "ok", 0);
	bad |= put("neta", "c5", 5) < 0;
	netd_state_handle_events(&st);
	c5 = netd_state_find_key(&st, "neta", "c5", "eth0");
	ok(!bad && sorted(&st) && c5 && !strcmp(c5->status, "ok"),
	   "a rewritten record keeps its status");
	ok(indexed(&st), "the indexes (host device, guest addresses, nsid) follow every change");

	/* Rewritten with another host device, guest addresses and namespace:
	 * found under the new keys only. */
	struct vmnet_record rec;
	struct netd_entry *const *v;
	ssize_t n;

	record_fixture(&rec, "neta", "c5", 0x0a41ff05u, 16);
	strcpy(rec.host_if, "vmvmoved");
	rec.guest6.addr.s6_addr[0] = 0xfd;
	rec.guest6.addr.s6_addr[15] = 5;
	rec.guest6.len = 64;
	rec.host_nsid = 77;
	bad |= record_put(state, &rec) < 0;
	netd_state_handle_events(&st);
	c5 = netd_state_find_key(&st, "neta", "c5", "eth0");
	n = netd_state_with_host_if(&st, "vmv0005", &v);
	ok(!bad && c5 && n == 1 && v[0] != c5 && !strcmp(v[0]->rec.network, "netb"),
	   "a record moved to another host device leaves its old one (%zd left)", n);
	ok(netd_state_with_host_if(&st, "vmvmoved", &v) == 1 && v[0] == c5 &&
	   netd_state_with_guest4(&st, 0x0a41ff05u, &v) == 1 && v[0] == c5 &&
	   netd_state_with_guest6(&st, &rec.guest6.addr, &v) == 1 && v[0] == c5 &&
	   netd_state_with_nsid(&st, 77, &v) == 1 && v[0] == c5,
	   "and is found under its new device, addresses and namespace");
	ok(netd_state_with_guest4(&st, 0x0a400000u | 12, &v) == 2 &&
	   strcmp(v[0]->rec.network, v[1]->rec.network) && netd_state_with_host_if(&st, "vmv", &v) == 0,
	   "two records with one guest address (two networks) are both found, a prefix none");
	ok(indexed(&st), "the indexes hold nothing else");
	netd_state_load(&st, NULL);
	ok(indexed(&st), "a reload rebuilds them");
	/* In the order the changes after it keep: one that moves an entry
	 * finds it where it looks (else the indexes go dirty). */
	rec.host_nsid = 78;
	strcpy(rec.host_if, "vmvmoved2");
	bad |= record_put(state, &rec) < 0;
	netd_state_handle_events(&st);
	ok(!bad && !st.ix.dirty && indexed(&st), "a change after the rebuild keeps them in order");

	/* One visit per network (netd_pools_tend), without a walk. */
	char seen[64] = "";
	size_t visits = 0;

	for (size_t i = 0; i < st.n && visits < 8; i = netd_state_network_end(&st, i), visits++) {
		strcat(seen, st.v[i]->rec.network);
		strcat(seen, " ");
	}
	ok(!strcmp(seen, "neta netb "), "netd_state_network_end visits each network once: %s", seen);

	netd_state_free(&st);
	nftw(state, cleanup, 8, FTW_DEPTH | FTW_PHYS);
	return done();
}
