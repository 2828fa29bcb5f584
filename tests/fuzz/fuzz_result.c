/* SPDX-License-Identifier: MIT */
/* libFuzzer target: results from IPAM plugins and prevResult, parsed and
 * rendered again for every version. */
#include <stddef.h>
#include <stdint.h>

#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmnet_result r;
	json_t *v = vmnet_json_load((const char *)data, size, NULL);

	if (v && vmnet_result_parse(v, &r, NULL) == 0)
		for (int i = 0; i < _VMNET_CNI_VERSION_MAX; i++)
			json_decref(vmnet_result_render(&r, (enum vmnet_cni_version)i));
	json_decref(v);
	return 0;
}
