/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "daemon.h"
#include "server.h"
#include "vmnet/clock.h"
#include "vmnet/common.h"
#include "vmnet/err.h"
#include "vmnet/log.h"

/* Bytes read and thrown away after a refused request before closing: the
 * client gets its error reply instead of ECONNRESET, within a bound. */
#define DRAIN_MAX (16 * NETD_PROTO_MAX)
/* Descriptors taken from one read (a plugin sends at most VMNET_HANDOFF_MAX). */
#define NETD_PASSED_MAX 16

struct netd_conn {
	int fd;
	int64_t deadline;	/* monotonic ms */
	uint32_t armed;		/* epoll events registered */
	char *in;		/* NETD_PROTO_MAX + 1 bytes */
	size_t in_len;
	char *out;		/* one reply line, owned */
	size_t out_len, out_off;
	size_t drained;
	unsigned served;
	bool replied;		/* a reply went out since the deadline was set */
	bool eof;		/* the client has shut down its side */
	bool closing;		/* close once the reply is out */
	bool draining;		/* reply sent, our side shut: discard input */
	int fds[NETD_PASSED_MAX];	/* descriptors that came with the input */
	size_t n_fds;
};

/* The descriptors no handler took (conn.c's only use of them is to give
 * them to the request they came with) linger before netd closes them
 * (linger.h). */
static void drop_fds(struct netd_conns *c, struct netd_conn *k)
{
	for (size_t i = 0; i < k->n_fds; i++) {
		if (k->fds[i] < 0)
			c->linger.released++;
		else
			netd_linger_add(&c->linger, k->fds[i], true);
	}
	k->n_fds = 0;
}

void netd_conns_init(struct netd_conns *c, int ep)
{
	memset(c, 0, sizeof(*c));
	c->ep = ep;
}

static void conn_free(struct netd_conns *c, size_t i)
{
	struct netd_conn *k = c->v[i];

	epoll_ctl(c->ep, EPOLL_CTL_DEL, k->fd, NULL);
	close(k->fd);
	drop_fds(c, k);
	free(k->in);
	free(k->out);
	free(k);
	c->v[i] = c->v[--c->n];
}

/* Queue one reply line (owned); a client has one reply in flight at most. */
static void queue(struct netd_conn *k, char *line)
{
	free(k->out);
	k->out = line;
	k->out_len = line ? strlen(line) : 0;
	k->out_off = 0;
	if (!line)
		k->closing = true;
}

static void queue_error(struct netd_conn *k, int code, const char *msg)
{
	queue(k, netd_proto_encode_error(code, msg));
}

static void answer(struct netd_daemon *d, struct netd_conn *k, const char *buf, size_t len)
{
	struct netd_request req;
	struct vmnet_err err = { 0 };
	json_auto_t *data = NULL;
	char *line;

	if (netd_proto_decode_request(buf, len, &req, &err) < 0) {
		log_debug("bad request: %s", err.msg);
		queue_error(k, err.code, err.msg);
		drop_fds(&d->conns, k);
		return;
	}
	req.fds = k->fds;
	req.n_fds = k->n_fds;
	data = netd_server_dispatch(d, &req, &err);
	drop_fds(&d->conns, k);
	if (!data) {
		queue_error(k, err.code ? err.code : NETD_E_INTERNAL, err.msg);
		return;
	}
	line = netd_proto_encode_reply(data);
	if (line)
		queue(k, line);
	else
		queue_error(k, NETD_E_INTERNAL, "out of memory");
}

/* Send what is queued: 1 when all is out, 0 when the socket is full,
 * negative when the client is gone. */
static int flush(struct netd_conn *k)
{
	while (k->out_off < k->out_len) {
		ssize_t n = send(k->fd, k->out + k->out_off, k->out_len - k->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -EPIPE;
		k->out_off += (size_t)n;
	}
	if (k->out)
		k->replied = true;
	free(k->out);
	k->out = NULL;
	k->out_len = k->out_off = 0;
	return 1;
}

/* Descriptors a client sent along (SCM_RIGHTS) wait for the request they
 * came with (a "release": netfilter sockets whose close would make the
 * client wait for nf_tables' destroy work, VM namespaces of doomed
 * devices), then whatever it did not take is closed. Beyond room (and
 * truncated) ones are closed at once. */
static void keep_passed(struct netd_conns *c, struct netd_conn *k, struct msghdr *m)
{
	for (struct cmsghdr *h = CMSG_FIRSTHDR(m); h; h = CMSG_NXTHDR(m, h)) {
		size_t n;

		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		n = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(fd));
			if (k->n_fds < NETD_PASSED_MAX) {
				k->fds[k->n_fds++] = fd;
				continue;
			}
			close(fd);
			c->linger.released++;
		}
	}
}

static ssize_t recv_some(struct netd_conns *c, struct netd_conn *k, char *dst, size_t room)
{
	char cbuf[CMSG_SPACE(sizeof(int) * NETD_PASSED_MAX)];
	struct iovec iov = { .iov_base = dst, .iov_len = room };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	ssize_t n = recvmsg(k->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n >= 0 && m.msg_controllen)
		keep_passed(c, k, &m);
	return n;
}

