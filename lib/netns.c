/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmnet/log.h"
#include "vmnet/netns.h"

/* thread-self: setns() is per thread, so the "current" netns is the
 * calling thread's, not the process leader's. */
#define SELF_NETNS "/proc/thread-self/ns/net"

int vmnet_netns_open(const char *path, int *ret_fd, struct vmnet_err *err)
{
	_cleanup_close_ int fd = -1;
	int type;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "opening netns %s", path);
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0) {
		/* ENOTTY: not an nsfs file at all (a plain file, a directory). */
		if (errno == ENOTTY || errno == EINVAL)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, 0,
					     "opening netns %s: not a namespace", path);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "opening netns %s", path);
	}
	if (type != CLONE_NEWNET)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, 0,
				     "opening netns %s: not a network namespace", path);
	*ret_fd = steal_fd(fd);
	return 0;
}

/* How many vmnet_netns_enter are not yet left: 0 in the thread's own. */
static _Thread_local unsigned entered;

bool vmnet_netns_entered(void)
{
	return entered > 0;
}

int vmnet_netns_enter(int nsfd, int *ret_origin_fd, struct vmnet_err *err)
{
	_cleanup_close_ int origin = -1;

	origin = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (origin < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "opening current netns");
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "entering netns");
	*ret_origin_fd = steal_fd(origin);
	entered++;
	return 0;
}

void vmnet_netns_leave(int origin_fd)
{
	if (origin_fd < 0)
		return;
	if (setns(origin_fd, CLONE_NEWNET) < 0) {
		/* Anything we did next would hit the wrong namespace. */
		log_debug("cannot return to the original netns: %m");
		abort();
	}
	close(origin_fd);
	entered--;
}

int vmnet_netns_is_current(int nsfd)
{
	struct stat a, b;

	if (fstat(nsfd, &a) < 0)
		return -errno;
	if (stat(SELF_NETNS, &b) < 0)
		return -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71 /* asm-generic/socket.h, Linux 5.14 */
#endif
#ifndef NS_GET_ID
#define NS_GET_ID _IOR(NSIO, 13, __u64) /* linux/nsfs.h, Linux 6.18 */
#endif

/* A namespace's cookie, or 0 where the kernel cannot say. Since Linux 6.18
 * a network namespace's cookie is its namespace ID (setup_net() takes it
 * from the namespace tree), which nsfs reports for the fd itself: one ioctl,
 * no setns and no socket. Before, any socket knows its namespace's cookie
 * (Linux 5.14), so one is opened there; an older kernel answers the ioctl
 * with ENOTTY. Both give the same number, so records written either way
 * prove alike (ktest, through t_kernel, checks it). */
uint64_t vmnet_netns_cookie_by_socket(int nsfd)
{
	_cleanup_close_ int fd = -1;
	socklen_t len = sizeof(uint64_t);
	uint64_t c = 0;
	int origin = -1;

	/* Our own namespace needs no setns (nor CAP_SYS_ADMIN). */
	if (vmnet_netns_is_current(nsfd) != 1 && vmnet_netns_enter(nsfd, &origin, NULL) < 0)
		return 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	vmnet_netns_leave(origin);
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &c, &len) < 0)
		return 0;
	return c;
}

static uint64_t cookie_of(int nsfd)
{
	uint64_t c = 0;

	if (ioctl(nsfd, NS_GET_ID, &c) == 0)
		return c;
	return vmnet_netns_cookie_by_socket(nsfd);
}

int vmnet_netns_identity(int nsfd, struct vmnet_netns_id *ret)
{
	struct stat s;

	if (fstat(nsfd, &s) < 0)
		return -errno;
	ret->dev = (uint64_t)s.st_dev;
	ret->ino = (uint64_t)s.st_ino;
	ret->cookie = cookie_of(nsfd);
	return 0;
}

static bool same_id(const struct stat *s, const struct vmnet_netns_id *id)
{
	return (uint64_t)s->st_dev == id->dev && (uint64_t)s->st_ino == id->ino;
}

void vmnet_boot_id(char *buf, size_t size)
{
	_cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return;
	n = read(fd, buf, size - 1);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* 1 with *ret_fd when @path is the namespace @id, 0 when it is not (or is
 * gone). stat() first: a path that does not already look like the
 * namespace is never opened (it could be a FIFO or a device); fstat()
 * after the open closes the race with a path replaced in between. */
/* 1: @path opens as the namespace @id (fd in *ret_fd); 0: it is not that
 * namespace; -EACCES: it matched but did not open as it. */
static int open_proven(const char *path, const struct vmnet_netns_id *id, int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	struct stat s;

	if (stat(path, &s) < 0 || !same_id(&s, id))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 || fstat(fd, &s) < 0)
		return -EACCES;
	if (!same_id(&s, id))
		return 0;
	/* The inode alone may be a newer namespace's that got it after the
	 * recorded one died: the cookie is that namespace's own. */
	if (cookie_of(fd) != id->cookie)
		return 0;
	*ret_fd = steal_fd(fd);
	return 1;
}

