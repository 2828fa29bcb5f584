/* SPDX-License-Identifier: MIT */
/*
 * The nfnetlink transport (include/vmnet/nfnl.h) over libmnl: the one place
 * that opens NETLINK_NETFILTER sockets, reads acks and runs dumps, for
 * nftables and conntrack alike.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "vmnet/handoff.h"
#include "vmnet/netns.h"
#include "vmnet/nfnl.h"

/* Dump replies come in skbs of up to 32 KiB (NLMSG_GOODSIZE on big pages);
 * acks of a big batch come many to a read. */
#define RECV_BUF 65536
/* How long to wait for an ack while none has been a refusal. */
#define ACK_WAIT_MS 5000

struct vmnet_nfnl {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	bool own_ns; /* opened in the thread's own namespace */
};

/* A plugin call's conversations with nf_tables and conntrack come one
 * after another, nearly all in the thread's own namespace. While sharing
 * is on (vmnet_nfnl_share), a closed socket of that namespace is kept for
 * the next open in it instead: one socket per call, not one per
 * conversation (an ADD had four, each opened and closed, and each handed
 * to netd at the end). */
static struct {
	bool on;
	struct vmnet_nfnl *kept;
} share;

static void drop(struct vmnet_nfnl *s)
{
	/* A copy kept for netd: closing this one then does not release
	 * the socket (include/vmnet/handoff.h). */
	if (s->nl && vmnet_handoff_enabled()) {
		int fd = fcntl(mnl_socket_get_fd(s->nl), F_DUPFD_CLOEXEC, 3);

		if (fd >= 0 && !vmnet_handoff_keep(fd))
			close(fd);
	}
	if (s->nl)
		mnl_socket_close(s->nl);
	free(s);
}

void vmnet_nfnl_share(bool on)
{
	share.on = on;
	if (!on && share.kept) {
		drop(share.kept);
		share.kept = NULL;
	}
}

struct vmnet_nfnl *vmnet_nfnl_close(struct vmnet_nfnl *s)
{
	if (s && share.on && s->own_ns && s->nl && !share.kept) {
		share.kept = s;
		return NULL;
	}
	if (s)
		drop(s);
	return NULL;
}

/* The kept socket, if this open is in the thread's own namespace; what
 * its last user left unread (a late ack) is dropped first. */
static struct vmnet_nfnl *take_kept(int nsfd)
{
	struct vmnet_nfnl *s = share.kept;

	if (!s || nsfd >= 0 || vmnet_netns_entered())
		return NULL;
	share.kept = NULL;
	vmnet_nfnl_drain(s);
	return s;
}

int vmnet_nfnl_open(int nsfd, struct vmnet_nfnl **ret, struct vmnet_err *err)
{
	struct vmnet_nfnl *s = take_kept(nsfd);
	int origin = -1, one = 1, r = 0;

	if (s) {
		*ret = s;
		return 0;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "opening netfilter socket");
	if (nsfd >= 0) {
		r = vmnet_netns_enter(nsfd, &origin, err);
		if (r < 0) {
			vmnet_nfnl_close(s);
			return vmnet_err_wrap(err, "opening netfilter socket");
		}
	}
	/* The socket stays bound to the netns it was created in. */
	s->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!s->nl || mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		r = -errno;
	vmnet_netns_leave(origin);
	if (r < 0) {
		vmnet_nfnl_close(s);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "opening netfilter socket");
	}
	/* Error acks without a copy of the (possibly huge) request. */
	mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = (uint32_t)time(NULL) << 8;
	s->own_ns = nsfd < 0 && !vmnet_netns_entered();
	*ret = s;
	return 0;
}

uint32_t vmnet_nfnl_seq(const struct vmnet_nfnl *s)
{
	return s->seq;
}

/* Grow a socket buffer to @want unless it is that big already (the kernel
 * reports double what was set); the FORCE variant needs CAP_NET_ADMIN. */
