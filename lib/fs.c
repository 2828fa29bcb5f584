/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/param.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmnet/fs.h"
#include "vmnet/common.h"

/* A holder that lets go without closing (host-local unlocks, then exits)
 * is seen at the latest this long after. */
#define CLOSE_WAIT_MS 20

int vmnet_fs_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static long ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* An inotify descriptor told of every close of the file @fd is open on, or
 * -1 (no inotify instance left for this user, no /proc): the caller naps. */
static int watch_closes(int fd)
{
	char path[64];
	int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

	if (in < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (inotify_add_watch(in, path, IN_CLOSE_WRITE | IN_CLOSE_NOWRITE) < 0) {
		close(in);
		return -1;
	}
	return in;
}

/* Sleep until the watched file is closed or @ms pass; the events only wake
 * us, so they are read and dropped. */
static void wait_close(int in, long ms)
{
	struct pollfd p = { .fd = in, .events = POLLIN };
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	if (poll(&p, 1, (int)ms) > 0)
		while (read(in, buf, sizeof(buf)) > 0)
			;
}

int vmnet_fs_lock_wait(int fd, int timeout_ms)
{
	struct timespec start, nap = { 0, 200 * 1000 };
	_cleanup_close_ int in = -1;
	long waited;

	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK && errno != EINTR)
		return -errno;
	/* Watched before the next try: a holder that lets go after it is
	 * seen, one that let go before it leaves the lock to that try. */
	in = watch_closes(fd);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		waited = ms_since(&start);
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		if (in >= 0) {
			wait_close(in, MIN(timeout_ms - waited, (long)CLOSE_WAIT_MS));
			continue;
		}
		if (waited >= 20 && nap.tv_nsec < 20 * 1000 * 1000)
			nap.tv_nsec += 2 * 1000 * 1000;
		nanosleep(&nap, NULL);
	}
}

int vmnet_fs_each_name(int dfd, bool dots, int (*fn)(int dfd, const char *name, void *data),
		       void *data)
{
	char buf[1024];
	ssize_t n;

	if (lseek(dfd, 0, SEEK_SET) < 0)
		return -errno;
	while ((n = getdents64(dfd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);
			const char *name = de->d_name;
			int r;

			off += de->d_reclen;
			if (!strcmp(name, ".") || !strcmp(name, "..") || (!dots && name[0] == '.'))
				continue;
			r = fn(dfd, name, data);
			if (r)
				return r;
		}
	}
	return n < 0 ? -errno : 0;
}
