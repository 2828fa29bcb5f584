/* SPDX-License-Identifier: MIT */
/*
 * Network namespace handles. A namespace is held by an fd (from a bind
 * mount such as /var/run/netns/x or /proc/<pid>/ns/net). Entering one is
 * per thread (setns), so callers enter, do one short thing and leave.
 */
#ifndef VMNET_NETNS_H
#define VMNET_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* What names one namespace for as long as it lives: the nsfs device and
 * inode of an fd on it. Paths do not: /proc/<pid>/ns/net follows a PID
 * that the kernel reuses, and a bind mount may be visible only in the
 * runtime's own mount namespace. Inode numbers repeat across boots, so an
 * identity is only meaningful together with the boot ID. ino 0 = unknown. */
struct vmnet_netns_id {
	uint64_t dev;
	uint64_t ino;
	uint64_t cookie;	/* SO_NETNS_COOKIE (= NS_GET_ID): never reused within a boot, unlike
				   the inode, which the kernel hands to the next new
				   namespace once this one dies. 0 = unknown */
};

/* Open @path (O_RDONLY|O_CLOEXEC) and check that it is a network namespace.
 * -ENOENT if missing, -EINVAL if it is some other file. The caller owns
 * *ret_fd. */
int vmnet_netns_open(const char *path, int *ret_fd, struct vmnet_err *err);

/* Remember the calling thread's netns in *ret_origin_fd (caller owns it,
 * hands it to vmnet_netns_leave) and switch to @nsfd. */
int vmnet_netns_enter(int nsfd, int *ret_origin_fd, struct vmnet_err *err);

/* Go back to @origin_fd and close it. Aborts if the switch back fails: the
 * process must never carry on in the wrong namespace. -1 is a no-op. */
void vmnet_netns_leave(int origin_fd);
/* true while this thread is in a namespace vmnet_netns_enter took it to. */
bool vmnet_netns_entered(void);

/* 1 if @nsfd is the calling thread's netns, 0 if not, negative errno. */
int vmnet_netns_is_current(int nsfd);

/* The identity of the namespace behind @nsfd: fstat, and the namespace's
 * cookie (nsfs's NS_GET_ID on Linux 6.18 and later; before, read from a
 * socket made inside it, so the calling thread enters it for that moment).
 * -errno on failure. */
int vmnet_netns_identity(int nsfd, struct vmnet_netns_id *ret);
/* The cookie as kernels before 6.18 give it (what vmnet_netns_identity
 * falls back to there): from a socket made inside the namespace. 0 when
 * it cannot. Exposed so that a test on a newer kernel proves both ways
 * agree. */
uint64_t vmnet_netns_cookie_by_socket(int nsfd);

/* Open @path only if it is the namespace @id (device, inode and cookie):
 * 1 with the fd in *ret_fd, 0 if it is another (or nothing), -EACCES if it
 * matched but did not open as it. No scan: @path or nothing. */
int vmnet_netns_open_proven(const char *path, const struct vmnet_netns_id *id, int *ret_fd);

/* /proc/sys/kernel/random/boot_id without its newline ("" if unreadable). */
void vmnet_boot_id(char *buf, size_t size);

/* Who holds which network namespace, read from /proc once: every task's
 * ns/net, nsfs "net:[ino]" mounts of every mount namespace (opened through
 * /proc/<pid>/root of a process in it), and, on demand, open fds. */
struct vmnet_netns_scan;
void vmnet_netns_scan_free(struct vmnet_netns_scan *s);
static inline void vmnet_netns_scan_freep(struct vmnet_netns_scan **s)
{
	vmnet_netns_scan_free(*s);
}

/* One line of /proc/<pid>/mountinfo (proc(5): "ID PARENT MAJ:MIN ROOT
 * MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS"), modified in
 * place. 1 if it is a bind mount of a network namespace (nsfs, root
 * "net:[INODE]"), with the inode and the unescaped mount point (pointing
 * into @line), 0 if not. Mount points are any user's choice: outside input. */
int vmnet_netns_mount_parse(char *line, uint64_t *ret_ino, const char **ret_mountpoint);

/* Identity first, then action: open the namespace recorded as @path with
 * @id during boot @boot_id, through @path or through any holder a scan
 * finds (*@scan is built on first need and reused; the caller frees it).
 * Returns:
 *   1          opened and proven (fstat matches @id): *ret_fd is the caller's;
 *   0          held by nothing the scan can see (one scan: not yet a
 *              verdict); *ret_incomplete is set when the scan could not
 *              see every process (some denied inspection, or netd is not in
 *              the initial PID namespace);
 *   -ESTALE    recorded in another boot: whatever is at @path now is a
 *              different namespace;
 *   -ENODATA   no identity recorded (an older vmnet): unprovable;
 *   -EACCES    held somewhere (@err says where) but not openable;
 *   other -errno.  @err says why for every negative return. Never opens a
 *   file whose stat() does not already match @id. */
int vmnet_netns_prove(const char *path, const struct vmnet_netns_id *id, const char *boot_id,
		      struct vmnet_netns_scan **scan, int *ret_fd, bool *ret_incomplete,
		      struct vmnet_err *err);

#endif
