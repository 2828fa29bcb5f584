/* SPDX-License-Identifier: MIT */
/*
 * vmnet's devices in a firewalld zone of their own (netd/firewalld.h), the
 * way libvirt does it with its `libvirt` zone and `libvirt-to-host` policy:
 *
 * - zone NETD_FWD_ZONE, target ACCEPT: what a guest sends to be forwarded
 *   (to another guest, to the outside) passes firewalld; vmnet's own table
 *   still decides isolation and what may reach a guest. Traffic to a guest
 *   from elsewhere enters firewalld in the other device's zone: replies and
 *   published (DNAT'd) ports pass firewalld's own early accepts, the rest
 *   meets that zone's target, as before.
 * - policy NETD_FWD_POLICY, zone -> HOST, target REJECT except DHCP, DNS
 *   and ICMP: a guest reaches no other host service through the zone's ACCEPT.
 *
 * firewalld 1.3's D-Bus API (firewalld.dbus(5)); every call is synchronous
 * with a short timeout, on the bus netd polls for signals.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "firewalld.h"
#include "vmnet/clock.h"
#include "vmnet/common.h"
#include "vmnet/log.h"

#define FWD_NAME "org.fedoraproject.FirewallD1"
#define FWD_PATH "/org/fedoraproject/FirewallD1"
#define FWD_CONFIG_PATH FWD_PATH "/config"
#define CALL_USEC (5 * 1000 * 1000ULL)	  /* firewalld answers while it starts */
#define RELOAD_USEC (20 * 1000 * 1000ULL) /* a reload rebuilds every table */
#define MAX_CALLS 32			  /* bindings per sync; the rest soon after */
#define RECONNECT_MS 5000		  /* without a bus, how often a pass tries again */

struct netd_fwd {
	sd_bus *bus;
	sd_bus_slot *owner_slot, *reload_slot;
	bool running;		 /* FWD_NAME has an owner */
	bool ready;		 /* zone and policy checked for this firewalld */
	bool changed;		 /* a signal since the last sync */
	char (*bound)[IFNAMSIZ]; /* sorted: what firewalld has bound for us */
	size_t n_bound, cap;
	size_t want;
	int64_t tried; /* monotonic ms of the last connection attempt */
	char error[256];
	char warned[256]; /* the last error logged: a retry does not repeat it */
};

/* ---- calls ---- */

static void set_error(struct netd_fwd *f, const char *what, const sd_bus_error *e, int r)
{
	snprintf(f->error, sizeof(f->error), "%s: %s", what,
		 e && e->message ? e->message : strerror(-r));
}

/* Send @m, wait up to @usec for the reply (NULL @ret: dropped). */
static int call(struct netd_fwd *f, sd_bus_message *m, uint64_t usec, sd_bus_error *e,
		sd_bus_message **ret)
{
	sd_bus_message *reply = NULL;
	int r = sd_bus_call(f->bus, m, usec, e, &reply);

	if (r >= 0 && ret)
		*ret = reply;
	else
		sd_bus_message_unref(reply);
	return r;
}

static int new_call(struct netd_fwd *f, sd_bus_message **m, const char *path, const char *iface,
		    const char *member)
{
	return sd_bus_message_new_method_call(f->bus, m, FWD_NAME, path, iface, member);
}

/* A method that takes no arguments and returns a list of names (as). */
static int get_names(struct netd_fwd *f, const char *path, const char *iface, const char *member,
		     char ***ret)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	int r = new_call(f, &m, path, iface, member);

	if (r >= 0)
		r = call(f, m, CALL_USEC, &e, &reply);
	if (r >= 0)
		r = sd_bus_message_read_strv(reply, ret);
	if (r < 0)
		set_error(f, member, &e, r);
	sd_bus_error_free(&e);
	sd_bus_message_unref(m);
	sd_bus_message_unref(reply);
	return r;
}

