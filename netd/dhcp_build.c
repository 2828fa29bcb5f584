/* SPDX-License-Identifier: MIT */
/*
 * DHCPv4 answers (RFC 2131, options RFC 2132): which reply a request gets,
 * its options, and the whole IPv4/UDP packet. No I/O and no allocation, so
 * the fuzzer reaches all of it; every write is bounded by the buffer.
 */
#include <errno.h>
#include <string.h>

#include "dhcp.h"
#include "dhcp_wire.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

bool netd_dhcp_lease_valid(const struct netd_lease *l)
{
	return l->ip != 0 && l->router != 0 && l->prefix_len >= 1 && l->prefix_len <= 32 &&
	       l->ip != l->router;
}

int netd_dhcp_decide(const struct netd_dhcp_msg *req, const struct netd_lease *lease)
{
	switch (req->type) {
	case DHCPDISCOVER:
		return DHCPOFFER;
	case DHCPINFORM:
		return DHCPACK;
	case DHCPREQUEST:
		break;
	default:
		return 0;
	}
	/* SELECTING: the client answers one server's OFFER. When it chose
	 * another server, stay silent (RFC 2131 4.3.2), never NAK. */
	if (netd_dhcp_has(req, OPT_SERVER_ID)) {
		if (req->server_id != lease->router)
			return 0;
		if (!netd_dhcp_has(req, OPT_REQUESTED_IP))
			return DHCPNAK;
		return req->requested_ip == lease->ip ? DHCPACK : DHCPNAK;
	}
	/* INIT-REBOOT: the address it remembers. */
	if (netd_dhcp_has(req, OPT_REQUESTED_IP))
		return req->requested_ip == lease->ip ? DHCPACK : DHCPNAK;
	/* RENEWING/REBINDING: the address it uses. */
	if (req->ciaddr)
		return req->ciaddr == lease->ip ? DHCPACK : DHCPNAK;
	return 0;
}

const char *netd_dhcp_type_name(int type)
{
	static const char *const names[] = {
		[DHCPDISCOVER] = "DISCOVER", [DHCPOFFER] = "OFFER",   [DHCPREQUEST] = "REQUEST",
		[DHCPDECLINE] = "DECLINE",   [DHCPACK] = "ACK",	      [DHCPNAK] = "NAK",
		[DHCPRELEASE] = "RELEASE",   [DHCPINFORM] = "INFORM",
	};

	if (type <= 0 || (size_t)type >= ARRAY_SIZE(names))
		return "unknown";
	return names[type];
}

/* A bounded option writer: once something does not fit, every later call
 * fails too, so callers check once at the end. */
struct owriter {
	uint8_t *p;
	size_t n, size;
	bool full;
};

static void opt_raw(struct owriter *w, uint8_t code, const void *data, size_t len)
{
	if (w->full || len > 255 || w->size - w->n < 2 + len) {
		w->full = true;
		return;
	}
	w->p[w->n] = code;
	w->p[w->n + 1] = (uint8_t)len;
	if (len)
		memcpy(w->p + w->n + 2, data, len);
	w->n += 2 + len;
}

static void opt_u8(struct owriter *w, uint8_t code, uint8_t v)
{
	opt_raw(w, code, &v, 1);
}

static void opt_u16(struct owriter *w, uint8_t code, uint16_t v)
{
	uint8_t b[2];

	put16(b, v);
	opt_raw(w, code, b, sizeof(b));
}

static void opt_u32(struct owriter *w, uint8_t code, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	opt_raw(w, code, b, sizeof(b));
}

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int netd_dhcp_name_encode(const char *name, uint8_t *buf, size_t size)
{
	size_t len = strlen(name), n = 0;
	const char *p = name;

	if (len && name[len - 1] == '.')
		len--;
	/* Labels and their length bytes, then the root: len + 2 octets. */
	if (len == 0 || len + 2 > 255)
		return -EINVAL;
	while (p < name + len) {
		size_t l = 0;

		while (p + l < name + len && p[l] != '.') {
			if (!host_char(p[l]))
				return -EINVAL;
			l++;
		}
		if (l == 0 || l > 63)
			return -EINVAL;
		if (n + 1 + l + 1 > size)
			return -ENOBUFS;
		buf[n] = (uint8_t)l;
		memcpy(buf + n + 1, p, l);
		n += 1 + l;
		p += l + (p + l < name + len ? 1 : 0);
	}
	buf[n++] = 0;
	return (int)n;
}

