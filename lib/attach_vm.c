/* SPDX-License-Identifier: MIT */
/*
 * The VM-namespace side of "tap": "netns" wiring: a veth pair whose peer
 * carries the guest's MAC and address into the VM namespace, a tap beside
 * it, an nftables netdev table forwarding between them both ways
 * (lib/nft_fwd.c). Devices are created under a temporary name
 * (VMNET_PREFIX_TEMP) and renamed together with their alias and device
 * group in one request: a process killed at any step leaves only devices
 * DEL, GC or netd can prove are this attachment's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attach_priv.h"
#include "vmnet/addr.h"
#include "vmnet/inet.h"
#include "vmnet/link.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "vmnet/nft.h"
#include "vmnet/nl.h"
#include "vmnet/result.h"
#include "vmnet/tc.h"

/* Device group of the VM-netns devices of @rec (tap and veth peer), so DEL
 * removes both (and the host end with the peer) in one kernel batch. */
static uint32_t vm_devgroup(const struct vmnet_record *rec)
{
	return (uint32_t)vmnet_hash(rec->network, rec->cid, rec->ifname) | 0x80000000u;
}

/* The forwarding table of @rec between @peer_idx and @tap_idx (0: not
 * needed); @table and @alias hold the names. */
static struct vmnet_fwd fwd_of(const struct vmnet_record *rec, int peer_idx, int tap_idx,
			       char table[32], char *alias, size_t alias_size)
{
	snprintf(table, 32, VMNET_FWD_TABLE_PREFIX "%016llx",
		 (unsigned long long)vmnet_hash(rec->network, rec->cid, rec->ifname));
	attach_alias(rec, alias, alias_size);
	return (struct vmnet_fwd){ .table = table, .comment = alias, .peer = rec->ifname,
				   .tap = rec->tap_name, .peer_idx = peer_idx,
				   .tap_idx = tap_idx };
}

/* One forwarding request in the VM namespace of @vm: set (@set), check or
 * delete (@tap_idx 0) @rec's table. */
static int fwd_talk(struct vmnet_nl *vm, const struct vmnet_record *rec, int peer_idx,
		    int tap_idx, bool set, struct vmnet_err *err)
{
	_cleanup_(vmnet_nft_closep) struct vmnet_nft *n = NULL;
	char table[32], alias[256];
	struct vmnet_fwd f = fwd_of(rec, peer_idx, tap_idx, table, alias, sizeof(alias));
	int r = vmnet_nft_open(vmnet_nl_nsfd(vm), &n, err);

	if (r < 0)
		return r;
	if (!tap_idx)
		return vmnet_nft_fwd_clear(n, table, err);
	return set ? vmnet_nft_fwd_set(n, &f, err) : vmnet_nft_fwd_check(n, &f, err);
}

int vmnet_attach_vm_unforward(struct vmnet_nl *vm, const struct vmnet_record *rec,
			      struct vmnet_err *err)
{
	return fwd_talk(vm, rec, 0, 0, false, err);
}

/* The peer normally died with the host end; not if that was already gone
 * and the peer survived a reboot-like cleanup. Its group (a hash of
 * network, container and ifname) proves it is ours: a MAC may come from a
 * replayed prevResult. */
static int clear_peer(struct vmnet_nl *vm, const struct vmnet_record *rec, struct vmnet_err *err)
{
	struct vmnet_link_info info;

	if (vmnet_link_get(vm, rec->ifname, &info, NULL) == 0 && !strcmp(info.kind, "veth") &&
	    !memcmp(info.mac, rec->guest_mac, 6) && info.devgroup == vm_devgroup(rec))
		return vmnet_link_del_index(vm, info.ifindex, err);
	return 0;
}

int vmnet_attach_vm_clear(struct vmnet_nl *vm, const struct vmnet_record *rec,
			  struct vmnet_err *err)
{
	struct vmnet_link_info info;
	char alias[256], tmp[IFNAMSIZ];
	int first = 0, r;

