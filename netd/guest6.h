/* SPDX-License-Identifier: MIT */
/*
 * IPv6 for guests: router advertisements (ra.h) and the DHCPv6 server
 * (dhcp6.h) on the links the daemon describes (link6.h). Inert until a
 * link is added: no socket is open and nothing is sent while the service
 * has no link.
 *
 * The daemon adds netd_guest6_fd() to its epoll set (EPOLLIN) and calls
 * netd_guest6_handle() when it is readable; the fd is itself an epoll set
 * holding the service's sockets and its RA timer, so the loop needs no
 * deadline of its own for it.
 *
 * Sockets, opened with the first link and closed with the last:
 *  - one raw ICMPv6 socket, filtered to router solicitations, joined to
 *    ff02::2 on every link; RAs go out of it with the link's ifindex in
 *    IPV6_PKTINFO, hop limit 255, from the link's link-local address;
 *  - one AF_PACKET socket for IPv6/UDP to port 547, because a DHCPv6
 *    server must know the client's MAC (the UDP stack does not say) to
 *    answer only the recorded guest;
 *  - per link, a UDP socket bound to port 547 on that device
 *    (SO_BINDTODEVICE), joined to ff02::1:2 there; replies leave through
 *    it and nothing is read from it (a filter drops what it would queue).
 */
#ifndef NETD_GUEST6_H
#define NETD_GUEST6_H

#include <stdint.h>

#include "link6.h"
#include "vmnet/err.h"

struct netd_guest6;

/* A service with no link (an epoll set and a timer; no socket). */
int netd_guest6_open(struct netd_guest6 **ret, struct vmnet_err *err);
/* The epoll fd for the daemon's loop; owned by @g. */
int netd_guest6_fd(const struct netd_guest6 *g);
/* Answer what arrived and send the RAs that are due. Returns the number of
 * packets sent; failures are counted and logged at debug level. */
int netd_guest6_handle(struct netd_guest6 *g);

/* Serve the guest @l describes (copied), keyed by (ifindex, guest MAC);
 * adding the same key again updates it, and a change in what the RA says
 * restarts the fast initial RAs (RFC 4861 6.2.4). The first guest of an
 * ifindex opens its sockets and sends an RA at once. -EINVAL if @l is not
 * valid (link6.h), other negative errno if a socket cannot be set up (the
 * guest is then not served). */
int netd_guest6_link_add(struct netd_guest6 *g, const struct netd_link6 *l, struct vmnet_err *err);
/* Stop serving (ifindex, guest MAC); the last guest of an ifindex sends a
 * final RA with router lifetime 0 and closes that link's socket. -ENOENT
 * if it was not served. */
int netd_guest6_link_del(struct netd_guest6 *g, int ifindex, const uint8_t guest_mac[6]);
/* How many guests are served. */
unsigned netd_guest6_count(const struct netd_guest6 *g);

/* Stop everything (final RAs included) and free @g; NULL-safe; returns
 * NULL. */
struct netd_guest6 *netd_guest6_close(struct netd_guest6 *g);

struct netd_guest6_stats {
	unsigned long rs_rx, ra_tx, dhcp6_rx, dhcp6_tx, ignored_unknown, ignored_malformed,
		send_errors;
};
void netd_guest6_stats(const struct netd_guest6 *g, struct netd_guest6_stats *ret);

#endif
