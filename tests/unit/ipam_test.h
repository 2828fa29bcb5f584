/* SPDX-License-Identifier: MIT */
/* What the allocator's unit tests (test_ipam_alloc*.c) share: a network
 * configuration in the test's data dir, one plugin invocation over the disk
 * store, whether a file of the store exists. Include after defining the
 * data dir: static char tmp[] = "/tmp/...XXXXXX" (made by mkdtemp). */
#ifndef VMNET_TEST_IPAM_TEST_H
#define VMNET_TEST_IPAM_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../ipam/alloc.h"
#include "vmnet/err.h"
#include "vmnet/json.h"

/* The configuration of network @net: @extra (top-level members, each
 * followed by a comma) and the ipam members @ipam_body, dataDir the test's. */
__attribute__((unused)) static int conf(const char *net, const char *ipam_body, const char *extra,
					struct vmnet_ipam_conf *c)
{
	char buf[2048];
	struct vmnet_err err = {0};
	json_t *v;
	int r;

	snprintf(buf, sizeof(buf),
		 "{\"cniVersion\":\"1.0.0\",\"name\":\"%s\",%s\"ipam\":{\"dataDir\":\"%s\",%s}}",
		 net, extra ? extra : "", tmp, ipam_body);
	v = vmnet_json_load(buf, strlen(buf), &err);
	r = v ? vmnet_ipam_conf_parse(v, NULL, c, &err) : -1;
	json_decref(v);
	if (r < 0)
		printf("# conf: %s\n", err.msg);
	return r;
}

enum op { ADD, DEL, GC, STATUS, CHECK };

/* One plugin invocation: open (lock, maybe rebuild), run, close. */
__attribute__((unused)) static int run(enum op op, const struct vmnet_ipam_conf *c, const char *id,
				       const char *ifname, struct vmnet_ipam_result *res,
				       struct vmnet_err *err)
{
	struct vmnet_ipam_disk *d;
	struct vmnet_ipam_owner o = {0};
	struct vmnet_ipam_result dummy;
	int r;

	memset(err, 0, sizeof(*err));
	snprintf(o.id, sizeof(o.id), "%s", id);
	snprintf(o.ifname, sizeof(o.ifname), "%s", ifname);
	if ((r = vmnet_ipam_disk_open(c->data_dir, c->name, 1000, &d, err)) < 0)
		return r;
	struct vmnet_ipam_store *s = vmnet_ipam_disk_store(d);

	switch (op) {
	case ADD:
		r = vmnet_ipam_alloc(s, c, &o, res ? res : &dummy, err);
		break;
	case DEL:
		r = vmnet_ipam_release(s, &o, err);
		break;
	case GC:
		r = vmnet_ipam_gc(s, c, err);
		break;
	case STATUS:
		r = vmnet_ipam_status(s, c, err);
		break;
	case CHECK:
		r = vmnet_ipam_check(s, c, &o, err);
		break;
	}
	vmnet_ipam_disk_close(d);
	return r;
}

/* Whether the store of network @net has a file @name. */
__attribute__((unused)) static bool exists(const char *net, const char *name)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s/%s", tmp, net, name);
	return access(p, F_OK) == 0;
}

#endif
