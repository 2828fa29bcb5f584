/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <netlink/errno.h>

#include "vmnet/err.h"

int vmnet_err_set(struct vmnet_err *e, int code, int sys, const char *fmt, ...)
{
	int r = sys > 0 ? -sys : -EINVAL;
	va_list ap;

	if (!e || e->code)
		return r;
	e->code = code ? code : VMNET_ERR_SYSTEM;
	e->sys = sys;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (sys > 0) {
		size_t n = strlen(e->msg);

		const char *why = strerror(sys);

		/* Append ": <strerror>" as far as it fits. */
		for (const char *p = ": "; *p && n + 1 < sizeof(e->msg); p++)
			e->msg[n++] = *p;
		for (const char *p = why; *p && n + 1 < sizeof(e->msg); p++)
			e->msg[n++] = *p;
		e->msg[n] = '\0';
	}
	return r;
}

int vmnet_err_wrap(struct vmnet_err *e, const char *fmt, ...)
{
	char prefix[sizeof(e->msg)], old[sizeof(e->msg)];
	va_list ap;

	if (!e)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	if (snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old) >= (int)sizeof(e->msg))
		e->msg[sizeof(e->msg) - 2] = '~'; /* mark the cut */
	return e->sys > 0 ? -e->sys : -EINVAL;
}

void vmnet_err_recode(struct vmnet_err *e, int code)
{
	if (e)
		e->code = code;
}

void vmnet_err_clear(struct vmnet_err *e)
{
	if (e)
		memset(e, 0, sizeof(*e));
}

bool vmnet_err_is_gone(int r)
{
	return r == -ENOENT || r == -ENODEV || r == -ESRCH || r == -EADDRNOTAVAIL;
}

int vmnet_errno_from_nl(int nle)
{
	static const int map[] = {
		[NLE_SUCCESS] = 0,
		[NLE_FAILURE] = EIO,
		[NLE_INTR] = EINTR,
		[NLE_BAD_SOCK] = EBADF,
		[NLE_AGAIN] = EAGAIN,
		[NLE_NOMEM] = ENOMEM,
		[NLE_EXIST] = EEXIST,
		[NLE_INVAL] = EINVAL,
		[NLE_RANGE] = ERANGE,
		[NLE_MSGSIZE] = EMSGSIZE,
		[NLE_OPNOTSUPP] = EOPNOTSUPP,
		[NLE_AF_NOSUPPORT] = EAFNOSUPPORT,
		[NLE_OBJ_NOTFOUND] = ENOENT,
		[NLE_NOATTR] = ENOENT,
		[NLE_MISSING_ATTR] = EINVAL,
		[NLE_AF_MISMATCH] = EAFNOSUPPORT,
		[NLE_SEQ_MISMATCH] = EIO,
		[NLE_MSG_OVERFLOW] = EMSGSIZE,
		[NLE_MSG_TRUNC] = EMSGSIZE,
		[NLE_NOADDR] = EADDRNOTAVAIL,
		[NLE_SRCRT_NOSUPPORT] = EOPNOTSUPP,
		[NLE_MSG_TOOSHORT] = EPROTO,
		[NLE_MSGTYPE_NOSUPPORT] = EOPNOTSUPP,
		[NLE_OBJ_MISMATCH] = EINVAL,
		[NLE_NOCACHE] = ENOENT,
		[NLE_BUSY] = EBUSY,
		[NLE_PROTO_MISMATCH] = EPROTO,
		[NLE_NOACCESS] = EACCES,
		[NLE_PERM] = EPERM,
		[NLE_PKTLOC_FILE] = ENOENT,
		[NLE_PARSE_ERR] = EINVAL,
		[NLE_NODEV] = ENODEV,
		[NLE_IMMUTABLE] = EPERM,
		[NLE_DUMP_INTR] = EINTR,
		[NLE_ATTRSIZE] = EINVAL,
	};
	if (nle < 0)
		nle = -nle;
	if ((size_t)nle < ARRAY_SIZE(map) && map[nle])
		return map[nle];
	return nle ? EIO : 0;
}
