/* SPDX-License-Identifier: MIT */
/* libFuzzer target: vmnet-ipam's config parser (the whole network config on
 * stdin, with ranges, requested addresses and GC lists), and CNI_ARGS as
 * the IPAM plugin reads them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmnet/cni.h"
#include "vmnet/err.h"
#include "vmnet/json.h"
#include "../../ipam/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmnet_cni_args args = { 0 };
	struct vmnet_ipam_conf c;
	struct vmnet_err err = { 0 };
	json_t *v = vmnet_json_load((const char *)data, size, &err);

	/* The first bytes double as a requested address, as CNI_ARGS IP= would. */
	if (size > 4)
		snprintf(args.ip, sizeof(args.ip), "%.*s", (int)(size < 20 ? size : 20),
			 (const char *)data);
	if (v && vmnet_ipam_conf_parse(v, &args, &c, &err) == 0)
		vmnet_ipam_conf_done(&c);
	json_decref(v);
	return 0;
}
