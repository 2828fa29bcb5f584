/* SPDX-License-Identifier: MIT */
/*
 * netd/ra_build.c and ra_parse.c without root: the RA of a link
 * description is built and parsed back option by option (RFC 4861, RFC
 * 8106); router solicitations are validated as RFC 4861 6.1.1 says; the
 * IPv6 guest service is inert until a link is added.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "../../netd/guest6.h"
#include "../../netd/ra.h"
#include "link6_test.h"
#include "tap.h"

/* link6_fixture with a third DNS server between the two: loopback, which
 * an RA does not carry. */
static struct netd_link6 link_fixture(void)
{
	struct netd_link6 l = link6_fixture();

	l.dns[2] = l.dns[1];
	l.dns[1] = a6("::1"); /* loopback: not sent */
	l.n_dns = 3;
	return l;
}

static void test_ra_contents(void)
{
	struct netd_link6 l = link_fixture();
	struct netd_ra_info ra;
	uint8_t buf[NETD_RA_MAX];
	int n = netd_ra_build(&l, l.router_lifetime, buf, sizeof(buf));

	ok(n > 0 && netd_ra_parse(buf, (size_t)n, &ra) == 0, "RA builds (%d bytes) and parses", n);
	ok(buf[0] == 134 && buf[1] == 0 && ra.hop_limit == 64,
	   "type 134, code 0, cur hop limit 64");
	ok(ra.flags == 0xc0, "stateful: M and O set (flags %#x)", ra.flags);
	ok(ra.router_lifetime == 1800, "router lifetime 1800");
	ok(ra.has_slla && !memcmp(ra.slla, l.mac, 6), "source link-layer option is the link MAC");
	ok(ra.mtu == 1400, "MTU option 1400");
	ok(ra.n_prefixes == 1 && ra.prefixes[0].len == 64 &&
		   !memcmp(&ra.prefixes[0].prefix, &l.prefixes[0].prefix, 16),
	   "prefix fd88::/64");
	ok(!ra.prefixes[0].autonomous && buf[16 + 8 + 8 + 3] == 0x80,
	   "prefix on-link, not autonomous (A=0 for DHCPv6 addresses)");
	ok(ra.prefix_valid[0] == NETD_LINK6_VALID_SECS &&
		   ra.prefix_preferred[0] == NETD_LINK6_PREFERRED_SECS,
	   "prefix lifetimes are the defaults");
	ok(ra.n_dns == 2 && !memcmp(&ra.dns[0], &l.dns[0], 16) &&
		   !memcmp(&ra.dns[1], &l.dns[2], 16),
	   "RDNSS carries fd88::1 and 2001:db8::53, not ::1");
	ok(ra.rdnss_lifetime == 3 * NETD_LINK6_RA_INTERVAL &&
		   ra.dnssl_lifetime == ra.rdnss_lifetime,
	   "RDNSS and DNSSL lifetimes 3 * MaxRtrAdvInterval (RFC 8106 5.1)");
	ok(ra.n_search == 2 && !strcmp(ra.search[0], "vm.test") &&
		   !strcmp(ra.search[1], "example.com"),
	   "DNSSL carries vm.test, example.com in order");
	ok(n % 8 == 0, "every option is a multiple of 8 bytes");

	n = netd_ra_build(&l, 0, buf, sizeof(buf));
	ok(n > 0 && netd_ra_parse(buf, (size_t)n, &ra) == 0 && ra.router_lifetime == 0,
	   "the final RA says router lifetime 0");
}

static void test_ra_variants(void)
{
	struct netd_link6 l = link_fixture();
	struct netd_ra_info ra;
	uint8_t buf[NETD_RA_MAX];
	int n;

	l.managed = false;
	l.addr = a6("::");
	l.prefixes[0].autonomous = true;
	l.mtu = 0;
	n = netd_ra_build(&l, 600, buf, sizeof(buf));
	ok(n > 0 && netd_ra_parse(buf, (size_t)n, &ra) == 0 && ra.flags == 0x40 &&
		   ra.prefixes[0].autonomous && ra.mtu == 0,
	   "SLAAC link: O only, A=1, no MTU option");
	l.n_dns = 0;
	l.n_search = 0;
	n = netd_ra_build(&l, 600, buf, sizeof(buf));
	ok(n > 0 && netd_ra_parse(buf, (size_t)n, &ra) == 0 && ra.flags == 0 && ra.n_dns == 0 &&
		   ra.n_search == 0,
	   "no DNS: neither O nor RDNSS nor DNSSL");

	l = link_fixture();
	link6_long_search(&l);
	n = netd_ra_build(&l, 600, buf, sizeof(buf));
	ok(n > 0 && n <= NETD_RA_MAX && netd_ra_parse(buf, (size_t)n, &ra) == 0 &&
		   ra.n_search > 0 && ra.n_search < NETD_DHCP_MAX_SEARCH && ra.search[0][0] == 'a',
	   "long DNSSL cut to fit %d bytes (%d, %u names)", NETD_RA_MAX, n, ra.n_search);

	l = link_fixture();
	ok(netd_ra_build(&l, 600, buf, 40) == -ENOBUFS, "small buffer: -ENOBUFS");
	l.mtu = 1000;
	ok(netd_ra_build(&l, 600, buf, sizeof(buf)) == -EINVAL, "MTU below 1280: -EINVAL");
	l = link_fixture();
	l.mac[0] = 0x01;
	ok(netd_ra_build(&l, 600, buf, sizeof(buf)) == -EINVAL, "multicast link MAC: -EINVAL");
	l = link_fixture();
	l.guest_mac[0] = 0;
	l.guest_mac[5] = 0;
	ok(!netd_link6_valid(&l), "DHCPv6 address without a guest MAC is not valid");
	l = link_fixture();
	l.router_lifetime = 9001;
	ok(!netd_link6_valid(&l), "a router lifetime over 9000 s is not valid");
	l = link_fixture();
	l.prefixes[0].len = 129;
	ok(!netd_link6_valid(&l), "a /129 prefix is not valid");
}

