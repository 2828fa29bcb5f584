/* SPDX-License-Identifier: MIT */
/*
 * vmnet_fs_mkdir_p (lib/fs.c), which now tries the whole path first: an
 * existing folder is a success and keeps its mode; a missing one is made
 * with every missing parent, each with the mode asked for; what stands in
 * the way (a file as a parent, a path too long) is an error, never a
 * success. Without root.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmnet/fs.h"
#include "tap.h"

static char dir[] = "/tmp/vmnet-mkdir.XXXXXX";

static bool is_dir(const char *p, mode_t mode)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == mode;
}

int main(void)
{
	char a[256], ab[256], abc[256], file[256], under[256], trail[256];
	static char longp[PATH_MAX + 16];
	mode_t old = umask(0);
	FILE *f;

	if (!mkdtemp(dir))
		return 1;
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(ab, sizeof(ab), "%s/a/b", dir);
	snprintf(abc, sizeof(abc), "%s/a/b/c", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	snprintf(under, sizeof(under), "%s/file/x", dir);
	snprintf(trail, sizeof(trail), "%s/t/u/", dir);

	ok(vmnet_fs_mkdir_p(abc, 0711) == 0, "a/b/c made with its missing parents");
	ok(is_dir(a, 0711) && is_dir(ab, 0711) && is_dir(abc, 0711),
	   "each made folder has the mode asked for");
	ok(vmnet_fs_mkdir_p(abc, 0700) == 0 && is_dir(abc, 0711),
	   "an existing folder: success, its mode untouched");
	ok(vmnet_fs_mkdir_p(dir, 0700) == 0, "the top folder itself exists: success");
	ok(rmdir(abc) == 0 && vmnet_fs_mkdir_p(abc, 0750) == 0 && is_dir(abc, 0750),
	   "only the last part missing: made");
	ok(vmnet_fs_mkdir_p(trail, 0700) == 0 && is_dir(trail, 0700),
	   "a trailing slash is no obstacle");

	f = fopen(file, "w");
	if (f)
		fclose(f);
	ok(vmnet_fs_mkdir_p(under, 0700) == -ENOTDIR, "a file as a parent: -ENOTDIR (%d)",
	   vmnet_fs_mkdir_p(under, 0700));
	memset(longp, 'x', sizeof(longp) - 1);
	longp[0] = '/';
	ok(vmnet_fs_mkdir_p(longp, 0700) == -ENAMETOOLONG, "a path longer than PATH_MAX: refused");
	ok(vmnet_fs_mkdir_p("", 0700) == -ENOENT, "an empty path: -ENOENT");

	umask(old);
	unlink(file);
	rmdir(trail);
	snprintf(trail, sizeof(trail), "%s/t", dir);
	rmdir(trail);
	rmdir(abc);
	rmdir(ab);
	rmdir(a);
	rmdir(dir);
	return done();
}
