/* SPDX-License-Identifier: MIT */
/*
 * Kernel-facing layer against the real kernel: netns, netlink links,
 * addresses, routes, tc redirect (with packets), taps, sysctls. TAP output;
 * exit 77 when not root. Run it through tests/integ/t_kernel.sh, which puts
 * it in a fresh `unshare -n` namespace; it refuses to run in PID 1's netns.
 * It makes one more namespace (the "VM" side) with unshare(CLONE_NEWNET);
 * both die with the process, taking every device along.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmnet/addr.h"
#include "vmnet/inet.h"
#include "vmnet/link.h"
#include "vmnet/netns.h"
#include "vmnet/nfnl.h"
#include "vmnet/nft.h"
#include "vmnet/nl.h"
#include "vmnet/sysctl.h"
#include "vmnet/tc.h"
#include "../unit/tap.h"

#define PLAN 121

/* On failure, show what the library said. */
static void diag_err(int r, const struct vmnet_err *e)
{
	if (r < 0)
		printf("#   r=%d (%s) code=%d msg=\"%s\"\n", r, strerror(-r), e->code, e->msg);
}

#define E(var) (vmnet_err_clear(&var), &var)

static const uint8_t MAC_BR[6] = {0x02, 0x6b, 0x74, 0, 0, 0x01};
static const uint8_t MAC_HOST[6] = {0x02, 0x6b, 0x74, 0, 0, 0x02};
static const uint8_t MAC_PEER[6] = {0x02, 0x6b, 0x74, 0, 0, 0x03};
static const uint8_t MAC_GUEST[6] = {0x02, 0x6b, 0x74, 0, 0, 0x04};

static int hostns = -1, vmns = -1;

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

static bool read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	bool r;

	if (!f)
		return false;
	r = fgets(buf, (int)size, f) != NULL;
	fclose(f);
	if (r)
		buf[strcspn(buf, "\n")] = '\0';
	return r;
}

/* Output of a shell command run in netns @nsfd (-1: ours), "" if it fails. */
static void run_in(int nsfd, const char *cmd, char *out, size_t size)
{
	int origin = -1;
	size_t n = 0;
	FILE *p;

	out[0] = '\0';
	if (nsfd >= 0 && vmnet_netns_enter(nsfd, &origin, NULL) < 0)
		return;
	p = popen(cmd, "re");
	if (p) {
		n = fread(out, 1, size - 1, p);
		pclose(p);
	}
	out[n] = '\0';
	vmnet_netns_leave(origin);
}

static bool have(const char *bin)
{
	char path[64];

	snprintf(path, sizeof(path), "/usr/sbin/%s", bin);
	if (access(path, X_OK) == 0)
		return true;
	snprintf(path, sizeof(path), "/sbin/%s", bin);
	return access(path, X_OK) == 0;
}

/* Attach to tap @name in netns @nsfd with @flags; returns the fd or -errno. */
static int tap_open(int nsfd, const char *name, short flags)
{
	struct ifreq ifr = {0};
	int origin = -1, fd, r = 0;

	if (nsfd >= 0 && vmnet_netns_enter(nsfd, &origin, NULL) < 0)
		return -EIO;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
	} else {
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_flags = flags;
		if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
			r = -errno;
			close(fd);
		}
	}
	vmnet_netns_leave(origin);
	return r < 0 ? r : fd;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* The cookie a socket made inside @nsfd reports: the kernel's own word,
 * read without the library. 0 on failure. */
static uint64_t socket_cookie(int nsfd)
{
	socklen_t len = sizeof(uint64_t);
	uint64_t c = 0;
	int fd;

	if (setns(nsfd, CLONE_NEWNET) < 0)
		return 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (setns(hostns, CLONE_NEWNET) < 0)
		abort();
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &c, &len) < 0)
		c = 0;
	if (fd >= 0)
		close(fd);
	return c;
}

/* An identity's cookie is what a socket in that namespace reports, however
 * the library reads it (nsfs's NS_GET_ID since Linux 6.18, a socket
 * before): records written by either prove alike. */
static void test_netns_cookie(void)
{
	struct vmnet_netns_id h = {0}, v = {0};
	uint64_t hc = socket_cookie(hostns), vc = socket_cookie(vmns);
	int hr = vmnet_netns_identity(hostns, &h), vr = vmnet_netns_identity(vmns, &v);

	ok(hr == 0 && h.cookie && h.cookie == hc,
	   "identity of the current netns: its socket cookie (%llu, %llu)",
	   (unsigned long long)h.cookie, (unsigned long long)hc);
	ok(vr == 0 && v.cookie && v.cookie == vc && vc != hc && vmnet_netns_is_current(hostns) == 1,
	   "identity of the VM netns: its own socket cookie (%llu, %llu), still at home",
	   (unsigned long long)v.cookie, (unsigned long long)vc);
	/* The library's way for kernels without NS_GET_ID, run here too. */
	ok(vmnet_netns_cookie_by_socket(hostns) == hc && vmnet_netns_cookie_by_socket(vmns) == vc &&
		   vmnet_netns_is_current(hostns) == 1,
	   "the older kernels' way (a socket inside) gives the same cookies, still at home");
}

static void test_netns(void)
{
	struct vmnet_err e;
	int fd = -1, origin = -1, r;

	r = vmnet_netns_open("/proc/self/ns/net", &fd, E(e));
	diag_err(r, &e);
	ok(r == 0 && vmnet_netns_is_current(fd) == 1, "netns_open own netns, is_current");
	if (fd >= 0)
		close(fd);
	r = vmnet_netns_open("/nonexistent/netns", &fd, E(e));
	ok(r == -ENOENT && e.code == VMNET_ERR_SYSTEM, "netns_open missing path: -ENOENT");
	r = vmnet_netns_open("/proc/self/status", &fd, E(e));
	ok(r == -EINVAL && strstr(e.msg, "not a namespace"), "netns_open plain file: -EINVAL");
	r = vmnet_netns_open("/proc/self/ns/uts", &fd, E(e));
	ok(r == -EINVAL, "netns_open uts namespace: -EINVAL");

	ok(vmnet_netns_is_current(vmns) == 0, "VM netns is not current");
	r = vmnet_netns_enter(vmns, &origin, E(e));
	ok(r == 0 && vmnet_netns_is_current(vmns) == 1, "netns_enter switches");
	if (r == 0)
		vmnet_netns_leave(origin);
	ok(vmnet_netns_is_current(hostns) == 1, "netns_leave returns");
	test_netns_cookie();
}


