/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ipam.h"
#include "vmnet/delegate.h"
#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/record.h"

int netd_ipam_release(const char *cni_path, const struct vmnet_record *rec,
		      struct vmnet_err *err)
{
	char e_cmd[] = "CNI_COMMAND=DEL", e_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	_cleanup_free_ char *conf = NULL, *e_cid = NULL, *e_if = NULL, *e_cni = NULL, *path = NULL;

	if (!rec->ipam_type[0])
		return 0;
	if (!rec->netconf || !(conf = vmnet_json_dump(rec->netconf)))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, EINVAL,
				     "ipam: the record has no network config to release with");
	/* The plugin the runtime's ADD used first (the record's CNI_PATH,
	 * checked when the record was read), then netd's own. */
	if (asprintf(&path, "%s%s%s", rec->cni_path, rec->cni_path[0] ? ":" : "", cni_path) < 0 ||
	    asprintf(&e_cid, "CNI_CONTAINERID=%s", rec->cid) < 0 ||
	    asprintf(&e_if, "CNI_IFNAME=%s", rec->ifname) < 0 ||
	    asprintf(&e_cni, "CNI_PATH=%s", path) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "ipam");
	{
		/* A clean environment (netd's own is not the runtime's), and no
		 * CNI_NETNS: the namespace is gone or being let go. */
		char *envp[] = { e_cmd, e_cid, e_if, e_cni, e_path, NULL };

		return vmnet_delegate_env(path, rec->ipam_type, "DEL", envp, conf, strlen(conf),
					  NULL, err);
	}
}