	attach_alias(rec, alias, sizeof(alias));
	/* Tap and veth peer share a device group: one RTM_DELLINK removes
	 * both, and the host end goes with the peer, in one kernel batch
	 * (each separate delete waits for an RCU grace period). Only when
	 * the tap is ours: the group is a hash, the alias proof. */
	r = vmnet_link_get(vm, rec->tap_name, &info, NULL);
	if (r == 0 && !strcmp(info.alias, alias))
		attach_keep_first(&first, vmnet_link_del_devgroup(vm, vm_devgroup(rec), err));
	/* An ADD that died between opening the tap and naming it. */
	attach_temp_name(rec, tmp);
	r = vmnet_link_get(vm, tmp, &info, NULL);
	if (r == 0 && !strcmp(info.kind, "tun"))
		attach_keep_first(&first, vmnet_link_del_index(vm, info.ifindex, err));
	attach_keep_first(&first, clear_peer(vm, rec, err));
	return first;
}

/* The doomed identity of a VM side (tap "vmdt<x>", peer "vmdp<x>", both
 * in device group 0x40000000 | x, alias VMNET_ALIAS_DOOMED...): one no ADD
 * gives, so deleting by it never takes a later ADD's devices. */
#define DOOMED_GROUP_BIT 0x40000000u

static bool doomed_name(const char *name, char kind, uint32_t *ret_group)
{
	char *end;
	unsigned long x;

	if (strncmp(name, VMNET_PREFIX_DOOMED, 3) || name[3] != kind || strlen(name) != 12)
		return false;
	x = strtoul(name + 4, &end, 16);
	if (*end || x > 0x3fffffffUL)
		return false;
	*ret_group = (uint32_t)x | DOOMED_GROUP_BIT;
	return true;
}

int vmnet_attach_doomed_remove(int nsfd, const char *tap, struct vmnet_err *err)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *vm = NULL;
	struct vmnet_link_info info;
	char peer[IFNAMSIZ];
	uint32_t group;
	int r;

	if (!doomed_name(tap, 't', &group))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, EINVAL, "not a doomed tap: %s", tap);
	snprintf(peer, sizeof(peer), "%.3sp%s", tap, tap + 4);
	r = vmnet_nl_open(nsfd, &vm, err);
	if (r < 0)
		return r;
	if ((vmnet_link_get(vm, tap, &info, NULL) < 0 && vmnet_link_get(vm, peer, &info, NULL) < 0) ||
	    strncmp(info.alias, VMNET_ALIAS_DOOMED, strlen(VMNET_ALIAS_DOOMED)) ||
	    info.devgroup != group)
		return 0; /* gone already (the namespace died), or not ours */
	return vmnet_link_del_devgroup(vm, group, err);
}

/* Down (and nomaster) @name in @nl if @alias (NULL: @devgroup) proves it
 * ours; its IPv4 address @addr (NULL: none) goes first. A device taken down
 * with an address makes the kernel walk every IPv4 route of the namespace
 * (fib_flush, for the routes it marked dead), a cost that grows with the
 * attachments: isolated mode's host ends all carry routes. Without, there
 * is nothing to flush. */
static int quiet_dev(struct vmnet_nl *nl, const char *name, const char *alias, uint32_t devgroup,
		     const struct vmnet_prefix *addr, bool nomaster, struct vmnet_link_info *ret,
		     struct vmnet_err *err)
{
	struct vmnet_link_change c = VMNET_LINK_CHANGE_INIT;
	int r = vmnet_link_get(nl, name, ret, NULL);

	if (r < 0 || (alias ? strcmp(ret->alias, alias) : ret->devgroup != devgroup))
		return 0;
	r = addr ? vmnet_addr_del(nl, ret->ifindex, addr, err) : 0;
	if (r < 0 && !vmnet_err_is_gone(r))
		return r;
	c.up = 0;
	if (nomaster)
		c.master = 0;
	r = vmnet_link_set(nl, ret->ifindex, &c, err);
	return vmnet_err_is_gone(r) ? 0 : r;
}

/* The host end, down and off the bridge, under the doomed name and alias
 * (include/vmnet/names.h): no attachment's name or alias any more, and a
 * crash before netd deletes it leaves what netd and GC recognise. */