/* Read what is there; sets k->eof. Negative when the client is gone. */
static int fill(struct netd_conns *c, struct netd_conn *k)
{
	char scratch[4096];

	while (!k->eof) {
		char *dst = k->draining ? scratch : k->in + k->in_len;
		size_t room = k->draining ? sizeof(scratch) : NETD_PROTO_MAX + 1 - k->in_len;
		ssize_t n;

		if (!room)
			return 0;
		n = recv_some(c, k, dst, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;
		if (n == 0)
			k->eof = true;
		else if (k->draining && (k->drained += (size_t)n) > DRAIN_MAX)
			return -EMSGSIZE;
		else if (!k->draining)
			k->in_len += (size_t)n;
	}
	return 0;
}

/* Take the next request out of the input, if a whole one is there. */
static bool next_request(struct netd_daemon *d, struct netd_conn *k)
{
	char *nl = k->in_len ? memchr(k->in, '\n', k->in_len) : NULL;
	size_t l;

	if (!nl && k->in_len > NETD_PROTO_MAX) {
		queue_error(k, NETD_E_TOOBIG, "request larger than 65536 bytes");
		k->closing = k->draining = true;
		return true;
	}
	/* EOF ends the last request even without a newline; an empty
	 * connection is a probe (the plugin's STATUS) and gets no answer. */
	if (!nl && !(k->eof && k->in_len)) {
		if (k->eof)
			k->closing = true;
		return k->eof;
	}
	l = nl ? (size_t)(nl - k->in) + 1 : k->in_len;
	answer(d, k, k->in, l);
	memmove(k->in, k->in + l, k->in_len - l);
	k->in_len -= l;
	if (++k->served >= NETD_CONN_MAX_REQUESTS || (k->eof && !k->in_len))
		k->closing = true;
	return true;
}

static int rearm(struct netd_conns *c, struct netd_conn *k, uint32_t want)
{
	struct epoll_event ev = { .events = want, .data.fd = k->fd };

	if (want == k->armed)
		return 0;
	if (epoll_ctl(c->ep, EPOLL_CTL_MOD, k->fd, &ev) < 0)
		return -errno;
	k->armed = want;
	return 0;
}

/* Make all the progress the socket allows. Negative: close the client. */
static int step(struct netd_conns *c, struct netd_daemon *d, struct netd_conn *k)
{
	int r;

	for (;;) {
		r = k->out ? 0 : fill(c, k);
		if (r < 0)
			return r;
		r = flush(k);
		if (r < 0)
			return r;
		/* While a reply waits, read nothing more: the client that
		 * does not read cannot make us buffer (or spin). */
		if (r == 0)
			return rearm(c, k, EPOLLOUT);
		if (k->draining) {
			if (k->eof)
				return -ECONNRESET;
			shutdown(k->fd, SHUT_WR);
			return rearm(c, k, EPOLLIN);
		}
		if (k->closing)
			return -ECONNRESET;
		/* A reply is out: the next request gets a whole window. */
		if (k->replied) {
			k->replied = false;
			k->deadline = vmnet_mono_ms() + NETD_CONN_DEADLINE_MS;
		}
		if (!next_request(d, k))
			return rearm(c, k, EPOLLIN);
	}
}

static ssize_t find(const struct netd_conns *c, int fd)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i]->fd == fd)
			return (ssize_t)i;
	return -1;
}

bool netd_conns_handle(struct netd_conns *c, struct netd_daemon *d, int fd, uint32_t events)
{
	ssize_t i = find(c, fd);

	if (i < 0)
		return false;
	if (step(c, d, c->v[i]) < 0)
		conn_free(c, (size_t)i);
	return true;
}

static size_t nearest(const struct netd_conns *c)
{
	size_t best = 0;

	for (size_t i = 1; i < c->n; i++)
		if (c->v[i]->deadline < c->v[best]->deadline)
			best = i;
	return best;
}

int64_t netd_conns_next_deadline(const struct netd_conns *c)
{
	int64_t t = c->n ? c->v[nearest(c)]->deadline : 0;

	if (netd_linger_due(&c->linger) && (!t || netd_linger_due(&c->linger) < t))
		t = netd_linger_due(&c->linger);
	return t;
}

void netd_conns_expire(struct netd_conns *c, int64_t now)
{
	netd_linger_tend(&c->linger, now, false);
	for (size_t i = 0; i < c->n;) {
		if (c->v[i]->deadline > now) {
			i++;
			continue;
		}
		log_debug("dropping a client that did not finish its request in %d ms",
			  NETD_CONN_DEADLINE_MS);
		c->expired++;
		conn_free(c, i);
	}
}

/* SO_PEERCRED is the gate: only root may talk to netd. */
static bool peer_is_root(int fd)
{
	struct ucred cred;
	socklen_t cl = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0 && cred.uid == 0)
		return true;
	log_info("refused a client with uid %d", cl == sizeof(cred) ? (int)cred.uid : -1);
	return false;
}

static int adopt(struct netd_conns *c, struct netd_daemon *d, int fd)
{
	struct netd_conn *k = calloc(1, sizeof(*k));
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (!k || !(k->in = malloc(NETD_PROTO_MAX + 1))) {
		free(k);
		return -ENOMEM;
	}
	if (c->n == NETD_CONN_MAX) {
		c->evicted++;
		conn_free(c, nearest(c));
	}
	k->fd = fd;
	k->armed = EPOLLIN;
	k->deadline = vmnet_mono_ms() + NETD_CONN_DEADLINE_MS;
	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(k->in);
		free(k);
		return -errno;
	}
	c->v[c->n++] = k;
	if (!peer_is_root(fd)) {
		queue_error(k, NETD_E_PERM, "permission denied: netd's socket is for root only");
		k->closing = k->draining = true;
	}
	if (step(c, d, k) < 0)
		conn_free(c, c->n - 1);
	return 0;
}

void netd_conns_accept(struct netd_conns *c, struct netd_daemon *d)
{
	for (;;) {
		int fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		int r;

		c->accepted++;
		r = adopt(c, d, fd);
		if (r < 0) {
			log_warn("control socket: cannot take a client: %s", strerror(-r));
			close(fd);
		}
	}
}

void netd_conns_close_all(struct netd_conns *c)
{
	while (c->n)
		conn_free(c, c->n - 1);
	netd_linger_end(&c->linger);
}
