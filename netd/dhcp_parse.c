/* SPDX-License-Identifier: MIT */
/*
 * DHCPv4 packets from clients (RFC 2131, options RFC 2132): the IPv4 and
 * UDP headers as the packet socket delivers them, then the message and its
 * options. No I/O and no allocation, so the fuzzer reaches all of it. Every
 * read is preceded by the length check that allows it.
 */
#include <errno.h>
#include <string.h>

#include "dhcp.h"
#include "dhcp_wire.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
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
