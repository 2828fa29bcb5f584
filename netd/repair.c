/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "repair.h"
#include "vmnet/addr.h"
#include "vmnet/attach.h"
#include "vmnet/err.h"
#include "vmnet/link.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "vmnet/nl.h"
#include "vmnet/record.h"
#include "vmnet/sysctl.h"
#include "vmnet/tc.h"

/* 1: repaired in place (or nothing to do), 0: needs the full path. */
static int in_place(const struct vmnet_record *rec, int nsfd, struct vmnet_err *err)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *host = NULL, *vm = NULL;
	struct vmnet_link_info hif, tap, peer;
	char alias[256];
	int r, br_idx = 0;

	r = vmnet_nl_open(-1, &host, err);
	if (r < 0)
		return r;
	vmnet_name_alias(alias, sizeof(alias), rec->network, rec->cid, rec->ifname);
	r = vmnet_link_get(host, rec->host_if, &hif, NULL);
	if (r == 0 && strcmp(hif.alias, alias))
		return vmnet_err_set(err, VMNET_ERR_CONFLICT, EEXIST,
				     "host device %s belongs to \"%s\": not touching it",
				     rec->host_if, hif.alias);
	if (rec->wiring == VMNET_TAP_HOST && r < 0)
		return 0;
	if (rec->wiring == VMNET_TAP_NETNS) {
		if (nsfd < 0)
			return 0;
		r = vmnet_nl_open(nsfd, &vm, err);
		if (r < 0)
			return r;
		if (vmnet_link_get(vm, rec->tap_name, &tap, NULL) < 0 || strcmp(tap.alias, alias))
			return 0;
	}
	if (rec->mode == VMNET_MODE_SHARED) {
		bool created;
		uint8_t mac[6];

		r = vmnet_attach_bridge(host, rec, &br_idx, &created, mac, err);
		if (r < 0)
			return r;
		if (created)
			log_info("re-created bridge %s of network %s", rec->bridge, rec->network);
	}
	r = vmnet_sysctl_write("net/ipv4/ip_forward", "1", err);
	if (r < 0)
		return r;
	if (rec->wiring == VMNET_TAP_NETNS &&
	    vmnet_link_get(host, rec->host_if, &hif, NULL) == -ENODEV) {
		int idx;

		/* A surviving peer of ours would block the new pair. */
		if (vmnet_link_get(vm, rec->ifname, &peer, NULL) == 0 && !strcmp(peer.kind, "veth") &&
		    !memcmp(peer.mac, rec->guest_mac, 6))
			vmnet_link_del_index(vm, peer.ifindex, NULL);
		r = vmnet_attach_veth(host, rec, nsfd, &idx, err);
		if (r < 0)
			return r;
		log_info("re-created %s for %s/%s@%s", rec->host_if, rec->network, rec->cid,
			 rec->ifname);
		r = vmnet_link_get_index(host, idx, &hif, err);
		if (r < 0)
			return r;
	}
	r = vmnet_attach_host_side(host, hif.ifindex, br_idx, rec, err);
	if (r < 0)
		return r;
	if (rec->wiring == VMNET_TAP_HOST)
		return 1;
	if (vmnet_link_get(vm, rec->ifname, &peer, NULL) < 0 || strcmp(peer.kind, "veth") ||
	    memcmp(peer.mac, rec->guest_mac, 6))
		return 0;
	/* The same step as ADD's: address, routes, MTU, tc. */
	r = vmnet_attach_vm_side(vm, peer.ifindex, tap.ifindex, rec, err);
	if (r < 0)
		return r;
	return 1;
}

int netd_repair(const struct vmnet_record *rec, int nsfd, struct vmnet_err *err)
{
	struct vmnet_attach_state st;
	struct vmnet_err e2 = { 0 };
	int r;

	r = in_place(rec, nsfd, err);
	if (r < 0)
		return r;
	if (r > 0 && vmnet_attach_check(rec, nsfd, &e2) == 0)
		return 0;
	if (r > 0)
		log_info("%s/%s@%s: in-place repair left \"%s\", re-attaching", rec->network,
			 rec->cid, rec->ifname, e2.msg);
	/* The full path: what vmnet_attach refuses to overwrite goes first. */
	vmnet_detach(rec, nsfd, false, NULL);
	r = vmnet_attach(rec, nsfd, &st, err);
	if (r < 0)
		return r;
	return vmnet_attach_check(rec, nsfd, err);
}
