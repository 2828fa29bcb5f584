/* SPDX-License-Identifier: MIT */
/* The allocator with IPv6 over the disk store, in a temp dir (no root):
 * dual stack, host-local's file names, exhaustion of a small range,
 * release, GC, foreign records, per-VM /64, /126 and /127 blocks, and a
 * /64 that is never scanned (a wrap from its last address). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static char tmp[] = "/tmp/vmnet-ipam6-test.XXXXXX";

#include "ipam_test.h"

/* run with ifname eth0, a failure's error as a diagnostic line. */
static int run6(enum op op, const struct vmnet_ipam_conf *c, const char *id,
	       struct vmnet_ipam_result *res, struct vmnet_err *err)
{
	int r = run(op, c, id, "eth0", res, err);

	if (r < 0)
		printf("# %s: %d %s\n", id, err->code, err->msg);
	return r;
}

/* ADD @id; its address in set @set as "addr/len gw" into @buf. */
static const char *add(const struct vmnet_ipam_conf *c, const char *id, unsigned set,
		       char buf[128])
{
	struct vmnet_ipam_result res;
	struct vmnet_err err;
	char a[VMNET_PREFIXSTRLEN], g[VMNET_ADDRSTRLEN];

	if (run6(ADD, c, id, &res, &err) < 0 || set >= res.n_ips)
		return "";
	snprintf(buf, 128, "%s %s", vmnet_ipam_prefix_fmt(&res.ips[set].addr, a),
		 res.ips[set].gateway ? vmnet_ipam_ip_fmt(res.ips[set].gateway, g) : "-");
	return buf;
}

static bool content(const char *net, const char *name, const char *want)
{
	char p[512], buf[256] = "";
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s/%s", tmp, net, name);
	if (!(f = fopen(p, "r")))
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return !strcmp(buf, want);
}

static void put(const char *net, const char *name, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s/%s", tmp, net, name);
	if ((f = fopen(p, "w"))) {
		fputs(text, f);
		fclose(f);
	}
}

static void dual_stack(void)
{
	struct vmnet_ipam_conf c;
	struct vmnet_err err;
	char b[128];

	conf("ds", "\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}],[{\"subnet\":\"fd88::/64\"}]]", NULL, &c);
	ok(!strcmp(add(&c, "c1", 0, b), "10.1.0.2/24 10.1.0.1") &&
	   !strcmp(add(&c, "c1", 1, b), "fd88::2/64 fd88::1"),
	   "dual stack: one address per set, IPv6 fd88::2/64 via fd88::1");
	ok(content("ds", "fd88::2", "c1\r\neth0") && content("ds", "last_reserved_ip.1", "fd88::2") &&
	   content("ds", "last_reserved_ip.0", "10.1.0.2"),
	   "host-local's files: fd88::2 and last_reserved_ip.1");
	ok(!strcmp(add(&c, "c2", 1, b), "fd88::3/64 fd88::1"), "the next ADD gets fd88::3");
	put("ds", "fd88::4", "other\r\neth0");
	ok(!strcmp(add(&c, "c3", 1, b), "fd88::5/64 fd88::1"), "a foreign IPv6 record is taken");
	ok(run6(CHECK, &c, "c2", NULL, &err) == 0, "CHECK of a dual-stack attachment");
	ok(run6(DEL, &c, "c2", NULL, &err) == 2 && !exists("ds", "fd88::3") && !exists("ds", "10.1.0.3"),
	   "DEL frees both families");
	ok(run6(DEL, &c, "other", NULL, &err) == 1 && !exists("ds", "fd88::4"),
	   "DEL of host-local's IPv6 record by its owner");
	put("ds", "last_reserved_ip.1", "fd88::ffff:ffff:ffff:ffff");
	ok(!strcmp(add(&c, "c4", 1, b), "fd88::3/64 fd88::1"),
	   "after the /64's last address the search wraps (no scan of 2^64)");
	vmnet_ipam_conf_done(&c);
	conf("ds", "\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}],[{\"subnet\":\"fd88::/64\"}]]",
	     "\"cni.dev/valid-attachments\":[{\"containerID\":\"c1\",\"ifname\":\"eth0\"}],", &c);
	ok(run6(GC, &c, "", NULL, &err) == 2 && exists("ds", "fd88::2") && !exists("ds", "fd88::5") &&
	   !exists("ds", "fd88::3"), "GC keeps the valid and frees the rest, IPv6 too");
	vmnet_ipam_conf_done(&c);
}

