/* SPDX-License-Identifier: MIT */
/* libFuzzer target: vmnet-ipam's config parser (the whole network config on
 * stdin, with ranges of both families, requested addresses and GC lists),
 * CNI_ARGS as the IPAM plugin reads them, and the address parser: whatever
 * it accepts must come back from its canonical text unchanged. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmnet/cni.h"
#include "vmnet/err.h"
#include "vmnet/json.h"
#include "../../ipam/conf.h"

/* Parse, write canonically, parse again: the same prefix, the same text. */
static void round_trip(const uint8_t *data, size_t size)
{
	char in[VMNET_PREFIXSTRLEN + 8], out[VMNET_PREFIXSTRLEN], again[VMNET_PREFIXSTRLEN];
	struct vmnet_ipam_prefix p, q;

	snprintf(in, sizeof(in), "%.*s", (int)(size < sizeof(in) - 1 ? size : sizeof(in) - 1),
		 (const char *)data);
	if (vmnet_ipam_prefix_parse(in, true, &p) < 0)
		return;
	vmnet_ipam_prefix_fmt(&p, out);
	if (vmnet_ipam_prefix_parse(out, false, &q) < 0 || q.addr != p.addr || q.len != p.len ||
	    strcmp(vmnet_ipam_prefix_fmt(&q, again), out))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmnet_cni_args args = { 0 };
	struct vmnet_ipam_conf c;
	struct vmnet_err err = { 0 };
	json_t *v = vmnet_json_load((const char *)data, size, &err);

	round_trip(data, size);
	/* The first bytes double as a requested address, as CNI_ARGS IP= would. */
	if (size > 4)
		snprintf(args.ip, sizeof(args.ip), "%.*s", (int)(size < 20 ? size : 20),
			 (const char *)data);
	if (v && vmnet_ipam_conf_parse(v, &args, &c, &err) == 0)
		vmnet_ipam_conf_done(&c);
	json_decref(v);
	return 0;
}
