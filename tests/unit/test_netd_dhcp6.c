/* SPDX-License-Identifier: MIT */
/*
 * netd/dhcp6_parse.c and dhcp6_build.c without root: hand-built client
 * messages of every type are answered as RFC 8415 18.3 says and every
 * answer is parsed back; malformed messages are refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "../../netd/dhcp6.h"
#include "link6_test.h"
#include "tap.h"

/* A client message under construction. */
struct mb {
	uint8_t b[1024];
	size_t n;
};

static const uint8_t client_duid[] = {0, 3, 0, 1, 0x02, 0, 0, 0, 0, 0x02};

static void put(struct mb *m, uint16_t code, const void *p, size_t len)
{
	m->b[m->n++] = (uint8_t)(code >> 8);
	m->b[m->n++] = (uint8_t)code;
	m->b[m->n++] = (uint8_t)(len >> 8);
	m->b[m->n++] = (uint8_t)len;
	if (len)
		memcpy(m->b + m->n, p, len);
	m->n += len;
}

static void msg(struct mb *m, uint8_t type, bool clientid)
{
	memset(m, 0, sizeof(*m));
	m->b[0] = type;
	m->b[1] = 0x12;
	m->b[2] = 0x34;
	m->b[3] = 0x56;
	m->n = 4;
	if (clientid)
		put(m, 1, client_duid, sizeof(client_duid));
}

/* IA_NA with @iaid and, unless NULL, one IAADDR of @addr. */
static void ia_na(struct mb *m, uint32_t iaid, const char *addr)
{
	uint8_t b[12 + 28] = {(uint8_t)(iaid >> 24), (uint8_t)(iaid >> 16), (uint8_t)(iaid >> 8),
			      (uint8_t)iaid};
	struct in6_addr a;

	if (!addr) {
		put(m, 3, b, 12);
		return;
	}
	b[12] = 0;
	b[13] = 5;
	b[15] = 24;
	a = a6(addr);
	memcpy(b + 16, &a, 16);
	put(m, 3, b, sizeof(b));
}

static void serverid(struct mb *m, const struct netd_link6 *l)
{
	uint8_t duid[10];

	netd_dhcp6_duid(l, duid);
	put(m, 2, duid, sizeof(duid));
}

/* Answer @m for @l and parse the answer into @rep: its length, 0, or < 0. */
static int answer(const struct mb *m, const struct netd_link6 *l, struct netd_dhcp6_msg *rep)
{
	struct netd_dhcp6_msg req;
	uint8_t out[NETD_DHCP6_REPLY_MAX];
	int n;

	if (netd_dhcp6_parse(m->b, m->n, &req) < 0)
		return -EBADMSG;
	n = netd_dhcp6_answer(&req, l, out, sizeof(out));
	if (n > 0 && netd_dhcp6_parse(out, (size_t)n, rep) < 0)
		return -EPROTO;
	return n;
}

