/* SPDX-License-Identifier: MIT */
/*
 * Inode pools (include/vmnet/pool.h). The folder is read with
 * vmnet_fs_each_name's small buffer: a pool holds a few dozen short names.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmnet/common.h"
#include "vmnet/fs.h"
#include "vmnet/pool.h"

#define SPARE_TEXT "\n"

int vmnet_pool_open(int dfd, const char *name, bool create)
{
	return vmnet_fs_open_dir(dfd, name, create);
}

struct take {
	char *name;
	int fd;
};

static int take_one(int pfd, const char *name, void *data)
{
	struct take *t = data;
	struct stat st;
	int fd;

	if (strlen(name) >= VMNET_POOL_NAME_MAX)
		return 0;
	fd = openat(pfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return 0;
	/* Only a plain file with no other name: nothing planted (a FIFO, a
	 * hard link to a file elsewhere) is ever written through. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		close(fd);
		return 0;
	}
	strcpy(t->name, name);
	t->fd = fd;
	return 1;
}

int vmnet_pool_take(int pfd, char name[VMNET_POOL_NAME_MAX])
{
	struct take t = { name, -1 };
	int r = vmnet_fs_each_name(pfd, false, take_one, &t);

	if (r < 0)
		return r;
	return r ? t.fd : -ENOENT;
}

int vmnet_pool_write(int fd, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = pwrite(fd, buf + off, len - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (size_t)n;
	}
	/* Shrink after the write, never to zero first (see pool.h). */
	return ftruncate(fd, (off_t)len) < 0 ? -errno : 0;
}

static int count_one(int pfd, const char *name, void *data)
{
	unsigned *c = data;

	(void)pfd;
	(void)name;
	return --c[1] == 0;
}

unsigned vmnet_pool_count(int pfd, unsigned max)
{
	unsigned c[2] = { max, max };

	if (!max || vmnet_fs_each_name(pfd, false, count_one, c) < 0)
		return 0;
	return c[0] - c[1];
}

/* @fd as a spare, named by its inode number in @pfd, then emptied to one
 * newline: renamed first, so a crash leaves either the file under its name,
 * whole, or a spare with stale bytes, never a damaged file under its name. */
static int park_spare(int fd, int dfd, const char *name, int pfd)
{
	char spare[VMNET_POOL_NAME_MAX];
	struct stat st;

	/* Not while a reader holds it (records: a shared flock, see
	 * lib/record_write.c), nor anything but a plain file with one name. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
		return -EINVAL;
	snprintf(spare, sizeof(spare), "%" PRIu64, (uint64_t)st.st_ino);
	if (renameat2(dfd, name, pfd, spare, RENAME_NOREPLACE) < 0)
		return -errno;
	vmnet_pool_write(fd, SPARE_TEXT, strlen(SPARE_TEXT));
	return 0;
}

int vmnet_pool_give(int dfd, const char *name, int pfd)
{
	if (pfd >= 0 && vmnet_pool_count(pfd, VMNET_POOL_KEEP) < VMNET_POOL_KEEP) {
		int fd = openat(dfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

		if (fd < 0 && errno == ENOENT)
			return -ENOENT;
		if (fd >= 0) {
			int r = park_spare(fd, dfd, name, pfd);

			close(fd);
			if (r == 0)
				return 0;
		}
	}
	return unlinkat(dfd, name, 0) < 0 ? -errno : 0;
}

/* One new entry, whole before takers see it: made and written under a name
 * starting with '.', which they skip (vmnet_fs_each_name), then renamed to
 * @name. Made visible empty and written after, a taker holding the
 * folder's lock could take it in between and have its content's first
 * byte overwritten by our newline: an IPAM reservation naming no owner,
 * that no DEL releases. 0, -EEXIST (@name taken), or -errno. */
static int make_spare(int pfd, const char *name)
{
	char tmp[VMNET_POOL_NAME_MAX + 1];
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), ".%s", name);
	fd = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, SPARE_TEXT, strlen(SPARE_TEXT)) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && renameat2(pfd, tmp, pfd, name, RENAME_NOREPLACE) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(pfd, tmp, 0);
	return r;
}

/* A filler killed between its create and its rename leaves a dot entry:
 * those of other processes go (one filler per pool: netd). */
static int sweep_one(int pfd, const char *name, void *data)
{
	const char *mine = data;

	if (name[0] == '.' && name[1] == 'n' && strncmp(name, mine, strlen(mine)))
		unlinkat(pfd, name, 0);
	return 0;
}

int vmnet_pool_fill(int pfd, unsigned target)
{
	static unsigned k;
	unsigned have = vmnet_pool_count(pfd, target), made = 0;
	char mine[VMNET_POOL_NAME_MAX];
	int err = 0;

	if (have >= target)
		return 0;
	snprintf(mine, sizeof(mine), ".n%ld.", (long)getpid());
	vmnet_fs_each_name(pfd, true, sweep_one, mine);
	while (have + made < target) {
		char name[VMNET_POOL_NAME_MAX];
		int r;

		snprintf(name, sizeof(name), "n%ld.%u", (long)getpid(), k++);
		r = make_spare(pfd, name);
		if (r == -EEXIST)
			continue;
		if (r < 0) {
			err = r;
			break;
		}
		made++;
	}
	return made || !err ? (int)made : err;
}

static int unlink_one(int pfd, const char *name, void *data)
{
	(void)data;
	unlinkat(pfd, name, 0);
	return 0;
}

void vmnet_pool_drop(int dfd, const char *name)
{
	int pfd = vmnet_pool_open(dfd, name, false);

	if (pfd < 0)
		return;
	vmnet_fs_each_name(pfd, true, unlink_one, NULL);
	close(pfd);
	unlinkat(dfd, name, AT_REMOVEDIR);
}
