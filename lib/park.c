/* SPDX-License-Identifier: MIT */
/*
 * Parking host-wiring taps (include/vmnet/park.h). Parking is two requests
 * on the tap: down, no master, the parked device group (a device must be
 * down to be renamed), then the slot name with the parked alias. Which
 * proves it ours stays in between: until the rename its name and alias
 * are the attachment's, whose record DEL removes only after this.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmnet/addr.h"
#include "vmnet/common.h"
#include "vmnet/err.h"
#include "vmnet/link.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "vmnet/park.h"
#include "vmnet/record.h"

/* The configuration's bound, -1 when it gives none. */
static int conf_max = -1;

void vmnet_park_set_max(int max)
{
	conf_max = max > VMNET_PARK_SLOTS ? VMNET_PARK_SLOTS : max;
}

unsigned vmnet_park_max(void)
{
	const char *s = getenv("VMNET_PARK_MAX");
	char *end;
	unsigned long v;

	if (s && *s) {
		v = strtoul(s, &end, 10);
		if (!*end && v <= VMNET_PARK_SLOTS)
			return (unsigned)v;
	}
	return conf_max >= 0 ? (unsigned)conf_max : VMNET_PARK_MAX_DEFAULT;
}

/* A queue is attached to the tap (a VMM holds it): tun turns the carrier
 * on with the first queue and off with the last, up or down; multi-queue
 * taps also report their queues. */
static bool held(const struct vmnet_link_info *t)
{
	return t->carrier || t->tun_queues > 0;
}

static int64_t boot_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec;
}

static void slot_name(char buf[IFNAMSIZ], unsigned slot)
{
	snprintf(buf, IFNAMSIZ, VMNET_PREFIX_PARKED "%u", slot);
}

/* What a tap is made with, as the alias spells it: only a tap made alike
 * is handed to another attachment (TUNSETOWNER cannot clear an owner). */
static void tap_kind(char *buf, size_t size, const struct vmnet_tap_opts *o)
{
	snprintf(buf, size, "tap/%d/%d/%ld/%ld", o->multi_queue, o->vnet_hdr, o->uid, o->gid);
}

/* The park time of a parked alias, -1 if @alias is not one. */
static int64_t parked_since(const char *alias, const char **ret_kind)
{
	const size_t np = strlen(VMNET_ALIAS_PARKED);
	char *end;
	long long t;

	if (strncmp(alias, VMNET_ALIAS_PARKED, np))
		return -1;
	t = strtoll(alias + np, &end, 10);
	if (end == alias + np || *end != '/' || t < 0)
		return -1;
	if (ret_kind)
		*ret_kind = end + 1;
	return t;
}

int vmnet_park_slot_of(const char *name)
{
	const size_t np = strlen(VMNET_PREFIX_PARKED);
	const char *d = name + np;
	char *end;
	unsigned long v;

	if (strncmp(name, VMNET_PREFIX_PARKED, np) || *d < '0' || *d > '9' ||
	    (d[0] == '0' && d[1]))
		return -1;
	v = strtoul(d, &end, 10);
	return *end || v >= VMNET_PARK_SLOTS ? -1 : (int)v;
}

/* Up to this many parked taps kept by one reap are moved down per pass. */
#define COMPACT_MAX 64

/* What one dump of the taps without master says about the slots. */
struct pool {
	uint8_t taken[VMNET_PARK_SLOTS / 8]; /* a tap is called vmp<slot> */
	uint8_t old[VMNET_PARK_SLOTS / 8];   /* parked long enough ago to go */
	struct { unsigned slot; int ifindex; } young[COMPACT_MAX]; /* the others */
	unsigned n_young, left;
	int64_t now;
	unsigned min_age_s;
};

static bool bit(const uint8_t *m, unsigned i)
{
	return m[i / 8] & (1u << (i % 8));
}

static void set_bit(uint8_t *m, unsigned i, bool on)
{
	if (on)
		m[i / 8] |= (uint8_t)(1u << (i % 8));
	else
		m[i / 8] &= (uint8_t)~(1u << (i % 8));
}

