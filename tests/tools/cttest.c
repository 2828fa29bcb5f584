/* SPDX-License-Identifier: MIT */
/*
 * lib/conntrack.c against the real kernel.
 *
 *   cttest                          TAP suite; root, in a throwaway netns
 *                                   (tests/integ/t_conntrack.sh runs it)
 *   cttest flush-port PROTO PORT [IP]   call the API once, print the count
 *   cttest flush-guest IP               (used by t_conntrack.sh's traffic test)
 *   cttest flush-port6 PROTONUM PORT [IP6], flush-guest6 IP6   the same for IPv6
 *
 * The suite makes its entries with loopback traffic in its own netns: lo up,
 * an nft table (loaded with the nft binary) that turns conntrack on and
 * DNATs udp/6000 to 127.0.0.3:7000. Entries are counted independently with
 * `conntrack -L`. It refuses to run in PID 1's netns.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmnet/conntrack.h"
#include "vmnet/log.h"
#include "vmnet/netns.h"
#include "../unit/tap.h"

#define PLAN 35

static void diag_err(int r, const struct vmnet_err *e)
{
	if (r < 0)
		printf("#   r=%d (%s) code=%d msg=\"%s\"\n", r, strerror(-r), e->code, e->msg);
}

#define E(var) (vmnet_err_clear(&var), &var)

/* VMNET_CONNTRACK_DUMP=1: lib/conntrack.c dumps and deletes one by one and
 * counts; else a kernel with filtered flush deletes them itself and the
 * count is 0 (the table, read with conntrack -L, is the proof either way). */
static bool dump_mode;

static bool count_is(int r, int n)
{
	return dump_mode ? r == n : (r == 0 || r == n);
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return ntohl(a.s_addr);
}

/* `conntrack -L -f FAMILY ARGS` lines: the independent view of the table. */
static int ct_count_f(const char *family, const char *args)
{
	char cmd[256], line[512];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "conntrack -L -f %s %s 2>/dev/null", family, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		n++;
	if (pclose(p) != 0 && n == 0)
		return 0; /* conntrack exits 1 when nothing matched on some versions */
	return n;
}

static int ct_count(const char *args)
{
	return ct_count_f("ipv4", args);
}

/* @n IPv6 datagrams to [@dst]:@port, each from its own socket. */
static bool udp6_many(const char *dst, uint16_t port, int n)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(port)};

	if (inet_pton(AF_INET6, dst, &sa.sin6_addr) != 1)
		return false;
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		ssize_t r = fd < 0 ? -1 : sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa));

		if (fd >= 0)
			close(fd);
		if (r != 1)
			return false;
	}
	return true;
}

/* One datagram from source port @sport: one new entry. */
static int udp_send(uint16_t sport, const char *dst, uint16_t port)
{
	struct sockaddr_in src = {.sin_family = AF_INET, .sin_port = htons(sport)};
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;
	ssize_t r = -1;

	if (fd < 0)
		return -errno;
	inet_pton(AF_INET, dst, &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == 0)
		r = sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return r == 1 ? 0 : -errno;
}

/* @n flows from distinct source ports (random ephemeral ones would repeat
 * now and then, and a repeated tuple is the same entry). */
static bool udp_many(const char *dst, uint16_t port, int n)
{
	static uint16_t next_sport = 20000;

	for (int i = 0; i < n; i++)
		if (udp_send(next_sport++, dst, port) < 0)
			return false;
	return true;
}

