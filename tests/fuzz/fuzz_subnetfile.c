/* SPDX-License-Identifier: MIT */
/* libFuzzer target: ipam.subnetFile's contents (written by cluster tooling,
 * outside input). Whatever it accepts is one range set per family, IPv4
 * first, each range inside its subnet. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmnet/err.h"
#include "../../ipam/conf.h"
#include "../../ipam/subnetfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmnet_ipam_conf c;
	struct vmnet_err err = { 0 };

	if (size > VMNET_IPAM_SUBNET_FILE_MAX)
		return 0;
	memset(&c, 0, sizeof(c));
	if (vmnet_ipam_subnetfile_parse((const char *)data, size, "/f", &c, &err) < 0) {
		if (err.code != CNI_ERR_INVALID_CONFIG && err.code != CNI_ERR_TRY_AGAIN &&
		    err.code != CNI_ERR_UNSUPPORTED_FIELD)
			abort();
		return 0;
	}
	if (c.n_sets < 1 || c.n_sets > 2 ||
	    (c.n_sets == 2 && (!vmnet_ipam_ip_is4(c.sets[0].r[0].subnet.addr) ||
			       vmnet_ipam_ip_is4(c.sets[1].r[0].subnet.addr))))
		abort();
	for (unsigned i = 0; i < c.n_sets; i++)
		if (c.sets[i].n != 1 ||
		    !vmnet_ipam_prefix_contains(&c.sets[i].r[0].subnet, c.sets[i].r[0].start) ||
		    !vmnet_ipam_prefix_contains(&c.sets[i].r[0].subnet, c.sets[i].r[0].end))
			abort();
	return 0;
}
