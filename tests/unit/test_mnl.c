/* SPDX-License-Identifier: MIT */
/*
 * The libmnl API as the plugins use it. Built twice from this file (the
 * Makefile): test_mnl links mnl/, vmnet's own implementation that the
 * static plugins carry; test_mnl_ref (MNL_REF) links Debian's libmnl. Every
 * check holds for both but one, where mnl/ is stricter (it zeroes an
 * attribute's padding), so mnl/ behaves as the library libnftnl was built for:
 * the bytes a builder writes, where a walker stops, what validation and
 * the callback loop return and set errno to, the batch buffer, and a
 * socket's round trip with the kernel (a read-only request).
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "tap.h"

static _Alignas(struct nlmsghdr) char buf[4096];

static int count_cb(const struct nlattr *a, void *data)
{
	unsigned *types = data;

	types[0]++;
	if (types[0] < 16)
		types[types[0]] = mnl_attr_get_type(a);
	return MNL_CB_OK;
}

static void test_build(void)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg *g;
	struct nlattr *nest;
	const unsigned char *p = (const unsigned char *)buf;
	unsigned types[16] = { 0 };

	memset(buf + 16, 0xAA, 256);
	nlh = mnl_nlmsg_put_header(buf);
	ok(nlh->nlmsg_len == 16 && nlh->nlmsg_type == 0 && nlh->nlmsg_seq == 0, "put_header: 16 bytes, zeroed");
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	ok((char *)g == buf + 16 && nlh->nlmsg_len == 20 && p[16] == 0 && p[19] == 0,
	   "extra header of 1 byte: aligned to 4, zeroed");
	mnl_attr_put_u8(nlh, 1, 0x11);
	ok(nlh->nlmsg_len == 28 && p[20] == 5 && p[21] == 0 && p[22] == 1 && p[24] == 0x11,
	   "put_u8: nla_len 5, type 1");
#ifdef MNL_REF
	/* Debian's libmnl 1.0.4 leaves an attribute's padding as the buffer
	 * had it; mnl/ zeroes it, so no stale bytes reach the kernel. */
	ok(p[25] == 0xAA, "put_u8: the padding left as it was (libmnl 1.0.4)");
#else
	ok(p[25] == 0 && p[26] == 0 && p[27] == 0, "put_u8: the padding zeroed");
