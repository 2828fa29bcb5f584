/* SPDX-License-Identifier: MIT */
/*
 * The batch buffer and the netfilter socket it goes out on. Everything the
 * kernel sees goes out as one NFNL batch per operation with NLM_F_ACK on
 * every message, so a failure names the message that caused it and the
 * kernel rolls the whole batch back. One batch may address both of our
 * tables (inet and bridge): the family is per message.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>

#include "vmnet/inet.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "nft_priv.h"

void batch_free(struct batch *b)
{
	free(b->buf);
	free(b->msgs);
	memset(b, 0, sizeof(*b));
}

static int room(struct batch *b, size_t need)
{
	if (b->cap - b->len < need) {
		size_t cap = b->cap ? b->cap : 4 * MSG_ROOM;
		char *p;

		while (cap - b->len < need)
			cap *= 2;
		p = realloc(b->buf, cap);
		if (!p)
			return -ENOMEM;
		b->buf = p;
		b->cap = cap;
	}
	return 0;
}

int batch_init(struct batch *b, uint32_t seq)
{
	memset(b, 0, sizeof(*b));
	b->seq0 = seq;
	b->seq = seq + 1;
	if (room(b, MSG_ROOM) < 0)
		return -ENOMEM;
	nftnl_batch_begin(b->buf, seq);
	b->len = MNL_ALIGN(((struct nlmsghdr *)b->buf)->nlmsg_len);
	return 0;
}

/* Start a message at the end of the batch: room for MSG_ROOM bytes. */
struct nlmsghdr *msg_start(struct batch *b, int fam, uint16_t type, uint16_t flags,
			   const struct mdesc *d)
{
	if (room(b, MSG_ROOM) < 0)
		return NULL;
	if (b->n == b->cap_msgs) {
		size_t cap = b->cap_msgs ? 2 * b->cap_msgs : 64;
		struct mdesc *m = realloc(b->msgs, cap * sizeof(*m));

		if (!m)
			return NULL;
		b->msgs = m;
		b->cap_msgs = cap;
	}
	b->msgs[b->n++] = *d;
	return nftnl_nlmsg_build_hdr(b->buf + b->len, type, fam, flags | NLM_F_ACK, b->seq++);
}

void msg_done(struct batch *b, struct nlmsghdr *nh)
{
	b->len += MNL_ALIGN(nh->nlmsg_len);
}

int batch_finish(struct batch *b)
{
	struct nlmsghdr *nh;

	if (room(b, MSG_ROOM) < 0)
		return -ENOMEM;
	nh = nftnl_batch_end(b->buf + b->len, b->seq++);
	b->len += MNL_ALIGN(nh->nlmsg_len);
	return 0;
}

/* "tcp/8080" or "tcp/8080 on 192.0.2.1" */
const char *port_fmt(const struct vmnet_nft_port *p, char *buf, size_t size)
{
	char ip[VMNET_ADDRSTRLEN];
	const char *name = vmnet_proto_name(p->proto);

	if (p->host_ip)
		snprintf(buf, size, "%s/%u on %s", name ? name : "?", p->host_port,
			 vmnet_ip4_fmt(p->host_ip, ip));
	else
		snprintf(buf, size, "%s/%u", name ? name : "?", p->host_port);
	return buf;
}

int build_out(struct batch *b, int ret, void **ret_buf, size_t *ret_len, struct vmnet_err *err)
{
	if (ret >= 0)
		ret = batch_finish(b);
	if (ret < 0) {
		batch_free(b);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -ret, "nft: building batch");
	}
	*ret_buf = steal_ptr(b->buf);
	*ret_len = b->len;
	batch_free(b);
	return 0;
}

/* ---- talking to the kernel ---- */

int vmnet_nft_open(int nsfd, struct vmnet_nft **ret, struct vmnet_err *err)
{
	_cleanup_close_ int orig = -1;
	struct vmnet_nft *n;
	int one = 1, r = 0;

	if (nsfd >= 0) {
		orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (orig < 0)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno,
					     "nft: opening own netns");
		if (setns(nsfd, CLONE_NEWNET) < 0)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "nft: entering netns");
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		r = -ENOMEM;
		goto restore;
	}
	n->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!n->nl || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto restore;
	}
	/* Error acks without a copy of the (possibly huge) request. */
	mnl_socket_setsockopt(n->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	n->portid = mnl_socket_get_portid(n->nl);
	n->seq = (uint32_t)time(NULL) << 8;
restore:
	if (nsfd >= 0 && setns(orig, CLONE_NEWNET) < 0) {
		/* This thread is stuck in another netns: nothing safe to return to. */
		vmnet_nft_close(n);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "nft: returning to own netns");
	}
	if (r < 0) {
		vmnet_nft_close(n);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: opening netlink socket");
	}
	*ret = n;
	return 0;
}

struct vmnet_nft *vmnet_nft_close(struct vmnet_nft *n)
{
	if (n) {
		if (n->nl)
			mnl_socket_close(n->nl);
		free(n);
	}
	return NULL;
}

