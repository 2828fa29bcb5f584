/* SPDX-License-Identifier: MIT */
/*
 * Waiting for a lock another process holds (vmnet_fs_lock_wait, lib/fs.c):
 * the waiter gets the lock when the holder closes it, sleeps meanwhile
 * instead of polling (a storm of calls on one network used to spend its
 * CPU on waiters trying every 200 us), still gets a lock the holder
 * unlocked without closing, and gives up at its timeout. The timer signal
 * that bounds the wait (SIGRTMAX - 2) leaves no trace: the caller's handler
 * and mask are as they were, and no tick arrives after. Without root.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmnet/fs.h"
#include "tap.h"

static char dir[] = "/tmp/vmnet-fslock.XXXXXX";
static char path[sizeof(dir) + 8];

enum let_go { CLOSE_IT, UNLOCK_ONLY };

/* A child that takes the lock, says so on a pipe, holds it @ms, then lets
 * go as @how says and (for UNLOCK_ONLY) stays alive 5 s more. */
static pid_t holder(long ms, enum let_go how)
{
	struct timespec hold = { ms / 1000, (ms % 1000) * 1000000L }, stay = { 5, 0 };
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0 || flock(fd, LOCK_EX) < 0)
			_exit(1);
		(void)!write(p[1], "x", 1);
		nanosleep(&hold, NULL);
		if (how == UNLOCK_ONLY) {
			flock(fd, LOCK_UN);
			nanosleep(&stay, NULL);
		}
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1)
		pid = -1;
	close(p[0]);
	return pid;
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long switches(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return u.ru_nvcsw;
}

static volatile sig_atomic_t ticks;

static void count_tick(int sig)
{
	(void)sig;
	ticks++;
}

static int opened(void)
{
	return open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}

int main(void)
{
	long t0, sw0, sw;
	int fd, r, st;
	pid_t pid;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/.lock", dir);

	fd = opened();
	ok(vmnet_fs_lock_wait(fd, 1000) == 0, "a free lock is taken at once");
	close(fd);

	/* Held 300 ms, let go by exiting. */
	pid = holder(300, CLOSE_IT);
	fd = opened();
	t0 = now_ms();
	sw0 = switches();
	r = vmnet_fs_lock_wait(fd, 5000);
	sw = switches() - sw0;
	ok(r == 0 && now_ms() - t0 >= 200, "a held lock is taken once its holder exits (%d, %ld ms)",
	   r, now_ms() - t0);
	/* Polling every 200 us, then every 2..20 ms, slept ~120 times in
	 * 300 ms; a waiter woken by the close and its 20 ms safety net ~16. */
	ok(sw <= 30, "the waiter slept instead of polling: %ld wake-ups in 300 ms", sw);
	close(fd);
	waitpid(pid, &st, 0);

	/* Unlocked after 100 ms but kept open (as host-local does). */
	pid = holder(100, UNLOCK_ONLY);
	fd = opened();
	t0 = now_ms();
	r = vmnet_fs_lock_wait(fd, 5000);
	ok(r == 0 && now_ms() - t0 < 4000,
	   "a lock unlocked but not closed is taken while its holder lives (%d, %ld ms)", r,
	   now_ms() - t0);
	close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);

	/* Held past the waiter's patience. */
	pid = holder(3000, CLOSE_IT);
	fd = opened();
	t0 = now_ms();
	r = vmnet_fs_lock_wait(fd, 150);
	ok(r == -ETIMEDOUT && now_ms() - t0 >= 150 && now_ms() - t0 < 2500,
	   "a lock held past the timeout gives -ETIMEDOUT after it (%d, %ld ms)", r,
	   now_ms() - t0);
	close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);

	/* The caller's own handler for the timer's signal, and the signal
	 * blocked: the wait still ends at its deadline, and afterwards both
	 * are as they were, with no tick pending or delivered. */
	{
		struct sigaction mine = { .sa_handler = count_tick }, now;
		struct timespec nap = { 0, 50 * 1000 * 1000 };
		sigset_t blk, cur, pend;

		sigemptyset(&mine.sa_mask);
		sigaction(SIGRTMAX - 2, &mine, NULL);
		sigemptyset(&blk);
		sigaddset(&blk, SIGRTMAX - 2);
		sigprocmask(SIG_BLOCK, &blk, NULL);
		pid = holder(3000, CLOSE_IT);
		fd = opened();
		t0 = now_ms();
		r = vmnet_fs_lock_wait(fd, 100);
		ok(r == -ETIMEDOUT && now_ms() - t0 < 2500,
		   "with its signal blocked by the caller, the wait still times out (%d, %ld ms)", r,
		   now_ms() - t0);
		sigpending(&pend);
		sigprocmask(SIG_BLOCK, NULL, &cur);
		ok(sigismember(&cur, SIGRTMAX - 2) && !sigismember(&pend, SIGRTMAX - 2),
		   "the signal is blocked again, nothing of it pending");
		sigprocmask(SIG_UNBLOCK, &blk, NULL);
		nanosleep(&nap, NULL);
		sigaction(SIGRTMAX - 2, NULL, &now);
		ok(now.sa_handler == count_tick && ticks == 0,
		   "the caller's handler is back and got no tick (%d)", (int)ticks);
		close(fd);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}

	unlink(path);
	rmdir(dir);
	return done();
}
