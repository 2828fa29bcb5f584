/* SPDX-License-Identifier: MIT */
/*
 * DHCPv6 messages (RFC 8415 8, 21) and the IPv6/UDP headers they arrive
 * in. No I/O, no allocation, so the fuzzer reaches all of it; every read is
 * preceded by the length check that allows it.
 */
#include <errno.h>
#include <string.h>

#include "dhcp6.h"
#include "dhcp6_wire.h"
#include "ra.h"

#define IP6_HDR 40
#define UDP_HDR 8

int netd_dhcp6_parse_ip(const uint8_t *pkt, size_t len, struct netd_dhcp6_ip *ret)
{
	size_t plen, ulen;

	if (len < IP6_HDR + UDP_HDR || pkt[0] >> 4 != 6 || pkt[6] != IPPROTO_UDP)
		return -EBADMSG;
	/* Bytes past the payload length are link-layer padding. */
	plen = rd16(pkt + 4);
	if (plen < UDP_HDR || plen > len - IP6_HDR)
		return -EBADMSG;
	/* The UDP checksum is not checked: an offloading sender's packet is
	 * seen here before it is filled in. */
	ulen = rd16(pkt + IP6_HDR + 4);
	if (ulen < UDP_HDR || ulen > plen)
		return -EBADMSG;
	memcpy(&ret->src, pkt + 8, 16);
	memcpy(&ret->dst, pkt + 24, 16);
	ret->sport = rd16(pkt + IP6_HDR);
	ret->dport = rd16(pkt + IP6_HDR + 2);
	ret->off = IP6_HDR + UDP_HDR;
	ret->len = ulen - UDP_HDR;
	return 0;
}

typedef int (*d6_opt_fn)(void *ctx, uint16_t code, const uint8_t *p, size_t len);

/* Options from @buf to @buf + @len, each within it. */
static int walk(const uint8_t *buf, size_t len, d6_opt_fn fn, void *ctx)
{
	size_t off = 0;

	while (off < len) {
		size_t olen;

		if (len - off < 4)
			return -EBADMSG;
		olen = rd16(buf + off + 2);
		if (olen > len - off - 4)
			return -EBADMSG;
		if (fn(ctx, rd16(buf + off), buf + off + 4, olen) < 0)
			return -EBADMSG;
		off += 4 + olen;
	}
	return 0;
}

static int status_of(const uint8_t *p, size_t len, uint16_t *ret)
{
	/* A code, then a UTF-8 message we do not read. */
	if (len < 2 || *ret != NETD_DHCP6_NO_STATUS)
		return -EBADMSG;
	*ret = rd16(p);
	return 0;
}

static int iaaddr_opt(void *ctx, uint16_t code, const uint8_t *p, size_t len)
{
	uint16_t *status = ctx;

	return code == D6_OPT_STATUS ? status_of(p, len, status) : 0;
}

static int ia_opt(void *ctx, uint16_t code, const uint8_t *p, size_t len)
{
	struct netd_dhcp6_ia *ia = ctx;
	uint16_t st = NETD_DHCP6_NO_STATUS;
	unsigned i = ia->n_addrs;

	switch (code) {
	case D6_OPT_STATUS:
		return status_of(p, len, &ia->status);
	case D6_OPT_IAADDR:
	case D6_OPT_IAPREFIX:
		break;
	default:
		return 0;
	}
	/* IAADDR: address, preferred, valid; IAPREFIX: preferred, valid,
	 * length, prefix (RFC 8415 21.6, 21.22). */
	if (len < (code == D6_OPT_IAADDR ? 24u : 25u))
		return -EBADMSG;
	if (walk(p + (code == D6_OPT_IAADDR ? 24 : 25), len - (code == D6_OPT_IAADDR ? 24 : 25),
		 iaaddr_opt, &st) < 0)
		return -EBADMSG;
	if (code != D6_OPT_IAADDR || i >= NETD_DHCP6_MAX_IA_ADDRS)
		return 0;
	memcpy(&ia->addrs[i], p, 16);
	ia->preferred[i] = rd32(p + 16);
	ia->valid[i] = rd32(p + 20);
	ia->n_addrs++;
	return 0;
}