#endif
	mnl_attr_put_u16(nlh, 2, 0x2222);
	mnl_attr_put_u32(nlh, 3, 0x33333333);
	mnl_attr_put_u64(nlh, 4, 0x4444444444444444ull);
	ok(nlh->nlmsg_len == 28 + 8 + 8 + 12, "u16, u32, u64: 8, 8, 12 bytes");
	mnl_attr_put_str(nlh, 5, "abc");
	mnl_attr_put_strz(nlh, 6, "abc");
	ok(nlh->nlmsg_len == 56 + 8 + 8 && p[56] == 7 && p[64] == 8 && p[71] == 0,
	   "put_str: 3 bytes, put_strz: 4 with the NUL");
	nest = mnl_attr_nest_start(nlh, 7);
	mnl_attr_put_u32(nlh, 8, 8);
	mnl_attr_put(nlh, 9, 0, NULL);
	mnl_attr_nest_end(nlh, nest);
	ok(nest->nla_len == 4 + 8 + 4 && (nest->nla_type & NLA_F_NESTED) &&
		   mnl_attr_get_type(nest) == 7 && nlh->nlmsg_len == 72 + 16,
	   "nest: NLA_F_NESTED set, length covers its attributes, get_type masks the flag");
	ok(mnl_attr_parse(nlh, sizeof(*g), count_cb, types) == MNL_CB_OK && types[0] == 7 &&
		   types[1] == 1 && types[7] == 7,
	   "parse after the extra header: 7 attributes in order (%u)", types[0]);
	memset(types, 0, sizeof(types));
	ok(mnl_attr_parse_nested(nest, count_cb, types) == MNL_CB_OK && types[0] == 2 &&
		   types[1] == 8 && types[2] == 9,
	   "parse_nested: its 2 attributes");
	ok(mnl_attr_get_u64(mnl_attr_next(mnl_attr_next(mnl_attr_next(
		   mnl_nlmsg_get_payload_offset(nlh, sizeof(*g)))))) == 0x4444444444444444ull,
	   "get_u64 of a 4-aligned payload");
	ok(mnl_nlmsg_get_payload_tail(nlh) == buf + 88 &&
		   mnl_nlmsg_get_payload_len(nlh) == 72 && mnl_nlmsg_size(4) == 20,
	   "payload tail, payload length, message size");
	mnl_attr_nest_cancel(nlh, nest);
	ok(nlh->nlmsg_len == 72, "nest_cancel: back to before the nest");
	ok(!mnl_attr_put_u32_check(nlh, 79, 1, 1) && nlh->nlmsg_len == 72 &&
		   mnl_attr_put_u32_check(nlh, 80, 1, 1) && nlh->nlmsg_len == 80,
	   "put_u32_check: refused without 8 bytes of room, taken with them");
	ok(!mnl_attr_nest_start_check(nlh, 83, 1) && mnl_attr_nest_start_check(nlh, 84, 1),
	   "nest_start_check: 4 bytes of room");
	nlh = mnl_nlmsg_put_header(buf);
	ok(!mnl_attr_put_strz_check(nlh, 23, 1, "abcd") && nlh->nlmsg_len == 16 &&
		   mnl_attr_put_strz_check(nlh, 28, 1, "abcd") && nlh->nlmsg_len == 28 &&
		   mnl_attr_get_len(mnl_nlmsg_get_payload(nlh)) == 9,
	   "put_strz_check: 12 bytes for 5 of payload; nla_len 9");
}

static struct nlattr *attr(uint16_t type, const void *data, uint16_t len)
{
	static _Alignas(struct nlattr) char a[64];
	struct nlattr *n = (struct nlattr *)a;

	n->nla_type = type;
	n->nla_len = (uint16_t)(MNL_ATTR_HDRLEN + len);
	memcpy(a + MNL_ATTR_HDRLEN, data, len);
	return n;
}

/* -1 with @e in errno, or 0 */
static bool vfail(const struct nlattr *a, enum mnl_attr_data_type t, int e)
{
	errno = 0;
	return mnl_attr_validate(a, t) == -1 && errno == e;
}