static int doom_host_end(struct vmnet_nl *host, const struct vmnet_record *rec, const char *alias,
			 uint32_t x, struct vmnet_err *err)
{
	struct vmnet_link_change c = VMNET_LINK_CHANGE_INIT;
	struct vmnet_link_info info = { 0 };
	struct timespec ts;
	char name[IFNAMSIZ], doomed[64];
	struct vmnet_prefix gw = { .addr = rec->gateway, .len = rec->guest.len };
	bool has_gw = rec->mode == VMNET_MODE_ISOLATED && vmnet_record_has4(rec);
	int r = quiet_dev(host, rec->host_if, alias, 0, has_gw ? &gw : NULL, true, &info, err);

	if (r < 0 || strcmp(info.alias, alias))
		return r;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	snprintf(doomed, sizeof(doomed), VMNET_ALIAS_DOOMED "%lld", (long long)ts.tv_sec);
	/* Named after this DEL (as the VM side), not the attachment: the
	 * same attachment's earlier doomed host end may still wait for netd
	 * (netd/doomed.h), and a name taken would cost this DEL a deletion. */
	snprintf(name, sizeof(name), VMNET_PREFIX_DOOMED "h%08x", x);
	c.name = name;
	c.alias = doomed;
	r = vmnet_link_set(host, info.ifindex, &c, err);
	return vmnet_err_is_gone(r) ? 0 : r;
}

/* @idx's new name, alias and group in one request (it is down). */
static int rename_doomed(struct vmnet_nl *vm, int idx, const char *name, const char *alias,
			 uint32_t group, struct vmnet_err *err)
{
	struct vmnet_link_change c = VMNET_LINK_CHANGE_INIT;
	int r;

	c.name = name;
	c.alias = alias;
	c.devgroup = group;
	r = vmnet_link_set(vm, idx, &c, err);
	return vmnet_err_is_gone(r) ? 0 : r;
}

int vmnet_attach_vm_quiesce(struct vmnet_nl *host, struct vmnet_nl *vm,
			    const struct vmnet_record *rec, char doomed_tap[IFNAMSIZ],
			    struct vmnet_err *err)
{
	struct vmnet_link_info tap = { 0 }, peer = { 0 };
	char alias[256], doomed[64], name[IFNAMSIZ];
	struct timespec ts;
	uint32_t x;
	int first = 0;

	doomed_tap[0] = '\0';
	attach_alias(rec, alias, sizeof(alias));
	clock_gettime(CLOCK_BOOTTIME, &ts);
	x = ((uint32_t)vmnet_hash(rec->network, rec->cid, rec->ifname) ^ (uint32_t)ts.tv_nsec) &
	    0x3fffffffu;
	attach_keep_first(&first, doom_host_end(host, rec, alias, x, err));
	attach_keep_first(&first, quiet_dev(vm, rec->tap_name, alias, 0, NULL, false, &tap, err));
	attach_keep_first(&first, quiet_dev(vm, rec->ifname, NULL, vm_devgroup(rec),
					    vmnet_record_has4(rec) ? &rec->guest : NULL, false,
					    &peer, err));
	if (peer.ifindex > 0 && peer.devgroup == vm_devgroup(rec) && vmnet_record_has6(rec))
		attach_keep_first(&first, vmnet_addr6_del(vm, peer.ifindex, &rec->guest6, err));
	if (first < 0 || strcmp(tap.alias, alias))
		return first;
	snprintf(doomed, sizeof(doomed), VMNET_ALIAS_DOOMED "%lld", (long long)ts.tv_sec);
	snprintf(name, sizeof(name), VMNET_PREFIX_DOOMED "t%08x", x);
	attach_keep_first(&first, rename_doomed(vm, tap.ifindex, name, doomed,
						x | DOOMED_GROUP_BIT, err));
	if (first == 0)
		snprintf(doomed_tap, IFNAMSIZ, "%s", name);
	if (first == 0 && peer.ifindex > 0 && peer.devgroup == vm_devgroup(rec)) {
		snprintf(name, sizeof(name), VMNET_PREFIX_DOOMED "p%08x", x);
		attach_keep_first(&first, rename_doomed(vm, peer.ifindex, name, doomed,
							x | DOOMED_GROUP_BIT, err));
	}
	return first;
}

static int absent_in_vm(struct vmnet_nl *vm, const char *name, const char *what,
			struct vmnet_err *err)
{
	struct vmnet_link_info info;
	int r = vmnet_link_get(vm, name, &info, NULL);

	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return vmnet_link_get(vm, name, &info, err);
	return vmnet_err_set(err, CNI_ERR_INVALID_ENV, EEXIST, "%s: %s already exists in CNI_NETNS",
			     what, name);
}

