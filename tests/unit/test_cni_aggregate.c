/* SPDX-License-Identifier: MIT */
/* The plugin's "aggregateRoute" key: accepted where netd can derive a block
 * from it, each rejection with its code and message. No root needed. */
#include <string.h>

#include "tap.h"
#include "vmnet/err.h"
#include "../../cni/conf.h"

#define H "{\"cniVersion\":\"1.0.0\",\"name\":\"net1\",\"type\":\"vmnet\","
#define ISO "\"mode\":\"isolated\","

static const struct {
	const char *name, *json;
	int code;
	const char *frag;
} cases[] = {
	{ "isolated with vmnet-ipam", H ISO "\"aggregateRoute\":true,\"ipam\":{\"type\":\"vmnet-ipam\"}}", 0, "" },
	{ "isolated with host-local", H ISO "\"aggregateRoute\":true,\"ipam\":{\"type\":\"host-local\"}}", 0, "" },
	{ "false anywhere", H "\"aggregateRoute\":false,\"ipam\":{\"type\":\"dhcp\"}}", 0, "" },
	{ "not a bool", H ISO "\"aggregateRoute\":\"yes\",\"ipam\":{\"type\":\"vmnet-ipam\"}}", 7,
	  "aggregateRoute: must be true or false" },
	{ "shared mode", H "\"aggregateRoute\":true,\"ipam\":{\"type\":\"vmnet-ipam\"}}", 7,
	  "aggregateRoute: only for mode \"isolated\"" },
	{ "other IPAM", H ISO "\"aggregateRoute\":true,\"ipam\":{\"type\":\"dhcp\"}}", 7,
	  "aggregateRoute: needs ipam type vmnet-ipam or host-local" },
	{ "no IPAM", H ISO "\"aggregateRoute\":true}", 7, "aggregateRoute: needs ipam type" },
};

int main(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vmnet_conf *c = NULL;
		struct vmnet_err err = { 0 };
		const char *ver;
		int r = vmnet_conf_parse(cases[i].json, strlen(cases[i].json), &c, &ver, &err);

		if (!ok(cases[i].code ? r < 0 && err.code == cases[i].code &&
						strstr(err.msg, cases[i].frag)
				      : r == 0,
			"%s: code %d", cases[i].name, cases[i].code))
			printf("# got %d: %s\n", err.code, err.msg);
		vmnet_conf_free(c);
	}
	return done();
}
