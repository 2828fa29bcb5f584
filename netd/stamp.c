/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "stamp.h"

int netd_stamp_take(const char *path, struct netd_stamp *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_REALTIME, &s->taken);
	if (stat(path, &st) < 0)
		return -errno;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime = st.st_mtim;
	s->ctime = st.st_ctim;
	return 0;
}

static bool ts_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

bool netd_stamp_same(const struct netd_stamp *a, const struct netd_stamp *b)
{
	return a->ino && a->ino == b->ino && a->dev == b->dev && a->size == b->size &&
	       ts_eq(&a->mtime, &b->mtime) && ts_eq(&a->ctime, &b->ctime);
}

bool netd_stamp_settled(const struct netd_stamp *s)
{
	/* A change time in the future (the clock was set back) is not. */
	return s->ino && s->ctime.tv_sec + NETD_STAMP_SETTLE_S < s->taken.tv_sec;
}
