/* SPDX-License-Identifier: MIT */
/*
 * What addr.c and route.c share: an address or prefix of either family
 * (struct ipx), as the kernel takes it, and the IPv4 and IPv6 entry
 * points' conversions to it. Each kernel conversation exists once, on a
 * struct ipx.
 */
#ifndef VMNET_IPX_H
#define VMNET_IPX_H

#include <arpa/inet.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vmnet/addr.h"
#include "vmnet/common.h"
#include "vmnet/inet.h"

static inline void msg_freep(struct nl_msg **m)
{
	if (*m)
		nlmsg_free(*m);
}

#define _cleanup_msg_ _cleanup_(msg_freep)

/* An address (or prefix) of either family, in network order as the kernel
 * takes it. */
struct ipx {
	int af;		/* AF_INET or AF_INET6 */
	uint8_t len;
	union {
		uint32_t be4;
		struct in6_addr a6;
	} u;
};

static inline int ipx_size(const struct ipx *x)
{
	return x->af == AF_INET6 ? 16 : 4;
}

static inline struct ipx from4(uint32_t host_order, uint8_t len)
{
	struct ipx x = { .af = AF_INET, .len = len };

	x.u.be4 = htonl(host_order);
	return x;
}

static inline struct ipx from6(const struct in6_addr *a, uint8_t len)
{
	struct ipx x = { .af = AF_INET6, .len = len };

	x.u.a6 = *a;
	return x;
}

static inline bool ipx_is_zero(const struct ipx *x)
{
	return x->af == AF_INET6 ? vmnet_ip6_is_zero(&x->u.a6) : x->u.be4 == 0;
}

static inline bool ipx_eq_bytes(const struct ipx *x, const struct nlattr *a)
{
	return a && nla_len(a) == ipx_size(x) && !memcmp(nla_data(a), &x->u, (size_t)ipx_size(x));
}

/* "addr/len" (@with_len) or "addr" into @buf of VMNET_PREFIXSTRLEN. */
static inline const char *ipx_fmt(const struct ipx *x, bool with_len, char *buf)
{
	char a[VMNET_ADDRSTRLEN];

	inet_ntop(x->af, &x->u, a, sizeof(a));
	if (with_len)
		snprintf(buf, VMNET_PREFIXSTRLEN, "%s/%u", a, x->len);
	else
		snprintf(buf, VMNET_PREFIXSTRLEN, "%s", a);
	return buf;
}

static inline int put_ipx(struct nl_msg *m, int type, const struct ipx *x)
{
	return nla_put(m, type, ipx_size(x), &x->u);
}

#define A4(p) from4((p)->addr, (p)->len)

#define A6(p) from6(&(p)->addr, (p)->len)

#endif
