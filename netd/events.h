/* SPDX-License-Identifier: MIT */
/*
 * Kernel notifications that may mean "something of ours changed": link
 * events (RTNLGRP_LINK) and nftables events (NFNLGRP_NFTABLES) of the
 * netns netd runs in. They only schedule a reconcile pass; the pass itself
 * looks at the kernel (level-triggered), so a lost event (ENOBUFS) costs at
 * most a pass.
 */
#ifndef NETD_EVENTS_H
#define NETD_EVENTS_H

struct vmnet_err;

struct netd_events {
	int link_fd, nft_fd;
};

int netd_events_open(struct netd_events *ev, struct vmnet_err *err);
void netd_events_close(struct netd_events *ev);

/* Drain @fd (one of the two). Returns 1 if a pass is due (a link that looks
 * like ours, any change of table inet vmnet or of the whole ruleset, or a
 * lost event), 0 if not. */
int netd_events_handle(struct netd_events *ev, int fd);

#endif
