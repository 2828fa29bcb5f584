/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the plugin's network configuration parser (stdin). */
#include <stddef.h>
#include <stdint.h>

#include "vmnet/err.h"
#include "../../cni/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmnet_conf *c = NULL;
	struct vmnet_err err = { 0 };
	const char *ver;

	if (vmnet_conf_parse((const char *)data, size, &c, &ver, &err) == 0)
		vmnet_conf_free(c);
	return 0;
}
