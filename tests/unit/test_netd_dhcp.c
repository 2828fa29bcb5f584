/* SPDX-License-Identifier: MIT */
/*
 * netd/dhcp_parse.c and dhcp_build.c without root: hand-built client messages are parsed,
 * answered, and every reply is parsed back (IP and UDP checksums included)
 * to check the options a guest will see. Malformed input is refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "../../netd/dhcp.h"
#include "../../netd/lease.h"
#include "vmnet/record.h"
#include "tap.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const uint8_t mac1[6] = {0x02, 0x00, 0x00, 0x00, 0x09, 0x01};

/* A client message under construction: the BOOTP header, then options. */
struct rb {
	uint8_t b[1024];
	size_t n;
};

static void req_init(struct rb *r, uint8_t type, uint32_t xid, uint16_t flags, uint32_t ciaddr)
{
	static const uint8_t cookie[4] = {99, 130, 83, 99};

	memset(r, 0, sizeof(*r));
	r->b[0] = 1; /* BOOTREQUEST */
	r->b[1] = 1; /* Ethernet */
	r->b[2] = 6;
	r->b[4] = xid >> 24;
	r->b[5] = (xid >> 16) & 0xff;
	r->b[6] = (xid >> 8) & 0xff;
	r->b[7] = xid & 0xff;
	r->b[10] = flags >> 8;
	r->b[12] = ciaddr >> 24;
	r->b[13] = (ciaddr >> 16) & 0xff;
	r->b[14] = (ciaddr >> 8) & 0xff;
	r->b[15] = ciaddr & 0xff;
	memcpy(r->b + 28, mac1, 6);
	memcpy(r->b + 236, cookie, 4);
	r->n = 240;
	if (type) {
		r->b[r->n++] = 53;
		r->b[r->n++] = 1;
		r->b[r->n++] = type;
	}
}

static void req_opt(struct rb *r, uint8_t code, const void *p, uint8_t len)
{
	r->b[r->n++] = code;
	r->b[r->n++] = len;
	memcpy(r->b + r->n, p, len);
	r->n += len;
}

static void req_ip(struct rb *r, uint8_t code, uint32_t a)
{
	uint8_t b[4] = {a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff};

	req_opt(r, code, b, 4);
}

static void req_end(struct rb *r)
{
	r->b[r->n++] = 255;
	/* udhcpc and dhclient pad to the BOOTP minimum; so do we. */
	if (r->n < 300)
		r->n = 300;
}

static struct netd_lease lease1(void)
{
	struct netd_lease l = {
		.ip = IP(10, 9, 0, 10),
		.prefix_len = 24,
		.router = IP(10, 9, 0, 1),
		.dns = {IP(192, 0, 2, 53), IP(127, 0, 0, 53), IP(198, 51, 100, 53)},
		.n_dns = 3,
		.domain = "vm.test",
		.mtu = 1400,
		.lease_secs = 3600,
		.hostname = "guest1",
	};

