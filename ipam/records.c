/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmnet/cni.h"
#include "vmnet/common.h"
#include "vmnet/err.h"
#include "vmnet/names.h"
#include "vmnet/pool.h"
#include "disk.h"

/* host-local's record: "<id>\r\n<ifname>", or only "<id>" before v0.8.
 * Anything else (empty, garbage) names no owner. */
static int parse_record(char *buf, struct vmnet_ipam_owner *ret)
{
	char *sep = strstr(buf, "\r\n"), *id, *ifn = "";

	if (sep) {
		*sep = '\0';
		ifn = disk_trim(sep + 2);
	}
	id = disk_trim(buf);
	if (!vmnet_name_valid_containerid(id) || (*ifn && !vmnet_name_valid_ifname(ifn)))
		return -EBADMSG;
	strcpy(ret->id, id);
	strcpy(ret->ifname, ifn);
	return 0;
}

bool disk_record_name(const char *name, vmnet_ipam_ip *ret)
{
	char canon[VMNET_ADDRSTRLEN];

	return vmnet_ipam_ip_parse(name, ret) == 0 &&
	       !strcmp(vmnet_ipam_ip_fmt(*ret, canon), name);
}

int disk_record_read(struct vmnet_ipam_disk *d, vmnet_ipam_ip ip, struct vmnet_ipam_owner *ret)
{
	char name[VMNET_ADDRSTRLEN], buf[RECORD_MAX];
	ssize_t n = disk_read_at(d->dfd, vmnet_ipam_ip_fmt(ip, name), buf, sizeof(buf));

	/* A symlink (O_NOFOLLOW) or a directory planted as a reservation
	 * names no owner either. */
	if (n == -ELOOP || n == -EISDIR)
		return -EBADMSG;
	if (n < 0)
		return (int)n;
	return parse_record(buf, ret);
}

/* Only under the store's lock, where no writer can be half-way through a
 * reservation: an ownerless one is a leftover or damage, never in use. */
