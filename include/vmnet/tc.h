/* SPDX-License-Identifier: MIT */
/*
 * Joining two devices with tc, the kata / tc-redirect-tap way: an ingress
 * qdisc on the source and a match-everything u32 filter whose mirred
 * action redirects each frame out of the target (doc/how-it-works.md,
 * "Wiring"). u32 and mirred are in every kernel; matchall, flower and
 * clsact are not.
 */
#ifndef VMNET_TC_H
#define VMNET_TC_H

#include "err.h"

struct vmnet_nl;

/* Whatever arrives on @from_ifindex leaves through @to_ifindex. Adds the
 * ingress qdisc (one already there is fine) and the filter (handle
 * 800::800, prio 1, protocol all; a filter already at that handle is
 * replaced, so calling this again repairs the redirect). Call it twice,
 * crossed, for both directions. On failure a qdisc this call added is
 * removed again. */
int vmnet_tc_redirect(struct vmnet_nl *nl, int from_ifindex, int to_ifindex, struct vmnet_err *err);

/* 0 if an ingress match-all u32 filter on @from_ifindex redirects to
 * @to_ifindex; -ENOENT with code VMNET_ERR_CHECK and a message naming what
 * is missing otherwise; other negative errnos if the kernel fails. */
int vmnet_tc_redirect_check(struct vmnet_nl *nl, int from_ifindex, int to_ifindex,
			    struct vmnet_err *err);

/* Remove the ingress qdisc of @ifindex, and its filters with it. 0 if there
 * is none or the device is gone. */
int vmnet_tc_clear(struct vmnet_nl *nl, int ifindex, struct vmnet_err *err);

#endif