int vmnet_attach_veth(struct vmnet_nl *host, const struct vmnet_record *rec, int nsfd,
		      int *ret_ifindex, struct vmnet_err *err)
{
	struct vmnet_link_change ch = VMNET_LINK_CHANGE_INIT;
	char alias[256], tmp[IFNAMSIZ];
	uint8_t mac[6];
	int r, idx;

	attach_alias(rec, alias, sizeof(alias));
	attach_temp_name(rec, tmp);
	vmnet_name_mac(mac, "host", rec->network, rec->cid, rec->ifname);
	/* IFLA_IFALIAS is ignored at creation (kernel 6.x): the pair is born
	 * under the temporary name, which alone proves it ours until the
	 * rename that sets the alias in the same request. */
	r = vmnet_link_add_veth(host, tmp, mac, NULL, rec->ifname, rec->guest_mac, nsfd, rec->mtu,
				&idx, err);
	if (r < 0)
		return r;
	ch.name = rec->host_if;
	ch.alias = alias;
	r = vmnet_link_set(host, idx, &ch, err);
	if (r < 0) {
		vmnet_link_del_index(host, idx, NULL);
		return vmnet_err_wrap(err, "naming %s %s", tmp, rec->host_if);
	}
	*ret_ifindex = idx;
	return 0;
}

int vmnet_attach_vm_side(struct vmnet_nl *vm, int peer_idx, int tap_idx,
			 const struct vmnet_record *rec, struct vmnet_err *err)
{
	struct vmnet_link_change ch = VMNET_LINK_CHANGE_INIT;
	struct vmnet_result_route routes[VMNET_RESULT_MAX_ROUTES];
	char alias[256];
	int r, n;

	n = vmnet_attach_routes(rec, routes, ARRAY_SIZE(routes), err);
	if (n < 0)
		return n;
	/* No IPv6 link-local address of this namespace's own: the peer has the
	 * guest's MAC, so its link-local would be the guest's, and its DAD
	 * probe, hairpinned by the bridge into the tap, would make the guest
	 * give up its own. Set while the devices are still down. */
	ch.no_ll = true;
	r = vmnet_link_set(vm, tap_idx, &ch, err);
	if (r == 0)
		r = vmnet_link_set(vm, peer_idx, &ch, err);
	if (r < 0)
		return r;
	ch.no_ll = false;
	attach_alias(rec, alias, sizeof(alias));
	ch.mtu = rec->mtu;
	ch.up = 1;
	ch.alias = alias;
	ch.devgroup = vm_devgroup(rec);
	/* A new tap still has its temporary name: name, alias and group
	 * arrive in one request (a no-op rename for a repaired one). */
	ch.name = rec->tap_name;
	r = vmnet_link_set(vm, tap_idx, &ch, err);
	if (r < 0)
		return r;
	ch.alias = NULL;
	ch.name = NULL;
	r = vmnet_link_set(vm, peer_idx, &ch, err);
	if (r < 0)
		return r;
	/* The guest's address and routes on the peer: runtimes that scan the
	 * netns (kata) build the guest's configuration from them. The
	 * forwarding takes every frame at ingress, so this namespace's own
	 * stack never answers for the guest. */
	r = vmnet_record_has4(rec) ? vmnet_addr_ensure(vm, peer_idx, &rec->guest, err) : 0;
	if (r == 0 && vmnet_record_has6(rec))
		r = vmnet_addr6_ensure(vm, peer_idx, &rec->guest6, err);
	if (r < 0)
		return r;
	for (int i = 0; i < n; i++) {
		r = vmnet_attach_route_ensure(vm, peer_idx, &routes[i], err);
		if (r < 0)
			return vmnet_err_wrap(err, "%s in CNI_NETNS", rec->ifname);
	}
	return fwd_talk(vm, rec, peer_idx, tap_idx, true, err);
}

/* The veth pair with its host end wired (bridge port or routed link);
 * nothing is left on failure. */
