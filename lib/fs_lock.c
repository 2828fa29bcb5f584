/* SPDX-License-Identifier: MIT */
/*
 * Waiting for a lock another process holds (include/vmnet/fs.h,
 * vmnet_fs_lock_wait). The waiter sleeps in a blocking flock(), which the
 * kernel wakes the moment the holder lets go, by closing or by unlocking:
 * the next call runs as the holder leaves, and nothing wakes meanwhile. A
 * per-thread timer interrupts it at the deadline (its signal has a handler
 * without SA_RESTART, so flock() returns EINTR), and again every
 * RETICK_MS after, in case a tick came just before flock() slept.
 *
 * (It slept on an inotify watch of the file before: closing the inotify
 * descriptor waits for fsnotify's mark reaper, an SRCU grace period of
 * 10-18 ms here, and the waiter did that holding the lock it had just got.)
 *
 * Without a timer it polls: every 200 us for the first 20 ms, then backing
 * off to 20 ms.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "vmnet/fs.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

/* Only ever interrupts the flock() below; never delivered with another
 * handler in place. */
#define LOCK_SIGNAL (SIGRTMAX - 2)
#define RETICK_MS 5

struct lock_timer {
	timer_t id;
	struct sigaction old_sa;
	sigset_t old_mask;
};

static void on_tick(int sig)
{
	(void)sig;
}

static long ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Stop the timer, take a tick still pending, and put the signal's handler
 * and this thread's mask back as they were. */
static void timer_disarm(struct lock_timer *t)
{
	const struct timespec zero = { 0, 0 };
	sigset_t sig;

	timer_delete(t->id);
	sigemptyset(&sig);
	sigaddset(&sig, LOCK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &sig, NULL);
	while (sigtimedwait(&sig, NULL, &zero) == LOCK_SIGNAL)
		;
	pthread_sigmask(SIG_SETMASK, &t->old_mask, NULL);
	sigaction(LOCK_SIGNAL, &t->old_sa, NULL);
}

/* A tick to this thread after @ms, then every RETICK_MS: 0, or -1 (no
 * timer; nothing changed). */
static int timer_arm(struct lock_timer *t, long ms)
{
	struct sigaction sa = { .sa_handler = on_tick };
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = LOCK_SIGNAL };
	struct itimerspec its = {
		.it_value = { ms / 1000, (ms % 1000) * 1000000L },
		.it_interval = { 0, RETICK_MS * 1000000L },
	};
	sigset_t sig;

	if (ms <= 0)
		its.it_value.tv_nsec = 1;
	ev.sigev_notify_thread_id = gettid();
	sigemptyset(&sa.sa_mask);
	if (sigaction(LOCK_SIGNAL, &sa, &t->old_sa) < 0)
		return -1;
	if (timer_create(CLOCK_MONOTONIC, &ev, &t->id) < 0) {
		sigaction(LOCK_SIGNAL, &t->old_sa, NULL);
		return -1;
	}
	sigemptyset(&sig);
	sigaddset(&sig, LOCK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &sig, &t->old_mask);
	if (timer_settime(t->id, 0, &its, NULL) < 0) {
		timer_disarm(t);
		return -1;
	}
	return 0;
}

static int lock_polling(int fd, int timeout_ms, const struct timespec *start)
{
	struct timespec nap = { 0, 200 * 1000 };
	long waited;

	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		waited = ms_since(start);
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		if (waited >= 20 && nap.tv_nsec < 20 * 1000 * 1000)
			nap.tv_nsec += 2 * 1000 * 1000;
		nanosleep(&nap, NULL);
	}
}

int vmnet_fs_lock_wait(int fd, int timeout_ms)
{
	struct lock_timer t;
	struct timespec start;
	int r;

	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK && errno != EINTR)
		return -errno;
	clock_gettime(CLOCK_MONOTONIC, &start);
	if (timer_arm(&t, timeout_ms) < 0)
		return lock_polling(fd, timeout_ms, &start);
	for (;;) {
		if (flock(fd, LOCK_EX) == 0) {
			r = 0;
			break;
		}
		r = -errno;
		if (r != -EINTR)
			break;
		if (ms_since(&start) >= timeout_ms) {
			r = -ETIMEDOUT;
			break;
		}
	}
	timer_disarm(&t);
	return r;
}