static int pool_tap(const struct vmnet_link_info *li, void *arg)
{
	struct pool *p = arg;
	int slot = vmnet_park_slot_of(li->name);
	int64_t t;

	if (slot < 0)
		return 0;
	set_bit(p->taken, (unsigned)slot, true);
	t = parked_since(li->alias, NULL);
	if (t < 0)
		return 0; /* not ours: rule 4 */
	if (!p->min_age_s || p->now - t >= (int64_t)p->min_age_s) {
		set_bit(p->old, (unsigned)slot, true);
		return 0;
	}
	p->left++;
	if (p->n_young < COMPACT_MAX) { /* by slot */
		unsigned i = p->n_young++;

		for (; i > 0 && p->young[i - 1].slot > (unsigned)slot; i--)
			p->young[i] = p->young[i - 1];
		p->young[i].slot = (unsigned)slot;
		p->young[i].ifindex = li->ifindex;
	}
	return 0;
}

/* Out of service: without the gateway address of isolated mode (down keeps
 * IPv4 addresses and the next "up" would bring their routes back), down,
 * not a bridge port, in the parked group. The address goes first: taken
 * down with it, the device would make the kernel walk every IPv4 route of
 * the namespace (fib_flush), one per isolated attachment.
 *
 * A bridge port leaves the bridge first, then goes down, two requests in
 * one send. One request doing both goes down first (the kernel applies
 * flags before the master), and the bridge then disables the port twice:
 * for the down and again as it lets go of it, each time walking its
 * forwarding database and its ports (br_stp_disable_port), a cost that
 * grows with the ports. Between the two requests the tap is up and off
 * the bridge for a moment; only a queue could send into it there, and
 * the tap has none (vmnet_park_tap parks only a tap no VMM holds, with no
 * owner or group: only root could attach). */
static int quiesce(struct vmnet_nl *nl, const struct vmnet_record *rec,
		   const struct vmnet_link_info *info, struct vmnet_err *err)
{
	struct vmnet_link_change ch[2] = { VMNET_LINK_CHANGE_INIT, VMNET_LINK_CHANGE_INIT };
	struct vmnet_prefix gw = { .addr = rec->gateway, .len = rec->guest.len };
	int r = 0;

	if (rec->mode == VMNET_MODE_ISOLATED && vmnet_record_has4(rec))
		r = vmnet_addr_del(nl, info->ifindex, &gw, err);
	if (r < 0)
		return r;
	ch[0].master = 0;
	ch[0].devgroup = VMNET_PARK_GROUP;
	ch[info->master > 0].up = 0;
	return vmnet_link_set_all(nl, info->ifindex, ch, info->master > 0 ? 2 : 1, err);
}

/* Into the first free slot under the parked alias; 0 when all are taken.
 * The rename is atomic: a slot another DEL takes meanwhile is -EEXIST. */
static int into_slot(struct vmnet_nl *nl, const struct vmnet_record *rec, int idx, unsigned max,
		     struct vmnet_err *err)
{
	struct vmnet_tap_opts o = { .multi_queue = rec->multi_queue, .vnet_hdr = true,
				    .uid = rec->tap_uid, .gid = rec->tap_gid };
	struct vmnet_link_change ch = VMNET_LINK_CHANGE_INIT;
	char alias[128], kind[96], name[IFNAMSIZ];

	tap_kind(kind, sizeof(kind), &o);
	snprintf(alias, sizeof(alias), VMNET_ALIAS_PARKED "%" PRId64 "/%s", boot_s(), kind);
	ch.alias = alias;
	ch.name = name;
	for (unsigned slot = 0; slot < max; slot++) {
		int r;

		slot_name(name, slot);
		r = vmnet_link_set(nl, idx, &ch, NULL);
		if (r == 0)
			return 1;
		if (r != -EEXIST)
			return vmnet_link_set(nl, idx, &ch, err);
	}
	return 0;
}

