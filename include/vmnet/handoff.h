/* SPDX-License-Identifier: MIT */
/*
 * Handing netd what is slow to let go. Closing a netfilter socket after a
 * commit that deleted something (DEL's elements) makes the closer wait for
 * nf_tables' destroy work in that netns, an RCU grace period (5-13 ms on a
 * 2-vCPU VM), whatever the socket was used for: the kernel's netlink release
 * notifier flushes that work. A plugin call that enabled hand-off keeps such
 * descriptors until its end (the rest of the call overlaps the grace
 * period), then passes them to netd over its control socket (SCM_RIGHTS
 * with a "release" request): the references travel with the message, so
 * this process closes its copies without waiting, and netd closes them.
 * Without netd (not running, not answering at once) they are closed here.
 *
 * The same way a DEL of a netns-wired attachment hands netd its devices:
 * deleting them waits for RCU grace periods (rcu_barrier, 20-40 ms), so the
 * DEL only makes them carry nothing (vmnet_attach_vm_quiesce: host end down
 * and off the bridge, tap and peer down, the guest address gone) and passes
 * netd the VM namespace's descriptor, which it proved, with the names; netd
 * deletes them there, proving each by its alias or device group. An ADD of
 * the same attachment before that removes them itself; the runtime deleting
 * the namespace has the kernel remove them.
 */
#ifndef VMNET_HANDOFF_H
#define VMNET_HANDOFF_H

#include <stdbool.h>

/* How old a doomed host end must be before netd's pass deletes it: the
 * release request of its DEL normally comes first. */
#define VMNET_DOOMED_AGE_S 2

/* At most this many descriptors are kept; more are closed at once. */
#define VMNET_HANDOFF_MAX 8

/* From now on this process keeps descriptors given to vmnet_handoff_keep. */
void vmnet_handoff_enable(void);

bool vmnet_handoff_enabled(void);

/* For netd, which is the one closing them: from now on the descriptors
 * given to vmnet_handoff_keep go to @keep (which takes ownership when it
 * returns true); NULL ends that. */
void vmnet_handoff_sink(bool (*keep)(int fd, void *data), void *data);

/* Keep @fd (ownership moves here) if hand-off is enabled and there is
 * room; false: not kept, the caller still owns it. */
bool vmnet_handoff_keep(int fd);

struct vmnet_record;

/* True when hand-off is enabled and netd's socket accepted a connection
 * (tried once per call; the connection is used by vmnet_handoff_release). */
bool vmnet_handoff_netd(void);

/* Hand netd @rec's VM-namespace devices, doomed as @tap (vmnet_attach_vm_quiesce),
 * in the namespace @nsfd (borrowed; a copy is kept): true if taken for the
 * end of the call (netd answers and there is room); false: the caller
 * removes them itself. */
bool vmnet_handoff_doom(const struct vmnet_record *rec, int nsfd, const char *tap);

/* End of the call: hand the kept descriptors and doomed devices to netd
 * (its socket: $VMNET_NETD_SOCKET or VMNET_NETD_SOCK) in one request, then
 * close them here either way; doomed devices netd did not take are removed
 * here. Returns how many descriptors netd took (0 without netd). */
int vmnet_handoff_release(void);

struct vmnet_nl;
struct vmnet_err;
struct vmnet_link_snap;

/* Delete the doomed host ends (VMNET_PREFIX_DOOMED, VMNET_ALIAS_DOOMED) at
 * least @min_age_s seconds old in @nl's netns, each with its veth peer:
 * what a DEL left when netd did not delete it (netd killed in between).
 * *ret_left (may be NULL): younger ones kept. One dump of the veths, or,
 * with snapshot @s of @nl's netns (NULL: none), a request for each doomed
 * one of the snapshot old enough: it goes only if it still is. */
int vmnet_handoff_reap(struct vmnet_nl *nl, const struct vmnet_link_snap *s, unsigned min_age_s,
		       unsigned *ret_left, struct vmnet_err *err);

/* A connected, blocking AF_UNIX stream socket to netd's control socket
 * ($VMNET_NETD_SOCKET or VMNET_NETD_SOCK), or -errno. @nonblock: the
 * connect does not wait when netd's backlog is full (-EAGAIN). */
int vmnet_netd_connect(bool nonblock);

#endif
