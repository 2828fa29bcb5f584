/* SPDX-License-Identifier: MIT */
/*
 * Network namespace ids: the number one namespace (here: the host's) gives
 * another. The kernel removes an nsid only when the namespace it names
 * dies, and userspace cannot remove one at all. So an nsid once assigned
 * to a namespace and now unassigned proves that namespace dead, whoever
 * holds it or can see it; an assigned one proves nothing (ids are reused).
 */
#ifndef VMNET_NSID_H
#define VMNET_NSID_H

#include "err.h"

struct vmnet_nl;

/* The nsid of the namespace @nsfd as seen from @nl's namespace, assigned
 * now if it had none. */
int vmnet_nsid_ensure(struct vmnet_nl *nl, int nsfd, int *ret_nsid, struct vmnet_err *err);

/* 1 if @nsid is assigned in @nl's namespace, 0 if not, negative errno. */
int vmnet_nsid_exists(struct vmnet_nl *nl, int nsid, struct vmnet_err *err);

#endif
