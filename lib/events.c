/* SPDX-License-Identifier: MIT */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <net/if.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/if_link.h>
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

/* Both sockets also hear the VM namespaces (NETLINK_LISTEN_ALL_NSID,
 * Linux 4.2): their link events, and the changes of the forwarding tables
 * there. Without it, faults there wait for the periodic pass. */
static void listen_all_nsid(int fd)
{
	int one = 1;

	if (setsockopt(fd, SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &one, sizeof(one)) < 0)
		log_warn("VM namespace events unavailable (%s): faults there wait for the "
			 "periodic pass", strerror(errno));
}

int vmnet_events_open(struct vmnet_events *ev, struct vmnet_err *err)
{
	int r;

	ev->link_fd = ev->nft_fd = -1;
	ev->n = 0;
	ev->all = false;
	/* Without room for names every event asks for a full pass. */
	ev->v = calloc(VMNET_EVENTS_MAX, sizeof(*ev->v));
	ev->ports = calloc(VMNET_EVENTS_PORTS, sizeof(*ev->ports));
	r = open_group(NETLINK_ROUTE, RTNLGRP_LINK, err);
	if (r < 0) {
		vmnet_events_close(ev);
		return r;
	}
	ev->link_fd = r;
	listen_all_nsid(r);
	r = open_group(NETLINK_NETFILTER, NFNLGRP_NFTABLES, err);
	if (r < 0) {
		vmnet_events_close(ev);
		return r;
	}
	ev->nft_fd = r;
	listen_all_nsid(r);
	return 0;
}

void vmnet_events_close(struct vmnet_events *ev)
{
	if (ev->link_fd >= 0)
		close(ev->link_fd);
	if (ev->nft_fd >= 0)
		close(ev->nft_fd);
	ev->link_fd = ev->nft_fd = -1;
	free(ev->v);
	free(ev->ports);
	ev->v = NULL;
	ev->ports = NULL;
	ev->n = 0;
}

void vmnet_events_reset(struct vmnet_events *ev)
{
	ev->n = 0;
	ev->all = false;
}

/* The event just filled in (the last) is dropped if it repeats one kept:
 * a device coming up says so several times. */
static void unique(struct vmnet_events *ev)
{
	const struct vmnet_event *e = &ev->v[ev->n - 1];

	for (size_t i = 0; i + 1 < ev->n; i++)
		if (!memcmp(&ev->v[i], e, sizeof(*e))) {
			ev->n--;
			return;
		}
}

/* A slot for one more event, or NULL: then only a full pass will do. */
static struct vmnet_event *push(struct vmnet_events *ev, enum vmnet_event_kind kind)
{
	struct vmnet_event *e;

	if (!ev->v || ev->n >= VMNET_EVENTS_MAX) {
		ev->all = true;
		return NULL;
	}
	e = &ev->v[ev->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->nsid = -1;
	return e;
}

static bool has_prefix(const struct nlattr *a, const char *prefix)
{
	size_t n = strlen(prefix);

	return mnl_attr_get_payload_len(a) > n && !strncmp(mnl_attr_get_str(a), prefix, n);
}

struct link_seen {
	bool ours;		/* our prefix or alias, or a bridge */
	bool bridge;
	const char *name, *alias;
};

static int link_attr_cb(const struct nlattr *a, void *data)
{
	struct link_seen *l = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			break;
		l->name = mnl_attr_get_str(a);
		l->ours |= has_prefix(a, VMNET_PREFIX_VETH) || has_prefix(a, VMNET_PREFIX_TAP);
		break;
	case IFLA_IFALIAS:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			break;
		l->alias = mnl_attr_get_str(a);
		l->ours |= has_prefix(a, VMNET_ALIAS_PREFIX);
		break;
	case IFLA_LINKINFO: {
		const struct nlattr *li;

		mnl_attr_for_each_nested(li, a)
			if (mnl_attr_get_type(li) == IFLA_INFO_KIND && has_prefix(li, "bridge"))
				l->bridge = true;
		break;
	}
	}
	return MNL_CB_OK;
}

