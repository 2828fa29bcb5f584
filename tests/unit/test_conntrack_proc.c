/* SPDX-License-Identifier: MIT */
/*
 * The /proc/net/nf_conntrack parser (lib/conntrack_proc.c), no root: lines as
 * the kernel's ct_seq_show prints them for each protocol layout, lines it
 * must refuse (the caller then dumps instead), the file split over reads,
 * and the CTA_TUPLE_ORIG payload built from a line, parsed back with libmnl.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "tap.h"
#include "vmnet/conntrack_proc.h"

#define A6 "fd00:0000:0000:0000:0000:0000:0000:0001"
#define G6 "fd00:0000:0000:0000:0000:0000:0000:0005"
#define T6(l4o, l4r) "src=" A6 " dst=" G6 " " l4o " src=" G6 " dst=" A6 " " l4r

static int parse(const char *s, struct vmnet_ct_line *l)
{
	return vmnet_ctproc_parse_line(s, strlen(s), l);
}

static bool ip6_is(const uint8_t *a, const char *s)
{
	struct in6_addr x;

	return inet_pton(AF_INET6, s, &x) == 1 && !memcmp(a, &x, 16);
}

static void good(void)
{
	struct vmnet_ct_line l;
	int r;

	r = parse("ipv6     10 tcp      6 431999 ESTABLISHED " T6(
			  "sport=1000 dport=80",
			  "sport=80 dport=1000") " [ASSURED] mark=0 zone=3 use=2",
		  &l);
	ok(r == 0 && l.af == AF_INET6 && l.proto == IPPROTO_TCP && l.l4 == VMNET_CT_L4_PORTS &&
		   ip6_is(l.orig.src, "fd00::1") && ip6_is(l.orig.dst, "fd00::5") &&
		   ip6_is(l.reply.src, "fd00::5") && l.orig.sport == htons(1000) &&
		   l.orig.dport == htons(80) && l.reply.sport == htons(80) && l.has_zone &&
		   l.zone == 3,
	   "tcp: both tuples, ports in network order, zone 3");
	r = parse("ipv6     10 udp      17 29 " T6("sport=1 dport=53 [UNREPLIED]",
						   "sport=53 dport=1") " mark=0 use=2",
		  &l);
	ok(r == 0 && l.proto == IPPROTO_UDP && !l.has_zone, "udp [UNREPLIED], no zone");
	r = parse("ipv6     10 icmpv6   58 29 " T6("type=128 code=0 id=77",
						   "type=129 code=0 id=77") " mark=0 zone=0 use=2",
		  &l);
	ok(r == 0 && l.l4 == VMNET_CT_L4_ICMP && l.orig.icmp_type == 128 && l.orig.icmp_code == 0 &&
		   l.orig.icmp_id == htons(77) && l.reply.icmp_type == 129,
	   "icmpv6: type, code, id");
	r = parse("ipv6     10 gre      47 99 timeout=0, stream_timeout=0 " T6(
			  "srckey=0x5 dstkey=0xffff", "srckey=0xffff dstkey=0x5") " mark=0 use=2",
		  &l);
	ok(r == 0 && l.l4 == VMNET_CT_L4_PORTS && l.orig.sport == htons(5) &&
		   l.orig.dport == htons(0xffff),
	   "gre: hex keys in the port fields");
	r = parse("ipv6     10 unknown  41 599 " T6("", "") " mark=0 zone-orig=7 use=2", &l);
	ok(r == 0 && l.proto == 41 && l.l4 == VMNET_CT_L4_NONE && l.has_zone && l.zone == 7,
	   "unknown protocol 41: addresses only; zone-orig counts");
	r = parse("ipv6     10 udp      17 29 " T6("sport=1 dport=53",
						   "sport=53 dport=1 zone-reply=9") " mark=0 use=2",
		  &l);
	ok(r == 0 && !l.has_zone, "zone-reply= is not the original direction's zone");
	r = parse("ipv4     2 tcp      6 SYN_SENT src=10.0.1.2 dst=10.0.1.1 sport=40000 dport=5353 "
		  "packets=1 bytes=60 src=10.0.2.2 dst=10.0.1.2 sport=5353 dport=40000 packets=0 "
		  "bytes=0 [OFFLOAD] mark=0 secctx=system_u:object_r:unlabeled_t:s0 "
		  "delta-time=4 labels=0x01 use=2",
		  &l);
	ok(r == 0 && l.af == AF_INET && !memcmp(l.orig.src, "\x0a\x00\x01\x02", 4) &&
		   l.reply.dport == htons(40000),
	   "ipv4 offloaded (no timeout) with counters, secctx, labels");
	r = parse("ipv4     2 icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=3 "
		  "src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=3 mark=0 use=2",
		  &l);
	ok(r == 0 && l.l4 == VMNET_CT_L4_ICMP && l.orig.icmp_type == 8, "ipv4 icmp");
}

static void bad(void)
{
	static const char *const lines[] = {
		"",
		"ipv6 10 tcp 6",
		"ipv6 10 tcp 6 1 src=" A6 " dst=" G6 " sport=1 dport=2",
		"ipv6 10 tcp 6 1 " T6("sport=1", "sport=2 dport=1"),
		"ipv6 10 tcp 6 1 " T6("sport=1 dport=65536", "sport=2 dport=1"),
		"ipv6 10 tcp 6 1 " T6("sport=1 dport=-2", "sport=2 dport=1"),
		"ipv6 10 tcp 6 1 " T6("sport=1 dport=+2", "sport=2 dport=1"),
		"ipv6 10 tcp 6 1 " T6("sport=1 dport=0x2", "sport=2 dport=1"),
		"ipv6 10 tcp 6 1 " T6("sport=1 dport=", "sport=2 dport=1"),
		"ipv6 10 tcp 6 1 " T6("sport=1 dport=2 sport=3", "sport=2 dport=1"),
		"ipv6 10 tcp 6 1 " T6("sport=1 dport=2 type=3", "sport=2 dport=1"),
		"ipv6 10 tcp 6 1 " T6("sport=1 dport=2", "sport=2 dport=1") " src=" A6,
		"ipv6 10 tcp 6 1 sport=1 " T6("dport=2", "sport=2 dport=1"),
		"ipv6 10 tcp 17 1 " T6("sport=1 dport=2", "sport=2 dport=1"),
		"ipv6 2 tcp 6 1 " T6("sport=1 dport=2", "sport=2 dport=1"),
		"ipv4 2 tcp 6 1 " T6("sport=1 dport=2", "sport=2 dport=1"),
		"ipv6 10 icmp 1 1 " T6("type=8 code=0 id=1", "type=0 code=0 id=1"),
		"ipv6 10 icmpv6 58 1 " T6("type=256 code=0 id=1", "type=0 code=0 id=1"),
		"ipv6 10 icmpv6 58 1 " T6("type=128 code=0", "type=129 code=0 id=1"),
		"ipv6 10 gre 47 1 " T6("srckey=5 dstkey=0x6", "srckey=0x6 dstkey=0x5"),
		"ipv6 10 gre 47 1 " T6("srckey=0x10000 dstkey=0x6", "srckey=0x6 dstkey=0x5"),
		"ipv6 10 gre 47 1 " T6("sport=5 dport=6", "sport=6 dport=5"),
		"ipv6 10 sctp 132 1 " T6("", ""),
		"ipv6 10 tcpx 6 1 " T6("sport=1 dport=2", "sport=2 dport=1"),
		"ipv6 10 tcp 6 1 src=fd00::1:: dst=" G6
		" sport=1 dport=2 " T6("", "sport=1 dport=2"),
		"ipv6 10 tcp 6 1 " T6("sport=1 dport=2", "sport=2 dport=1") " zone=1 zone=2",
		"ipv6 10 tcp 6 1 " T6("sport=1 dport=2", "sport=2 dport=1") " zone=65536",
	};
	struct vmnet_ct_line l;
	char big[VMNET_CT_LINE_MAX * 2];
	static const char nul[] = "ipv6 10 unknown 41 1 src=::1 dst=::2 src=::2\0 dst=::1";

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		ok(parse(lines[i], &l) == -EINVAL, "refused: '%s'", lines[i]);
	snprintf(big, sizeof(big), "ipv6 10 unknown 41 1 %s mark=0 %*s", T6("", ""),
		 VMNET_CT_LINE_MAX, "x");
	ok(parse(big, &l) == -EINVAL, "refused: a line longer than VMNET_CT_LINE_MAX");
	ok(vmnet_ctproc_parse_line(nul, sizeof(nul) - 1, &l) == -EINVAL, "refused: a NUL inside");
}

static int count_cb(const struct vmnet_ct_line *l, void *data)
{
	(void)l;
	return ++*(int *)data > 2 ? -E2BIG : 0;
}

#define L1 "ipv6 10 udp 17 1 " T6("sport=1 dport=2", "sport=2 dport=1") " use=2\n"

static void buffers(void)
{
	char buf[4096];
	size_t used = 99;
	int n = 0, r, p[2];

	snprintf(buf, sizeof(buf), "%s%s%s", L1, L1, "ipv6 10 udp");
	r = vmnet_ctproc_parse(buf, strlen(buf), &used, count_cb, &n);
	ok(r == 0 && n == 2 && used == 2 * strlen(L1), "two lines taken, the tail left");
	n = 0;
	snprintf(buf, sizeof(buf), "%s%s%s", L1, L1, L1);
	ok(vmnet_ctproc_parse(buf, strlen(buf), &used, count_cb, &n) == -E2BIG,
	   "the callback's error stops the walk");
	memset(buf, 'x', sizeof(buf));
	ok(vmnet_ctproc_parse(buf, sizeof(buf), &used, count_cb, &n) == -EINVAL,
	   "a tail longer than a line can be: refused");
	snprintf(buf, sizeof(buf), "%sipv6 10 udp 17\n", L1);
	n = 0;
	ok(vmnet_ctproc_parse(buf, strlen(buf), &used, count_cb, &n) == -EINVAL && n == 1,
	   "a bad line after a good one: refused");

	/* The file through a pipe: lines split over writes, then the end. */
	if (pipe(p) < 0)
		return (void)ok(0, "pipe: %m");
	snprintf(buf, sizeof(buf), "%s%s", L1, L1);
	r = (int)write(p[1], buf, strlen(buf));
	close(p[1]);
	n = 0;
	ok(r > 0 && vmnet_ctproc_read(p[0], count_cb, &n) == 0 && n == 2, "read: 2 entries");
	close(p[0]);
	if (pipe(p) < 0)
		return (void)ok(0, "pipe: %m");
	r = (int)write(p[1], L1, strlen(L1) - 1);
	close(p[1]);
	n = 0;
	ok(r > 0 && vmnet_ctproc_read(p[0], count_cb, &n) == -EINVAL,
	   "read: a last line without its newline is refused");
	close(p[0]);
	if (pipe(p) < 0)
		return (void)ok(0, "pipe: %m");
	close(p[1]);
	ok(vmnet_ctproc_read(p[0], count_cb, &n) == 0, "read: an empty table");
	close(p[0]);
}

