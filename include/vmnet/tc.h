/* SPDX-License-Identifier: MIT */
/*
 * Clearing a device's tc ingress. netns wiring once joined the veth peer
 * and the tap with tc (an ingress qdisc and a u32 filter redirecting with
 * mirred); it now forwards with nftables (lib/nft_fwd.c), and tc's ingress
 * runs first, so the repair of an attachment an earlier vmnet wired clears
 * what tc held.
 */
#ifndef VMNET_TC_H
#define VMNET_TC_H

#include "err.h"

struct vmnet_nl;

/* Remove the ingress qdisc of @ifindex, and its filters with it. 0 if there
 * is none or the device is gone. */
int vmnet_tc_clear(struct vmnet_nl *nl, int ifindex, struct vmnet_err *err);

#endif
