/* SPDX-License-Identifier: MIT */
/*
 * callprof: where one plugin call's time goes, request by request. An
 * LD_PRELOAD library for a dynamically linked vmnet (the default build is
 * static: `make STATIC=0 B=build/dynamic`), used by where.sh. It wraps the
 * libc calls that reach the kernel (netlink sends and receives, file and
 * socket calls, ioctls), times each with CLOCK_MONOTONIC around the real
 * call (≈ 0.1 µs added per call, no ptrace stop as with strace), and at
 * exit writes one line per kind of request to $CALLPROF_DIR/<command>.<pid>:
 *
 *   <µs in total> <calls> <kind>
 *
 * then "<µs> total" (constructor to destructor: the process minus its
 * exec and dynamic loading). A netlink request is named by its message
 * type and the order it was sent in ("RTM_SETLINK #8": the 8th netlink
 * request of the call), an nf_tables batch by its first message inside;
 * on a synchronous rtnetlink socket the kernel does the work inside the
 * send, so its time is the request's cost, waits for RTNL included.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define KINDS 256

static struct {
	char kind[48];
	double us;
	unsigned n;
} tab[KINDS];
static unsigned n_kinds, n_requests;
static double t_start;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void account(const char *kind, double us)
{
	unsigned i;

	for (i = 0; i < n_kinds && strcmp(tab[i].kind, kind); i++)
		;
	if (i == n_kinds) {
		if (n_kinds == KINDS)
			return;
		snprintf(tab[n_kinds++].kind, sizeof(tab[0].kind), "%s", kind);
	}
	tab[i].us += us;
	tab[i].n++;
}

__attribute__((constructor)) static void callprof_start(void)
{
	t_start = now_us();
}

__attribute__((destructor)) static void callprof_end(void)
{
	const char *dir = getenv("CALLPROF_DIR"), *cmd = getenv("CNI_COMMAND");
	double total = now_us() - t_start;
	char path[4096];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s.%d", dir, cmd ? cmd : "none", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return;
	for (unsigned i = 0; i < n_kinds; i++)
		fprintf(f, "%.1f %u %s\n", tab[i].us, tab[i].n, tab[i].kind);
	fprintf(f, "%.1f 1 total\n", total);
	fclose(f);
}

static const char *rtm_name(unsigned t)
{
	static const char *const names[] = {
		[RTM_NEWLINK] = "RTM_NEWLINK",	   [RTM_DELLINK] = "RTM_DELLINK",
		[RTM_GETLINK] = "RTM_GETLINK",	   [RTM_SETLINK] = "RTM_SETLINK",
		[RTM_NEWADDR] = "RTM_NEWADDR",	   [RTM_DELADDR] = "RTM_DELADDR",
		[RTM_GETADDR] = "RTM_GETADDR",	   [RTM_NEWROUTE] = "RTM_NEWROUTE",
		[RTM_DELROUTE] = "RTM_DELROUTE",   [RTM_GETROUTE] = "RTM_GETROUTE",
		[RTM_NEWQDISC] = "RTM_NEWQDISC",   [RTM_DELQDISC] = "RTM_DELQDISC",
		[RTM_NEWTFILTER] = "RTM_NEWTFILTER", [RTM_DELTFILTER] = "RTM_DELTFILTER",
		[RTM_NEWNSID] = "RTM_NEWNSID",	   [RTM_GETNSID] = "RTM_GETNSID",
		[RTM_NEWNEIGH] = "RTM_NEWNEIGH",   [RTM_DELNEIGH] = "RTM_DELNEIGH",
	};

	return t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : NULL;
}

/* The kind of the netlink message(s) in @buf: an nfnetlink batch by the
 * first message inside it. */
static void nl_kind(const void *buf, size_t len, char *out, size_t size)
{
	const struct nlmsghdr *h = buf;
	const char *name;

	if (len < sizeof(*h)) {
		snprintf(out, size, "netlink ?");
		return;
	}
	if (h->nlmsg_type == NFNL_MSG_BATCH_BEGIN && len >= NLMSG_ALIGN(h->nlmsg_len) + sizeof(*h)) {
		const struct nlmsghdr *in = (const void *)((const char *)buf + NLMSG_ALIGN(h->nlmsg_len));

		snprintf(out, size, "nft batch %u/%u", in->nlmsg_type >> 8, in->nlmsg_type & 0xff);
		return;
	}
	name = rtm_name(h->nlmsg_type);
	if (name)
		snprintf(out, size, "%s #%u", name, ++n_requests);
	else
		snprintf(out, size, "nfnetlink %u/%u", h->nlmsg_type >> 8, h->nlmsg_type & 0xff);
}

#define REAL(name) \
	static __typeof__(name) *real; \
	if (!real) \
		real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	char kind[48];
	double t;
	ssize_t r;
	REAL(send);

	nl_kind(buf, len, kind, sizeof(kind));
	t = now_us();
	r = real(fd, buf, len, flags);
	account(kind, now_us() - t);
	return r;
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *sa,
	       socklen_t sl)
{
	char kind[48];
	double t;
	ssize_t r;
	REAL(sendto);

	nl_kind(buf, len, kind, sizeof(kind));
	t = now_us();
	r = real(fd, buf, len, flags, sa, sl);
	account(kind, now_us() - t);
	return r;
}

ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	char kind[48] = "sendmsg";
	double t;
	ssize_t r;
	REAL(sendmsg);

	if (m->msg_iovlen && m->msg_iov[0].iov_len >= sizeof(struct nlmsghdr) && !m->msg_controllen)
		nl_kind(m->msg_iov[0].iov_base, m->msg_iov[0].iov_len, kind, sizeof(kind));
	t = now_us();
	r = real(fd, m, flags);
	account(kind, now_us() - t);
	return r;
}