/* A snapshot of the devices (netd's full pass looks them up there): ktv0
 * as the kernel has it, a port of @br, isolation off; no other name. */
static void snap_check(struct vmnet_nl *h, int veth, int br)
{
	struct vmnet_link_snap *snap = NULL;
	const struct vmnet_link_info *sl;
	struct vmnet_err e = {0};
	int r = vmnet_link_snap_take(h, &snap, &e);

	diag_err(r, &e);
	sl = r == 0 ? vmnet_link_snap_find(snap, "ktv0") : NULL;
	ok(sl && sl->ifindex == veth && sl->master == br && sl->port_isolated == 0 &&
		   !strcmp(sl->kind, "veth"),
	   "a snapshot of the devices has ktv0 as it is (%zu devices)", snap ? snap->n : 0);
	ok(r == 0 && !vmnet_link_snap_find(snap, "ktnone0"), "and no device that is not there");
	vmnet_link_snap_free(snap);
}
static void test_links(struct vmnet_nl *h, struct vmnet_nl *v, int *ret_br, int *ret_veth)
{
	struct vmnet_link_change c = VMNET_LINK_CHANGE_INIT;
	struct vmnet_link_info li;
	struct vmnet_err e;
	char out[4096];
	int br = 0, veth = 0, r;

	r = vmnet_link_add_bridge(h, "ktbr.0", 1400, MAC_BR, &br, E(e));
	diag_err(r, &e);
	ok(r == 0 && br > 0, "add bridge ktbr.0 (ifindex %d)", br);
	r = vmnet_link_get(h, "ktbr.0", &li, E(e));
	diag_err(r, &e);
	ok(r == 0 && li.ifindex == br && !strcmp(li.kind, "bridge") && li.mtu == 1400 &&
		   !memcmp(li.mac, MAC_BR, 6) && !li.up && li.master == 0,
	   "get bridge: kind %s mtu %u, mac, down", li.kind, li.mtu);
	r = vmnet_link_add_bridge(h, "ktbr.0", 0, NULL, NULL, E(e));
	ok(r == -EEXIST && strstr(e.msg, "ktbr.0"), "second bridge: -EEXIST (%s)", e.msg);

	r = vmnet_link_add_veth(h, "ktv0", MAC_HOST, "vmnet:net/cid/eth0", "eth0", MAC_PEER, vmns,
				1400, &veth, E(e));
	diag_err(r, &e);
	ok(r == 0 && veth > 0, "add veth ktv0 with peer eth0 in the VM netns");
	r = vmnet_link_get(h, "ktv0", &li, E(e));
	ok(r == 0 && li.ifindex == veth && !strcmp(li.kind, "veth") && li.mtu == 1400 &&
		   !memcmp(li.mac, MAC_HOST, 6) && !strcmp(li.alias, "vmnet:net/cid/eth0"),
	   "host end: veth, mtu, mac, alias \"%s\"", li.alias);
	r = vmnet_link_get(h, "eth0", &li, E(e));
	ok(r == -ENODEV && e.code == VMNET_ERR_SYSTEM, "peer absent from the host netns");
	r = vmnet_link_get(v, "eth0", &li, E(e));
	diag_err(r, &e);
	ok(r == 0 && !strcmp(li.kind, "veth") && li.mtu == 1400 && !memcmp(li.mac, MAC_PEER, 6),
	   "peer in the VM netns: veth, mtu %u, mac", li.mtu);
	r = vmnet_link_get_index(h, veth, &li, E(e));
	ok(r == 0 && !strcmp(li.name, "ktv0"), "get by index");
	/* One queue each way from the start: cut back later, each end would
	 * wait for an RCU grace period (veth_init_queues). */
	run_in(-1, "ip -d link show dev ktv0", out, sizeof(out));
	ok(strstr(out, "numtxqueues 1 numrxqueues 1 ") != NULL, "host end: one queue each way");
	run_in(vmns, "ip -d link show dev eth0", out, sizeof(out));
	ok(strstr(out, "numtxqueues 1 numrxqueues 1 ") != NULL, "peer: one queue each way");

	r = vmnet_link_add_veth(h, "ktv0", NULL, NULL, "ktp9", NULL, vmns, 0, NULL, E(e));
	ok(r == -EEXIST && strstr(e.msg, "device ktv0"), "veth host name taken: %s", e.msg);
	r = vmnet_link_add_veth(h, "ktv1", NULL, NULL, "eth0", NULL, vmns, 0, NULL, E(e));
	ok(r == -EEXIST && strstr(e.msg, "peer eth0"), "veth peer name taken: %s", e.msg);
	ok(vmnet_link_get(h, "ktv1", &li, NULL) == -ENODEV, "nothing left after the failed add");

	c.master = br;
	c.up = 1;
	c.mtu = 1300;
	r = vmnet_link_set(h, veth, &c, E(e));
	diag_err(r, &e);
	r = vmnet_link_get_index(h, veth, &li, E(e));
	ok(r == 0 && li.master == br && li.up && li.mtu == 1300, "link_set master, up, mtu");
	c = (struct vmnet_link_change)VMNET_LINK_CHANGE_INIT;
	c.alias = "vmnet:other/x/eth1";
	r = vmnet_link_set(h, veth, &c, E(e));
	r = vmnet_link_get_index(h, veth, &li, E(e));
	ok(r == 0 && !strcmp(li.alias, "vmnet:other/x/eth1") && li.master == br && li.up,
	   "link_set alias only, rest kept");
	r = vmnet_link_set(h, 999999, &c, E(e));
	ok(r == -ENODEV, "link_set on a missing index: -ENODEV");

	r = vmnet_link_set_port_isolated(h, veth, true, E(e));
	diag_err(r, &e);
	ok(r == 0 && vmnet_link_get_index(h, veth, &li, NULL) == 0 && li.port_isolated == 1,
	   "port isolation on (the device's bridge slave data)");
	if (have("bridge")) {
		run_in(-1, "bridge -d link show dev ktv0", out, sizeof(out));
		ok(strstr(out, "isolated on") != NULL, "bridge -d link shows isolated on");
	} else {
		ok(true, "# SKIP no bridge tool");
	}
	r = vmnet_link_set_port_isolated(h, veth, false, E(e));
	ok(r == 0 && vmnet_link_get_index(h, veth, &li, NULL) == 0 && li.port_isolated == 0,
	   "port isolation off");
	r = vmnet_link_get_index(h, br, &li, E(e));
	ok(r == 0 && li.port_isolated == -1, "isolation of a non-port: -1 (not a port)");
	snap_check(h, veth, br);
	r = vmnet_link_set_port_isolated(h, br, true, E(e));
	ok(r < 0 && e.code == VMNET_ERR_SYSTEM, "setting isolation of a non-port fails (%s)",
	   e.msg);

	*ret_br = br;
	*ret_veth = veth;
}