static int nest_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t t = mnl_attr_get_type(a);

	if (t < 16)
		tb[t] = a;
	return MNL_CB_OK;
}

/* The payload parsed back as the kernel's ctnetlink_parse_tuple would. */
static bool orig_round_trip(const struct vmnet_ct_line *l, const struct nlattr *ptb[16])
{
	static char msg[MNL_NLMSG_HDRLEN + 256]; /* @ptb points into it */
	struct nlmsghdr *nh = mnl_nlmsg_put_header(msg);
	const struct nlattr *tb[16] = {0}, *ip[16] = {0}, *nest;
	size_t len = vmnet_ctproc_orig(
		l, mnl_attr_get_payload((struct nlattr *)mnl_nlmsg_get_payload(nh)), 200);

	if (!len)
		return false;
	nest = mnl_nlmsg_get_payload(nh);
	((struct nlattr *)nest)->nla_type = CTA_TUPLE_ORIG | NLA_F_NESTED;
	((struct nlattr *)nest)->nla_len = (uint16_t)(MNL_ATTR_HDRLEN + len);
	if (mnl_attr_parse_nested(nest, nest_cb, tb) < 0 || !tb[CTA_TUPLE_IP] ||
	    !tb[CTA_TUPLE_PROTO] || mnl_attr_parse_nested(tb[CTA_TUPLE_IP], nest_cb, ip) < 0 ||
	    mnl_attr_parse_nested(tb[CTA_TUPLE_PROTO], nest_cb, ptb) < 0)
		return false;
	return ip[CTA_IP_V6_SRC] && mnl_attr_get_payload_len(ip[CTA_IP_V6_SRC]) == 16 &&
	       !memcmp(mnl_attr_get_payload(ip[CTA_IP_V6_SRC]), l->orig.src, 16) &&
	       ip[CTA_IP_V6_DST] &&
	       !memcmp(mnl_attr_get_payload(ip[CTA_IP_V6_DST]), l->orig.dst, 16) &&
	       ptb[CTA_PROTO_NUM] && mnl_attr_get_u8(ptb[CTA_PROTO_NUM]) == l->proto;
}

