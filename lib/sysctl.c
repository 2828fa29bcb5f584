/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "vmnet/sysctl.h"

/* Turn @key into "/proc/sys/..." in @path. -EINVAL on keys that could leave
 * /proc/sys or are plainly malformed. */
static int key_path(const char *key, char *path, size_t size)
{
	size_t n = strlen(key), dots = 0, first3 = 0, last = 0;
	char *p;

	/* ".." is refused even where it would only be part of a name. */
	if (n == 0 || key[0] == '/' || key[0] == '.' || strstr(key, "..") ||
	    snprintf(path, size, "/proc/sys/%s", key) >= (int)size)
		return -EINVAL;
	p = path + strlen("/proc/sys/");
	if (strchr(p, '/'))
		return 0;

	/* Dotted form. Per-interface keys keep the interface's dots. */
	for (size_t i = 0; p[i]; i++)
		if (p[i] == '.') {
			dots++;
			if (dots == 3)
				first3 = i;
			last = i;
		}
	if (dots >= 4 &&
	    (!strncmp(p, "net.ipv4.conf.", 14) || !strncmp(p, "net.ipv6.conf.", 14) ||
	     !strncmp(p, "net.ipv4.neigh.", 15) || !strncmp(p, "net.ipv6.neigh.", 15))) {
		for (size_t i = 0; i <= first3; i++)
			if (p[i] == '.')
				p[i] = '/';
		p[last] = '/';
		return 0;
	}
	for (; *p; p++)
		if (*p == '.')
			*p = '/';
	return 0;
}

static int read_path(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, size);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -ENOBUFS;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

int vmnet_sysctl_read(const char *key, char *buf, size_t size, struct vmnet_err *err)
{
	char path[512];
	int r;

	if (key_path(key, path, sizeof(path)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "reading sysctl %s: bad key",
				     key);
	r = read_path(path, buf, size);
	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "reading sysctl %s", key);
	return 0;
}

int vmnet_sysctl_write(const char *key, const char *value, struct vmnet_err *err)
{
	_cleanup_close_ int fd = -1;
	char path[512], cur[256];
	size_t len = strlen(value);
	ssize_t n;

	if (key_path(key, path, sizeof(path)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "writing sysctl %s: bad key",
				     key);
	if (read_path(path, cur, sizeof(cur)) == 0 && !strcmp(cur, value))
		return 0;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "writing sysctl %s", key);
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "writing sysctl %s=%s", key,
				     value);
	if ((size_t)n != len)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EIO,
				     "writing sysctl %s=%s: short write", key, value);
	return 0;
}

/* LXD's way: an interface taking router advertisements with accept_ra=1
 * stops when forwarding goes on, and the kernel purges its RA-learned
 * default route at that moment, except where accept_ra is 2. "default" is
 * among the entries, so interfaces created later take 2 as well. */
int vmnet_sysctl_forward6(struct vmnet_err *err)
{
	char key[128], cur[16];
	struct dirent *e;
	DIR *d;
	int r = 0;

	r = vmnet_sysctl_read("net/ipv6/conf/all/forwarding", cur, sizeof(cur), err);
	if (r < 0 || !strcmp(cur, "1"))
		return r;
	d = opendir("/proc/sys/net/ipv6/conf");
	if (!d)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "listing net/ipv6/conf");
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' ||
		    snprintf(key, sizeof(key), "net/ipv6/conf/%s/accept_ra", e->d_name) >=
			    (int)sizeof(key))
			continue;
		/* An interface that went away meanwhile is no error. */
		if (vmnet_sysctl_read(key, cur, sizeof(cur), NULL) < 0 || strcmp(cur, "1"))
			continue;
		r = vmnet_sysctl_write(key, "2", NULL);
		if (r < 0 && r != -ENOENT)
			break;
		r = 0;
	}
	closedir(d);
	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "writing sysctl %s=2", key);
	return vmnet_sysctl_write("net/ipv6/conf/all/forwarding", "1", err);
}
