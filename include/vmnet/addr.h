/* SPDX-License-Identifier: MIT */
/*
 * Addresses and routes on one device, through the netns socket @nl: IPv4
 * (struct vmnet_prefix, host byte order) and IPv6 (struct vmnet_prefix6,
 * the vmnet_addr6_ / vmnet_route6_ calls, same contracts). Routes go to
 * the main table with rtm_protocol VMNET_RTPROT, which is how GC
 * recognises ours. IPv6 addresses are added without duplicate address
 * detection (IFA_F_NODAD): usable at once, never tentative.
 */
#ifndef VMNET_ADDR_H
#define VMNET_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "inet.h"

struct vmnet_nl;

/* Add @a (address/prefix length, with the subnet broadcast for < /31).
 * -EEXIST if present. */
int vmnet_addr_add(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *a,
		   struct vmnet_err *err);

/* Point-to-point style: IFA_LOCAL @local, IFA_ADDRESS @peer (the peer's
 * address and the prefix routed to it). -EEXIST if present. */
int vmnet_addr_add_peer(struct vmnet_nl *nl, int ifindex, uint32_t local,
			const struct vmnet_prefix *peer, struct vmnet_err *err);

/* Remove @a (matched by local address and prefix length). 0 if gone. */
int vmnet_addr_del(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *a,
		   struct vmnet_err *err);

/* 1 if @ifindex has local address @a with the same prefix length, else 0.
 * Dumps that device's addresses only. */
int vmnet_addr_has(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *a,
		   struct vmnet_err *err);

/* Every IPv4 address of @nl's netns at one moment, from one dump, sorted:
 * what a series of checks looks addresses up in instead of a dump each
 * (netd's full pass). */
struct vmnet_addr_snap_entry {
	int ifindex;
	uint32_t addr; /* host order, as struct vmnet_prefix */
	uint8_t len;
};
struct vmnet_addr_snap {
	struct vmnet_addr_snap_entry *v;
	size_t n, cap;
	bool failed; /* out of memory while taking it */
};
int vmnet_addr_snap_take(struct vmnet_nl *nl, struct vmnet_addr_snap **ret, struct vmnet_err *err);
/* As vmnet_addr_has, on the snapshot. */
bool vmnet_addr_snap_has(const struct vmnet_addr_snap *s, int ifindex, const struct vmnet_prefix *a);
struct vmnet_addr_snap *vmnet_addr_snap_free(struct vmnet_addr_snap *s);

/* Route @dst via @ifindex (and gateway @gw unless 0), scope link when
 * @link_scope. -EEXIST if that route is present. */
int vmnet_route_add(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *dst, uint32_t gw,
		    bool link_scope, struct vmnet_err *err);

/* Remove the main-table route to @dst through @ifindex. 0 if gone. */
int vmnet_route_del(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *dst,
		    struct vmnet_err *err);

/* 1 if the main table has a route to exactly @dst through @ifindex with
 * gateway @gw (0: a route without gateway), else 0. */
int vmnet_route_has(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *dst, uint32_t gw,
		    struct vmnet_err *err);

/* vmnet_route_add (scope universe), but that very route already present is
 * success; -EEXIST when @dst is routed otherwise (another device, gateway). */
int vmnet_route_ensure(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *dst,
		       uint32_t gw, struct vmnet_err *err);

/* vmnet_addr_add, but an address already present is success: for steps that
 * must hold whether they create the address or find it (shared bridges,
 * netd's repairs). */
int vmnet_addr_ensure(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix *a,
		      struct vmnet_err *err);

/* IPv6: as vmnet_addr_ensure, _del, _has. */
int vmnet_addr6_ensure(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix6 *a,
		       struct vmnet_err *err);
int vmnet_addr6_del(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix6 *a,
		    struct vmnet_err *err);
int vmnet_addr6_has(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix6 *a,
		    struct vmnet_err *err);

/* IPv6: as vmnet_route_ensure, _has, _del; @gw NULL or :: is no gateway. */
int vmnet_route6_ensure(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix6 *dst,
			const struct in6_addr *gw, struct vmnet_err *err);
int vmnet_route6_has(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix6 *dst,
		     const struct in6_addr *gw, struct vmnet_err *err);
int vmnet_route6_del(struct vmnet_nl *nl, int ifindex, const struct vmnet_prefix6 *dst,
		     struct vmnet_err *err);

/* A blackhole route to @dst in the main table, no device, rtm_protocol
 * @protocol: more specific routes win; what they do not cover is dropped
 * here instead of following the default route. -EEXIST if a route to @dst
 * (of any type) is present. */
int vmnet_route_blackhole_add(struct vmnet_nl *nl, const struct vmnet_prefix *dst,
			      unsigned char protocol, struct vmnet_err *err);

/* Remove the blackhole route to @dst of @protocol (only that one). 0 if
 * gone. */
int vmnet_route_blackhole_del(struct vmnet_nl *nl, const struct vmnet_prefix *dst,
			      unsigned char protocol, struct vmnet_err *err);

/* Call @fn with each main-table blackhole route of @protocol; @fn returns
 * 0 to go on. */
int vmnet_route_blackhole_list(struct vmnet_nl *nl, unsigned char protocol,
			       int (*fn)(const struct vmnet_prefix *dst, void *arg), void *arg,
			       struct vmnet_err *err);

/* IPv6: as vmnet_route_blackhole_add, _del, _list. */
int vmnet_route6_blackhole_add(struct vmnet_nl *nl, const struct vmnet_prefix6 *dst,
			       unsigned char protocol, struct vmnet_err *err);
int vmnet_route6_blackhole_del(struct vmnet_nl *nl, const struct vmnet_prefix6 *dst,
			       unsigned char protocol, struct vmnet_err *err);
int vmnet_route6_blackhole_list(struct vmnet_nl *nl, unsigned char protocol,
				int (*fn)(const struct vmnet_prefix6 *dst, void *arg), void *arg,
				struct vmnet_err *err);

#endif
