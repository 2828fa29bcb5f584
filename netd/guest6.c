/* SPDX-License-Identifier: MIT */
/*
 * The IPv6 guest service (guest6.h): which guests are served on which
 * ifindex, and when each ifindex's next unsolicited RA is due (RFC 4861
 * 6.2.4: a random interval in [MaxRtrAdvInterval / 3, MaxRtrAdvInterval],
 * the first three at most 16 s apart, multicast RAs at least 3 s apart).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "guest6_int.h"
#include "vmnet/clock.h"
#include "vmnet/log.h"

#define MAX_INITIAL_RTR_ADVERT_INTERVAL_MS 16000
#define MAX_INITIAL_RTR_ADVERTISEMENTS 3
#define MIN_DELAY_BETWEEN_RAS_MS 3000

int netd_guest6_open(struct netd_guest6 **ret, struct vmnet_err *err)
{
	struct epoll_event e = {.events = EPOLLIN};
	struct netd_guest6 *g = calloc(1, sizeof(*g));

	if (!g)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "allocating the IPv6 service");
	g->icmp_fd = g->pkt_fd = -1;
	g->ep = epoll_create1(EPOLL_CLOEXEC);
	g->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	e.data.fd = g->tfd;
	if (g->ep < 0 || g->tfd < 0 || epoll_ctl(g->ep, EPOLL_CTL_ADD, g->tfd, &e) < 0) {
		int r = vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "setting up the IPv6 service");

		netd_guest6_close(g);
		return r;
	}
	if (getrandom(&g->rng, sizeof(g->rng), GRND_NONBLOCK) != sizeof(g->rng))
		g->rng = (uint64_t)vmnet_mono_ms() * 0x9e3779b97f4a7c15ull;
	g->rng |= 1;
	*ret = g;
	return 0;
}

int netd_guest6_fd(const struct netd_guest6 *g)
{
	return g->ep;
}

unsigned netd_guest6_count(const struct netd_guest6 *g)
{
	return g->n_links;
}

void netd_guest6_stats(const struct netd_guest6 *g, struct netd_guest6_stats *ret)
{
	*ret = g->stats;
}

struct g6_iface *g6_iface_find(struct netd_guest6 *g, int ifindex)
{
	for (unsigned i = 0; i < g->n_ifs; i++)
		if (g->ifs[i].ifindex == ifindex)
			return &g->ifs[i];
	return NULL;
}

const struct netd_link6 *g6_first_link(const struct netd_guest6 *g, int ifindex)
{
	for (unsigned i = 0; i < g->n_links; i++)
		if (g->links[i].ifindex == ifindex)
			return &g->links[i];
	return NULL;
}

static int guest_index(const struct netd_guest6 *g, int ifindex, const uint8_t mac[6])
{
	for (unsigned i = 0; i < g->n_links; i++)
		if (g->links[i].ifindex == ifindex && !memcmp(g->links[i].guest_mac, mac, 6))
			return (int)i;
	return -1;
}

const struct netd_link6 *g6_guest_find(const struct netd_guest6 *g, int ifindex,
				       const uint8_t mac[6])
{
	int i = guest_index(g, ifindex, mac);

	return i < 0 ? NULL : &g->links[i];
}

/* xorshift64: jitter only, nothing secret. */
static uint64_t rnd(struct netd_guest6 *g)
{
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return g->rng;
}

static int64_t interval_ms(struct netd_guest6 *g, struct g6_iface *f)
{
	const struct netd_link6 *l = g6_first_link(g, f->ifindex);
	int64_t max = (int64_t)(l ? netd_link6_ra_interval(l) : NETD_LINK6_RA_INTERVAL) * 1000;
	int64_t min = max / 3, t = min + (int64_t)(rnd(g) % (uint64_t)(max - min + 1));

	if (f->initial_left && t > MAX_INITIAL_RTR_ADVERT_INTERVAL_MS)
		t = MAX_INITIAL_RTR_ADVERT_INTERVAL_MS;
	return t;
}

