/* SPDX-License-Identifier: MIT */
/*
 * What attach.c (host side, nftables, the whole ADD/DEL/CHECK) and
 * attach_vm.c (the VM-namespace side of netns wiring) share.
 */
#ifndef VMNET_ATTACH_PRIV_H
#define VMNET_ATTACH_PRIV_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmnet/attach.h"
#include "vmnet/err.h"
#include "vmnet/inet.h"
#include "vmnet/names.h"

struct vmnet_nl;

/* "vmnet:<network>/<cid>/<ifname>": the alias that proves a device ours. */
static inline void attach_alias(const struct vmnet_record *rec, char *buf, size_t size)
{
	vmnet_name_alias(buf, size, rec->network, rec->cid, rec->ifname);
}

/* The name of @rec's tap or veth host end while it is being created. */
static inline void attach_temp_name(const struct vmnet_record *rec, char buf[IFNAMSIZ])
{
	vmnet_name_host_if(buf, VMNET_PREFIX_TEMP, rec->network, rec->cid, rec->ifname);
}

/* Teardown keeps going: "already gone" is success, the first error wins. */
static inline void attach_keep_first(int *first, int r)
{
	if (r < 0 && !vmnet_err_is_gone(r) && *first == 0)
		*first = r;
}

/* Steps of vmnet_attach that the in-place repair (attach_repair.c) reuses;
 * both are idempotent. The bridge of @rec with its gateway address, up (created if
 * missing, then *ret_created is set); and the host side of the VM's link
 * @idx: a port of bridge @br_idx (hairpin on, isolation as recorded) in
 * shared mode, the routed link with the gateway address in isolated mode. */
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
 * the forwarding table both ways (lib/nft_fwd.c). Idempotent: ADD and the
 * repair share it. On
 * failure the caller removes the devices (what was added goes with them). */
int vmnet_attach_vm_side(struct vmnet_nl *vm, int peer_idx, int tap_idx,
			 const struct vmnet_record *rec, struct vmnet_err *err);

/* ADD's first step: a host device of @rec under the temporary name goes,
 * one under rec->host_if goes if our alias proves it this attachment's (a
 * crashed ADD's), else code 103. */
int vmnet_attach_clear_stale(struct vmnet_nl *nl, const struct vmnet_record *rec,
			     struct vmnet_err *err);

/* The in-place repair of netns wiring around the surviving tap @tap_idx:
 * the veth pair re-created if its host end is gone (what would block it
 * removed as ADD and DEL would), the host side wired, the VM side
 * (vmnet_attach_vm_side) redone. 1 when done, 0 when the peer in the VM
 * netns is not the guest's veth. */
int vmnet_attach_rewire_netns(struct vmnet_nl *host, struct vmnet_nl *vm, int nsfd, int br_idx,
			      int tap_idx, const struct vmnet_record *rec, struct vmnet_err *err);

/* One route of vmnet_attach_routes, of either family, on @ifindex: as
 * vmnet_route_ensure / vmnet_route_has; _fmt gives "dst via gw". */
struct vmnet_result_route;
#define VMNET_ROUTESTRLEN (VMNET_PREFIXSTRLEN + VMNET_ADDRSTRLEN + 8)
int vmnet_attach_route_ensure(struct vmnet_nl *nl, int ifindex,
			      const struct vmnet_result_route *rt, struct vmnet_err *err);
int vmnet_attach_route_has(struct vmnet_nl *nl, int ifindex, const struct vmnet_result_route *rt,
			   struct vmnet_err *err);
const char *vmnet_attach_route_fmt(const struct vmnet_result_route *rt,
				   char buf[VMNET_ROUTESTRLEN]);

