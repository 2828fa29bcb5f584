/* SPDX-License-Identifier: MIT */
/*
 * Messages, batches and attributes (this file) and the callback loop and
 * socket (mnl_sock.c): vmnet's own implementation of the libmnl API (<libmnl/libmnl.h>, as
 * libmnl-dev installs it), for the fully static plugins (the Makefile's
 * STATIC=full, the default). Debian ships libmnl only as a shared library,
 * and libnftnl.a and lib/ call it; this file gives them the same functions
 * with the same documented behaviour, written here from the header and the
 * netlink wire format (RFC 3549, <linux/netlink.h>): the message and
 * attribute walkers, the builders, the batch buffer, the socket wrapper and
 * the callback loop. Nothing of libmnl's own source is in this tree.
 *
 * What callers rely on, and tests/unit/test_mnl.c checks:
 *  - messages and attributes are aligned to 4 bytes (MNL_ALIGN); builders
 *    zero the padding they add; nothing checks room unless the *_check
 *    variant is used;
 *  - walkers stop at the first entry whose length is short or runs past
 *    the buffer, never reading beyond it;
 *  - mnl_cb_run() checks each message's port ID and sequence number (0 on
 *    either side matches anything: ESRCH, EPROTO), fails an interrupted
 *    dump (EINTR), hands data messages to the callback, and stops at
 *    NLMSG_DONE (0) or at NLMSG_ERROR: an ack (error 0) returns 0, an error
 *    returns -1 with errno set to it.
 * The plugins built with STATIC=0 or STATIC=1 link Debian's libmnl instead.
 * make check's integration tests run the default plugins, so through this
 * file; netd, the tools and the unit tests link Debian's, but for test_mnl,
 * whose checks also run against Debian's as test_mnl_ref.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

/* ---- messages ---- */

size_t mnl_nlmsg_size(size_t len)
{
	return MNL_NLMSG_HDRLEN + len;
}

size_t mnl_nlmsg_get_payload_len(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
}

struct nlmsghdr *mnl_nlmsg_put_header(void *buf)
{
	struct nlmsghdr *nlh = buf;

	memset(buf, 0, MNL_NLMSG_HDRLEN);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN;
	return nlh;
}

void *mnl_nlmsg_put_extra_header(struct nlmsghdr *nlh, size_t size)
{
	char *at = (char *)nlh + nlh->nlmsg_len;

	memset(at, 0, MNL_ALIGN(size));
	nlh->nlmsg_len += MNL_ALIGN(size);
	return at;
}

void *mnl_nlmsg_get_payload(const struct nlmsghdr *nlh)
{
	return (char *)nlh + MNL_NLMSG_HDRLEN;
}

void *mnl_nlmsg_get_payload_offset(const struct nlmsghdr *nlh, size_t offset)
{
	return (char *)nlh + MNL_NLMSG_HDRLEN + MNL_ALIGN(offset);
}

void *mnl_nlmsg_get_payload_tail(const struct nlmsghdr *nlh)
{
	return (char *)nlh + MNL_ALIGN(nlh->nlmsg_len);
}

bool mnl_nlmsg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned)len;
}

struct nlmsghdr *mnl_nlmsg_next(const struct nlmsghdr *nlh, int *len)
{
	*len -= (int)MNL_ALIGN(nlh->nlmsg_len);
	return (struct nlmsghdr *)((char *)nlh + MNL_ALIGN(nlh->nlmsg_len));
}

bool mnl_nlmsg_seq_ok(const struct nlmsghdr *nlh, unsigned int seq)
{
	return !nlh->nlmsg_seq || !seq || nlh->nlmsg_seq == seq;
}

bool mnl_nlmsg_portid_ok(const struct nlmsghdr *nlh, unsigned int portid)
{
	return !nlh->nlmsg_pid || !portid || nlh->nlmsg_pid == portid;
}

/* ---- batches: messages laid one after another in the caller's buffer ---- */

struct mnl_nlmsg_batch {
	char *buf;
	size_t limit;	/* bytes the batch may hold */
	size_t len;	/* bytes of the messages taken so far */
	bool overflow;	/* the current message did not fit */
};

struct mnl_nlmsg_batch *mnl_nlmsg_batch_start(void *buf, size_t limit)
{
	struct mnl_nlmsg_batch *b = calloc(1, sizeof(*b));

	if (b) {
		b->buf = buf;
		b->limit = limit;
	}
	return b;
}

void mnl_nlmsg_batch_stop(struct mnl_nlmsg_batch *b)
{
	free(b);
}

/* Take the message built at the current position; false if it would pass
 * the limit (it stays where it is, for mnl_nlmsg_batch_reset). */
bool mnl_nlmsg_batch_next(struct mnl_nlmsg_batch *b)
{
	const struct nlmsghdr *cur = (const struct nlmsghdr *)(b->buf + b->len);

	if (b->len + cur->nlmsg_len > b->limit) {
		b->overflow = true;
		return false;
	}
	b->len += cur->nlmsg_len;
	return true;
}