static bool strv_has(char **v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

static void strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

/* Does the list @member of @path/@iface name @name? 1, 0 or -errno. */
static int names_have(struct netd_fwd *f, const char *path, const char *iface, const char *member,
		      const char *name)
{
	char **v = NULL;
	int r = get_names(f, path, iface, member, &v);

	if (r >= 0)
		r = strv_has(v, name);
	strv_free(v);
	return r;
}

/* ---- permanent configuration ---- */

/* The zone's settings for config.addZone2 (a{sv}, firewalld >= 0.9). */
static int append_zone(sd_bus_message *m)
{
	return sd_bus_message_append(
		m, "sa{sv}", NETD_FWD_ZONE, 4, "short", "s", "vmnet", "description", "s",
		"vmnet's host-side devices (bridges, per-VM links), bound at runtime by netd. "
		"ACCEPT forwards what guests send; vmnet's own nftables table decides "
		"isolation and published ports. Host access: policy " NETD_FWD_POLICY ".",
		"target", "s", "ACCEPT", "forward", "b", 1);
}

/* The policy's settings for config.addPolicy (a{sv}, firewalld >= 0.9). */
static int append_policy(sd_bus_message *m)
{
	return sd_bus_message_append(
		m, "sa{sv}", NETD_FWD_POLICY, 7, "short", "s", NETD_FWD_POLICY, "description", "s",
		"What vmnet's guests may reach on the host: DHCP, DNS and ICMP.", "target", "s",
		"REJECT", "ingress_zones", "as", 1, NETD_FWD_ZONE, "egress_zones", "as", 1, "HOST",
		"services", "as", 3, "dhcp", "dhcpv6", "dns", "protocols", "as", 2, "icmp",
		"ipv6-icmp");
}

/* Add the zone (@policy false) or the policy to the permanent configuration
 * if it lacks it: 1 if added, 0 if there, -errno. */
static int ensure_permanent(struct netd_fwd *f, bool policy)
{
	const char *list = policy ? "getPolicyNames" : "getZoneNames";
	const char *name = policy ? NETD_FWD_POLICY : NETD_FWD_ZONE;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	int r = names_have(f, FWD_CONFIG_PATH, FWD_NAME ".config", list, name);

	if (r != 0)
		return r < 0 ? r : 0;
	r = new_call(f, &m, FWD_CONFIG_PATH, FWD_NAME ".config", policy ? "addPolicy" : "addZone2");
	if (r >= 0)
		r = policy ? append_policy(m) : append_zone(m);
	if (r >= 0)
		r = call(f, m, CALL_USEC, &e, NULL);
	if (r < 0)
		set_error(f,
			  policy ? "adding policy " NETD_FWD_POLICY : "adding zone " NETD_FWD_ZONE,
			  &e, r);
	else
		log_info("firewalld: added %s %s to its permanent configuration",
			 policy ? "policy" : "zone", name);
	sd_bus_error_free(&e);
	sd_bus_message_unref(m);
	return r < 0 ? r : 1;
}

static int reload(struct netd_fwd *f)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	int r = new_call(f, &m, FWD_PATH, FWD_NAME, "reload");

	if (r >= 0)
		r = call(f, m, RELOAD_USEC, &e, NULL);
	if (r < 0)
		set_error(f, "reload", &e, r);
	sd_bus_error_free(&e);
	sd_bus_message_unref(m);
	return r;
}

static int bound_add(struct netd_fwd *f, const char *dev);
static void bound_sort(struct netd_fwd *f);

/* The devices firewalld already has in the zone (bound by netd's last run). */
static int load_bound(struct netd_fwd *f)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	char **ifs = NULL;
	int r = new_call(f, &m, FWD_PATH, FWD_NAME ".zone", "getInterfaces");

	if (r >= 0)
		r = sd_bus_message_append(m, "s", NETD_FWD_ZONE);
	if (r >= 0)
		r = call(f, m, CALL_USEC, &e, &reply);
	if (r >= 0)
		r = sd_bus_message_read_strv(reply, &ifs);
	if (r < 0)
		set_error(f, "getInterfaces", &e, r);
	for (char **p = ifs; r >= 0 && p && *p; p++)
		r = bound_add(f, *p);
	bound_sort(f);
	strv_free(ifs);
	sd_bus_error_free(&e);
	sd_bus_message_unref(m);
	sd_bus_message_unref(reply);
	return r;
}

/* Zone and policy in firewalld's runtime (a reload if it needs one to load
 * them), and the devices it already has in the zone (netd's last run). */
static int ensure_ready(struct netd_fwd *f)
{
	int r, zone, pol;

	if (f->ready)
		return 0;
	if ((r = ensure_permanent(f, false)) < 0 || (r = ensure_permanent(f, true)) < 0)
		return r;
	zone = names_have(f, FWD_PATH, FWD_NAME ".zone", "getZones", NETD_FWD_ZONE);
	pol = names_have(f, FWD_PATH, FWD_NAME ".policy", "getPolicies", NETD_FWD_POLICY);
	if (zone < 0 || pol < 0)
		return zone < 0 ? zone : pol;
	if (!zone || !pol) {
		log_info("firewalld: reloading it to load zone %s and policy %s", NETD_FWD_ZONE,
			 NETD_FWD_POLICY);
		if ((r = reload(f)) < 0)
			return r;
	}
	f->n_bound = 0;
	if ((r = load_bound(f)) < 0)
		return r;
	f->ready = true;
	return 0;
}

/* ---- runtime bindings ---- */