/* IA_NA (iaid, T1, T2), IA_TA (iaid), IA_PD (as IA_NA): their options are
 * checked; IA_NA's are kept. */
static int parse_ia(struct netd_dhcp6_msg *m, uint16_t code, const uint8_t *p, size_t len)
{
	struct netd_dhcp6_ia ia = {.status = NETD_DHCP6_NO_STATUS};
	size_t fixed = code == D6_OPT_IA_TA ? 4 : 12;

	if (len < fixed)
		return -EBADMSG;
	ia.iaid = rd32(p);
	if (fixed == 12) {
		ia.t1 = rd32(p + 4);
		ia.t2 = rd32(p + 8);
	}
	if (walk(p + fixed, len - fixed, ia_opt, &ia) < 0)
		return -EBADMSG;
	if (code == D6_OPT_IA_TA)
		m->has_ia_ta = true;
	else if (code == D6_OPT_IA_PD)
		m->has_ia_pd = true;
	else if (m->n_ia_na < NETD_DHCP6_MAX_IA)
		m->ia_na[m->n_ia_na++] = ia;
	return 0;
}

static int parse_duid(uint8_t *dst, size_t *dst_len, const uint8_t *p, size_t len)
{
	/* A type and at least one octet; one copy only. */
	if (len < 3 || len > NETD_DHCP6_DUID_MAX || *dst_len)
		return -EBADMSG;
	memcpy(dst, p, len);
	*dst_len = len;
	return 0;
}

static int top_opt(void *ctx, uint16_t code, const uint8_t *p, size_t len)
{
	struct netd_dhcp6_msg *m = ctx;
	int r;

	switch (code) {
	case D6_OPT_CLIENTID:
		return parse_duid(m->clientid, &m->clientid_len, p, len);
	case D6_OPT_SERVERID:
		return parse_duid(m->serverid, &m->serverid_len, p, len);
	case D6_OPT_IA_NA:
	case D6_OPT_IA_TA:
	case D6_OPT_IA_PD:
		return parse_ia(m, code, p, len);
	case D6_OPT_ORO:
		return len % 2 ? -EBADMSG : 0;
	case D6_OPT_ELAPSED:
		return len != 2 ? -EBADMSG : 0;
	case D6_OPT_RAPID_COMMIT:
		if (len != 0)
			return -EBADMSG;
		m->rapid_commit = true;
		return 0;
	case D6_OPT_PREFERENCE:
		if (len != 1 || m->preference >= 0)
			return -EBADMSG;
		m->preference = p[0];
		return 0;
	case D6_OPT_STATUS:
		return status_of(p, len, &m->status);
	case D6_OPT_DNS:
		if (len % 16)
			return -EBADMSG;
		for (size_t o = 0; o < len && m->n_dns < NETD_LINK6_MAX_DNS; o += 16)
			memcpy(&m->dns[m->n_dns++], p + o, 16);
		return 0;
	case D6_OPT_DOMAINS:
		r = netd_names6_decode(p, len, m->search + m->n_search,
				       NETD_DHCP_MAX_SEARCH - m->n_search);
		if (r < 0)
			return r;
		m->n_search += (unsigned)r;
		return 0;
	default:
		return 0;
	}
}

int netd_dhcp6_parse(const uint8_t *buf, size_t len, struct netd_dhcp6_msg *ret)
{
	struct netd_dhcp6_msg m;

	if (len < 4)
		return -EBADMSG;
	/* Relay-forward and relay-reply (12, 13) have another layout; relays
	 * are not part of our links. */
	if (buf[0] == 0 || buf[0] == 12 || buf[0] == 13)
		return -EBADMSG;
	memset(&m, 0, sizeof(m));
	m.type = buf[0];
	m.xid = (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	m.status = NETD_DHCP6_NO_STATUS;
	m.preference = -1;
	if (walk(buf + 4, len - 4, top_opt, &m) < 0)
		return -EBADMSG;
	*ret = m;
	return 0;
}