static void small_range(void)
{
	struct vmnet_ipam_conf c;
	struct vmnet_err err;
	char b[128];

	conf("sm", "\"subnet\":\"fd89::/126\"", NULL, &c);
	ok(!strcmp(add(&c, "s1", 0, b), "fd89::2/126 fd89::1") &&
	   !strcmp(add(&c, "s2", 0, b), "fd89::3/126 fd89::1"),
	   "IPv6-only /126: ::2 and ::3 (gateway ::1, no broadcast)");
	ok(run6(ADD, &c, "s3", NULL, &err) < 0 && err.code == VMNET_ERR_RANGE_FULL &&
	   !exists("sm", "fd89::") && !exists("sm", "fd89::1"), "a full /126: code 101, no new file");
	ok(run6(STATUS, &c, "", NULL, &err) < 0 && err.code == CNI_ERR_NOT_AVAILABLE,
	   "STATUS of a full IPv6 range: code 50");
	ok(run6(DEL, &c, "s1", NULL, &err) == 1 && !strcmp(add(&c, "s3", 0, b), "fd89::2/126 fd89::1"),
	   "DEL frees an address for the next ADD");
	vmnet_ipam_conf_done(&c);
	conf("sm", "\"subnet\":\"fd89::/126\"", "\"runtimeConfig\":{\"ips\":[\"fd8a::2\"]},", &c);
	ok(run6(ADD, &c, "s4", NULL, &err) < 0 && err.code == CNI_ERR_INVALID_CONFIG &&
	   strstr(err.msg, "fd8a::2 is not in any configured range"),
	   "a requested IPv6 address outside the ranges: code 7");
	vmnet_ipam_conf_done(&c);
}

static void blocks(void)
{
	struct vmnet_ipam_conf c;
	struct vmnet_err err;
	char b[128];

	conf("b64", "\"ranges\":[[{\"subnet\":\"10.3.0.0/24\"}],[{\"subnet\":\"fd90::/62\"}]]",
	     "\"mode\":\"isolated\",", &c);
	ok(!strcmp(add(&c, "v1", 1, b), "fd90::2/64 fd90::1") && exists("b64", "fd90::") &&
	   exists("b64", "fd90::3") && !exists("b64", "fd90::4"),
	   "isolated: a /64 per VM, guest ::2 via ::1, its first four addresses recorded");
	ok(!strcmp(add(&c, "v2", 1, b), "fd90:0:0:1::2/64 fd90:0:0:1::1"), "the next VM gets the next /64");
	add(&c, "v3", 1, b);
	add(&c, "v4", 1, b);
	ok(run6(ADD, &c, "v5", NULL, &err) < 0 && err.code == VMNET_ERR_RANGE_FULL &&
	   !exists("b64", "10.3.0.18"), "four /64s of a /62, then code 101 (the IPv4 block undone)");
	ok(run6(DEL, &c, "v1", NULL, &err) == 8 && !exists("b64", "fd90::2") && !exists("b64", "10.3.0.2"),
	   "DEL releases both blocks");
	vmnet_ipam_conf_done(&c);
	conf("b127", "\"blockSize6\":127,\"subnet\":\"fd91::/120\"", NULL, &c);
	ok(!strcmp(add(&c, "p1", 0, b), "fd91::1/127 fd91::") &&
	   !strcmp(add(&c, "p2", 0, b), "fd91::3/127 fd91::2") && exists("b127", "fd91::2"),
	   "blockSize6 127: host ::0, guest ::1 (RFC 6164), then ::2/::3");
	vmnet_ipam_conf_done(&c);
	conf("b126", "\"blockSize6\":126,\"subnet\":\"fd92::/120\"",
	     "\"runtimeConfig\":{\"ips\":[\"fd92::6\"]},", &c);
	ok(!strcmp(add(&c, "q1", 0, b), "fd92::6/126 fd92::5") && exists("b126", "fd92::4") &&
	   exists("b126", "fd92::7"), "blockSize6 126: a requested guest address takes its block");
	vmnet_ipam_conf_done(&c);
	conf("b126", "\"blockSize6\":126,\"subnet\":\"fd92::/120\"",
	     "\"runtimeConfig\":{\"ips\":[\"fd92::9\"]},", &c);
	ok(run6(ADD, &c, "q2", NULL, &err) < 0 && err.code == CNI_ERR_INVALID_CONFIG &&
	   strstr(err.msg, "not the guest address of a /126 block"),
	   "blockSize6 126: a requested non-guest address is code 7");
	vmnet_ipam_conf_done(&c);
}

int main(void)
{
	if (!mkdtemp(tmp))
		return 1;
	plan(21);
	dual_stack();
	small_range();
	blocks();
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? done() : 1;
}