/* Empty the batch; a message that did not fit becomes its first. */
void mnl_nlmsg_batch_reset(struct mnl_nlmsg_batch *b)
{
	size_t keep = 0;

	if (b->overflow) {
		keep = ((const struct nlmsghdr *)(b->buf + b->len))->nlmsg_len;
		memmove(b->buf, b->buf + b->len, keep);
		b->overflow = false;
	}
	b->len = keep;
}

size_t mnl_nlmsg_batch_size(struct mnl_nlmsg_batch *b)
{
	return b->len;
}

void *mnl_nlmsg_batch_head(struct mnl_nlmsg_batch *b)
{
	return b->buf;
}

void *mnl_nlmsg_batch_current(struct mnl_nlmsg_batch *b)
{
	return b->buf + b->len;
}

bool mnl_nlmsg_batch_is_empty(struct mnl_nlmsg_batch *b)
{
	return b->len == 0;
}

/* ---- attributes: reading ---- */

uint16_t mnl_attr_get_type(const struct nlattr *attr)
{
	return attr->nla_type & NLA_TYPE_MASK;
}

uint16_t mnl_attr_get_len(const struct nlattr *attr)
{
	return attr->nla_len;
}

uint16_t mnl_attr_get_payload_len(const struct nlattr *attr)
{
	return (uint16_t)(attr->nla_len - MNL_ATTR_HDRLEN);
}

void *mnl_attr_get_payload(const struct nlattr *attr)
{
	return (char *)attr + MNL_ATTR_HDRLEN;
}

bool mnl_attr_ok(const struct nlattr *attr, int len)
{
	return len >= (int)sizeof(*attr) && attr->nla_len >= sizeof(*attr) &&
	       attr->nla_len <= (unsigned)len;
}

struct nlattr *mnl_attr_next(const struct nlattr *attr)
{
	return (struct nlattr *)((char *)attr + MNL_ALIGN(attr->nla_len));
}

int mnl_attr_type_valid(const struct nlattr *attr, uint16_t maxtype)
{
	if (mnl_attr_get_type(attr) > maxtype) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return 1;
}

/* The payload a type must have: its exact size for the fixed-size types
 * (0: any size), then what a string, flag or nest needs. */
static int payload_fits(const struct nlattr *attr, enum mnl_attr_data_type type, size_t want)
{
	size_t len = mnl_attr_get_payload_len(attr);
	const char *p = mnl_attr_get_payload(attr);

	if (len < want)
		return ERANGE;
	switch (type) {
	case MNL_TYPE_FLAG:
		if (len)
			return ERANGE;
		break;
	case MNL_TYPE_STRING:
		if (!len)
			return ERANGE;
		break;
	case MNL_TYPE_NUL_STRING:
		if (!len)
			return ERANGE;
		if (p[len - 1])
			return EINVAL;
		break;
	case MNL_TYPE_NESTED:
		/* Empty, or room for at least one attribute's header. */
		if (len && len < MNL_ATTR_HDRLEN)
			return ERANGE;
		break;
	default:
		break;
	}
	if (want && len > want)
		return ERANGE;
	return 0;
}

