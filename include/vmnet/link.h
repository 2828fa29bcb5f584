/* SPDX-License-Identifier: MIT */
/*
 * Network devices: get one by name or index, create bridges, veth pairs and
 * persistent taps, change them, delete them. Every call is one netlink
 * request on @nl; only vmnet_link_walk and vmnet_link_find_port dump.
 */
#ifndef VMNET_LINK_H
#define VMNET_LINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct vmnet_nl;

struct vmnet_link_info {
	int ifindex;
	char name[IFNAMSIZ];
	char kind[16]; /* "bridge", "veth", "tun" (taps too), "" if none */
	int master;    /* ifindex of the master (bridge), 0 if none */
	unsigned mtu;
	uint8_t mac[6];
	bool up;	 /* IFF_UP (administrative state) */
	char alias[256]; /* IFLA_IFALIAS, "" if none */
	uint32_t devgroup; /* IFLA_GROUP, 0 default */
	bool carrier;	   /* IFLA_CARRIER (a tap: a queue is attached, up or down) */
	int tun_queues;	   /* a multi-queue tap's attached queues, else -1 */
	int port_isolated; /* a bridge port's isolation (1 on, 0 off); -1: not a
			      port, or a kernel too old to say */
};

/* Look a device up by name / by index. -ENODEV if there is none (and @err
 * says so; callers probing for absence ignore it). */
int vmnet_link_get(struct vmnet_nl *nl, const char *name, struct vmnet_link_info *ret,
		   struct vmnet_err *err);
int vmnet_link_get_index(struct vmnet_nl *nl, int ifindex, struct vmnet_link_info *ret,
			 struct vmnet_err *err);

/* Create bridge @name, down. @mtu 0 and @mac NULL leave the kernel's
 * defaults. -EEXIST if a device of that name exists. */
int vmnet_link_add_bridge(struct vmnet_nl *nl, const char *name, unsigned mtu, const uint8_t mac[6],
			  int *ret_ifindex, struct vmnet_err *err);

/* Create a veth pair in one request: @name in @nl's netns, @peer directly in
 * the netns @peer_nsfd (-1: @nl's). MACs, MTU (both ends) and @alias (host
 * end) are set when non-NULL/non-zero; both ends are left down. -EEXIST if
 * either name is taken (the message says which). On failure nothing is left
 * behind. *ret_ifindex is the host end's index. */
int vmnet_link_add_veth(struct vmnet_nl *nl, const char *name, const uint8_t mac[6],
			const char *alias, const char *peer, const uint8_t peer_mac[6],
			int peer_nsfd, unsigned mtu, int *ret_ifindex, struct vmnet_err *err);

struct vmnet_tap_opts {
	bool multi_queue; /* IFF_MULTI_QUEUE (Firecracker rejects these) */
	bool vnet_hdr;	  /* IFF_VNET_HDR */
	long uid;	  /* uid allowed to attach, -1 none */
	long gid;	  /* gid allowed to attach, -1 none */
};

/* Create a persistent tap @name (IFF_TAP|IFF_NO_PI) in the netns @nsfd
 * (-1: the calling thread's), down, with no queue attached: the VMM opens
 * it by name later. -EEXIST if any device of that name exists (a plain
 * TUNSETIFF would attach to an existing tap instead). */
int vmnet_link_add_tap(int nsfd, const char *name, const struct vmnet_tap_opts *o,
		       struct vmnet_err *err);

/* Give the existing tap @name (in the calling thread's netns, no queue
 * attached) the flags, owner and group of @o, as vmnet_link_add_tap would
 * create it: a VMM's TUNSETIFF leaves its own flags on a persistent tap,
 * and what it set through its queue (the virtio header's size, offloads,
 * the header's byte order, MAC, socket and eBPF filters) goes back to a
 * fresh tap's.
 * -EEXIST when a queue is attached (single queue), -EINVAL when @o's
 * multi-queue flag differs from the tap's. */
int vmnet_link_tap_reset(const char *name, const struct vmnet_tap_opts *o, struct vmnet_err *err);

struct vmnet_link_change {
	unsigned mtu;	    /* 0 keep */
	const uint8_t *mac; /* NULL keep */
	int master;	    /* -1 keep, 0 nomaster, > 0 ifindex of the master */
	int up;		    /* -1 keep, 0 down, 1 up */
	const char *alias;  /* NULL keep, "" clears */
	uint32_t devgroup; /* 0 keep, else IFLA_GROUP (see vmnet_link_del_devgroup) */
	const char *name;   /* NULL keep, else rename (applied before "up") */
	bool group_default; /* IFLA_GROUP 0 (the default group), overriding devgroup */
	bool no_ll;	    /* IPv6 addrgenmode none: no link-local address of its own
			       (set it while the device is down) */
};

