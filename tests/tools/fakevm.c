/* SPDX-License-Identifier: MIT */
/*
 * fakevm: a guest stand-in for integration tests, the network half of a VM.
 *
 * It opens the plugin's tap exactly as a VMM does (TUNSETIFF on the existing
 * device, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, plus IFF_MULTI_QUEUE with -q),
 * then enters a guest network namespace, creates a tap there and copies frames
 * between the two. The guest namespace then behaves like the inside of a VM:
 * the test gives the guest tap the VM's address and runs ping or socat there.
 *
 * Both ends carry the virtio-net header, so what the kernel writes on one side
 * is what the other side reads, flags included: a frame whose checksum is left
 * to "hardware" (VIRTIO_NET_HDR_F_NEEDS_CSUM) stays so and is completed by the
 * stack on the far side. We never call TUNSETOFFLOAD, so the kernel hands us no
 * GSO frames and completes checksums before the tap, as with a VMM that
 * negotiated no offloads: nothing here can corrupt a TCP checksum.
 *
 * usage: fakevm [-q] [-d] [-p PIDFILE] [-m MAC] TAP GUEST_NETNS GUEST_IF
 *   TAP          the plugin's tap, in the current network namespace
 *   GUEST_NETNS  a name under /run/netns or a path (/proc/PID/ns/net)
 *   GUEST_IF     the guest's NIC, created in GUEST_NETNS (MTU copied from TAP)
 *   -q           open TAP with IFF_MULTI_QUEUE (for taps made with multiQueue)
 *   -m MAC       set GUEST_IF's MAC and bring it up
 *   -p PIDFILE   write the relaying process's PID there before "ready"
 *   -d           go to the background once ready (the PID in PIDFILE is then
 *                the background process)
 *
 * Prints "ready" on stdout once both ends exist; exits 0 on SIGTERM or SIGINT,
 * 3 when TAP goes away, 1 on other errors, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmnet/common.h"

#define VNET_HDR_LEN ((int)sizeof(struct virtio_net_hdr)) /* 10, the tun default */
#define FRAME_MAX (65536 + 64)
#define BURST 64 /* frames moved per direction per wakeup, so neither side starves */

static volatile sig_atomic_t stop;

static void _printf_(1, 2) msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fakevm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void on_signal(int sig)
{
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: fakevm [-q] [-d] [-p PIDFILE] [-m MAC] TAP GUEST_NETNS GUEST_IF\n");
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (unsigned char)b[i];
	if (mac[0] & 1)
		return -EINVAL; /* multicast: the kernel would refuse it anyway */
	return 0;
}

/* Attach to (or, in the guest namespace, create) tap @name; returns an fd or
 * -errno. The fd is non-blocking so one wakeup can drain a burst. */
static int tap_open(const char *name, int extra_flags)
{
	struct ifreq ifr;
	int fd, hdr, r;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | extra_flags);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		goto fail;
	/* A VMM may have left a bigger header size on a persistent tap (QEMU
	 * sets 12 for virtio 1.0); make ours the size we relay. */
	if (ioctl(fd, TUNGETVNETHDRSZ, &hdr) < 0)
		goto fail;
	if (hdr != VNET_HDR_LEN) {
		hdr = VNET_HDR_LEN;
		if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)
			goto fail;
	}
	return fd;
fail:
	r = -errno;
	close(fd);
	return r;
}

static int if_ioctl(int sock, unsigned long req, struct ifreq *ifr, const char *name)
{
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", name);
	return ioctl(sock, req, ifr) < 0 ? -errno : 0;
}

/* Give the guest NIC the tap's MTU, optionally a MAC, and bring it up when a
 * MAC was given (then the script only adds the address and route). */
static int guest_if_setup(const char *name, int mtu, const unsigned char *mac)
{
	struct ifreq ifr;
	int sock, r = 0;

	/* A socket belongs to the namespace it was created in: this one to the guest's. */
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	if (mtu > 0) {
		ifr.ifr_mtu = mtu;
		r = if_ioctl(sock, SIOCSIFMTU, &ifr, name);
		if (r < 0) {
			msg("setting MTU %d on %s: %s", mtu, name, strerror(-r));
			goto out;
		}
	}
	if (!mac)
		goto out;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	r = if_ioctl(sock, SIOCSIFHWADDR, &ifr, name);
	if (r < 0) {
		msg("setting MAC on %s: %s", name, strerror(-r));
		goto out;
	}
	memset(&ifr, 0, sizeof(ifr));
	r = if_ioctl(sock, SIOCGIFFLAGS, &ifr, name);
	if (r == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = if_ioctl(sock, SIOCSIFFLAGS, &ifr, name);
	}
	if (r < 0)
		msg("bringing %s up: %s", name, strerror(-r));
out:
	close(sock);
	return r;
}

static int tap_mtu(const char *name)
{
	struct ifreq ifr;
	int sock, r;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	r = if_ioctl(sock, SIOCGIFMTU, &ifr, name);
	close(sock);
	return r < 0 ? r : ifr.ifr_mtu;
}