/* A link we may own: our device prefixes, an alias of ours, or a bridge
 * (bridge names are configurable): 1, and what names it into @ev. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

/* What a bridge port's notification says of the port, less the bridge's
 * spanning tree view of it (IFLA_BRPORT_ROOT_ID .. IFLA_BRPORT_PAD: ids,
 * timers), which changes for every port when the bridge's id does. */
static uint64_t port_hash(const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	uint64_t h = fnv(14695981039346656037ULL, &ifi->ifi_flags, sizeof(ifi->ifi_flags));
	const struct nlattr *a, *x;

	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		if ((mnl_attr_get_type(a) & NLA_TYPE_MASK) != IFLA_PROTINFO) {
			h = fnv(h, a, a->nla_len);
			continue;
		}
		mnl_attr_for_each_nested(x, a) {
			uint16_t t = mnl_attr_get_type(x);

			if (t < IFLA_BRPORT_ROOT_ID || t > IFLA_BRPORT_PAD)
				h = fnv(h, x, x->nla_len);
		}
	}
	return h;
}

/* A bridge port's notification (AF_BRIDGE) that says of the port what the
 * last one said is no event: the bridge sends one for each of its ports on
 * changes of its own (its id, as ports come and go). */
static bool port_repeats(struct vmnet_events *ev, const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct vmnet_event_port *s;
	uint64_t h;

	if (ifi->ifi_family != AF_BRIDGE || !ev->ports || ifi->ifi_index <= 0)
		return false;
	s = &ev->ports[(unsigned)ifi->ifi_index % VMNET_EVENTS_PORTS];
	if (nlh->nlmsg_type == RTM_DELLINK) {
		s->ifindex = 0;
		return false;
	}
	h = port_hash(nlh);
	if (s->ifindex == ifi->ifi_index && s->hash == h)
		return true;
	s->ifindex = ifi->ifi_index;
	s->hash = h;
	return false;
}

static int link_event(struct vmnet_events *ev, const struct nlmsghdr *nlh)
{
	struct link_seen l = { 0 };
	struct vmnet_event *e;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)) || port_repeats(ev, nlh))
		return 0;
	mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr_cb, &l);
	if (!l.ours && !l.bridge)
		return 0;
	if (!l.name || strlen(l.name) >= sizeof(e->name)) {
		ev->all = true;
		return 1;
	}
	e = push(ev, VMNET_EV_LINK);
	if (!e)
		return 1;
	e->del = nlh->nlmsg_type == RTM_DELLINK;
	e->bridge = l.bridge;
	snprintf(e->name, sizeof(e->name), "%s", l.name);
	if (l.alias)
		snprintf(e->alias, sizeof(e->alias), "%s", l.alias);
	unique(ev);
	return 1;
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

static int fwd_attr_cb(const struct nlattr *a, void *data)
{
	const size_t np = sizeof(VMNET_FWD_TABLE_PREFIX) - 1;

	if (mnl_attr_get_type(a) != 1)
		return MNL_CB_OK;
	*(bool *)data = mnl_attr_get_payload_len(a) > np &&
			!strncmp(mnl_attr_get_str(a), VMNET_FWD_TABLE_PREFIX, np);
	return MNL_CB_STOP;
}

/* A change of an attachment's forwarding table in a VM namespace
 * (lib/nft_fwd.c): netdev family, a table named as ours (a flush of the
 * namespace's ruleset shows as its deletion). */
static bool fwd_event(const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	bool hit = false;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*g)) || g->nfgen_family != NFPROTO_NETDEV)
		return false;
	mnl_attr_parse(nlh, sizeof(*g), fwd_attr_cb, &hit);
	return hit;
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

/* An element's key or data (NFTA_DATA_VALUE inside @a), cut to the room. */
static void copy_value(const struct nlattr *a, uint8_t *buf, uint8_t *ret_len)
{
	const struct nlattr *v;

	mnl_attr_for_each_nested(v, a) {
		size_t n = mnl_attr_get_payload_len(v);

		if (mnl_attr_get_type(v) != NFTA_DATA_VALUE)
			continue;
		if (n > VMNET_EVENT_BYTES)
			n = VMNET_EVENT_BYTES;
		memcpy(buf, mnl_attr_get_payload(v), n);
		*ret_len = (uint8_t)n;
	}
}

/* Elements that left a set of vmnet's: each into @ev, for netd to find
 * whose they were (a guest address, a host device in the key or data). */
