/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "vmnet/err.h"
#include "vmnet/fs.h"
#include "vmnet/ipam.h"
#include "vmnet/names.h"
#include "vmnet/pool.h"
#include "disk.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- ops ---- */

static int d_reserve(struct vmnet_ipam_store *s, vmnet_ipam_ip ip, const struct vmnet_ipam_owner *o,
		     struct vmnet_err *err)
{
	struct vmnet_ipam_disk *d = D(s);
	char name[VMNET_ADDRSTRLEN], buf[RECORD_MAX];
	int len, r;

	vmnet_ipam_ip_fmt(ip, name);
	len = snprintf(buf, sizeof(buf), "%s\r\n%s", o->id, o->ifname);
	r = disk_create_whole(d->pfd, d->dfd, name, buf, (size_t)len, 0600);
	if (r == -EEXIST) {
		/* Someone else (host-local?) holds it: remember, move on. */
		disk_maps_mark(d, ip, true);
		return -EEXIST;
	}
	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "creating %s", name);
	disk_maps_mark(d, ip, true);
	if (disk_index_add(d, o, ip) < 0)
		d->broken = true;	/* the next open rebuilds the index */
	return 0;
}

static int d_release(struct vmnet_ipam_store *s, vmnet_ipam_ip ip, const struct vmnet_ipam_owner *o,
		     struct vmnet_err *err)
{
	struct vmnet_ipam_disk *d = D(s);
	struct vmnet_ipam_owner cur;
	char name[VMNET_ADDRSTRLEN];
	int r = disk_record_read(d, ip, &cur);

	vmnet_ipam_ip_fmt(ip, name);
	/* A reservation that names no owner (a crash mid-write, damage) is
	 * freed by the owner the index says holds it. */
	if (r == -EBADMSG ||
	    (r == 0 && !strcmp(cur.id, o->id) && (!cur.ifname[0] || !strcmp(cur.ifname, o->ifname)))) {
		r = vmnet_pool_give(d->dfd, name, d->pfd);
		if (r < 0 && r != -ENOENT)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "removing %s", name);
		disk_maps_mark(d, ip, false);
	} else if (r < 0 && r != -ENOENT) {
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "reading %s", name);
	}
	if (disk_index_remove(d, o, ip) < 0)
		d->broken = true;
	return 0;
}

static int d_owner(struct vmnet_ipam_store *s, vmnet_ipam_ip ip, struct vmnet_ipam_owner *ret,
		   struct vmnet_err *err)
{
	int r = disk_record_read(D(s), ip, ret);

	if (r == -EBADMSG) {
		/* Taken, by something that wrote no owner. */
		strcpy(ret->id, "?");
		ret->ifname[0] = '\0';
		return 0;
	}
	if (r < 0 && r != -ENOENT)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "reading the record of an address");
	return r;
}

static int d_find(struct vmnet_ipam_store *s, const struct vmnet_ipam_owner *o, vmnet_ipam_ip *ips,
		  unsigned max, struct vmnet_err *err)
{
	int r = disk_index_read(D(s), o, ips, max);

	/* A damaged index is rebuilt from the reservation files, which
	 * stay the truth, and read again. */
	if (r == -EBADMSG) {
		if ((r = disk_rebuild(D(s), err)) < 0)
			return r;
		r = disk_index_read(D(s), o, ips, max);
	}
	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "reading the owner index");
	return r;
}

static int d_rescan(struct vmnet_ipam_store *s, struct vmnet_err *err)
{
	return disk_rebuild(D(s), err);
}

static int d_sweep(struct vmnet_ipam_store *s, struct vmnet_err *err)
{
	int r = disk_sweep(D(s));

	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "removing ownerless reservations");
	return r;
}

/* IPv6: no free-map; probe forward, one fstatat per block whose base is
 * reserved, so the cost is bounded by the reservations, not the subnet. */
static int next_free6(struct vmnet_ipam_disk *d, vmnet_ipam_ip from, vmnet_ipam_ip hi,
		      vmnet_ipam_ip step, vmnet_ipam_ip *ret, struct vmnet_err *err)
{
	char name[VMNET_ADDRSTRLEN];
	struct stat st;

	for (vmnet_ipam_ip b = from; b <= hi && hi - b >= step - 1; b += step) {
		if (fstatat(d->dfd, vmnet_ipam_ip_fmt(b, name), &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "reading %s", name);
			*ret = b;
			return 0;
		}
		if (b > VMNET_IPAM_IP_MAX - step)
			break;
	}
	return -ENOSPC;
}

static int d_next_free(struct vmnet_ipam_store *s, const struct vmnet_ipam_prefix *sub,
		       vmnet_ipam_ip from, vmnet_ipam_ip hi, vmnet_ipam_ip vstep, vmnet_ipam_ip *ret,
		       struct vmnet_err *err)
{
	const unsigned step = (unsigned)vstep;
	const uint64_t smask = ((uint64_t)1 << step) - 1;
	struct map *m;
	uint64_t off, end;
	int r;

