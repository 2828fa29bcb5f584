/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "state.h"
#include "state_priv.h"
#include "vmnet/clock.h"
#include "vmnet/err.h"
#include "vmnet/ipam.h"
#include "vmnet/log.h"

bool netd_state_is_record_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 6 && !strcmp(name + n - 5, ".json") && strchr(name, '@');
}

static int cmp_key(const struct vmnet_record *x, const char *network, const char *cid,
		   const char *ifname)
{
	int r = strcmp(x->network, network);

	if (!r)
		r = strcmp(x->cid, cid);
	if (!r)
		r = strcmp(x->ifname, ifname);
	return r;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct netd_entry *x = *(struct netd_entry *const *)a;
	const struct netd_entry *y = *(struct netd_entry *const *)b;

	return cmp_key(&x->rec, y->rec.network, y->rec.cid, y->rec.ifname);
}

void netd_cache_sort(struct netd_state *st)
{
	if (st->n > 1)
		qsort(st->v, st->n, sizeof(*st->v), cmp_entry);
}

/* Binary search of the sorted @v: the index of the key's entry, or -1 with
 * *ret_at where it would go. The cache is kept sorted so that a record's
 * change costs O(log N) compares, not a sort (which, at every inotify event
 * of every call, made netd's share of a CPU grow with N). */
ssize_t netd_cache_search(struct netd_entry *const *v, size_t n, const char *network,
		      const char *cid, const char *ifname, size_t *ret_at)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = cmp_key(&v[mid]->rec, network, cid, ifname);

		if (!r)
			return (ssize_t)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ret_at)
		*ret_at = lo;
	return -1;
}

/* @e in at index @at (the end for a load, sorted after). */
int netd_cache_insert(struct netd_state *st, size_t at, struct netd_entry *e)
{
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 32;
		struct netd_entry **v = realloc(st->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		st->v = v;
		st->cap = cap;
	}
	memmove(&st->v[at + 1], &st->v[at], (st->n - at) * sizeof(*st->v));
	st->v[at] = e;
	st->n++;
	netd_index_add(&st->ix, e);
	return 0;
}


void netd_entry_free(struct netd_entry *e)
{
	if (e) {
		vmnet_record_clear(&e->rec);
		free(e->ipam_pool);
	}
	free(e);
}

void netd_state_watch(struct netd_state *st, const char *network)
{
	char dir[PATH_MAX];
	int wd;

	if (st->ino_fd < 0 || strlen(network) > VMNET_NETNAME_MAX ||
	    vmnet_record_dir(dir, sizeof(dir), st->state_dir, network) < 0)
		return;
	wd = inotify_add_watch(st->ino_fd, dir,
			       IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE |
				       IN_DELETE_SELF | IN_ONLYDIR);
	if (wd < 0)
		return;
	for (size_t i = 0; i < st->n_wd; i++)
		if (st->wds[i] == wd) {
			snprintf(st->wd_net[i], sizeof(st->wd_net[i]), "%s", network);
			return;
		}
	if (st->n_wd == st->cap_wd) {
		size_t cap = st->cap_wd ? st->cap_wd * 2 : 16;
		int *w = realloc(st->wds, cap * sizeof(*w));
		char(*nn)[129];

		if (!w)
			return;
		st->wds = w;
		nn = realloc(st->wd_net, cap * sizeof(*nn));
		if (!nn)
			return;
		st->wd_net = nn;
		st->cap_wd = cap;
	}
	st->wds[st->n_wd] = wd;
	snprintf(st->wd_net[st->n_wd], sizeof(st->wd_net[0]), "%s", network);
	st->n_wd++;
}

int netd_state_init(struct netd_state *st, const char *state_dir, struct vmnet_err *err)
{
	memset(st, 0, sizeof(*st));
	st->ino_fd = -1;
	st->root_wd = -1;
	st->state_dir = strdup(state_dir);
	if (!st->state_dir)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "state");
	st->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (st->ino_fd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "inotify");
	st->root_wd =
		inotify_add_watch(st->ino_fd, state_dir, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
	if (st->root_wd < 0)
		return vmnet_err_set(err, CNI_ERR_IO, errno, "watching %s", state_dir);
	return netd_state_load(st, err);
}

void netd_state_free(struct netd_state *st)
{
	for (size_t i = 0; i < st->n; i++)
		netd_entry_free(st->v[i]);
	free(st->v);
	netd_index_free(&st->ix);
	free(st->changed);
	free(st->dirty);
	free(st->wds);
	free(st->wd_net);
	if (st->ino_fd >= 0)
		close(st->ino_fd);
	free(st->state_dir);
	memset(st, 0, sizeof(*st));
	st->ino_fd = -1;
}


