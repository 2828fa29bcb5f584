/* SPDX-License-Identifier: MIT */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vmnet/docker.h"
#include "vmnet/events.h"
#include "vmnet/err.h"
#include "vmnet/log.h"
#include "vmnet/names.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static int open_group(int proto, unsigned group, struct vmnet_err *err)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, one = 1, size = 4 << 20;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
	if (fd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "netlink socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		int e = errno;

		close(fd);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, e, "joining netlink group %u", group);
	}
	/* A flush of a big ruleset is a burst of events: a large buffer makes
	 * an overflow (harmless, but a wasted pass) rare. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, 0) /* keep ENOBUFS: it means a pass */;
	return fd;
}

/* The link socket also hears the VM namespaces: their link and tc events
 * (NETLINK_LISTEN_ALL_NSID, Linux 4.2). Without it, faults there wait for
 * the periodic pass. */
static void listen_all_nsid(int fd)
{
	unsigned tc = RTNLGRP_TC;
	int one = 1;

	if (setsockopt(fd, SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &tc, sizeof(tc)) < 0)
		log_warn("VM namespace events unavailable (%s): faults there wait for the "
			 "periodic pass", strerror(errno));
}

int vmnet_events_open(struct vmnet_events *ev, struct vmnet_err *err)
{
	int r;

	ev->link_fd = ev->nft_fd = -1;
	r = open_group(NETLINK_ROUTE, RTNLGRP_LINK, err);
	if (r < 0)
		return r;
	ev->link_fd = r;
	listen_all_nsid(r);
	r = open_group(NETLINK_NETFILTER, NFNLGRP_NFTABLES, err);
	if (r < 0) {
		vmnet_events_close(ev);
		return r;
	}
	ev->nft_fd = r;
	return 0;
}

void vmnet_events_close(struct vmnet_events *ev)
{
	if (ev->link_fd >= 0)
		close(ev->link_fd);
	if (ev->nft_fd >= 0)
		close(ev->nft_fd);
	ev->link_fd = ev->nft_fd = -1;
}

static bool has_prefix(const struct nlattr *a, const char *prefix)
{
	size_t n = strlen(prefix);

	return mnl_attr_get_payload_len(a) > n && !strncmp(mnl_attr_get_str(a), prefix, n);
}

static int link_attr_cb(const struct nlattr *a, void *data)
{
	bool *hit = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		*hit = has_prefix(a, VMNET_PREFIX_VETH) || has_prefix(a, VMNET_PREFIX_TAP);
		break;
	case IFLA_IFALIAS:
		*hit = has_prefix(a, VMNET_ALIAS_PREFIX);
		break;
	case IFLA_LINKINFO: {
		const struct nlattr *li;

		mnl_attr_for_each_nested(li, a)
			if (mnl_attr_get_type(li) == IFLA_INFO_KIND && has_prefix(li, "bridge"))
				*hit = true;
		break;
	}
	}
	return *hit ? MNL_CB_STOP : MNL_CB_OK;
}

/* A link we may own: our device prefixes, an alias of ours, or a bridge
 * (bridge names are configurable; a pass is cheap and finds out). */
static int link_is_interesting(const struct nlmsghdr *nlh)
{
	bool hit = false;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return 0;
	mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr_cb, &hit);
	return hit;
}

static int table_attr_cb(const struct nlattr *a, void *data)
{
	/* Every object message names its table in attribute 1
	 * (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, NFTA_SET_TABLE, ...). */
	if (mnl_attr_get_type(a) != 1)
		return MNL_CB_OK;
	*(bool *)data = mnl_attr_get_payload_len(a) >= sizeof(VMNET_NFT_TABLE) - 1 &&
			!strncmp(mnl_attr_get_str(a), VMNET_NFT_TABLE, sizeof(VMNET_NFT_TABLE));
	return MNL_CB_STOP;
}