static int add_veth(struct vmnet_nl *host, int nsfd, int br_idx, const struct vmnet_record *rec,
		    int *ret_ifindex, struct vmnet_err *err)
{
	int r, idx;

	r = vmnet_attach_veth(host, rec, nsfd, &idx, err);
	if (r < 0)
		return r;
	r = vmnet_attach_host_side(host, idx, br_idx, rec, err);
	if (r < 0) {
		vmnet_link_del_index(host, idx, NULL);
		return r;
	}
	*ret_ifindex = idx;
	return 0;
}

/* The tap under its temporary name, with the options of @rec. */
static int add_tap(struct vmnet_nl *vm, int nsfd, const struct vmnet_record *rec,
		   struct vmnet_link_info *ret, struct vmnet_err *err)
{
	struct vmnet_tap_opts topt = { .multi_queue = rec->multi_queue, .vnet_hdr = true,
				       .uid = rec->tap_uid, .gid = rec->tap_gid };
	char tmp[IFNAMSIZ];
	int r;

	attach_temp_name(rec, tmp);
	r = vmnet_link_add_tap(nsfd, tmp, &topt, err);
	if (r < 0)
		return r;
	r = vmnet_link_get(vm, tmp, ret, err);
	if (r < 0)
		vmnet_link_del(vm, tmp, NULL);
	return r;
}

int vmnet_attach_wire_netns(struct vmnet_nl *host, struct vmnet_nl *vm, int nsfd, int br_idx,
			    const struct vmnet_record *rec, struct vmnet_attach_state *st,
			    struct vmnet_err *err)
{
	struct vmnet_link_info peer, tap, hinfo;
	int r, host_idx;

	/* What a crashed ADD of this same attachment left (no record of it
	 * is ready, or ADD would not have come this far). */
	r = vmnet_attach_vm_clear(vm, rec, err);
	if (r < 0)
		return r;
	r = absent_in_vm(vm, rec->ifname, "CNI_IFNAME", err);
	if (r < 0)
		return r;
	r = absent_in_vm(vm, rec->tap_name, "tapName", err);
	if (r < 0)
		return r;
	r = add_veth(host, nsfd, br_idx, rec, &host_idx, err);
	if (r < 0)
		return r;
	r = add_tap(vm, nsfd, rec, &tap, err);
	if (r < 0)
		goto undo_veth;
	r = vmnet_link_get(vm, rec->ifname, &peer, err);
	if (r < 0)
		goto undo_tap;
	r = vmnet_attach_vm_side(vm, peer.ifindex, tap.ifindex, rec, err);
	if (r < 0)
		goto undo_tap;
	if (vmnet_link_get_index(host, host_idx, &hinfo, NULL) == 0)
		memcpy(st->host_mac, hinfo.mac, 6);
	memcpy(st->tap_mac, tap.mac, 6);
	return 0;

undo_tap:
	vmnet_link_del_index(vm, tap.ifindex, NULL);
undo_veth:
	vmnet_link_del_index(host, host_idx, NULL);
	return r;
}

int vmnet_attach_rewire_netns(struct vmnet_nl *host, struct vmnet_nl *vm, int nsfd, int br_idx,
			      int tap_idx, const struct vmnet_record *rec, struct vmnet_err *err)
{
	struct vmnet_link_info hif, peer;
	int r, idx;

	r = vmnet_link_get(host, rec->host_if, &hif, NULL);
	if (r == -ENODEV) {
		/* What would block the new pair: a host end under the
		 * temporary name, a surviving peer proven ours. */
		r = vmnet_attach_clear_stale(host, rec, err);
		if (r == 0)
			r = clear_peer(vm, rec, err);
		if (r == 0)
			r = add_veth(host, nsfd, br_idx, rec, &idx, err);
		if (r < 0)
			return r;
		log_info("re-created %s for %s/%s@%s", rec->host_if, rec->network, rec->cid,
			 rec->ifname);
	} else if (r < 0) {
		return vmnet_link_get(host, rec->host_if, &hif, err);
	} else {
		r = vmnet_attach_host_side(host, hif.ifindex, br_idx, rec, err);
		if (r < 0)
			return r;
	}
	if (vmnet_link_get(vm, rec->ifname, &peer, NULL) < 0 || strcmp(peer.kind, "veth") ||
	    memcmp(peer.mac, rec->guest_mac, 6))
		return 0;
	/* An attachment an earlier vmnet wired carries tc redirects: tc's
	 * ingress comes before nftables', so they would keep every frame. */
	r = vmnet_tc_clear(vm, peer.ifindex, err);
	if (r == 0)
		r = vmnet_tc_clear(vm, tap_idx, err);
	if (r == 0)
		r = vmnet_attach_vm_side(vm, peer.ifindex, tap_idx, rec, err);
	return r < 0 ? r : 1;
}