static void test_validate(void)
{
	const char z[8] = "ab\0\0\0\0\0";

	ok(mnl_attr_validate(attr(1, z, 4), MNL_TYPE_U32) == 0 && vfail(attr(1, z, 2), MNL_TYPE_U32, ERANGE) &&
		   vfail(attr(1, z, 8), MNL_TYPE_U32, ERANGE),
	   "U32: exactly 4 bytes, else ERANGE");
	ok(mnl_attr_validate(attr(1, z, 8), MNL_TYPE_U64) == 0 && mnl_attr_validate(attr(1, z, 8), MNL_TYPE_MSECS) == 0 &&
		   vfail(attr(1, z, 4), MNL_TYPE_MSECS, ERANGE),
	   "U64 and MSECS: 8 bytes");
	ok(mnl_attr_validate(attr(1, z, 1), MNL_TYPE_U8) == 0 && mnl_attr_validate(attr(1, z, 2), MNL_TYPE_U16) == 0 &&
		   vfail(attr(1, z, 1), MNL_TYPE_U16, ERANGE),
	   "U8 and U16");
	ok(mnl_attr_validate(attr(1, z, 0), MNL_TYPE_FLAG) == 0 && vfail(attr(1, z, 1), MNL_TYPE_FLAG, ERANGE),
	   "FLAG: empty only");
	ok(mnl_attr_validate(attr(1, z, 2), MNL_TYPE_STRING) == 0 && vfail(attr(1, z, 0), MNL_TYPE_STRING, ERANGE),
	   "STRING: not empty");
	ok(mnl_attr_validate(attr(1, z, 3), MNL_TYPE_NUL_STRING) == 0 &&
		   vfail(attr(1, z, 2), MNL_TYPE_NUL_STRING, EINVAL) && vfail(attr(1, z, 0), MNL_TYPE_NUL_STRING, ERANGE),
	   "NUL_STRING: ends in NUL (EINVAL), not empty (ERANGE)");
	ok(mnl_attr_validate(attr(1, z, 0), MNL_TYPE_NESTED) == 0 && mnl_attr_validate(attr(1, z, 4), MNL_TYPE_NESTED) == 0 &&
		   vfail(attr(1, z, 2), MNL_TYPE_NESTED, ERANGE),
	   "NESTED: empty, or room for a header");
	ok(mnl_attr_validate(attr(1, z, 5), MNL_TYPE_BINARY) == 0 && vfail(attr(1, z, 5), MNL_TYPE_MAX, EINVAL),
	   "BINARY: any length; an unknown type: EINVAL");
	errno = 0;
	ok(mnl_attr_validate2(attr(1, z, 6), MNL_TYPE_BINARY, 6) == 0 &&
		   mnl_attr_validate2(attr(1, z, 7), MNL_TYPE_BINARY, 6) == -1 && errno == ERANGE,
	   "validate2: the length given");
	errno = 0;
	ok(mnl_attr_type_valid(attr(5, z, 0), 5) == 1 && mnl_attr_type_valid(attr(6, z, 0), 5) == -1 &&
		   errno == EOPNOTSUPP,
	   "type_valid: above the maximum is EOPNOTSUPP");
}

static void test_walk_bounds(void)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	unsigned types[16] = { 0 };
	struct nlattr *a;

	mnl_attr_put_u32(nlh, 1, 1);
	mnl_attr_put_u32(nlh, 2, 2);
	a = (struct nlattr *)(buf + 24);
	a->nla_len = 200; /* runs past the message */
	ok(mnl_attr_parse(nlh, 0, count_cb, types) == MNL_CB_OK && types[0] == 1,
	   "an attribute longer than what is left ends the walk");
	a->nla_len = 2; /* shorter than its header */
	memset(types, 0, sizeof(types));
	ok(mnl_attr_parse(nlh, 0, count_cb, types) == MNL_CB_OK && types[0] == 1,
	   "an attribute shorter than its header ends the walk");
	memset(types, 0, sizeof(types));
	ok(mnl_attr_parse(nlh, 64, count_cb, types) == MNL_CB_OK && types[0] == 0,
	   "an offset past the message: nothing to walk");
	ok(!mnl_nlmsg_ok(nlh, 15) && mnl_nlmsg_ok(nlh, 32) && !mnl_nlmsg_ok(nlh, 31),
	   "nlmsg_ok: a header's worth, and the message's whole length");
}

#define NMSG 8
static int msgs_seen;

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)data;
	msgs_seen++;
	return nlh->nlmsg_type == 99 ? MNL_CB_STOP : MNL_CB_OK;
}

/* A stream of messages: @types (0 ends), each with @seq and @pid; an
 * NLMSG_ERROR carries @error. Returns its length. */
static int stream(const uint16_t *types, uint32_t seq, uint32_t pid, int error, uint16_t flags)
{
	char *at = buf;

	memset(buf, 0, sizeof(buf));
	for (; *types; types++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);

		nlh->nlmsg_type = *types;
		nlh->nlmsg_seq = seq;
		nlh->nlmsg_pid = pid;
		nlh->nlmsg_flags = flags;
		if (*types == NLMSG_ERROR) {
			struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

			e->error = error;
		} else if (*types >= NLMSG_MIN_TYPE) {
			mnl_attr_put_u32(nlh, 1, 1);
		}
		at += nlh->nlmsg_len;
	}
	return (int)(at - buf);
}

