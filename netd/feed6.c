/* SPDX-License-Identifier: MIT */
/*
 * Records to IPv6 guest descriptions (feed6.h). The feed keeps what it
 * gave the service in the order of netd_state (network, container,
 * ifname), so one pass is a merge of two sorted lists.
 */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "feed6.h"
#include "guest6.h"
#include "state.h"
#include "vmnet/clock.h"
#include "vmnet/inet.h"
#include "vmnet/log.h"
#include "vmnet/record.h"

/* A guest the service could not take is tried again after this long (or
 * at once when its description changes). */
#define RETRY_MS 30000

struct served {
	char network[129], cid[257], ifname[IFNAMSIZ];
	struct netd_link6 l;
	bool on;	  /* in the service */
	int64_t retry_at; /* not on: the next try, monotonic ms */
};

struct netd_feed6 {
	struct served *v;
	size_t n;
	int ioctl_fd; /* for the links' ifindex and MAC; -1 until needed */
};

/* ---- the description of one record (pure) ----------------------------- */

static bool dns_ok(const struct in6_addr *a)
{
	return !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_LOOPBACK(a) &&
	       !IN6_IS_ADDR_LINKLOCAL(a) && !IN6_IS_ADDR_MULTICAST(a);
}

/* Add @name to @l's search list if it is a host name not yet listed. */
static void add_name(struct netd_link6 *l, const char *name)
{
	uint8_t wire[256];

	if (l->n_search >= NETD_DHCP_MAX_SEARCH || strlen(name) >= sizeof(l->search[0]) ||
	    netd_dhcp_name_encode(name, wire, sizeof(wire)) <= 0)
		return;
	for (unsigned i = 0; i < l->n_search; i++)
		if (!strcasecmp(l->search[i], name))
			return;
	strcpy(l->search[l->n_search++], name);
}

int netd_feed6_link(const struct vmnet_record *rec, int ifindex, const uint8_t mac[6],
		    struct netd_link6 *ret)
{
	struct vmnet_prefix6 net;
	struct netd_link6 l;

	if (!vmnet_record_has6(rec) || rec->pending)
		return -ENOENT;
	/* Zeroed whole: the feed compares descriptions with memcmp. */
	memset(&l, 0, sizeof(l));
	l.ifindex = ifindex;
	memcpy(l.mac, mac, 6);
	memcpy(l.guest_mac, rec->guest_mac, 6);
	l.addr = rec->guest6.addr;
	l.prefix_len = rec->guest6.len;
	net = vmnet_prefix6_net(&rec->guest6);
	l.prefixes[0].prefix = net.addr;
	l.prefixes[0].len = net.len;
	l.prefixes[0].autonomous = false;
	l.n_prefixes = 1;
	l.managed = true;
	if (!vmnet_ip6_is_zero(&rec->gateway6))
		l.router_lifetime = NETD_FEED6_ROUTER_LIFETIME;
	/* IPv6 needs 1280 (RFC 8200 5): a lower MTU is not advertised. */
	if (rec->mtu >= 1280 && rec->mtu <= 65535)
		l.mtu = rec->mtu;
	for (unsigned i = 0; i < rec->n_nameservers && i < ARRAY_SIZE(rec->nameservers) &&
			     l.n_dns < NETD_LINK6_MAX_DNS; i++) {
		struct in6_addr a;

		if (vmnet_ip6_parse(rec->nameservers[i], &a) == 0 && dns_ok(&a))
			l.dns[l.n_dns++] = a;
	}
	/* DHCPv4 sends the domain (option 15) beside the search list; IPv6
	 * has only the list, so the domain ends it. */
	for (unsigned i = 0; i < rec->n_search && i < ARRAY_SIZE(rec->search); i++)
		add_name(&l, rec->search[i]);
	if (rec->domain[0])
		add_name(&l, rec->domain);
	if (!netd_link6_valid(&l))
		return -EINVAL;
	memcpy(ret, &l, sizeof(l)); /* padding too: see above */
	return 0;
}

/* ---- the host links ---------------------------------------------------- */

/* The last link looked up: a shared network's records follow each other
 * and share their bridge. */
struct dev_cache {
	char name[IFNAMSIZ];
	int r, ifindex;
	uint8_t mac[6];
};

static int dev_info(struct netd_feed6 *f, struct dev_cache *c, const char *dev)
{
	struct ifreq ifr;

	if (c->name[0] && !strcmp(c->name, dev))
		return c->r;
	snprintf(c->name, sizeof(c->name), "%s", dev);
	c->r = -ENODEV;
	if (!dev[0] || strlen(dev) >= IFNAMSIZ)
		return c->r;
	if (f->ioctl_fd < 0)
		f->ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (f->ioctl_fd < 0)
		return c->r = -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, dev, strlen(dev));
	if (ioctl(f->ioctl_fd, SIOCGIFINDEX, &ifr) < 0)
		return c->r = -errno;
	c->ifindex = ifr.ifr_ifindex;
	if (ioctl(f->ioctl_fd, SIOCGIFHWADDR, &ifr) < 0)
		return c->r = -errno;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		return c->r = -EAFNOSUPPORT;
	memcpy(c->mac, ifr.ifr_hwaddr.sa_data, 6);
	return c->r = 0;
}

/* ---- the feed ----------------------------------------------------------- */

int netd_feed6_open(struct netd_feed6 **ret)
{
	struct netd_feed6 *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->ioctl_fd = -1;
	*ret = f;
	return 0;
}

static int key_cmp(const struct served *s, const struct vmnet_record *rec)
{
	int r = strcmp(s->network, rec->network);

	if (!r)
		r = strcmp(s->cid, rec->cid);
	if (!r)
		r = strcmp(s->ifname, rec->ifname);
	return r;
}

