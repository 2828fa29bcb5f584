/* SPDX-License-Identifier: MIT */
/* Namespace identity: the record keeps it, and vmnet_netns_prove() acts on
 * nothing it has not matched (no root needed: the test's own namespace). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "vmnet/err.h"
#include "vmnet/netns.h"
#include "vmnet/record.h"

static void fill(struct vmnet_record *r)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->network, "n");
	strcpy(r->cid, "c");
	strcpy(r->ifname, "eth0");
	strcpy(r->host_if, "vmv0");
	r->tap_uid = r->tap_gid = -1;
	vmnet_mac_parse("02:00:00:00:00:01", true, r->guest_mac);
	vmnet_prefix_parse("10.0.0.2/24", false, false, &r->guest);
	r->netns_id = (struct vmnet_netns_id){.dev = 4, .ino = 4026532001ULL};
	r->host_nsid = 3;
}

static void record_fields(void)
{
	struct vmnet_record in, out;
	struct vmnet_err e = {0};
	json_t *v;

	fill(&in);
	v = vmnet_record_to_json(&in);
	ok(v && vmnet_record_from_json(v, &out, &e) == 0 && out.netns_id.dev == 4 &&
		   out.netns_id.ino == 4026532001ULL && out.host_nsid == 3,
	   "netnsDev/netnsIno/hostNsid survive a round trip");
	json_object_del(v, "netnsDev");
	json_object_del(v, "netnsIno");
	json_object_del(v, "hostNsid");
	ok(vmnet_record_from_json(v, &out, &e) == 0 && out.netns_id.ino == 0 && out.host_nsid == -1,
	   "a record of an older vmnet parses, identity and nsid unknown");
	json_object_set_new(v, "netnsIno", json_integer(-1));
	memset(&e, 0, sizeof(e));
	ok(vmnet_record_from_json(v, &out, &e) < 0, "a negative netnsIno is refused");
	json_decref(v);
}

static int prove(const char *path, const struct vmnet_netns_id *id, const char *boot, int *fd,
		 bool *incomplete)
{
	_cleanup_(vmnet_netns_scan_freep) struct vmnet_netns_scan *scan = NULL;
	struct vmnet_err e = {0};

	*fd = -1;
	return vmnet_netns_prove(path, id, boot, &scan, fd, incomplete, &e);
}

static void proofs(void)
{
	struct vmnet_netns_id self, other;
	char boot[40], fifo[] = "/tmp/vmnet-netns-fifo.XXXXXX";
	struct stat s;
	bool inc;
	int fd = -1, self_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	vmnet_boot_id(boot, sizeof(boot));
	ok(boot[0] && self_fd >= 0 && vmnet_netns_identity(self_fd, &self) == 0,
	   "boot ID and own identity");
	ok(prove("/proc/self/ns/net", &self, "another-boot", &fd, &inc) == -ESTALE && fd < 0,
	   "another boot: -ESTALE, nothing opened");
	other = (struct vmnet_netns_id){0};
	ok(prove("/proc/self/ns/net", &other, boot, &fd, &inc) == -ENODATA && fd < 0,
	   "no identity recorded: -ENODATA, nothing opened");
	ok(prove("/proc/self/ns/net", &self, boot, &fd, &inc) == 1 && fstat(fd, &s) == 0 &&
		   (uint64_t)s.st_ino == self.ino,
	   "proven by its path");
	close(fd);
	ok(prove("/nonexistent/netns", &self, boot, &fd, &inc) == 1 && fstat(fd, &s) == 0 &&
		   (uint64_t)s.st_ino == self.ino,
	   "a path that is gone: proven through a process that holds it");
	close(fd);
	other = (struct vmnet_netns_id){.dev = self.dev, .ino = self.ino, .cookie = self.cookie + 1};
	ok(self.cookie && prove("/proc/self/ns/net", &other, boot, &fd, &inc) == 0 && fd < 0,
	   "the inode of another (newer) namespace: its cookie differs, not proven");
	other = (struct vmnet_netns_id){.dev = self.dev, .ino = 1, .cookie = self.cookie};
	ok(prove("/proc/self/ns/net", &other, boot, &fd, &inc) == 0 && fd < 0,
	   "an identity nothing holds: 0, nothing opened");
	/* A FIFO at the path would block an open(O_RDONLY): it must not be
	 * opened at all, since its stat() is not the namespace's. */
	close(mkstemp(fifo));
	unlink(fifo);
	ok(mkfifo(fifo, 0600) == 0 && prove(fifo, &other, boot, &fd, &inc) == 0 && fd < 0,
	   "a FIFO at the path is never opened");
	unlink(fifo);
	close(self_fd);
}

static void mountinfo(void)
{
	char a[] = "778 42 0:4 net:[4026535474] /run/netns/a\\040b\\134c rw shared:48 - nsfs nsfs "
		   "rw\n";
	char b[] = "43 42 0:4 net:[7] /x rw master:1 unbindable - nsfs nsfs rw";
	char c[] = "22 27 0:21 / /proc rw,relatime - proc proc rw";
	char d[] = "44 42 0:4 mnt:[4026531832] /m rw - nsfs nsfs rw";
	char e[] = "45 42 0:4 net:[9] /short";
	const char *mp = NULL;
	uint64_t ino = 0;

	ok(vmnet_netns_mount_parse(a, &ino, &mp) == 1 && ino == 4026535474ULL &&
		   !strcmp(mp, "/run/netns/a b\\c"),
	   "an nsfs netns mount, escapes undone");
	ok(vmnet_netns_mount_parse(b, &ino, &mp) == 1 && ino == 7 && !strcmp(mp, "/x"),
	   "optional fields before the separator");
	ok(vmnet_netns_mount_parse(c, &ino, &mp) == 0, "not nsfs");
	ok(vmnet_netns_mount_parse(d, &ino, &mp) == 0, "nsfs, but a mount namespace");
	ok(vmnet_netns_mount_parse(e, &ino, &mp) == 0, "truncated line");
}

int main(void)
{
	mountinfo();
	record_fields();
	proofs();
	return done();
}