	if (from > hi || !vmnet_ipam_prefix_contains(sub, from) ||
	    !vmnet_ipam_prefix_contains(sub, hi))
		return -ENOSPC;
	if (!vmnet_ipam_ip_is4(sub->addr))
		return next_free6(D(s), from, hi, vstep, ret, err);
	if ((r = disk_map_get(D(s), sub, &m, err)) < 0)
		return r;
	end = (uint64_t)(hi - sub->addr);
	for (off = (uint64_t)(from - sub->addr); off + step - 1 <= end;) {
		uint64_t w = m->bits[off / 64];

		/* Whole words of taken addresses cost one compare: this is
		 * what keeps a crowded /16 fast. step divides 64. */
		if (w == UINT64_MAX) {
			off = (off / 64 + 1) * 64;
			continue;
		}
		if (((w >> (off % 64)) & smask) == 0) {
			*ret = sub->addr + off;
			return 0;
		}
		off += step;
	}
	return -ENOSPC;
}

static int d_refresh(struct vmnet_ipam_store *s, const struct vmnet_ipam_prefix *sub,
		     struct vmnet_err *err)
{
	struct map *m;
	int r;

	if (!vmnet_ipam_ip_is4(sub->addr))
		return 0;	/* nothing cached */
	if ((r = disk_map_get(D(s), sub, &m, err)) < 0)
		return r;
	if ((r = disk_map_fill(D(s), m)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "listing the data directory");
	return 0;
}

static int d_last_get(struct vmnet_ipam_store *s, unsigned set, vmnet_ipam_ip *ret)
{
	char name[32], buf[64];
	ssize_t n;

	snprintf(name, sizeof(name), "last_reserved_ip.%u", set);
	n = disk_read_at(D(s)->dfd, name, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return vmnet_ipam_ip_parse(disk_trim(buf), ret) < 0 ? -ENOENT : 0;
}

static int d_last_set(struct vmnet_ipam_store *s, unsigned set, vmnet_ipam_ip ip,
		      struct vmnet_err *err)
{
	char name[32], buf[VMNET_ADDRSTRLEN];
	size_t len;
	int r;

	snprintf(name, sizeof(name), "last_reserved_ip.%u", set);
	vmnet_ipam_ip_fmt(ip, buf);
	len = strlen(buf);
	r = disk_put_small(D(s)->dfd, name, buf, len, 0644, true);
	/* A symlink planted in its place is not ours to write through:
	 * replace it with the file. */
	if (r == -ELOOP && unlinkat(D(s)->dfd, name, 0) == 0)
		r = disk_put_small(D(s)->dfd, name, buf, len, 0644, true);
	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "writing %s", name);
	return 0;
}

static int d_owners(struct vmnet_ipam_store *s,
		    int (*cb)(const struct vmnet_ipam_owner *o, void *u), void *u,
		    struct vmnet_err *err)
{
	struct vmnet_ipam_disk *d = D(s);
	_cleanup_free_ struct vmnet_ipam_owner *list = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int fd, r = 0;

	/* Collect first: the callback releases, which edits the directory. */
	fd = openat(d->ofd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "listing the owner index");
	}
	while ((de = readdir(dir))) {
		struct vmnet_ipam_owner o;

		if (de->d_name[0] == '.' || disk_index_owner(d, de->d_name, &o) < 0)
			continue;
		if (n == cap) {
			struct vmnet_ipam_owner *nl;

			cap = cap ? cap * 2 : 64;
			nl = realloc(list, cap * sizeof(*list));
			if (!nl) {
				closedir(dir);
				return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "listing owners");
			}
			list = nl;
		}
		list[n++] = o;
	}
	closedir(dir);
	for (size_t i = 0; i < n && r >= 0; i++)
		r = cb(&list[i], u);
	return r;
}

static const struct vmnet_ipam_store_ops disk_ops = {
	.reserve = d_reserve,
	.release = d_release,
	.owner = d_owner,
	.find = d_find,
	.next_free = d_next_free,
	.refresh = d_refresh,
	.last_get = d_last_get,
	.last_set = d_last_set,
	.owners = d_owners,
	.rescan = d_rescan,
	.sweep = d_sweep,
};

/* ---- open/close ---- */

/* The directory's mtime tells whether anyone changed the records since our
 * last operation, but only at the kernel's coarse clock tick (a jiffy): a
 * host-local reserve landing in the same tick as our last change would go
 * unnoticed. So on close we set the mtime one second into the past; any
 * later create or unlink stamps the current time, which cannot match. */