int mnl_attr_validate2(const struct nlattr *attr, enum mnl_attr_data_type type, size_t len)
{
	int e = (unsigned)type < MNL_TYPE_MAX ? payload_fits(attr, type, len) : EINVAL;

	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

int mnl_attr_validate(const struct nlattr *attr, enum mnl_attr_data_type type)
{
	size_t want = 0;

	switch (type) {
	case MNL_TYPE_U8:
		want = sizeof(uint8_t);
		break;
	case MNL_TYPE_U16:
		want = sizeof(uint16_t);
		break;
	case MNL_TYPE_U32:
		want = sizeof(uint32_t);
		break;
	case MNL_TYPE_U64:
	case MNL_TYPE_MSECS:
		want = sizeof(uint64_t);
		break;
	default:
		break;
	}
	return mnl_attr_validate2(attr, type, want);
}

int mnl_attr_parse_payload(const void *payload, size_t payload_len, mnl_attr_cb_t cb, void *data)
{
	const struct nlattr *a = payload;
	int left = (int)payload_len, r = MNL_CB_OK;

	while (mnl_attr_ok(a, left)) {
		r = cb(a, data);
		if (r <= MNL_CB_STOP)
			return r;
		left -= (int)MNL_ALIGN(a->nla_len);
		a = mnl_attr_next(a);
	}
	return r;
}

/* Bounded by the message's length as it says, not rounded up to 4: the
 * last message of a buffer may end there (fuzz_mnl found the 3 bytes). */
int mnl_attr_parse(const struct nlmsghdr *nlh, unsigned int offset, mnl_attr_cb_t cb, void *data)
{
	const char *first = mnl_nlmsg_get_payload_offset(nlh, offset);
	const char *tail = (const char *)nlh + nlh->nlmsg_len;

	if (first > tail)
		return MNL_CB_OK;
	return mnl_attr_parse_payload(first, (size_t)(tail - first), cb, data);
}

int mnl_attr_parse_nested(const struct nlattr *nested, mnl_attr_cb_t cb, void *data)
{
	return mnl_attr_parse_payload(mnl_attr_get_payload(nested),
				      mnl_attr_get_payload_len(nested), cb, data);
}

uint8_t mnl_attr_get_u8(const struct nlattr *attr)
{
	return *(const uint8_t *)mnl_attr_get_payload(attr);
}

uint16_t mnl_attr_get_u16(const struct nlattr *attr)
{
	return *(const uint16_t *)mnl_attr_get_payload(attr);
}

uint32_t mnl_attr_get_u32(const struct nlattr *attr)
{
	return *(const uint32_t *)mnl_attr_get_payload(attr);
}

/* A payload is aligned to 4 bytes only: copied, not loaded. */
uint64_t mnl_attr_get_u64(const struct nlattr *attr)
{
	uint64_t v;

	memcpy(&v, mnl_attr_get_payload(attr), sizeof(v));
	return v;
}

const char *mnl_attr_get_str(const struct nlattr *attr)
{
	return mnl_attr_get_payload(attr);
}

/* ---- attributes: building, at the message's tail ---- */

void mnl_attr_put(struct nlmsghdr *nlh, uint16_t type, size_t len, const void *data)
{
	struct nlattr *a = mnl_nlmsg_get_payload_tail(nlh);
	char *p = (char *)a + MNL_ATTR_HDRLEN;

	a->nla_type = type;
	a->nla_len = (uint16_t)(MNL_ATTR_HDRLEN + len);
	if (len)
		memcpy(p, data, len);
	memset(p + len, 0, MNL_ALIGN(len) - len);
	nlh->nlmsg_len += MNL_ALIGN(a->nla_len);
}

void mnl_attr_put_u8(struct nlmsghdr *nlh, uint16_t type, uint8_t data)
{
	mnl_attr_put(nlh, type, sizeof(data), &data);
}

void mnl_attr_put_u16(struct nlmsghdr *nlh, uint16_t type, uint16_t data)
{
	mnl_attr_put(nlh, type, sizeof(data), &data);
}

void mnl_attr_put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t data)
{
	mnl_attr_put(nlh, type, sizeof(data), &data);
}

void mnl_attr_put_u64(struct nlmsghdr *nlh, uint16_t type, uint64_t data)
{
	mnl_attr_put(nlh, type, sizeof(data), &data);
}

void mnl_attr_put_str(struct nlmsghdr *nlh, uint16_t type, const char *data)
{
	mnl_attr_put(nlh, type, strlen(data), data);
}

void mnl_attr_put_strz(struct nlmsghdr *nlh, uint16_t type, const char *data)
{
	mnl_attr_put(nlh, type, strlen(data) + 1, data);
}

/* Room for an attribute of @len payload bytes within @buflen. */
static bool room(const struct nlmsghdr *nlh, size_t buflen, size_t len)
{
	return nlh->nlmsg_len + MNL_ATTR_HDRLEN + MNL_ALIGN(len) <= buflen;
}

bool mnl_attr_put_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, size_t len,
			const void *data)
{
	if (!room(nlh, buflen, len))
		return false;
	mnl_attr_put(nlh, type, len, data);
	return true;
}

bool mnl_attr_put_u8_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint8_t data)
{
	return mnl_attr_put_check(nlh, buflen, type, sizeof(data), &data);
}

bool mnl_attr_put_u16_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint16_t data)
{
	return mnl_attr_put_check(nlh, buflen, type, sizeof(data), &data);
}

bool mnl_attr_put_u32_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint32_t data)
{
	return mnl_attr_put_check(nlh, buflen, type, sizeof(data), &data);
}

bool mnl_attr_put_u64_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint64_t data)
{
	return mnl_attr_put_check(nlh, buflen, type, sizeof(data), &data);
}

bool mnl_attr_put_str_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, const char *data)
{
	return mnl_attr_put_check(nlh, buflen, type, strlen(data), data);
}

bool mnl_attr_put_strz_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, const char *data)
{
	return mnl_attr_put_check(nlh, buflen, type, strlen(data) + 1, data);
}

/* A nest's header now, its length at mnl_attr_nest_end(). */
struct nlattr *mnl_attr_nest_start(struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *a = mnl_nlmsg_get_payload_tail(nlh);

	a->nla_type = NLA_F_NESTED | type;
	a->nla_len = 0;
	nlh->nlmsg_len += MNL_ATTR_HDRLEN;
	return a;
}

struct nlattr *mnl_attr_nest_start_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type)
{
	return room(nlh, buflen, 0) ? mnl_attr_nest_start(nlh, type) : NULL;
}

void mnl_attr_nest_end(struct nlmsghdr *nlh, struct nlattr *start)
{
	start->nla_len = (uint16_t)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)start);
}

void mnl_attr_nest_cancel(struct nlmsghdr *nlh, struct nlattr *start)
{
	nlh->nlmsg_len -= (uint32_t)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)start);
}
