/* SPDX-License-Identifier: MIT */
/*
 * Router solicitations from guests (RFC 4861 6.1.1) and, for tests and the
 * fuzzer's round trip, router advertisements. No I/O, no allocation; every
 * read is preceded by the length check that allows it.
 */
#include <errno.h>
#include <string.h>

#include "dhcp6_wire.h"
#include "ra.h"

/* Options from @off on: each at least 8 bytes, of non-zero length, within
 * the message. @fn (may be NULL) sees each; a negative return stops. */
typedef int (*nd_opt_fn)(void *ctx, uint8_t type, const uint8_t *p, size_t len);

static int walk_opts(const uint8_t *buf, size_t len, size_t off, nd_opt_fn fn, void *ctx)
{
	while (off < len) {
		size_t olen;

		if (len - off < 2 || buf[off + 1] == 0)
			return -EBADMSG;
		olen = (size_t)buf[off + 1] * 8;
		if (olen > len - off)
			return -EBADMSG;
		if (fn && fn(ctx, buf[off], buf + off, olen) < 0)
			return -EBADMSG;
		off += olen;
	}
	return 0;
}

static int rs_opt(void *ctx, uint8_t type, const uint8_t *p, size_t len)
{
	struct netd_rs *rs = ctx;

	if (type != ND_OPT_SLLA)
		return 0;
	/* Ethernet: 6 bytes in an 8-byte option. Others are not ours. */
	if (len != 8 || rs->has_slla)
		return -EBADMSG;
	rs->has_slla = true;
	memcpy(rs->slla, p + 2, 6);
	return 0;
}

int netd_rs_parse(const uint8_t *buf, size_t len, int hop_limit, const struct in6_addr *src,
		  struct netd_rs *ret)
{
	struct netd_rs rs = {0};

	if (hop_limit != 255 || len < 8 || buf[0] != ND_ROUTER_SOLICIT_TYPE || buf[1] != 0)
		return -EBADMSG;
	if (walk_opts(buf, len, 8, rs_opt, &rs) < 0)
		return -EBADMSG;
	if (rs.has_slla && src && IN6_IS_ADDR_UNSPECIFIED(src))
		return -EBADMSG;
	*ret = rs;
	return 0;
}

int netd_names6_decode(const uint8_t *w, size_t len, char (*ret)[NETD_DHCP_NAME_SIZE], unsigned max)
{
	size_t pos = 0;
	unsigned n = 0;

	while (pos < len && w[pos] != 0) {
		char name[NETD_DHCP_NAME_SIZE];
		size_t out = 0;

		while (pos < len && w[pos] != 0) {
			size_t l = w[pos];

			/* No compression in RFC 8106 and RFC 8415 names. */
			if (l > 63 || l >= len - pos || out + l + 1 >= sizeof(name))
				return -EBADMSG;
			if (out)
				name[out++] = '.';
			memcpy(name + out, w + pos + 1, l);
			out += l;
			pos += l + 1;
		}
		if (pos >= len)
			return -EBADMSG; /* no root label */
		pos++;
		name[out] = '\0';
		if (n < max)
			memcpy(ret[n++], name, out + 1);
	}
	/* What follows the names is padding: zeros only. */
	for (; pos < len; pos++)
		if (w[pos])
			return -EBADMSG;
	return (int)n;
}

static int ra_prefix(struct netd_ra_info *ra, const uint8_t *p, size_t len)
{
	unsigned i = ra->n_prefixes;

	if (len != 32 || p[2] > 128)
		return -EBADMSG;
	if (i >= NETD_LINK6_MAX_PREFIXES)
		return 0;
	ra->prefixes[i].len = p[2];
	ra->prefixes[i].autonomous = p[3] & 0x40;
	ra->prefix_valid[i] = rd32(p + 4);
	ra->prefix_preferred[i] = rd32(p + 8);
	memcpy(&ra->prefixes[i].prefix, p + 16, 16);
	ra->n_prefixes++;
	return 0;
}

static int ra_opt(void *ctx, uint8_t type, const uint8_t *p, size_t len)
{
	struct netd_ra_info *ra = ctx;
	int r;

	switch (type) {
	case ND_OPT_SLLA:
		if (len != 8)
			return -EBADMSG;
		ra->has_slla = true;
		memcpy(ra->slla, p + 2, 6);
		return 0;
	case ND_OPT_MTU:
		if (len != 8)
			return -EBADMSG;
		ra->mtu = rd32(p + 4);
		return 0;
	case ND_OPT_PREFIX:
		return ra_prefix(ra, p, len);
	case ND_OPT_RDNSS:
		/* RFC 8106 5.1: length 3 or more, odd. */
		if (len < 24 || (len / 8) % 2 == 0)
			return -EBADMSG;
		ra->rdnss_lifetime = rd32(p + 4);
		for (size_t o = 8; o < len && ra->n_dns < NETD_LINK6_MAX_DNS; o += 16)
			memcpy(&ra->dns[ra->n_dns++], p + o, 16);
		return 0;
	case ND_OPT_DNSSL:
		if (len < 16)
			return -EBADMSG;
		ra->dnssl_lifetime = rd32(p + 4);
		r = netd_names6_decode(p + 8, len - 8, ra->search + ra->n_search,
				       NETD_DHCP_MAX_SEARCH - ra->n_search);
		if (r < 0)
			return r;
		ra->n_search += (unsigned)r;
		return 0;
	default:
		return 0;
	}
}

int netd_ra_parse(const uint8_t *buf, size_t len, struct netd_ra_info *ret)
{
	struct netd_ra_info ra = {0};

	if (len < 16 || buf[0] != ND_ROUTER_ADVERT_TYPE || buf[1] != 0)
		return -EBADMSG;
	ra.hop_limit = buf[4];
	ra.flags = buf[5];
	ra.router_lifetime = rd16(buf + 6);
	if (walk_opts(buf, len, 16, ra_opt, &ra) < 0)
		return -EBADMSG;
	*ret = ra;
	return 0;
}
