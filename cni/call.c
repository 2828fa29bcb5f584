/* SPDX-License-Identifier: MIT */
/*
 * What every verb of one plugin call shares: the guest's MAC, the locked
 * record of (network, container ID, ifname), and the engine's teardown
 * (vmnet_teardown_record) with the namespace this call may act in and how
 * IPAM is asked.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "plugin.h"
#include "vmnet/err.h"
#include "vmnet/inet.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "vmnet/netns.h"
#include "vmnet/record.h"
#include "vmnet/teardown.h"

int vmnet_call_guest_mac(struct vmnet_call *c, uint8_t mac[6], struct vmnet_err *err)
{
	if (c->conf->has_mac) {
		memcpy(mac, c->conf->mac, 6);
		return 0;
	}
	if (c->args.mac[0]) {
		if (vmnet_mac_parse(c->args.mac, true, mac) < 0)
			return vmnet_err_set(err, CNI_ERR_INVALID_ENV, 0,
					     "CNI_ARGS: MAC=\"%.32s\" is not a unicast MAC address",
					     c->args.mac);
		return 0;
	}
	vmnet_name_mac(mac, "guest", c->conf->name, c->env->containerid, c->env->ifname);
	return 0;
}

int vmnet_call_read_record(struct vmnet_call *c, int *ret_lock, struct vmnet_record *ret,
			   struct vmnet_err *err)
{
	const struct vmnet_conf *cf = c->conf;
	int r;

	r = vmnet_record_lock(cf->state_dir, cf->name, VMNET_LOCK_TIMEOUT_MS, ret_lock, err);
	if (r < 0)
		return r;
	return vmnet_record_read(cf->state_dir, cf->name, c->env->containerid, c->env->ifname,
				 ret, err);
}

/* The VM namespace to clean inside, or -1. A record's namespace counts only
 * while it is provably the one the ADD saw (identity and boot): a runtime
 * that recorded /proc/<pid>/ns/net may call DEL after the PID went to a
 * process in another namespace. Without a record there is no identity;
 * what DEL removes in there is then proven device by device. */
static int open_vm_netns(const struct vmnet_record *rec)
{
	char boot[40];
	int fd = -1;

	if (!rec->netns[0])
		return -1;
	if (!rec->netns_id.ino) {
		if (vmnet_netns_open(rec->netns, &fd, NULL) < 0)
			return -1; /* gone: its devices went with it */
		return fd;
	}
	vmnet_boot_id(boot, sizeof(boot));
	if (strcmp(boot, rec->boot_id) || vmnet_netns_open_proven(rec->netns, &rec->netns_id, &fd) != 1) {
		log_warn("%s is not the namespace the ADD saw (or is gone): nothing is done in it",
			 rec->netns);
		return -1;
	}
	return fd;
}

int vmnet_teardown(struct vmnet_call *c, const struct vmnet_record *rec, bool release,
		   struct vmnet_err *err)
{
	const struct vmnet_release how = { .cni_path = c->env->path, .type = c->conf->ipam_type,
					   .conf = c->stdin_buf, .conf_len = c->stdin_len };
	_cleanup_close_ int nsfd = open_vm_netns(rec);

	return vmnet_teardown_record(c->conf->state_dir, rec, nsfd, release ? &how : NULL, err);
}
