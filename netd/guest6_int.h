/* SPDX-License-Identifier: MIT */
/* The IPv6 guest service's state, shared by guest6.c (links, timers) and
 * guest6_io.c (sockets, packets). Private to those two files. */
#ifndef NETD_GUEST6_INT_H
#define NETD_GUEST6_INT_H

#include <netinet/in.h>
#include <stdint.h>

#include "guest6.h"

/* One ifindex: its RA schedule and its DHCPv6 send socket. */
struct g6_iface {
	int ifindex;
	int udp_fd;
	unsigned n_guests;
	unsigned initial_left; /* fast initial RAs still to send */
	int64_t next_ra;       /* monotonic ms */
	int64_t last_mcast;    /* last multicast RA, monotonic ms */
	int64_t last_ucast;    /* last RA answering a solicitation */
};

struct netd_guest6 {
	int ep, tfd, icmp_fd, pkt_fd;
	struct netd_link6 *links;
	unsigned n_links, cap_links;
	struct g6_iface *ifs;
	unsigned n_ifs, cap_ifs;
	uint64_t rng;
	struct netd_guest6_stats stats;
};

/* guest6.c */
struct g6_iface *g6_iface_find(struct netd_guest6 *g, int ifindex);
/* The first guest of @ifindex (its RA content), or NULL. */
const struct netd_link6 *g6_first_link(const struct netd_guest6 *g, int ifindex);
const struct netd_link6 *g6_guest_find(const struct netd_guest6 *g, int ifindex,
				       const uint8_t mac[6]);
/* A multicast RA for @ifindex as soon as the rate limit allows. */
void g6_ra_soon(struct netd_guest6 *g, struct g6_iface *f);

/* guest6_io.c: sockets and packets. */
int g6_icmp_open(int *ret, struct vmnet_err *err);
int g6_pkt_open(int *ret, struct vmnet_err *err);
int g6_udp_open(int ifindex, int *ret, struct vmnet_err *err);
/* Join or leave @group on @ifindex with socket @fd. */
int g6_membership(int fd, int ifindex, const char *group, bool join);
/* Send the RA of @l to @dst (NULL: all nodes) with @lifetime. 0 or -errno. */
int g6_send_ra(struct netd_guest6 *g, const struct netd_link6 *l, uint16_t lifetime,
	       const struct in6_addr *dst);
/* Drain the sockets (at most a budget each); the number of packets sent. */
int g6_read_rs(struct netd_guest6 *g);
int g6_read_dhcp6(struct netd_guest6 *g);

#endif