/* The device's transmit checksum offload (ETHTOOL_GTXCSUM), -1 on error. */
static int tx_csum(const char *dev)
{
	struct ethtool_value ev = {.cmd = ETHTOOL_GTXCSUM};
	struct ifreq ifr = {0};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = (void *)&ev;
	r = s >= 0 && ioctl(s, SIOCETHTOOL, &ifr) == 0 ? (int)ev.data : -1;
	if (s >= 0)
		close(s);
	return r;
}

/* A VMM's settings on its queue outlive it on a persistent tap; the reset
 * of a claimed parked tap puts back a fresh tap's. */
static void test_tap_reset(struct vmnet_nl *h)
{
	struct vmnet_tap_opts o = {.vnet_hdr = true, .uid = -1, .gid = -1};
	int fd, hdr = 12, le = 1, r;

	r = vmnet_link_add_tap(-1, "ktrst0", &o, NULL);
	fd = tap_open(-1, "ktrst0", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	ok(r == 0 && fd >= 0 && ioctl(fd, TUNSETVNETHDRSZ, &hdr) == 0 &&
		   ioctl(fd, TUNSETVNETLE, &le) == 0 && ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM) == 0,
	   "a VMM sets header size 12, little endian, checksum offload");
	if (fd >= 0)
		close(fd);
	ok(tx_csum("ktrst0") == 1, "the tap offloads checksums after the VMM left");
	r = vmnet_link_tap_reset("ktrst0", &o, NULL);
	fd = tap_open(-1, "ktrst0", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	hdr = le = -1;
	if (fd >= 0 && (ioctl(fd, TUNGETVNETHDRSZ, &hdr) < 0 || ioctl(fd, TUNGETVNETLE, &le) < 0))
		r = -errno;
	ok(r == 0 && fd >= 0 && hdr == 10 && le == 0,
	   "after the reset: header size %d, little endian %d (a fresh tap's 10, 0)", hdr, le);
	ok(tx_csum("ktrst0") == 0, "after the reset: no checksum offload (a fresh tap's)");
	if (fd >= 0)
		close(fd);
	ok(vmnet_link_del(h, "ktrst0", NULL) == 0, "reset tap deleted");
}

static void test_taps(struct vmnet_nl *h)
{
	struct vmnet_tap_opts o = {.vnet_hdr = true, .uid = 1000, .gid = 1001};
	struct vmnet_link_info li;
	struct vmnet_err e;
	char buf[64];
	int r, fd, fd2;

	r = vmnet_link_add_tap(-1, "kttap0", &o, E(e));
	diag_err(r, &e);
	ok(r == 0, "add tap kttap0 (vnet_hdr, owner, group)");
	r = vmnet_link_get(h, "kttap0", &li, E(e));
	ok(r == 0 && !strcmp(li.kind, "tun") && !li.up, "tap persists after create, kind tun");
	/* sysfs shows the netns of whoever mounted it: t_kernel.sh remounts it. */
	if (access("/sys/class/net/ktbr.0", F_OK) == 0) {
		ok(read_file("/sys/class/net/kttap0/owner", buf, sizeof(buf)) &&
			   !strcmp(buf, "1000"),
		   "tap owner 1000 (%s)", buf);
		ok(read_file("/sys/class/net/kttap0/group", buf, sizeof(buf)) &&
			   !strcmp(buf, "1001"),
		   "tap group 1001 (%s)", buf);
		ok(read_file("/sys/class/net/kttap0/tun_flags", buf, sizeof(buf)) &&
			   (strtoul(buf, NULL, 16) &
			    (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_PERSIST)) ==
				   (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_PERSIST),
		   "tun_flags tap, no_pi, vnet_hdr, persist (%s)", buf);
	} else {
		for (int i = 0; i < 3; i++)
			ok(true, "# SKIP /sys is not this netns's sysfs");
	}
	fd = tap_open(-1, "kttap0", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	ok(fd >= 0, "a VMM can attach to the tap by name (%d)", fd);
	if (fd >= 0)
		close(fd);
	ok(vmnet_link_get(h, "kttap0", &li, NULL) == 0, "tap still there after the VMM leaves");

	r = vmnet_link_add_tap(-1, "kttap0", &o, E(e));
	ok(r == -EEXIST && strstr(e.msg, "kttap0"), "second tap of that name: -EEXIST (%s)", e.msg);
	r = vmnet_link_add_tap(-1, "ktv0", NULL, E(e));
	ok(r == -EEXIST, "tap over an existing veth name: -EEXIST");

	o = (struct vmnet_tap_opts){.multi_queue = true, .uid = -1, .gid = -1};
	r = vmnet_link_add_tap(-1, "ktmq0", &o, E(e));
	diag_err(r, &e);
	fd = tap_open(-1, "ktmq0", IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE);
	fd2 = tap_open(-1, "ktmq0", IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE);
	ok(r == 0 && fd >= 0 && fd2 >= 0, "multi-queue tap takes two queues");
	if (fd >= 0)
		close(fd);
	if (fd2 >= 0)
		close(fd2);
	if (access("/sys/class/net/ktbr.0", F_OK) == 0)
		ok(read_file("/sys/class/net/ktmq0/owner", buf, sizeof(buf)) && !strcmp(buf, "-1"),
		   "no owner when none asked (%s)", buf);
	else
		ok(true, "# SKIP /sys is not this netns's sysfs");
	test_tap_reset(h);
	ok(vmnet_link_del(h, "ktmq0", NULL) == 0 && vmnet_link_del(h, "kttap0", NULL) == 0 &&
		   vmnet_link_get(h, "kttap0", &li, NULL) == -ENODEV,
	   "taps deleted");
}

/* Several changes in one send, in the order given: off the bridge, then
 * down (one request would take the flags first). A failed request says
 * so; the next call is not confused by the replies left. */
static void test_link_set_all(struct vmnet_nl *h, int br)
{
	struct vmnet_link_change c[2] = { VMNET_LINK_CHANGE_INIT, VMNET_LINK_CHANGE_INIT };
	struct vmnet_link_info li;
	struct vmnet_err e;
	int idx = 0, r;

	r = vmnet_link_add_veth(h, "ktsa0", NULL, NULL, "ktsa1", NULL, -1, 0, &idx, E(e));
	c[0].master = br;
	c[0].up = 1;
	ok(r == 0 && vmnet_link_set(h, idx, &c[0], E(e)) == 0 &&
		   vmnet_link_get_index(h, idx, &li, NULL) == 0 && li.master == br && li.up,
	   "ktsa0: a bridge port, up");
	c[0] = c[1];
	c[0].master = 0;
	c[0].devgroup = 77;
	c[1].up = 0;
	r = vmnet_link_set_all(h, idx, c, 2, E(e));
	diag_err(r, &e);
	ok(r == 0 && vmnet_link_get_index(h, idx, &li, NULL) == 0 && li.master == 0 && !li.up &&
		   li.devgroup == 77,
	   "set_all: off the bridge, in group 77, then down");
	c[0] = c[1] = (struct vmnet_link_change)VMNET_LINK_CHANGE_INIT;
	c[0].name = "ktsa1"; /* taken: the peer's */
	c[1].alias = "vmnet:sa/x/eth0";
	r = vmnet_link_set_all(h, idx, c, 2, E(e));
	ok(r == -EEXIST, "set_all: the first request refused: -EEXIST (%d)", r);
	ok(vmnet_link_get_index(h, idx, &li, E(e)) == 0 && !strcmp(li.name, "ktsa0") &&
		   !strcmp(li.alias, "vmnet:sa/x/eth0"),
	   "the second still applied, and a get after it is answered (\"%s\")", li.alias);
	ok(vmnet_link_del(h, "ktsa0", NULL) == 0, "ktsa0 deleted");
}


/* A snapshot of the addresses (netd's full pass looks them up there):
 * @a on @br, not @other (another prefix length), not on another device. */
static void addr_snap_check(struct vmnet_nl *h, int br, const struct vmnet_prefix *a,
			    const struct vmnet_prefix *other)
{
	struct vmnet_addr_snap *snap = NULL;
	struct vmnet_err e = {0};
	int r = vmnet_addr_snap_take(h, &snap, &e);

	diag_err(r, &e);
	ok(r == 0 && vmnet_addr_snap_has(snap, br, a), "a snapshot of the addresses has it (%zu)",
	   snap ? snap->n : 0);
	ok(r == 0 && !vmnet_addr_snap_has(snap, br, other), "not with another prefix length");
	ok(r == 0 && !vmnet_addr_snap_has(snap, 1, a), "not on another device");
	vmnet_addr_snap_free(snap);
}
static void test_addrs(struct vmnet_nl *h, int br)
{
	struct vmnet_prefix a = {.addr = 0x0a580001, .len = 24}; /* 10.88.0.1/24 */
	struct vmnet_prefix a16 = {.addr = 0x0a580001, .len = 16};
	struct vmnet_prefix d = {.addr = 0x0a630000, .len = 16};  /* 10.99.0.0/16 */
	struct vmnet_prefix d2 = {.addr = 0x0a620000, .len = 24}; /* 10.98.0.0/24 */
	struct vmnet_prefix p = {.addr = 0x0a420002, .len = 32};  /* 10.66.0.2/32 */
	struct vmnet_prefix pl = {.addr = 0x0a420001, .len = 32};
	struct vmnet_link_change c = VMNET_LINK_CHANGE_INIT;
	struct vmnet_err e;
	char out[8192];
	int r;

	r = vmnet_addr_add(h, br, &a, E(e));
	diag_err(r, &e);
	ok(r == 0 && vmnet_addr_has(h, br, &a, NULL) == 1, "add address 10.88.0.1/24, has it");
	ok(vmnet_addr_has(h, br, &a16, NULL) == 0, "has: other prefix length is absent");
	ok(vmnet_addr_has(h, 1, &a, NULL) == 0, "has: other device is absent");
	addr_snap_check(h, br, &a, &a16);
	if (have("ip")) {
		run_in(-1, "ip -4 addr show dev ktbr.0", out, sizeof(out));
		ok(strstr(out, "inet 10.88.0.1/24 brd 10.88.0.255") != NULL,
		   "ip shows it with brd");
	} else {
		ok(true, "# SKIP no ip tool");
	}
	r = vmnet_addr_add(h, br, &a, E(e));
	ok(r == -EEXIST && strstr(e.msg, "10.88.0.1/24"), "address again: -EEXIST (%s)", e.msg);
	r = vmnet_addr_del(h, br, &a, E(e));
	ok(r == 0 && vmnet_addr_has(h, br, &a, NULL) == 0, "del address");
	ok(vmnet_addr_del(h, br, &a, E(e)) == 0, "del address again: 0");
	ok(vmnet_addr_add(h, br, &a, E(e)) == 0, "address back for the routes");

	r = vmnet_addr_add_peer(h, br, pl.addr, &p, E(e));
	diag_err(r, &e);
	run_in(-1, "ip -4 addr show dev ktbr.0", out, sizeof(out));
	ok(r == 0 && (!have("ip") || strstr(out, "inet 10.66.0.1 peer 10.66.0.2/32")),
	   "point-to-point address 10.66.0.1 peer 10.66.0.2/32");
	r = vmnet_addr_del(h, br, &pl, E(e));
	run_in(-1, "ip -4 addr show dev ktbr.0", out, sizeof(out));
	ok(r == 0 && !strstr(out, "10.66.0.1"), "point-to-point address deleted");

	c.up = 1;
	vmnet_link_set(h, br, &c, NULL);
	r = vmnet_route_add(h, br, &d, 0x0a580002, false, E(e));
	diag_err(r, &e);
	ok(r == 0 && vmnet_route_has(h, br, &d, 0x0a580002, NULL) == 1 &&
		   vmnet_route_has(h, br, &d, 0, NULL) == 0 &&
		   vmnet_route_has(h, br, &d, 0x0a580003, NULL) == 0,
	   "route 10.99.0.0/16 via 10.88.0.2 (and via no other gateway)");
	r = vmnet_route_ensure(h, br, &d, 0x0a580002, E(e));
	ok(r == 0, "route_ensure of that route: 0");
	r = vmnet_route_ensure(h, br, &d, 0x0a580003, E(e));
	ok(r == -EEXIST, "route_ensure via another gateway: -EEXIST");
	r = vmnet_route_add(h, br, &d2, 0, true, E(e));
	diag_err(r, &e);
	ok(r == 0 && vmnet_route_has(h, br, &d2, 0, NULL) == 1, "link-scope route 10.98.0.0/24");
	if (have("ip")) {
		run_in(-1, "ip -4 route show table main proto 214", out, sizeof(out));
		ok(strstr(out, "10.99.0.0/16 via 10.88.0.2 dev ktbr.0") &&
			   strstr(out, "10.98.0.0/24 dev ktbr.0 scope link"),
		   "routes carry protocol 214");
	} else {
		ok(true, "# SKIP no ip tool");
	}
	r = vmnet_route_add(h, br, &d, 0x0a580002, false, E(e));
	ok(r == -EEXIST && strstr(e.msg, "10.99.0.0/16"), "route again: -EEXIST (%s)", e.msg);
	ok(vmnet_route_has(h, 1, &d, 0x0a580002, NULL) == 0, "route_has on another device: 0");
	r = vmnet_route_del(h, br, &d, E(e));
	ok(r == 0 && vmnet_route_has(h, br, &d, 0x0a580002, NULL) == 0 &&
		   vmnet_route_has(h, br, &d2, 0, NULL) == 1,
	   "route del removes that one only");
	ok(vmnet_route_del(h, br, &d, E(e)) == 0 && vmnet_route_del(h, br, &d2, E(e)) == 0 &&
		   vmnet_route_del(h, br, &d2, E(e)) == 0,
	   "route del again: 0");
}

/* IPv6 through the same calls: an address without DAD (never tentative),
 * routes via a gateway. @br is up. */
static void test_addrs6(struct vmnet_nl *h, int br)
{
	struct vmnet_prefix6 a, a56, d;
	struct in6_addr gw, gw2;
	struct vmnet_err e;
	char out[8192];
	int r;

	vmnet_prefix6_parse("fd90::1/64", false, false, &a);
	vmnet_prefix6_parse("fd90::1/56", false, false, &a56);
	vmnet_prefix6_parse("2001:db8:5::/48", true, false, &d);
	vmnet_ip6_parse("fd90::2", &gw);
	vmnet_ip6_parse("fd90::3", &gw2);
	r = vmnet_addr6_ensure(h, br, &a, E(e));
	diag_err(r, &e);
	ok(r == 0 && vmnet_addr6_has(h, br, &a, NULL) == 1 && vmnet_addr6_has(h, br, &a56, NULL) == 0,
	   "IPv6 address fd90::1/64 (and not /56)");
	run_in(-1, "ip -6 addr show dev ktbr.0", out, sizeof(out));
	ok(!have("ip") || (strstr(out, "fd90::1/64") && strstr(out, "nodad") &&
			   !strstr(out, "tentative")),
	   "added without DAD, not tentative");
	ok(vmnet_addr6_ensure(h, br, &a, E(e)) == 0, "IPv6 address ensured again: 0");
	r = vmnet_route6_ensure(h, br, &d, &gw, E(e));
	diag_err(r, &e);
	ok(r == 0 && vmnet_route6_has(h, br, &d, &gw, NULL) == 1 &&
		   vmnet_route6_has(h, br, &d, NULL, NULL) == 0 &&
		   vmnet_route6_has(h, br, &d, &gw2, NULL) == 0,
	   "route 2001:db8:5::/48 via fd90::2 (and via no other gateway)");
	ok(vmnet_route6_ensure(h, br, &d, &gw, E(e)) == 0, "route6_ensure of that route: 0");
	ok(vmnet_route6_ensure(h, br, &d, &gw2, E(e)) == -EEXIST,
	   "route6_ensure via another gateway: -EEXIST");
	ok(vmnet_route6_del(h, br, &d, E(e)) == 0 && vmnet_route6_has(h, br, &d, &gw, NULL) == 0 &&
		   vmnet_route6_del(h, br, &d, E(e)) == 0,
	   "route6 del, and again: 0");
	ok(vmnet_addr6_del(h, br, &a, E(e)) == 0 && vmnet_addr6_has(h, br, &a, NULL) == 0 &&
		   vmnet_addr6_del(h, br, &a, E(e)) == 0,
	   "IPv6 address del, and again: 0");
}

/* Wait for a frame on @fd accepted by @want; false after ~2 s. */
static bool tap_wait(int fd, bool (*want)(const uint8_t *, ssize_t, void *), void *arg,
		     uint8_t *buf, size_t size)
{
	long deadline = now_us() + 2000000;

	while (now_us() < deadline) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(fd, buf, size);
		if (n > 0 && want(buf, n, arg))
			return true;
	}
	return false;
}

static bool is_arp_request(const uint8_t *f, ssize_t n, void *arg)
{
	/* eth(14) + arp: op at 20, target ip at 38 */
	return n >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 1 && !memcmp(f + 38, arg, 4);
}

static bool is_our_udp(const uint8_t *f, ssize_t n, void *arg)
{
	/* eth(14) + ip(20, no options from Linux UDP) + udp(8) + payload */
	size_t len = strlen(arg);

	return n >= (ssize_t)(42 + len) && f[12] == 0x08 && f[13] == 0x00 && f[23] == 17 &&
	       !memcmp(f, MAC_GUEST, 6) && !memcmp(f + 42, arg, len);
}

static void test_fwd(struct vmnet_nl *h, struct vmnet_nl *v, int veth)
{
	struct vmnet_prefix host = {.addr = 0x0a4d0001, .len = 24}; /* 10.77.0.1/24 */
	struct vmnet_link_change c = VMNET_LINK_CHANGE_INIT;
	struct vmnet_tap_opts o = {.uid = -1, .gid = -1};
	struct vmnet_link_info eth0, tap;
	struct vmnet_fwd fw = {.table = "vmnet_kt", .comment = "vmnet:ktest", .peer = "eth0",
			       .tap = "tap0"};
	struct vmnet_nft *n;
	struct vmnet_err e;
	uint8_t frame[2048];
	char out[8192];
	int r, fd = -1, sk = -1;

	r = vmnet_link_add_tap(vmnet_nl_nsfd(v), "tap0", &o, E(e));
	diag_err(r, &e);
	ok(r == 0 && vmnet_link_get(v, "tap0", &tap, NULL) == 0 &&
		   vmnet_link_get(h, "tap0", &tap, NULL) == -ENODEV,
	   "tap0 created in the VM netns only");
	vmnet_link_get(v, "tap0", &tap, NULL);
	vmnet_link_get(v, "eth0", &eth0, NULL);

	n = NULL;
	r = vmnet_nft_open(vmnet_nl_nsfd(v), &n, E(e));
	diag_err(r, &e);
	fw.peer_idx = eth0.ifindex;
	fw.tap_idx = tap.ifindex;
	r = n ? vmnet_nft_fwd_set(n, &fw, E(e)) : -1;
	diag_err(r, &e);
	ok(r == 0, "forwarding eth0 <-> tap0 set (one batch)");
	r = n ? vmnet_nft_fwd_set(n, &fw, E(e)) : -1;
	ok(r == 0, "set again is fine (the table is replaced)");
	r = n ? vmnet_nft_fwd_check(n, &fw, E(e)) : -1;
	diag_err(r, &e);
	ok(r == 0, "fwd_check: both chains, right devices and targets");
	fw.tap_idx = 1;
	r = n ? vmnet_nft_fwd_check(n, &fw, E(e)) : -1;
	fw.tap_idx = tap.ifindex;
	ok(r == -ENOENT && e.code == VMNET_ERR_CHECK && strstr(e.msg, "not forwarded"),
	   "fwd_check with another target: %s", e.msg);
	run_in(vmnet_nl_nsfd(v), "nft list table netdev vmnet_kt", out, sizeof(out));
	ok(strstr(out, "hook ingress device \"eth0\"") && strstr(out, "fwd to \"tap0\"") &&
		   strstr(out, "hook ingress device \"tap0\"") && strstr(out, "fwd to \"eth0\""),
	   "nft lists both chains: fwd to \"tap0\" and fwd to \"eth0\"");
	run_in(vmnet_nl_nsfd(v), "tc filter show dev eth0 ingress", out, sizeof(out));
	ok(!strstr(out, "mirred"), "no tc filter on eth0");

	/* Packets: host 10.77.0.1 on ktv0 -> eth0 -> tap0 (read by us as the
	 * "guest" 10.77.0.2), and our frames written to tap0 -> eth0 -> ktv0. */
	c.master = 0;
	c.up = 1;
	r = vmnet_link_set(h, veth, &c, E(e));
	diag_err(r, &e);
	r = vmnet_addr_add(h, veth, &host, E(e));
	diag_err(r, &e);
	c = (struct vmnet_link_change)VMNET_LINK_CHANGE_INIT;
	c.up = 1;
	vmnet_link_set(v, eth0.ifindex, &c, NULL);
	vmnet_link_set(v, tap.ifindex, &c, NULL);
	fd = tap_open(vmnet_nl_nsfd(v), "tap0", IFF_TAP | IFF_NO_PI);
	sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && sk >= 0) {
		struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9999)};
		const uint8_t guest_ip[4] = {10, 77, 0, 2}, host_ip[4] = {10, 77, 0, 1};
		uint8_t reply[42] = {0};
		bool got;

		to.sin_addr.s_addr = htonl(0x0a4d0002);
		sendto(sk, "vmnet-ktest", 11, 0, (struct sockaddr *)&to, sizeof(to));
		got = tap_wait(fd, is_arp_request, (void *)guest_ip, frame, sizeof(frame));
		ok(got && !memcmp(frame + 6, MAC_HOST, 6),
		   "host ARP request arrives on the tap (eth0 -> tap0)");

		/* The ARP reply, written as the guest would. */
		memcpy(reply, MAC_HOST, 6);
		memcpy(reply + 6, MAC_GUEST, 6);
		memcpy(reply + 12, "\x08\x06\x00\x01\x08\x00\x06\x04\x00\x02", 10);
		memcpy(reply + 22, MAC_GUEST, 6);
		memcpy(reply + 28, guest_ip, 4);
		memcpy(reply + 32, MAC_HOST, 6);
		memcpy(reply + 38, host_ip, 4);
		r = (int)write(fd, reply, sizeof(reply));
		got = r == (int)sizeof(reply) &&
		      tap_wait(fd, is_our_udp, "vmnet-ktest", frame, sizeof(frame));
		ok(got,
		   "ARP reply written to the tap reaches the host, UDP follows (tap0 -> eth0)");
	} else {
		ok(false, "tap fd %d / socket %d", fd, sk);
		ok(false, "no packet test");
	}
	if (fd >= 0)
		close(fd);
	if (sk >= 0)
		close(sk);

	r = n ? vmnet_nft_fwd_clear(n, fw.table, E(e)) : -1;
	diag_err(r, &e);
	ok(r == 0 && vmnet_nft_fwd_clear(n, fw.table, NULL) == 0, "fwd_clear, and again: 0");
	r = n ? vmnet_nft_fwd_check(n, &fw, E(e)) : -1;
	ok(r == -ENOENT && e.code == VMNET_ERR_CHECK && strstr(e.msg, "no forwarding"),
	   "fwd_check after clear: %s", e.msg);
	vmnet_nft_close(n);
	/* What an earlier vmnet left: an ingress qdisc (the repair clears it). */
	run_in(vmnet_nl_nsfd(v), "tc qdisc add dev eth0 ingress", out, sizeof(out));
	r = vmnet_tc_clear(v, eth0.ifindex, E(e));
	diag_err(r, &e);
	run_in(vmnet_nl_nsfd(v), "tc qdisc show dev eth0 ingress", out, sizeof(out));
	ok(r == 0 && !strstr(out, "ingress"), "tc_clear removes an ingress qdisc");
	ok(vmnet_tc_clear(v, eth0.ifindex, E(e)) == 0, "tc_clear again: 0");
	ok(vmnet_tc_clear(v, 999999, E(e)) == 0, "tc_clear on a missing device: 0");
	ok(vmnet_link_del_index(v, tap.ifindex, E(e)) == 0, "tap0 deleted");
}

