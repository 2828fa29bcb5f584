/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmnet/common.h"
#include "vmnet/err.h"
#include "vmnet/fs.h"
#include "vmnet/json.h"
#include "vmnet/names.h"
#include "vmnet/record.h"


int vmnet_record_dir(char *buf, size_t size, const char *state_dir, const char *network)
{
	int n = snprintf(buf, size, "%s/%s", state_dir, network);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int vmnet_record_path(char *buf, size_t size, const char *state_dir, const char *network,
		      const char *cid, const char *ifname)
{
	int n = snprintf(buf, size, "%s/%s/%s@%s.json", state_dir, network, cid, ifname);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

bool vmnet_record_is_tmp_name(const char *name)
{
	size_t n = strlen(name), k = strlen(".json.tmp");

	return name[0] == '.' && n > k + 1 && !strcmp(name + n - k, ".json.tmp");
}

int vmnet_record_lock(const char *state_dir, const char *network, int timeout_ms, int *ret_fd,
		      struct vmnet_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r;

	r = vmnet_record_dir(dir, sizeof(dir), state_dir, network);
	if (r < 0)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, -r, "stateDir %s", state_dir);
	r = vmnet_fs_mkdir_p(dir, 0700);
	if (r < 0)
		return vmnet_err_set(err, CNI_ERR_IO, -r, "creating state directory %s", dir);
	if (snprintf(path, sizeof(path), "%s/.lock", dir) >= (int)sizeof(path))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, ENAMETOOLONG, "stateDir %s",
				     state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return vmnet_err_set(err, CNI_ERR_IO, errno, "opening lock %s", path);
	r = vmnet_fs_lock_wait(fd, timeout_ms);
	if (r == -ETIMEDOUT)
		return vmnet_err_set(err, CNI_ERR_TRY_AGAIN, EWOULDBLOCK,
				     "network %s is busy (lock %s held for %d ms)", network, path,
				     timeout_ms);
	if (r < 0)
		return vmnet_err_set(err, CNI_ERR_IO, -r, "locking %s", path);
	*ret_fd = steal_fd(fd);
	return 0;
}

uint32_t vmnet_record_iso_id(const struct vmnet_record *rec)
{
	uint32_t id;

	if (!rec->iso_label[0])
		return 0;
	id = (uint32_t)vmnet_hash(rec->network, rec->iso_label, "vmnet-group");
	return id ? id : 1;
}

void vmnet_record_clear(struct vmnet_record *rec)
{
	json_decref(rec->ipam_result);
	json_decref(rec->netconf);
	rec->ipam_result = rec->netconf = NULL;
	free(rec->ports);
	rec->ports = NULL;
	rec->n_ports = 0;
}

int vmnet_record_set_ports(struct vmnet_record *rec, const struct vmnet_port *ports, unsigned n)
{
	struct vmnet_port *v = NULL;

	if (n && !(v = malloc(n * sizeof(*v))))
		return -ENOMEM;
	if (n)
		memcpy(v, ports, n * sizeof(*v));
	free(rec->ports);
	rec->ports = v;
	rec->n_ports = n;
	return 0;
}

int vmnet_record_copy(struct vmnet_record *dst, const struct vmnet_record *src)
{
	*dst = *src;
	dst->ports = NULL;
	dst->n_ports = 0;
	dst->ipam_result = dst->netconf = NULL;
	if (vmnet_record_set_ports(dst, src->ports, src->n_ports) < 0)
		return -ENOMEM;
	dst->ipam_result = json_incref(src->ipam_result);
	dst->netconf = json_incref(src->netconf);
	return 0;
}

/* Open the record at @path for reading, shared-locked and still the record
 * (see record_write.c): the writer never fills an inode a
 * reader holds this way. -errno, -ENOENT when there is no record. */
static int record_open(const char *path)
{
	struct timespec nap = { 0, 100 * 1000 };

	for (int tries = 0;; tries++) {
		struct stat a, b;
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_SH | LOCK_NB) == 0 && fstat(fd, &a) == 0) {
			if (fstatat(AT_FDCWD, path, &b, AT_SYMLINK_NOFOLLOW) < 0) {
				int e = errno;

				close(fd);
				return -e;
			}
			if (a.st_ino == b.st_ino && a.st_dev == b.st_dev)
				return fd;
		}
		close(fd);
		/* A writer is between its fill and its swap (microseconds),
		 * or swapped meanwhile: open the new version. */
		if (tries >= 20000)
			return -EAGAIN;
		nanosleep(&nap, NULL);
	}
}