/* IPv6 of an attachment with an address of that family (attach6.c); each
 * is a no-op without one. The host-side device @name (@idx) vmnet made:
 * a router, so no router advertisements taken and no DAD (accept_ra=0,
 * accept_dad=0; @name NULL: a device vmnet did not make, whose sysctls are
 * not ours to change), and with @gateway the IPv6 gateway address
 * (gateway6/guest6.len, without DAD): on the bridge in shared mode, on the
 * routed link in isolated mode, where its connected route is the route
 * to the guest's block. */
int vmnet_attach6_dev(struct vmnet_nl *nl, int idx, const char *name,
		      const struct vmnet_record *rec, bool gateway, struct vmnet_err *err);
/* IPv6 on (@on) or off (disable_ipv6) on the host device @name vmnet
 * made: off on bridge ports and on the host end of a guest without IPv6. */
int vmnet_attach6_enable(const char *name, bool on, struct vmnet_err *err);
/* CHECK: @name (@idx) carries the IPv6 gateway address (code 110 if not). */
int vmnet_attach6_check_gw(struct vmnet_nl *nl, int idx, const char *name,
			   const struct vmnet_record *rec, struct vmnet_err *err);
/* IPv6 forwarding in the host namespace (vmnet_sysctl_forward6). */
int vmnet_attach6_forward(const struct vmnet_record *rec, struct vmnet_err *err);
/* Forwarding of each family @rec's guest has an address of (attach.c). */
int vmnet_attach_forward(const struct vmnet_record *rec, struct vmnet_err *err);
/* The gateway address off host wiring's isolated tap @rec->host_if before
 * it is parked (a parked tap must carry nothing of this attachment). */
int vmnet_attach6_unwire_tap(struct vmnet_nl *host, const struct vmnet_record *rec,
			     struct vmnet_err *err);

/* A CHECK failure (code 110) with a formatted message. */
int vmnet_attach_mismatch(struct vmnet_err *err, const char *fmt, ...) _printf_(2, 3);

/* netns wiring, in attach_vm.c: the veth pair, the tap and the VM side
 * (vmnet_attach_vm_side); on failure what was created is removed again. */
int vmnet_attach_wire_netns(struct vmnet_nl *host, struct vmnet_nl *vm, int nsfd, int br_idx,
			    const struct vmnet_record *rec, struct vmnet_attach_state *st,
			    struct vmnet_err *err);

/* Remove @rec's devices in the VM namespace (@vm): the tap under our alias
 * with its device group, a tap still under its temporary name, a veth peer
 * with the guest MAC and our group. Returns the first real error. */
int vmnet_attach_vm_clear(struct vmnet_nl *vm, const struct vmnet_record *rec,
			  struct vmnet_err *err);

/* Delete @rec's forwarding table in the VM namespace (@vm); 0 if it is
 * gone. Every DEL does, before its devices go or are renamed: a chain
 * left behind would hook a later device of the same name (Linux 6.16+
 * binds netdev chains by name) and send its frames to a dead ifindex. */
int vmnet_attach_vm_unforward(struct vmnet_nl *vm, const struct vmnet_record *rec,
			      struct vmnet_err *err);

/* Make @rec's netns-wired devices carry nothing without deleting them
 * (their deletion waits for RCU grace periods; netd does it later,
 * include/vmnet/handoff.h): the host end down and off the bridge under the
 * doomed name and alias; the tap and the veth peer down, the guest address
 * off the peer, both renamed to a doomed identity of their own (tap
 * "vmdt<x>", peer "vmdp<x>", one device group; *@doomed_tap its name, ""
 * when the tap was not there to rename). Each only when its alias (peer:
 * device group) proves it ours. */
int vmnet_attach_vm_quiesce(struct vmnet_nl *host, struct vmnet_nl *vm,
			    const struct vmnet_record *rec, char doomed_tap[IFNAMSIZ],
			    struct vmnet_err *err);

/* CHECK of the VM-namespace side (@nsfd < 0: the namespace is gone). */
int vmnet_attach_check_vm(const struct vmnet_record *rec, int nsfd, struct vmnet_err *err);

#endif