struct docker_hit {
	bool table; /* table filter */
	bool chain; /* chain DOCKER-USER */
	uint16_t chain_attr;
};

static int docker_attr_cb(const struct nlattr *a, void *data)
{
	struct docker_hit *h = data;
	uint16_t t = mnl_attr_get_type(a);

	if (t == 1)
		h->table = !strcmp(mnl_attr_get_str(a), VMNET_DOCKER_TABLE);
	else if (t == h->chain_attr)
		h->chain = !strcmp(mnl_attr_get_str(a), VMNET_DOCKER_CHAIN);
	return MNL_CB_OK;
}

/* Docker (re)creating DOCKER-USER, or rules leaving it (a flush): netd
 * puts vmnet's accepts back (include/vmnet/docker.h). */
static int docker_is_interesting(const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	struct docker_hit h = { 0 };
	uint16_t type = NFNL_MSG_TYPE(nlh->nlmsg_type);

	if (g->nfgen_family != NFPROTO_IPV4 && g->nfgen_family != NFPROTO_IPV6)
		return 0;
	if (type == NFT_MSG_NEWCHAIN)
		h.chain_attr = NFTA_CHAIN_NAME;
	else if (type == NFT_MSG_DELRULE)
		h.chain_attr = NFTA_RULE_CHAIN;
	else
		return 0;
	mnl_attr_parse(nlh, sizeof(*g), docker_attr_cb, &h);
	return h.table && h.chain;
}

/* Table inet vmnet or anything table-wide (a flush of the ruleset shows
 * as deletions of each table, ours among them). */
static int nft_is_interesting(const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	bool hit = false;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*g)))
		return 0;
	if (NFNL_MSG_TYPE(nlh->nlmsg_type) == NFT_MSG_NEWGEN)
		return 0;
	if (docker_is_interesting(nlh))
		return 1;
	if (g->nfgen_family != NFPROTO_INET && g->nfgen_family != NFPROTO_BRIDGE &&
	    g->nfgen_family != NFPROTO_UNSPEC)
		return 0;
	mnl_attr_parse(nlh, sizeof(*g), table_attr_cb, &hit);
	return hit;
}

/* A link or tc change in a VM namespace (any other namespace with an id
 * here: a pass finds out whether it is one of ours). */
static int foreign_is_interesting(const struct nlmsghdr *nlh)
{
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK: case RTM_DELLINK: case RTM_NEWQDISC: case RTM_DELQDISC:
	case RTM_NEWTFILTER: case RTM_DELTFILTER:
		return 1;
	}
	return 0;
}

/* Whether the message came from another namespace: the kernel says so in
 * a NETLINK_LISTEN_ALL_NSID control message, only for those. */
static bool from_other_netns(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
		if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_LISTEN_ALL_NSID)
			return true;
	return false;
}

int vmnet_events_handle(struct vmnet_events *ev, int fd)
{
	char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	char cbuf[CMSG_SPACE(sizeof(int))] __attribute__((aligned(sizeof(size_t))));
	int due = 0;

	for (;;) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
		const struct nlmsghdr *nlh;
		bool foreign;
		size_t left;

		if (n < 0) {
			if (errno == ENOBUFS) {
				log_debug("netlink events overflowed: scheduling a pass");
				due = 1;
				continue;
			}
			break;
		}
		if (n == 0)
			break;
		left = (size_t)n;
		foreign = fd == ev->link_fd && from_other_netns(&m);
		for (nlh = (const struct nlmsghdr *)buf; NLMSG_OK(nlh, left);
		     nlh = NLMSG_NEXT(nlh, left)) {
			if (foreign)
				due |= foreign_is_interesting(nlh);
			else if (fd == ev->link_fd && (nlh->nlmsg_type == RTM_NEWLINK ||
						  nlh->nlmsg_type == RTM_DELLINK))
				due |= link_is_interesting(nlh);
			else if (fd == ev->nft_fd)
				due |= nft_is_interesting(nlh);
		}
	}
	return due;
}