int vmnet_record_read_path(const char *path, struct vmnet_record *ret, struct vmnet_err *err)
{
	_cleanup_free_ char *buf = NULL;
	json_auto_t *v = NULL;
	size_t len;
	int fd, r;

	/* A symlink planted in the state folder is not followed. */
	fd = record_open(path);
	if (fd == -ENOENT)
		return -ENOENT;
	if (fd < 0)
		return vmnet_err_set(err, CNI_ERR_IO, -fd, "reading record %s", path);
	r = vmnet_json_read_all(fd, &buf, &len, err);
	close(fd);
	if (r < 0)
		return r;
	v = vmnet_json_load(buf, len, err);
	if (!v)
		return vmnet_err_wrap(err, "record %s", path);
	r = vmnet_record_from_json(v, ret, err);
	if (r < 0)
		return vmnet_err_wrap(err, "record %s", path);
	return 0;
}

int vmnet_record_read(const char *state_dir, const char *network, const char *cid,
		      const char *ifname, struct vmnet_record *ret, struct vmnet_err *err)
{
	char path[PATH_MAX];

	if (vmnet_record_path(path, sizeof(path), state_dir, network, cid, ifname) < 0)
		return -ENOENT;
	return vmnet_record_read_path(path, ret, err);
}

static bool is_record_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n >= 6 && !strcmp(name + n - 5, ".json") && strchr(name, '@');
}

int vmnet_record_walk_networks(const char *state_dir, vmnet_record_walk_fn fn, void *data)
{
	struct dirent *de;
	DIR *d = vmnet_record_opendir(state_dir);
	int r = 0;

	if (!d)
		return -errno;
	while (!r && (de = readdir(d))) {
		char dir[PATH_MAX];
		DIR *nd;

		if (de->d_name[0] == '.' || strlen(de->d_name) > VMNET_NETNAME_MAX ||
		    vmnet_record_dir(dir, sizeof(dir), state_dir, de->d_name) < 0)
			continue;
		nd = vmnet_record_opendir(dir);
		if (!nd)
			continue; /* not a directory (.netd.lock) */
		closedir(nd);
		r = fn(de->d_name, dir, data);
	}
	closedir(d);
	return r;
}

struct walk_all {
	bool clean;
	vmnet_record_walk_fn fn;
	void *data;
};

/* @missing_ok: a folder that cannot be opened (gone meanwhile) has no
 * records; else it is -errno. */
static int walk_dir(const char *network, const char *dir, bool clean, bool missing_ok,
		    vmnet_record_walk_fn fn, void *data)
{
	struct dirent *de;
	int r = 0;
	DIR *d = vmnet_record_opendir(dir);

	if (!d)
		return missing_ok ? 0 : -errno;
	while (!r && (de = readdir(d))) {
		char path[PATH_MAX + 300];

		if (clean && vmnet_record_is_tmp_name(de->d_name))
			unlinkat(dirfd(d), de->d_name, 0);
		if (!is_record_name(de->d_name) ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		r = fn(network, path, data);
	}
	closedir(d);
	return r;
}

static int walk_one(const char *network, const char *dir, void *data)
{
	const struct walk_all *w = data;

	return walk_dir(network, dir, w->clean, true, w->fn, w->data);
}

int vmnet_record_walk(const char *state_dir, const char *network, bool clean,
		      vmnet_record_walk_fn fn, void *data)
{
	struct walk_all w = { clean, fn, data };
	char dir[PATH_MAX];

	if (!network)
		return vmnet_record_walk_networks(state_dir, walk_one, &w);
	if (vmnet_record_dir(dir, sizeof(dir), state_dir, network) < 0)
		return -ENAMETOOLONG;
	return walk_dir(network, dir, clean, false, fn, data);
}

static int other_found(int dfd, const char *name, void *data)
{
	(void)dfd;
	return is_record_name(name) && strcmp(name, data) ? 1 : 0;
}

int vmnet_record_others(const char *state_dir, const char *network, const char *cid,
			const char *ifname, struct vmnet_err *err)
{
	char dir[PATH_MAX], mine[PATH_MAX];
	_cleanup_close_ int dfd = -1;
	int r;

	if (vmnet_record_dir(dir, sizeof(dir), state_dir, network) < 0)
		return 0;
	snprintf(mine, sizeof(mine), "%s@%s.json", cid, ifname);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0 && errno == ENOENT)
		return 0;
	/* Stops at the first one found, reading a few dozen names at a time,
	 * so its cost does not grow with the network. */
	r = dfd < 0 ? -errno : vmnet_fs_each_name(dfd, false, other_found, mine);
	if (r < 0)
		return vmnet_err_set(err, CNI_ERR_IO, -r, "reading %s", dir);
	return r > 0 ? 1 : 0;
}