static void arm(struct netd_guest6 *g)
{
	struct itimerspec its = {0};
	int64_t next = INT64_MAX, now = vmnet_mono_ms();

	for (unsigned i = 0; i < g->n_ifs; i++)
		if (g->ifs[i].next_ra < next)
			next = g->ifs[i].next_ra;
	if (next != INT64_MAX) {
		int64_t d = next > now ? next - now : 1;

		its.it_value.tv_sec = d / 1000;
		its.it_value.tv_nsec = (d % 1000) * 1000000;
	}
	timerfd_settime(g->tfd, 0, &its, NULL);
}

void g6_ra_soon(struct netd_guest6 *g, struct g6_iface *f)
{
	int64_t t = f->last_mcast + MIN_DELAY_BETWEEN_RAS_MS, now = vmnet_mono_ms();

	if (t < now)
		t = now;
	if (t < f->next_ra) {
		f->next_ra = t;
		arm(g);
	}
}

/* Send the RAs that are due and schedule the next ones. */
static int send_due(struct netd_guest6 *g)
{
	int64_t now = vmnet_mono_ms();
	int sent = 0;

	for (unsigned i = 0; i < g->n_ifs; i++) {
		struct g6_iface *f = &g->ifs[i];
		const struct netd_link6 *l = g6_first_link(g, f->ifindex);

		if (f->next_ra > now || !l)
			continue;
		sent += g6_send_ra(g, l, l->router_lifetime, NULL) == 0;
		f->last_mcast = now;
		if (f->initial_left)
			f->initial_left--;
		f->next_ra = now + interval_ms(g, f);
	}
	arm(g);
	return sent;
}

int netd_guest6_handle(struct netd_guest6 *g)
{
	uint64_t ticks;
	int sent;

	while (read(g->tfd, &ticks, sizeof(ticks)) == sizeof(ticks))
		;
	sent = g6_read_rs(g);
	sent += g6_read_dhcp6(g);
	return sent + send_due(g);
}

static int watch(struct netd_guest6 *g, int fd)
{
	struct epoll_event e = {.events = EPOLLIN, .data.fd = fd};

	return epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &e);
}

/* The shared sockets, with the first link. */
static int open_shared(struct netd_guest6 *g, struct vmnet_err *err)
{
	int r = 0;

	if (g->icmp_fd >= 0)
		return 0;
	r = g6_icmp_open(&g->icmp_fd, err);
	if (r >= 0)
		r = g6_pkt_open(&g->pkt_fd, err);
	if (r >= 0 && (watch(g, g->icmp_fd) < 0 || watch(g, g->pkt_fd) < 0))
		r = vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "watching the IPv6 sockets");
	if (r < 0) {
		/* Closing an fd takes it out of the epoll set. */
		if (g->icmp_fd >= 0)
			close(g->icmp_fd);
		if (g->pkt_fd >= 0)
			close(g->pkt_fd);
		g->icmp_fd = g->pkt_fd = -1;
	}
	return r;
}

static void close_shared(struct netd_guest6 *g)
{
	if (g->n_ifs || g->icmp_fd < 0)
		return;
	close(g->icmp_fd);
	close(g->pkt_fd);
	g->icmp_fd = g->pkt_fd = -1;
}

