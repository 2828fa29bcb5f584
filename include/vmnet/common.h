/* SPDX-License-Identifier: MIT */
/*
 * Small helpers every module uses: cleanup attributes with a visible
 * ownership hand-off (steal_ptr/steal_fd), array sizes, attributes.
 */
#ifndef VMNET_COMMON_H
#define VMNET_COMMON_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _must_check_ __attribute__((warn_unused_result))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

/* Room for one more element in the array at *@pv (@n used of *@cap, @size
 * bytes each; @first at the first allocation, then doubling): 0, or
 * -ENOMEM with the array as it was. */
static inline int vmnet_grow(void *pv, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t want = *cap ? *cap * 2 : first;
	void *v;

	if (n < *cap)
		return 0;
	v = realloc(*(void **)pv, want * size);
	if (!v)
		return -ENOMEM;
	*(void **)pv = v;
	*cap = want;
	return 0;
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Hand ownership out of a cleanup-managed local. */
#define steal_ptr(p)                       \
	({                                 \
		__typeof__(p) _t_ = (p);   \
		(p) = NULL;                \
		_t_;                       \
	})
#define steal_fd(fd)              \
	({                        \
		int _t_ = (fd);   \
		(fd) = -1;        \
		_t_;              \
	})

#endif
