/* SPDX-License-Identifier: MIT */
/*
 * The error contract (see README "Errors"): functions that can fail return
 * an int, >= 0 on success and a negative errno on failure, and fill the
 * caller-owned struct vmnet_err passed last (which may be NULL). The CNI
 * code travels with the message so the top of each binary prints it once.
 */
#ifndef VMNET_ERR_H
#define VMNET_ERR_H

#include <stdbool.h>
#include "common.h"

/* CNI well-known codes (SPEC "Error"), then ours (>= 100). */
enum vmnet_cni_code {
	CNI_ERR_NONE = 0,
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_TRY_AGAIN = 11,
	CNI_ERR_NOT_AVAILABLE = 50,
	CNI_ERR_LIMITED = 51,
	/* vmnet's own codes, documented in the README. */
	VMNET_ERR_SYSTEM = 100,		/* the kernel or the OS refused (details say what) */
	VMNET_ERR_RANGE_FULL = 101,	/* no address or block left in the range */
	VMNET_ERR_PORT_CONFLICT = 102,	/* host port already published by another attachment */
	VMNET_ERR_CONFLICT = 103,	/* a host device name is owned by another attachment */
	VMNET_ERR_CHECK = 110,		/* CHECK found a mismatch (the message names it) */
};

struct vmnet_err {
	int code;	/* enum vmnet_cni_code; 0 when unset */
	int sys;	/* errno-style cause, 0 if none */
	char msg[480];
};

/* Fill @e (if non-NULL and not already set) and return -sys, or -EINVAL when
 * sys is 0: always < 0, so callers can "return vmnet_err_set(...)". */
int vmnet_err_set(struct vmnet_err *e, int code, int sys, const char *fmt, ...) _printf_(4, 5);

/* Prefix context to the message already in @e: "adding veth x: <old>".
 * Returns -e->sys, or -EINVAL. */
int vmnet_err_wrap(struct vmnet_err *e, const char *fmt, ...) _printf_(2, 3);

/* Give an error already raised another code: a caller that knows what the
 * failure means to its verb (STATUS answers 50 for a lock it cannot take).
 * The only way a code changes once set; no-op when @e is NULL. */
void vmnet_err_recode(struct vmnet_err *e, int code);

/* Forget an error (after a fallback succeeded). */
void vmnet_err_clear(struct vmnet_err *e);

/* True for errnos teardown treats as "already gone". */
bool vmnet_err_is_gone(int neg_errno);

/* The one place libnl's -NLE_* codes become errno values. */
int vmnet_errno_from_nl(int nle);

#endif
