/* SPDX-License-Identifier: MIT */
/*
 * netd/feed6.c without root: what a record makes of a guest's IPv6
 * description (address by DHCPv6, prefix on-link and not autonomous,
 * router lifetime with a gateway6, MTU, RDNSS of the IPv6 nameservers
 * only, DNSSL of search then domain), and a feed that serves nothing when
 * a record's host link is missing or not Ethernet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "../../netd/feed6.h"
#include "../../netd/guest6.h"
#include "../../netd/state.h"
#include "link6_test.h"
#include "tap.h"
#include "vmnet/record.h"

static const uint8_t LINK_MAC[6] = {0x02, 0, 0, 0, 0, 0x01};

/* The address of a compound literal: a6() as a memcmp operand. */
#define A6(s) (&(struct in6_addr[1]){a6(s)}[0])

static void rec_fixture(struct vmnet_record *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->network, sizeof(r->network), "net6");
	snprintf(r->cid, sizeof(r->cid), "c1");
	snprintf(r->ifname, sizeof(r->ifname), "eth0");
	r->mode = VMNET_MODE_SHARED;
	snprintf(r->bridge, sizeof(r->bridge), "nosuchbr0");
	snprintf(r->host_if, sizeof(r->host_if), "nosuchdev0");
	memcpy(r->guest_mac, (uint8_t[6]){0x02, 0x11, 0x22, 0x33, 0x44, 0x55}, 6);
	r->guest.addr = 0x0a370005;
	r->guest.len = 24;
	r->guest6.addr = a6("fd55::5");
	r->guest6.len = 64;
	r->gateway6 = a6("fd55::1");
	r->mtu = 1400;
	r->n_nameservers = 5;
	snprintf(r->nameservers[0], sizeof(r->nameservers[0]), "10.55.0.1");
	snprintf(r->nameservers[1], sizeof(r->nameservers[1]), "fd55::53");
	snprintf(r->nameservers[2], sizeof(r->nameservers[2]), "::1");
	snprintf(r->nameservers[3], sizeof(r->nameservers[3]), "fe80::1");
	snprintf(r->nameservers[4], sizeof(r->nameservers[4]), "2001:db8::53");
	snprintf(r->domain, sizeof(r->domain), "corp.example");
	r->n_search = 3;
	snprintf(r->search[0], sizeof(r->search[0]), "svc.corp.example");
	snprintf(r->search[1], sizeof(r->search[1]), "bad name");
	snprintf(r->search[2], sizeof(r->search[2]), "CORP.example");
}

static void test_link(void)
{
	struct vmnet_record r;
	struct netd_link6 l;
	struct in6_addr net = a6("fd55::");

	rec_fixture(&r);
	ok(netd_feed6_link(&r, 7, LINK_MAC, &l) == 0, "a dual-stack record gives a description");
	ok(netd_link6_valid(&l), "and it is valid");
	ok(l.ifindex == 7 && !memcmp(l.mac, LINK_MAC, 6) && !memcmp(l.guest_mac, r.guest_mac, 6),
	   "ifindex, link MAC and guest MAC");
	ok(!memcmp(&l.addr, &r.guest6.addr, 16) && l.prefix_len == 64,
	   "DHCPv6 hands the recorded address, /64");
	ok(l.n_prefixes == 1 && !memcmp(&l.prefixes[0].prefix, &net, 16) &&
		   l.prefixes[0].len == 64 && !l.prefixes[0].autonomous,
	   "one prefix: fd55::/64, not autonomous");
	ok(l.managed, "M on");
	ok(l.router_lifetime == NETD_FEED6_ROUTER_LIFETIME, "a router lifetime with a gateway6");
	ok(l.mtu == 1400, "MTU 1400");
	ok(l.n_dns == 2 && !memcmp(&l.dns[0], A6("fd55::53"), 16) &&
		   !memcmp(&l.dns[1], A6("2001:db8::53"), 16),
	   "RDNSS: the IPv6 nameservers only, no loopback or link-local (%u)", l.n_dns);
	ok(l.n_search == 2 && !strcmp(l.search[0], "svc.corp.example") &&
		   !strcmp(l.search[1], "CORP.example"),
	   "DNSSL: valid search names in order, the domain not twice (%u)", l.n_search);

	r.search[2][0] = 'x';
	netd_feed6_link(&r, 7, LINK_MAC, &l);
	ok(l.n_search == 3 && !strcmp(l.search[2], "corp.example"), "the domain ends the list");

	memset(&r.gateway6, 0, sizeof(r.gateway6));
	r.mtu = 576;
	ok(netd_feed6_link(&r, 7, LINK_MAC, &l) == 0 && l.router_lifetime == 0 && l.mtu == 0,
	   "no gateway6: no default router; MTU below 1280: no MTU option");

	r.guest6.len = 127;
	r.guest6.addr = a6("fd55::3");
	ok(netd_feed6_link(&r, 7, LINK_MAC, &l) == 0 && l.prefixes[0].len == 127 &&
		   !memcmp(&l.prefixes[0].prefix, A6("fd55::2"), 16),
	   "a /127 block: its network fd55::2/127");

	r.pending = true;
	ok(netd_feed6_link(&r, 7, LINK_MAC, &l) == -ENOENT, "a pending record: none");
	r.pending = false;
	r.guest6.len = 0;
	ok(netd_feed6_link(&r, 7, LINK_MAC, &l) == -ENOENT, "an IPv4-only record: none");
	rec_fixture(&r);
	ok(netd_feed6_link(&r, 0, LINK_MAC, &l) == -EINVAL, "no ifindex: not valid");
}

static void test_feed_no_link(void)
{
	struct vmnet_err e = {0};
	struct netd_guest6 *g = NULL;
	struct netd_feed6 *f = NULL;
	struct netd_entry e1, e2;
	struct netd_entry *v[2] = {&e1, &e2};
	struct netd_state st = {.v = v, .n = 2, .ino_fd = -1};

	memset(&e1, 0, sizeof(e1));
	memset(&e2, 0, sizeof(e2));
	rec_fixture(&e1.rec);
	rec_fixture(&e2.rec);
	snprintf(e2.rec.cid, sizeof(e2.rec.cid), "c2");
	e2.rec.mode = VMNET_MODE_ISOLATED;
	snprintf(e2.rec.host_if, sizeof(e2.rec.host_if), "lo");
	ok(netd_guest6_open(&g, &e) == 0 && netd_feed6_open(&f) == 0, "a service and a feed");
	netd_feed6_sync(f, g, &st);
	ok(netd_feed6_count(f) == 0 && netd_guest6_count(g) == 0,
	   "a missing bridge and a loopback host link: nothing served");
	ok(!netd_feed6_served(f, &e1.rec, NULL) && !netd_feed6_served(f, &e2.rec, NULL),
	   "neither attachment is served");
	st.n = 0;
	netd_feed6_sync(f, g, &st);
	ok(netd_feed6_count(f) == 0, "no records: nothing");
	f = netd_feed6_close(f, g);
	g = netd_guest6_close(g);
	ok(!f && !g, "closed");
}

int main(void)
{
	test_link();
	test_feed_no_link();
	return done();
}