int vmnet_park_tap(struct vmnet_nl *nl, const struct vmnet_record *rec, struct vmnet_err *err)
{
	struct vmnet_link_info info;
	unsigned max = vmnet_park_max();
	char alias[256];
	int r;

	if (vmnet_link_get(nl, rec->host_if, &info, NULL) < 0)
		return 0;
	vmnet_name_alias(alias, sizeof(alias), rec->network, rec->cid, rec->ifname);
	if (strcmp(info.alias, alias))
		return 0;
	/* A tap a VMM still holds could be written to by it, one with an
	 * owner or group reopened by them: it goes (only root reaches a
	 * parked tap). */
	if (max == 0 || held(&info) || strcmp(info.kind, "tun") ||
	    rec->tap_uid >= 0 || rec->tap_gid >= 0)
		return vmnet_link_del_index(nl, info.ifindex, err);
	r = quiesce(nl, rec, &info, err);
	if (r < 0 && !vmnet_err_is_gone(r))
		return r;
	r = into_slot(nl, rec, info.ifindex, max, err);
	if (r < 0)
		return vmnet_err_is_gone(r) ? 0 : r;
	if (r == 0)
		log_debug("no free parking slot for %s, deleting it", rec->host_if);
	/* Renamed, the tap can be opened by root only; one a VMM opened
	 * before that (its queues were read above) is not kept either. */
	else if (vmnet_link_get_index(nl, info.ifindex, &info, NULL) < 0 || !held(&info))
		return 0;
	return vmnet_link_del_index(nl, info.ifindex, err);
}

