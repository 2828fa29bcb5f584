/* SPDX-License-Identifier: MIT */
/*
 * The rtnetlink socket. libnl builds and parses the messages; the socket
 * and the request/reply loop are ours, so that the kernel's errno and
 * extended ACK text reach the caller unchanged (libnl folds errnos into
 * -NLE_* codes, losing e.g. ENOTEMPTY, and stops reading after a get
 * reply, leaving the ACK queued behind it). A plain socket: libnl's own
 * would cost five more system calls to open (it binds, asks for its port
 * and cuts both buffers to 32 KiB); the kernel binds ours at its first
 * send, and its receive buffer stays the system's default.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "vmnet/netns.h"
#include "vmnet/nl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

#define RXBUF_MIN (32 * 1024)

struct vmnet_nl {
	int fd;
	int nsfd; /* owned dup, or -1 */
	bool own_ns; /* opened in the thread's own namespace */
	uint32_t seq;
	uint8_t *rx;
	size_t rxsize;
	char extack[256];
};

/* As for netfilter sockets (lib/nfnl.c): while a plugin call shares, a
 * closed socket of the thread's own namespace is kept for its next open.
 * Replies a last user left unread are told apart by their sequence
 * numbers (talk), so it needs no draining. */
static struct {
	bool on;
	struct vmnet_nl *kept;
} share;

static struct vmnet_nl *drop(struct vmnet_nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	if (nl->nsfd >= 0)
		close(nl->nsfd);
	free(nl->rx);
	free(nl);
	return NULL;
}

void vmnet_nl_share(bool on)
{
	share.on = on;
	if (!on && share.kept)
		share.kept = drop(share.kept);
}

int vmnet_nl_open(int nsfd, struct vmnet_nl **ret, struct vmnet_err *err)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *nl = NULL;
	int origin = -1, r, one = 1;

	if (share.kept && nsfd < 0 && !vmnet_netns_entered()) {
		*ret = share.kept;
		share.kept = NULL;
		return 0;
	}
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "opening netlink socket");
	nl->fd = -1;
	nl->nsfd = -1;
	nl->rxsize = RXBUF_MIN;
	nl->rx = malloc(nl->rxsize);
	if (!nl->rx)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "opening netlink socket");
	if (nsfd >= 0) {
		nl->nsfd = fcntl(nsfd, F_DUPFD_CLOEXEC, 3);
		if (nl->nsfd < 0)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "duplicating netns fd");
		r = vmnet_netns_enter(nsfd, &origin, err);
		if (r < 0)
			return vmnet_err_wrap(err, "opening netlink socket");
	}
	/* The socket stays bound to the netns it was created in. */
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	r = nl->fd < 0 ? -errno : 0;
	vmnet_netns_leave(origin);
	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "opening netlink socket");
	/* Best effort: older kernels lack some; we cope without them. */
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	nl->seq = (uint32_t)time(NULL);
	nl->own_ns = nsfd < 0 && !vmnet_netns_entered();
	*ret = steal_ptr(nl);
	return 0;
}

struct vmnet_nl *vmnet_nl_close(struct vmnet_nl *nl)
{
	if (!nl)
		return NULL;
	if (share.on && nl->own_ns && !share.kept) {
		share.kept = nl;
		return NULL;
	}
	return drop(nl);
}

int vmnet_nl_nsfd(const struct vmnet_nl *nl)
{
	return nl ? nl->nsfd : -1;
}

/* Keep the kernel's NLMSGERR_ATTR_MSG, if the error carries one. */
static void save_extack(struct vmnet_nl *nl, const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	const uint8_t *end = (const uint8_t *)h + h->nlmsg_len;
	const uint8_t *p;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	p = (const uint8_t *)e + sizeof(*e);
	/* Without NETLINK_CAP_ACK the whole request is echoed before the TLVs. */
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		p += NLMSG_ALIGN(e->msg.nlmsg_len - sizeof(struct nlmsghdr));
	while (p + sizeof(struct nlattr) <= end) {
		const struct nlattr *a = (const struct nlattr *)p;
		size_t len = a->nla_len;

		if (len < sizeof(*a) || p + len > end)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && len > sizeof(*a)) {
			snprintf(nl->extack, sizeof(nl->extack), "%.*s", (int)(len - sizeof(*a)),
				 (const char *)(a + 1));
			return;
		}
		p += NLA_ALIGN(len);
	}
}

/* Make room for the next datagram: peek its size first (dumps of many
 * filters or routes can exceed the default buffer). */
