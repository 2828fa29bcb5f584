/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "docker_user.h"
#include "vmnet/common.h"
#include "vmnet/docker.h"
#include "vmnet/log.h"
#include "vmnet/nft.h"

void netd_docker_sync(struct netd_daemon *d)
{
	static char last_error[sizeof(((struct vmnet_err *)0)->msg)];
	_cleanup_(vmnet_nft_closep) struct vmnet_nft *nft = NULL;
	_cleanup_free_ struct vmnet_docker_dev *devs = NULL;
	struct vmnet_err e = {0};
	int r;

	if (!d->st.n)
		return;
	devs = calloc(d->st.n, sizeof(*devs));
	if (!devs)
		return;
	for (size_t i = 0; i < d->st.n; i++)
		vmnet_docker_dev_of(&d->st.v[i]->rec, &devs[i]);
	r = vmnet_nft_open(-1, &nft, &e);
	if (r == 0)
		r = vmnet_docker_ensure(nft, devs, d->st.n, &e);
	if (r < 0 && strcmp(last_error, e.msg))
		log_warn("Docker's DOCKER-USER: %s", e.msg);
	else if (r > 0)
		log_info("added vmnet's accepts to Docker's DOCKER-USER");
	snprintf(last_error, sizeof(last_error), "%s", r < 0 ? e.msg : "");
}