static int done_seen;

static int ctl_done(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	done_seen++;
	return MNL_CB_OK;
}

static bool run_is(int len, uint32_t seq, uint32_t pid, int want, int want_errno, int want_seen)
{
	int r;

	msgs_seen = 0;
	errno = 0;
	r = mnl_cb_run(buf, (size_t)len, seq, pid, data_cb, NULL);
	return r == want && (want >= 0 || errno == want_errno) && msgs_seen == want_seen;
}

static void test_cb_run(void)
{
	const uint16_t dump[] = { 20, 20, 20, NLMSG_DONE, 20, 0 };
	const uint16_t ack[] = { 20, NLMSG_ERROR, 20, 0 };
	const uint16_t stop[] = { 20, 99, 20, 0 };
	const uint16_t noop[] = { NLMSG_NOOP, 20, 0 };
	int len;

	len = stream(dump, 7, 42, 0, NLM_F_MULTI);
	ok(run_is(len, 7, 42, MNL_CB_STOP, 0, 3), "a dump: 3 messages, then NLMSG_DONE stops (0)");
	ok(run_is(len, 0, 0, MNL_CB_STOP, 0, 3), "seq and port ID 0: anything matches");
	ok(run_is(len, 8, 42, MNL_CB_ERROR, EPROTO, 0), "another sequence number: EPROTO");
	ok(run_is(len, 7, 43, MNL_CB_ERROR, ESRCH, 0), "another port ID: ESRCH");
	len = stream(dump, 7, 42, 0, NLM_F_MULTI | NLM_F_DUMP_INTR);
	ok(run_is(len, 7, 42, MNL_CB_ERROR, EINTR, 0), "an interrupted dump: EINTR");
	len = stream(ack, 7, 42, 0, 0);
	ok(run_is(len, 7, 42, MNL_CB_STOP, 0, 1), "an ack (error 0) stops (0)");
	len = stream(ack, 7, 42, -ENOENT, 0);
	ok(run_is(len, 7, 42, MNL_CB_ERROR, ENOENT, 1), "an error: -1, errno ENOENT");
	len = stream(ack, 7, 42, EEXIST, 0);
	ok(run_is(len, 7, 42, MNL_CB_ERROR, EEXIST, 1), "a positive error too");
	len = stream(ack, 7, 42, 0, 0);
	((struct nlmsghdr *)(buf + 24))->nlmsg_len = 18;
	ok(run_is(len, 7, 42, MNL_CB_ERROR, EBADMSG, 1), "an error message too short: EBADMSG");
#ifndef MNL_REF
	/* No errno is INT_MIN, and negating it is undefined (libmnl 1.0.4
	 * does; fuzz_mnl found it in mnl/). */
	len = stream(ack, 7, 42, -2147483647 - 1, 0);
	ok(run_is(len, 7, 42, MNL_CB_ERROR, EPROTO, 1), "an error of INT_MIN: EPROTO");
#endif
	len = stream(stop, 7, 42, 0, 0);
	ok(run_is(len, 7, 42, MNL_CB_STOP, 0, 2), "the callback's STOP stops");
	len = stream(dump, 7, 42, 0, NLM_F_MULTI);
	{
		mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_DONE] = ctl_done };

		msgs_seen = done_seen = 0;
		ok(mnl_cb_run2(buf, (size_t)len, 7, 42, data_cb, NULL, ctl, NLMSG_MIN_TYPE) == MNL_CB_OK &&
			   msgs_seen == 4 && done_seen == 1,
		   "cb_run2: the caller's NLMSG_DONE callback decides (OK: the walk goes on)");
		msgs_seen = done_seen = 0;
		ok(mnl_cb_run2(buf, (size_t)len, 7, 42, data_cb, NULL, ctl, NLMSG_DONE) == MNL_CB_STOP &&
			   msgs_seen == 3 && done_seen == 0,
		   "cb_run2: a type past the array's length: the default (DONE stops)");
	}
	len = stream(noop, 7, 42, 0, 0);
	ok(run_is(len, 7, 42, MNL_CB_OK, 0, 1), "NLMSG_NOOP goes on; the end of the buffer returns OK (1)");
	ok(run_is(len - 1, 7, 42, MNL_CB_OK, 0, 0), "a message cut short is not read");
}