static int cmp_name(const void *a, const void *b)
{
	return strncmp(a, b, IFNAMSIZ);
}

static int cmp_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool bound_has(const struct netd_fwd *f, size_t n, const char *dev)
{
	return n && bsearch(dev, f->bound, n, IFNAMSIZ, cmp_name);
}

/* Append (callers add only names not bound yet); bound_sort() after. */
static int bound_add(struct netd_fwd *f, const char *dev)
{
	if (strlen(dev) >= IFNAMSIZ)
		return 0;
	if (f->n_bound == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		void *v = realloc(f->bound, cap * IFNAMSIZ);

		if (!v)
			return -ENOMEM;
		f->bound = v;
		f->cap = cap;
	}
	snprintf(f->bound[f->n_bound++], IFNAMSIZ, "%s", dev);
	return 0;
}

static void bound_sort(struct netd_fwd *f)
{
	if (f->n_bound)
		qsort(f->bound, f->n_bound, IFNAMSIZ, cmp_name);
}

/* changeZoneOfInterface (@bind) or removeInterface; firewalld's "already
 * so" answers count as done. */
static int bind_one(struct netd_fwd *f, const char *dev, bool bind)
{
	static const char *const done[] = {"ZONE_ALREADY_SET", "UNKNOWN_INTERFACE",
					   "ZONE_CONFLICT"};
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	int r = new_call(f, &m, FWD_PATH, FWD_NAME ".zone",
			 bind ? "changeZoneOfInterface" : "removeInterface");

	if (r >= 0)
		r = sd_bus_message_append(m, "ss", NETD_FWD_ZONE, dev);
	if (r >= 0)
		r = call(f, m, CALL_USEC, &e, NULL);
	for (size_t i = bind ? 0 : 1; r < 0 && e.message && i < ARRAY_SIZE(done); i++)
		if (strstr(e.message, done[i]))
			r = 0;
	if (r < 0) {
		char what[64];

		snprintf(what, sizeof(what), "%s %s", bind ? "binding" : "unbinding", dev);
		set_error(f, what, &e, r);
		if (strcmp(f->warned, f->error))
			log_warn("firewalld: %s", f->error);
		snprintf(f->warned, sizeof(f->warned), "%s", f->error);
	} else {
		log_debug("firewalld: %s %s zone %s", dev, bind ? "in" : "out of", NETD_FWD_ZONE);
	}
	sd_bus_error_free(&e);
	sd_bus_message_unref(m);
	return r;
}

/* Unbind what is bound but not in @want (sorted, @n): 0, or 1 to retry. */
static int unbind_gone(struct netd_fwd *f, const char *const *want, size_t n)
{
	size_t i, keep = 0;
	int retry = 0;

	for (i = 0; i < f->n_bound; i++) {
		const char *b = f->bound[i];
		bool stays = bsearch(&b, want, n, sizeof(*want), cmp_ptr);

		if (!stays && bind_one(f, b, false) < 0) {
			stays = true;
			retry = 1;
		}
		if (!stays)
			continue;
		if (keep != i)
			memcpy(f->bound[keep], b, IFNAMSIZ);
		keep++;
	}
	f->n_bound = keep;
	return retry;
}

static int sync_sorted(struct netd_fwd *f, const char **want, size_t n)
{
	size_t i, u = 0, calls = 0, n_sorted = f->n_bound;
	int retry = 0;

	qsort(want, n, sizeof(*want), cmp_ptr);
	for (i = 0; i < n; i++)
		if (want[i][0] && (!u || strcmp(want[u - 1], want[i])))
			want[u++] = want[i];
	f->want = u;
	/* bound_has() searches the sorted part, n_sorted: what is added here is
	 * not looked up again (@want has each name once). */
	for (i = 0; i < u && calls < MAX_CALLS; i++) {
		if (bound_has(f, n_sorted, want[i]))
			continue;
		calls++;
		if (bind_one(f, want[i], true) < 0 || bound_add(f, want[i]) < 0)
			retry = 1;
	}
	bound_sort(f);
	/* The rest next time: firewalld takes milliseconds per binding and
	 * netd's loop waits for each. */
	retry |= i < u;
	return unbind_gone(f, want, u) | retry;
}

/* ---- signals ---- */

static int on_owner(sd_bus_message *m, void *userdata, sd_bus_error *unused)
{
	struct netd_fwd *f = userdata;
	const char *name, *old, *new;

	if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0 || strcmp(name, FWD_NAME))
		return 0;
	f->running = new &&new[0];
	f->ready = false;
	f->n_bound = 0;
	f->changed = true;
	log_info("firewalld %s", f->running ? "started: binding vmnet's devices again" : "stopped");
	return 0;
}

