/* SPDX-License-Identifier: MIT */
/* libFuzzer target: netd's request decoder and reply decoder (socket input). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <string.h>

#include "../../netd/proto.h"
#include "vmnet/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netd_request req;
	struct vmnet_err err = { 0 };
	json_t *d = NULL;

	if (netd_proto_decode_request((const char *)data, size, &req, &err) == 0) {
		char *l = netd_proto_encode_request(&req);
		struct netd_request again;

		/* What decodes must survive its own round trip. */
		if (l && (netd_proto_decode_request(l, strlen(l), &again, NULL) < 0 ||
			  again.cmd != req.cmd || strcmp(again.cid, req.cid) ||
			  strcmp(again.ifname, req.ifname) || again.n_doomed != req.n_doomed ||
			  (req.n_doomed && memcmp(again.doomed, req.doomed,
						  req.n_doomed * sizeof(req.doomed[0])))))
			abort();
		free(l);
	} else {
		char *l = netd_proto_encode_error(err.code, err.msg);

		if (!l || netd_proto_decode_reply(l, strlen(l), NULL, NULL) != -EREMOTEIO)
			abort();
		free(l);
	}
	if (netd_proto_decode_reply((const char *)data, size, &d, NULL) == 0)
		json_decref(d);
	return 0;
}
