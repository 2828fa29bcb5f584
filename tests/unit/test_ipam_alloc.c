/* SPDX-License-Identifier: MIT */
/* The allocator over the disk store, in a temp dir (no root): rotation,
 * exhaustion, requested addresses, release, idempotent ADD, index rebuild,
 * foreign records, GC semantics, per-VM blocks, and the O(1) benchmark. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tap.h"

#define V4(x) vmnet_ipam_ip_from4(x)

static char tmp[] = "/tmp/vmnet-ipam-test.XXXXXX";

#include "ipam_test.h"

static vmnet_ipam_ip add_ip(const struct vmnet_ipam_conf *c, const char *id)
{
	struct vmnet_ipam_result res;
	struct vmnet_err err;

	if (run(ADD, c, id, "eth0", &res, &err) < 0) {
		printf("# add %s: %d %s\n", id, err.code, err.msg);
		return 0;
	}
	return res.ips[0].addr.addr;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of ADD+DEL of one extra attachment, @n rounds. */
static double bench(const struct vmnet_ipam_conf *c, int n)
{
	double t[64];
	struct vmnet_err err;

	for (int i = 0; i < n; i++) {
		double t0 = now_us();

		run(ADD, c, "bench", "eth0", NULL, &err);
		run(DEL, c, "bench", "eth0", NULL, &err);
		t[i] = now_us() - t0;
	}
	qsort(t, (size_t)n, sizeof(t[0]), cmpd);
	return t[n / 2];
}

