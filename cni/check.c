/* SPDX-License-Identifier: MIT */
/*
 * CHECK: the record says what should exist; the kernel, prevResult and the
 * IPAM plugin are compared against it. The first mismatch is reported
 * with code 110.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "plugin.h"
#include "vmnet/attach.h"
#include "vmnet/err.h"
#include "vmnet/netns.h"

/* true if @prev holds @rec's guest address of @family, prefix length included. */
static bool prev_has(const struct vmnet_result *prev, int family, const struct vmnet_record *rec)
{
	for (unsigned i = 0; i < prev->n_ips; i++) {
		const struct vmnet_result_ip *ip = &prev->ips[i];

		if (ip->family != family)
			continue;
		if (family == 4 && ip->addr.addr == rec->guest.addr && ip->addr.len == rec->guest.len)
			return true;
		if (family == 6 && vmnet_ip6_eq(&ip->addr6.addr, &rec->guest6.addr) &&
		    ip->addr6.len == rec->guest6.len)
			return true;
	}
	return false;
}

static int check_prev(const struct vmnet_conf *cf, const struct vmnet_record *rec,
		      struct vmnet_err *err)
{
	struct vmnet_result prev;
	int r;

	if (!cf->prev_result)
		return 0;
	r = vmnet_result_parse(cf->prev_result, &prev, err);
	if (r < 0)
		return vmnet_err_wrap(err, "prevResult");
	if (vmnet_record_has4(rec) && !prev_has(&prev, 4, rec))
		return vmnet_err_set(err, VMNET_ERR_CHECK, 0,
				     "prevResult does not hold the recorded guest address");
	if (vmnet_record_has6(rec) && !prev_has(&prev, 6, rec))
		return vmnet_err_set(err, VMNET_ERR_CHECK, 0,
				     "prevResult does not hold the recorded guest IPv6 address");
	return 0;
}

int vmnet_cmd_check(struct vmnet_call *c, struct vmnet_err *err)
{
	const struct vmnet_conf *cf = c->conf;
	_cleanup_close_ int lock = -1, nsfd = -1;
	struct vmnet_record rec;
	int r;

	if (cf->version < VMNET_CNI_V040)
		return vmnet_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION, 0,
				     "config version %s does not allow CHECK", cf->version_str);
	r = vmnet_netns_open(c->env->netns, &nsfd, err);
	if (r < 0) {
		vmnet_err_recode(err, r == -ENOENT ? CNI_ERR_UNKNOWN_CONTAINER : CNI_ERR_INVALID_ENV);
		return vmnet_err_wrap(err, "CNI_NETNS");
	}
	r = vmnet_call_read_record(c, &lock, &rec, err);
	if (r == -ENOENT)
		return vmnet_err_set(err, VMNET_ERR_CHECK, 0,
				     "no attachment of %s/%s is recorded in network %s",
				     c->env->containerid, c->env->ifname, cf->name);
	if (r < 0)
		return r;
	r = check_prev(cf, &rec, err);
	if (r == 0)
		r = vmnet_attach_check(&rec, nsfd, err);
	if (r == 0 && cf->ipam_type) {
		r = vmnet_delegate(c->env->path, cf->ipam_type, "CHECK", c->stdin_buf, c->stdin_len,
				   NULL, err);
		if (r < 0) {
			if (err && err->code != CNI_ERR_INVALID_CONFIG)
				vmnet_err_recode(err, VMNET_ERR_CHECK);
			vmnet_err_wrap(err, "address reservation");
		}
	}
	vmnet_record_clear(&rec);
	return r;
}
