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
 */
#ifndef VMNET_HANDOFF_H
#define VMNET_HANDOFF_H

#include <stdbool.h>

/* At most this many descriptors are kept; more are closed at once. */
#define VMNET_HANDOFF_MAX 8

/* From now on this process keeps descriptors given to vmnet_handoff_keep. */
void vmnet_handoff_enable(void);

bool vmnet_handoff_enabled(void);

/* Keep @fd (ownership moves here) if hand-off is enabled and there is
 * room; false: not kept, the caller still owns it. */
bool vmnet_handoff_keep(int fd);

/* End of the call: hand the kept descriptors to netd (its socket: $VMNET_NETD_SOCKET
 * or VMNET_NETD_SOCK), then close them here either way. Returns how many
 * netd took (0 without netd). */
int vmnet_handoff_release(void);

/* A connected, blocking AF_UNIX stream socket to netd's control socket
 * ($VMNET_NETD_SOCKET or VMNET_NETD_SOCK), or -errno. @nonblock: the
 * connect does not wait when netd's backlog is full (-EAGAIN). */
int vmnet_netd_connect(bool nonblock);

#endif