int disk_sweep(struct vmnet_ipam_disk *d)
{
	int fd = openat(d->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *dir;
	int n = 0;

	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((de = readdir(dir))) {
		struct vmnet_ipam_owner o;
		vmnet_ipam_ip a;

		if (!disk_record_name(de->d_name, &a) || disk_record_read(d, a, &o) != -EBADMSG)
			continue;
		if (unlinkat(d->dfd, de->d_name, 0) == 0) {
			disk_maps_mark(d, a, false);
			n++;
		}
	}
	closedir(dir);
	return n;
}

/* ---- owner index ---- */

static void index_name(const struct vmnet_ipam_owner *o, char buf[17])
{
	snprintf(buf, 17, "%016" PRIx64, vmnet_hash(o->id, o->ifname, "ipam"));
}

/* The header of an index file, "<id>\n<ifname or ->\n", into @ret. */
static int index_header(char *buf, char **save, struct vmnet_ipam_owner *ret)
{
	char *id = strtok_r(buf, "\n", save), *ifn = id ? strtok_r(NULL, "\n", save) : NULL;

	if (!id || !ifn || !vmnet_name_valid_containerid(id) ||
	    (strcmp(ifn, "-") && !vmnet_name_valid_ifname(ifn)))
		return -EBADMSG;
	snprintf(ret->id, sizeof(ret->id), "%s", id);
	snprintf(ret->ifname, sizeof(ret->ifname), "%s", strcmp(ifn, "-") ? ifn : "");
	return 0;
}

int disk_index_owner(struct vmnet_ipam_disk *d, const char *name, struct vmnet_ipam_owner *ret)
{
	char buf[INDEX_MAX], *save = NULL;
	ssize_t n = disk_read_at(d->ofd, name, buf, sizeof(buf));

	if (n < 0 || strlen(buf) != (size_t)n)
		return -EBADMSG;
	return index_header(buf, &save, ret);
}

/* Parse an index file. Its header must name @o; another owner whose hash
 * is the same (a 64-bit collision) holds nothing here. A file that is not
 * what we write (bad header, a header that does not hash to the file's
 * name, a line that is no address) is damaged: -EBADMSG, and the caller
 * rebuilds the index from the reservation files. */
int disk_index_read(struct vmnet_ipam_disk *d, const struct vmnet_ipam_owner *o,
		    vmnet_ipam_ip *ips, unsigned max)
{
	char name[17], hname[17], buf[INDEX_MAX], *save = NULL, *line;
	struct vmnet_ipam_owner h;
	ssize_t n;
	unsigned cnt = 0;

	index_name(o, name);
	n = disk_read_at(d->ofd, name, buf, sizeof(buf));
	if (n == -ENOENT)
		return 0;
	if (n == -ELOOP || n == -EISDIR || (n >= 0 && strlen(buf) != (size_t)n))
		return -EBADMSG;
	if (n < 0)
		return (int)n;
	if (index_header(buf, &save, &h) < 0)
		return -EBADMSG;
	index_name(&h, hname);
	if (strcmp(hname, name))
		return -EBADMSG;
	if (strcmp(h.id, o->id) || strcmp(h.ifname, o->ifname))
		return 0;
	while ((line = strtok_r(NULL, "\n", &save))) {
		vmnet_ipam_ip a;

		if (vmnet_ipam_ip_parse(line, &a) < 0)
			return -EBADMSG;
		if (cnt < max)
			ips[cnt++] = a;
	}
	return (int)cnt;
}

int disk_index_add(struct vmnet_ipam_disk *d, const struct vmnet_ipam_owner *o, vmnet_ipam_ip ip)
{
	char name[17], line[VMNET_ADDRSTRLEN + 1], abuf[VMNET_ADDRSTRLEN];
	_cleanup_close_ int fd = -1;
	int len;

	index_name(o, name);
	len = snprintf(line, sizeof(line), "%s\n", vmnet_ipam_ip_fmt(ip, abuf));
	fd = openat(d->ofd, name, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		char buf[RECORD_MAX + sizeof(line)];

		/* A new owner: its whole file at once, from the store's inode
		 * pool when it has one. "-" stands for an empty ifname so the
		 * line is never blank. */
		snprintf(buf, sizeof(buf), "%s\n%s\n%s", o->id, o->ifname[0] ? o->ifname : "-",
			 line);
		return disk_create_whole(d->pfd, d->ofd, name, buf, strlen(buf), 0600);
	}
	if (fd < 0)
		return -errno;
	if (write(fd, line, (size_t)len) != len)
		return -EIO;
	return 0;
}

int disk_index_remove(struct vmnet_ipam_disk *d, const struct vmnet_ipam_owner *o, vmnet_ipam_ip ip)
{
	vmnet_ipam_ip ips[64];
	char name[17], buf[INDEX_MAX], abuf[VMNET_ADDRSTRLEN];
	int n = disk_index_read(d, o, ips, ARRAY_SIZE(ips)), len, keep = 0;

	if (n < 0)
		return n;
	index_name(o, name);
	len = snprintf(buf, sizeof(buf), "%s\n%s\n", o->id, o->ifname[0] ? o->ifname : "-");
	for (int i = 0; i < n; i++) {
		if (ips[i] == ip)
			continue;
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "%s\n",
				vmnet_ipam_ip_fmt(ips[i], abuf));
		keep++;
	}
	if (!keep) {
		int r = vmnet_pool_give(d->ofd, name, d->pfd);

		return r == -ENOENT ? 0 : r;
	}
	/* Rewrite in place: we hold the lock, and a torn write only happens
	 * with a crash, which the stamp turns into a rebuild. */
	return disk_put_small(d->ofd, name, buf, (size_t)len, 0600, false);
}

/* One scan of the records rebuilds the owner index; free-maps are dropped
 * and refilled lazily from names. */
int disk_rebuild(struct vmnet_ipam_disk *d, struct vmnet_err *err)
{
	int fd, r;
	struct dirent *de;
	DIR *dir;

	if ((r = disk_clear_dir(d->ofd, false)) < 0 || (r = disk_clear_dir(d->vfd, true)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "clearing the index");
	fd = openat(d->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "listing the data directory");
	}
	while ((de = readdir(dir))) {
		struct vmnet_ipam_owner o;
		vmnet_ipam_ip a;

		if (!disk_record_name(de->d_name, &a) || disk_record_read(d, a, &o) < 0)
			continue;
		if ((r = disk_index_add(d, &o, a)) < 0) {
			closedir(dir);
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "writing the owner index");
		}
	}
	closedir(dir);
	d->rebuilds++;
	return 0;
}
