/* SPDX-License-Identifier: MIT */
/*
 * serve.h: the frame of the test tools that run one of netd's servers
 * (dhcptest, guest6test): SIGTERM and SIGINT as a signalfd, the counters
 * file rewritten whole (FILE.tmp, then renamed), "ready", the poll loop.
 */
#ifndef VMNET_TESTS_TOOLS_SERVE_H
#define VMNET_TESTS_TOOLS_SERVE_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>

/* Writes the server @srv's counters, one line, to @f. */
typedef void serve_stats_fn(FILE *f, const void *srv);
/* Handles what is readable on the server @srv's descriptor. */
typedef void serve_handle_fn(void *srv);

/* SIGTERM and SIGINT blocked and read from the returned signalfd (-1 and
 * errno on failure). */
static inline int serve_signalfd(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	return signalfd(-1, &mask, SFD_CLOEXEC);
}

/* @path rewritten whole with @srv's counters (left as it is when it cannot
 * be written). */
static inline void serve_write_stats(const char *path, serve_stats_fn *stats, const void *srv)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	stats(f, srv);
	if (fclose(f) == 0)
		rename(tmp, path);
}

/* The counters to @path (when not NULL) and "ready" on stdout; then
 * @handle(@srv) whenever @fd is readable, the counters rewritten after
 * each, until a signal arrives on @sfd or poll fails ("NAME: poll: ..." on
 * stderr). */
static inline void serve_loop(const char *name, int fd, int sfd, serve_handle_fn *handle, void *srv,
			      const char *path, serve_stats_fn *stats)
{
	struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};

	if (path)
		serve_write_stats(path, stats, srv);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: poll: %s\n", name, strerror(errno));
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents) {
			handle(srv);
			if (path)
				serve_write_stats(path, stats, srv);
		}
	}
}

#endif
