/* SPDX-License-Identifier: MIT */
/* ipam/addr.[ch]: the 128-bit address of either family: parsing, the
 * canonical text host-local names its files by, prefix arithmetic. */
#include <stdio.h>
#include <string.h>

#include "vmnet/common.h"
#include "../../ipam/addr.h"
#include "tap.h"

/* Canonical text: what Go's net.IP.String() writes (RFC 5952). */
static const struct {
	const char *in, *out;
} canon[] = {
	{ "fd88::2", "fd88::2" },
	{ "FD88:0000:0000:0000:0000:0000:0000:0002", "fd88::2" },
	{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },	/* first of equal runs */
	{ "2001:0:0:1:0:0:0:1", "2001:0:0:1::1" },		/* the longest run */
	{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },	/* one zero group stays */
	{ "::", "::" },
	{ "::1", "::1" },
	{ "fd88::", "fd88::" },
	{ "::1.2.3.4", "::102:304" },				/* no dotted tail */
	{ "fe80:0:0:0:1::", "fe80::1:0:0:0" },		/* first of equal runs */
	{ "10.1.0.2", "10.1.0.2" },
};

static const char *bad[] = {
	"fd88::g", "fd88:::1", "1:2:3:4:5:6:7:8:9", "::ffff:10.0.0.1", "10.1.0", "", "fd88::/64",
};

int main(void)
{
	struct vmnet_ipam_prefix p;
	char buf[VMNET_PREFIXSTRLEN];
	struct in6_addr a6;
	vmnet_ipam_ip a;
	size_t i;

	plan((int)(ARRAY_SIZE(canon) + ARRAY_SIZE(bad)) + 13);
	for (i = 0; i < ARRAY_SIZE(canon); i++)
		ok(vmnet_ipam_ip_parse(canon[i].in, &a) == 0 &&
		   !strcmp(vmnet_ipam_ip_fmt(a, buf), canon[i].out), "%s is written %s",
		   canon[i].in, canon[i].out);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		ok(vmnet_ipam_ip_parse(bad[i], &a) < 0, "\"%s\" is not an address", bad[i]);

	ok(vmnet_ipam_ip_parse("10.1.0.2", &a) == 0 && vmnet_ipam_ip_is4(a) &&
	   vmnet_ipam_ip_to4(a) == 0x0a010002 && a == vmnet_ipam_ip_from4(0x0a010002) &&
	   vmnet_ipam_ip_family(a) == AF_INET, "IPv4 is kept IPv4-mapped");
	ok(vmnet_ipam_ip_parse("fd88::2", &a) == 0 && !vmnet_ipam_ip_is4(a) &&
	   a == (((vmnet_ipam_ip)0xfd88 << 112) | 2) && vmnet_ipam_ip_bits(a) == 128,
	   "IPv6 is its 128 bits");
	vmnet_ipam_ip_to_in6(a, &a6);
	ok(a6.s6_addr[0] == 0xfd && a6.s6_addr[1] == 0x88 && a6.s6_addr[15] == 2 &&
	   vmnet_ipam_ip_from_in6(&a6) == a, "in6_addr round trip");

	ok(vmnet_ipam_prefix_parse("fd88::/64", false, &p) == 0 && p.len == 64 &&
	   vmnet_ipam_hostmask(&p) == UINT64_MAX &&
	   vmnet_ipam_prefix_last(&p) == (((vmnet_ipam_ip)0xfd88 << 112) | UINT64_MAX),
	   "/64: host mask and last address");
	ok(vmnet_ipam_prefix_contains(&p, a) && vmnet_ipam_ip_parse("fd88:0:0:1::", &a) == 0 &&
	   !vmnet_ipam_prefix_contains(&p, a) &&
	   !vmnet_ipam_prefix_contains(&p, vmnet_ipam_ip_from4(0)), "/64 contains");
	ok(vmnet_ipam_prefix_parse("::/0", false, &p) == 0 && vmnet_ipam_hostmask(&p) == VMNET_IPAM_IP_MAX &&
	   vmnet_ipam_prefix_contains(&p, 1) && !vmnet_ipam_prefix_contains(&p, vmnet_ipam_ip_from4(1)),
	   "::/0 holds all IPv6 and no IPv4");
	ok(vmnet_ipam_prefix_parse("0.0.0.0/0", false, &p) == 0 && vmnet_ipam_prefix_contains(&p, vmnet_ipam_ip_from4(0xffffffff)) &&
	   vmnet_ipam_prefix_last(&p) == vmnet_ipam_ip_from4(0xffffffff), "0.0.0.0/0 holds all IPv4");
	ok(vmnet_ipam_prefix_parse("fd88::1", true, &p) == 0 && p.len == 128 &&
	   vmnet_ipam_prefix_parse("10.0.0.1", true, &p) == 0 && p.len == 32,
	   "a bare address gets the family's full length");
	ok(vmnet_ipam_prefix_parse("fd88::/129", false, &p) < 0 &&
	   vmnet_ipam_prefix_parse("10.0.0.0/33", false, &p) < 0 &&
	   vmnet_ipam_prefix_parse("fd88::/", false, &p) < 0 &&
	   vmnet_ipam_prefix_parse("fd88::/-1", false, &p) < 0 &&
	   vmnet_ipam_prefix_parse("fd88::/64x", false, &p) < 0 &&
	   vmnet_ipam_prefix_parse("fd88::1", false, &p) < 0, "bad prefixes: /129, /33, empty, signs, bare");
	ok(vmnet_ipam_prefix_parse("fd88:1::/48", false, &p) == 0 &&
	   !strcmp(vmnet_ipam_prefix_fmt(&p, buf), "fd88:1::/48"), "prefix text");
	a = ((vmnet_ipam_ip)0xfd88 << 112);
	ok(vmnet_ipam_block_size(a, 64) == ((vmnet_ipam_ip)1 << 64) &&
	   vmnet_ipam_block_size(a, 126) == 4 && vmnet_ipam_block_size(a, 127) == 2 &&
	   vmnet_ipam_block_size(vmnet_ipam_ip_from4(0), 30) == 4,
	   "block sizes: /64, /126, /127, IPv4 /30");
	ok(vmnet_ipam_block_size(a, 0) == ((vmnet_ipam_ip)1 << 127), "block size saturates at 2^127");
	ok((VMNET_IPAM_IP_MAX + 1) == 0 && ((vmnet_ipam_ip)UINT64_MAX + 1) == ((vmnet_ipam_ip)1 << 64),
	   "128-bit arithmetic carries over 64 bits and wraps at 2^128");
	return done();
}
