/* SPDX-License-Identifier: MIT */
/*
 * The hand-off's two users (lib/handoff.c). netd sets a sink: its own
 * netfilter sockets go there, and it never hands anything to a netd, which
 * would be itself (a repair's detach would give it devices no one then
 * deletes). A plugin call enables hand-off: descriptors are kept for netd,
 * up to VMNET_HANDOFF_MAX, and a netd that is not there takes none.
 * Without root.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmnet/handoff.h"
#include "tap.h"

static int sunk[4], n_sunk;

static bool keep(int fd, void *data)
{
	(void)data;
	if (n_sunk == 4)
		return false;
	sunk[n_sunk++] = fd;
	return true;
}

static int fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* A socket where netd's would be, listening: a connect to it succeeds. */
static int fake_netd(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0)
		return -1;
	return fd;
}

int main(void)
{
	char dir[] = "/tmp/vmnet-handoff.XXXXXX", path[64];
	int fd, nd;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/netd.sock", dir);
	setenv("VMNET_NETD_SOCKET", path, 1);
	nd = fake_netd(path);
	ok(nd >= 0, "a socket listens where netd's would be");
	ok(!vmnet_handoff_enabled(), "at first nothing is handed off");
	fd = dup(0);
	ok(!vmnet_handoff_keep(fd) && fd_open(fd), "keep refuses: the caller still owns it");
	close(fd);

	vmnet_handoff_sink(keep, NULL);
	ok(vmnet_handoff_enabled(), "a sink set: closes go through hand-off");
	ok(!vmnet_handoff_netd(), "but nothing is handed to the netd that listens (itself, in netd)");
	fd = dup(0);
	ok(vmnet_handoff_keep(fd) && n_sunk == 1 && sunk[0] == fd, "keep gives the sink the descriptor");
	ok(vmnet_handoff_release() == 0, "release hands nothing over");
	ok(fd_open(sunk[0]), "and leaves the sink's descriptor alone");
	close(sunk[0]);
	vmnet_handoff_sink(NULL, NULL);
	ok(!vmnet_handoff_enabled(), "the sink unset: nothing is handed off again");

	/* The plugin's side, with no netd. */
	close(nd);
	unlink(path);
	rmdir(dir);
	vmnet_handoff_enable();
	ok(vmnet_handoff_enabled(), "a plugin call enables hand-off");
	fd = dup(0);
	ok(vmnet_handoff_keep(fd), "keep takes the descriptor for netd");
	ok(!vmnet_handoff_netd(), "no netd answers");
	ok(vmnet_handoff_release() == 0 && !fd_open(fd), "release closes it here, none taken");
	return done();
}
