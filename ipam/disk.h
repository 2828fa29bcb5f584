/* SPDX-License-Identifier: MIT */
/*
 * The on-disk store's private half, shared by its files: store.c (the
 * operations, open and close), records.c (host-local's reservation files
 * and vmnet-ipam's owner index), freemap.c (the free-maps) and files.c
 * (small-file and directory helpers). store.h says what lives on disk.
 */
#ifndef VMNET_IPAM_DISK_H
#define VMNET_IPAM_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmnet/inet.h"
#include "store.h"

struct vmnet_err;

#define MAX_MAPS 16
#define RECORD_MAX 512	/* "<id>\r\n<ifname>" is at most 256 + 2 + 15 */
#define INDEX_MAX 4096	/* an owner holds at most 8 sets x 4 addresses */

struct map {
	struct vmnet_ipam_prefix sub;	/* IPv4 only */
	uint64_t *bits;
	size_t size;
};

struct vmnet_ipam_disk {
	struct vmnet_ipam_store base;
	int dfd;	/* <dataDir>/<net> */
	int lockfd;
	int vfd;	/* .vmnet */
	int ofd;	/* .vmnet/o */
	int pfd;	/* .vmnet/pool: spare inodes (include/vmnet/pool.h), or -1 */
	struct map maps[MAX_MAPS];
	unsigned n_maps;
	bool broken;	/* a record exists whose index entry we failed to write */
	unsigned rebuilds;
};

static inline struct vmnet_ipam_disk *D(struct vmnet_ipam_store *s)
{
	return (struct vmnet_ipam_disk *)s;
}

/* files.c: every open is relative to a directory fd and never follows a
 * symlink, so nothing planted in the store is written through. */
/* Read @name (at most @size - 1 bytes, NUL-terminated): length or -errno. */
ssize_t disk_read_at(int dfd, const char *name, char *buf, size_t size);
/* Replace a small file's content in place (see files.c for why not O_TRUNC). */
int disk_put_small(int dirfd, const char *name, const char *buf, size_t len, mode_t mode,
		   bool create);
/* Create @name holding @buf, all or nothing: -EEXIST if it exists. A crash
 * leaves either no file or the whole file, never an empty one. The inode
 * comes from pool @pfd when it has one (a negative @pfd: no pool). */
int disk_create_whole(int pfd, int dirfd, const char *name, const char *buf, size_t len,
		      mode_t mode);
char *disk_trim(char *s);
/* Remove the regular files of @dfd: every one not starting with '.', or
 * only those starting with "map." */
int disk_clear_dir(int dfd, bool maps_only);

/* records.c */
/* The address a directory entry's name stands for, if it is a record name:
 * an address in its canonical text (host-local writes nothing else). */
bool disk_record_name(const char *name, vmnet_ipam_ip *ret);
/* The owner of reservation @ip: 0, -ENOENT when free, -EBADMSG when the
 * file names no owner (empty, garbage, not a regular file). */
int disk_record_read(struct vmnet_ipam_disk *d, vmnet_ipam_ip ip, struct vmnet_ipam_owner *ret);
/* Addresses the owner index holds for @o (at most @max): the count, or
 * -EBADMSG when the index file is damaged. */
int disk_index_read(struct vmnet_ipam_disk *d, const struct vmnet_ipam_owner *o, vmnet_ipam_ip *ips,
		    unsigned max);
int disk_index_add(struct vmnet_ipam_disk *d, const struct vmnet_ipam_owner *o, vmnet_ipam_ip ip);
int disk_index_remove(struct vmnet_ipam_disk *d, const struct vmnet_ipam_owner *o, vmnet_ipam_ip ip);
/* The owner named by index file @name, if the file is undamaged. */
int disk_index_owner(struct vmnet_ipam_disk *d, const char *name, struct vmnet_ipam_owner *ret);
/* Remove the reservation files that name no owner; returns how many. */
int disk_sweep(struct vmnet_ipam_disk *d);
/* Rebuild the owner index from the reservation files; drop the free-maps. */
int disk_rebuild(struct vmnet_ipam_disk *d, struct vmnet_err *err);

/* freemap.c */
void disk_maps_mark(struct vmnet_ipam_disk *d, vmnet_ipam_ip ip, bool taken);
int disk_map_fill(struct vmnet_ipam_disk *d, struct map *m);
int disk_map_get(struct vmnet_ipam_disk *d, const struct vmnet_ipam_prefix *sub, struct map **ret,
		 struct vmnet_err *err);

#endif
