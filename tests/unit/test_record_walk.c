/* SPDX-License-Identifier: MIT */
/*
 * The one walk over the state folder (vmnet_record_walk, _walk_networks)
 * and what is built on it (vmnet_record_others, _guest_taken), without
 * root: which folders count as networks and which files as records, the
 * killed writer's temporary file removed only under the lock, the early
 * stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmnet/err.h"
#include "vmnet/record.h"
#include "record_test.h"
#include "tap.h"

static char state[] = "/tmp/vmnet-walk.XXXXXX";

static void touch(const char *rel)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", state, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		close(fd);
}

static void put(const char *network, const char *cid, uint32_t addr)
{
	struct vmnet_record rec;

	record_fixture(&rec, network, cid, addr, 24);
	rec.guest_mac[5] = (uint8_t)addr;
	record_put(state, &rec);
}

static int count(const char *network, const char *path, void *data)
{
	(void)network;
	(void)path;
	++*(int *)data;
	return 0;
}

static int stop_at_second(const char *network, const char *path, void *data)
{
	(void)network;
	(void)path;
	return ++*(int *)data == 2 ? 42 : 0;
}

static int cleanup(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

int main(void)
{
	char tmp[512], link[512];
	int n = 0, r;

	if (!mkdtemp(state))
		return 1;
	put("n1", "a", 0x0a4d0005);
	put("n1", "b", 0x0a4d0006);
	put("n2", "c", 0x0a4e0005);
	touch("n1/.a@eth0.json.tmp");
	touch("n1/notes.txt");
	touch(".netd.lock");
	snprintf(tmp, sizeof(tmp), "%s/n1", state);
	snprintf(link, sizeof(link), "%s/link", state);
	ok(symlink(tmp, link) == 0, "a symlink to n1 beside it");

	r = vmnet_record_walk_networks(state, count, &n);
	ok(r == 0 && n == 2, "two networks: not the lock file, not a symlink to a network (%d)", n);
	n = 0;
	r = vmnet_record_walk(state, "n1", false, count, &n);
	ok(r == 0 && n == 2, "n1 holds two records: not notes.txt, not the temporary file (%d)", n);
	snprintf(tmp, sizeof(tmp), "%s/n1/.a@eth0.json.tmp", state);
	ok(access(tmp, F_OK) == 0, "without the lock the temporary file stays");
	n = 0;
	ok(vmnet_record_walk(state, "n1", true, count, &n) == 0 && n == 2 && access(tmp, F_OK) < 0,
	   "under the lock it goes");
	n = 0;
	r = vmnet_record_walk(state, NULL, false, count, &n);
	ok(r == 0 && n == 3, "every network: three records (%d)", n);
	n = 0;
	ok(vmnet_record_walk(state, NULL, false, stop_at_second, &n) == 42 && n == 2,
	   "a callback's non-zero stops the walk and is returned");
	ok(vmnet_record_walk(state, "n9", false, count, &n) == -ENOENT,
	   "a network without a folder: -ENOENT");
	ok(vmnet_record_others(state, "n1", "a", "eth0", NULL) == 1 &&
		   vmnet_record_others(state, "n2", "c", "eth0", NULL) == 0 &&
		   vmnet_record_others(state, "n9", "c", "eth0", NULL) == 0,
	   "others: n1 has another record than a's, n2 none than c's, n9 none");
	ok(vmnet_record_guest_taken(state, 0x0a4e0005) == 1 &&
		   vmnet_record_guest_taken(state, 0x0a4d0007) == 0,
	   "guest_taken finds an address of any network, and only a recorded one");
	nftw(state, cleanup, 8, FTW_DEPTH | FTW_PHYS);
	return done();
}
