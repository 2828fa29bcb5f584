/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: attachment records as netd reads them from the state
 * directory (vmnet_record_from_json). What parses must write back and parse
 * again to the same JSON, and its cniPath must pass the check netd relies on
 * before it runs programs from there. The same bytes go through the salvage
 * DEL applies to a record that does not parse.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmnet_record a, b;
	json_t *v = vmnet_json_load((const char *)data, size, NULL), *w = NULL, *x = NULL;
	char *sw = NULL, *sx = NULL;
	struct vmnet_prefix salvaged;

	/* What DEL reads from a record that does not parse. */
	if (vmnet_record_salvage_text((const char *)data, size, &salvaged) == 0 && !salvaged.addr)
		abort();

	if (!v || vmnet_record_from_json(v, &a, NULL) < 0)
		goto out;
	if (vmnet_record_cni_path_check(a.cni_path) < 0)
		abort();
	w = vmnet_record_to_json(&a);
	if (w && vmnet_record_from_json(w, &b, NULL) < 0)
		abort();
	if (w) {
		x = vmnet_record_to_json(&b);
		sw = json_dumps(w, JSON_SORT_KEYS);
		sx = x ? json_dumps(x, JSON_SORT_KEYS) : NULL;
		if (sw && sx && strcmp(sw, sx))
			abort();
		vmnet_record_clear(&b);
	}
	vmnet_record_clear(&a);
out:
	free(sw);
	free(sx);
	json_decref(x);
	json_decref(w);
	json_decref(v);
	return 0;
}