static int on_reloaded(sd_bus_message *m, void *userdata, sd_bus_error *unused)
{
	struct netd_fwd *f = userdata;

	/* A reload drops runtime bindings; the zone and policy are permanent. */
	f->n_bound = 0;
	f->ready = false;
	f->changed = true;
	log_info("firewalld reloaded: binding vmnet's devices again");
	return 0;
}

static int watch(struct netd_fwd *f)
{
	int r = sd_bus_match_signal(f->bus, &f->owner_slot, "org.freedesktop.DBus",
				    "/org/freedesktop/DBus", "org.freedesktop.DBus",
				    "NameOwnerChanged", on_owner, f);

	if (r >= 0)
		r = sd_bus_match_signal(f->bus, &f->reload_slot, NULL, FWD_PATH, FWD_NAME,
					"Reloaded", on_reloaded, f);
	return r;
}

/* ---- the handle ---- */

static bool name_has_owner(struct netd_fwd *f)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int has = 0;

	if (sd_bus_call_method(f->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "NameHasOwner", &e, &reply, "s",
			       FWD_NAME) >= 0 &&
	    sd_bus_message_read(reply, "b", &has) < 0)
		has = 0;
	sd_bus_error_free(&e);
	sd_bus_message_unref(reply);
	return has;
}

static void drop_bus(struct netd_fwd *f)
{
	f->owner_slot = sd_bus_slot_unref(f->owner_slot);
	f->reload_slot = sd_bus_slot_unref(f->reload_slot);
	f->bus = sd_bus_flush_close_unref(f->bus);
	f->running = f->ready = false;
	f->n_bound = 0;
}

/* Connect and watch; without a bus, say so once (@quiet: not at all). */
static int connect_bus(struct netd_fwd *f, bool quiet)
{
	int r;

	f->tried = vmnet_mono_ms();
	r = sd_bus_open_system(&f->bus);
	if (r >= 0)
		r = watch(f);
	if (r < 0) {
		snprintf(f->error, sizeof(f->error), "no system bus: %s", strerror(-r));
		if (!quiet)
			log_info("firewalld: %s; not managing firewalld zones", f->error);
		drop_bus(f);
		return r;
	}
	f->running = name_has_owner(f);
	f->changed = true;
	f->error[0] = '\0';
	log_info("firewalld: system bus connected, firewalld %s",
		 f->running ? "running" : "not running");
	return 0;
}

int netd_fwd_open(struct netd_fwd **ret)
{
	struct netd_fwd *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	connect_bus(f, false);
	*ret = f;
	return 0;
}

int netd_fwd_reconnect(struct netd_fwd *f)
{
	if (!f || f->bus || vmnet_mono_ms() - f->tried < RECONNECT_MS)
		return 0;
	return connect_bus(f, true) == 0;
}

void netd_fwd_close(struct netd_fwd *f)
{
	if (!f)
		return;
	drop_bus(f);
	free(f->bound);
	free(f);
}

int netd_fwd_fd(const struct netd_fwd *f)
{
	return f && f->bus ? sd_bus_get_fd(f->bus) : -1;
}

int netd_fwd_handle(struct netd_fwd *f)
{
	int r;

	if (!f || !f->bus)
		return 0;
	while ((r = sd_bus_process(f->bus, NULL)) > 0)
		;
	if (r < 0) {
		/* The bus went (dbus-daemon stopped): netd goes on without. */
		log_info("firewalld: system bus lost (%s); trying again every %d s", strerror(-r),
			 RECONNECT_MS / 1000);
		snprintf(f->error, sizeof(f->error), "system bus lost: %s", strerror(-r));
		drop_bus(f);
		f->tried = vmnet_mono_ms();
		return 0;
	}
	r = f->changed;
	f->changed = false;
	return r;
}

int netd_fwd_sync(struct netd_fwd *f, const char *const *devs, size_t n)
{
	const char **want;
	int retry;

	if (!f || !f->bus || !f->running)
		return 0;
	want = calloc(n + 1, sizeof(*want));
	if (!want)
		return 1;
	memcpy(want, devs, n * sizeof(*want));
	f->error[0] = '\0';
	retry = ensure_ready(f) < 0 ? 1 : sync_sorted(f, want, n);
	free(want);
	if (retry && f->error[0])
		log_debug("firewalld: %s (retrying)", f->error);
	/* Signals that came while waiting for replies are queued, not polled. */
	return netd_fwd_handle(f) | retry;
}

void netd_fwd_get_status(const struct netd_fwd *f, struct netd_fwd_status *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!f)
		return;
	ret->bus = f->bus;
	ret->running = f->running;
	ret->bound = f->running ? f->n_bound : 0;
	ret->want = f->want;
	snprintf(ret->error, sizeof(ret->error), "%s", f->error);
}