#define VMNET_LINK_CHANGE_INIT                                                                     \
	{                                                                                          \
		.mtu = 0, .mac = NULL, .master = -1, .up = -1, .alias = NULL, .devgroup = 0,       \
		.name = NULL, .group_default = false, .no_ll = false                               \
	}

/* Apply @c to @ifindex in one RTM_SETLINK: a rename and the alias in one
 * request land together or not at all for a process killed around it.
 * -ENODEV if it is gone, -EEXIST if the new name is taken. */
int vmnet_link_set(struct vmnet_nl *nl, int ifindex, const struct vmnet_link_change *c,
		   struct vmnet_err *err);

/* @cs[0..n) (n <= VMNET_NL_MAX_REQS) to @ifindex as @n requests in one
 * send, applied in that order with no round trip between them: for an
 * order the kernel's one request would not keep (it takes flags before
 * the master). The first error stops nothing the kernel already has. */
int vmnet_link_set_all(struct vmnet_nl *nl, int ifindex, const struct vmnet_link_change *cs,
		       size_t n, struct vmnet_err *err);

/* Bridge port isolation (IFLA_BRPORT_ISOLATED): isolated ports of one
 * bridge cannot talk to each other, only to non-isolated ports. @ifindex
 * must be a bridge port. */
int vmnet_link_set_port_isolated(struct vmnet_nl *nl, int ifindex, bool on, struct vmnet_err *err);
/* Both bridge port flags in one message: isolation, and hairpin (frames may
 * leave through the port they came in on). */
int vmnet_link_set_port(struct vmnet_nl *nl, int ifindex, bool isolated, bool hairpin,
			struct vmnet_err *err);

/* 1 if a port of bridge @master has an alias starting with @prefix but not
 * with @except (copied to @ret_alias), 0 if none. One dump of the bridge's
 * ports: its cost grows with them. */
int vmnet_link_find_port(struct vmnet_nl *nl, int master, const char *prefix, const char *except,
			 char ret_alias[256], struct vmnet_err *err);

/* Each device of @nl's netns of kind @kind (NULL: any) with master @master
 * (0: any, -1: none, else that ifindex's ports) to @cb, from one RTM_GETLINK
 * dump the kernel filters (by kind and master since 4.15, "no master" since
 * 5.17; older ones send more, filtered here). @cb returns 0 to go on, or a
 * negative errno: the walk fails with it (the rest of the dump is drained,
 * not passed on). Its cost grows with the devices that pass the filter. */
typedef int (*vmnet_link_cb)(const struct vmnet_link_info *li, void *arg);
int vmnet_link_walk(struct vmnet_nl *nl, const char *kind, int master, vmnet_link_cb cb,
		    void *arg, struct vmnet_err *err);

/* Every device of @nl's netns at one moment, from one dump, by name:
 * what a series of checks looks devices up in instead of a request each
 * (netd's full pass). Taken after what it is checked against was read. */
struct vmnet_link_snap {
	struct vmnet_link_info *v;	/* sorted by name */
	size_t n, cap;
};
int vmnet_link_snap_take(struct vmnet_nl *nl, struct vmnet_link_snap **ret,
			 struct vmnet_err *err);
/* The device named @name when the snapshot was taken, or NULL. */
const struct vmnet_link_info *vmnet_link_snap_find(const struct vmnet_link_snap *s,
						   const char *name);
struct vmnet_link_snap *vmnet_link_snap_free(struct vmnet_link_snap *s);

/* Delete a device (a veth takes its peer along). 0 if it is already gone. */
int vmnet_link_del(struct vmnet_nl *nl, const char *name, struct vmnet_err *err);
int vmnet_link_del_index(struct vmnet_nl *nl, int ifindex, struct vmnet_err *err);

/* Delete every device of @nl's netns in device group @group with one
 * RTM_DELLINK: the kernel unregisters them in one batch, so one RCU grace
 * period (~16-20 ms on some hosts) is paid instead of one per device. 0 when
 * no device has the group. */
int vmnet_link_del_devgroup(struct vmnet_nl *nl, uint32_t devgroup, struct vmnet_err *err);

#endif
