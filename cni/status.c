/* SPDX-License-Identifier: MIT */
/*
 * STATUS (1.1.0): can this plugin service an ADD right now? The state
 * directory must be usable, the IPAM plugin must say yes, and netd must
 * answer when the config requires it. Code 50 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "plugin.h"
#include "vmnet/err.h"
#include "vmnet/handoff.h"
#include "vmnet/names.h"

static int netd_running(void)
{
	int fd = vmnet_netd_connect(false);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int vmnet_cmd_status(struct vmnet_call *c, struct vmnet_err *err)
{
	const struct vmnet_conf *cf = c->conf;
	_cleanup_close_ int lock = -1;
	int r;

	if (cf->version < VMNET_CNI_V110)
		return vmnet_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION, 0,
				     "config version %s does not allow STATUS", cf->version_str);
	r = vmnet_record_lock(cf->state_dir, cf->name, 2000, &lock, err);
	if (r < 0) {
		vmnet_err_recode(err, CNI_ERR_NOT_AVAILABLE);
		return vmnet_err_wrap(err, "state directory %s is not usable", cf->state_dir);
	}
	if (cf->require_netd && netd_running() < 0)
		return vmnet_err_set(err, CNI_ERR_NOT_AVAILABLE, 0,
				     "netd is not running (\"requireNetd\": true)");
	if (cf->ipam_type) {
		r = vmnet_delegate(c->env->path, cf->ipam_type, "STATUS", c->stdin_buf, c->stdin_len,
				   NULL, err);
		if (r < 0) {
			if (err && err->code != CNI_ERR_LIMITED)
				vmnet_err_recode(err, CNI_ERR_NOT_AVAILABLE);
			return vmnet_err_wrap(err, "ipam");
		}
	}
	return 0;
}