static void test_sysctl(void)
{
	struct vmnet_err e;
	char buf[64] = "";
	int r;

	r = vmnet_sysctl_write("net/ipv4/ip_forward", "1", E(e));
	diag_err(r, &e);
	ok(r == 0 && vmnet_sysctl_read("net/ipv4/ip_forward", buf, sizeof(buf), NULL) == 0 &&
		   !strcmp(buf, "1"),
	   "ip_forward=1 in the test netns (read back \"%s\")", buf);
	ok(vmnet_sysctl_write("net.ipv4.ip_forward", "1", E(e)) == 0,
	   "dotted key, value unchanged");
	r = vmnet_sysctl_write("net.ipv4.conf.ktbr.0.route_localnet", "1", E(e));
	diag_err(r, &e);
	ok(r == 0 &&
		   vmnet_sysctl_read("net/ipv4/conf/ktbr.0/route_localnet", buf, sizeof(buf),
				     NULL) == 0 &&
		   !strcmp(buf, "1"),
	   "dotted key with a dotted interface name");
	r = vmnet_sysctl_read("net/ipv4/../../kernel/hostname", buf, sizeof(buf), E(e));
	ok(r == -EINVAL, "key with .. refused");
	r = vmnet_sysctl_read("net/ipv4/no_such_key", buf, sizeof(buf), E(e));
	ok(r == -ENOENT && strstr(e.msg, "no_such_key"), "missing key: %s", e.msg);
	r = vmnet_sysctl_read("net/ipv4/ip_forward", buf, 1, E(e));
	ok(r == -ENOBUFS, "short buffer: -ENOBUFS");
}

