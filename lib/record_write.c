/* SPDX-License-Identifier: MIT */
/*
 * Writing and removing records: through the network's spare inode and its
 * inode pool (include/vmnet/pool.h), so the record lifecycle allocates and
 * frees no inode on the ADD and DEL paths. Reading and walking: record.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmnet/common.h"
#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/pool.h"
#include "vmnet/record.h"

/* Where an older vmnet wrote a record before its rename: one fixed name per
 * record, hidden from record listings by its dot. Records are now written
 * through the network's spare (below); a DEL or a cleaning walk still
 * removes what an older writer killed half way left. */
static int tmp_path(char *buf, size_t size, const char *state_dir, const char *network,
		    const char *cid, const char *ifname)
{
	int n = snprintf(buf, size, "%s/%s/.%s@%s.json.tmp", state_dir, network, cid, ifname);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}


/*
 * State writes that do not allocate: an ADD writes its record three times
 * (pending before IPAM, pending with the address before the kernel work,
 * final). A new temporary file per write, renamed over the record, would
 * allocate an inode each time and free the one it replaced; on ext4 without
 * a journal every allocation skips (and looks up) each inode freed in the
 * last seconds (find_inode_bit -> recently_deleted), so ADDs in a busy
 * network would each be slower than the one before (tests/bench/README.md,
 * "State writes").
 *
 * So each network keeps one spare inode, "<stateDir>/<network>/.spare". A
 * write fills the spare in place and swaps it with the record in one
 * renameat2(RENAME_EXCHANGE): the record's name now holds the new version,
 * ".spare" the previous one, which the next write fills again. Over a whole
 * ADD this takes one inode from the pool (the record's own, that stays) and
 * frees none.
 *
 * Why readers still see a whole record or none, and why any crash leaves
 * what it left before:
 * - Only the spare is ever written, and only under the network's lock (every
 *   writer holds it). No record name points to it while it is written: the
 *   name changes in one atomic exchange, after the last byte is in. A crash
 *   at any point leaves the record's previous version whole under its name
 *   (or no record, as before) and junk in ".spare", which no reader opens
 *   and the next write overwrites.
 * - The one hazard is a reader that opened the record just before it was
 *   swapped out and still reads it when the following write fills it again.
 *   So a reader takes a shared flock() on what it opened and then checks that
 *   the name still points to that inode (else it opens again); a writer takes
 *   an exclusive flock() on the spare without waiting, and when a reader holds
 *   it, it unlinks that spare and starts a fresh one (a rare allocation).
 * - Where RENAME_EXCHANGE is not supported, a plain rename() replaces the
 *   record as before (the replaced inode is freed; nothing else changes).
 * - The first write of a record has nothing to swap with: the spare is
 *   renamed to the record's name (no replace), and the next write takes a
 *   new spare from the network's inode pool (include/vmnet/pool.h), which
 *   DEL and netd fill; only with an empty pool does it allocate one. The
 *   spare and the pool of a network go when its last record does.
 */