static void bufsize(int fd, int opt_force, int opt, size_t want)
{
	int cur = 0, v = want > INT32_MAX ? INT32_MAX : (int)want;
	socklen_t l = sizeof(cur);

	if (getsockopt(fd, SOL_SOCKET, opt, &cur, &l) == 0 && cur / 2 >= v)
		return;
	if (setsockopt(fd, SOL_SOCKET, opt_force, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

struct acks {
	uint32_t seq;
	size_t n, acked;
	bool batch;
	int *errs;
	int first;
	size_t first_idx;
};

/* The acks in one read; replies that are not ours (stale) are skipped. */
static void acks_read(struct acks *a, uint32_t portid, const void *buf, int len)
{
	const struct nlmsghdr *nh;

	for (nh = buf; mnl_nlmsg_ok(nh, len); nh = mnl_nlmsg_next(nh, &len)) {
		const struct nlmsgerr *e;
		size_t idx;

		if (nh->nlmsg_type != NLMSG_ERROR || nh->nlmsg_pid != portid)
			continue;
		e = mnl_nlmsg_get_payload(nh);
		/* BATCH_BEGIN itself refused: the whole batch was. */
		if (a->batch && nh->nlmsg_seq == a->seq - 1 && e->error && !a->first) {
			a->first = e->error;
			a->first_idx = SIZE_MAX;
		}
		idx = nh->nlmsg_seq - a->seq;
		if (nh->nlmsg_seq < a->seq || idx >= a->n)
			continue;
		a->acked++;
		if (a->errs)
			a->errs[idx] = e->error;
		if (e->error && !a->first) {
			a->first = e->error;
			a->first_idx = idx;
		}
	}
}

int vmnet_nfnl_send(struct vmnet_nfnl *s, const void *buf, size_t len, uint32_t seq, size_t n,
		    bool batch, int *ret_errs, size_t *ret_idx)
{
	struct acks a = {.seq = seq, .n = n, .batch = batch, .errs = ret_errs};
	_cleanup_free_ char *rbuf = malloc(RECV_BUF);
	int fd = mnl_socket_get_fd(s->nl);

	if (ret_idx)
		*ret_idx = SIZE_MAX;
	for (size_t i = 0; ret_errs && i < n; i++)
		ret_errs[i] = -ETIMEDOUT;
	if (!rbuf)
		return -ENOMEM;
	/* seq + n: BATCH_END's number, if any. */
	s->seq = seq + (uint32_t)n + 1;
	bufsize(fd, SO_SNDBUFFORCE, SO_SNDBUF, len + 4096);
	bufsize(fd, SO_RCVBUFFORCE, SO_RCVBUF, n * 1024 + 65536);
	if (mnl_socket_sendto(s->nl, buf, len) < 0)
		return -errno;

	/* The kernel runs a batch inside our send, so its acks are queued
	 * already: read first, wait only when nothing is there (one system
	 * call per ack, not two). */
	while (a.acked < n) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t r = recv(fd, rbuf, RECV_BUF, MSG_DONTWAIT);

		if (r >= 0) {
			acks_read(&a, s->portid, rbuf, (int)r);
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		/* A refused message may stop the kernel early: do not wait
		 * for acks that will never come once an error is known. */
		if (a.first || poll(&pfd, 1, ACK_WAIT_MS) <= 0)
			break;
	}
	if (a.first) {
		if (ret_idx)
			*ret_idx = a.first_idx;
		return a.first;
	}
	return a.acked < n ? -ETIMEDOUT : 0;
}

int vmnet_nfnl_request(struct vmnet_nfnl *s, struct nlmsghdr *nh, vmnet_nfnl_cb cb, void *data)
{
	_cleanup_free_ char *buf = malloc(RECV_BUF);
	uint32_t seq = s->seq++;
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	nh->nlmsg_seq = seq;
	if (mnl_socket_sendto(s->nl, nh, nh->nlmsg_len) < 0)
		return -errno;
	do {
		r = mnl_socket_recvfrom(s->nl, buf, RECV_BUF);
		if (r < 0)
			return -errno;
		errno = 0;
		r = mnl_cb_run(buf, (size_t)r, seq, s->portid, cb, data);
		if (r < 0)
			return errno ? -errno : -EIO;
	} while (r > 0);
	return 0;
}

void vmnet_nfnl_drain(struct vmnet_nfnl *s)
{
	int fd = mnl_socket_get_fd(s->nl);
	char buf[64];

	/* Dropped unseen: MSG_TRUNC takes the whole datagram whatever the
	 * buffer's size. */
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC) >= 0 || errno == EINTR ||
	       errno == ENOBUFS)
		;
}