static bool sysctl_is(const char *key, const char *want)
{
	char buf[32] = "";

	return vmnet_sysctl_read(key, buf, sizeof(buf), NULL) == 0 && !strcmp(buf, want);
}

/* IPv6 forwarding the LXD way: accept_ra 1 becomes 2 first (ktbr.0 and
 * "default"), 0 stays 0 (lo); nothing changes once forwarding is on. */
static void test_forward6(void)
{
	struct vmnet_err e;
	int r;

	ok(vmnet_sysctl_write("net/ipv6/conf/all/forwarding", "0", E(e)) == 0 &&
		   vmnet_sysctl_write("net/ipv6/conf/ktbr.0/accept_ra", "1", E(e)) == 0 &&
		   vmnet_sysctl_write("net/ipv6/conf/default/accept_ra", "1", E(e)) == 0 &&
		   vmnet_sysctl_write("net/ipv6/conf/lo/accept_ra", "0", E(e)) == 0,
	   "forwarding off, accept_ra 1 on ktbr.0 and default, 0 on lo");
	r = vmnet_sysctl_forward6(E(e));
	diag_err(r, &e);
	ok(r == 0 && sysctl_is("net/ipv6/conf/all/forwarding", "1"), "forward6: forwarding on");
	ok(sysctl_is("net/ipv6/conf/ktbr.0/accept_ra", "2") &&
		   sysctl_is("net/ipv6/conf/default/accept_ra", "2") &&
		   sysctl_is("net/ipv6/conf/lo/accept_ra", "0"),
	   "forward6: accept_ra 1 became 2, 0 stayed 0");
	vmnet_sysctl_write("net/ipv6/conf/ktbr.0/accept_ra", "1", NULL);
	ok(vmnet_sysctl_forward6(E(e)) == 0 && sysctl_is("net/ipv6/conf/ktbr.0/accept_ra", "1"),
	   "forward6 with forwarding already on: nothing changed");
	vmnet_sysctl_write("net/ipv6/conf/all/forwarding", "0", NULL);
}

