/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmnet/fs.h"
#include "vmnet/common.h"

/* The common case is a folder that exists: one mkdir says so (EEXIST).
 * Only a missing parent (ENOENT) walks the path from the top, as mkdir -p
 * does; every call of a plugin makes its state and IPAM folders sure. */
int vmnet_fs_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -errno;
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

int vmnet_fs_open_dir(int dfd, const char *name, bool create)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

	if (fd >= 0 || errno != ENOENT || !create)
		return fd >= 0 ? fd : -errno;
	if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return fd >= 0 ? fd : -errno;
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