static void test_solicit(void)
{
	struct netd_link6 l = link6_fixture();
	struct netd_dhcp6_msg r;
	struct mb m;
	uint8_t duid[10];

	msg(&m, DHCP6_SOLICIT, true);
	ia_na(&m, 7, NULL);
	netd_dhcp6_duid(&l, duid);
	ok(answer(&m, &l, &r) > 0 && r.type == DHCP6_ADVERTISE && r.xid == 0x123456,
	   "Solicit -> Advertise, same transaction id");
	ok(r.serverid_len == 10 && !memcmp(r.serverid, duid, 10) && duid[1] == 3 &&
		   !memcmp(duid + 4, l.mac, 6),
	   "server DUID-LL of the link MAC");
	ok(r.clientid_len == sizeof(client_duid) && !memcmp(r.clientid, client_duid, 10),
	   "client DUID echoed");
	ok(r.preference == 255, "preference 255");
	ok(r.n_ia_na == 1 && r.ia_na[0].iaid == 7 && r.ia_na[0].n_addrs == 1 &&
		   !memcmp(&r.ia_na[0].addrs[0], &l.addr, 16),
	   "IA_NA 7 holds fd88::10");
	ok(r.ia_na[0].preferred[0] == NETD_LINK6_PREFERRED_SECS &&
		   r.ia_na[0].valid[0] == NETD_LINK6_VALID_SECS &&
		   r.ia_na[0].t1 == NETD_LINK6_PREFERRED_SECS / 2 &&
		   r.ia_na[0].t2 == NETD_LINK6_PREFERRED_SECS * 4 / 5,
	   "lifetimes and T1/T2 (0.5, 0.8 of preferred)");
	ok(r.n_dns == 2 && !memcmp(&r.dns[1], &l.dns[1], 16), "option 23: both servers");
	ok(r.n_search == 2 && !strcmp(r.search[0], "vm.test") &&
		   !strcmp(r.search[1], "example.com"),
	   "option 24: vm.test, example.com");
	ok(r.status == NETD_DHCP6_NO_STATUS, "no top-level status");

	put(&m, 14, NULL, 0);
	ok(answer(&m, &l, &r) > 0 && r.type == DHCP6_REPLY && r.rapid_commit && r.n_ia_na == 1,
	   "Solicit with Rapid Commit -> Reply with Rapid Commit");

	msg(&m, DHCP6_SOLICIT, true);
	ia_na(&m, 7, NULL);
	ia_na(&m, 8, NULL);
	ok(answer(&m, &l, &r) > 0 && r.n_ia_na == 2 && r.ia_na[1].iaid == 8 &&
		   r.ia_na[1].n_addrs == 0 && r.ia_na[1].status == DHCP6_NO_ADDRS_AVAIL,
	   "a second IA_NA gets NoAddrsAvail");
	msg(&m, DHCP6_SOLICIT, true);
	ia_na(&m, 7, "fd88::99");
	ok(answer(&m, &l, &r) > 0 && r.n_ia_na == 1 && r.ia_na[0].n_addrs == 1 &&
	       !memcmp(&r.ia_na[0].addrs[0], &l.addr, 16),
	   "Solicit hinting another address: Advertise offers ours only");
	msg(&m, DHCP6_SOLICIT, true);
	ok(answer(&m, &l, &r) > 0 && r.status == DHCP6_NO_ADDRS_AVAIL && r.n_ia_na == 0,
	   "Solicit without IA_NA: NoAddrsAvail");
	msg(&m, DHCP6_SOLICIT, true);
	ia_na(&m, 7, NULL);
	l.managed = false;
	l.addr = a6("::");
	ok(answer(&m, &l, &r) > 0 && r.status == DHCP6_NO_ADDRS_AVAIL &&
		   r.ia_na[0].status == DHCP6_NO_ADDRS_AVAIL,
	   "a link without a DHCPv6 address: NoAddrsAvail");
	l = link6_fixture();
	msg(&m, DHCP6_SOLICIT, false);
	ia_na(&m, 7, NULL);
	ok(answer(&m, &l, &r) == 0, "Solicit without Client ID: no answer");
	msg(&m, DHCP6_SOLICIT, true);
	serverid(&m, &l);
	ok(answer(&m, &l, &r) == 0, "Solicit with a Server ID: no answer");
}

static void test_request_renew(void)
{
	struct netd_link6 l = link6_fixture();
	struct netd_dhcp6_msg r;
	struct mb m;

	msg(&m, DHCP6_REQUEST, true);
	serverid(&m, &l);
	ia_na(&m, 7, "fd88::10");
	ok(answer(&m, &l, &r) > 0 && r.type == DHCP6_REPLY && r.n_ia_na == 1 &&
		   !memcmp(&r.ia_na[0].addrs[0], &l.addr, 16) && r.ia_na[0].valid[0] > 0,
	   "Request -> Reply with the address");
	msg(&m, DHCP6_REQUEST, true);
	ia_na(&m, 7, NULL);
	ok(answer(&m, &l, &r) == 0, "Request without Server ID: no answer");
	msg(&m, DHCP6_REQUEST, true);
	l.mac[5] = 9;
	serverid(&m, &l);
	l = link6_fixture();
	ia_na(&m, 7, NULL);
	ok(answer(&m, &l, &r) == 0, "Request for another server: no answer");

	msg(&m, DHCP6_RENEW, true);
	serverid(&m, &l);
	ia_na(&m, 7, "fd88::99");
	ok(answer(&m, &l, &r) > 0 && r.type == DHCP6_REPLY && r.ia_na[0].n_addrs == 2 &&
		   !memcmp(&r.ia_na[0].addrs[0], &l.addr, 16) && r.ia_na[0].valid[0] > 0 &&
		   r.ia_na[0].valid[1] == 0 && r.ia_na[0].preferred[1] == 0,
	   "Renew of another address: ours, and that one with lifetimes 0");
	msg(&m, DHCP6_REBIND, true);
	ia_na(&m, 7, "fd88::10");
	ia_na(&m, 9, "fd88::11");
	ok(answer(&m, &l, &r) > 0 && r.type == DHCP6_REPLY && r.ia_na[0].n_addrs == 1 &&
		   r.ia_na[1].status == DHCP6_NO_BINDING,
	   "Rebind -> Reply; a second IA gets NoBinding");
	msg(&m, DHCP6_REBIND, true);
	serverid(&m, &l);
	ok(answer(&m, &l, &r) == 0, "Rebind with a Server ID: no answer");
}