/* The address looked for: IPv4 (addr6 NULL) or IPv6. */
struct guest_key {
	uint32_t addr;
	const struct in6_addr *addr6;
};

static int holds_guest(const char *network, const char *path, void *data)
{
	const struct guest_key *k = data;
	struct vmnet_record rec;
	int found;

	(void)network;
	if (vmnet_record_read_path(path, &rec, NULL) < 0)
		return 0;
	if (k->addr6)
		found = vmnet_record_has6(&rec) && vmnet_ip6_eq(&rec.guest6.addr, k->addr6);
	else
		found = rec.guest.addr == k->addr;
	vmnet_record_clear(&rec);
	return found;
}

int vmnet_record_guest_taken(const char *state_dir, uint32_t addr)
{
	struct guest_key k = { .addr = addr };

	return vmnet_record_walk(state_dir, NULL, false, holds_guest, &k) > 0;
}

int vmnet_record_guest6_taken(const char *state_dir, const struct in6_addr *addr)
{
	struct guest_key k = { .addr6 = addr };

	return vmnet_record_walk(state_dir, NULL, false, holds_guest, &k) > 0;
}

DIR *vmnet_record_opendir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

int vmnet_record_salvage_text(const char *buf, size_t len, struct vmnet_prefix *ret)
{
	static const char key[] = "\"address\"";
	const char *p = buf, *end = buf + len, *q;
	char val[VMNET_PREFIXSTRLEN];
	struct vmnet_prefix a;

	/* The first "address" key: the writer puts the record's own before
	 * the nested objects (ipamResult, netconf) that may hold another. A
	 * string value cannot fake it: its quotes are escaped, and a value is
	 * followed by ',' or '}', never by ':'. */
	for (;;) {
		p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1);
		if (!p)
			return -ENOENT;
		p = skip_ws(p + sizeof(key) - 1, end);
		if (p < end && *p == ':')
			break;
	}
	p = skip_ws(p + 1, end);
	if (p >= end || *p++ != '"')
		return -ENOENT;
	q = memchr(p, '"', (size_t)(end - p));
	if (!q || (size_t)(q - p) >= sizeof(val))
		return -ENOENT;
	memcpy(val, p, (size_t)(q - p));
	val[q - p] = '\0';
	if (vmnet_prefix_parse(val, false, false, &a) < 0 || !a.addr)
		return -ENOENT;
	*ret = a;
	return 0;
}

int vmnet_record_salvage_address(const char *state_dir, const char *network, const char *cid,
				 const char *ifname, struct vmnet_prefix *ret)
{
	char path[PATH_MAX], buf[4096];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (vmnet_record_path(path, sizeof(path), state_dir, network, cid, ifname) < 0)
		return -ENOENT;
	fd = record_open(path);
	if (fd < 0)
		return fd;
	/* The address is among the first few hundred bytes a writer puts. */
	n = read(fd, buf, sizeof(buf));
	if (n <= 0)
		return -ENOENT;
	return vmnet_record_salvage_text(buf, (size_t)n, ret);
}
