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
#include "vmnet/names.h"
#include "store.h"

static int put_small(int dirfd, const char *name, const char *buf, size_t len, mode_t mode,
		     bool create);

#define MAX_MAPS 16
#define RECORD_MAX 512	/* "<id>\r\n<ifname>" is at most 256 + 2 + 15 */
#define INDEX_MAX 4096	/* an owner holds at most 8 sets x 4 addresses */

struct map {
	struct vmnet_prefix sub;
	uint64_t *bits;
	size_t size;
};

struct vmnet_ipam_disk {
	struct vmnet_ipam_store base;
	int dfd;	/* <dataDir>/<net> */
	int lockfd;
	int vfd;	/* .vmnet */
	int ofd;	/* .vmnet/o */
	struct map maps[MAX_MAPS];
	unsigned n_maps;
	bool broken;	/* a record exists whose index entry we failed to write */
	unsigned rebuilds;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static struct vmnet_ipam_disk *D(struct vmnet_ipam_store *s)
{
	return (struct vmnet_ipam_disk *)s;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
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

static ssize_t read_at(int dfd, const char *name, char *buf, size_t size)
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

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* host-local's record: "<id>\r\n<ifname>", or only "<id>" before v0.8. */
static int parse_record(char *buf, struct vmnet_ipam_owner *ret)
{
	char *sep = strstr(buf, "\r\n"), *id, *ifn = "";

	if (sep) {
		*sep = '\0';
		ifn = trim(sep + 2);
	}
	id = trim(buf);
	if (!*id || strlen(id) > VMNET_CNI_CONTAINERID_MAX || strlen(ifn) >= IFNAMSIZ)
		return -EBADMSG;
	strcpy(ret->id, id);
	strcpy(ret->ifname, ifn);
	return 0;
}

static int read_record(struct vmnet_ipam_disk *d, uint32_t ip, struct vmnet_ipam_owner *ret)
{
	char name[VMNET_ADDRSTRLEN], buf[RECORD_MAX];
	ssize_t n = read_at(d->dfd, vmnet_ip4_fmt(ip, name), buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return parse_record(buf, ret);
}

/* ---- owner index ---- */

static void index_name(const struct vmnet_ipam_owner *o, char buf[17])
{
	snprintf(buf, 17, "%016" PRIx64, vmnet_hash(o->id, o->ifname, "ipam"));
}

/* Parse an index file: header must name @o (a 64-bit hash collision reads
 * as "holds nothing"). */
static int index_read(struct vmnet_ipam_disk *d, const struct vmnet_ipam_owner *o,
		      uint32_t *ips, unsigned max)
{
	char name[17], buf[INDEX_MAX], *save = NULL, *id, *ifn, *line;
	ssize_t n;
	unsigned cnt = 0;

	index_name(o, name);
	n = read_at(d->ofd, name, buf, sizeof(buf));
	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return (int)n;
	id = strtok_r(buf, "\n", &save);
	ifn = id ? strtok_r(NULL, "\n", &save) : NULL;
	if (!id || !ifn || strcmp(id, o->id) || strcmp(ifn[0] == '-' ? "" : ifn, o->ifname))
		return 0;
	while ((line = strtok_r(NULL, "\n", &save)) && cnt < max) {
		uint32_t a;

		if (vmnet_ip4_parse(line, &a) == 0)
			ips[cnt++] = a;
	}
	return (int)cnt;
}

static int index_add(struct vmnet_ipam_disk *d, const struct vmnet_ipam_owner *o, uint32_t ip)
{
	char name[17], line[VMNET_ADDRSTRLEN + 1], abuf[VMNET_ADDRSTRLEN];
	_cleanup_close_ int fd = -1;
	int len;

	index_name(o, name);
	len = snprintf(line, sizeof(line), "%s\n", vmnet_ip4_fmt(ip, abuf));
	fd = openat(d->ofd, name, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		char hdr[RECORD_MAX];
		int hl;

		fd = openat(d->ofd, name, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		/* "-" stands for an empty ifname so the line is never blank. */
		hl = snprintf(hdr, sizeof(hdr), "%s\n%s\n", o->id, o->ifname[0] ? o->ifname : "-");
		if (write(fd, hdr, (size_t)hl) != hl)
			return -EIO;
	}
	if (fd < 0)
		return -errno;
	if (write(fd, line, (size_t)len) != len)
		return -EIO;
	return 0;
}

static int index_remove(struct vmnet_ipam_disk *d, const struct vmnet_ipam_owner *o, uint32_t ip)
{
	uint32_t ips[64];
	char name[17], buf[INDEX_MAX], abuf[VMNET_ADDRSTRLEN];
	int n = index_read(d, o, ips, ARRAY_SIZE(ips)), len, keep = 0;

	if (n < 0)
		return n;
	index_name(o, name);
	len = snprintf(buf, sizeof(buf), "%s\n%s\n", o->id, o->ifname[0] ? o->ifname : "-");
	for (int i = 0; i < n; i++) {
		if (ips[i] == ip)
			continue;
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "%s\n",
				vmnet_ip4_fmt(ips[i], abuf));
		keep++;
	}
	if (!keep) {
		if (unlinkat(d->ofd, name, 0) < 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	/* Rewrite in place: we hold the lock, and a torn write only happens
	 * with a crash, which the stamp turns into a rebuild. */
	return put_small(d->ofd, name, buf, (size_t)len, 0600, false);
}

/* Replace a small file's content in place. Not O_TRUNC: on ext4 truncating
 * a recently written file to zero forces its data out (auto_da_alloc),
 * which costs milliseconds on every ADD; shrinking to the new length after
 * the write does not. */
static int put_small(int dirfd, const char *name, const char *buf, size_t len, mode_t mode,
		     bool create)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | (create ? O_CREAT : 0), mode);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (pwrite(fd, buf, len, 0) != (ssize_t)len || ftruncate(fd, (off_t)len) < 0)
		r = errno ? -errno : -EIO;
	close(fd);
	return r;
}

/* ---- free-map ---- */

static size_t map_bytes(const struct vmnet_prefix *sub)
{
	size_t n = ((size_t)1 << (32 - sub->len)) / 8;

	return n < 8 ? 8 : n;
}

static void map_set(struct map *m, uint32_t ip, bool taken)
{
	uint32_t off;

	if (!vmnet_prefix_contains(&m->sub, ip))
		return;
	off = ip - m->sub.addr;
	if (taken)
		m->bits[off / 64] |= (uint64_t)1 << (off % 64);
	else
		m->bits[off / 64] &= ~((uint64_t)1 << (off % 64));
}

static void maps_mark(struct vmnet_ipam_disk *d, uint32_t ip, bool taken)
{
	for (unsigned i = 0; i < d->n_maps; i++)
		map_set(&d->maps[i], ip, taken);
}

/* Fill @m from the record names in the directory: one readdir, no reads. */
static int map_fill(struct vmnet_ipam_disk *d, struct map *m)
{
	int fd = openat(d->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *dir;

	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	memset(m->bits, 0, m->size);
	while ((de = readdir(dir))) {
		uint32_t a;

		if (vmnet_ip4_parse(de->d_name, &a) == 0)
			map_set(m, a, true);
	}
	closedir(dir);
	return 0;
}

static int map_get(struct vmnet_ipam_disk *d, const struct vmnet_prefix *sub, struct map **ret,
		   struct vmnet_err *err)
{
	char name[64], abuf[VMNET_ADDRSTRLEN];
	_cleanup_close_ int fd = -1;
	struct map *m;
	struct stat st;
	void *p;
	int r;

	for (unsigned i = 0; i < d->n_maps; i++)
		if (d->maps[i].sub.addr == sub->addr && d->maps[i].sub.len == sub->len) {
			*ret = &d->maps[i];
			return 0;
		}
	if (d->n_maps >= MAX_MAPS)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOSPC, "too many subnets");
	m = &d->maps[d->n_maps];
	m->sub = *sub;
	m->size = map_bytes(sub);
	snprintf(name, sizeof(name), "map.%s_%u", vmnet_ip4_fmt(sub->addr, abuf), sub->len);
	fd = openat(d->vfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &st) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "opening free-map %s", name);
	bool fresh = (size_t)st.st_size != m->size;

	if (fresh && (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)m->size) < 0))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "sizing free-map %s", name);
	p = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "mapping free-map %s", name);
	m->bits = p;
	if (fresh && (r = map_fill(d, m)) < 0) {
		munmap(p, m->size);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "listing %s", "the data directory");
	}
	d->n_maps++;
	*ret = m;
	return 0;
}