/* What kata's scan of the VM netns reads besides address and MAC: the
 * result's routes and the MTU. */
static int check_vm_routes(struct vmnet_nl *vm, const struct vmnet_link_info *peer,
			   const struct vmnet_record *rec, struct vmnet_err *err)
{
	struct vmnet_result_route routes[VMNET_RESULT_MAX_ROUTES];
	int n, r;

	if (peer->mtu != rec->mtu)
		return vmnet_attach_mismatch(err, "%s in %s has MTU %u, not %u", rec->ifname,
					     rec->netns, peer->mtu, rec->mtu);
	if (!peer->up)
		return vmnet_attach_mismatch(err, "%s in %s is down", rec->ifname, rec->netns);
	n = vmnet_attach_routes(rec, routes, ARRAY_SIZE(routes), err);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		char rt[VMNET_ROUTESTRLEN];

		r = vmnet_attach_route_has(vm, peer->ifindex, &routes[i], err);
		if (r < 0)
			return r;
		if (r == 0)
			return vmnet_attach_mismatch(err, "%s in %s lacks the route %s",
						     rec->ifname, rec->netns,
						     vmnet_attach_route_fmt(&routes[i], rt));
	}
	return 0;
}

/* The tap beside the peer, and the forwarding between them. */
static int check_vm_tap(struct vmnet_nl *vm, const struct vmnet_link_info *peer,
			const struct vmnet_record *rec, struct vmnet_err *err)
{
	struct vmnet_link_info tap;
	int r;

	if (vmnet_link_get(vm, rec->tap_name, &tap, NULL) < 0)
		return vmnet_attach_mismatch(err, "tap %s is missing in %s", rec->tap_name,
					     rec->netns);
	if (strcmp(tap.kind, "tun"))
		return vmnet_attach_mismatch(err, "%s in %s is not a tap", rec->tap_name,
					     rec->netns);
	r = fwd_talk(vm, rec, peer->ifindex, tap.ifindex, false, err);
	if (r < 0)
		return vmnet_err_wrap(err, "in %s", rec->netns);
	return 0;
}

int vmnet_attach_check_vm(const struct vmnet_record *rec, int nsfd, struct vmnet_err *err)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *vm = NULL;
	struct vmnet_link_info peer;
	int r;

	if (nsfd < 0)
		return vmnet_attach_mismatch(err, "the VM network namespace %s is gone",
					     rec->netns);
	r = vmnet_nl_open(nsfd, &vm, err);
	if (r < 0)
		return r;
	if (vmnet_link_get(vm, rec->ifname, &peer, NULL) < 0)
		return vmnet_attach_mismatch(err, "%s is missing in %s", rec->ifname, rec->netns);
	if (memcmp(peer.mac, rec->guest_mac, 6)) {
		char m[18];

		return vmnet_attach_mismatch(err, "%s does not carry the guest MAC %s",
					     rec->ifname, vmnet_mac_fmt(rec->guest_mac, m));
	}
	r = vmnet_record_has4(rec) ? vmnet_addr_has(vm, peer.ifindex, &rec->guest, err) : 1;
	if (r < 0)
		return r;
	if (r == 0)
		return vmnet_attach_mismatch(err, "%s lacks the guest address in %s", rec->ifname,
					     rec->netns);
	r = vmnet_record_has6(rec) ? vmnet_addr6_has(vm, peer.ifindex, &rec->guest6, err) : 1;
	if (r < 0)
		return r;
	if (r == 0) {
		char a[VMNET_PREFIXSTRLEN];

		return vmnet_attach_mismatch(err, "%s lacks the guest's IPv6 address %s in %s",
					     rec->ifname, vmnet_prefix6_fmt(&rec->guest6, a),
					     rec->netns);
	}
	r = check_vm_routes(vm, &peer, rec, err);
	if (r < 0)
		return r;
	return check_vm_tap(vm, &peer, rec, err);
}