int netd_state_fd(const struct netd_state *st)
{
	return st->ino_fd;
}

void netd_state_nsid_note_gone(struct netd_state *st, int nsid)
{
	unsigned k = st->n_gone_nsid++ % NETD_GONE_NSIDS;

	st->gone_nsid[k] = nsid;
	st->gone_at[k] = vmnet_mono_ms();
}

static void remove_at(struct netd_state *st, size_t i)
{
	if (st->v[i]->rec.host_nsid >= 0)
		netd_state_nsid_note_gone(st, st->v[i]->rec.host_nsid);
	netd_index_del(&st->ix, st->v[i]);
	netd_entry_free(st->v[i]);
	memmove(&st->v[i], &st->v[i + 1], (st->n - i - 1) * sizeof(*st->v));
	st->n--;
}

/* @k into the set @v (no duplicates); false when it could not grow. */
static bool keys_add(struct netd_key **v, size_t *n, size_t *cap, const struct netd_key *k)
{
	for (size_t i = 0; i < *n; i++)
		if (!memcmp(&(*v)[i], k, sizeof(*k)))
			return true;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct netd_key *w = realloc(*v, c * sizeof(*w));

		if (!w)
			return false;
		*v = w;
		*cap = c;
	}
	(*v)[(*n)++] = *k;
	return true;
}

static void note_change(struct netd_state *st, const struct netd_key *k)
{
	if (!st->changed_all && !keys_add(&st->changed, &st->n_changed, &st->cap_changed, k))
		st->changed_all = true;
}

void netd_state_forget_changes(struct netd_state *st)
{
	st->n_changed = 0;
	st->changed_all = false;
}

bool netd_state_nsid_gone(const struct netd_state *st, int nsid)
{
	unsigned n = st->n_gone_nsid < NETD_GONE_NSIDS ? st->n_gone_nsid : NETD_GONE_NSIDS;

	int64_t now = vmnet_mono_ms();

	for (unsigned i = 0; i < n; i++)
		if (st->gone_nsid[i] == nsid && now - st->gone_at[i] < NETD_GONE_NSID_MS)
			return true;
	return false;
}

/* The record of @k changed on disk: re-read or forget it. 1 if the cache
 * changed. */
static int update_key(struct netd_state *st, const struct netd_key *k)
{
	char path[PATH_MAX];
	struct netd_entry *e, *old;
	size_t at = 0;
	ssize_t i;

	if (vmnet_record_path(path, sizeof(path), st->state_dir, k->network, k->cid, k->ifname) < 0)
		return 0;
	i = netd_cache_search(st->v, st->n, k->network, k->cid, k->ifname, &at);
	e = access(path, F_OK) == 0 ? netd_entry_read(path) : NULL;
	if (i >= 0 && !e) {
		remove_at(st, (size_t)i);
		log_debug("record %s/%s@%s removed", k->network, k->cid, k->ifname);
		return 1;
	}
	if (!e)
		return 0;
	if (i >= 0) {
		old = st->v[i];
		memcpy(e->status, old->status, sizeof(e->status));
		e->absent_since = old->absent_since;
		netd_index_del(&st->ix, old);
		vmnet_record_clear(&old->rec);
		*old = *e;
		free(e);
		netd_index_add(&st->ix, old);
		/* A record naming another attachment than its file's name
		 * (damaged, or written by hand) moves in the order. */
		if (cmp_key(&old->rec, k->network, k->cid, k->ifname))
			netd_cache_sort(st);
	} else if ((cmp_key(&e->rec, k->network, k->cid, k->ifname) &&
		    netd_cache_search(st->v, st->n, e->rec.network, e->rec.cid, e->rec.ifname, &at) >= 0) ||
		   netd_cache_insert(st, at, e) < 0) {
		netd_entry_free(e);
		return 0;
	} else {
		log_debug("record %s/%s@%s added", k->network, k->cid, k->ifname);
	}
	return 1;
}

void netd_state_refresh(struct netd_state *st, const struct netd_key *k)
{
	update_key(st, k);
}

void netd_key_of(const struct vmnet_record *rec, struct netd_key *k)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->network, sizeof(k->network), "%s", rec->network);
	snprintf(k->cid, sizeof(k->cid), "%s", rec->cid);
	snprintf(k->ifname, sizeof(k->ifname), "%s", rec->ifname);
}