/* ---- ops ---- */

static int d_reserve(struct vmnet_ipam_store *s, uint32_t ip, const struct vmnet_ipam_owner *o,
		     struct vmnet_err *err)
{
	struct vmnet_ipam_disk *d = D(s);
	char name[VMNET_ADDRSTRLEN], buf[RECORD_MAX];
	_cleanup_close_ int fd = -1;
	int len;

	vmnet_ip4_fmt(ip, name);
	fd = openat(d->dfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		/* Someone else (host-local?) holds it: remember, move on. */
		maps_mark(d, ip, true);
		return -EEXIST;
	}
	if (fd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "creating %s", name);
	len = snprintf(buf, sizeof(buf), "%s\r\n%s", o->id, o->ifname);
	if (write(fd, buf, (size_t)len) != len) {
		int e = errno ? errno : EIO;

		unlinkat(d->dfd, name, 0);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, e, "writing %s", name);
	}
	maps_mark(d, ip, true);
	if (index_add(d, o, ip) < 0)
		d->broken = true;	/* the next open rebuilds the index */
	return 0;
}

static int d_release(struct vmnet_ipam_store *s, uint32_t ip, const struct vmnet_ipam_owner *o,
		     struct vmnet_err *err)
{
	struct vmnet_ipam_disk *d = D(s);
	struct vmnet_ipam_owner cur;
	char name[VMNET_ADDRSTRLEN];
	int r = read_record(d, ip, &cur);