int main(void)
{
	struct vmnet_ipam_conf c, c2, cb;
	struct vmnet_ipam_result res;
	struct vmnet_err err;
	char cmd[600];
	vmnet_ipam_ip a, b;
	int r;

	if (!mkdtemp(tmp))
		return 1;
	plan(27);

	/* /29: .1 gateway, .2-.6 allocatable */
	conf("n", "\"ranges\":[[{\"subnet\":\"10.1.0.0/29\"}]]", NULL, &c);
	a = add_ip(&c, "c1");
	b = add_ip(&c, "c2");
	ok(a == V4(0x0a010002) && b == V4(0x0a010003), "first addresses skip the gateway, in order");
	ok(add_ip(&c, "c1") == a && exists("n", "10.1.0.2") && !exists("n", "10.1.0.4"),
	   "repeated ADD of the same attachment returns its address");
	run(DEL, &c, "c1", "eth0", NULL, &err);
	ok(!exists("n", "10.1.0.2") && add_ip(&c, "c3") == V4(0x0a010004),
	   "round robin: a released address is not reused next");
	add_ip(&c, "c4");
	add_ip(&c, "c5");
	ok(add_ip(&c, "c6") == V4(0x0a010002), "round robin wraps to the start of the range");
	r = run(ADD, &c, "c7", "eth0", NULL, &err);
	ok(r < 0 && err.code == VMNET_ERR_RANGE_FULL && strstr(err.msg, "no free address"),
	   "exhaustion is code 101");
	r = run(STATUS, &c, "", "", NULL, &err);
	ok(r < 0 && err.code == CNI_ERR_NOT_AVAILABLE, "STATUS on a full range is code 50");
	ok(run(DEL, &c, "c7", "eth0", NULL, &err) == 0 && run(DEL, &c, "c3", "eth0", NULL, &err) == 1 &&
	   run(DEL, &c, "c3", "eth0", NULL, &err) == 0, "DEL releases, and is idempotent");
	ok(run(STATUS, &c, "", "", NULL, &err) == 0, "STATUS with a free address succeeds");
	ok(run(CHECK, &c, "c2", "eth0", NULL, &err) == 0 &&
	   run(CHECK, &c, "c3", "eth0", NULL, &err) < 0 && err.code == VMNET_ERR_CHECK,
	   "CHECK: held passes, released is code 110");

	/* requested addresses */
	conf("n", "\"ranges\":[[{\"subnet\":\"10.1.0.0/29\"}]]",
	     "\"runtimeConfig\":{\"ips\":[\"10.1.0.4/29\"]},", &c2);
	r = run(ADD, &c2, "r1", "eth0", &res, &err);
	ok(r == 0 && res.ips[0].addr.addr == V4(0x0a010004), "requested free address is granted");
	r = run(ADD, &c2, "r2", "eth0", &res, &err);
	ok(r < 0 && err.code == CNI_ERR_INVALID_CONFIG && strstr(err.msg, "already allocated to r1/eth0"),
	   "requested taken address: code 7 naming the holder");
	vmnet_ipam_conf_done(&c2);
	conf("n", "\"ranges\":[[{\"subnet\":\"10.1.0.0/29\"}]]",
	     "\"runtimeConfig\":{\"ips\":[\"10.1.0.1\"]},", &c2);
	r = run(ADD, &c2, "r3", "eth0", &res, &err);
	ok(r < 0 && err.code == 7 && strstr(err.msg, "is the gateway"), "requested gateway: code 7");
	vmnet_ipam_conf_done(&c2);
	conf("n", "\"ranges\":[[{\"subnet\":\"10.1.0.0/29\"}]]",
	     "\"runtimeConfig\":{\"ips\":[\"10.7.0.1\"]},", &c2);
	r = run(ADD, &c2, "r3", "eth0", &res, &err);
	ok(r < 0 && err.code == 7 && strstr(err.msg, "not in any configured range"),
	   "requested address outside the ranges: code 7");
	vmnet_ipam_conf_done(&c2);

	/* a record written by another tool, and a lost index */
	/* The range is full: free .2 and .6, then another tool takes .2. */
	run(DEL, &c, "c6", "eth0", NULL, &err);
	run(DEL, &c, "c5", "eth0", NULL, &err);
	snprintf(cmd, sizeof(cmd), "printf 'other\\r\\neth0' > %s/n/10.1.0.2", tmp);
	system(cmd);
	a = add_ip(&c, "c8");
	ok(a == V4(0x0a010006), "a foreign record is seen as taken");
	r = run(DEL, &c, "other", "eth0", NULL, &err);
	if (r != 1)
		printf("# del other: %d %s\n", r, err.msg);
	ok(r == 1 && !exists("n", "10.1.0.2"),
	   "DEL of a foreign record's owner (found by the rebuilt index)");
	snprintf(cmd, sizeof(cmd), "rm -rf %s/n/.vmnet", tmp);
	system(cmd);
	ok(run(DEL, &c, "c8", "eth0", NULL, &err) == 1 && !exists("n", "10.1.0.6"),
	   "index files missing: rebuilt from the records, DEL still works");
	snprintf(cmd, sizeof(cmd), "printf 'legacy' > %s/n/10.1.0.2", tmp);
	system(cmd);
	ok(run(DEL, &c, "legacy", "eth9", NULL, &err) == 1 && !exists("n", "10.1.0.2"),
	   "DEL falls back to host-local's ID-only records");

	/* GC */
	vmnet_ipam_conf_done(&c);
	conf("g", "\"ranges\":[[{\"subnet\":\"10.2.0.0/24\"}]]", NULL, &c);
	add_ip(&c, "k1");
	add_ip(&c, "k2");
	add_ip(&c, "k3");
	ok(run(GC, &c, "", "", NULL, &err) == 0 && exists("g", "10.2.0.2") && exists("g", "10.2.0.4"),
	   "GC without a valid-attachments key touches nothing");
	conf("g", "\"ranges\":[[{\"subnet\":\"10.2.0.0/24\"}]]",
	     "\"cni.dev/valid-attachments\":[{\"containerID\":\"k2\",\"ifname\":\"eth0\"}],", &c2);
	ok(run(GC, &c2, "", "", NULL, &err) == 2 && !exists("g", "10.2.0.2") &&
	   exists("g", "10.2.0.3") && !exists("g", "10.2.0.4"), "GC releases owners not in the list");
	vmnet_ipam_conf_done(&c2);
	conf("g", "\"ranges\":[[{\"subnet\":\"10.2.0.0/24\"}]]", "\"cni.dev/valid-attachments\":[],", &c2);
	ok(run(GC, &c2, "", "", NULL, &err) == 1 && !exists("g", "10.2.0.3"),
	   "GC with an empty list releases everything");
	vmnet_ipam_conf_done(&c2);
	vmnet_ipam_conf_done(&c);

	/* per-VM blocks */
	conf("b", "\"blockSize\":30,\"ranges\":[[{\"subnet\":\"10.3.0.0/28\"}]]", NULL, &cb);
	r = run(ADD, &cb, "v1", "eth0", &res, &err);
	ok(r == 0 && res.ips[0].addr.addr == V4(0x0a030002) && res.ips[0].addr.len == 30 &&
	   res.ips[0].gateway == V4(0x0a030001) && exists("b", "10.3.0.0") && exists("b", "10.3.0.3"),
	   "/30 block: guest .2/30, gateway .1, all four addresses recorded");
	/* Without explicit bounds the whole subnet is blocks: .4, .8, .12 follow. */
	add_ip(&cb, "v2");
	add_ip(&cb, "v3");
	add_ip(&cb, "v4");
	r = run(ADD, &cb, "v5", "eth0", &res, &err);
	ok(r < 0 && err.code == VMNET_ERR_RANGE_FULL && exists("b", "10.3.0.15"),
	   "blocks exhausted after four /30s of a /28: code 101");
	ok(run(DEL, &cb, "v1", "eth0", NULL, &err) == 4 && !exists("b", "10.3.0.0") &&
	   !exists("b", "10.3.0.3"), "DEL releases the whole block");
	vmnet_ipam_conf_done(&cb);
	conf("bx", "\"blockSize\":30,\"ranges\":[[{\"subnet\":\"10.5.0.0/28\",\"gateway\":\"10.5.0.1\"}]]",
	     NULL, &cb);
	r = run(ADD, &cb, "v1", "eth0", &res, &err);
	ok(r == 0 && res.ips[0].addr.addr == V4(0x0a050006) && res.ips[0].gateway == V4(0x0a050005),
	   "an explicit range gateway keeps its block out: first block .4/30");
	vmnet_ipam_conf_done(&cb);
	conf("b31", "\"blockSize\":31,\"ranges\":[[{\"subnet\":\"10.4.0.0/24\"}]]",
	     "\"runtimeConfig\":{\"ips\":[\"10.4.0.9\"]},", &cb);
	r = run(ADD, &cb, "w1", "eth0", &res, &err);
	ok(r == 0 && res.ips[0].addr.addr == V4(0x0a040009) && res.ips[0].addr.len == 31 &&
	   res.ips[0].gateway == V4(0x0a040008), "/31 block requested by its guest address");
	vmnet_ipam_conf_done(&cb);

	/* O(1): ADD+DEL with 1 vs 4000 existing allocations in a /16 */
	conf("big", "\"ranges\":[[{\"subnet\":\"10.8.0.0/16\"}]]", NULL, &c);
	{
		char id[32];
		double t1, t4000;

		add_ip(&c, "first");
		t1 = bench(&c, 31);
		for (int i = 0; i < 4000; i++) {
			snprintf(id, sizeof(id), "x%d", i);
			add_ip(&c, id);
		}
		t4000 = bench(&c, 31);
		printf("# bench: median ADD+DEL %.0f us with 1 allocation, %.0f us with 4001\n", t1,
		       t4000);
		ok(t4000 < t1 * 3 + 200, "ADD+DEL cost does not grow with the allocations");
		r = run(DEL, &c, "x3999", "eth0", NULL, &err);
		ok(r == 1, "DEL among 4000 allocations");
	}
	vmnet_ipam_conf_done(&c);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	system(cmd);
	return done();
}