static int rx_fit(struct vmnet_nl *nl)
{
	ssize_t n;

	for (;;) {
		n = recv(nl->fd, nl->rx, nl->rxsize, MSG_PEEK | MSG_TRUNC);
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (n < 0)
		return -errno;
	if ((size_t)n > nl->rxsize) {
		uint8_t *p = realloc(nl->rx, (size_t)n);

		if (!p)
			return -ENOMEM;
		nl->rx = p;
		nl->rxsize = (size_t)n;
	}
	return 0;
}

/* The next datagram into nl->rx, its length. A dump's may be larger than
 * the buffer: its size is peeked first. A reply to requests that are not
 * dumps (acks, one object of ours) fits the buffer and is read at once,
 * one system call instead of two; were one ever larger, it would be lost,
 * and that is an error (-EMSGSIZE), never a silent cut. */
static ssize_t rx_next(struct vmnet_nl *nl, bool dump)
{
	ssize_t got;
	int r;

	if (dump && (r = rx_fit(nl)) < 0)
		return r;
	do
		got = recv(nl->fd, nl->rx, nl->rxsize, dump ? 0 : MSG_TRUNC);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	return (size_t)got > nl->rxsize ? -EMSGSIZE : got;
}

/* NLMSG_OK/NLMSG_NEXT, without their signed/unsigned comparisons. */
static struct nlmsghdr *msg_ok(void *p, size_t left)
{
	struct nlmsghdr *h = p;

	if (left < sizeof(*h) || h->nlmsg_len < sizeof(*h) || h->nlmsg_len > left)
		return NULL;
	return h;
}

static struct nlmsghdr *msg_next(struct nlmsghdr *h, size_t *left)
{
	size_t step = NLMSG_ALIGN(h->nlmsg_len);

	if (step >= *left)
		return NULL;
	*left -= step;
	return msg_ok((uint8_t *)h + step, *left);
}

/* Send @n requests in one sendmsg: the kernel runs them in order, each
 * under RTNL of its own. */
static int send_all(struct vmnet_nl *nl, struct nlmsghdr **reqs, size_t n, uint32_t first)
{
	struct iovec iov[VMNET_NL_MAX_REQS];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = n };
	ssize_t r;

	for (size_t i = 0; i < n; i++) {
		reqs[i]->nlmsg_seq = first + (uint32_t)i;
		reqs[i]->nlmsg_pid = 0;
		/* Always ask for an ACK: it is what ends a non-dump reply. */
		reqs[i]->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
		iov[i] = (struct iovec){ .iov_base = reqs[i], .iov_len = reqs[i]->nlmsg_len };
	}
	do
		r = sendmsg(nl->fd, &mh, 0);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

/* @n requests (a dump only alone), their replies to @cb; see nl.h. */
static int talk(struct vmnet_nl *nl, struct nlmsghdr **reqs, size_t n, vmnet_nl_cb cb, void *arg)
{
	bool dump = n == 1 && (reqs[0]->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	uint32_t first = nl->seq + 1;
	size_t acked = 0;
	int result = 0, r;
	ssize_t got;

	if (n == 0 || n > VMNET_NL_MAX_REQS)
		return -EINVAL;
	nl->seq += (uint32_t)n;
	nl->extack[0] = '\0';
	r = send_all(nl, reqs, n, first);
	if (r < 0)
		return r;
	for (;;) {
		size_t left;

		got = rx_next(nl, dump);
		if (got < 0)
			return (int)got;
		left = (size_t)got;
		for (struct nlmsghdr *h = msg_ok(nl->rx, left); h; h = msg_next(h, &left)) {
			/* A stale reply of an earlier, abandoned request. */
			if (h->nlmsg_seq - first >= n)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EPROTO;
				if (e->error) {
					save_extack(nl, h);
					return e->error;
				}
				/* An ACK. A dump never gets one before DONE. */
				if (!dump && ++acked == n)
					return result;
				continue;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				/* A dump that failed midway says so in DONE. */
				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
					int e = *(const int *)NLMSG_DATA(h);

					if (e < 0) {
						save_extack(nl, h);
						return e;
					}
				}
				return result;
			}
			if (h->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			if (cb && result == 0)
				result = cb(h, arg);
		}
	}
}

int vmnet_nl_talk(struct vmnet_nl *nl, struct nlmsghdr *req, vmnet_nl_cb cb, void *arg)
{
	return talk(nl, &req, 1, cb, arg);
}

int vmnet_nl_talk_all(struct vmnet_nl *nl, struct nlmsghdr **reqs, size_t n)
{
	return talk(nl, reqs, n, NULL, NULL);
}

int vmnet_nl_fail(struct vmnet_nl *nl, struct vmnet_err *err, int r, const char *fmt, ...)
{
	char what[sizeof(err->msg)];
	bool fresh = err && !err->code;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	vmnet_err_set(err, VMNET_ERR_SYSTEM, r < 0 ? -r : r, "%s", what);
	if (fresh && nl && nl->extack[0]) {
		size_t len = strlen(err->msg);

		snprintf(err->msg + len, sizeof(err->msg) - len, " (%s)", nl->extack);
	}
	return r;
}