	vmnet_ip4_fmt(ip, name);
	if (r == 0 && !strcmp(cur.id, o->id) && (!cur.ifname[0] || !strcmp(cur.ifname, o->ifname))) {
		if (unlinkat(d->dfd, name, 0) < 0 && errno != ENOENT)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "removing %s", name);
		maps_mark(d, ip, false);
	} else if (r < 0 && r != -ENOENT && r != -EBADMSG) {
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "reading %s", name);
	}
	if (index_remove(d, o, ip) < 0)
		d->broken = true;
	return 0;
}

static int d_owner(struct vmnet_ipam_store *s, uint32_t ip, struct vmnet_ipam_owner *ret,
		   struct vmnet_err *err)
{
	int r = read_record(D(s), ip, ret);

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

static int d_find(struct vmnet_ipam_store *s, const struct vmnet_ipam_owner *o, uint32_t *ips,
		  unsigned max, struct vmnet_err *err)
{
	int r = index_read(D(s), o, ips, max);

	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "reading the owner index");
	return r;
}

static int d_next_free(struct vmnet_ipam_store *s, const struct vmnet_prefix *sub, uint32_t from,
		       uint32_t hi, unsigned step, uint32_t *ret, struct vmnet_err *err)
{
	const uint64_t smask = ((uint64_t)1 << step) - 1;
	struct map *m;
	uint64_t off, end;
	int r;

	if ((r = map_get(D(s), sub, &m, err)) < 0)
		return r;
	if (from > hi || !vmnet_prefix_contains(sub, from) || !vmnet_prefix_contains(sub, hi))
		return -ENOSPC;
	end = (uint64_t)(hi - sub->addr);
	for (off = from - sub->addr; off + step - 1 <= end;) {
		uint64_t w = m->bits[off / 64];

		/* Whole words of taken addresses cost one compare: this is
		 * what keeps a crowded /16 fast. step divides 64. */
		if (w == UINT64_MAX) {
			off = (off / 64 + 1) * 64;
			continue;
		}
		if (((w >> (off % 64)) & smask) == 0) {
			*ret = sub->addr + (uint32_t)off;
			return 0;
		}
		off += step;
	}
	return -ENOSPC;
}

static int d_refresh(struct vmnet_ipam_store *s, const struct vmnet_prefix *sub,
		     struct vmnet_err *err)
{
	struct map *m;
	int r;