static int lock_pool(void)
{
	int fd;

	(void)mkdir("/run/vmnet", 0755);
	fd = open(VMNET_PARK_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	/* Busy: another ADD is claiming; this one makes a new tap, not wait. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The topmost parked tap of kind @kind with no queue attached, among the
 * slots up to the first free one: parking fills the lowest free slot, an
 * ADD takes the topmost, and a reap moves the ones it keeps down. One
 * look-up per parked tap, whatever else the host has: a dump of the taps
 * without master would cost one message per isolated attachment's tap. */
static int find_parked(struct vmnet_nl *nl, const char *kind, struct vmnet_link_info *ret)
{
	struct vmnet_link_info info;
	char name[IFNAMSIZ];
	bool found = false;

	for (unsigned slot = 0; slot < VMNET_PARK_SLOTS; slot++) {
		const char *k;

		slot_name(name, slot);
		if (vmnet_link_get(nl, name, &info, NULL) < 0)
			break;
		if (parked_since(info.alias, &k) < 0 || strcmp(k, kind) || held(&info) ||
		    info.up || info.master || strcmp(info.kind, "tun"))
			continue;
		*ret = info;
		found = true;
	}
	return found;
}

int vmnet_park_claim_tap(struct vmnet_nl *nl, const struct vmnet_tap_opts *o,
			 const struct vmnet_link_change *as, int *ret_ifindex, struct vmnet_err *err)
{
	_cleanup_close_ int lock = -1;
	struct vmnet_link_change ch = *as;
	struct vmnet_link_info found;
	char kind[96];
	int r;

	if (vmnet_park_max() == 0 || o->uid >= 0 || o->gid >= 0 || !as->name || !as->alias)
		return 0;
	tap_kind(kind, sizeof(kind), o);
	lock = lock_pool();
	if (lock < 0)
		return 0;
	/* Past the bound too: it may have been lowered. */
	if (!find_parked(nl, kind, &found))
		return 0;
	/* The rename is the claim: under the lock no other ADD takes this
	 * one; netd or GC deleting it meanwhile (-ENODEV) leaves us none. A
	 * rename costs the kernel its sysctl and sysfs entries (a quarter to
	 * half a millisecond), so the tap gets the attachment's name and
	 * alias in this one request, as a new tap does from its temporary
	 * name. */
	ch.group_default = true;
	ch.up = -1;
	ch.master = -1;
	r = vmnet_link_set(nl, found.ifindex, &ch, err);
	if (r == -ENODEV) {
		vmnet_err_clear(err);
		return 0;
	}
	/* Refused part way (the name taken, say): the request may have
	 * changed the tap before failing; it is not parked as it was. */
	if (r < 0) {
		vmnet_err_clear(err);
		vmnet_link_del_index(nl, found.ifindex, NULL);
		return 0;
	}
	/* A VMM's flags (vnet header, packet info) outlive it on the tap. */
	if (vmnet_link_tap_reset(as->name, o, NULL) < 0) {
		vmnet_link_del_index(nl, found.ifindex, NULL);
		return 0;
	}
	log_debug("reusing parked %s as %s", found.name, as->name);
	*ret_ifindex = found.ifindex;
	return 1;
}

/* Move the parked taps a reap kept into the lowest free slots, so that
 * ADD's look-ups, which stop at the first free slot, find them. Under the
 * claim lock (by ifindex: no ADD renames them meanwhile); a DEL parking
 * into the same slot makes the rename -EEXIST, skipped. */
static void compact(struct vmnet_nl *nl, struct pool *p)
{
	_cleanup_close_ int lock = -1;
	struct vmnet_link_change ch = VMNET_LINK_CHANGE_INIT;
	char name[IFNAMSIZ];
	unsigned to = 0;

	for (unsigned i = p->n_young; i-- > 0;) {
		unsigned from = p->young[i].slot;

		while (to < from && bit(p->taken, to))
			to++;
		if (to >= from)
			continue;
		if (lock < 0 && (lock = lock_pool()) < 0)
			return;
		slot_name(name, to);
		ch.name = name;
		if (vmnet_link_set(nl, p->young[i].ifindex, &ch, NULL) == 0) {
			set_bit(p->taken, to, true);
			set_bit(p->taken, from, false);
		}
		to++;
	}
}

/* Slots 0 to @upto by name, into @p as the dump would give them. */
static int look_by_name(struct vmnet_nl *nl, int upto, struct pool *p, struct vmnet_err *err)
{
	struct vmnet_link_info li;
	char name[IFNAMSIZ];

	for (int slot = 0; slot <= upto && slot < VMNET_PARK_SLOTS; slot++) {
		int r;

		slot_name(name, (unsigned)slot);
		r = vmnet_link_get(nl, name, &li, NULL);
		if (r == -ENODEV)
			continue;
		if (r < 0)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "looking up %s", name);
		if (!strcmp(li.kind, "tun"))
			pool_tap(&li, p);
	}
	return 0;
}

static int top_of(const struct pool *p)
{
	for (int slot = VMNET_PARK_SLOTS; slot-- > 0;)
		if (bit(p->taken, (unsigned)slot))
			return slot;
	return -1;
}

int vmnet_park_top_in(const struct vmnet_link_snap *s)
{
	int top = -1;

	for (size_t i = 0; i < s->n; i++) {
		int slot = vmnet_park_slot_of(s->v[i].name);

		if (slot > top && !strcmp(s->v[i].kind, "tun"))
			top = slot;
	}
	return top;
}

int vmnet_park_reap(struct vmnet_nl *nl, unsigned min_age_s, int upto_slot, unsigned *ret_left,
		    int *ret_top, struct vmnet_err *err)
{
	struct pool p = { .now = boot_s(), .min_age_s = min_age_s };
	char name[IFNAMSIZ];
	int first;

	/* One dump finds them in every slot, past the bound too (it may have
	 * been lowered). */
	first = upto_slot < 0 ? vmnet_link_walk(nl, "tun", -1, pool_tap, &p, err)
			      : look_by_name(nl, upto_slot, &p, err);
	if (first < 0)
		return first;
	for (unsigned slot = 0; slot < VMNET_PARK_SLOTS; slot++) {
		int r;

		if (!bit(p.old, slot))
			continue;
		/* By name: a tap claimed meanwhile is no longer called so. */
		slot_name(name, slot);
		r = vmnet_link_del(nl, name, first ? NULL : err);
		if (r < 0 && !first)
			first = r;
		else if (r >= 0)
			set_bit(p.taken, slot, false);
	}
	compact(nl, &p);
	if (ret_left)
		*ret_left = p.left;
	if (ret_top)
		*ret_top = top_of(&p);
	return first;
}
