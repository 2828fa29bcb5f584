/* SPDX-License-Identifier: MIT */
/*
 * Hand-off of slow-to-close descriptors to netd (include/vmnet/handoff.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmnet/common.h"
#include "vmnet/handoff.h"
#include "vmnet/log.h"
#include "vmnet/names.h"

/* netd's request (netd/proto.h); the descriptors ride on its bytes. */
#define RELEASE_REQUEST "{\"version\":1,\"command\":\"release\"}\n"

static struct {
	bool enabled;
	int n;
	int fd[VMNET_HANDOFF_MAX];
} kept;

void vmnet_handoff_enable(void)
{
	kept.enabled = true;
}

bool vmnet_handoff_enabled(void)
{
	return kept.enabled;
}

bool vmnet_handoff_keep(int fd)
{
	if (!kept.enabled || fd < 0 || kept.n == VMNET_HANDOFF_MAX)
		return false;
	kept.fd[kept.n++] = fd;
	return true;
}

int vmnet_netd_connect(bool nonblock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = getenv("VMNET_NETD_SOCKET");
	int fd, flags = SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0);

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s",
		     path && *path ? path : VMNET_NETD_SOCK) >= (int)sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, flags, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* One sendmsg: the request with every kept descriptor. */
static int send_kept(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VMNET_HANDOFF_MAX)] = { 0 };
	struct iovec iov = { .iov_base = (void *)RELEASE_REQUEST,
			     .iov_len = sizeof(RELEASE_REQUEST) - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)kept.n) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)kept.n);
	memcpy(CMSG_DATA(c), kept.fd, sizeof(int) * (size_t)kept.n);
	if (sendmsg(sock, &m, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)iov.iov_len)
		return -errno;
	return 0;
}

int vmnet_handoff_release(void)
{
	int sock, handed = 0;

	if (!kept.n)
		return 0;
	sock = vmnet_netd_connect(true);
	if (sock >= 0 && send_kept(sock) == 0)
		handed = kept.n;
	if (sock >= 0)
		close(sock);
	log_debug("%d descriptor(s) %s", kept.n,
		  handed ? "handed to netd" : "closed here (netd did not take them)");
	for (int i = 0; i < kept.n; i++)
		close(kept.fd[i]);
	kept.n = 0;
	return handed;
}