int vmnet_netns_open_proven(const char *path, const struct vmnet_netns_id *id, int *ret_fd)
{
	return open_proven(path, id, ret_fd);
}

/* ---------------------------------------------------------------- scan */

/* The initial PID namespace's inode (PROC_PID_INIT_INO in the kernel's
 * include/linux/proc_ns.h, fixed since 3.8): only from there does /proc
 * list every process of the machine. */
#define PID_INIT_INO 0xEFFFFFFCU

struct holder {
	uint64_t ino;
	char *path;	/* opens the namespace while the holder holds it */
};

/* A mount namespace seen from one root directory: mountinfo paths are
 * relative to the reading process's root (chroot, or a kernel thread's). */
struct view {
	uint64_t mnt, root_dev, root_ino;
};

struct vmnet_netns_scan {
	struct holder *v;
	size_t n, cap;
	struct view *views;	/* whose mountinfo was read */
	size_t n_views, cap_views;
	bool fds;	/* open fds were scanned too */
	bool incomplete;
	bool oom;
};

void vmnet_netns_scan_free(struct vmnet_netns_scan *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].path);
	free(s->v);
	free(s->views);
	free(s);
}

static bool grow(void **v, size_t *cap, size_t n, size_t elem)
{
	void *nv;

	if (n < *cap)
		return true;
	nv = realloc(*v, (*cap ? *cap * 2 : 64) * elem);
	if (!nv)
		return false;
	*v = nv;
	*cap = *cap ? *cap * 2 : 64;
	return true;
}

static void add_holder(struct vmnet_netns_scan *s, uint64_t ino, const char *path)
{
	char *p;

	if (!grow((void **)&s->v, &s->cap, s->n, sizeof(*s->v)) || !(p = strdup(path))) {
		s->oom = true;
		return;
	}
	s->v[s->n].ino = ino;
	s->v[s->n++].path = p;
}

/* A process we may not inspect (ptrace access mode, an LSM) could hold
 * anything: the scan then cannot prove a namespace absent. ENOENT and
 * ESRCH are processes that exited meanwhile. */
static void note_errno(struct vmnet_netns_scan *s, int e)
{
	if (e != ENOENT && e != ESRCH)
		s->incomplete = true;
}

