/* SPDX-License-Identifier: MIT */
#include <stdbool.h>

#include "vmnet/attach.h"
#include "vmnet/delegate.h"
#include "vmnet/docker.h"
#include "vmnet/err.h"
#include "vmnet/log.h"
#include "vmnet/record.h"
#include "vmnet/teardown.h"

int vmnet_teardown_record(const char *state_dir, const struct vmnet_record *rec, int nsfd,
			  const struct vmnet_release *release, struct vmnet_err *err)
{
	struct vmnet_err de = { 0 };
	int first = 0, r, others;

	/* One look, under the network's lock (the caller's) and so true to
	 * the end: a shared network's bridge goes with its last attachment,
	 * and the last record takes the network's spare inode and pool with
	 * it. A failed look (negative) counts as others: both stay. */
	others = vmnet_record_others(state_dir, rec->network, rec->cid, rec->ifname, NULL);
	r = vmnet_detach(rec, nsfd, rec->mode == VMNET_MODE_SHARED && others == 0, err);
	if (r < 0)
		first = r;
	/* The last attachment takes vmnet's accepts out of Docker's chain; a
	 * failure there leaves accepts for devices that are gone (harmless). */
	if (r == 0 && vmnet_docker_release(&de) < 0)
		log_warn("%s", de.msg);
	if (release) {
		r = vmnet_delegate_release(rec, release, first ? NULL : err);
		if (r < 0 && !first)
			first = r;
	}
	if (!first)
		first = vmnet_record_remove_seen(state_dir, rec, others != 0, err);
	return first;
}
