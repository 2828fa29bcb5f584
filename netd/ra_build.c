/* SPDX-License-Identifier: MIT */
/*
 * Router advertisements (RFC 4861 4.2, 4.6; RFC 8106 5.1, 5.2), built into
 * a caller's buffer: every write is preceded by the check that it fits.
 */
#include <errno.h>
#include <string.h>

#include "dhcp6_wire.h"
#include "ra.h"

struct rw {
	uint8_t *b;
	size_t size, n;
	bool full;
};

/* Room for @len more bytes, zeroed, or NULL (and full) if there is none. */
static uint8_t *take(struct rw *w, size_t len)
{
	uint8_t *p;

	if (w->full || len > w->size - w->n) {
		w->full = true;
		return NULL;
	}
	p = w->b + w->n;
	memset(p, 0, len);
	w->n += len;
	return p;
}

static void opt_prefix(struct rw *w, const struct netd_link6 *l, const struct netd_prefix6 *pf)
{
	uint8_t *p = take(w, 32);

	if (!p)
		return;
	p[0] = ND_OPT_PREFIX;
	p[1] = 4;
	p[2] = pf->len;
	/* On-link; autonomous only where the address is not DHCPv6's alone. */
	p[3] = (uint8_t)(0x80 | (pf->autonomous ? 0x40 : 0));
	wr32(p + 4, netd_link6_valid_secs(l));
	wr32(p + 8, netd_link6_preferred_secs(l));
	memcpy(p + 16, &pf->prefix, 16);
}

static void opt_rdnss(struct rw *w, const struct netd_link6 *l, uint32_t lifetime)
{
	unsigned n = 0;
	uint8_t *p;

	for (unsigned i = 0; i < l->n_dns; i++)
		n += !IN6_IS_ADDR_UNSPECIFIED(&l->dns[i]) && !IN6_IS_ADDR_LOOPBACK(&l->dns[i]);
	if (!n || !(p = take(w, 8 + 16 * (size_t)n)))
		return;
	p[0] = ND_OPT_RDNSS;
	p[1] = (uint8_t)(1 + 2 * n);
	wr32(p + 4, lifetime);
	p += 8;
	for (unsigned i = 0; i < l->n_dns; i++) {
		if (IN6_IS_ADDR_UNSPECIFIED(&l->dns[i]) || IN6_IS_ADDR_LOOPBACK(&l->dns[i]))
			continue;
		memcpy(p, &l->dns[i], 16);
		p += 16;
	}
}

/* DNSSL: as many names as fit NETD_RA_MAX (netd_link6_names()). */
static void opt_dnssl(struct rw *w, const struct netd_link6 *l, uint32_t lifetime)
{
	uint8_t names[NETD_RA_MAX];
	size_t n, total;
	uint8_t *p;

	if (w->full || w->n + 16 > NETD_RA_MAX)
		return;
	n = netd_link6_names(l, names, NETD_RA_MAX - w->n - 8);
	if (!n)
		return;
	total = 8 + (n + 7) / 8 * 8;
	if (total > NETD_RA_MAX - w->n || !(p = take(w, total)))
		return;
	p[0] = ND_OPT_DNSSL;
	p[1] = (uint8_t)(total / 8);
	wr32(p + 4, lifetime);
	memcpy(p + 8, names, n);
}

int netd_ra_build(const struct netd_link6 *l, uint16_t router_lifetime, uint8_t *buf, size_t size)
{
	struct rw w = {.b = buf, .size = size};
	/* RFC 8106 5.1: at least 3 * MaxRtrAdvInterval by default. */
	uint32_t dns_lifetime = 3 * netd_link6_ra_interval(l);
	uint8_t *p;

	if (!netd_link6_valid(l))
		return -EINVAL;
	p = take(&w, 16);
	if (p) {
		p[0] = ND_ROUTER_ADVERT_TYPE;
		p[4] = NETD_RA_HOP_LIMIT;
		/* M: addresses from DHCPv6; O: other configuration (DNS)
		 * from it, which answers only a known guest MAC. */
		if (l->managed)
			p[5] = 0xc0;
		else if ((l->n_dns || l->n_search) && (l->guest_mac[0] | l->guest_mac[5]))
			p[5] = 0x40;
		wr16(p + 6, router_lifetime);
		/* Reachable time and retrans timer 0: unspecified, hosts keep
		 * their defaults. */
	}
	p = take(&w, 8);
	if (p) {
		p[0] = ND_OPT_SLLA;
		p[1] = 1;
		memcpy(p + 2, l->mac, 6);
	}
	if (l->mtu && (p = take(&w, 8))) {
		p[0] = ND_OPT_MTU;
		p[1] = 1;
		wr32(p + 4, l->mtu);
	}
	for (unsigned i = 0; i < l->n_prefixes; i++)
		opt_prefix(&w, l, &l->prefixes[i]);
	opt_rdnss(&w, l, dns_lifetime);
	opt_dnssl(&w, l, dns_lifetime);
	return w.full ? -ENOBUFS : (int)w.n;
}