static void test_batch(void)
{
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, 40);
	struct nlmsghdr *nlh;

	ok(b && mnl_nlmsg_batch_is_empty(b) && mnl_nlmsg_batch_head(b) == buf &&
		   mnl_nlmsg_batch_current(b) == buf,
	   "batch_start: empty, current at the head");
	if (!b)
		return;
	nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
	mnl_attr_put_u32(nlh, 1, 1);
	ok(mnl_nlmsg_batch_next(b) && mnl_nlmsg_batch_size(b) == 24 &&
		   mnl_nlmsg_batch_current(b) == buf + 24,
	   "batch_next: the 24-byte message taken");
	nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
	mnl_attr_put_u32(nlh, 2, 2);
	ok(!mnl_nlmsg_batch_next(b) && mnl_nlmsg_batch_size(b) == 24,
	   "a second would pass the limit: refused");
	mnl_nlmsg_batch_reset(b);
	ok(mnl_nlmsg_batch_size(b) == 24 && ((struct nlmsghdr *)buf)->nlmsg_len == 24 &&
		   mnl_attr_get_type(mnl_nlmsg_get_payload((struct nlmsghdr *)buf)) == 2 &&
		   mnl_nlmsg_batch_current(b) == buf + 24,
	   "batch_reset: the message that did not fit is the first");
	mnl_nlmsg_batch_reset(b);
	ok(mnl_nlmsg_batch_is_empty(b) && mnl_nlmsg_batch_current(b) == buf, "reset again: empty");
	mnl_nlmsg_batch_stop(b);
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	*(int *)data = nlh->nlmsg_type == RTM_NEWLINK;
	return MNL_CB_OK;
}

/* The kernel's side: ask for link 1 (lo), read-only. */
static void test_socket(void)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	char small[16];
	int got = 0, one = 1;
	ssize_t n;

	ok(nl && mnl_socket_get_fd(nl) >= 0, "socket_open2");
	if (!nl)
		return;
	ok(mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0 && mnl_socket_get_portid(nl) != 0,
	   "bind: the kernel gives a port ID");
	ok(mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one)) == 0, "setsockopt at SOL_NETLINK");
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 1234;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 1;
	ok(mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == (ssize_t)nlh->nlmsg_len, "sendto the kernel");
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	ok(n > 0 && mnl_cb_run(buf, (size_t)n, 1234, mnl_socket_get_portid(nl), link_cb, &got) >= 0 && got,
	   "recvfrom and cb_run: RTM_NEWLINK for lo");
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 1;
	mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
	errno = 0;
	n = mnl_socket_recvfrom(nl, small, sizeof(small));
	ok(n == -1 && errno == ENOSPC, "a reply bigger than the buffer: ENOSPC, not cut short");
	{
		int fd = dup(mnl_socket_get_fd(nl));
		struct mnl_socket *again = fd >= 0 ? mnl_socket_fdopen(fd) : NULL;

		ok(again && mnl_socket_get_portid(again) == mnl_socket_get_portid(nl),
		   "socket_fdopen: the bound socket's port ID");
		if (again)
			mnl_socket_close(again);
	}
	ok(mnl_socket_close(nl) == 0, "socket_close");
}

int main(void)
{
	test_build();
	test_validate();
	test_walk_bounds();
	test_cb_run();
	test_batch();
	test_socket();
	return done();
}