	if ((r = map_get(D(s), sub, &m, err)) < 0)
		return r;
	if ((r = map_fill(D(s), m)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "listing the data directory");
	return 0;
}

static int d_last_get(struct vmnet_ipam_store *s, unsigned set, uint32_t *ret)
{
	char name[32], buf[64];
	ssize_t n;

	snprintf(name, sizeof(name), "last_reserved_ip.%u", set);
	n = read_at(D(s)->dfd, name, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return vmnet_ip4_parse(trim(buf), ret) < 0 ? -ENOENT : 0;
}

static int d_last_set(struct vmnet_ipam_store *s, unsigned set, uint32_t ip,
		      struct vmnet_err *err)
{
	char name[32], buf[VMNET_ADDRSTRLEN];
	size_t len;
	int r;

	snprintf(name, sizeof(name), "last_reserved_ip.%u", set);
	vmnet_ip4_fmt(ip, buf);
	len = strlen(buf);
	r = put_small(D(s)->dfd, name, buf, len, 0644, true);
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
		char buf[RECORD_MAX + 64], *save = NULL, *id, *ifn;

		if (de->d_name[0] == '.' || read_at(d->ofd, de->d_name, buf, sizeof(buf)) < 0)
			continue;
		id = strtok_r(buf, "\n", &save);
		ifn = id ? strtok_r(NULL, "\n", &save) : NULL;
		if (!id || !ifn || strlen(id) > VMNET_CNI_CONTAINERID_MAX || strlen(ifn) >= IFNAMSIZ)
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
		strcpy(list[n].id, id);
		strcpy(list[n].ifname, strcmp(ifn, "-") ? ifn : "");
		n++;
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

static int clear_dir(int dfd, bool maps_only)
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

/* One scan of the records rebuilds the owner index; free-maps are dropped
 * and refilled lazily from names. */
static int rebuild(struct vmnet_ipam_disk *d, struct vmnet_err *err)
{
	int fd, r;
	struct dirent *de;
	DIR *dir;

	if ((r = clear_dir(d->ofd, false)) < 0 || (r = clear_dir(d->vfd, true)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "clearing the index");
	fd = openat(d->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "listing the data directory");
	}
	while ((de = readdir(dir))) {
		struct vmnet_ipam_owner o;
		uint32_t a;

		if (vmnet_ip4_parse(de->d_name, &a) < 0 || read_record(d, a, &o) < 0)
			continue;
		if ((r = index_add(d, &o, a)) < 0) {
			closedir(dir);
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "writing the owner index");
		}
	}
	closedir(dir);
	d->rebuilds++;
	return 0;
}

static int lock_wait(int fd, int timeout_ms)
{
	struct timespec start, now, nap = { 0, 2 * 1000 * 1000 };

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >=
		    timeout_ms)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
		/* Back off to 20 ms so 16 waiters do not spin. */
		if (nap.tv_nsec < 20 * 1000 * 1000)
			nap.tv_nsec += 2 * 1000 * 1000;
	}
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
	d->dfd = d->lockfd = d->vfd = d->ofd = -1;
	d->broken = true;	/* until open completes, close must not stamp */
	if ((r = mkdir_p(path, 0755)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "creating %s", path);
	d->dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dfd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "opening %s", path);
	/* Same file and flock() as host-local's go-filemutex. */
	d->lockfd = openat(d->dfd, "lock", O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	if (d->lockfd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "opening %s/lock", path);
	r = lock_wait(d->lockfd, timeout_ms);
	if (r == -ETIMEDOUT)
		return vmnet_err_set(err, CNI_ERR_TRY_AGAIN, ETIMEDOUT,
				     "%s/lock is held by another process for more than %d ms",
				     path, timeout_ms);
	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "locking %s/lock", path);
	if ((mkdirat(d->dfd, ".vmnet", 0700) < 0 && errno != EEXIST) ||
	    (d->vfd = openat(d->dfd, ".vmnet", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (mkdirat(d->vfd, "o", 0700) < 0 && errno != EEXIST) ||
	    (d->ofd = openat(d->vfd, "o", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "creating %s/.vmnet", path);

	stamp_of(d->dfd, cur);
	n = read_at(d->vfd, "stamp", old, sizeof(old));
	if (n < 0 || strcmp(cur, old)) {
		if ((r = rebuild(d, err)) < 0)
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
			if (put_small(d->vfd, "stamp", st, strlen(st), 0600, true) < 0)
				unlinkat(d->vfd, "stamp", 0);
		}
	}
	for (unsigned i = 0; i < d->n_maps; i++)
		munmap(d->maps[i].bits, d->maps[i].size);
	close_fd(&d->ofd);
	close_fd(&d->vfd);
	close_fd(&d->dfd);
	close_fd(&d->lockfd);	/* releases the flock, last */
	free(d);
}
