/* SPDX-License-Identifier: MIT */
/*
 * Equivalent to `tc qdisc del dev DEV ingress` (include/vmnet/tc.h).
 */
#include <errno.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include "vmnet/nl.h"
#include "vmnet/tc.h"

int vmnet_tc_clear(struct vmnet_nl *nl, int ifindex, struct vmnet_err *err)
{
	/* Handle 0: with ffff: the kernel says EINVAL, not ENOENT, when the
	 * ingress slot holds only the noop qdisc. */
	struct tcmsg t = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_parent = TC_H_INGRESS,
	};
	struct nl_msg *m = nlmsg_alloc_simple(RTM_DELQDISC, 0);
	int r;

	if (!m || nlmsg_append(m, &t, sizeof(t), NLMSG_ALIGNTO) < 0) {
		if (m)
			nlmsg_free(m);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "deleting ingress qdisc");
	}
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	nlmsg_free(m);
	if (r < 0 && !vmnet_err_is_gone(r))
		return vmnet_nl_fail(nl, err, r, "deleting ingress qdisc of link %d", ifindex);
	return 0;
}