static int grow(void **arr, unsigned *cap, unsigned n, size_t elem)
{
	unsigned c = *cap ? *cap * 2 : 4;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*arr, (size_t)c * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

/* A new ifindex: its socket, its group, its first RA now. */
static int iface_add(struct netd_guest6 *g, int ifindex, struct vmnet_err *err)
{
	struct g6_iface f = {.ifindex = ifindex,
			     .udp_fd = -1,
			     .initial_left = MAX_INITIAL_RTR_ADVERTISEMENTS,
			     .last_mcast = INT64_MIN / 2,
			     .last_ucast = INT64_MIN / 2};
	int r;

	if (grow((void **)&g->ifs, &g->cap_ifs, g->n_ifs, sizeof(*g->ifs)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "allocating a link");
	r = open_shared(g, err);
	if (r < 0)
		return r;
	r = g6_udp_open(ifindex, &f.udp_fd, err);
	if (r >= 0 && (r = g6_membership(g->icmp_fd, ifindex, "ff02::2", true)) < 0)
		vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "joining ff02::2 on ifindex %d", ifindex);
	if (r < 0) {
		if (f.udp_fd >= 0)
			close(f.udp_fd);
		close_shared(g);
		return r;
	}
	f.next_ra = vmnet_mono_ms();
	g->ifs[g->n_ifs++] = f;
	return 0;
}

static void iface_del(struct netd_guest6 *g, struct g6_iface *f, const struct netd_link6 *last)
{
	/* RFC 4861 6.2.5: a final RA with router lifetime 0. */
	g6_send_ra(g, last, 0, NULL);
	g6_membership(g->icmp_fd, f->ifindex, "ff02::2", false);
	close(f->udp_fd);
	*f = g->ifs[--g->n_ifs];
	close_shared(g);
}

/* Whether two descriptions of a link say the same in an RA (field by
 * field: padding and bytes past a name's end do not count). */
static bool same_ra(const struct netd_link6 *a, const struct netd_link6 *b)
{
	if (memcmp(a->mac, b->mac, 6) || a->managed != b->managed ||
	    a->router_lifetime != b->router_lifetime || a->mtu != b->mtu ||
	    a->n_prefixes != b->n_prefixes || a->n_dns != b->n_dns || a->n_search != b->n_search ||
	    netd_link6_valid_secs(a) != netd_link6_valid_secs(b) ||
	    netd_link6_preferred_secs(a) != netd_link6_preferred_secs(b) ||
	    netd_link6_ra_interval(a) != netd_link6_ra_interval(b) ||
	    memcmp(a->dns, b->dns, a->n_dns * sizeof(a->dns[0])))
		return false;
	for (unsigned i = 0; i < a->n_prefixes; i++)
		if (memcmp(&a->prefixes[i].prefix, &b->prefixes[i].prefix, 16) ||
		    a->prefixes[i].len != b->prefixes[i].len ||
		    a->prefixes[i].autonomous != b->prefixes[i].autonomous)
			return false;
	for (unsigned i = 0; i < a->n_search; i++)
		if (strcmp(a->search[i], b->search[i]))
			return false;
	return true;
}

int netd_guest6_link_add(struct netd_guest6 *g, const struct netd_link6 *l, struct vmnet_err *err)
{
	int i = guest_index(g, l->ifindex, l->guest_mac), r;
	struct g6_iface *f;

	if (!netd_link6_valid(l))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, EINVAL,
				     "IPv6 description of ifindex %d is not valid", l->ifindex);
	if (i >= 0) {
		bool first = g6_first_link(g, l->ifindex) == &g->links[i];
		bool changed = first && !same_ra(&g->links[i], l);

		g->links[i] = *l;
		f = g6_iface_find(g, l->ifindex);
		if (changed && f) {
			f->initial_left = MAX_INITIAL_RTR_ADVERTISEMENTS;
			g6_ra_soon(g, f);
		}
		return 0;
	}
	if (grow((void **)&g->links, &g->cap_links, g->n_links, sizeof(*g->links)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "allocating a link");
	f = g6_iface_find(g, l->ifindex);
	if (!f) {
		r = iface_add(g, l->ifindex, err);
		if (r < 0)
			return r;
		f = &g->ifs[g->n_ifs - 1];
	}
	f->n_guests++;
	g->links[g->n_links++] = *l;
	arm(g);
	return 0;
}

int netd_guest6_link_del(struct netd_guest6 *g, int ifindex, const uint8_t guest_mac[6])
{
	int i = guest_index(g, ifindex, guest_mac);
	struct g6_iface *f = g6_iface_find(g, ifindex);

	if (i < 0 || !f)
		return -ENOENT;
	if (--f->n_guests == 0)
		iface_del(g, f, &g->links[i]);
	/* Order kept: the first guest of an ifindex says what its RA says. */
	memmove(&g->links[i], &g->links[i + 1], (g->n_links - (unsigned)i - 1) * sizeof(*g->links));
	g->n_links--;
	arm(g);
	return 0;
}

struct netd_guest6 *netd_guest6_close(struct netd_guest6 *g)
{
	if (!g)
		return NULL;
	while (g->n_links)
		netd_guest6_link_del(g, g->links[0].ifindex, g->links[0].guest_mac);
	if (g->tfd >= 0)
		close(g->tfd);
	if (g->ep >= 0)
		close(g->ep);
	free(g->links);
	free(g->ifs);
	free(g);
	return NULL;
}