static void test_other_types(void)
{
	struct netd_link6 l = link6_fixture();
	struct netd_dhcp6_msg r;
	struct mb m;

	msg(&m, DHCP6_CONFIRM, true);
	ia_na(&m, 7, "fd88::10");
	ok(answer(&m, &l, &r) > 0 && r.type == DHCP6_REPLY && r.status == DHCP6_SUCCESS,
	   "Confirm of fd88::10: Success");
	msg(&m, DHCP6_CONFIRM, true);
	ia_na(&m, 7, "2001:db8::10");
	ok(answer(&m, &l, &r) > 0 && r.status == DHCP6_NOT_ON_LINK,
	   "Confirm of 2001:db8::10: NotOnLink");
	msg(&m, DHCP6_CONFIRM, true);
	ia_na(&m, 7, NULL);
	ok(answer(&m, &l, &r) == 0, "Confirm without addresses: no answer");

	msg(&m, DHCP6_RELEASE, true);
	serverid(&m, &l);
	ia_na(&m, 7, "fd88::10");
	ok(answer(&m, &l, &r) > 0 && r.type == DHCP6_REPLY && r.status == DHCP6_SUCCESS,
	   "Release -> Reply Success");
	msg(&m, DHCP6_DECLINE, true);
	serverid(&m, &l);
	ia_na(&m, 7, "fd88::10");
	ok(answer(&m, &l, &r) > 0 && r.status == DHCP6_SUCCESS, "Decline -> Reply Success");
	msg(&m, DHCP6_DECLINE, true);
	ia_na(&m, 7, "fd88::10");
	ok(answer(&m, &l, &r) == 0, "Decline without Server ID: no answer");

	msg(&m, DHCP6_INFO_REQUEST, false);
	ok(answer(&m, &l, &r) > 0 && r.type == DHCP6_REPLY && r.n_ia_na == 0 && r.n_dns == 2 &&
		   r.n_search == 2 && r.clientid_len == 0,
	   "Information-request -> DNS and domains, no address");
	msg(&m, DHCP6_INFO_REQUEST, true);
	ia_na(&m, 7, NULL);
	ok(answer(&m, &l, &r) == 0, "Information-request with an IA: no answer");
	msg(&m, DHCP6_ADVERTISE, true);
	ok(answer(&m, &l, &r) == 0, "a server message gets no answer");
}

static void test_malformed(void)
{
	struct netd_dhcp6_msg r;
	struct mb m;
	uint8_t b[64] = {0};

	ok(netd_dhcp6_parse(b, 3, &r) == -EBADMSG, "3 bytes refused");
	msg(&m, DHCP6_SOLICIT, true);
	m.b[m.n - 11] = 11; /* Client ID length past the end */
	ok(netd_dhcp6_parse(m.b, m.n, &r) == -EBADMSG, "option past the end refused");
	msg(&m, DHCP6_SOLICIT, true);
	put(&m, 1, client_duid, sizeof(client_duid));
	ok(netd_dhcp6_parse(m.b, m.n, &r) == -EBADMSG, "two Client IDs refused");
	msg(&m, DHCP6_SOLICIT, false);
	put(&m, 1, client_duid, 2);
	ok(netd_dhcp6_parse(m.b, m.n, &r) == -EBADMSG, "2-byte DUID refused");
	msg(&m, DHCP6_SOLICIT, true);
	put(&m, 3, b, 11);
	ok(netd_dhcp6_parse(m.b, m.n, &r) == -EBADMSG, "11-byte IA_NA refused");
	msg(&m, DHCP6_SOLICIT, true);
	b[13] = 5;
	b[15] = 23;
	put(&m, 3, b, 12 + 4 + 23);
	ok(netd_dhcp6_parse(m.b, m.n, &r) == -EBADMSG, "23-byte IAADDR refused");
	msg(&m, DHCP6_SOLICIT, true);
	put(&m, 8, b, 3);
	ok(netd_dhcp6_parse(m.b, m.n, &r) == -EBADMSG, "3-byte Elapsed Time refused");
	msg(&m, DHCP6_SOLICIT, true);
	put(&m, 14, b, 1);
	ok(netd_dhcp6_parse(m.b, m.n, &r) == -EBADMSG, "Rapid Commit with a value refused");
	msg(&m, DHCP6_SOLICIT, true);
	put(&m, 6, b, 3);
	ok(netd_dhcp6_parse(m.b, m.n, &r) == -EBADMSG, "odd Option Request refused");
	msg(&m, 12, true);
	ok(netd_dhcp6_parse(m.b, m.n, &r) == -EBADMSG, "Relay-forward refused");
	msg(&m, DHCP6_SOLICIT, true);
	m.b[m.n++] = 0;
	ok(netd_dhcp6_parse(m.b, m.n, &r) == -EBADMSG, "trailing byte refused");
}