static void bufsize(struct vmnet_nft *n, int opt_force, int opt, size_t want)
{
	int cur = 0, v = want > INT32_MAX ? INT32_MAX : (int)want;
	socklen_t l = sizeof(cur);
	int fd = mnl_socket_get_fd(n->nl);

	if (getsockopt(fd, SOL_SOCKET, opt, &cur, &l) == 0 && cur / 2 >= v)
		return;
	if (setsockopt(fd, SOL_SOCKET, opt_force, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

/*
 * Send a built batch and read one ack per message. nfnetlink handles the
 * batch synchronously inside sendmsg, so every ack is queued when it
 * returns. On failure *ret_idx is the index of the first refused message
 * and the kernel's errno is returned (the transaction was aborted).
 */
static int batch_talk(struct vmnet_nft *n, struct batch *b, size_t *ret_idx)
{
	_cleanup_free_ char *rbuf = NULL;
	size_t acked = 0, rsize = RECV_BUF;
	int first = 0, fd = mnl_socket_get_fd(n->nl);
	size_t first_idx = 0;

	bufsize(n, SO_SNDBUFFORCE, SO_SNDBUF, b->len + 4096);
	bufsize(n, SO_RCVBUFFORCE, SO_RCVBUF, b->n * 1024 + 65536);
	rbuf = malloc(rsize);
	if (!rbuf)
		return -ENOMEM;
	if (mnl_socket_sendto(n->nl, b->buf, b->len) < 0)
		return -errno;

	while (acked < b->n) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		const struct nlmsghdr *nh;
		ssize_t len;
		int l;

		/* A refused message may stop the kernel early: do not wait
		 * for acks that will never come once an error is known. */
		if (poll(&pfd, 1, first ? 0 : 5000) <= 0)
			break;
		len = recv(fd, rbuf, rsize, MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		l = (int)len;
		for (nh = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nh, l);
		     nh = mnl_nlmsg_next(nh, &l)) {
			const struct nlmsgerr *e;
			size_t idx;

			if (nh->nlmsg_type != NLMSG_ERROR || nh->nlmsg_pid != n->portid)
				continue;
			e = mnl_nlmsg_get_payload(nh);
			/* BATCH_BEGIN itself refused: the whole batch was. */
			if (nh->nlmsg_seq == b->seq0 && e->error && !first) {
				first = e->error;
				first_idx = SIZE_MAX;
			}
			idx = nh->nlmsg_seq - b->seq0 - 1;
			if (nh->nlmsg_seq <= b->seq0 || idx >= b->n)
				continue; /* not ours: a stale reply */
			acked++;
			if (e->error && !first) {
				first = e->error;
				first_idx = idx;
			}
		}
	}
	if (first) {
		*ret_idx = first_idx;
		return first;
	}
	if (acked < b->n)
		return -ETIMEDOUT;
	return 0;
}

/* A single request (GETTABLE, GETSETELEM); @cb sees each reply message. */
int talk_one(struct vmnet_nft *n, struct nlmsghdr *nh, mnl_cb_t cb, void *data)
{
	_cleanup_free_ char *buf = malloc(RECV_BUF);
	uint32_t seq = nh->nlmsg_seq;
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	if (mnl_socket_sendto(n->nl, nh, nh->nlmsg_len) < 0)
		return -errno;
	do {
		r = mnl_socket_recvfrom(n->nl, buf, RECV_BUF);
		if (r < 0)
			return -errno;
		r = mnl_cb_run(buf, r, seq, n->portid, cb, data);
		if (r < 0)
			return -errno;
	} while (r > 0);
	return 0;
}

void desc_fmt(const struct batch *b, size_t idx, char *buf, size_t size)
{
	const struct mdesc *d;
	char p[64];

	if (idx >= b->n) {
		snprintf(buf, size, "batch");
		return;
	}
	d = &b->msgs[idx];
	switch (d->kind) {
	case M_TABLE:
		snprintf(buf, size, "table %s %s", d->fam == F_BRIDGE ? "bridge" : "inet",
			 VMNET_NFT_TABLE);
		break;
	case M_SET:
		snprintf(buf, size, "set %s", d->set);
		break;
	case M_PORT:
		snprintf(buf, size, "port %s in map %s", port_fmt(&d->port, p, sizeof(p)), d->set);
		break;
	default:
		snprintf(buf, size, "message %zu", idx + 1);
		break;
	}
}

int batch_run(struct vmnet_nft *n, struct batch *b, const char *what, size_t *ret_idx,
	      struct vmnet_err *err)
{
	size_t idx = SIZE_MAX;
	char d[128];
	int ret;

	n->seq = b->seq;
	ret = batch_talk(n, b, &idx);
	if (ret_idx)
		*ret_idx = idx;
	if (ret >= 0)
		return ret;
	desc_fmt(b, idx, d, sizeof(d));
	log_debug("nft: %s refused at %s: %s", what, d, strerror(-ret));
	return vmnet_err_set(err, VMNET_ERR_SYSTEM, -ret, "nft: %s (%s)", what, d);
}
