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
 * device of ours belongs to another attachment, 7 when the bridge is one
 * vmnet created for another network or a route is unusable. */
int vmnet_attach(const struct vmnet_record *rec, int nsfd, struct vmnet_attach_state *ret_state,
		 struct vmnet_err *err);

/* Remove what vmnet_attach created for @rec, or began to create before a
 * crash: nftables elements (none without a guest address), the host device
 * under our alias (its veth peer goes with it), the tap and peer in the VM
 * netns when @nsfd >= 0, devices still under their temporary names
 * (VMNET_PREFIX_TEMP), and with @remove_bridge the bridge too if it is
 * ours. Keeps going after failures; "already gone" is success; returns the
 * first error. */
int vmnet_detach(const struct vmnet_record *rec, int nsfd, bool remove_bridge,
		 struct vmnet_err *err);

/* Compare the kernel with @rec. 0 when everything is in place, else
 * -ENOENT/-EINVAL with code 110 and a message naming the first mismatch.
 * @nsfd < 0 means the VM netns is gone (a mismatch for netns wiring). */
int vmnet_attach_check(const struct vmnet_record *rec, int nsfd, struct vmnet_err *err);

/* Steps of vmnet_attach that netd's in-place repair reuses; both are
 * idempotent. The bridge of @rec with its gateway address, up (created if
 * missing, then *ret_created is set); and the host side of the VM's link
 * @idx: a port of bridge @br_idx (hairpin on, isolation as recorded) in
 * shared mode, the routed link with the gateway address in isolated mode. */
struct vmnet_nl;
int vmnet_attach_bridge(struct vmnet_nl *nl, const struct vmnet_record *rec, int *ret_ifindex,
			bool *ret_created, uint8_t ret_mac[6], struct vmnet_err *err);
int vmnet_attach_host_side(struct vmnet_nl *host, int idx, int br_idx,
			   const struct vmnet_record *rec, struct vmnet_err *err);

/* The veth pair of netns wiring: host end rec->host_if under our alias (in
 * @host's namespace), peer rec->ifname with the guest MAC in the namespace
 * @nsfd, both down. Created under the temporary name (VMNET_PREFIX_TEMP)
 * and renamed with the alias in one request, so no crash leaves an end
 * nobody can prove ours. -EEXIST when a name is taken; nothing is left on
 * failure. */
int vmnet_attach_veth(struct vmnet_nl *host, const struct vmnet_record *rec, int nsfd,
		      int *ret_ifindex, struct vmnet_err *err);

/* The VM-netns side of netns wiring, on devices that exist (@peer_idx: the
 * veth end named rec->ifname, @tap_idx: the tap), through @vm: both up with
 * the recorded MTU, the tap renamed to rec->tap_name (from its temporary
 * name, in the same request) under our alias and device group, the guest
 * address and the IPAM result's routes (vmnet_attach_routes) on the peer,
 * tc redirects both ways. Idempotent: ADD and netd's repair share it. On
 * failure the caller removes the devices (what was added goes with them). */
int vmnet_attach_vm_side(struct vmnet_nl *vm, int peer_idx, int tap_idx,
			 const struct vmnet_record *rec, struct vmnet_err *err);

/* The routes the VM netns carries for @rec, from its IPAM result (the
 * plugin config has no routes of its own), into @ret (room for @max): a
 * route without gateway goes via rec->gateway, as the reference bridge
 * plugin does; a route to the guest's own prefix is left to the kernel's
 * connected route. Returns how many; code 7 when a gateway is not another
 * address of the guest's subnet or there are more than @max. */
struct vmnet_result_route;
int vmnet_attach_routes(const struct vmnet_record *rec, struct vmnet_result_route *ret,
			unsigned max, struct vmnet_err *err);

/* The nftables view of @rec (its ports point into @rec). */
struct vmnet_nft_att;
void vmnet_attach_nft_att(const struct vmnet_record *rec, struct vmnet_nft_att *ret);

#endif