static void test_ip(void)
{
	uint8_t p[80] = {0x60};
	struct netd_dhcp6_ip ip;
	struct in6_addr src = a6("fe80::2");
	struct netd_link6 l = link6_fixture();
	struct netd_dhcp6_msg req;
	uint8_t out[NETD_DHCP6_REPLY_MAX];

	p[5] = 8 + 4;
	p[6] = 17;
	p[7] = 1;
	memcpy(p + 8, &src, 16);
	p[40] = 0x02;
	p[41] = 0x22;
	p[42] = 0x02;
	p[43] = 0x23;
	p[45] = 12;
	p[48] = DHCP6_SOLICIT;
	ok(netd_dhcp6_parse_ip(p, 60, &ip) == 0 && ip.sport == 546 && ip.dport == 547 &&
		   ip.off == 48 && ip.len == 4 && !memcmp(&ip.src, &src, 16),
	   "IPv6/UDP headers parse (trailing padding allowed)");
	p[45] = 13;
	ok(netd_dhcp6_parse_ip(p, 60, &ip) == -EBADMSG, "UDP length past the payload refused");
	p[45] = 12;
	p[5] = 40;
	ok(netd_dhcp6_parse_ip(p, 60, &ip) == -EBADMSG, "payload length past the packet refused");
	p[5] = 12;
	p[6] = 0;
	ok(netd_dhcp6_parse_ip(p, 60, &ip) == -EBADMSG, "an extension header refused");
	p[6] = 17;
	p[0] = 0x45;
	ok(netd_dhcp6_parse_ip(p, 60, &ip) == -EBADMSG, "IPv4 refused");

	memset(&req, 0, sizeof(req));
	req.type = DHCP6_SOLICIT;
	req.clientid_len = 3;
	ok(netd_dhcp6_answer(&req, &l, out, 100) == -ENOBUFS, "small buffer: -ENOBUFS");
	l.mac[0] = 1;
	ok(netd_dhcp6_answer(&req, &l, out, sizeof(out)) == -EINVAL, "invalid link: -EINVAL");
}

static void test_long_names(void)
{
	struct netd_link6 l = link6_fixture();
	struct netd_dhcp6_msg r;
	struct mb m;
	int n;

	link6_long_search(&l);
	l.n_dns = NETD_LINK6_MAX_DNS;
	msg(&m, DHCP6_SOLICIT, true);
	for (uint32_t i = 0; i < NETD_DHCP6_MAX_IA; i++)
		ia_na(&m, i, "fd88::10");
	n = answer(&m, &l, &r);
	ok(n > 0 && n <= NETD_DHCP6_REPLY_MAX && r.n_ia_na == NETD_DHCP6_MAX_IA && r.n_search > 0 &&
		   r.n_search < NETD_DHCP_MAX_SEARCH,
	   "8 long domains cut to fit %d bytes (%d, %u names)", NETD_DHCP6_REPLY_MAX, n,
	   r.n_search);
}

int main(void)
{
	test_solicit();
	test_request_renew();
	test_other_types();
	test_malformed();
	test_ip();
	test_long_names();
	return done();
}
