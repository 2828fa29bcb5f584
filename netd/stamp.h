/* SPDX-License-Identifier: MIT */
/*
 * What says a record file still holds what netd read from it. A record is
 * never changed in place: the plugin fills the network's spare file and
 * swaps it with the record (lib/record.c), so a write gives the record's
 * name another inode, and the next write to that inode (as the spare)
 * changes its times. A stamp taken before a read therefore tells the same
 * content again, with one exception that git's index knows as "racy": a
 * change within the file system's timestamp granularity of the stamp can
 * leave every field as it was. A stamp whose change time is not older
 * than NETD_STAMP_SETTLE_S seconds before it was taken proves nothing
 * by itself.
 */
#ifndef NETD_STAMP_H
#define NETD_STAMP_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#define NETD_STAMP_SETTLE_S 2

struct netd_stamp {
	dev_t dev;
	ino_t ino;		/* 0: none (never the same as anything) */
	off_t size;
	struct timespec mtime, ctime;
	struct timespec taken;	/* CLOCK_REALTIME before the file was looked at */
};

/* @path's stamp, the clock read first; -errno (@s then has none). */
int netd_stamp_take(const char *path, struct netd_stamp *s);

/* The same file in the same state, as far as its metadata tells. */
bool netd_stamp_same(const struct netd_stamp *a, const struct netd_stamp *b);

/* The file had not changed for NETD_STAMP_SETTLE_S when @s was taken: a
 * later change gets a later change time. */
bool netd_stamp_settled(const struct netd_stamp *s);

#endif
