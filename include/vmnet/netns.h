/* SPDX-License-Identifier: MIT */
/*
 * Network namespace handles. A namespace is held by an fd (from a bind
 * mount such as /var/run/netns/x or /proc/<pid>/ns/net). Entering one is
 * per thread (setns), so callers enter, do one short thing and leave.
 */
#ifndef VMNET_NETNS_H
#define VMNET_NETNS_H

#include "err.h"

/* Open @path (O_RDONLY|O_CLOEXEC) and check that it is a network namespace.
 * -ENOENT if missing, -EINVAL if it is some other file. The caller owns
 * *ret_fd. */
int vmnet_netns_open(const char *path, int *ret_fd, struct vmnet_err *err);

/* Remember the calling thread's netns in *ret_origin_fd (caller owns it,
 * hands it to vmnet_netns_leave) and switch to @nsfd. */
int vmnet_netns_enter(int nsfd, int *ret_origin_fd, struct vmnet_err *err);

/* Go back to @origin_fd and close it. Aborts if the switch back fails: the
 * process must never carry on in the wrong namespace. -1 is a no-op. */
void vmnet_netns_leave(int origin_fd);

/* 1 if @nsfd is the calling thread's netns, 0 if not, negative errno. */
int vmnet_netns_is_current(int nsfd);

#endif