static void stamp_of(int dfd, char buf[128])
{
	struct stat st;

	if (fstat(dfd, &st) < 0) {
		strcpy(buf, "?");
		return;
	}
	snprintf(buf, 128, "%lld.%09ld %lld %llu\n", (long long)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec, (long long)st.st_size, (unsigned long long)st.st_ino);
}

static void backdate(int dfd)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT } };

	clock_gettime(CLOCK_REALTIME, &ts[1]);
	ts[1].tv_sec -= 1;
	futimens(dfd, ts);
}

int vmnet_ipam_disk_open(const char *dir, const char *net, int timeout_ms,
			 struct vmnet_ipam_disk **ret, struct vmnet_err *err)
{
	_cleanup_(vmnet_ipam_disk_closep) struct vmnet_ipam_disk *d = NULL;
	char path[PATH_MAX], cur[128], old[128];
	ssize_t n;
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", dir, net) >= (int)sizeof(path))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, ENAMETOOLONG, "ipam.dataDir: too long");
	d = calloc(1, sizeof(*d));
	if (!d)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "opening the store");
	d->base.ops = &disk_ops;
	d->dfd = d->lockfd = d->vfd = d->ofd = d->pfd = -1;
	d->broken = true;	/* until open completes, close must not stamp */
	r = vmnet_fs_mkdir_p(path, 0755);
	if (r >= 0 && (d->dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		r = -errno;
	/* A dataDir (or network folder) that is a file or a symlink is a
	 * configuration error, not the system's. */
	if (r == -ENOTDIR || r == -ELOOP || r == -EEXIST)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, -r,
				     "ipam.dataDir: %s is not a directory", path);
	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "opening %s", path);
	/* Same file and flock() as host-local's go-filemutex. */
	d->lockfd = openat(d->dfd, "lock", O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d->lockfd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "opening %s/lock", path);
	r = vmnet_fs_lock_wait(d->lockfd, timeout_ms);
	if (r == -ETIMEDOUT)
		return vmnet_err_set(err, CNI_ERR_TRY_AGAIN, ETIMEDOUT,
				     "%s/lock is held by another process for more than %d ms",
				     path, timeout_ms);
	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "locking %s/lock", path);
	d->vfd = vmnet_fs_open_dir(d->dfd, ".vmnet", true);
	d->ofd = d->vfd < 0 ? d->vfd : vmnet_fs_open_dir(d->vfd, "o", true);
	if (d->ofd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -d->ofd, "creating %s/.vmnet", path);
	/* Without a pool the store still works: every file then gets a new
	 * inode, as host-local's do. */
	d->pfd = vmnet_pool_open(d->dfd, VMNET_IPAM_POOL, true);

	stamp_of(d->dfd, cur);
	n = disk_read_at(d->vfd, "stamp", old, sizeof(old));
	if (n < 0 || strcmp(cur, old)) {
		if ((r = disk_rebuild(d, err)) < 0)
			return r;
	}
	d->broken = false;
	*ret = steal_ptr(d);
	return 0;
}

struct vmnet_ipam_store *vmnet_ipam_disk_store(struct vmnet_ipam_disk *d)
{
	return &d->base;
}

unsigned vmnet_ipam_disk_rebuilds(const struct vmnet_ipam_disk *d)
{
	return d->rebuilds;
}

void vmnet_ipam_disk_close(struct vmnet_ipam_disk *d)
{
	if (!d)
		return;
	if (d->vfd >= 0) {
		if (d->broken) {
			unlinkat(d->vfd, "stamp", 0);
		} else {
			char st[128];

			backdate(d->dfd);
			stamp_of(d->dfd, st);
			if (disk_put_small(d->vfd, "stamp", st, strlen(st), 0600, true) < 0)
				unlinkat(d->vfd, "stamp", 0);
		}
	}
	for (unsigned i = 0; i < d->n_maps; i++)
		munmap(d->maps[i].bits, d->maps[i].size);
	close_fd(&d->pfd);
	close_fd(&d->ofd);
	close_fd(&d->vfd);
	close_fd(&d->dfd);
	close_fd(&d->lockfd);	/* releases the flock, last */
	free(d);
}

int vmnet_ipam_pool_dir(json_t *netconf, char *buf, size_t size)
{
	json_t *ipam = json_object_get(netconf, "ipam");
	const char *type = json_string_value(json_object_get(ipam, "type"));
	const char *dir = json_string_value(json_object_get(ipam, "dataDir"));
	const char *name = json_string_value(json_object_get(netconf, "name"));
	int n;

	if (!type || strcmp(type, "vmnet-ipam"))
		return -ENOENT;
	if (!dir)
		dir = VMNET_IPAM_DIR;
	if (dir[0] != '/' || !name || !vmnet_name_valid_netname(name))
		return -EINVAL;
	n = snprintf(buf, size, "%s/%s/" VMNET_IPAM_POOL, dir, name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
