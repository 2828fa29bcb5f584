/* SPDX-License-Identifier: MIT */
/*
 * The in-place repair of one attachment: vmnet_attach's own steps, run
 * around the devices that survived (the VM's tap above all).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "attach_priv.h"
#include "vmnet/err.h"
#include "vmnet/link.h"
#include "vmnet/log.h"
#include "vmnet/nl.h"

int vmnet_attach_repair(const struct vmnet_record *rec, int nsfd, struct vmnet_err *err)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *host = NULL, *vm = NULL;
	struct vmnet_link_info hif, tap;
	char alias[256];
	int r, br_idx = 0;

	r = vmnet_nl_open(-1, &host, err);
	if (r < 0)
		return r;
	attach_alias(rec, alias, sizeof(alias));
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
	r = vmnet_attach_forward(rec, err);
	if (r < 0)
		return r;
	if (rec->wiring == VMNET_TAP_NETNS)
		return vmnet_attach_rewire_netns(host, vm, nsfd, br_idx, tap.ifindex, rec, err);
	r = vmnet_attach_host_side(host, hif.ifindex, br_idx, rec, err);
	return r < 0 ? r : 1;
}