/* An established TCP flow to 127.0.0.1:port; the fds stay open. */
static bool tcp_flow(uint16_t port, int fds[3])
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	fds[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fds[0] < 0 || fds[1] < 0)
		return false;
	setsockopt(fds[0], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fds[0], (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fds[0], 4) < 0)
		return false;
	if (connect(fds[1], (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return false;
	fds[2] = accept(fds[0], NULL, NULL);
	return fds[2] >= 0;
}

static bool same_ns(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static bool lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool r;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	r = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
	ifr.ifr_flags |= IFF_UP;
	r = r && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
	close(fd);
	return r;
}

static const char FIXTURE[] =
	"table ip cttest {\n"
	"  chain pre { type filter hook prerouting priority 0; ct state new counter; }\n"
	"  chain out { type nat hook output priority -100; udp dport 6000 dnat to 127.0.0.3:7000; "
	"}\n"
	"}\n"
	"table ip6 cttest6 {\n"
	"  chain pre { type filter hook prerouting priority 0; ct state new counter; }\n"
	"}\n";

static bool load_fixture(void)
{
	FILE *p = popen("nft -f -", "w");

	if (!p)
		return false;
	fputs(FIXTURE, p);
	return pclose(p) == 0;
}

static void suite(void)
{
	struct vmnet_err e;
	int r, tcp[3] = {-1, -1, -1}, self = -1, fresh = -1;

	/* Entries: udp 5353 x3 to 127.0.0.1 and x1 to 127.0.0.2, udp 5354,
	 * tcp 5353 (established), udp 6000 x2 DNAT'd to 127.0.0.3:7000. */
	ok(udp_many("127.0.0.1", 5353, 3) && udp_many("127.0.0.2", 5353, 1) &&
		   udp_many("127.0.0.1", 5354, 1) && tcp_flow(5353, tcp) &&
		   udp_many("127.0.0.1", 6000, 2),
	   "traffic that makes entries");
	ok(ct_count("-p udp --dport 5353") == 4, "4 udp/5353 entries (conntrack -L)");
	ok(ct_count("-p tcp --dport 5353") == 1, "1 tcp/5353 entry");
	ok(ct_count("--reply-src 127.0.0.3") == 2, "2 entries DNAT'd to 127.0.0.3");

	/* Port at one address. */
	r = vmnet_conntrack_flush_port(-1, IPPROTO_UDP, 5353, ip4("127.0.0.2"), E(e));
	diag_err(r, &e);
	ok(count_is(r, 1), "flush udp/5353 at 127.0.0.2 deletes 1 (got %d)", r);
	ok(ct_count("-p udp --dport 5353") == 3 &&
		   ct_count("-p udp --dport 5353 -d 127.0.0.2") == 0,
	   "only the entry to 127.0.0.2 is gone");

	/* Port at any address. */
	r = vmnet_conntrack_flush_port(-1, IPPROTO_UDP, 5353, 0, E(e));
	diag_err(r, &e);
	ok(count_is(r, 3), "flush udp/5353 deletes 3 (got %d)", r);
	ok(ct_count("-p udp --dport 5353") == 0, "no udp/5353 entry left");
	ok(ct_count("-p udp --dport 5354") == 1, "udp/5354 entry stays");
	ok(ct_count("-p tcp --dport 5353") == 1, "tcp/5353 entry stays");
	ok(ct_count("--reply-src 127.0.0.3") == 2, "DNAT'd entries stay");
	r = vmnet_conntrack_flush_port(-1, IPPROTO_UDP, 5353, 0, E(e));
	diag_err(r, &e);
	ok(count_is(r, 0), "second flush deletes nothing (got %d)", r);

	/* By guest (reply source). */
	r = vmnet_conntrack_flush_guest(-1, ip4("127.0.0.3"), E(e));
	diag_err(r, &e);
	ok(count_is(r, 2), "flush guest 127.0.0.3 deletes 2 (got %d)", r);
	ok(ct_count("--reply-src 127.0.0.3") == 0, "no entry towards 127.0.0.3 left");
	ok(ct_count("-p udp --dport 5354") == 1 && ct_count("-p tcp --dport 5353") == 1,
	   "other entries stay");
	r = vmnet_conntrack_flush_guest(-1, ip4("127.0.0.3"), E(e));
	diag_err(r, &e);
	ok(count_is(r, 0), "second guest flush deletes nothing (got %d)", r);

	/* tcp by port. */
	r = vmnet_conntrack_flush_port(-1, IPPROTO_TCP, 5353, 0, E(e));
	diag_err(r, &e);
	ok(count_is(r, 1) && ct_count("-p tcp --dport 5353") == 0,
	   "flush tcp/5353 deletes the tcp entry (got %d)", r);
	for (int i = 0; i < 3; i++)
		if (tcp[i] >= 0)
			close(tcp[i]);

	/* More entries than one send of deletes holds. */
	ok(udp_many("127.0.0.1", 5356, 300) && ct_count("-p udp --dport 5356") == 300,
	   "300 udp/5356 flows, 300 entries");
	r = vmnet_conntrack_flush_port(-1, IPPROTO_UDP, 5356, 0, E(e));
	diag_err(r, &e);
	ok(count_is(r, 300), "flush udp/5356 deletes 300 (got %d)", r);
	ok(ct_count("-p udp --dport 5356") == 0, "none left");

	/* In another netns, by fd: the thread comes back. */
	ok(udp_many("127.0.0.1", 5355, 2), "2 udp/5355 flows");
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || unshare(CLONE_NEWNET) < 0) {
		printf("Bail out! cannot make a second netns: %s\n", strerror(errno));
		exit(1);
	}
	fresh = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	r = vmnet_conntrack_flush_port(self, IPPROTO_UDP, 5355, 0, E(e));
	diag_err(r, &e);
	ok(count_is(r, 2), "flush udp/5355 through a netns fd deletes 2 (got %d)", r);
	ok(vmnet_netns_is_current(fresh) == 1, "the thread is back in its own netns");
	if (setns(self, CLONE_NEWNET) < 0) {
		printf("Bail out! cannot return: %s\n", strerror(errno));
		exit(1);
	}
	close(self);
	close(fresh);
	ok(ct_count("-p udp --dport 5355") == 0, "udp/5355 entries gone");

	/* Arguments. */
	r = vmnet_conntrack_flush_port(-1, 0, 5353, 0, E(e));
	ok(r == -EINVAL && e.code == CNI_ERR_INVALID_CONFIG && strstr(e.msg, "conntrack"),
	   "no protocol: -EINVAL (%s)", e.msg);
	r = vmnet_conntrack_flush_port(-1, IPPROTO_UDP, 0, 0, E(e));
	ok(r == -EINVAL, "port 0: -EINVAL (%s)", e.msg);
	r = vmnet_conntrack_flush_guest(-1, 0, E(e));
	ok(r == -EINVAL, "guest 0.0.0.0: -EINVAL (%s)", e.msg);
}

/* IPv6 on ::1 (the kernel never gets an IPv6 address in a filter: it
 * compares them inverted, lib/conntrack.c). */
static void suite6(void)
{
	struct in6_addr lo6 = IN6ADDR_LOOPBACK_INIT, other;
	struct vmnet_err e;
	int r;

	inet_pton(AF_INET6, "fd00::99", &other);
	ok(udp6_many("::1", 5360, 2) && udp_many("127.0.0.1", 5360, 1) && udp6_many("::1", 5361, 2),
	   "IPv6 traffic: udp/5360 x2 and udp/5361 x2 to ::1, udp/5360 to 127.0.0.1");
	ok(ct_count_f("ipv6", "-p udp --dport 5360") == 2 &&
		   ct_count_f("ipv6", "-p udp --dport 5361") == 2,
	   "2 + 2 IPv6 entries");
	r = vmnet_conntrack_flush_port6(-1, IPPROTO_UDP, 5360, NULL, E(e));
	diag_err(r, &e);
	ok(count_is(r, 2) && ct_count_f("ipv6", "-p udp --dport 5360") == 0,
	   "flush6 udp/5360 deletes the 2 IPv6 entries (got %d)", r);
	ok(ct_count("-p udp --dport 5360") == 1 && ct_count_f("ipv6", "-p udp --dport 5361") == 2,
	   "the IPv4 udp/5360 entry and udp/5361 stay");
	r = vmnet_conntrack_flush_port6(-1, IPPROTO_UDP, 5361, &other, E(e));
	diag_err(r, &e);
	ok(r >= 0 && ct_count_f("ipv6", "-p udp --dport 5361") == 2,
	   "flush6 udp/5361 at fd00::99 deletes nothing of ::1's");
	r = vmnet_conntrack_flush_guest6(-1, &other, E(e));
	diag_err(r, &e);
	ok(r >= 0 && ct_count_f("ipv6", "--reply-src ::1") == 2,
	   "flush guest fd00::99 leaves ::1's entries");
	r = vmnet_conntrack_flush_guest6(-1, &lo6, E(e));
	diag_err(r, &e);
	ok(count_is(r, 2) && ct_count_f("ipv6", "--reply-src ::1") == 0,
	   "flush guest ::1 deletes its 2 entries (got %d)", r);
	r = vmnet_conntrack_flush_guest6(-1, &in6addr_any, E(e));
	ok(r == -EINVAL, "guest ::: -EINVAL (%s)", e.msg);
}

static int cli(int argc, char **argv)
{
	struct vmnet_err e = {0};
	int r;

	if (argc >= 4 && !strcmp(argv[1], "flush-port")) {
		uint8_t proto = !strcmp(argv[2], "tcp")	   ? IPPROTO_TCP
				: !strcmp(argv[2], "udp")  ? IPPROTO_UDP
				: !strcmp(argv[2], "sctp") ? IPPROTO_SCTP
							   : (uint8_t)atoi(argv[2]);

		r = vmnet_conntrack_flush_port(-1, proto, (uint16_t)atoi(argv[3]),
					       argc > 4 ? ip4(argv[4]) : 0, &e);
	} else if (argc == 3 && !strcmp(argv[1], "flush-guest")) {
		r = vmnet_conntrack_flush_guest(-1, ip4(argv[2]), &e);
	} else if (argc == 3 && !strcmp(argv[1], "flush-guest6")) {
		struct in6_addr a;

		if (inet_pton(AF_INET6, argv[2], &a) != 1)
			return 2;
		r = vmnet_conntrack_flush_guest6(-1, &a, &e);
	} else if (argc >= 4 && !strcmp(argv[1], "flush-port6")) {
		struct in6_addr a = IN6ADDR_ANY_INIT;

		if (argc > 4 && inet_pton(AF_INET6, argv[4], &a) != 1)
			return 2;
		r = vmnet_conntrack_flush_port6(-1, (uint8_t)atoi(argv[2]), (uint16_t)atoi(argv[3]),
						&a, &e);
	} else {
		fprintf(stderr, "usage: cttest [flush-port PROTO PORT [IP] | flush-guest IP |\n"
				"               flush-port6 PROTONUM PORT [IP6] | flush-guest6 IP6]\n");
		return 2;
	}
	if (r < 0) {
		fprintf(stderr, "cttest: %s\n", e.msg);
		return 1;
	}
	printf("%d\n", r);
	return 0;
}

int main(int argc, char **argv)
{
	vmnet_log_init("cttest");
	if (argc > 1)
		return cli(argc, argv);

	setvbuf(stdout, NULL, _IOLBF, 0);
	dump_mode = getenv("VMNET_CONNTRACK_DUMP") && strcmp(getenv("VMNET_CONNTRACK_DUMP"), "0");
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 77;
	}
	if (same_ns("/proc/1/ns/net", "/proc/thread-self/ns/net")) {
		printf("Bail out! in PID 1's network namespace; run me through "
		       "tests/integ/t_conntrack.sh\n");
		return 1;
	}
	if (system("conntrack --version >/dev/null 2>&1") != 0) {
		printf("1..0 # SKIP conntrack (the tool, for checking) not installed\n");
		return 77;
	}
	if (!lo_up() || !load_fixture()) {
		printf("Bail out! cannot bring lo up or load the nft fixture\n");
		return 1;
	}
	printf("1..%d\n", PLAN);
	suite();
	suite6();
	return tap_failed ? 1 : 0;
}
