/* SPDX-License-Identifier: MIT */
/*
 * Record writes through the network's spare inode (lib/record.c, issue 15):
 * repeated writes of a record reuse two inodes and allocate none; a writer
 * killed mid-fill leaves the record whole; a reader holding a record is never
 * written under; readers racing a writer always get a whole record; the last
 * record takes the spare with it. Without root.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmnet/err.h"
#include "vmnet/record.h"
#include "record_test.h"
#include "tap.h"

static char state[] = "/tmp/vmnet-spare.XXXXXX";

/* Version @v of record @cid: its address and its port count both follow
 * @v, so a record mixed from two versions does not check out. */
static void make(struct vmnet_record *rec, const char *cid, unsigned v)
{
	record_fixture(rec, "n1", cid, 0x0a4d0000u | (v & 0xffffu), 16);
	rec->gateway = 0x0a4d0001u;
	struct vmnet_port pv[7] = {0};

	for (unsigned i = 0; i < v % 7; i++) {
		pv[i].host_port = (uint16_t)(1000 + i);
		pv[i].guest_port = (uint16_t)(2000 + i);
		pv[i].proto = 6;
	}
	vmnet_record_set_ports(rec, pv, v % 7);
}

static int put(const char *cid, unsigned v)
{
	struct vmnet_record rec;
	int r;

	make(&rec, cid, v);
	r = record_put(state, &rec);
	vmnet_record_clear(&rec);
	return r;
}

/* The version a record read back is, or -1 if it is not a whole one. */
static long got(const char *cid)
{
	struct vmnet_record rec;
	struct vmnet_err err = {0};
	long v;

	if (vmnet_record_read(state, "n1", cid, "eth0", &rec, &err) < 0) {
		printf("# read: %s\n", err.msg);
		return -1;
	}
	v = rec.guest.addr & 0xffffu;
	if ((rec.guest.addr >> 16) != 0x0a4d || rec.n_ports != (unsigned)v % 7)
		v = -1;
	vmnet_record_clear(&rec);
	return v;
}

static ino_t ino_of(const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", state, rel);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void race(void)
{
	unsigned bad = 0, reads = 0;
	int status;
	pid_t pid;

	put("r", 0);
	pid = fork();

	if (pid == 0) {
		for (unsigned v = 1; v <= 4000; v++)
			if (put("r", v) < 0)
				_exit(1);
		_exit(0);
	}
	/* Lockless reads, as netd's first look: each one whole. */
	while (waitpid(pid, &status, WNOHANG) == 0) {
		reads++;
		bad += got("r") < 0;
	}
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a writer: 4000 versions written");
	ok(bad == 0 && reads > 0, "%u lockless reads racing it, %u not a whole record", reads, bad);
}

int main(void)
{
	ino_t a1, a2, s2, a3, s3;
	char path[512];
	int fd, held, same = 1;

	if (!mkdtemp(state))
		return 1;
	ok(put("a", 1) == 0 && got("a") == 1 && ino_of("n1/.spare") == 0,
	   "first write: the record, no spare left");
	a1 = ino_of("n1/a@eth0.json");
	ok(put("a", 2) == 0 && got("a") == 2, "second write");
	a2 = ino_of("n1/a@eth0.json");
	s2 = ino_of("n1/.spare");
	ok(s2 == a1 && a2 != a1, "... swapped: the first version's inode is the spare now");
	ok(put("a", 3) == 0 && got("a") == 3, "third write");
	a3 = ino_of("n1/a@eth0.json");
	s3 = ino_of("n1/.spare");
	ok(a3 == a1 && s3 == a2, "... into the spare: no inode allocated");
	for (unsigned i = 4; i < 104; i++) {
		put("a", i);
		same &= (ino_of("n1/a@eth0.json") == a1 || ino_of("n1/a@eth0.json") == a2);
	}
	ok(same && got("a") == 103, "100 more writes, the same two inodes");

	/* A writer killed half way through filling the spare. */
	snprintf(path, sizeof(path), "%s/n1/.spare", state);
	fd = open(path, O_WRONLY);
	ok(fd >= 0 && write(fd, "{\"cid\": \"x", 10) == 10, "a killed writer's half record in the spare");
	if (fd >= 0)
		close(fd);
	ok(got("a") == 103, "... the record is still whole");
	ok(put("a", 104) == 0 && got("a") == 104, "... and the next write replaces it");

	/* A reader that holds the record while two writes go by. */
	snprintf(path, sizeof(path), "%s/n1/a@eth0.json", state);
	held = open(path, O_RDONLY);
	ok(held >= 0 && flock(held, LOCK_SH) == 0, "a reader holds version 104");
	ok(put("a", 105) == 0 && put("a", 106) == 0 && got("a") == 106,
	   "two writes while it reads");
	{
		char buf[8192];
		ssize_t n = held >= 0 ? pread(held, buf, sizeof(buf) - 1, 0) : -1;

		buf[n > 0 ? n : 0] = '\0';
		ok(n > 0 && strstr(buf, "\"10.77.0.104/16\""),
		   "... what it holds is still version 104, whole");
	}
	if (held >= 0)
		close(held);

	race();

	ok(put("b", 1) == 0 && put("b", 2) == 0, "a second record, written twice (its first write took the spare)");
	{
		ino_t sp = ino_of("n1/.spare");

		ok(sp && put("c", 1) == 0 && ino_of("n1/.spare") == 0 &&
			   vmnet_record_remove_key(state, "n1", "c", "eth0", NULL) == 0 &&
			   ino_of("n1/.spare") == sp && got("c") == -1,
		   "an ADD rolled back after its first write: the spare it took is back, same inode");
	}
	ok(vmnet_record_remove_key(state, "n1", "a", "eth0", NULL) == 0 &&
		   vmnet_record_remove_key(state, "n1", "r", "eth0", NULL) == 0 &&
		   ino_of("n1/.spare") != 0,
	   "removing records while another is left keeps the spare");
	ok(vmnet_record_remove_key(state, "n1", "b", "eth0", NULL) == 0 &&
		   ino_of("n1/.spare") == 0 && ino_of("n1/.lock") != 0,
	   "the last record takes the spare with it");
	ok(vmnet_record_others(state, "n1", "-", "eth0", NULL) == 0, "no record left");
	nftw(state, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return done();
}
