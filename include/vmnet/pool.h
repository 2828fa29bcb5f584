/* SPDX-License-Identifier: MIT */
/*
 * Inode pools (issue 15, decision 3): a folder of spare regular files that
 * become state files by one rename, so an ADD allocates no inode and a DEL
 * frees none. On ext4 an allocation costs 0.15-0.6 ms (more the more
 * inodes were freed in the last seconds: find_inode_bit -> recently_deleted),
 * three per ADD before this: the record, the IPAM reservation and its owner
 * index entry. A DEL gives the inodes it would unlink to the pool; netd keeps
 * pools topped up in the background (netd/pool.c), so a burst of ADDs finds
 * them too. With an empty pool a caller allocates as before.
 *
 * The pools: "<stateDir>/<network>/.pool" for records, "<dataDir>/<network>/
 * .vmnet/pool" for vmnet-ipam's files. Both are in the folder of the files
 * they become, so every rename stays in one file system. An entry's name is
 * its own inode number (unique in the file system, so a give never collides)
 * or "n<pid>.<k>" when netd made it. An entry holds one newline: nothing a
 * reader could take for a record or a reservation (host-local's walks read
 * every file under its folder, .vmnet included, and match none); a give
 * killed between its rename and that write leaves a spare with its old
 * bytes, which no reader opens either, under a name that is no address and
 * no record, and which its next taker overwrites. Not emptied
 * to zero bytes: ext4 flushes a file truncated to zero when it is closed
 * (auto_da_alloc), which costs milliseconds.
 *
 * Who takes: only a holder of the lock that covers the folder the entry
 * becomes part of (the network's record lock, the IPAM store's lock), so two
 * takers never race; netd only adds entries, without that lock, so each
 * appears whole: written under a name starting with '.', which takers skip,
 * then renamed into view. A taker that finds an entry gone or not a plain
 * file skips it.
 */
#ifndef VMNET_POOL_H
#define VMNET_POOL_H

#include <stdbool.h>

#define VMNET_POOL_DIR ".pool"
#define VMNET_POOL_NAME_MAX 32
/* A give beyond this many entries unlinks instead (a burst of DELs does
 * not hoard inodes); netd fills a pool up to VMNET_POOL_FILL when it holds
 * fewer than VMNET_POOL_LOW. */
#define VMNET_POOL_KEEP 64
#define VMNET_POOL_FILL 16
#define VMNET_POOL_LOW 8

/* Open the pool folder @name of @dfd (AT_FDCWD: a path; created when @create), O_DIRECTORY
 * and never through a symlink: its fd or -errno. */
int vmnet_pool_open(int dfd, const char *name, bool create);

/* An entry of pool @pfd, open read-write: its fd, with its name in @name;
 * -ENOENT when the pool is empty. The caller fills it (vmnet_pool_fill_fd)
 * and renames it into place, or leaves it in the pool. */
int vmnet_pool_take(int pfd, char name[VMNET_POOL_NAME_MAX]);

/* Write @len bytes of @buf into entry @fd from its start and cut it to
 * @len: 0 or -errno. */
int vmnet_pool_write(int fd, const char *buf, size_t len);

/* Move @name of @dfd into pool @pfd (a negative @pfd: none) as a spare, or
 * unlink it when the pool is full, is missing, or the move fails: 0 or
 * -errno of the unlink (-ENOENT when @name does not exist). */
int vmnet_pool_give(int dfd, const char *name, int pfd);

/* How many entries pool @pfd holds, counting to @max at most. */
unsigned vmnet_pool_count(int pfd, unsigned max);

/* Add entries to pool @pfd until it holds @target: how many were made, or
 * -errno when none could be. */
int vmnet_pool_fill(int pfd, unsigned target);

/* Remove every entry of the pool folder @name of @dfd, and the folder. */
void vmnet_pool_drop(int dfd, const char *name);

#endif
