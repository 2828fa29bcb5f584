/* SPDX-License-Identifier: MIT */
/* ipam.subnetFile: the file's grammar, each rejection with its code and
 * message, the config rules around it, and the plugin's answers per verb
 * when the file is not written yet. No root needed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmnet/err.h"
#include "vmnet/ipam.h"
#include "vmnet/json.h"
#include "../../ipam/conf.h"
#include "../../ipam/subnetfile.h"
#include "tap.h"

#define V4(x) vmnet_ipam_ip_from4(x)

static char dir[] = "/tmp/vmnet-subnetfile.XXXXXX";
static char file[300];

static void put(const char *text)
{
	FILE *f = fopen(file, "w");

	fputs(text, f);
	fclose(f);
}

static int text(const char *t, struct vmnet_ipam_conf *c, struct vmnet_err *err)
{
	memset(c, 0, sizeof(*c));
	memset(err, 0, sizeof(*err));
	return vmnet_ipam_subnetfile_parse(t, strlen(t), "/f", c, err);
}

static int conf(const char *ipam, struct vmnet_ipam_conf *c, struct vmnet_err *err)
{
	char buf[1024];
	json_t *v;
	int r;

	snprintf(buf, sizeof(buf),
		 "{\"cniVersion\":\"1.1.0\",\"name\":\"n1\",\"type\":\"t\",\"ipam\":%s}", ipam);
	memset(err, 0, sizeof(*err));
	v = vmnet_json_load(buf, strlen(buf), err);
	r = vmnet_ipam_conf_parse(v, NULL, c, err);
	json_decref(v);
	return r;
}

struct bad {
	const char *name, *text;
	int code;
	const char *msg;
};

static const struct bad bads[] = {
	{ "empty", "", 11, "ipam.subnetFile: /f holds no prefix yet" },
	{ "comments only", "# written later\n\n", 11, "holds no prefix yet" },
	{ "not a CIDR", "10.100.1.0\n", 7, "ipam.subnetFile: /f line 1: not a CIDR" },
	{ "host bits", "\n10.100.1.5/24\n", 7, "/f line 2: 10.100.1.5/24 has host bits set" },
	{ "too small", "10.100.1.0/31", 7, "line 1: 10.100.1.0/31 is too small" },
	{ "two IPv4", "10.100.1.0/24\n10.100.2.0/24\n", 7, "line 2: a second IPv4 prefix" },
	{ "two IPv6", "fd00:100:1::/64\nfd00:100:2::/64\n", 7, "line 2: a second IPv6 prefix" },
	{ "garbage", "node-subnet=10.1.0.0/24", 7, "line 1: not a CIDR" },
	{ "two on a line", "10.1.0.0/24 10.2.0.0/24", 7, "line 1: not a CIDR" },
	{ "too long", "0000000000000000000000000000000000000000000000000000000000000000"
		      "0000000000000000000000000000000000000000000000000000000000000000",
	  7, "line 1: too long" },
	{ "above /8", "10.0.0.0/7", 2, "line 1: 10.0.0.0/7 is larger than the /8" },
};

static void files(void)
{
	struct vmnet_ipam_conf c;
	struct vmnet_err err;
	char ipam[400];
	int r;

	snprintf(ipam, sizeof(ipam), "{\"type\":\"vmnet-ipam\",\"subnetFile\":\"%s\"}", file);
	r = conf(ipam, &c, &err);
	ok(r < 0 && err.code == 11 && strstr(err.msg, "not written yet") &&
	   c.subnet_file_pending && !strcmp(c.name, "n1"),
	   "a missing file is code 11, name and dataDir still parsed");
	put("");
	r = conf(ipam, &c, &err);
	ok(r < 0 && err.code == 11 && c.subnet_file_pending, "an empty file is code 11");
	put("10.100.1.0/24\n");
	r = conf(ipam, &c, &err);
	ok(r == 0 && c.n_sets == 1 && c.sets[0].r[0].subnet.addr == V4(0x0a640100) &&
	   !c.subnet_file_pending, "the file's prefix is the range");
	vmnet_ipam_conf_done(&c);
	put("10.100.2.0/24\n");
	r = conf(ipam, &c, &err);
	ok(r == 0 && c.sets[0].r[0].subnet.addr == V4(0x0a640200),
	   "read at every call: a new prefix is seen at once");
	vmnet_ipam_conf_done(&c);
	put("10.100.2.5/24\n");
	r = conf(ipam, &c, &err);
	ok(r < 0 && err.code == 7 && !c.subnet_file_pending, "a bad prefix is code 7, not pending");
	snprintf(ipam, sizeof(ipam), "{\"type\":\"vmnet-ipam\",\"subnetFile\":\"%s\"}", dir);
	r = conf(ipam, &c, &err);
	ok(r < 0 && err.code == 7 && strstr(err.msg, "is not a regular file"),
	   "a directory is code 7");
	r = conf("{\"subnetFile\":\"run/x\"}", &c, &err);
	ok(r < 0 && err.code == 7 && strstr(err.msg, "must be an absolute path"),
	   "a relative path is code 7");
	r = conf("{\"subnetFile\":7}", &c, &err);
	ok(r < 0 && err.code == 7 && strstr(err.msg, "ipam.subnetFile"), "a number is code 7");
	r = conf("{\"subnetFile\":\"/x\",\"subnet\":\"10.1.0.0/24\"}", &c, &err);
	ok(r < 0 && err.code == 7 &&
	   !strcmp(err.msg, "ipam.subnetFile: cannot be combined with subnet or ranges"),
	   "with subnet: code 7");
	r = conf("{\"subnetFile\":\"/x\",\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}]]}", &c, &err);
	ok(r < 0 && err.code == 7 && strstr(err.msg, "cannot be combined"), "with ranges: code 7");
}

/* The plugin in-process: what each verb answers while the file is absent. */
static int call(const char *cmd, const char *ipam, json_t **res, struct vmnet_err *err)
{
	char buf[1024], cmdv[64], dd[400];
	char *env[] = { cmdv, "CNI_CONTAINERID=c1", "CNI_IFNAME=eth0", "CNI_NETNS=/proc/1/ns/net",
			"CNI_PATH=/nonexistent", NULL };

	snprintf(cmdv, sizeof(cmdv), "CNI_COMMAND=%s", cmd);
	snprintf(dd, sizeof(dd), "%s/store", dir);
	snprintf(buf, sizeof(buf),
		 "{\"cniVersion\":\"1.1.0\",\"name\":\"n1\",\"type\":\"t\",\"ipam\":%.*s,"
		 "\"dataDir\":\"%s\"}}",
		 (int)strlen(ipam) - 1, ipam, dd);
	memset(err, 0, sizeof(*err));
	*res = NULL;
	return vmnet_ipam_call(env, buf, strlen(buf), res, err);
}

