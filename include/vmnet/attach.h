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
 * (@nsfd, borrowed), the forwarding between tap and veth peer there,
 * nftables elements. With an IPv6 guest
 * (vmnet_record_has6) its IPv6 addresses too, without DAD, and IPv6
 * forwarding (vmnet_sysctl_forward6). All or nothing: on
 * failure whatever this call created is removed again. Code 4 when the
 * VM netns already has rec->ifname or rec->tap_name, 103 when a host
 * device of ours belongs to another attachment, 7 when the bridge is one
 * vmnet created for another network or a route is unusable. */
int vmnet_attach(const struct vmnet_record *rec, int nsfd, struct vmnet_attach_state *ret_state,
		 struct vmnet_err *err);

/* Remove, in the namespace @nsfd, the VM side a DEL doomed (tap @tap,
 * "vmdt<x>", and its peer "vmdp<x>", in one batch by their device group),
 * only when one of them still carries the doomed alias and that group;
 * already gone is success. For netd, and for the DEL that netd did not
 * relieve (include/vmnet/handoff.h). */
int vmnet_attach_doomed_remove(int nsfd, const char *tap, struct vmnet_err *err);

/* The conntrack entries that guest address @ip (host order), or @ip6 when
 * non-NULL, answers, flushed if a flow went to it (vmnet_nft_reached); then
 * the address leaves that record. For DEL, and for an address whose record
 * is lost or damaged. */
void vmnet_attach_flush_reached(struct vmnet_nft *nft, uint32_t ip, const struct in6_addr *ip6);

/* Remove what vmnet_attach created for @rec, or began to create before a
 * crash: nftables elements (none without a guest address), the host device
 * under our alias (its veth peer goes with it), the tap and peer in the VM
 * netns when @nsfd >= 0, devices still under their temporary names
 * (VMNET_PREFIX_TEMP), and with @remove_bridge the bridge too if it is
 * ours. Keeps going after failures; "already gone" is success; returns the
 * first error. In a plugin call with hand-off (include/vmnet/handoff.h)
 * and netd answering, netns-wired devices are only made to carry nothing
 * and handed to netd, which deletes them. */
int vmnet_detach(const struct vmnet_record *rec, int nsfd, bool remove_bridge,
		 struct vmnet_err *err);

/* Compare the kernel with @rec (IPv6 addresses and routes included). 0
 * when everything is in place, else
 * -ENOENT/-EINVAL with code 110 and a message naming the first mismatch.
 * @nsfd < 0 means the VM netns is gone (a mismatch for netns wiring). */
int vmnet_attach_check(const struct vmnet_record *rec, int nsfd, struct vmnet_err *err);

/* What a series of checks shares (netd's passes): the host namespace's
 * rtnetlink and nftables handles, opened by the first check that needs
 * them (or set beforehand: an nftables handle holding a snapshot),
 * snapshots of the host's devices and IPv4 addresses if set (looked up
 * instead of asked for),
 * and the last bridge found in place with the same gateways. Zero it
 * first; close it with vmnet_check_ctx_close() (which frees the
 * snapshots too). */
struct vmnet_link_snap;
struct vmnet_addr_snap;
struct vmnet_check_ctx {
	struct vmnet_nl *host;
	struct vmnet_nft *nft;
	struct vmnet_link_snap *links;
	struct vmnet_addr_snap *addrs;	/* the host's IPv4 addresses, if set */
	struct {
		char name[IFNAMSIZ];
		uint32_t gateway;
		struct in6_addr gateway6;
		uint8_t len, len6;
		bool has4, has6;
		int ifindex;
	} bridge_ok;
};
int vmnet_attach_check_in(struct vmnet_check_ctx *c, const struct vmnet_record *rec, int nsfd,
			  struct vmnet_err *err);
void vmnet_check_ctx_close(struct vmnet_check_ctx *c); /* also a _cleanup_ */

/* Put back in place what is missing of @rec's attachment, with the steps
 * of vmnet_attach, while keeping the VM's tap: a running VMM holds it open,
 * and re-creating it would cut the guest off for good. 1 when the
 * attachment was wired again in place (or had nothing missing), 0 when it
 * cannot be (the tap is gone or not ours, no VM netns (@nsfd < 0,
 * borrowed), the veth peer is not the guest's): then only detach + attach
 * will do. Code 103 when the host device belongs to another attachment. */
int vmnet_attach_repair(const struct vmnet_record *rec, int nsfd, struct vmnet_err *err);

/* The routes the VM netns carries for @rec, from its IPAM result (the
 * plugin config has no routes of its own), into @ret (room for @max): a
 * route without gateway goes via rec->gateway, as the reference bridge
 * plugin does (rec->gateway6 for an IPv6 one; IPv6 routes only for a
 * guest with IPv6); a route to the guest's own prefix is left to the
 * kernel's connected route. Returns how many; code 7 when a gateway is not
 * another address of the guest's subnet or there are more than @max. */
struct vmnet_result_route;
int vmnet_attach_routes(const struct vmnet_record *rec, struct vmnet_result_route *ret,
			unsigned max, struct vmnet_err *err);

/* The nftables view of @rec (its ports point into @rec). */
struct vmnet_nft_att;
void vmnet_attach_nft_att(const struct vmnet_record *rec, struct vmnet_nft_att *ret);

#endif
