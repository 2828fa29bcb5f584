/* SPDX-License-Identifier: MIT */
/*
 * DHCPv4 packets (RFC 2131, options RFC 2132): parse what clients send and
 * build what we answer. No I/O and no allocation, so the fuzzer reaches all
 * of it. Every read is preceded by the length check that allows it.
 */
#include <errno.h>
#include <string.h>

#include "dhcp.h"

#define BOOTP_FIXED 236 /* op .. file */
#define BOOTP_MIN 300	/* old BOOTP clients drop shorter replies */
#define DHCP_OPTS_OFF (BOOTP_FIXED + 4)
#define IP_HDR 20
#define UDP_HDR 8

static const uint8_t magic[4] = {99, 130, 83, 99};

enum {
	OPT_PAD = 0,
	OPT_MASK = 1,
	OPT_ROUTER = 3,
	OPT_DNS = 6,
	OPT_HOSTNAME = 12,
	OPT_DOMAIN = 15,
	OPT_MTU = 26,
	OPT_BROADCAST = 28,
	OPT_REQUESTED_IP = 50,
	OPT_LEASE = 51,
	OPT_TYPE = 53,
	OPT_SERVER_ID = 54,
	OPT_PRL = 55,
	OPT_MAX_SIZE = 57,
	OPT_T1 = 58,
	OPT_T2 = 59,
	OPT_SEARCH = 119,
	OPT_END = 255,
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

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

/* RFC 1071 sum, not yet folded or inverted, so pieces can be chained. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len >= 2; p += 2, len -= 2)
		sum += get16(p);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int netd_dhcp_parse_ip(const uint8_t *pkt, size_t len, struct netd_dhcp_ip *ret)
{
	size_t ihl, tot, ulen;

	if (len < IP_HDR || pkt[0] >> 4 != 4)
		return -EBADMSG;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	if (ihl < IP_HDR || ihl > len)
		return -EBADMSG;
	/* Trailing bytes beyond the total length are link-layer padding. */
	tot = get16(pkt + 2);
	if (tot < ihl + UDP_HDR || tot > len)
		return -EBADMSG;
	/* Fragments never carry a whole DHCP message (MF set or an offset). */
	if (get16(pkt + 6) & 0x3fff)
		return -EBADMSG;
	if (pkt[9] != 17 || csum_fold(csum_add(0, pkt, ihl)) != 0)
		return -EBADMSG;
	/* The UDP checksum is not checked: a checksum-offloading sender's
	 * packet is seen here before it is filled in. */
	ulen = get16(pkt + ihl + 4);
	if (ulen < UDP_HDR || ulen > tot - ihl)
		return -EBADMSG;
	ret->src = get32(pkt + 12);
	ret->dst = get32(pkt + 16);
	ret->sport = get16(pkt + ihl);
	ret->dport = get16(pkt + ihl + 2);
	ret->off = ihl + UDP_HDR;
	ret->len = ulen - UDP_HDR;
	return 0;
}

static void copy_str(char *dst, const uint8_t *p, size_t n)
{
	/* dst holds 256 bytes and option lengths are at most 255. */
	memcpy(dst, p, n);
	dst[n] = '\0';
}

/* Options that may repeat, their lists joined (RFC 3396): 1 when @code is
 * one of them, 0 when not, -EBADMSG when malformed. */
static int parse_list_opt(struct netd_dhcp_msg *m, uint8_t code, const uint8_t *p, size_t n)
{
	switch (code) {
	case OPT_DNS:
		/* Lists may be split across repeated options (RFC 3396). */
		if (n == 0 || n % 4)
			return -EBADMSG;
		for (size_t i = 0; i < n && m->n_dns < ARRAY_SIZE(m->dns); i += 4)
			m->dns[m->n_dns++] = get32(p + i);
		return 1;
	case OPT_PRL:
		for (size_t i = 0; i < n && m->n_prl < ARRAY_SIZE(m->prl); i++)
			m->prl[m->n_prl++] = p[i];
		return 1;
	case OPT_SEARCH:
		/* Joined first, decoded at the end: a name may span copies. */
		if (n > sizeof(m->search_wire) - m->search_wire_len)
			return -EBADMSG;
		memcpy(m->search_wire + m->search_wire_len, p, n);
		m->search_wire_len += n;
		return 1;
	default:
		return 0;
	}
}

/* One option: check its size against what its code needs, keep its value.
 * Codes we do not interpret pass unchecked. */
static int parse_opt(struct netd_dhcp_msg *m, uint8_t code, const uint8_t *p, size_t n)
{
	bool again = netd_dhcp_has(m, code);
	int r;

	m->seen[code / 8] |= (uint8_t)(1u << (code % 8));
	r = parse_list_opt(m, code, p, n);
	if (r != 0)
		return r < 0 ? r : 0;
	/* A second copy of a single-valued option is ambiguous: refuse. */
	switch (code) {
	case OPT_TYPE:
		if (again || n != 1)
			return -EBADMSG;
		m->type = p[0];
		return 0;
	case OPT_MAX_SIZE:
	case OPT_MTU:
		if (again || n != 2)
			return -EBADMSG;
		if (code == OPT_MTU)
			m->mtu = get16(p);
		else
			m->max_size = get16(p);
		return 0;
	case OPT_ROUTER:
		if (again || n == 0 || n % 4)
			return -EBADMSG;
		m->router = get32(p);
		return 0;
	case OPT_HOSTNAME:
	case OPT_DOMAIN:
		if (again || n == 0)
			return -EBADMSG;
		copy_str(code == OPT_HOSTNAME ? m->hostname : m->domain, p, n);
		return 0;
	case OPT_MASK:
	case OPT_BROADCAST:
	case OPT_REQUESTED_IP:
	case OPT_LEASE:
	case OPT_SERVER_ID:
	case OPT_T1:
	case OPT_T2:
		if (again || n != 4)
			return -EBADMSG;
		break;
	default:
		return 0;
	}
	switch (code) {
	case OPT_MASK:
		m->mask = get32(p);
		break;
	case OPT_BROADCAST:
		m->broadcast = get32(p);
		break;
	case OPT_REQUESTED_IP:
		m->requested_ip = get32(p);
		break;
	case OPT_LEASE:
		m->lease_secs = get32(p);
		break;
	case OPT_SERVER_ID:
		m->server_id = get32(p);
		break;
	case OPT_T1:
		m->t1 = get32(p);
		break;
	default:
		m->t2 = get32(p);
		break;
	}
	return 0;
}

