/* SPDX-License-Identifier: MIT */
/*
 * netd fills inode pools without the lock their takers hold (lib/pool.c,
 * include/vmnet/pool.h): an entry must appear whole. Made visible empty and
 * written after, a taker could take it in between, write its own content
 * and rename it into place, and then the filler's newline landed on its
 * first byte: an IPAM reservation naming no owner, which no DEL releases
 * (t_netd's SIGKILL storm found one). Here a child fills the pool as fast as
 * it can while the parent takes entries, writes each one's own content and
 * renames it out, as an ADD does; every file taken must keep its content.
 * Without root.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmnet/pool.h"
#include "tap.h"

#define RUN_MS 1500

static char dir[] = "/tmp/vmnet-poolfill.XXXXXX";

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(p);
}

/* The content the taker of entry @i writes, host-local's layout. */
static int content(char *buf, size_t size, unsigned i)
{
	return snprintf(buf, size, "owner-%u\r\neth0", i);
}

static unsigned damaged(int dfd, unsigned n)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < n; i++) {
		char name[32], want[64], got[64] = "";
		int fd, len = content(want, sizeof(want), i);
		ssize_t k;

		snprintf(name, sizeof(name), "r%u", i);
		fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
		k = fd < 0 ? -1 : read(fd, got, sizeof(got) - 1);
		if (fd >= 0)
			close(fd);
		if (k != len || memcmp(got, want, (size_t)len)) {
			if (!bad)
				printf("# %s: %zd bytes, starting 0x%02x\n", name, k, (unsigned char)got[0]);
			bad++;
		}
	}
	return bad;
}

int main(void)
{
	unsigned taken = 0;
	int dfd, pfd, st;
	pid_t pid;
	long end;

	if (!mkdtemp(dir))
		return 1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pfd = vmnet_pool_open(dfd, ".pool", true);
	if (dfd < 0 || pfd < 0)
		return 1;
	/* What a filler killed between its create and its rename leaves. */
	close(openat(pfd, ".n1.7", O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	ok(vmnet_pool_fill(pfd, 2) == 2 && faccessat(pfd, ".n1.7", F_OK, 0) < 0,
	   "a fill makes what it is asked for and removes another filler's leftover");
	ok(vmnet_pool_count(pfd, 10) == 2, "its entries are counted, no leftover of its own");
	end = now_ms() + RUN_MS;
	pid = fork();
	if (pid == 0) {
		while (now_ms() < end)
			vmnet_pool_fill(pfd, VMNET_POOL_FILL);
		_exit(0);
	}
	while (now_ms() < end) {
		char pname[VMNET_POOL_NAME_MAX], name[32], buf[64];
		int fd = vmnet_pool_take(pfd, pname);

		if (fd < 0)
			continue;
		snprintf(name, sizeof(name), "r%u", taken);
		if (vmnet_pool_write(fd, buf, (size_t)content(buf, sizeof(buf), taken)) == 0 &&
		    renameat(pfd, pname, dfd, name) == 0)
			taken++;
		close(fd);
	}
	waitpid(pid, &st, 0);
	ok(taken >= 200, "%u entries taken while the pool was being filled", taken);
	ok(damaged(dfd, taken) == 0, "every one keeps the content its taker wrote");
	close(openat(pfd, ".n1.8", O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	vmnet_pool_drop(dfd, ".pool");
	ok(faccessat(dfd, ".pool", F_OK, 0) < 0 && errno == ENOENT,
	   "dropping the pool removes it, a filler's leftover included");
	close(pfd);
	close(dfd);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return done();
}
