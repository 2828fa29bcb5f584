/* SPDX-License-Identifier: MIT */
/*
 * The callback loop and the socket of vmnet's implementation of the libmnl
 * API (mnl_msg.c says what it is for and what callers rely on).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

/* ---- the callback loop ---- */

/* NLMSG_ERROR: an ack (error 0) ends the replies; an error ends them too,
 * with errno set to it (subsystems send it negative or positive; INT_MIN,
 * which no errno is and which cannot be negated, as EPROTO). */
static int ctl_error(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!e->error)
		return MNL_CB_STOP;
	errno = e->error == INT_MIN ? EPROTO : e->error < 0 ? -e->error : e->error;
	return MNL_CB_ERROR;
}

/* A control message (type below NLMSG_MIN_TYPE) with no callback of the
 * caller's: NOOP and OVERRUN go on, DONE stops, ERROR as above. */
static int ctl_default(const struct nlmsghdr *nlh)
{
	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
		return ctl_error(nlh);
	case NLMSG_DONE:
		return MNL_CB_STOP;
	default:
		return MNL_CB_OK;
	}
}

int mnl_cb_run2(const void *buf, size_t numbytes, unsigned int seq, unsigned int portid,
		mnl_cb_t cb_data, void *data, mnl_cb_t *cb_ctl_array,
		unsigned int cb_ctl_array_len)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)numbytes, r = MNL_CB_OK;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (!mnl_nlmsg_portid_ok(nlh, portid)) {
			errno = ESRCH;
			return MNL_CB_ERROR;
		}
		if (!mnl_nlmsg_seq_ok(nlh, seq)) {
			errno = EPROTO;
			return MNL_CB_ERROR;
		}
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
			errno = EINTR;
			return MNL_CB_ERROR;
		}
		if (nlh->nlmsg_type >= NLMSG_MIN_TYPE)
			r = cb_data ? cb_data(nlh, data) : MNL_CB_OK;
		else if (nlh->nlmsg_type < cb_ctl_array_len)
			r = cb_ctl_array && cb_ctl_array[nlh->nlmsg_type] ?
				    cb_ctl_array[nlh->nlmsg_type](nlh, data) :
				    MNL_CB_OK;
		else
			r = ctl_default(nlh);
		if (r <= MNL_CB_STOP)
			return r;
	}
	return r;
}

int mnl_cb_run(const void *buf, size_t numbytes, unsigned int seq, unsigned int portid,
	       mnl_cb_t cb_data, void *data)
{
	return mnl_cb_run2(buf, numbytes, seq, portid, cb_data, data, NULL, 0);
}

/* ---- the socket ---- */

struct mnl_socket {
	int fd;
	struct sockaddr_nl addr;	/* ours, once bound */
};

struct mnl_socket *mnl_socket_open2(int bus, int flags)
{
	struct mnl_socket *nl = calloc(1, sizeof(*nl));

	if (!nl)
		return NULL;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | flags, bus);
	if (nl->fd < 0) {
		int e = errno;

		free(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

struct mnl_socket *mnl_socket_open(int bus)
{
	return mnl_socket_open2(bus, 0);
}

/* Adopt a netlink socket someone else opened (bound or not). */
struct mnl_socket *mnl_socket_fdopen(int fd)
{
	struct mnl_socket *nl;
	struct sockaddr_nl sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return NULL;
	if (len != sizeof(sa) || sa.nl_family != AF_NETLINK) {
		errno = EINVAL;
		return NULL;
	}
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return NULL;
	nl->fd = fd;
	nl->addr = sa;
	return nl;
}

/* Bind to @groups with port ID @pid (MNL_SOCKET_AUTOPID: the kernel's
 * choice), then learn the port ID the kernel gave. */
int mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups,
				  .nl_pid = (uint32_t)pid };
	socklen_t len = sizeof(sa);

	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	if (getsockname(nl->fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	if (len != sizeof(sa) || sa.nl_family != AF_NETLINK) {
		errno = EINVAL;
		return -1;
	}
	nl->addr = sa;
	return 0;
}

int mnl_socket_close(struct mnl_socket *nl)
{
	int r = close(nl->fd);

	free(nl);
	return r;
}

int mnl_socket_get_fd(const struct mnl_socket *nl)
{
	return nl->fd;
}

unsigned int mnl_socket_get_portid(const struct mnl_socket *nl)
{
	return nl->addr.nl_pid;
}

/* To the kernel (port ID 0). */
ssize_t mnl_socket_sendto(const struct mnl_socket *nl, const void *buf, size_t len)
{
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	return sendto(nl->fd, buf, len, 0, (const struct sockaddr *)&kernel, sizeof(kernel));
}

/* One datagram; one that did not fit in @bufsiz fails with ENOSPC rather
 * than arriving cut, and one from no netlink address with EINVAL. */
ssize_t mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t bufsiz)
{
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = bufsiz };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from),
			      .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t r = recvmsg(nl->fd, &msg, 0);

	if (r < 0)
		return r;
	if (msg.msg_flags & MSG_TRUNC) {
		errno = ENOSPC;
		return -1;
	}
	if (msg.msg_namelen != sizeof(from)) {
		errno = EINVAL;
		return -1;
	}
	return r;
}

int mnl_socket_setsockopt(const struct mnl_socket *nl, int type, void *buf, socklen_t len)
{
	return setsockopt(nl->fd, SOL_NETLINK, type, buf, len);
}

int mnl_socket_getsockopt(const struct mnl_socket *nl, int type, void *buf, socklen_t *len)
{
	return getsockopt(nl->fd, SOL_NETLINK, type, buf, len);
}
