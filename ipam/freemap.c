/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "vmnet/common.h"
#include "vmnet/err.h"
#include "disk.h"

static size_t map_bytes(const struct vmnet_ipam_prefix *sub)
{
	size_t n = ((size_t)1 << (32 - sub->len)) / 8;

	return n < 8 ? 8 : n;
}

static void map_set(struct map *m, vmnet_ipam_ip ip, bool taken)
{
	uint32_t off;

	if (!vmnet_ipam_prefix_contains(&m->sub, ip))
		return;
	off = (uint32_t)(ip - m->sub.addr);
	if (taken)
		m->bits[off / 64] |= (uint64_t)1 << (off % 64);
	else
		m->bits[off / 64] &= ~((uint64_t)1 << (off % 64));
}

void disk_maps_mark(struct vmnet_ipam_disk *d, vmnet_ipam_ip ip, bool taken)
{
	for (unsigned i = 0; i < d->n_maps; i++)
		map_set(&d->maps[i], ip, taken);
}

/* Fill @m from the record names in the directory: one readdir, no reads. */
int disk_map_fill(struct vmnet_ipam_disk *d, struct map *m)
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
		vmnet_ipam_ip a;

		if (disk_record_name(de->d_name, &a))
			map_set(m, a, true);
	}
	closedir(dir);
	return 0;
}

int disk_map_get(struct vmnet_ipam_disk *d, const struct vmnet_ipam_prefix *sub, struct map **ret,
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
	snprintf(name, sizeof(name), "map.%s_%u", vmnet_ipam_ip_fmt(sub->addr, abuf), sub->len);
	fd = openat(d->vfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fstat(fd, &st) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "opening free-map %s", name);
	bool fresh = (size_t)st.st_size != m->size;

	if (fresh && (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)m->size) < 0))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "sizing free-map %s", name);
	p = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "mapping free-map %s", name);
	m->bits = p;
	if (fresh && (r = disk_map_fill(d, m)) < 0) {
		munmap(p, m->size);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "listing %s", "the data directory");
	}
	d->n_maps++;
	*ret = m;
	return 0;
}
