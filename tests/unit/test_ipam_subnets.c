/* SPDX-License-Identifier: MIT */
/* vmnet_ipam_subnets4 and vmnet_ipam_subnets6 (netd's aggregate blocks): the
 * subnets of each family from ranges and from a subnet file, the bound, and
 * a config error passed on. No root needed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmnet/err.h"
#include "vmnet/inet.h"
#include "vmnet/ipam.h"
#include "tap.h"

#define H "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"vmnet\",\"mode\":\"isolated\","

static json_t *conf(const char *text)
{
	return json_loads(text, 0, NULL);
}

int main(void)
{
	char dir[] = "/tmp/vmnet-subnets.XXXXXX", file[300], b4[VMNET_PREFIXSTRLEN],
	     b6[VMNET_PREFIXSTRLEN], text[600];
	struct vmnet_prefix p4[4];
	struct vmnet_prefix6 p6[4];
	struct vmnet_err err = { 0 };
	json_t *c;
	FILE *f;
	int n4, n6;

	if (!mkdtemp(dir))
		return 1;
	snprintf(file, sizeof(file), "%s/node-subnet", dir);

	c = conf(H "\"ipam\":{\"type\":\"vmnet-ipam\",\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"},"
		   "{\"subnet\":\"10.2.0.0/24\"}],[{\"subnet\":\"fd00:1::/56\"}]]}}");
	n4 = vmnet_ipam_subnets4(c, p4, 4, &err);
	n6 = vmnet_ipam_subnets6(c, p6, 4, &err);
	ok(n4 == 2 && !strcmp(vmnet_prefix_fmt(&p4[0], b4), "10.1.0.0/24") &&
		   !strcmp(vmnet_prefix_fmt(&p4[1], b4), "10.2.0.0/24"),
	   "ranges: the two IPv4 subnets");
	ok(n6 == 1 && !strcmp(vmnet_prefix6_fmt(&p6[0], b6), "fd00:1::/56"),
	   "ranges: the IPv6 subnet, and only it");
	ok(vmnet_ipam_subnets4(c, p4, 1, &err) == 1, "at most @max");
	json_decref(c);

	c = conf(H "\"ipam\":{\"type\":\"vmnet-ipam\",\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}]]}}");
	ok(vmnet_ipam_subnets6(c, p6, 4, &err) == 0, "an IPv4-only network: no IPv6 subnet");
	json_decref(c);

	f = fopen(file, "w");
	fputs("# node\n10.100.3.0/24\nfd00:100:3::/64\n", f);
	fclose(f);
	snprintf(text, sizeof(text), H "\"ipam\":{\"type\":\"vmnet-ipam\",\"subnetFile\":\"%s\"}}",
		 file);
	c = conf(text);
	n4 = vmnet_ipam_subnets4(c, p4, 4, &err);
	n6 = vmnet_ipam_subnets6(c, p6, 4, &err);
	ok(n4 == 1 && !strcmp(vmnet_prefix_fmt(&p4[0], b4), "10.100.3.0/24") && n6 == 1 &&
		   !strcmp(vmnet_prefix6_fmt(&p6[0], b6), "fd00:100:3::/64"),
	   "subnetFile: one subnet of each family");
	unlink(file);
	ok(vmnet_ipam_subnets6(c, p6, 4, &err) < 0 && err.code == 11,
	   "subnetFile not written: the plugin's code 11");
	json_decref(c);
	rmdir(dir);
	return done();
}