static void test_rs(void)
{
	struct in6_addr src = a6("fe80::2"), any = a6("::");
	uint8_t rs[16] = {133, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 0, 0, 0, 2};
	struct netd_rs r;

	ok(netd_rs_parse(rs, 8, 255, &any, &r) == 0 && !r.has_slla, "bare RS from :: accepted");
	ok(netd_rs_parse(rs, 16, 255, &src, &r) == 0 && r.has_slla && r.slla[0] == 2 &&
		   r.slla[5] == 2,
	   "RS with source link-layer option accepted");
	ok(netd_rs_parse(rs, 16, 254, &src, &r) == -EBADMSG, "hop limit 254 refused");
	ok(netd_rs_parse(rs, 16, 255, &any, &r) == -EBADMSG,
	   "source link-layer option from :: refused");
	ok(netd_rs_parse(rs, 7, 255, &src, &r) == -EBADMSG, "7 bytes refused");
	rs[1] = 1;
	ok(netd_rs_parse(rs, 16, 255, &src, &r) == -EBADMSG, "code 1 refused");
	rs[1] = 0;
	rs[9] = 0;
	ok(netd_rs_parse(rs, 16, 255, &src, &r) == -EBADMSG, "option of length 0 refused");
	rs[9] = 2;
	ok(netd_rs_parse(rs, 16, 255, &src, &r) == -EBADMSG, "option past the end refused");
	rs[0] = 134;
	rs[9] = 1;
	ok(netd_rs_parse(rs, 16, 255, &src, &r) == -EBADMSG, "an RA is not an RS");
}

static void test_names(void)
{
	char out[4][NETD_DHCP_NAME_SIZE];
	static const uint8_t good[] = {2, 'v', 'm', 4, 't', 'e', 's', 't', 0, 1, 'x', 0, 0, 0};
	static const uint8_t pad[] = {1, 'x', 0, 0, 7};
	static const uint8_t over[] = {5, 'x', 0};
	static const uint8_t noroot[] = {1, 'x'};

	ok(netd_names6_decode(good, sizeof(good), out, 4) == 2 && !strcmp(out[0], "vm.test") &&
		   !strcmp(out[1], "x"),
	   "two names and padding decode");
	ok(netd_names6_decode(pad, sizeof(pad), out, 4) == -EBADMSG, "non-zero padding refused");
	ok(netd_names6_decode(over, sizeof(over), out, 4) == -EBADMSG, "label overrun refused");
	ok(netd_names6_decode(noroot, sizeof(noroot), out, 4) == -EBADMSG,
	   "name without root refused");
}

static void test_service_inert(void)
{
	struct netd_guest6 *g = NULL;
	struct vmnet_err err = {0};
	struct netd_link6 l = link_fixture();

	ok(netd_guest6_open(&g, &err) == 0 && g && netd_guest6_fd(g) >= 0,
	   "the service opens without root");
	ok(netd_guest6_handle(g) == 0 && netd_guest6_count(g) == 0, "with no link it does nothing");
	l.mtu = 1;
	ok(netd_guest6_link_add(g, &l, &err) == -EINVAL && netd_guest6_count(g) == 0,
	   "an invalid link is refused: %s", err.msg);
	ok(netd_guest6_link_del(g, 5, l.guest_mac) == -ENOENT,
	   "deleting an unknown guest: -ENOENT");
	ok(netd_guest6_close(g) == NULL && netd_guest6_close(NULL) == NULL, "close is NULL-safe");
}

int main(void)
{
	test_ra_contents();
	test_ra_variants();
	test_rs();
	test_names();
	test_service_inert();
	return done();
}