static void verbs(void)
{
	char ipam[400], path[400], *out;
	struct vmnet_err err;
	json_t *res;
	int r;

	unlink(file);
	snprintf(ipam, sizeof(ipam), "{\"type\":\"vmnet-ipam\",\"subnetFile\":\"%s\"}", file);
	r = call("ADD", ipam, &res, &err);
	ok(r < 0 && err.code == 11, "ADD without the file: code 11 (%d %s)", err.code, err.msg);
	put("10.100.3.0/24\n");
	r = call("ADD", ipam, &res, &err);
	out = res ? json_dumps(res, 0) : NULL;
	ok(r == 0 && out && strstr(out, "10.100.3.2/24"),
	   "ADD once it is written: an address of the file's prefix");
	free(out);
	json_decref(res);
	r = call("CHECK", ipam, &res, &err);
	ok(r == 0, "CHECK while the file names its prefix");
	put("10.100.4.0/24\n");
	r = call("CHECK", ipam, &res, &err);
	ok(r < 0 && err.code == 110, "CHECK after the file changed: code 110 (%s)", err.msg);
	unlink(file);
	r = call("DEL", ipam, &res, &err);
	snprintf(path, sizeof(path), "%s/store/n1/10.100.3.2", dir);
	ok(r == 0 && access(path, F_OK) < 0, "DEL without the file: released (%d %s)", err.code,
	   err.msg);
	r = call("STATUS", ipam, &res, &err);
	ok(r < 0 && err.code == 50, "STATUS without the file: code 50");
	r = call("GC", ipam, &res, &err);
	ok(r < 0 && err.code == 11, "GC without the file: code 11 (runs once it is there)");
}

int main(void)
{
	struct vmnet_ipam_conf c;
	struct vmnet_err err;
	int r;

	if (!mkdtemp(dir))
		return 1;
	snprintf(file, sizeof(file), "%s/node-subnet", dir);

	r = text("10.100.1.0/24\n", &c, &err);
	ok(r == 0 && c.n_sets == 1 && c.sets[0].n == 1 &&
	   c.sets[0].r[0].start == V4(0x0a640101) && c.sets[0].r[0].gw == V4(0x0a640101) &&
	   c.sets[0].r[0].end == V4(0x0a6401fe), "one IPv4 prefix: host-local's defaults");
	r = text("# node a\n fd00:100:1::/64  # v6\r\n\n\t10.100.1.0/24", &c, &err);
	ok(r == 0 && c.n_sets == 2 && vmnet_ipam_ip_is4(c.sets[0].r[0].subnet.addr) &&
	   !vmnet_ipam_ip_is4(c.sets[1].r[0].subnet.addr),
	   "both families, comments, blanks, CRLF, no final newline: IPv4 set first");
	r = text("fd00:100:1::/64\n", &c, &err);
	ok(r == 0 && c.n_sets == 1 && !vmnet_ipam_ip_is4(c.sets[0].r[0].subnet.addr),
	   "an IPv6 prefix alone parses");
	memset(&c, 0, sizeof(c));
	memset(&err, 0, sizeof(err));
	r = vmnet_ipam_subnetfile_parse("10.1.0.0/24\0", 12, "/f", &c, &err);
	ok(r < 0 && err.code == 7 && strstr(err.msg, "NUL byte"), "a NUL byte is code 7");
	for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
		r = text(bads[i].text, &c, &err);
		if (!ok(r < 0 && err.code == bads[i].code && strstr(err.msg, bads[i].msg),
			"rejects %s (code %d)", bads[i].name, bads[i].code))
			printf("# got code %d: %s\n", err.code, err.msg);
	}
	files();
	verbs();
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		r = system(cmd);
		(void)r;
	}
	return done();
}
