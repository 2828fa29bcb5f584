/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "vmnet/common.h"
#include "vmnet/pool.h"
#include "disk.h"

ssize_t disk_read_at(int dfd, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/* Where O_TMPFILE works (ext4, xfs, btrfs, tmpfs), the file gets its name
 * only once its content is written: linkat() fails with EEXIST like an
 * O_EXCL create would, and a crash before it leaves nothing at all. */
static int create_tmpfile(int dirfd, const char *name, const char *buf, size_t len, mode_t mode)
{
	_cleanup_close_ int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
	char proc[64];

	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len)
		return errno ? -errno : -EIO;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) < 0)
		return -errno;
	return 0;
}

/* From the store's inode pool (include/vmnet/pool.h): filled, then named by
 * one rename that fails like an O_EXCL create would. A crash in between
 * leaves the entry in the pool, where no reader takes it for a reservation.
 * -ENOENT when the pool is empty. */
static int create_pooled(int pfd, int dirfd, const char *name, const char *buf, size_t len,
			 mode_t mode)
{
	char pname[VMNET_POOL_NAME_MAX];
	_cleanup_close_ int fd = pfd >= 0 ? vmnet_pool_take(pfd, pname) : -ENOENT;
	int r;

	if (fd < 0)
		return fd;
	r = vmnet_pool_write(fd, buf, len);
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0 && renameat2(pfd, pname, dirfd, name, RENAME_NOREPLACE) < 0)
		r = -errno;
	if (r < 0)
		vmnet_pool_write(fd, "\n", 1);	/* a spare again */
	return r;
}

int disk_create_whole(int pfd, int dirfd, const char *name, const char *buf, size_t len,
		      mode_t mode)
{
	_cleanup_close_ int fd = -1;
	int r = create_pooled(pfd, dirfd, name, buf, len, mode);

	if (r == 0 || r == -EEXIST)
		return r;
	r = create_tmpfile(dirfd, name, buf, len, mode);
	if (r != -EOPNOTSUPP && r != -EISDIR && r != -ENOENT)
		return r;
	/* No O_TMPFILE here (or no /proc): host-local's way, undone on a
	 * short write; a crash in between leaves an empty file, which
	 * records.c reads as "no owner" and DEL and GC remove. */
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len) {
		r = errno ? -errno : -EIO;
		unlinkat(dirfd, name, 0);
		return r;
	}
	return 0;
}

char *disk_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}


/* Replace a small file's content in place. Not O_TRUNC: on ext4 truncating
 * a recently written file to zero forces its data out (auto_da_alloc),
 * which costs milliseconds on every ADD; shrinking to the new length after
 * the write does not. */
int disk_put_small(int dirfd, const char *name, const char *buf, size_t len, mode_t mode,
		     bool create)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0),
			mode);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (pwrite(fd, buf, len, 0) != (ssize_t)len || ftruncate(fd, (off_t)len) < 0)
		r = errno ? -errno : -EIO;
	close(fd);
	return r;
}

/* ---- free-map ---- */

int disk_clear_dir(int dfd, bool maps_only)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *dir;

	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((de = readdir(dir)))
		if (de->d_type != DT_DIR && (maps_only ? !strncmp(de->d_name, "map.", 4)
						       : de->d_name[0] != '.'))
			unlinkat(dfd, de->d_name, 0);
	closedir(dir);
	return 0;
}
