/* SPDX-License-Identifier: MIT */
/*
 * Taps through /dev/net/tun (the ioctl interface is the only way to make
 * one with a vnet header and an owner): created persistent, in the netns
 * the caller names.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmnet/link.h"
#include "vmnet/names.h"
#include "vmnet/netns.h"

/* What a VMM sets through its queue outlives it on a persistent tap: the
 * virtio header's size (QEMU and Firecracker set 12), offloads, the
 * header's byte order, a MAC filter, socket and eBPF filters. @fd, just
 * attached, puts back a fresh tap's. Byte order "big endian" and the eBPF
 * programs are optional in the kernel: EINVAL or ENOTTY there means none
 * can be set either. */
static int tap_clear(int fd, const char *name, struct vmnet_err *err)
{
	static const int hdr = (int)sizeof(struct virtio_net_hdr), off = 0, none = -1;
	static const struct tun_filter nofilter;
	static const struct sock_fprog noprog;
	static const struct {
		unsigned long req;
		const void *arg; /* TUNSETOFFLOAD takes its value, 0 */
		const char *what;
		bool optional;
	} ops[] = {
		{ TUNSETVNETHDRSZ, &hdr, "virtio header size", false },
		{ TUNSETOFFLOAD, NULL, "offloads", false },
		{ TUNSETVNETLE, &off, "header byte order (LE)", false },
		{ TUNSETVNETBE, &off, "header byte order (BE)", true },
		{ TUNSETTXFILTER, &nofilter, "MAC filter", false },
		{ TUNDETACHFILTER, &noprog, "socket filter", false },
		{ TUNSETSTEERINGEBPF, &none, "steering program", true },
		{ TUNSETFILTEREBPF, &none, "filter program", true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (ioctl(fd, ops[i].req, (void *)ops[i].arg) < 0 &&
		    !(ops[i].optional && (errno == EINVAL || errno == ENOTTY)))
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "resetting tap %s: %s",
					     name, ops[i].what);
	return 0;
}

static int tap_create(const char *name, const struct vmnet_tap_opts *o, bool excl,
		      struct vmnet_err *err)
{
	_cleanup_close_ int fd = -1;
	struct ifreq ifr = {0};
	unsigned flags;

	/* The tun fd belongs to the netns it is opened in. */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno,
				     "adding tap %s: opening /dev/net/tun", name);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	/* IFF_TUN_EXCL: fail rather than attach if @name exists, atomically. */
	flags = IFF_TAP | IFF_NO_PI | (excl ? IFF_TUN_EXCL : 0);
	if (o && o->vnet_hdr)
		flags |= IFF_VNET_HDR;
	if (o && o->multi_queue)
		flags |= IFF_MULTI_QUEUE;
	/* ifr_flags is a short and IFF_TUN_EXCL its sign bit; the kernel
	 * tests it through the same short. */
	ifr.ifr_flags = (short)(unsigned short)flags;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		if (errno == EBUSY || errno == EEXIST)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, EEXIST, "adding tap %s", name);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "adding tap %s", name);
	}
	if (!excl) {
		int r = tap_clear(fd, name, err);

		if (r < 0)
			return r;
	}
	/* Until TUNSETPERSIST, closing fd destroys the device: no undo needed. */
	if (o && o->uid >= 0 && ioctl(fd, TUNSETOWNER, (unsigned long)o->uid) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "setting owner of tap %s", name);
	if (o && o->gid >= 0 && ioctl(fd, TUNSETGROUP, (unsigned long)o->gid) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "setting group of tap %s", name);
	if (ioctl(fd, TUNSETPERSIST, 1UL) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "making tap %s persistent",
				     name);
	return 0;
}

int vmnet_link_add_tap(int nsfd, const char *name, const struct vmnet_tap_opts *o,
		       struct vmnet_err *err)
{
	int origin = -1, r;

	if (!vmnet_name_valid_ifname(name))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "adding tap: bad name");
	if (nsfd >= 0) {
		r = vmnet_netns_enter(nsfd, &origin, err);
		if (r < 0)
			return vmnet_err_wrap(err, "adding tap %s", name);
	}
	r = tap_create(name, o, true, err);
	vmnet_netns_leave(origin);
	return r;
}

int vmnet_link_tap_reset(const char *name, const struct vmnet_tap_opts *o, struct vmnet_err *err)
{
	if (!vmnet_name_valid_ifname(name))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "resetting tap: bad name");
	return tap_create(name, o, false, err);
}