	memcpy(l.mac, mac1, 6);
	return l;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (; n >= 2; p += 2, n -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		s += (uint32_t)p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* The UDP checksum of a packet we built, checked independently. */
static bool udp_csum_ok(const uint8_t *pkt, size_t len)
{
	uint8_t ph[12];
	size_t ulen = (size_t)(pkt[24] << 8 | pkt[25]);
	uint32_t s;

	if (ulen + 20 > len)
		return false;
	memcpy(ph, pkt + 12, 8);
	ph[8] = 0;
	ph[9] = 17;
	ph[10] = pkt[24];
	ph[11] = pkt[25];
	s = sum16(ph, sizeof(ph), 0);
	s = sum16(pkt + 20, ulen, s);
	return s == 0xffff;
}

/* Answer @r with @lease; parse the reply back into @ret. Returns the reply
 * type, 0 for none, -1 if the reply did not parse. */
static int answer(const struct rb *r, const struct netd_lease *l, struct netd_dhcp_msg *ret,
		  struct netd_dhcp_ip *ip)
{
	struct netd_dhcp_msg req;
	uint8_t out[NETD_DHCP_REPLY_MAX];
	int type, n;

	if (netd_dhcp_parse_request(r->b, r->n, &req) < 0)
		return -1;
	type = netd_dhcp_decide(&req, l);
	if (!type)
		return 0;
	n = netd_dhcp_build_reply(&req, l, type, out, sizeof(out));
	if (n < 0 || netd_dhcp_parse_ip(out, (size_t)n, ip) < 0 || !udp_csum_ok(out, (size_t)n) ||
	    ip->sport != 67 || ip->dport != 68 || ip->src != l->router ||
	    netd_dhcp_parse_msg(out + ip->off, ip->len, ret) < 0 || ret->op != 2 ||
	    ret->type != type || ret->xid != req.xid || memcmp(ret->chaddr, req.chaddr, 6))
		return -1;
	return type;
}

static void test_golden_discover(void)
{
	struct netd_dhcp_msg m;
	struct rb r;
	uint8_t prl[] = {1, 3, 6, 12, 15, 26, 28, 51};
	uint8_t maxsz[2] = {0x05, 0xdc};
	uint8_t cid[7] = {1, 0x02, 0, 0, 0, 0x09, 0x01};

	req_init(&r, DHCPDISCOVER, 0x3903f326, DHCP_FLAG_BROADCAST, 0);
	req_opt(&r, 61, cid, sizeof(cid));
	req_opt(&r, 55, prl, sizeof(prl));
	req_opt(&r, 57, maxsz, 2);
	req_opt(&r, 12, "guest", 5);
	r.b[r.n++] = 0; /* a pad before the end */
	req_end(&r);
	ok(netd_dhcp_parse_request(r.b, r.n, &m) == 0, "golden DISCOVER parses");
	ok(m.op == 1 && m.type == DHCPDISCOVER && m.xid == 0x3903f326 &&
		   m.flags == DHCP_FLAG_BROADCAST && !memcmp(m.chaddr, mac1, 6),
	   "DISCOVER header fields");
	ok(m.max_size == 1500 && m.n_prl == sizeof(prl) && !memcmp(m.prl, prl, sizeof(prl)) &&
		   !strcmp(m.hostname, "guest") && netd_dhcp_has(&m, 61),
	   "DISCOVER options: max size, request list, hostname, client id");
}

static void test_offer(void)
{
	struct netd_lease l = lease1();
	struct netd_dhcp_msg m;
	struct netd_dhcp_ip ip;
	struct rb r;

	req_init(&r, DHCPDISCOVER, 42, DHCP_FLAG_BROADCAST, 0);
	req_end(&r);
	ok(answer(&r, &l, &m, &ip) == DHCPOFFER, "DISCOVER -> OFFER, parses back with checksums");
	ok(m.yiaddr == l.ip && m.ciaddr == 0 && ip.dst == 0xffffffff &&
		   (m.flags & DHCP_FLAG_BROADCAST),
	   "OFFER: yiaddr, broadcast as the client asked");
	ok(m.server_id == l.router && m.router == l.router && m.mask == IP(255, 255, 255, 0) &&
		   m.broadcast == IP(10, 9, 0, 255),
	   "OFFER: server id, router, mask, broadcast");
	ok(m.lease_secs == 3600 && m.t1 == 1800 && m.t2 == 3150, "OFFER: lease %u, T1 %u, T2 %u",
	   m.lease_secs, m.t1, m.t2);
	ok(m.n_dns == 2 && m.dns[0] == IP(192, 0, 2, 53) && m.dns[1] == IP(198, 51, 100, 53),
	   "OFFER: DNS without the loopback resolver");
	ok(!strcmp(m.domain, "vm.test") && m.mtu == 1400 && !strcmp(m.hostname, "guest1"),
	   "OFFER: domain, MTU 1400, hostname");

	req_init(&r, DHCPDISCOVER, 43, 0, 0);
	req_end(&r);
	ok(answer(&r, &l, &m, &ip) == DHCPOFFER && ip.dst == l.ip,
	   "OFFER without the broadcast flag goes to yiaddr");

	l.lease_secs = 0;
	l.hostname[0] = '\0';
	l.mtu = 0;
	l.domain[0] = '\0';
	ok(answer(&r, &l, &m, &ip) == DHCPOFFER && m.lease_secs == NETD_DHCP_DEFAULT_LEASE &&
		   !netd_dhcp_has(&m, 12) && !netd_dhcp_has(&m, 26) && !netd_dhcp_has(&m, 15),
	   "lease 0 means the default; empty hostname/domain and MTU 0 are left out");
}

static void test_request(void)
{
	struct netd_lease l = lease1();
	struct netd_dhcp_msg m;
	struct netd_dhcp_ip ip;
	struct rb r;

	/* SELECTING */
	req_init(&r, DHCPREQUEST, 7, 0, 0);
	req_ip(&r, 54, l.router);
	req_ip(&r, 50, l.ip);
	req_end(&r);
	ok(answer(&r, &l, &m, &ip) == DHCPACK && m.yiaddr == l.ip && m.lease_secs == 3600 &&
		   m.mtu == 1400 && ip.dst == l.ip,
	   "REQUEST (selecting) for the leased address -> ACK");

	req_init(&r, DHCPREQUEST, 8, 0, 0);
	req_ip(&r, 54, l.router);
	req_ip(&r, 50, IP(10, 9, 0, 99));
	req_end(&r);
	ok(answer(&r, &l, &m, &ip) == DHCPNAK, "REQUEST (selecting) for a wrong address -> NAK");
	ok(m.yiaddr == 0 && m.server_id == l.router && !netd_dhcp_has(&m, 51) &&
		   !netd_dhcp_has(&m, 1) && ip.dst == 0xffffffff,
	   "NAK: no address, no lease options, broadcast, server id set");

	req_init(&r, DHCPREQUEST, 9, 0, 0);
	req_ip(&r, 54, IP(10, 9, 0, 254));
	req_ip(&r, 50, IP(10, 9, 0, 99));
	req_end(&r);
	ok(answer(&r, &l, &m, &ip) == 0, "REQUEST naming another server is ignored, not NAKed");

	/* INIT-REBOOT */
	req_init(&r, DHCPREQUEST, 10, 0, 0);
	req_ip(&r, 50, IP(10, 9, 7, 10));
	req_end(&r);
	ok(answer(&r, &l, &m, &ip) == DHCPNAK, "INIT-REBOOT for a wrong address -> NAK");
	req_init(&r, DHCPREQUEST, 11, 0, 0);
	req_ip(&r, 50, l.ip);
	req_end(&r);
	ok(answer(&r, &l, &m, &ip) == DHCPACK && m.yiaddr == l.ip,
	   "INIT-REBOOT for the lease -> ACK");

	/* RENEWING / REBINDING */
	req_init(&r, DHCPREQUEST, 12, 0, l.ip);
	req_end(&r);
	ok(answer(&r, &l, &m, &ip) == DHCPACK && m.ciaddr == l.ip && m.yiaddr == l.ip &&
		   ip.dst == l.ip,
	   "RENEWING -> ACK unicast to ciaddr");
	req_init(&r, DHCPREQUEST, 13, 0, IP(10, 9, 0, 11));
	req_end(&r);
	ok(answer(&r, &l, &m, &ip) == DHCPNAK, "RENEWING another address -> NAK");
	req_init(&r, DHCPREQUEST, 14, 0, 0);
	req_end(&r);
	ok(answer(&r, &l, &m, &ip) == 0, "REQUEST naming no address gets no answer");
}

static void test_inform_release(void)
{
	struct netd_lease l = lease1();
	struct netd_dhcp_msg m;
	struct netd_dhcp_ip ip;
	struct rb r;

	req_init(&r, DHCPINFORM, 20, 0, l.ip);
	req_end(&r);
	ok(answer(&r, &l, &m, &ip) == DHCPACK && m.yiaddr == 0 && ip.dst == l.ip &&
		   !netd_dhcp_has(&m, 51) && !netd_dhcp_has(&m, 58) && !netd_dhcp_has(&m, 59) &&
		   m.n_dns == 2 && m.mtu == 1400,
	   "INFORM -> ACK without yiaddr or lease times, with the configuration");
	req_init(&r, DHCPRELEASE, 21, 0, l.ip);
	req_ip(&r, 54, l.router);
	req_end(&r);
	ok(answer(&r, &l, &m, &ip) == 0, "RELEASE is taken silently");
	req_init(&r, DHCPDECLINE, 22, 0, 0);
	req_ip(&r, 50, l.ip);
	req_end(&r);
	ok(answer(&r, &l, &m, &ip) == 0, "DECLINE is taken silently");
}

static void test_dns_and_limits(void)
{
	struct netd_lease l = lease1();
	struct netd_dhcp_msg req, m;
	struct netd_dhcp_ip ip;
	uint8_t out[NETD_DHCP_REPLY_MAX];
	struct rb r;
	int n;

	req_init(&r, DHCPDISCOVER, 30, 0, 0);
	req_end(&r);
	l.dns[0] = IP(127, 0, 0, 53);
	l.dns[1] = IP(127, 0, 0, 1);
	l.n_dns = 2;
	ok(answer(&r, &l, &m, &ip) == DHCPOFFER && !netd_dhcp_has(&m, 6),
	   "only loopback resolvers: no DNS option at all");

	/* The longest reply must fit what every client accepts: eight
	 * resolvers, the longest hostname and domain, and a search list that
	 * fills NETD_DHCP_NAMES_ROOM (one 26-byte label: 28 bytes encoded). */
	l = lease1();
	for (unsigned i = 0; i < NETD_DHCP_MAX_DNS; i++)
		l.dns[i] = IP(192, 0, 2, 50 + i);
	l.n_dns = NETD_DHCP_MAX_DNS;
	memset(l.domain, 'd', sizeof(l.domain) - 1);
	memset(l.hostname, 'h', sizeof(l.hostname) - 1);
	memset(l.search[0], 's', 26);
	l.n_search = 1;
	ok(netd_dhcp_names_size(l.domain, l.search, l.n_search) == NETD_DHCP_NAMES_ROOM,
	   "domain and search fill NETD_DHCP_NAMES_ROOM exactly");
	netd_dhcp_parse_request(r.b, r.n, &req);
	n = netd_dhcp_build_reply(&req, &l, DHCPOFFER, out, sizeof(out));
	ok(n == DHCP_MIN_MAX_SIZE, "largest reply is %d bytes (576)", n);
	ok(netd_dhcp_parse_ip(out, (size_t)n, &ip) == 0 &&
		   netd_dhcp_parse_msg(out + ip.off, ip.len, &m) == 0 && strlen(m.domain) == 127 &&
		   strlen(m.hostname) == 63 && m.n_dns == 8 && m.dns[7] == IP(192, 0, 2, 57) &&
		   m.n_search == 1 && !strcmp(m.search[0], l.search[0]),
	   "largest reply parses back whole");
	/* One byte more than the room no longer fits 576 bytes. */
	l.search[0][26] = 's';
	ok(netd_dhcp_names_size(l.domain, l.search, l.n_search) == NETD_DHCP_NAMES_ROOM + 1 &&
		   netd_dhcp_build_reply(&req, &l, DHCPOFFER, out, sizeof(out)) == -ENOBUFS,
	   "NETD_DHCP_NAMES_ROOM is the real limit");
	l.search[0][26] = '\0';
	ok(netd_dhcp_build_reply(&req, &l, DHCPOFFER, out, 100) == -ENOBUFS,
	   "a short buffer is -ENOBUFS");
	ok(netd_dhcp_build_reply(&req, &l, DHCPDISCOVER, out, sizeof(out)) == -EINVAL,
	   "a client message type is not a reply");
	l.router = 0;
	ok(netd_dhcp_build_reply(&req, &l, DHCPOFFER, out, sizeof(out)) == -EINVAL &&
		   !netd_dhcp_lease_valid(&l),
	   "a lease without router is refused");
	l = lease1();
	l.prefix_len = 33;
	ok(!netd_dhcp_lease_valid(&l), "prefix 33 is refused");
}

/* Option 119 of a reply we built, as bytes. */
static size_t reply_opt(const struct netd_lease *l, uint8_t code, uint8_t *val)
{
	struct netd_dhcp_msg req;
	struct netd_dhcp_ip ip;
	uint8_t out[NETD_DHCP_REPLY_MAX];
	struct rb r;
	int n;

	req_init(&r, DHCPDISCOVER, 40, 0, 0);
	req_end(&r);
	if (netd_dhcp_parse_request(r.b, r.n, &req) < 0 ||
	    (n = netd_dhcp_build_reply(&req, l, DHCPOFFER, out, sizeof(out))) < 0 ||
	    netd_dhcp_parse_ip(out, (size_t)n, &ip) < 0)
		return 0;
	for (size_t i = ip.off + 240; i + 1 < (size_t)n && out[i] != 255;) {
		if (out[i] == 0) {
			i++;
			continue;
		}
		if (out[i] == code) {
			memcpy(val, out + i + 2, out[i + 1]);
			return out[i + 1];
		}
		i += 2 + (size_t)out[i + 1];
	}
	return 0;
}

static void test_search(void)
{
	static const uint8_t want[] = "\7example\3com\0\2vm\4test\0";
	struct netd_lease l = lease1();
	struct netd_dhcp_msg m;
	struct netd_dhcp_ip ip;
	uint8_t b[300];
	struct rb r;

	ok(netd_dhcp_name_encode("example.com", b, sizeof(b)) == 13 &&
		   !memcmp(b, "\7example\3com\0", 13),
	   "name encoding: labels with their lengths, then the root");
	ok(netd_dhcp_name_encode("example.com.", b, sizeof(b)) == 13, "a final dot is the root");
	ok(netd_dhcp_name_encode("a_b-1.X", b, sizeof(b)) == 9, "letters, digits, '-', '_'");
	ok(netd_dhcp_name_encode("", b, sizeof(b)) == -EINVAL &&
		   netd_dhcp_name_encode(".", b, sizeof(b)) == -EINVAL &&
		   netd_dhcp_name_encode("a..b", b, sizeof(b)) == -EINVAL &&
		   netd_dhcp_name_encode(".a", b, sizeof(b)) == -EINVAL &&
		   netd_dhcp_name_encode("a b", b, sizeof(b)) == -EINVAL &&
		   netd_dhcp_name_encode("a\nnameserver", b, sizeof(b)) == -EINVAL,
	   "empty names and labels, spaces and newlines are refused");
	memset(b, 'x', 64);
	b[64] = '\0';
	ok(netd_dhcp_name_encode((char *)b, b + 100, 100) == -EINVAL, "a 64-byte label is refused");
	b[63] = '\0';
	ok(netd_dhcp_name_encode((char *)b, b + 100, 100) == 65, "a 63-byte label is fine");
	ok(netd_dhcp_name_encode("example.com", b, 12) == -ENOBUFS, "short buffer: -ENOBUFS");

	strcpy(l.search[0], "example.com");
	strcpy(l.search[1], "bad name");
	strcpy(l.search[2], "vm.test.");
	l.n_search = 3;
	ok(reply_opt(&l, 119, b) == sizeof(want) - 1 && !memcmp(b, want, sizeof(want) - 1),
	   "option 119: the valid names, in order, uncompressed");
	req_init(&r, DHCPDISCOVER, 41, 0, 0);
	req_end(&r);
	ok(answer(&r, &l, &m, &ip) == DHCPOFFER && m.n_search == 2 &&
		   !strcmp(m.search[0], "example.com") && !strcmp(m.search[1], "vm.test") &&
		   !strcmp(m.domain, "vm.test"),
	   "the reply parses back: search and domain");
	l.n_search = 0;
	ok(reply_opt(&l, 119, b) == 0, "no search list: no option 119");
}

/* Option 119 as a client might send it: split over two copies (RFC 3396),
 * with a compression pointer (RFC 3397). */
static void test_search_parse(void)
{
	static const uint8_t part1[] = "\7example\3c", part2[] = "om\0\3sub\300\0";
	static const uint8_t loop[] = "\3sub\300\0", fwd[] = "\300\2\0";
	static const uint8_t ext[] = "\1a\100abc\0", cut[] = "\7exa";
	struct netd_dhcp_msg m;
	struct rb r;

	req_init(&r, DHCPDISCOVER, 50, 0, 0);
	req_opt(&r, 119, part1, sizeof(part1) - 1);
	req_opt(&r, 119, part2, sizeof(part2) - 1);
	req_end(&r);
	ok(netd_dhcp_parse_request(r.b, r.n, &m) == 0 && m.n_search == 2 &&
		   !strcmp(m.search[0], "example.com") && !strcmp(m.search[1], "sub.example.com"),
	   "option 119 in two copies, with a pointer: %s, %s", m.search[0], m.search[1]);
	req_init(&r, DHCPDISCOVER, 51, 0, 0);
	req_opt(&r, 119, loop, sizeof(loop) - 1);
	req_end(&r);
	ok(netd_dhcp_parse_request(r.b, r.n, &m) == -EBADMSG, "a pointer to its own name is refused");
	req_init(&r, DHCPDISCOVER, 52, 0, 0);
	req_opt(&r, 119, fwd, sizeof(fwd) - 1);
	req_end(&r);
	ok(netd_dhcp_parse_request(r.b, r.n, &m) == -EBADMSG, "a forward pointer is refused");
	req_init(&r, DHCPDISCOVER, 53, 0, 0);
	req_opt(&r, 119, ext, sizeof(ext) - 1);
	req_end(&r);
	ok(netd_dhcp_parse_request(r.b, r.n, &m) == -EBADMSG, "extended label types are refused");
	req_init(&r, DHCPDISCOVER, 54, 0, 0);
	req_opt(&r, 119, cut, sizeof(cut) - 1);
	req_end(&r);
	ok(netd_dhcp_parse_request(r.b, r.n, &m) == -EBADMSG, "a label cut short is refused");
}

static void lease_rec(struct vmnet_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	strcpy(rec->cid, "0123456789abcdef");
	strcpy(rec->ifname, "eth0");
	rec->guest.addr = IP(10, 77, 0, 5);
	rec->guest.len = 24;
	rec->gateway = IP(10, 77, 0, 1);
	memcpy(rec->guest_mac, mac1, 6);
}

/* What netd tells a guest from its record, over DHCP and `netd lease`. */
static void test_lease(void)
{
	static const uint32_t host[] = {IP(192, 0, 2, 1)};
	struct vmnet_record rec;
	struct netd_lease l;
	struct netd_dhcp_msg m;
	struct netd_dhcp_ip ip;
	json_t *v;
	char *js;
	char karg[256];
	struct rb r;

	lease_rec(&rec);
	for (unsigned i = 0; i < ARRAY_SIZE(rec.nameservers); i++)
		sprintf(rec.nameservers[i], "203.0.113.%u", 50 + i);
	strcpy(rec.nameservers[2], "127.0.0.53");
	strcpy(rec.nameservers[5], "2001:db8::53");
	rec.n_nameservers = ARRAY_SIZE(rec.nameservers);
	strcpy(rec.domain, "corp.example");
	strcpy(rec.search[0], "a.example");
	strcpy(rec.search[1], "x\nnameserver 1.2.3.4");
	strcpy(rec.search[2], "b.example.");
	rec.n_search = 3;
	netd_lease_from_record(&rec, host, 1, &l);
	ok(l.n_dns == 6 && l.dns[0] == IP(203, 0, 113, 50) && l.dns[2] == IP(203, 0, 113, 53) &&
		   l.dns[5] == IP(203, 0, 113, 57),
	   "lease: all 8 record resolvers but the loopback and the IPv6 one, in order");
	ok(!strcmp(l.domain, "corp.example") && l.n_search == 2 && !strcmp(l.search[0], "a.example") &&
		   !strcmp(l.search[1], "b.example."),
	   "lease: domain, and the search names that are host names");
	req_init(&r, DHCPDISCOVER, 60, 0, 0);
	req_end(&r);
	ok(answer(&r, &l, &m, &ip) == DHCPOFFER && m.n_dns == 6 &&
		   !memcmp(m.dns, l.dns, 6 * sizeof(uint32_t)) && !strcmp(m.domain, "corp.example") &&
		   m.n_search == 2 && !strcmp(m.search[0], "a.example") &&
		   !strcmp(m.search[1], "b.example") && !strcmp(m.hostname, "0123456789ab"),
	   "DHCP carries exactly the lease's resolvers, domain and search");
	ok(netd_lease_kernel_arg(&l, karg, sizeof(karg)) == 0 &&
		   !strcmp(karg, "ip=10.77.0.5::10.77.0.1:255.255.255.0:0123456789ab:eth0:off:"
				 "203.0.113.50:203.0.113.51"),
	   "kernel arg: the first two resolvers: %s", karg);
	v = netd_lease_to_json(&l);
	js = v ? json_dumps(v, JSON_COMPACT) : NULL;
	ok(js && strstr(js, "\"search\":[\"a.example\",\"b.example.\"]") &&
		   strstr(js, "\"domain\":\"corp.example\"") &&
		   strstr(js, "\"dns\":[\"203.0.113.50\",\"203.0.113.51\",\"203.0.113.53\""),
	   "netd lease JSON: %s", js ? js : "(null)");
	free(js);
	json_decref(v);

	/* An IPv6-only guest: no IPv4 address to hand out or to show. */
	{
		struct vmnet_record r6 = rec;
		struct netd_lease l6;

		r6.guest.addr = 0;
		r6.guest.len = 0;
		r6.gateway = 0;
		netd_lease_from_record(&r6, host, 1, &l6);
		ok(netd_lease_kernel_arg(&l6, karg, sizeof(karg)) == -EADDRNOTAVAIL,
		   "kernel arg of an IPv6-only lease: -EADDRNOTAVAIL");
		v = netd_lease_to_json(&l6);
		js = v ? json_dumps(v, JSON_COMPACT) : NULL;
		ok(js && strstr(js, "\"ip\":\"\"") && strstr(js, "\"gateway\":\"\"") &&
			   strstr(js, "\"netmask\":\"\"") && strstr(js, "\"kernel_arg\":\"\""),
		   "netd lease JSON of an IPv6-only guest: no ip, gateway, netmask, kernel_arg: %s",
		   js ? js : "(null)");
		free(js);
		json_decref(v);
	}

	/* Bounds: a domain cut short would be another domain. */
	memset(rec.domain, 'd', 128);
	rec.domain[63] = rec.domain[126] = '.';
	rec.domain[128] = '\0';
	rec.n_nameservers = 0;
	netd_lease_from_record(&rec, host, 1, &l);
	ok(!l.domain[0] && l.n_dns == 1 && l.dns[0] == host[0],
	   "a 128-byte domain is left out; no record resolver: the host's");
	rec.domain[126] = 'd';
	rec.domain[127] = '\0';
	for (unsigned i = 0; i < ARRAY_SIZE(rec.search); i++)
		sprintf(rec.search[i], "s%u.example", i);
	rec.n_search = ARRAY_SIZE(rec.search);
	netd_lease_from_record(&rec, host, 1, &l);
	/* 129 bytes of domain leave 30: option header and two 12-byte names. */
	ok(strlen(l.domain) == 127 && l.n_search == 2 &&
		   netd_dhcp_names_size(l.domain, l.search, l.n_search) <= NETD_DHCP_NAMES_ROOM,
	   "search names that do not fit beside a 127-byte domain end the list (%u kept)",
	   l.n_search);
	strcpy(rec.domain, "x y");
	netd_lease_from_record(&rec, host, 1, &l);
	ok(!l.domain[0] && l.n_search == 8, "an invalid domain is left out; all 8 names fit");
}

static void test_malformed(void)
{
	struct netd_dhcp_msg m;
	struct rb r, t;
	uint8_t junk[600];
	unsigned bad = 0, seed = 1;
	size_t full;

	req_init(&r, DHCPREQUEST, 40, 0, 0);
	req_ip(&r, 50, IP(10, 9, 0, 10));
	req_ip(&r, 54, IP(10, 9, 0, 1));
	full = r.n;
	r.b[r.n++] = 255;
	/* Every cut inside the header or an option must fail (243 and 249
	 * end options 53 and 50: those cuts are whole messages). */
	for (size_t len = 0; len < full; len++)
		if (len != 243 && len != 249 && netd_dhcp_parse_request(r.b, len, &m) == 0)
			bad++;
	ok(bad == 0, "every truncation inside the header or an option is refused (%u accepted)",
	   bad);
	ok(netd_dhcp_parse_request(r.b, full, &m) == 0, "a missing END is tolerated");

	t = r;
	t.b[236] = 0x64;
	ok(netd_dhcp_parse_request(t.b, t.n, &m) == -EBADMSG, "wrong magic cookie");
	t = r;
	t.b[0] = 2;
	ok(netd_dhcp_parse_request(t.b, t.n, &m) == -EBADMSG &&
		   netd_dhcp_parse_msg(t.b, t.n, &m) == 0,
	   "a BOOTREPLY is no request");
	t = r;
	t.b[1] = 6;
	ok(netd_dhcp_parse_request(t.b, t.n, &m) == -EBADMSG, "htype other than Ethernet");
	t = r;
	t.b[2] = 16;
	ok(netd_dhcp_parse_request(t.b, t.n, &m) == -EBADMSG, "hlen other than 6");
	t = r;
	t.b[242] = DHCPOFFER;
	ok(netd_dhcp_parse_request(t.b, t.n, &m) == -EBADMSG, "a server message type");
	t = r;
	t.b[241] = 2;
	ok(netd_dhcp_parse_request(t.b, t.n, &m) == -EBADMSG, "option 53 of length 2");
	t = r;
	t.b[244] = 255; /* option 50's length runs past the end */
	ok(netd_dhcp_parse_request(t.b, t.n, &m) == -EBADMSG, "an option longer than the packet");
	t = r;
	t.n--;
	req_ip(&t, 50, IP(10, 9, 0, 11));
	ok(netd_dhcp_parse_request(t.b, t.n, &m) == -EBADMSG, "option 50 twice");
	req_init(&t, 0, 41, 0, 0);
	req_end(&t);
	ok(netd_dhcp_parse_request(t.b, t.n, &m) == -EBADMSG, "plain BOOTP (no type) is ignored");

	bad = 0;
	for (int i = 0; i < 20000; i++) {
		size_t len = 0;

		for (size_t j = 0; j < sizeof(junk); j++) {
			seed = seed * 1103515245 + 12345;
			junk[j] = (uint8_t)(seed >> 16);
		}
		len = (seed >> 8) % sizeof(junk);
		if (netd_dhcp_parse_request(junk, len, &m) == 0)
			bad++;
		/* With a valid header, random options must not crash either. */
		memcpy(junk, r.b, 240);
		netd_dhcp_parse_request(junk, len, &m);
		netd_dhcp_parse_ip(junk, len, &(struct netd_dhcp_ip){0});
	}
	ok(bad == 0, "random garbage is refused (%u accepted)", bad);
}

static void test_ip(void)
{
	uint8_t pkt[64] = {0x45, 0, 0,	 40,  0,   0,	0, 0,  64, 17, 0, 0,  0, 0,
			   0,	 0, 255, 255, 255, 255, 0, 68, 0,  67, 0, 20, 0, 0};
	struct netd_dhcp_ip ip;
	uint32_t s = (uint32_t)~sum16(pkt, 20, 0) & 0xffff;

	pkt[10] = s >> 8;
	pkt[11] = s & 0xff;
	ok(netd_dhcp_parse_ip(pkt, 40, &ip) == 0 && ip.off == 28 && ip.len == 12 &&
		   ip.sport == 68 && ip.dport == 67 && ip.dst == 0xffffffff,
	   "IPv4/UDP header parses");
	ok(netd_dhcp_parse_ip(pkt, 60, &ip) == 0 && ip.len == 12,
	   "link-layer padding after the total length is ignored");
	ok(netd_dhcp_parse_ip(pkt, 39, &ip) == -EBADMSG, "total length beyond the packet");
	pkt[11] ^= 1;
	ok(netd_dhcp_parse_ip(pkt, 40, &ip) == -EBADMSG, "bad header checksum");
	pkt[11] ^= 1;
	pkt[6] = 0x20; /* MF */
	pkt[10] -= 0x20;
	ok(netd_dhcp_parse_ip(pkt, 40, &ip) == -EBADMSG, "a fragment");
	pkt[6] = 0;
	pkt[10] += 0x20;
	pkt[25] = 30;
	ok(netd_dhcp_parse_ip(pkt, 40, &ip) == -EBADMSG, "UDP length beyond the IP packet");
	pkt[25] = 20;
	pkt[0] = 0x44;
	ok(netd_dhcp_parse_ip(pkt, 40, &ip) == -EBADMSG, "IHL below 5");
}

static int no_lease(void *ctx, const uint8_t mac[6], int ifindex, struct netd_lease *ret)
{
	return -ENOENT;
}

static void test_socket(void)
{
	struct netd_dhcp_stats s;
	struct netd_dhcp *d = NULL;
	struct vmnet_err err = {0};
	int r;

	ok(netd_dhcp_close(NULL) == NULL, "close(NULL) is a no-op");
	/* Only in a private netns: never listen on the machine's links. */
	if (unshare(CLONE_NEWNET) < 0) {
		printf("ok %d - packet socket # SKIP needs CAP_SYS_ADMIN/CAP_NET_RAW\n", ++tap_n);
		return;
	}
	r = netd_dhcp_open(no_lease, NULL, &d, &err);
	ok(r == 0 && netd_dhcp_fd(d) >= 0, "open in a private netns (%s)", r < 0 ? err.msg : "ok");
	if (r < 0)
		return;
	memset(&s, 0xff, sizeof(s));
	ok(netd_dhcp_handle(d) == 0, "nothing pending: nothing answered");
	netd_dhcp_stats(d, &s);
	ok(s.rx == 0 && s.offers == 0 && s.ignored_malformed == 0, "fresh counters are zero");
	ok(netd_dhcp_close(d) == NULL, "close");
}

int main(void)
{
	test_golden_discover();
	test_offer();
	test_request();
	test_inform_release();
	test_dns_and_limits();
	test_search();
	test_search_parse();
	test_lease();
	test_malformed();
	test_ip();
	test_socket();
	return done();
}