static bool is_pid(const char *name)
{
	if (!*name)
		return false;
	for (const char *p = name; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* Every thread's ns/net: setns() is per thread, so a thread can hold a
 * namespace its process leader is not in. */
static void scan_tasks(struct vmnet_netns_scan *s, const char *pid)
{
	char dir[64], path[384];
	struct dirent *de;
	uint64_t last = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%s/task", pid);
	d = opendir(dir);
	if (!d) {
		note_errno(s, errno);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (!is_pid(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s/ns/net", dir, de->d_name);
		if (stat(path, &st) < 0) {
			note_errno(s, errno);
			continue;
		}
		if ((uint64_t)st.st_ino == last)
			continue; /* as the thread before it */
		last = (uint64_t)st.st_ino;
		add_holder(s, last, path);
	}
	closedir(d);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo (octal). */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

int vmnet_netns_mount_parse(char *line, uint64_t *ret_ino, const char **ret_mountpoint)
{
	char *f[6], *save = NULL, *t, *fstype = NULL;
	unsigned long long ino;
	int n = 0;

	for (t = strtok_r(line, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		if (n < 6)
			f[n++] = t;
		else if (!strcmp(t, "-")) {
			fstype = strtok_r(NULL, " \n", &save);
			break;
		}
	}
	if (n < 6 || !fstype || strcmp(fstype, "nsfs") || sscanf(f[3], "net:[%llu]", &ino) != 1 ||
	    f[4][0] != '/')
		return 0;
	unescape(f[4]);
	*ret_ino = ino;
	*ret_mountpoint = f[4];
	return 1;
}

static void mount_line(struct vmnet_netns_scan *s, const char *pid, char *line)
{
	char path[PATH_MAX];
	const char *mp;
	uint64_t ino;

	if (vmnet_netns_mount_parse(line, &ino, &mp) &&
	    snprintf(path, sizeof(path), "/proc/%s/root%s", pid, mp) < (int)sizeof(path))
		add_holder(s, ino, path);
}

/* 1 if @pid shows a mount namespace and root not read yet (in *ret), 0
 * if not, -1 if it cannot be inspected. */
static int new_view(struct vmnet_netns_scan *s, const char *pid, struct view *ret)
{
	char path[64];
	struct stat m, r;

	snprintf(path, sizeof(path), "/proc/%s/ns/mnt", pid);
	if (stat(path, &m) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%s/root", pid);
	if (stat(path, &r) < 0)
		return -1;
	*ret = (struct view){ (uint64_t)m.st_ino, (uint64_t)r.st_dev, (uint64_t)r.st_ino };
	for (size_t i = 0; i < s->n_views; i++)
		if (!memcmp(&s->views[i], ret, sizeof(*ret)))
			return 0;
	return 1;
}

/* The nsfs mounts of @pid's mount namespace, once per mount namespace and
 * root: a runtime's bind mounts may exist only there (podman, private /run). */
static void scan_mounts(struct vmnet_netns_scan *s, const char *pid)
{
	char path[64], *line = NULL;
	size_t len = 0;
	struct view v;
	FILE *f;
	int r = new_view(s, pid, &v);

	if (r <= 0) {
		if (r < 0)
			note_errno(s, errno);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%s/mountinfo", pid);
	f = fopen(path, "re");
	if (!f) {
		note_errno(s, errno);
		return;
	}
	if (grow((void **)&s->views, &s->cap_views, s->n_views, sizeof(*s->views)))
		s->views[s->n_views++] = v;
	else
		s->oom = true;
	while (getline(&line, &len, f) > 0)
		mount_line(s, pid, line);
	free(line);
	fclose(f);
}

/* Open fds on a namespace ("net:[INODE]"), which also keep it alive (a
 * runtime's handle, "ip netns exec" between unshare and mount). netd's
 * own fds do not count: they are this pass's handles. */
static void scan_fds(struct vmnet_netns_scan *s, const char *pid)
{
	char dir[64], path[384], target[64];
	unsigned long long ino;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	d = opendir(dir);
	if (!d) {
		note_errno(s, errno);
		return;
	}
	while ((de = readdir(d))) {
		ssize_t n;

		if (!is_pid(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0) {
			note_errno(s, errno);
			continue;
		}
		target[n] = '\0';
		if (sscanf(target, "net:[%llu]", &ino) == 1)
			add_holder(s, ino, path);
	}
	closedir(d);
}

/* Walk /proc, calling @fn for every process (fds: all but our own). */
static int walk(struct vmnet_netns_scan *s, void (*fn)(struct vmnet_netns_scan *, const char *),
		bool skip_self)
{
	char self[24];
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return -errno;
	snprintf(self, sizeof(self), "%d", (int)getpid());
	while ((de = readdir(d)))
		if (is_pid(de->d_name) && !(skip_self && !strcmp(de->d_name, self)))
			fn(s, de->d_name);
	closedir(d);
	return s->oom ? -ENOMEM : 0;
}

static void tasks_and_mounts(struct vmnet_netns_scan *s, const char *pid)
{
	scan_tasks(s, pid);
	scan_mounts(s, pid);
}

static int scan_new(struct vmnet_netns_scan **ret)
{
	struct vmnet_netns_scan *s = calloc(1, sizeof(*s));
	struct stat st;
	int r;

	if (!s)
		return -ENOMEM;
	if (stat("/proc/self/ns/pid", &st) < 0 || st.st_ino != PID_INIT_INO)
		s->incomplete = true;
	r = walk(s, tasks_and_mounts, false);
	if (r < 0) {
		vmnet_netns_scan_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

/* 1: opened, 0: no holder, -EACCES: holders, none openable (@where: one). */
static int lookup(struct vmnet_netns_scan *s, const struct vmnet_netns_id *id, int *ret_fd,
		  char *where, size_t wsize)
{
	int r = 0;

	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].ino != id->ino)
			continue;
		switch (open_proven(s->v[i].path, id, ret_fd)) {
		case 1:
			return 1;
		case 0: /* the inode, now another namespace's */
			continue;
		}
		snprintf(where, wsize, "%s", s->v[i].path);
		r = -EACCES;
	}
	return r;
}

int vmnet_netns_prove(const char *path, const struct vmnet_netns_id *id, const char *boot_id,
		      struct vmnet_netns_scan **scan, int *ret_fd, bool *ret_incomplete,
		      struct vmnet_err *err)
{
	static char boot[40]; /* the same for the life of the process */
	char where[PATH_MAX] = "";
	int r;

	*ret_incomplete = false;
	if (!boot[0])
		vmnet_boot_id(boot, sizeof(boot));
	if (!boot_id[0] || !boot[0] || strcmp(boot, boot_id)) {
		vmnet_err_set(err, VMNET_ERR_SYSTEM, 0, "recorded in boot %s, this is boot %s",
			      boot_id[0] ? boot_id : "(unknown)", boot[0] ? boot : "(unknown)");
		return -ESTALE;
	}
	if (!id->ino || !id->cookie) {
		vmnet_err_set(err, VMNET_ERR_SYSTEM, 0,
			      "recorded without the namespace's identity (by an older vmnet, or "
			      "a kernel without SO_NETNS_COOKIE)");
		return -ENODATA;
	}
	if (path[0] && open_proven(path, id, ret_fd) == 1)
		return 1;
	if (!*scan && (r = scan_new(scan)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "reading /proc");
	r = lookup(*scan, id, ret_fd, where, sizeof(where));
	if (r == 0 && !(*scan)->fds) {
		(*scan)->fds = true;
		if ((r = walk(*scan, scan_fds, true)) < 0)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "reading /proc");
		r = lookup(*scan, id, ret_fd, where, sizeof(where));
	}
	if (r == -EACCES)
		vmnet_err_set(err, VMNET_ERR_SYSTEM, 0, "held at %.300s, which does not open as it",
			      where);
	*ret_incomplete = (*scan)->incomplete;
	return r;
}