/* Option 119's value for the valid names of @search, in order. */
static size_t search_value(const char (*search)[NETD_DHCP_NAME_SIZE], unsigned n_search,
			   uint8_t *buf, size_t size)
{
	size_t n = 0;

	for (unsigned i = 0; i < n_search; i++) {
		int r = netd_dhcp_name_encode(search[i], buf + n, size - n);

		if (r == -ENOBUFS)
			break;
		if (r > 0)
			n += (size_t)r;
	}
	return n;
}

size_t netd_dhcp_names_size(const char *domain, const char (*search)[NETD_DHCP_NAME_SIZE],
			    unsigned n_search)
{
	size_t n = strlen(domain), s = 0;

	for (unsigned i = 0; i < n_search; i++) {
		uint8_t wire[255];
		int r = netd_dhcp_name_encode(search[i], wire, sizeof(wire));

		s += r > 0 ? (size_t)r : 0;
	}
	return (n ? 2 + n : 0) + (s ? 2 + s : 0);
}

static bool dns_usable(uint32_t a)
{
	/* A loopback resolver means the host's stub (127.0.0.53), which the
	 * guest cannot reach; 0.0.0.0 and broadcast are never resolvers. */
	return a != 0 && a != 0xffffffffu && (a >> 24) != 127;
}

static void put_options(struct owriter *w, const struct netd_dhcp_msg *req,
			const struct netd_lease *l, int type)
{
	uint32_t mask = l->prefix_len ? 0xffffffffu << (32 - l->prefix_len) : 0;
	uint32_t secs = l->lease_secs ? l->lease_secs : NETD_DHCP_DEFAULT_LEASE;
	uint8_t dns[4 * ARRAY_SIZE(l->dns)], names[255];
	size_t n_dns = 0, len;

	opt_u8(w, OPT_TYPE, (uint8_t)type);
	opt_u32(w, OPT_SERVER_ID, l->router);
	if (type == DHCPNAK)
		return;
	/* An INFORM client configured its address itself: no lease times. */
	if (req->type != DHCPINFORM) {
		opt_u32(w, OPT_LEASE, secs);
		opt_u32(w, OPT_T1, secs / 2);
		opt_u32(w, OPT_T2, (uint32_t)((uint64_t)secs * 7 / 8));
	}
	opt_u32(w, OPT_MASK, mask);
	opt_u32(w, OPT_ROUTER, l->router);
	if (l->prefix_len < 31)
		opt_u32(w, OPT_BROADCAST, (l->ip & mask) | ~mask);
	for (unsigned i = 0; i < l->n_dns && i < ARRAY_SIZE(l->dns); i++)
		if (dns_usable(l->dns[i])) {
			put32(dns + n_dns, l->dns[i]);
			n_dns += 4;
		}
	if (n_dns)
		opt_raw(w, OPT_DNS, dns, n_dns);
	len = strnlen(l->domain, sizeof(l->domain));
	if (len)
		opt_raw(w, OPT_DOMAIN, l->domain,
			len < sizeof(l->domain) ? len : sizeof(l->domain) - 1);
	if (l->mtu >= 68 && l->mtu <= 65535)
		opt_u16(w, OPT_MTU, (uint16_t)l->mtu);
	len = strnlen(l->hostname, sizeof(l->hostname));
	if (len)
		opt_raw(w, OPT_HOSTNAME, l->hostname,
			len < sizeof(l->hostname) ? len : sizeof(l->hostname) - 1);
	/* Names beyond one option's 255 bytes are not sent: a lease within
	 * NETD_DHCP_NAMES_ROOM never has them. */
	len = search_value(l->search, l->n_search < ARRAY_SIZE(l->search) ? l->n_search :
				      ARRAY_SIZE(l->search), names, sizeof(names));
	if (len)
		opt_raw(w, OPT_SEARCH, names, len);
}

