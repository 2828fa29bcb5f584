/* SPDX-License-Identifier: MIT */
/*
 * The kernel side of one attachment, driven by its record: the plugin's
 * ADD/DEL/CHECK and netd's reconcile both go through here, so what one
 * creates the other recognises.
 */
#ifndef VMNET_ATTACH_H
#define VMNET_ATTACH_H

#include <stdbool.h>
#include <stdint.h>

#include "record.h"

struct vmnet_err;

struct vmnet_attach_state {
	bool bridge_created;	/* this call created the bridge */
	uint8_t bridge_mac[6];
	uint8_t host_mac[6];	/* the host-side device (veth end or tap) */
	uint8_t tap_mac[6];	/* netns wiring: the tap in the VM netns */
};

/* Create everything @rec describes: bridge (if missing) with the gateway
 * address, forwarding on, the VM's devices in the host and VM netns
 * (@nsfd, borrowed), tc redirects, nftables elements. All or nothing: on
 * failure whatever this call created is removed again. Code 4 when the
 * VM netns already has rec->ifname or rec->tap_name, 103 when a host
 * device of ours belongs to another attachment. */
int vmnet_attach(const struct vmnet_record *rec, int nsfd, struct vmnet_attach_state *ret_state,
		 struct vmnet_err *err);

/* Remove what vmnet_attach created for @rec: nftables elements, the host
 * device (its veth peer goes with it), the tap in the VM netns when @nsfd
 * >= 0, and with @remove_bridge the bridge too if it is ours. Keeps going
 * after failures; "already gone" is success; returns the first error. */
int vmnet_detach(const struct vmnet_record *rec, int nsfd, bool remove_bridge,
		 struct vmnet_err *err);

/* Compare the kernel with @rec. 0 when everything is in place, else
 * -ENOENT/-EINVAL with code 110 and a message naming the first mismatch.
 * @nsfd < 0 means the VM netns is gone (a mismatch for netns wiring). */
int vmnet_attach_check(const struct vmnet_record *rec, int nsfd, struct vmnet_err *err);

/* The nftables view of @rec (ports point into @rec, @ports is scratch of
 * VMNET_MAX_PORTS entries). */
struct vmnet_nft_att;
struct vmnet_nft_port;
void vmnet_attach_nft_att(const struct vmnet_record *rec, struct vmnet_nft_port *ports,
			  struct vmnet_nft_att *ret);

#endif