static int write_pidfile(const char *path, pid_t pid)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%d\n", (int)pid);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		int r = -errno;

		unlink(tmp);
		return r;
	}
	return 0;
}

/* Move up to BURST frames from @from to @to. Returns 0, or -errno when @from
 * failed for good. A failed write drops the frame, as a real wire would. */
static int relay(int from, int to, unsigned char *buf)
{
	for (int i = 0; i < BURST; i++) {
		ssize_t n = read(from, buf, FRAME_MAX);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -errno;
		}
		if (n <= VNET_HDR_LEN)
			continue;
		if (write(to, buf, (size_t)n) < 0 && errno != EAGAIN && errno != EIO &&
		    errno != EINVAL)
			msg("write: %s", strerror(errno));
	}
	return 0;
}

static int run(int fd_host, int fd_guest, const char *tap)
{
	static unsigned char buf[FRAME_MAX];
	struct pollfd p[2] = {{fd_host, POLLIN, 0}, {fd_guest, POLLIN, 0}};
	sigset_t none;

	sigemptyset(&none);
	while (!stop) {
		/* Signals are blocked outside ppoll, so a SIGTERM between the
		 * check above and the wait cannot be lost. */
		if (ppoll(p, 2, NULL, &none) < 0) {
			if (errno == EINTR)
				continue;
			msg("poll: %s", strerror(errno));
			return 1;
		}
		for (int i = 0; i < 2; i++) {
			int r = 0;

			if (p[i].revents & POLLIN)
				r = relay(p[i].fd, p[1 - i].fd, buf);
			if (r < 0 || (p[i].revents & (POLLERR | POLLHUP | POLLNVAL))) {
				/* tun reports an error once its device is deleted. */
				msg("%s went away%s%s", i == 0 ? tap : "the guest NIC",
				    r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
				return 3;
			}
		}
	}
	return 0;
}

static int daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -errno;
	if (pid > 0)
		return pid;
	setsid();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *pidfile = NULL, *tap, *ns, *gif;
	unsigned char mac[6];
	bool have_mac = false, background = false;
	int extra = 0, opt, fd_host, fd_guest, nsfd, mtu, r;
	char nspath[4096];
	struct sigaction sa;
	sigset_t block;

	while ((opt = getopt(argc, argv, "qdp:m:h")) != -1) {
		switch (opt) {
		case 'q':
			extra |= IFF_MULTI_QUEUE;
			break;
		case 'd':
			background = true;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'm':
			if (parse_mac(optarg, mac) < 0) {
				msg("bad MAC '%s'", optarg);
				return 2;
			}
			have_mac = true;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (argc - optind != 3) {
		usage();
		return 2;
	}
	tap = argv[optind];
	ns = argv[optind + 1];
	gif = argv[optind + 2];
	if (strlen(tap) >= IFNAMSIZ || strlen(gif) >= IFNAMSIZ) {
		msg("interface names are at most %d bytes", IFNAMSIZ - 1);
		return 2;
	}
	snprintf(nspath, sizeof(nspath), strchr(ns, '/') ? "%s" : "/run/netns/%s", ns);

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: ppoll must return */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	fd_host = tap_open(tap, extra);
	if (fd_host < 0) {
		msg("attaching to tap %s: %s%s", tap, strerror(-fd_host),
		    fd_host == -EINVAL ? " (multi-queue mismatch? -q must match the tap)" : "");
		return 1;
	}
	mtu = tap_mtu(tap);
	if (mtu < 0) {
		msg("reading the MTU of %s: %s", tap, strerror(-mtu));
		return 1;
	}

	nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
		msg("entering %s: %s", nspath, strerror(errno));
		return 1;
	}
	close(nsfd);
	/* Non-persistent: the guest NIC disappears with this process. */
	fd_guest = tap_open(gif, 0);
	if (fd_guest < 0) {
		msg("creating %s in %s: %s", gif, nspath, strerror(-fd_guest));
		return 1;
	}
	if (guest_if_setup(gif, mtu, have_mac ? mac : NULL) < 0)
		return 1;

	if (background) {
		r = daemonize();
		if (r < 0) {
			msg("fork: %s", strerror(-r));
			return 1;
		}
		if (r > 0) {
			/* Parent: report the child, then leave it relaying. */
			if (pidfile && (r = write_pidfile(pidfile, r)) < 0) {
				msg("writing %s: %s", pidfile, strerror(-r));
				return 1;
			}
			printf("ready\n");
			return fflush(stdout) == 0 ? 0 : 1;
		}
	} else {
		if (pidfile && (r = write_pidfile(pidfile, getpid())) < 0) {
			msg("writing %s: %s", pidfile, strerror(-r));
			return 1;
		}
		printf("ready\n");
		fflush(stdout);
	}
	r = run(fd_host, fd_guest, tap);
	close(fd_guest);
	close(fd_host);
	if (pidfile)
		unlink(pidfile);
	return r;
}
