/* SPDX-License-Identifier: MIT */
/*
 * Small file system helpers the state records and the IPAM store share.
 */
#ifndef VMNET_FS_H
#define VMNET_FS_H

#include <stdbool.h>
#include <sys/types.h>

/* mkdir -p: create @path and its missing parents with @mode. 0, or a
 * negative errno (-ENAMETOOLONG past PATH_MAX). */
int vmnet_fs_mkdir_p(const char *path, mode_t mode);

/* Open the folder @name of @dfd (AT_FDCWD: a path), O_DIRECTORY and never
 * through a symlink; a missing one is made (mode 0700) first when @create.
 * Its fd, or -errno. An existing folder costs one openat. */
int vmnet_fs_open_dir(int dfd, const char *name, bool create);

/* Take flock(LOCK_EX) on @fd, waiting at most @timeout_ms: 0, -ETIMEDOUT,
 * or the negative errno flock() failed with. The waiter sleeps in a
 * blocking flock(), woken as the holder closes or unlocks, and a timer of
 * this thread's interrupts it at the deadline (lib/fs_lock.c; its signal,
 * SIGRTMAX - 2, is handled only meanwhile, and the thread's mask and the
 * signal's handler are as they were on return). Without a timer it polls:
 * every 200 us for the first 20 ms, then backing off to 20 ms. */
int vmnet_fs_lock_wait(int fd, int timeout_ms);

/* Call @fn on each name in the folder @dfd (not "." and "..", nor names
 * starting with '.' unless @dots), from its start, until @fn returns
 * non-zero: that value, 0 at the end, or -errno. Reads with getdents64 into
 * a small buffer: a caller that stops at the first match (is there another
 * record?) reads a few dozen entries, not opendir's 32 KiB of them, so the
 * cost does not grow with the folder. */
int vmnet_fs_each_name(int dfd, bool dots, int (*fn)(int dfd, const char *name, void *data),
		       void *data);

#endif
