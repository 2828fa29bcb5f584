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

#define NETD_CONN_MAX 128
#define NETD_CONN_DEADLINE_MS 3000
#define NETD_CONN_MAX_REQUESTS 32

struct netd_daemon;
struct netd_conn;

#define NETD_LINGER_MAX 128
#define NETD_LINGER_MS 250

struct netd_conns {
	int ep;				/* the loop's epoll fd (not owned) */
	struct netd_conn *v[NETD_CONN_MAX];
	size_t n;
	unsigned long accepted, expired, evicted;
	unsigned long released;		/* descriptors clients handed over, closed */
	/* Handed-over descriptors wait NETD_LINGER_MS before netd closes them
	 * (conn.c says why), all at once. */
	int linger[NETD_LINGER_MAX];
	size_t n_linger;
	int64_t linger_at;		/* monotonic ms to close them at */
};

void netd_conns_init(struct netd_conns *c, int ep);
/* Accept every pending connection on d->listen_fd. */
void netd_conns_accept(struct netd_conns *c, struct netd_daemon *d);
/* Serve the client on @fd for epoll @events; false if @fd is no client. */
bool netd_conns_handle(struct netd_conns *c, struct netd_daemon *d, int fd, uint32_t events);
/* The earliest deadline (monotonic ms): a client's, or when lingering
 * descriptors are due; 0 when there is none. */
int64_t netd_conns_next_deadline(const struct netd_conns *c);
/* Close what lingered long enough (all of it with @all). */
void netd_conns_linger_close(struct netd_conns *c, int64_t now, bool all);
/* Drop the clients whose deadline is at or before @now. */
void netd_conns_expire(struct netd_conns *c, int64_t now);
void netd_conns_close_all(struct netd_conns *c);

#endif
