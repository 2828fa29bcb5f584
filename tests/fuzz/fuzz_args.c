/* SPDX-License-Identifier: MIT */
/* libFuzzer target: CNI_ARGS and attachment records (both outside input). */
#include <stdlib.h>
#include <string.h>

#include "vmnet/cni.h"
#include "vmnet/json.h"
#include "vmnet/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmnet_cni_args a;
	struct vmnet_record rec;
	char *s = malloc(size + 1);
	json_t *v;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)vmnet_cni_args_parse(s, &a, NULL);
	v = vmnet_json_load(s, size, NULL);
	if (v && vmnet_record_from_json(v, &rec, NULL) == 0)
		vmnet_record_clear(&rec);
	json_decref(v);
	free(s);
	return 0;
}