/* One name of an option 119 value at @*pos: labels up to the root, or up to
 * a compression pointer, which must point before the name it ends (so no
 * chain loops) and into the value (offsets count from its first byte). */
static int search_name(const uint8_t *w, size_t len, size_t *pos, char *out, size_t size)
{
	size_t i = *pos, start = *pos, n = 0;
	bool jumped = false;

	for (;;) {
		uint8_t l;

		if (i >= len)
			return -EBADMSG;
		l = w[i];
		if (l == 0) {
			if (!jumped)
				*pos = i + 1;
			break;
		}
		if ((l & 0xc0) == 0xc0) {
			size_t to;

			if (i + 1 >= len)
				return -EBADMSG;
			to = (size_t)(l & 0x3f) << 8 | w[i + 1];
			if (to >= start)
				return -EBADMSG;
			if (!jumped)
				*pos = i + 2;
			jumped = true;
			start = i = to;
			continue;
		}
		if (l & 0xc0 || l > len - i - 1 || n + l + 1 >= size)
			return -EBADMSG;
		if (memchr(w + i + 1, '.', l) || memchr(w + i + 1, '\0', l))
			return -EBADMSG;
		if (n)
			out[n++] = '.';
		memcpy(out + n, w + i + 1, l);
		n += l;
		i += 1 + (size_t)l;
	}
	out[n] = '\0';
	return 0;
}

static int parse_search(struct netd_dhcp_msg *m)
{
	size_t pos = 0;

	while (pos < m->search_wire_len) {
		char name[NETD_DHCP_NAME_SIZE];
		int r = search_name(m->search_wire, m->search_wire_len, &pos, name, sizeof(name));

		if (r < 0)
			return r;
		if (name[0] && m->n_search < ARRAY_SIZE(m->search))
			memcpy(m->search[m->n_search++], name, strlen(name) + 1);
	}
	return 0;
}

int netd_dhcp_parse_msg(const uint8_t *buf, size_t len, struct netd_dhcp_msg *ret)
{
	struct netd_dhcp_msg m = {0};
	size_t i;
	int r;

	if (len < DHCP_OPTS_OFF)
		return -EBADMSG;
	m.op = buf[0];
	if ((m.op != DHCP_BOOTREQUEST && m.op != DHCP_BOOTREPLY) || buf[1] != 1 || buf[2] != 6)
		return -EBADMSG;
	if (memcmp(buf + BOOTP_FIXED, magic, sizeof(magic)))
		return -EBADMSG;
	m.xid = get32(buf + 4);
	m.secs = get16(buf + 8);
	m.flags = get16(buf + 10);
	m.ciaddr = get32(buf + 12);
	m.yiaddr = get32(buf + 16);
	m.siaddr = get32(buf + 20);
	m.giaddr = get32(buf + 24);
	memcpy(m.chaddr, buf + 28, sizeof(m.chaddr));

	/* Options overloaded into sname/file (52) are not read: nothing we
	 * need from a client lives there. A missing END is tolerated. */
	for (i = DHCP_OPTS_OFF; i < len;) {
		uint8_t code = buf[i], n;

		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (code == OPT_END)
			break;
		if (len - i < 2)
			return -EBADMSG;
		n = buf[i + 1];
		if (n > len - i - 2)
			return -EBADMSG;
		r = parse_opt(&m, code, buf + i + 2, n);
		if (r < 0)
			return r;
		i += 2 + (size_t)n;
	}
	r = parse_search(&m);
	if (r < 0)
		return r;
	*ret = m;
	return 0;
}

int netd_dhcp_parse_request(const uint8_t *buf, size_t len, struct netd_dhcp_msg *ret)
{
	struct netd_dhcp_msg m;
	int r;

	r = netd_dhcp_parse_msg(buf, len, &m);
	if (r < 0)
		return r;
	if (m.op != DHCP_BOOTREQUEST)
		return -EBADMSG;
	switch (m.type) {
	case DHCPDISCOVER:
	case DHCPREQUEST:
	case DHCPDECLINE:
	case DHCPRELEASE:
	case DHCPINFORM:
		break;
	default:
		/* Plain BOOTP (no type) and server-to-client types. */
		return -EBADMSG;
	}
	*ret = m;
	return 0;
}

bool netd_dhcp_lease_valid(const struct netd_dhcp_lease *l)
{
	return l->ip != 0 && l->router != 0 && l->prefix_len >= 1 && l->prefix_len <= 32 &&
	       l->ip != l->router;
}

int netd_dhcp_decide(const struct netd_dhcp_msg *req, const struct netd_dhcp_lease *lease)
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
			const struct netd_dhcp_lease *l, int type)
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

int netd_dhcp_build_reply(const struct netd_dhcp_msg *req, const struct netd_dhcp_lease *lease,
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