static int spare_path(char *buf, size_t size, const char *state_dir, const char *network)
{
	int n = snprintf(buf, size, "%s/%s/.spare", state_dir, network);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* "<stateDir>/<network>/.pool": the network's inode pool. */
static int pool_path(char *buf, size_t size, const char *state_dir, const char *network)
{
	int n = snprintf(buf, size, "%s/%s/" VMNET_POOL_DIR, state_dir, network);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* An inode from the pool at @pool, renamed to @spare: its fd, or -errno
 * (-ENOENT: no pool, or an empty one). */
static int spare_from_pool(const char *spare, const char *pool)
{
	_cleanup_close_ int pfd = vmnet_pool_open(AT_FDCWD, pool, false);
	char name[VMNET_POOL_NAME_MAX];
	int fd;

	if (pfd < 0)
		return pfd;
	fd = vmnet_pool_take(pfd, name);
	if (fd >= 0 && renameat2(pfd, name, AT_FDCWD, spare, RENAME_NOREPLACE) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* The network's spare, open for writing and locked, or -errno. */
static int spare_open(const char *spare, const char *pool)
{
	int fd = open(spare, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
		struct stat st;

		/* A regular file with no other name (not a record hard-linked
		 * to it by hand): ours to overwrite. */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1)
			return fd;
	}
	if (fd >= 0)
		close(fd);
	else if (errno != ENOENT && errno != ELOOP)
		return -errno;
	/* None yet, a reader holds it, or something planted (a symlink or an
	 * empty folder once swapped out of a record's name): one from the
	 * pool, else a fresh one. */
	if (unlink(spare) < 0 && errno != ENOENT && (errno != EISDIR || rmdir(spare) < 0))
		return -errno;
	fd = spare_from_pool(spare, pool);
	if (fd < 0)
		fd = open(spare, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	return flock(fd, LOCK_EX | LOCK_NB) == 0 ? fd : (close(fd), -EBUSY);
}

/* Make @spare the record at @path: swapped when there is one, moved when
 * there is none. No fsync: it costs milliseconds per ADD, and after a power
 * loss netd reconciles anyway (a record lost or emptied then is treated like
 * one that was never written: its devices and address are found by name and
 * released). */
static int spare_commit(const char *spare, const char *path)
{
	if (renameat2(AT_FDCWD, spare, AT_FDCWD, path, RENAME_EXCHANGE) == 0)
		return 0;
	if (errno == ENOENT)
		return renameat2(AT_FDCWD, spare, AT_FDCWD, path, RENAME_NOREPLACE) < 0 ? -errno : 0;
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return -errno;
	return rename(spare, path) < 0 ? -errno : 0;
}

int vmnet_record_write(const char *state_dir, const struct vmnet_record *rec,
		       struct vmnet_err *err)
{
	char path[PATH_MAX], spare[PATH_MAX], pool[PATH_MAX];
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;
	json_auto_t *v = NULL;
	int r;

	r = vmnet_record_path(path, sizeof(path), state_dir, rec->network, rec->cid, rec->ifname);
	if (r == 0)
		r = spare_path(spare, sizeof(spare), state_dir, rec->network);
	if (r == 0)
		r = pool_path(pool, sizeof(pool), state_dir, rec->network);
	if (r < 0)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, -r, "record path");
	v = vmnet_record_to_json(rec);
	text = v ? json_dumps(v, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	if (!text)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "encoding record");
	fd = spare_open(spare, pool);
	if (fd < 0)
		return vmnet_err_set(err, CNI_ERR_IO, -fd, "writing record %s", spare);
	r = vmnet_pool_write(fd, text, strlen(text));
	if (r < 0)
		return vmnet_err_set(err, CNI_ERR_IO, -r, "writing record %s", spare);
	r = spare_commit(spare, path);
	if (r < 0)
		return vmnet_err_set(err, CNI_ERR_IO, -r, "committing record %s", path);
	return 0;
}


static int remove_seen(const char *state_dir, const char *network, const char *cid,
		       const char *ifname, bool others, struct vmnet_err *err)
{
	char path[PATH_MAX], spare[PATH_MAX], pool[PATH_MAX];
	_cleanup_close_ int pfd = -1;
	int r;

	if (tmp_path(path, sizeof(path), state_dir, network, cid, ifname) == 0 && unlink(path) < 0 &&
	    errno != ENOENT)
		return vmnet_err_set(err, CNI_ERR_IO, errno, "removing %s", path);
	if (vmnet_record_path(path, sizeof(path), state_dir, network, cid, ifname) < 0 ||
	    spare_path(spare, sizeof(spare), state_dir, network) < 0 ||
	    pool_path(pool, sizeof(pool), state_dir, network) < 0)
		return 0;
	/* While other records remain, a network without a spare (an ADD's
	 * first write took it) keeps this record's inode as its spare, and one
	 * with a spare gives it to its pool: a DEL frees no inode, and the next
	 * ADD allocates none. The last record takes the spare and the pool with
	 * it, so a network with no attachment leaves only its lock. */
	if (others && (renameat2(AT_FDCWD, path, AT_FDCWD, spare, RENAME_NOREPLACE) == 0 ||
		       errno == ENOENT))
		return 0;
	/* Into the pool, or unlinked when it is full or a reader holds it. */
	if (others)
		pfd = vmnet_pool_open(AT_FDCWD, pool, true);
	r = others ? vmnet_pool_give(AT_FDCWD, path, pfd) : (unlink(path) < 0 ? -errno : 0);
	if (r < 0 && r != -ENOENT)
		return vmnet_err_set(err, CNI_ERR_IO, -r, "removing record %s", path);
	if (!others) {
		unlink(spare);
		vmnet_pool_drop(AT_FDCWD, pool);
	}
	return 0;
}

int vmnet_record_remove_key(const char *state_dir, const char *network, const char *cid,
			    const char *ifname, struct vmnet_err *err)
{
	bool others = vmnet_record_others(state_dir, network, cid, ifname, NULL) != 0;

	return remove_seen(state_dir, network, cid, ifname, others, err);
}

int vmnet_record_remove_seen(const char *state_dir, const struct vmnet_record *rec, bool others,
			     struct vmnet_err *err)
{
	return remove_seen(state_dir, rec->network, rec->cid, rec->ifname, others, err);
}

int vmnet_record_remove(const char *state_dir, const struct vmnet_record *rec,
			struct vmnet_err *err)
{
	return vmnet_record_remove_key(state_dir, rec->network, rec->cid, rec->ifname, err);
}