static void stop(struct netd_guest6 *g, const struct served *s)
{
	if (!s->on)
		return;
	if (g)
		netd_guest6_link_del(g, s->l.ifindex, s->l.guest_mac);
	log_debug("IPv6: no longer serving %s/%s@%s on ifindex %d", s->network, s->cid, s->ifname,
		 s->l.ifindex);
}

/* Give @l to the service as the description of @rec; @old is what it had
 * (NULL: nothing). The result into @out. */
static void start(struct netd_guest6 *g, const struct vmnet_record *rec, const struct served *old,
		  const struct netd_link6 *l, struct served *out)
{
	struct vmnet_err e = {0};
	char a[VMNET_PREFIXSTRLEN];
	int64_t now = vmnet_mono_ms();

	if (old && !old->on && now < old->retry_at && !memcmp(&old->l, l, sizeof(*l))) {
		memcpy(out, old, sizeof(*out));
		return;
	}
	if (old)
		stop(g, old);
	memset(out, 0, sizeof(*out));
	snprintf(out->network, sizeof(out->network), "%s", rec->network);
	snprintf(out->cid, sizeof(out->cid), "%s", rec->cid);
	snprintf(out->ifname, sizeof(out->ifname), "%s", rec->ifname);
	memcpy(&out->l, l, sizeof(*l));
	vmnet_prefix6_fmt(&rec->guest6, a);
	if (netd_guest6_link_add(g, l, &e) < 0) {
		out->retry_at = now + RETRY_MS;
		if (old && !old->on && !memcmp(&old->l, l, sizeof(*l)))
			log_debug("IPv6: %s/%s@%s still not served: %s", rec->network, rec->cid,
				  rec->ifname, e.msg);
		else
			log_warn("IPv6: cannot serve %s/%s@%s (%s): %s", rec->network, rec->cid,
				 rec->ifname, a, e.msg);
		return;
	}
	out->on = true;
	log_debug("IPv6: serving %s/%s@%s (%s) on ifindex %d", rec->network, rec->cid, rec->ifname,
		 a, l->ifindex);
}

/* One record: true if @out now describes it (served or waiting to retry). */
static bool feed_one(struct netd_feed6 *f, struct netd_guest6 *g, struct dev_cache *c,
		     const struct vmnet_record *rec, const struct served *old, struct served *out)
{
	const char *dev = rec->mode == VMNET_MODE_SHARED ? rec->bridge : rec->host_if;
	struct vmnet_err e = {0};
	struct netd_link6 l;

	if (!vmnet_record_has6(rec) || rec->pending || dev_info(f, c, dev) < 0 ||
	    netd_feed6_link(rec, c->ifindex, c->mac, &l) < 0) {
		if (old)
			stop(g, old);
		return false;
	}
	if (old && old->on && old->l.ifindex == l.ifindex &&
	    !memcmp(old->l.guest_mac, l.guest_mac, 6)) {
		memcpy(out, old, sizeof(*out));
		/* Unchanged: nothing to do. Changed: an update in place, which
		 * opens nothing (netd_guest6_link_add of a known guest). */
		if (memcmp(&old->l, &l, sizeof(l)) && netd_guest6_link_add(g, &l, &e) == 0)
			memcpy(&out->l, &l, sizeof(l));
		return true;
	}
	start(g, rec, old, &l, out);
	return true;
}

void netd_feed6_sync(struct netd_feed6 *f, struct netd_guest6 *g, struct netd_state *st)
{
	struct netd_entry *const *v6;
	struct dev_cache c = {0};
	struct served *nv = NULL;
	size_t nn = 0, i = 0;

	/* No guest with IPv6, none served: nothing to walk the cache for
	 * (a pass at every call, each a walk over every attachment). */
	if (!f || !g || (!f->n && netd_state_all_of(st, NETD_IX_GUEST6, &v6) == 0))
		return;
	if (st->n && !(nv = malloc(st->n * sizeof(*nv)))) {
		log_warn("IPv6: out of memory: guests kept as they were");
		return;
	}
	for (size_t k = 0; k < st->n; k++) {
		const struct vmnet_record *rec = &st->v[k]->rec;
		const struct served *old = NULL;

		while (i < f->n && key_cmp(&f->v[i], rec) < 0)
			stop(g, &f->v[i++]);
		if (i < f->n && key_cmp(&f->v[i], rec) == 0)
			old = &f->v[i++];
		if (feed_one(f, g, &c, rec, old, &nv[nn]))
			nn++;
	}
	while (i < f->n)
		stop(g, &f->v[i++]);
	free(f->v);
	f->v = nv;
	f->n = nn;
}

bool netd_feed6_served(const struct netd_feed6 *f, const struct vmnet_record *rec,
		       int *ret_ifindex)
{
	size_t lo = 0, hi = f ? f->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = key_cmp(&f->v[mid], rec);

		if (!r) {
			if (f->v[mid].on && ret_ifindex)
				*ret_ifindex = f->v[mid].l.ifindex;
			return f->v[mid].on;
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

unsigned netd_feed6_count(const struct netd_feed6 *f)
{
	unsigned n = 0;

	for (size_t i = 0; f && i < f->n; i++)
		n += f->v[i].on;
	return n;
}

struct netd_feed6 *netd_feed6_close(struct netd_feed6 *f, struct netd_guest6 *g)
{
	if (!f)
		return NULL;
	/* Quietly: a closing daemon's service says goodbye to all at once. */
	for (size_t i = 0; g && i < f->n; i++)
		if (f->v[i].on)
			netd_guest6_link_del(g, f->v[i].l.ifindex, f->v[i].l.guest_mac);
	if (f->ioctl_fd >= 0)
		close(f->ioctl_fd);
	free(f->v);
	free(f);
	return NULL;
}