/* Time what a netns-wiring ADD does in the kernel: veth (peer into the VM
 * netns) + tap + alias + the forwarding table + up. */
static void test_timing(struct vmnet_nl *h, struct vmnet_nl *v)
{
	struct vmnet_tap_opts o = {.vnet_hdr = true, .uid = -1, .gid = -1};
	struct vmnet_link_change c = VMNET_LINK_CHANGE_INIT;
	long t_open = 0, t_veth = 0, t_tap = 0, t_tc = 0, t_del = 0, worst = 0;
	const int rounds = 20;
	struct vmnet_fwd fw = {.table = "vmnet_ktt", .comment = "vmnet:ktest", .peer = "eth1",
			       .tap = "tap1"};
	struct vmnet_nft *n = NULL;
	struct vmnet_err e;
	bool good = true;

	c.up = 1;
	for (int i = 0; i < rounds && good; i++) {
		struct vmnet_link_info pe, ta;
		struct vmnet_nl *v2 = NULL;
		long t0 = now_us(), t1, t2, t3, t4, t5;
		int hi;

		good = vmnet_nl_open(vmns, &v2, E(e)) == 0;
		t1 = now_us();
		good = good &&
		       vmnet_link_add_veth(h, "ktt0", MAC_HOST, "vmnet:t/t/eth0", "eth1", MAC_PEER,
					   vmns, 1500, &hi, E(e)) == 0 &&
		       vmnet_link_set(h, hi, &c, E(e)) == 0;
		t2 = now_us();
		good = good && vmnet_link_add_tap(vmns, "tap1", &o, E(e)) == 0;
		t3 = now_us();
		good = good && vmnet_link_get(v2, "eth1", &pe, E(e)) == 0 &&
		       vmnet_link_get(v2, "tap1", &ta, E(e)) == 0 &&
		       vmnet_nft_open(vmns, &n, E(e)) == 0;
		fw.peer_idx = pe.ifindex;
		fw.tap_idx = ta.ifindex;
		good = good && vmnet_nft_fwd_set(n, &fw, E(e)) == 0 &&
		       vmnet_link_set(v2, pe.ifindex, &c, E(e)) == 0 &&
		       vmnet_link_set(v2, ta.ifindex, &c, E(e)) == 0;
		t4 = now_us();
		if (n)
			vmnet_nft_fwd_clear(n, fw.table, NULL);
		vmnet_link_del(h, "ktt0", NULL);
		vmnet_link_del(v, "tap1", NULL);
		t5 = now_us();
		n = vmnet_nft_close(n);
		vmnet_nl_close(v2);
		t_open += t1 - t0;
		t_veth += t2 - t1;
		t_tap += t3 - t2;
		t_tc += t4 - t3;
		t_del += t5 - t4;
		if (t4 - t0 > worst)
			worst = t4 - t0;
	}
	if (!good)
		printf("#   %s\n", e.msg);
	printf("# timing over %d rounds, mean us: nl_open(netns) %ld, veth+alias+up %ld, tap %ld, "
	       "get+forwarding+2 up %ld => setup %ld (worst %ld); teardown %ld\n",
	       rounds, t_open / rounds, t_veth / rounds, t_tap / rounds, t_tc / rounds,
	       (t_open + t_veth + t_tap + t_tc) / rounds, worst, t_del / rounds);
	ok(good && (t_open + t_veth + t_tap + t_tc) / rounds < 20000,
	   "veth + tap + forwarding setup well under 20 ms");
}

