/* SPDX-License-Identifier: MIT */
/*
 * The parser of /proc/net/nf_conntrack (include/vmnet/conntrack_proc.h).
 * Tokens are separated by runs of spaces (the kernel pads the names with
 * %-8s). The first four are the family's name and number and the protocol's
 * name and number; of the rest, "src=" opens a tuple (the original, then the
 * reply) and the tuple's keys fill it; "zone=" and "zone-orig=" give the zone
 * a delete by original tuple needs ("zone-reply=" does not apply to it); every
 * other token is skipped. vmnet_ctproc_orig turns a line back into the
 * tuple ctnetlink finds the entry by.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmnet/common.h"
#include "vmnet/conntrack_proc.h"
#include "vmnet/netns.h"

/* Longest token value we copy: an IPv6 address, or a number. */
#define VAL_MAX 48
/* One read of the file: the kernel fills it in one go (RCU walk). */
#define READ_BUF (1u << 20)

struct l4_name {
	const char *name;
	uint8_t num; /* 0: any (unknown) */
	enum vmnet_ct_l4 l4;
	bool hex_keys; /* gre: srckey=0x…/dstkey=0x… in the port fields */
	uint8_t af;    /* 0: either family */
};

static const struct l4_name l4_names[] = {
	{"tcp", IPPROTO_TCP, VMNET_CT_L4_PORTS, false, 0},
	{"udp", IPPROTO_UDP, VMNET_CT_L4_PORTS, false, 0},
	{"udplite", IPPROTO_UDPLITE, VMNET_CT_L4_PORTS, false, 0},
	{"sctp", IPPROTO_SCTP, VMNET_CT_L4_PORTS, false, 0},
	{"dccp", IPPROTO_DCCP, VMNET_CT_L4_PORTS, false, 0},
	{"gre", IPPROTO_GRE, VMNET_CT_L4_PORTS, true, 0},
	{"icmp", IPPROTO_ICMP, VMNET_CT_L4_ICMP, false, AF_INET},
	{"icmpv6", IPPROTO_ICMPV6, VMNET_CT_L4_ICMP, false, AF_INET6},
	{"unknown", 0, VMNET_CT_L4_NONE, false, 0},
};

/* Bits of the keys a tuple got. */
enum { K_SRC = 1, K_DST = 2, K_SPORT = 4, K_DPORT = 8, K_TYPE = 16, K_CODE = 32, K_ID = 64 };

struct tok {
	const char *p;
	size_t n;
};

struct state {
	struct vmnet_ct_line *l;
	const struct l4_name *proto;
	int t;		 /* tuple being filled: -1 none yet, 0 orig, 1 reply */
	unsigned got[2]; /* K_* per tuple */
};

static bool tok_is(struct tok t, const char *s)
{
	return t.n == strlen(s) && !memcmp(t.p, s, t.n);
}

/* Decimal (or, @hex, 0x-prefixed hexadecimal) number <= @max, nothing else. */
static int num(struct tok v, bool hex, unsigned long max, unsigned long *ret)
{
	char buf[VAL_MAX];
	char *end;
	unsigned long x;

	if (hex) {
		if (v.n < 3 || v.p[0] != '0' || v.p[1] != 'x')
			return -EINVAL;
		v.p += 2;
		v.n -= 2;
	}
	if (!v.n || v.n >= sizeof(buf) ||
	    !(hex ? isxdigit((unsigned char)v.p[0]) : isdigit((unsigned char)v.p[0])))
		return -EINVAL;
	memcpy(buf, v.p, v.n);
	buf[v.n] = '\0';
	errno = 0;
	x = strtoul(buf, &end, hex ? 16 : 10);
	if (errno || *end || x > max)
		return -EINVAL;
	*ret = x;
	return 0;
}

static int addr(struct tok v, uint8_t af, uint8_t *ret)
{
	char buf[VAL_MAX];

	if (!v.n || v.n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, v.p, v.n);
	buf[v.n] = '\0';
	return inet_pton(af, buf, ret) == 1 ? 0 : -EINVAL;
}