static void orig(void)
{
	const struct nlattr *p[16] = {0};
	struct vmnet_ct_line l;
	unsigned char small[16];

	ok(parse("ipv6 10 tcp 6 1 " T6("sport=1000 dport=80", "sport=80 dport=1000") " use=1",
		 &l) == 0,
	   "tcp parsed");
	ok(orig_round_trip(&l, p) && p[CTA_PROTO_SRC_PORT] &&
		   mnl_attr_get_u16(p[CTA_PROTO_SRC_PORT]) == htons(1000) &&
		   p[CTA_PROTO_DST_PORT] && mnl_attr_get_u16(p[CTA_PROTO_DST_PORT]) == htons(80) &&
		   !p[CTA_PROTO_ICMPV6_ID],
	   "tcp: addresses, protocol 6, both ports (network order)");
	memset(p, 0, sizeof(p));
	parse("ipv6 10 icmpv6 58 1 " T6("type=128 code=0 id=77", "type=129 code=0 id=77"), &l);
	ok(orig_round_trip(&l, p) && p[CTA_PROTO_ICMPV6_ID] &&
		   mnl_attr_get_u16(p[CTA_PROTO_ICMPV6_ID]) == htons(77) &&
		   p[CTA_PROTO_ICMPV6_TYPE] && mnl_attr_get_u8(p[CTA_PROTO_ICMPV6_TYPE]) == 128 &&
		   p[CTA_PROTO_ICMPV6_CODE] && !p[CTA_PROTO_SRC_PORT],
	   "icmpv6: id, type and code, no ports");
	memset(p, 0, sizeof(p));
	parse("ipv6 10 unknown 41 1 " T6("", ""), &l);
	ok(orig_round_trip(&l, p) && !p[CTA_PROTO_SRC_PORT] && !p[CTA_PROTO_ICMPV6_ID],
	   "unknown: the protocol number only");
	ok(vmnet_ctproc_orig(&l, small, sizeof(small)) == 0, "too small a buffer: 0");
}

int main(void)
{
	good();
	bad();
	buffers();
	orig();
	return done();
}