static void test_delete(struct vmnet_nl *h, struct vmnet_nl *v, int br)
{
	struct vmnet_link_info li;
	struct vmnet_err e;

	ok(vmnet_link_del(h, "ktv0", E(e)) == 0 && vmnet_link_del(h, "ktv0", E(e)) == 0,
	   "link_del twice: 0, 0");
	ok(vmnet_link_get(v, "eth0", &li, NULL) == -ENODEV, "peer went with it");
	ok(vmnet_link_del_index(h, br, E(e)) == 0 && vmnet_link_del_index(h, br, E(e)) == 0,
	   "link_del_index twice: 0, 0");
	ok(vmnet_link_del(h, "", E(e)) == -EINVAL &&
		   vmnet_link_get(h, "a-name-much-too-long", &li, NULL) == -EINVAL,
	   "bad names: -EINVAL");
}

/* The init netns has a fixed inode (PROC_NET_INIT_INO, since 3.8); a netns
 * fresh from `unshare -n` holds nothing but lo. Fails closed: /proc/1/ns
 * is often unreadable even to root, so it is not asked. */
static bool fresh_netns(void)
{
	struct if_nameindex *ifs, *i;
	struct stat st;
	bool fresh = true;

	if (stat("/proc/thread-self/ns/net", &st) < 0 || st.st_ino == 0xEFFFFFF9u)
		return false;
	ifs = if_nameindex();
	if (!ifs)
		return false;
	for (i = ifs; i->if_index; i++)
		if (strcmp(i->if_name, "lo"))
			fresh = false;
	if_freenameindex(ifs);
	return fresh;
}

