/* SPDX-License-Identifier: MIT */
/*
 * Kernel notifications that may mean "something of ours changed": link
 * events (RTNLGRP_LINK) and nftables events (NFNLGRP_NFTABLES) of the
 * netns netd runs in, and the same of the VM namespaces, where the tap,
 * the veth end and the table forwarding between them live. Those arrive
 * on the same sockets through NETLINK_LISTEN_ALL_NSID (from every
 * namespace that has an id here, as a veth peer's namespace does): no
 * socket is opened inside a VM namespace, since one would keep it alive
 * and so keep its veth pair from dying with it, which is how netd learns
 * that a VM is gone. They schedule a reconcile pass and say what it should
 * look at (@v: which link, which VM namespace, which deleted element);
 * what cannot be narrowed down (a lost event, ENOBUFS; a change of a whole
 * table; more events than @v holds) sets @all. The pass itself looks at
 * the kernel (level-triggered).
 */
#ifndef VMNET_EVENTS_H
#define VMNET_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmnet_err;

#define VMNET_EVENTS_MAX 1024	/* distinct events kept between two takes; more sets all */
#define VMNET_EVENT_BYTES 64	/* of an element's key and of its data */

enum vmnet_event_kind {
	VMNET_EV_LINK,		/* a link of this namespace: name, alias, bridge, del */
	VMNET_EV_NETNS,		/* a link or forwarding-table change in the namespace
				   with id nsid, of the device name ("" if not known) */
	VMNET_EV_ELEM,		/* an element left a set of vmnet's: key and data */
};

struct vmnet_event {
	enum vmnet_event_kind kind;
	bool del;		/* RTM_DELLINK */
	bool bridge;		/* the link is a bridge */
	int nsid;
	char name[16];
	char alias[256];
	uint8_t key[VMNET_EVENT_BYTES], data[VMNET_EVENT_BYTES];
	uint8_t key_len, data_len;
};

#define VMNET_EVENTS_PORTS 4096	/* bridge ports whose last notification is kept */

/* The last notification about a bridge port (a hash of it). */
struct vmnet_event_port {
	int ifindex;
	uint64_t hash;
};

struct vmnet_events {
	int link_fd, nft_fd;
	struct vmnet_event_port *ports;	/* VMNET_EVENTS_PORTS, by ifindex */
	bool all;		/* only a full pass answers what came */
	struct vmnet_event *v;	/* VMNET_EVENTS_MAX, what came since the last take */
	size_t n;
};

int vmnet_events_open(struct vmnet_events *ev, struct vmnet_err *err);
void vmnet_events_close(struct vmnet_events *ev);

/* Drain @fd (one of the two). Returns 1 if a pass is due (a link that looks
 * like ours, a change of table inet vmnet other than an element added, of
 * the whole ruleset, Docker creating its DOCKER-USER chain or rules leaving
 * it, a link or forwarding-table change in another namespace, or a lost event), 0 if
 * not; what it saw is added to @ev's v and all. */
int vmnet_events_handle(struct vmnet_events *ev, int fd);

/* Forget what came (the caller took it). */
void vmnet_events_reset(struct vmnet_events *ev);

#endif
