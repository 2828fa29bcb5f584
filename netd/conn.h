/* SPDX-License-Identifier: MIT */
/*
 * Control-socket clients, served without blocking the daemon's loop: every
 * connection is non-blocking and in the loop's epoll set, with a buffer
 * each way and a deadline for the whole request (reading it, answering,
 * and the client reading the reply). A client that is silent, trickles
 * bytes or does not read its reply is dropped at its deadline; at most
 * NETD_CONN_MAX are kept, the one nearest its deadline giving way to a new
 * one. So no client, however slow, delays repairs or DHCP.
 */
#ifndef NETD_CONN_H
#define NETD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "linger.h"

#define NETD_CONN_MAX 128
#define NETD_CONN_DEADLINE_MS 3000
#define NETD_CONN_MAX_REQUESTS 32

struct netd_daemon;
struct netd_conn;

struct netd_conns {
	int ep;				/* the loop's epoll fd (not owned) */
	struct netd_conn *v[NETD_CONN_MAX];
	size_t n;
	unsigned long accepted, expired, evicted;
	/* Handed-over descriptors, and netd's own netfilter sockets, closed
	 * once nf_tables is quiet (linger.h); .released counts the former. */
	struct netd_linger linger;
};

void netd_conns_init(struct netd_conns *c, int ep);
/* Accept every pending connection on d->listen_fd. */
void netd_conns_accept(struct netd_conns *c, struct netd_daemon *d);
/* Serve the client on @fd for epoll @events; false if @fd is no client. */
bool netd_conns_handle(struct netd_conns *c, struct netd_daemon *d, int fd, uint32_t events);
/* The earliest deadline (monotonic ms): a client's, or when lingering
 * descriptors are due; 0 when there is none. */
int64_t netd_conns_next_deadline(const struct netd_conns *c);
/* Drop the clients whose deadline is at or before @now. */
void netd_conns_expire(struct netd_conns *c, int64_t now);
void netd_conns_close_all(struct netd_conns *c);

#endif