static int fail_cb(const struct nlmsghdr *nh, void *data)
{
	(void)nh;
	(void)data;
	errno = ECANCELED;
	return -1;
}

static void getgen(struct nlmsghdr *nh)
{
	struct nfgenmsg *g;

	memset(nh, 0, NLMSG_LENGTH(sizeof(*g)));
	nh->nlmsg_len = NLMSG_LENGTH(sizeof(*g));
	nh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN;
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = NLMSG_DATA(nh);
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
}

/* A socket kept for many requests (netd's status socket): a request whose
 * callback stopped early leaves the rest of its replies queued (here the
 * ack after GETGEN's answer), the next request reads them as its own and
 * fails; vmnet_nfnl_drain() drops them, and the socket answers again. */
static void test_nfnl_drain(void)
{
	_cleanup_(vmnet_nfnl_closep) struct vmnet_nfnl *s = NULL;
	_cleanup_(vmnet_nft_closep) struct vmnet_nft *n = NULL;
	_Alignas(struct nlmsghdr) char buf[256];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	uint32_t gen;
	int r;

	r = vmnet_nfnl_open(-1, &s, NULL);
	ok(r == 0, "nfnl_open");
	if (r < 0)
		return;
	getgen(nh);
	r = vmnet_nfnl_request(s, nh, fail_cb, NULL);
	ok(r == -ECANCELED, "a callback that stops early: its error (%d)", r);
	getgen(nh);
	r = vmnet_nfnl_request(s, nh, NULL, NULL);
	ok(r < 0, "the next request reads the left-over ack and fails (%d)", r);
	getgen(nh);
	(void)vmnet_nfnl_request(s, nh, fail_cb, NULL);
	vmnet_nfnl_drain(s);
	vmnet_nfnl_drain(s);
	getgen(nh);
	r = vmnet_nfnl_request(s, nh, NULL, NULL);
	r = r == 0 && vmnet_nft_open(-1, &n, NULL) == 0 ? vmnet_nft_genid(n, &gen) : -1;
	vmnet_nft_drain(n);
	ok(r == 0 && vmnet_nft_genid(n, &gen) == 0,
	   "drained: the socket answers again, a drain of nothing costs nothing");
}

int main(void)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *h = NULL, *v = NULL;
	struct vmnet_err e;
	int br = 0, veth = 0, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 77;
	}
	/* Never touch the machine's own namespace: run only in a fresh one. */
	if (!fresh_netns()) {
		printf("Bail out! not in a fresh network namespace (devices other than lo, "
		       "or the init netns); run me through tests/integ/t_kernel.sh\n");
		return 1;
	}
	hostns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (hostns < 0 || unshare(CLONE_NEWNET) < 0) {
		printf("Bail out! cannot make the VM netns: %s\n", strerror(errno));
		return 1;
	}
	vmns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (vmns < 0 || setns(hostns, CLONE_NEWNET) < 0) {
		printf("Bail out! cannot return from the VM netns: %s\n", strerror(errno));
		return 1;
	}

	printf("1..%d\n", PLAN);
	test_netns();
	r = vmnet_nl_open(-1, &h, E(e));
	diag_err(r, &e);
	ok(r == 0 && vmnet_nl_nsfd(h) == -1, "nl_open in the current netns");
	r = vmnet_nl_open(vmns, &v, E(e));
	diag_err(r, &e);
	ok(r == 0 && vmnet_nl_nsfd(v) >= 0 && vmnet_netns_is_current(hostns) == 1,
	   "nl_open in the VM netns, back home after");
	if (!h || !v) {
		printf("Bail out! no netlink sockets\n");
		return 1;
	}
	test_links(h, v, &br, &veth);
	test_taps(h);
	test_link_set_all(h, br);
	test_addrs(h, br);
	test_addrs6(h, br);
	test_fwd(h, v, veth);
	test_sysctl();
	test_forward6();
	test_nfnl_drain();
	test_timing(h, v);
	test_delete(h, v, br);

	if (tap_n != PLAN) {
		printf("# planned %d tests, ran %d\n", PLAN, tap_n);
		return 1;
	}
	return tap_failed ? 1 : 0;
}
