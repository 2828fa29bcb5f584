/* SPDX-License-Identifier: MIT */
/*
 * One rtnetlink socket bound in one network namespace, kept open for the
 * life of an operation (or of netd) so every request is one send and one
 * receive: no per-call socket setup and no namespace switching after open.
 *
 * The socket has NETLINK_EXT_ACK (the kernel's error text ends up in the
 * error message), NETLINK_CAP_ACK and NETLINK_GET_STRICT_CHK (dumps are
 * filtered kernel-side by device) set when the kernel supports them.
 */
#ifndef VMNET_NL_H
#define VMNET_NL_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct vmnet_nl;
struct nlmsghdr;

/* Open a route socket in the netns @nsfd (-1: the calling thread's). The
 * thread enters the netns only while creating the socket. @nsfd is
 * duplicated, so the caller keeps its own fd. */
int vmnet_nl_open(int nsfd, struct vmnet_nl **ret, struct vmnet_err *err);

/* Close the socket and the netns fd. NULL-safe; returns NULL. */
struct vmnet_nl *vmnet_nl_close(struct vmnet_nl *nl);

static inline void vmnet_nl_closep(struct vmnet_nl **nl)
{
	vmnet_nl_close(*nl);
}

/* A plugin call's (not netd's): between vmnet_nl_share(true) and (false),
 * a socket of the thread's own namespace is not closed but kept, and the
 * next open there takes it back: one route socket for the call. Turning it
 * off closes the kept one. */
void vmnet_nl_share(bool on);

/* The netns fd the socket lives in (borrowed), or -1 for the opener's. */
int vmnet_nl_nsfd(const struct vmnet_nl *nl);

/*
 * For the netlink modules (link, addr, tc): send one request and collect
 * the answer. @req is a complete message (built with libnl's nlmsg API in
 * the .c files); its seq and port are overwritten. Every message of the
 * reply (one for a get, many for NLM_F_DUMP, echoes for NLM_F_ECHO) is
 * passed to @cb, which returns 0 to go on or a negative errno to fail
 * (the rest of the reply is still drained). Returns 0 or the negative
 * errno the kernel (or @cb) reported; the kernel's extended ACK text, if
 * any, is kept for vmnet_nl_fail().
 */
typedef int (*vmnet_nl_cb)(const struct nlmsghdr *nlh, void *arg);
int vmnet_nl_talk(struct vmnet_nl *nl, struct nlmsghdr *req, vmnet_nl_cb cb, void *arg);

/* Up to VMNET_NL_MAX_REQS requests (no dump) sent together, one sendmsg:
 * the kernel runs them in order, each taking RTNL on its own, with no
 * round trip between them. Returns 0 once every one is acknowledged, or
 * the first error that comes back (the kernel still runs the requests
 * after a failed one). */
#define VMNET_NL_MAX_REQS 4
int vmnet_nl_talk_all(struct vmnet_nl *nl, struct nlmsghdr **reqs, size_t n);

/* Fill @err from the last vmnet_nl_talk() failure @r: "<what>: <strerror>",
 * then " (<kernel extack text>)" when the kernel gave one. Returns @r. */
int vmnet_nl_fail(struct vmnet_nl *nl, struct vmnet_err *err, int r, const char *fmt, ...)
	_printf_(4, 5);

#endif