/* What @fd is, for close's row: a netfilter socket's close may wait for
 * nf_tables' destroy work, a tun queue's for an RCU grace period. */
static const char *fd_kind(int fd)
{
	char link[64], target[64];
	int proto = -1;
	socklen_t l = sizeof(proto);
	ssize_t n;

	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l) == 0)
		return proto == NETLINK_NETFILTER ? "close (netfilter socket)" : "close (socket)";
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return "close";
	target[n] = '\0';
	if (!strcmp(target, "/dev/net/tun"))
		return "close (tun)";
	if (!strncmp(target, "net:[", 5))
		return "close (netns)";
	if (!strncmp(target, "/proc/", 6))
		return "close (/proc)";
	return "close (file)";
}

int close(int fd)
{
	const char *kind;
	double t;
	int r;
	REAL(close);

	kind = fd_kind(fd);
	t = now_us();
	r = real(fd);
	account(kind, now_us() - t);
	return r;
}

int ioctl(int fd, unsigned long req, ...)
{
	char kind[48];
	va_list ap;
	void *arg;
	double t;
	int r;
	REAL(ioctl);

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	snprintf(kind, sizeof(kind), "ioctl %#lx", req);
	t = now_us();
	r = real(fd, req, arg);
	account(kind, now_us() - t);
	return r;
}

/* Plain wrappers: one kind each. */
#define TIMED(ret, name, params, args) \
	ret name params \
	{ \
		double t; \
		ret r; \
		REAL(name); \
		t = now_us(); \
		r = real args; \
		account(#name, now_us() - t); \
		return r; \
	}

TIMED(ssize_t, recv, (int fd, void *b, size_t l, int fl), (fd, b, l, fl))
TIMED(ssize_t, recvfrom, (int fd, void *b, size_t l, int fl, struct sockaddr *sa, socklen_t *sl),
      (fd, b, l, fl, sa, sl))
TIMED(ssize_t, recvmsg, (int fd, struct msghdr *m, int fl), (fd, m, fl))
TIMED(int, socket, (int d, int ty, int p), (d, ty, p))
TIMED(int, bind, (int fd, const struct sockaddr *sa, socklen_t l), (fd, sa, l))
TIMED(int, setsockopt, (int fd, int lv, int o, const void *v, socklen_t l), (fd, lv, o, v, l))
TIMED(int, poll, (struct pollfd *p, nfds_t n, int ms), (p, n, ms))
TIMED(int, flock, (int fd, int op), (fd, op))
TIMED(int, setns, (int fd, int ty), (fd, ty))
TIMED(int, renameat2, (int a, const char *b, int c, const char *d, unsigned e), (a, b, c, d, e))
TIMED(int, rename, (const char *a, const char *b), (a, b))
TIMED(int, unlinkat, (int a, const char *b, int c), (a, b, c))
TIMED(int, unlink, (const char *a), (a))
TIMED(int, mkdir, (const char *a, mode_t m), (a, m))
TIMED(int, mkdirat, (int a, const char *b, mode_t m), (a, b, m))
TIMED(int, ftruncate, (int fd, off_t l), (fd, l))
TIMED(ssize_t, pwrite, (int fd, const void *b, size_t l, off_t o), (fd, b, l, o))
TIMED(ssize_t, pwrite64, (int fd, const void *b, size_t l, off_t o), (fd, b, l, o))
TIMED(ssize_t, write, (int fd, const void *b, size_t l), (fd, b, l))
TIMED(ssize_t, read, (int fd, void *b, size_t l), (fd, b, l))
TIMED(int, fsync, (int fd), (fd))

/* The opens: /proc/sys (per-device sysctls) apart from the others. */
static int timed_open(int dir, const char *path, int flags, mode_t mode, bool at)
{
	static __typeof__(openat) *real_at;
	static __typeof__(open) *real_open;
	double t;
	int r;

	if (!real_at)
		real_at = (__typeof__(openat) *)dlsym(RTLD_NEXT, "openat");
	if (!real_open)
		real_open = (__typeof__(open) *)dlsym(RTLD_NEXT, "open");
	t = now_us();
	r = at ? real_at(dir, path, flags, mode) : real_open(path, flags, mode);
	account(!strncmp(path, "/proc/sys/", 10) ? "open /proc/sys" : "open", now_us() - t);
	return r;
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

/* open, open64, openat, openat64: the mode is there only with O_CREAT or
 * O_TMPFILE. */
#define OPEN_WRAPPER(name, params, dir, at) \
	int name params \
	{ \
		va_list ap; \
		mode_t m; \
		va_start(ap, flags); \
		m = mode_arg(flags, ap); \
		va_end(ap); \
		return timed_open(dir, path, flags, m, at); \
	}

OPEN_WRAPPER(open, (const char *path, int flags, ...), AT_FDCWD, false)
OPEN_WRAPPER(open64, (const char *path, int flags, ...), AT_FDCWD, false)
OPEN_WRAPPER(openat, (int dir, const char *path, int flags, ...), dir, true)
OPEN_WRAPPER(openat64, (int dir, const char *path, int flags, ...), dir, true)