int netd_dhcp_build_reply(const struct netd_dhcp_msg *req, const struct netd_lease *lease,
			  int type, uint8_t *buf, size_t size)
{
	struct owriter w;
	uint8_t *ip = buf, *udp = buf + IP_HDR, *bp = buf + IP_HDR + UDP_HDR;
	uint8_t ph[12];
	uint32_t dst, sum;
	size_t blen, tot;

	if ((type != DHCPOFFER && type != DHCPACK && type != DHCPNAK) ||
	    !netd_dhcp_lease_valid(lease))
		return -EINVAL;
	if (size < IP_HDR + UDP_HDR + BOOTP_MIN)
		return -ENOBUFS;
	/* The worst case (longest hostname, eight resolvers, domain and
	 * search within NETD_DHCP_NAMES_ROOM) stays within 576 bytes, which
	 * every client accepts, so option 57 and the parameter request list
	 * need not trim anything. */
	if (size > NETD_DHCP_REPLY_MAX)
		size = NETD_DHCP_REPLY_MAX;
	memset(buf, 0, size);

	bp[0] = DHCP_BOOTREPLY;
	bp[1] = 1;
	bp[2] = 6;
	put32(bp + 4, req->xid);
	put16(bp + 10, req->flags & DHCP_FLAG_BROADCAST);
	if (type == DHCPACK)
		put32(bp + 12, req->ciaddr);
	if (type != DHCPNAK && req->type != DHCPINFORM)
		put32(bp + 16, lease->ip);
	memcpy(bp + 28, req->chaddr, sizeof(req->chaddr));
	memcpy(bp + BOOTP_FIXED, magic, sizeof(magic));

	w = (struct owriter){.p = bp + DHCP_OPTS_OFF,
			     .size = size - IP_HDR - UDP_HDR - DHCP_OPTS_OFF - 1};
	put_options(&w, req, lease, type);
	if (w.full)
		return -ENOBUFS;
	w.p[w.n++] = OPT_END;
	blen = DHCP_OPTS_OFF + w.n;
	if (blen < BOOTP_MIN)
		blen = BOOTP_MIN;
	tot = IP_HDR + UDP_HDR + blen;

	/* RFC 2131 4.1: NAKs are broadcast; a client with an address (renew,
	 * INFORM) gets unicast to it; otherwise broadcast if it asked, else
	 * unicast to the new address (the link layer goes to chaddr). */
	if (type == DHCPNAK)
		dst = 0xffffffffu;
	else if (req->ciaddr)
		dst = req->ciaddr;
	else if (req->flags & DHCP_FLAG_BROADCAST)
		dst = 0xffffffffu;
	else
		dst = lease->ip;

	put16(udp, DHCP_SERVER_PORT);
	put16(udp + 2, DHCP_CLIENT_PORT);
	put16(udp + 4, (uint16_t)(UDP_HDR + blen));
	/* The pseudo header: the UDP checksum covers the addresses too. */
	put32(ph, lease->router);
	put32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = 17;
	put16(ph + 10, (uint16_t)(UDP_HDR + blen));
	sum = csum_add(0, ph, sizeof(ph));
	sum = csum_add(sum, udp, UDP_HDR + blen);
	/* 0 means "no checksum" in UDP, so a computed 0 is sent as 0xffff. */
	put16(udp + 6, csum_fold(sum) ? csum_fold(sum) : 0xffff);

	ip[0] = 0x45;
	ip[1] = 0x10; /* low delay, as other DHCP servers send */
	put16(ip + 2, (uint16_t)tot);
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, lease->router);
	put32(ip + 16, dst);
	put16(ip + 10, csum_fold(csum_add(0, ip, IP_HDR)));
	return (int)tot;
}