/* The bit of a tuple key this protocol has, or 0 for a key of no tuple. */
static unsigned tuple_key(const struct state *s, struct tok k, bool *ret_known)
{
	static const struct {
		const char *k;
		unsigned bit;
		enum vmnet_ct_l4 l4;
		int hex; /* -1: either */
	} keys[] = {
		{"src", K_SRC, VMNET_CT_L4_NONE, -1},
		{"dst", K_DST, VMNET_CT_L4_NONE, -1},
		{"sport", K_SPORT, VMNET_CT_L4_PORTS, 0},
		{"dport", K_DPORT, VMNET_CT_L4_PORTS, 0},
		{"srckey", K_SPORT, VMNET_CT_L4_PORTS, 1},
		{"dstkey", K_DPORT, VMNET_CT_L4_PORTS, 1},
		{"type", K_TYPE, VMNET_CT_L4_ICMP, -1},
		{"code", K_CODE, VMNET_CT_L4_ICMP, -1},
		{"id", K_ID, VMNET_CT_L4_ICMP, -1},
	};

	*ret_known = false;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!tok_is(k, keys[i].k))
			continue;
		*ret_known = true;
		if (keys[i].l4 != VMNET_CT_L4_NONE &&
		    (keys[i].l4 != s->proto->l4 ||
		     (keys[i].hex >= 0 && keys[i].hex != s->proto->hex_keys)))
			return 0; /* a key of another protocol's tuple */
		return keys[i].bit;
	}
	return 0;
}

static int tuple_set(struct state *s, unsigned bit, struct tok v)
{
	struct vmnet_ct_tuple *t = s->t ? &s->l->reply : &s->l->orig;
	unsigned long x;
	int r;

	if (s->got[s->t] & bit)
		return -EINVAL;
	s->got[s->t] |= bit;
	if (bit == K_SRC || bit == K_DST)
		return addr(v, s->l->af, bit == K_SRC ? t->src : t->dst);
	r = num(v, s->proto->hex_keys, bit == K_TYPE || bit == K_CODE ? 255 : 65535, &x);
	if (r < 0)
		return r;
	if (bit == K_SPORT)
		t->sport = htons((uint16_t)x);
	else if (bit == K_DPORT)
		t->dport = htons((uint16_t)x);
	else if (bit == K_ID)
		t->icmp_id = htons((uint16_t)x);
	else if (bit == K_TYPE)
		t->icmp_type = (uint8_t)x;
	else
		t->icmp_code = (uint8_t)x;
	return 0;
}

static int key_value(struct state *s, struct tok k, struct tok v)
{
	unsigned long x;
	unsigned bit;
	bool known;
	int r;

	if (tok_is(k, "zone") || tok_is(k, "zone-orig")) {
		if (s->l->has_zone)
			return -EINVAL;
		r = num(v, false, 65535, &x);
		s->l->has_zone = true;
		s->l->zone = (uint16_t)x;
		return r;
	}
	bit = tuple_key(s, k, &known);
	if (!known)
		return 0; /* mark=, use=, packets=, secctx=, labels=, … */
	if (!bit)
		return -EINVAL;
	if (bit == K_SRC && ++s->t > 1)
		return -EINVAL;
	if (s->t < 0)
		return -EINVAL;
	return tuple_set(s, bit, v);
}

/* The four leading tokens: family name and number, protocol name and number. */
static int head(struct state *s, const struct tok *t)
{
	unsigned long fam, pnum;

	if (num(t[1], false, 255, &fam) < 0 || num(t[3], false, 255, &pnum) < 0)
		return -EINVAL;
	if (tok_is(t[0], "ipv4") && fam == AF_INET)
		s->l->af = AF_INET;
	else if (tok_is(t[0], "ipv6") && fam == AF_INET6)
		s->l->af = AF_INET6;
	else
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(l4_names); i++) {
		const struct l4_name *p = &l4_names[i];

		if (!tok_is(t[2], p->name))
			continue;
		if ((p->num && p->num != pnum) || (p->af && p->af != s->l->af))
			return -EINVAL;
		s->proto = p;
		s->l->proto = (uint8_t)pnum;
		s->l->l4 = p->l4;
		return 0;
	}
	return -EINVAL;
}

static unsigned wants(enum vmnet_ct_l4 l4)
{
	if (l4 == VMNET_CT_L4_PORTS)
		return K_SRC | K_DST | K_SPORT | K_DPORT;
	if (l4 == VMNET_CT_L4_ICMP)
		return K_SRC | K_DST | K_TYPE | K_CODE | K_ID;
	return K_SRC | K_DST;
}

