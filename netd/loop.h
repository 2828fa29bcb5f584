/* SPDX-License-Identifier: MIT */
/* netd's loop (loop.c): its setup, the loop itself, a whole pass. */
#ifndef NETD_LOOP_H
#define NETD_LOOP_H

struct netd_daemon;

/* State, events, DHCP, signals, the first pass, the socket: 0 or -1 (what
 * was opened is @d's, closed by its owner). */
int netd_setup(struct netd_daemon *d, int *ret_sfd, int *ret_ep);
/* The loop, until a signal ends it (0) or epoll fails (1). */
int netd_serve(struct netd_daemon *d, int ep, int sfd);
/* A whole pass now (d->targets.all: a full one); a full pass under way in
 * steps is ended first. */
void netd_run_pass(struct netd_daemon *d);

#endif