bool netd_key_of_name(const char *network, const char *name, struct netd_key *k)
{
	const char *at = strrchr(name, '@');
	size_t cl, il;

	if (!at || !netd_state_is_record_name(name))
		return false;
	cl = (size_t)(at - name);
	il = strlen(at + 1) - 5;
	if (cl >= sizeof(k->cid) || il >= sizeof(k->ifname) ||
	    strlen(network) >= sizeof(k->network))
		return false;
	memset(k, 0, sizeof(*k));
	snprintf(k->network, sizeof(k->network), "%s", network);
	memcpy(k->cid, name, cl);
	memcpy(k->ifname, at + 1, il);
	return true;
}

/* One file of @network's directory changed: re-read or forget it, and
 * note it for the next pass. */
static int update_file(struct netd_state *st, const char *network, const char *name)
{
	struct netd_key k;

	if (!netd_key_of_name(network, name, &k))
		return 0;
	note_change(st, &k);
	/* A record in the cache is read again at the next flush, once however
	 * many events name it. One not in it is read now: what it says (the
	 * id of its namespace among it) is known before that namespace's
	 * events are weighed, and when the record goes, its id is noted as
	 * gone (netd_state_nsid_gone), not taken for a stranger's. */
	if (netd_cache_search(st->v, st->n, k.network, k.cid, k.ifname, NULL) >= 0 &&
	    keys_add(&st->dirty, &st->n_dirty, &st->cap_dirty, &k))
		return 1;
	return update_key(st, &k);
}

int netd_state_note_events(struct netd_state *st)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	int changed = 0;

	for (;;) {
		ssize_t n = read(st->ino_fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				netd_state_load(st, NULL);
				st->changed_all = true;
				changed = 1;
				continue;
			}
			if (ev->wd == st->root_wd) {
				/* A new network directory: watch it and read what
				 * it already holds (records may predate the watch). */
				if (ev->len && ev->name[0] != '.' && (ev->mask & IN_ISDIR)) {
					netd_state_load(st, NULL);
					st->changed_all = true;
					changed = 1;
				}
				continue;
			}
			for (size_t i = 0; i < st->n_wd; i++) {
				if (st->wds[i] != ev->wd)
					continue;
				if (ev->mask & (IN_DELETE_SELF | IN_IGNORED)) {
					st->wds[i] = st->wds[st->n_wd - 1];
					memcpy(st->wd_net[i], st->wd_net[st->n_wd - 1],
					       sizeof(st->wd_net[i]));
					st->n_wd--;
					st->changed_all = true;
					changed = 1;
				} else if (ev->len && netd_state_is_record_name(ev->name)) {
					changed |= update_file(st, st->wd_net[i], ev->name);
				}
				break;
			}
		}
	}
	return changed;
}

int netd_state_flush(struct netd_state *st)
{
	int changed = 0;

	for (size_t i = 0; i < st->n_dirty; i++)
		changed |= update_key(st, &st->dirty[i]);
	st->n_dirty = 0;
	return changed;
}

int netd_state_handle_events(struct netd_state *st)
{
	int changed = netd_state_note_events(st);

	return netd_state_flush(st) | changed;
}

size_t netd_state_network_end(const struct netd_state *st, size_t i)
{
	const char *net = st->v[i]->rec.network;
	size_t lo = i + 1, hi = st->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(st->v[mid]->rec.network, net) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct netd_entry *netd_state_find_key(struct netd_state *st, const char *network, const char *cid,
				       const char *ifname)
{
	ssize_t i = netd_cache_search(st->v, st->n, network, cid, ifname, NULL);

	return i >= 0 ? st->v[i] : NULL;
}

struct netd_entry *netd_state_find(struct netd_state *st, const char *cid, const char *ifname)
{
	for (size_t i = 0; i < st->n; i++) {
		struct vmnet_record *r = &st->v[i]->rec;

		if (!strcmp(r->cid, cid) && (!ifname || !*ifname || !strcmp(r->ifname, ifname)))
			return st->v[i];
	}
	return NULL;
}

struct netd_entry *netd_state_find_mac(struct netd_state *st, const uint8_t mac[6], const char *dev)
{
	for (size_t i = 0; i < st->n; i++) {
		struct vmnet_record *r = &st->v[i]->rec;

		if (memcmp(r->guest_mac, mac, 6))
			continue;
		if (!strcmp(r->host_if, dev) ||
		    (r->mode == VMNET_MODE_SHARED && !strcmp(r->bridge, dev)))
			return st->v[i];
	}
	return NULL;
}

void netd_state_set_status(struct netd_state *st, const struct vmnet_record *rec,
			   const char *status, int64_t absent_since)
{
	struct netd_entry *e = netd_state_find_key(st, rec->network, rec->cid, rec->ifname);

	if (!e)
		return;
	snprintf(e->status, sizeof(e->status), "%s", status);
	e->absent_since = absent_since;
}