int vmnet_ctproc_parse_line(const char *line, size_t len, struct vmnet_ct_line *ret)
{
	struct vmnet_ct_line l;
	struct state s = {.l = &l, .t = -1};
	struct tok t[4];
	size_t i = 0, n = 0;
	int r;

	if (len > VMNET_CT_LINE_MAX || memchr(line, '\0', len))
		return -EINVAL;
	memset(&l, 0, sizeof(l));
	while (i < len) {
		struct tok k = {line + i, 0}, v;
		const char *eq;

		while (i < len && line[i] != ' ')
			i++;
		k.n = (size_t)(line + i - k.p);
		while (i < len && line[i] == ' ')
			i++;
		if (!k.n)
			continue;
		if (n < 4) {
			t[n++] = k;
			if (n == 4 && head(&s, t) < 0)
				return -EINVAL;
			continue;
		}
		eq = memchr(k.p, '=', k.n);
		if (!eq)
			continue; /* timeout, state, [UNREPLIED], [ASSURED], … */
		v.p = eq + 1;
		v.n = k.n - (size_t)(v.p - k.p);
		k.n = (size_t)(eq - k.p);
		r = key_value(&s, k, v);
		if (r < 0)
			return r;
	}
	if (n < 4 || s.t != 1 || s.got[0] != wants(l.l4) || s.got[1] != wants(l.l4))
		return -EINVAL;
	*ret = l;
	return 0;
}

int vmnet_ctproc_parse(const char *buf, size_t len, size_t *ret_used, vmnet_ctproc_cb cb,
		       void *data)
{
	size_t used = 0;

	for (;;) {
		const char *nl = memchr(buf + used, '\n', len - used);
		struct vmnet_ct_line l;
		int r;

		if (!nl)
			break;
		r = vmnet_ctproc_parse_line(buf + used, (size_t)(nl - (buf + used)), &l);
		if (r == 0)
			r = cb(&l, data);
		if (r < 0)
			return r;
		used = (size_t)(nl - buf) + 1;
	}
	if (len - used > VMNET_CT_LINE_MAX)
		return -EINVAL;
	*ret_used = used;
	return 0;
}

int vmnet_ctproc_read(int fd, vmnet_ctproc_cb cb, void *data)
{
	_cleanup_free_ char *buf = malloc(READ_BUF);
	size_t have = 0, used;
	ssize_t n;
	int r;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		n = read(fd, buf + have, READ_BUF - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return have ? -EINVAL : 0;
		have += (size_t)n;
		r = vmnet_ctproc_parse(buf, have, &used, cb, data);
		if (r < 0)
			return r;
		memmove(buf, buf + used, have - used);
		have -= used;
	}
}

size_t vmnet_ctproc_orig(const struct vmnet_ct_line *l, void *buf, size_t size)
{
	char msg[MNL_NLMSG_HDRLEN + VMNET_CT_ORIG_MAX];
	struct nlmsghdr *nh = mnl_nlmsg_put_header(msg);
	const struct vmnet_ct_tuple *o = &l->orig;
	bool v6 = l->af == AF_INET6;
	size_t alen = v6 ? 16 : 4, len;
	struct nlattr *n;

	n = mnl_attr_nest_start(nh, CTA_TUPLE_IP);
	mnl_attr_put(nh, v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC, alen, o->src);
	mnl_attr_put(nh, v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST, alen, o->dst);
	mnl_attr_nest_end(nh, n);
	n = mnl_attr_nest_start(nh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nh, CTA_PROTO_NUM, l->proto);
	if (l->l4 == VMNET_CT_L4_PORTS) {
		mnl_attr_put_u16(nh, CTA_PROTO_SRC_PORT, o->sport);
		mnl_attr_put_u16(nh, CTA_PROTO_DST_PORT, o->dport);
	} else if (l->l4 == VMNET_CT_L4_ICMP) {
		mnl_attr_put_u16(nh, v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, o->icmp_id);
		mnl_attr_put_u8(nh, v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE, o->icmp_type);
		mnl_attr_put_u8(nh, v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, o->icmp_code);
	}
	mnl_attr_nest_end(nh, n);
	len = nh->nlmsg_len - MNL_NLMSG_HDRLEN;
	if (len > size)
		return 0;
	memcpy(buf, mnl_nlmsg_get_payload(nh), len);
	return len;
}

int vmnet_ctproc_open(int nsfd)
{
	int fd, origin = -1, r;

	r = nsfd >= 0 ? vmnet_netns_enter(nsfd, &origin, NULL) : 0;
	if (r < 0)
		return r;
	/* thread-self: the thread's netns, the one it may have just entered;
	 * the open file stays with that netns. */
	fd = open("/proc/thread-self/net/nf_conntrack", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	vmnet_netns_leave(origin);
	return fd;
}
