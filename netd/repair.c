/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "repair.h"
#include "vmnet/attach.h"
#include "vmnet/err.h"
#include "vmnet/log.h"
#include "vmnet/record.h"

int netd_repair(const struct vmnet_record *rec, int nsfd, struct vmnet_err *err)
{
	struct vmnet_attach_state st;
	struct vmnet_err e2 = { 0 };
	int r;

	r = vmnet_attach_repair(rec, nsfd, err);
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
