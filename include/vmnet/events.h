/* SPDX-License-Identifier: MIT */
/*
 * Kernel notifications that may mean "something of ours changed": link
 * events (RTNLGRP_LINK) and nftables events (NFNLGRP_NFTABLES) of the
 * netns netd runs in, and link and tc events (RTNLGRP_TC) of the VM
 * namespaces, where the tap, the veth end and the tc redirects live. Those
 * arrive on the same socket through NETLINK_LISTEN_ALL_NSID (from every
 * namespace that has an id here, as a veth peer's namespace does): no
 * socket is opened inside a VM namespace, since one would keep it alive
 * and so keep its veth pair from dying with it, which is how netd learns
 * that a VM is gone. They only schedule a reconcile pass; the pass itself
 * looks at the kernel (level-triggered), so a lost event (ENOBUFS) costs at
 * most a pass.
 */
#ifndef VMNET_EVENTS_H
#define VMNET_EVENTS_H

struct vmnet_err;

struct vmnet_events {
	int link_fd, nft_fd;
};

int vmnet_events_open(struct vmnet_events *ev, struct vmnet_err *err);
void vmnet_events_close(struct vmnet_events *ev);

/* Drain @fd (one of the two). Returns 1 if a pass is due (a link that looks
 * like ours, any change of table inet vmnet or of the whole ruleset, Docker
 * creating its DOCKER-USER chain or rules leaving it, a link
 * or tc change in another namespace, or a lost event), 0 if not. */
int vmnet_events_handle(struct vmnet_events *ev, int fd);

#endif
