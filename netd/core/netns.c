/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "vmnet/log.h"
#include "vmnet/netns.h"

/* thread-self: setns() is per thread, so the "current" netns is the
 * calling thread's, not the process leader's. */
#define SELF_NETNS "/proc/thread-self/ns/net"

int vmnet_netns_open(const char *path, int *ret_fd, struct vmnet_err *err)
{
	_cleanup_close_ int fd = -1;
	int type;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "opening netns %s", path);
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0) {
		/* ENOTTY: not an nsfs file at all (a plain file, a directory). */
		if (errno == ENOTTY || errno == EINVAL)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, 0,
					     "opening netns %s: not a namespace", path);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "opening netns %s", path);
	}
	if (type != CLONE_NEWNET)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, 0,
				     "opening netns %s: not a network namespace", path);
	*ret_fd = steal_fd(fd);
	return 0;
}

int vmnet_netns_enter(int nsfd, int *ret_origin_fd, struct vmnet_err *err)
{
	_cleanup_close_ int origin = -1;

	origin = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (origin < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "opening current netns");
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "entering netns");
	*ret_origin_fd = steal_fd(origin);
	return 0;
}

void vmnet_netns_leave(int origin_fd)
{
	if (origin_fd < 0)
		return;
	if (setns(origin_fd, CLONE_NEWNET) < 0) {
		/* Anything we did next would hit the wrong namespace. */
		log_debug("cannot return to the original netns: %m");
		abort();
	}
	close(origin_fd);
}

int vmnet_netns_is_current(int nsfd)
{
	struct stat a, b;

	if (fstat(nsfd, &a) < 0)
		return -errno;
	if (stat(SELF_NETNS, &b) < 0)
		return -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}