static int elem_event(struct vmnet_events *ev, const struct nlmsghdr *nlh)
{
	const struct nlattr *a, *le, *x;
	size_t n = 0;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(le, a) {
			struct vmnet_event *e = push(ev, VMNET_EV_ELEM);

			if (!e)
				return 1;
			n++;
			mnl_attr_for_each_nested(x, le) {
				if (mnl_attr_get_type(x) == NFTA_SET_ELEM_KEY)
					copy_value(x, e->key, &e->key_len);
				else if (mnl_attr_get_type(x) == NFTA_SET_ELEM_DATA)
					copy_value(x, e->data, &e->data_len);
			}
			if (!e->key_len)
				ev->all = true;
			else
				unique(ev);
		}
	}
	if (!n)
		ev->all = true;
	return 1;
}

/* Table inet (or bridge) vmnet or anything table-wide (a flush of the
 * ruleset shows as deletions of each table, ours among them). An element
 * added is no damage; one deleted names its attachment; anything else of
 * the table (or Docker's chain) wants a full pass. */
static int nft_event(struct vmnet_events *ev, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	bool hit = false;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*g)))
		return 0;
	if (NFNL_MSG_TYPE(nlh->nlmsg_type) == NFT_MSG_NEWGEN)
		return 0;
	if (docker_is_interesting(nlh)) {
		ev->all = true;
		return 1;
	}
	if (g->nfgen_family != NFPROTO_INET && g->nfgen_family != NFPROTO_BRIDGE &&
	    g->nfgen_family != NFPROTO_UNSPEC)
		return 0;
	mnl_attr_parse(nlh, sizeof(*g), table_attr_cb, &hit);
	if (!hit)
		return 0;
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case NFT_MSG_NEWSETELEM:
		return 0;
	case NFT_MSG_DELSETELEM:
		return elem_event(ev, nlh);
	}
	ev->all = true;
	return 1;
}

/* A link message's device name, NULL if none fits. */
static const char *if_name(const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct link_seen l = { 0 };

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return NULL;
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, &l);
	return l.name && strlen(l.name) < IFNAMSIZ ? l.name : NULL;
}

/* A link or forwarding-table change in a VM namespace (any other namespace
 * with an id here: netd finds out whether it is one of ours by its id),
 * with the device's name when known: netd narrows it to that attachment. */
static int foreign_event(struct vmnet_events *ev, const struct nlmsghdr *nlh, int nsid)
{
	const char *name = NULL;
	struct vmnet_event *e;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK: case RTM_DELLINK:
		name = if_name(nlh);
		break;
	default:
		if (!fwd_event(nlh))
			return 0;
	}
	e = push(ev, VMNET_EV_NETNS);
	if (!e)
		return 1;
	e->nsid = nsid;
	if (name)
		snprintf(e->name, sizeof(e->name), "%s", name);
	unique(ev);
	return 1;
}

/* The id of the namespace the message came from, -1 for ours: the kernel
 * says in a NETLINK_LISTEN_ALL_NSID control message, only for others. */
static int source_nsid(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
		if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_LISTEN_ALL_NSID &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int id;

			memcpy(&id, CMSG_DATA(c), sizeof(id));
			return id < 0 ? INT32_MAX : id;
		}
	return -1;
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
		int nsid;
		size_t left;

		if (n < 0) {
			if (errno == ENOBUFS) {
				log_debug("netlink events overflowed: scheduling a full pass");
				ev->all = true;
				due = 1;
				continue;
			}
			break;
		}
		if (n == 0)
			break;
		left = (size_t)n;
		nsid = source_nsid(&m);
		for (nlh = (const struct nlmsghdr *)buf; NLMSG_OK(nlh, left);
		     nlh = NLMSG_NEXT(nlh, left)) {
			if (nsid >= 0)
				due |= foreign_event(ev, nlh, nsid);
			else if (fd == ev->link_fd && (nlh->nlmsg_type == RTM_NEWLINK ||
						  nlh->nlmsg_type == RTM_DELLINK))
				due |= link_event(ev, nlh);
			else if (fd == ev->nft_fd)
				due |= nft_event(ev, nlh);
		}
	}
	return due;
}
