/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>

#include "vmnet/link.h"
#include "vmnet/names.h"
#include "vmnet/netns.h"
#include "vmnet/nl.h"

/* IFALIASZ, which only linux/if.h has, and that clashes with net/if.h. */
#define ALIAS_MAX 256

static void msg_freep(struct nl_msg **m)
{
	if (*m)
		nlmsg_free(*m);
}
#define _cleanup_msg_ _cleanup_(msg_freep)

static struct nl_msg *link_msg(int type, int flags, unsigned char family, int ifindex)
{
	struct ifinfomsg ifi = {.ifi_family = family, .ifi_index = ifindex};
	struct nl_msg *m = nlmsg_alloc_simple(type, flags);

	if (m && nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

static struct nla_policy link_policy[IFLA_MAX + 1] = {
	[IFLA_IFNAME] = {.type = NLA_STRING},	[IFLA_MTU] = {.type = NLA_U32},
	[IFLA_MASTER] = {.type = NLA_U32},	[IFLA_IFALIAS] = {.type = NLA_STRING},
	[IFLA_LINKINFO] = {.type = NLA_NESTED},	[IFLA_GROUP] = {.type = NLA_U32},
	[IFLA_CARRIER] = {.type = NLA_U8},
};

static struct nla_policy info_policy[IFLA_INFO_MAX + 1] = {
	[IFLA_INFO_KIND] = {.type = NLA_STRING},
	[IFLA_INFO_SLAVE_KIND] = {.type = NLA_STRING},
	[IFLA_INFO_SLAVE_DATA] = {.type = NLA_NESTED},
	[IFLA_INFO_DATA] = {.type = NLA_NESTED},
};

static struct nla_policy brport_policy[IFLA_BRPORT_MAX + 1] = {
	[IFLA_BRPORT_ISOLATED] = {.type = NLA_U8},
};

struct link_reply {
	struct vmnet_link_info info;
	bool found;
};

/* A multi-queue tap's attached queues, enabled and disabled, -1 if not
 * reported (the kernel does for multi-queue taps only). */
static int tun_queues(struct nlattr *data)
{
	struct nlattr *tt[IFLA_TUN_MAX + 1];

	if (!data || nla_parse_nested(tt, IFLA_TUN_MAX, data, NULL) < 0 ||
	    !tt[IFLA_TUN_NUM_QUEUES] || nla_len(tt[IFLA_TUN_NUM_QUEUES]) < 4)
		return -1;
	return (int)nla_get_u32(tt[IFLA_TUN_NUM_QUEUES]) +
	       (tt[IFLA_TUN_NUM_DISABLED_QUEUES] && nla_len(tt[IFLA_TUN_NUM_DISABLED_QUEUES]) >= 4
			? (int)nla_get_u32(tt[IFLA_TUN_NUM_DISABLED_QUEUES])
			: 0);
}

/* Parse one RTM_NEWLINK into @arg (struct link_reply). */
static int parse_link(const struct nlmsghdr *h, void *arg)
{
	struct link_reply *out = arg;
	struct vmnet_link_info *li = &out->info;
	struct nlattr *tb[IFLA_MAX + 1], *ti[IFLA_INFO_MAX + 1];
	const struct ifinfomsg *ifi;

	if (h->nlmsg_type != RTM_NEWLINK || out->found)
		return 0;
	if (nlmsg_parse((struct nlmsghdr *)h, sizeof(*ifi), tb, IFLA_MAX, link_policy) < 0)
		return -EPROTO;
	ifi = nlmsg_data(h);
	memset(out, 0, sizeof(*out));
	li->port_isolated = -1;
	li->ifindex = ifi->ifi_index;
	li->up = ifi->ifi_flags & IFF_UP;
	li->tun_queues = -1;
	if (tb[IFLA_IFNAME])
		snprintf(li->name, sizeof(li->name), "%s", nla_get_string(tb[IFLA_IFNAME]));
	if (tb[IFLA_MTU])
		li->mtu = nla_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_MASTER])
		li->master = (int)nla_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == 6)
		memcpy(li->mac, nla_data(tb[IFLA_ADDRESS]), 6);
	if (tb[IFLA_GROUP])
		li->devgroup = nla_get_u32(tb[IFLA_GROUP]);
	if (tb[IFLA_IFALIAS])
		snprintf(li->alias, sizeof(li->alias), "%s", nla_get_string(tb[IFLA_IFALIAS]));
	if (tb[IFLA_CARRIER])
		li->carrier = nla_get_u8(tb[IFLA_CARRIER]) != 0;
	if (tb[IFLA_LINKINFO] &&
	    nla_parse_nested(ti, IFLA_INFO_MAX, tb[IFLA_LINKINFO], info_policy) == 0) {
		if (ti[IFLA_INFO_KIND])
			snprintf(li->kind, sizeof(li->kind), "%s",
				 nla_get_string(ti[IFLA_INFO_KIND]));
		if (!strcmp(li->kind, "tun"))
			li->tun_queues = tun_queues(ti[IFLA_INFO_DATA]);
		/* Bridge port flags ride along as slave data of the port. */
		if (ti[IFLA_INFO_SLAVE_KIND] && ti[IFLA_INFO_SLAVE_DATA] &&
		    !strcmp(nla_get_string(ti[IFLA_INFO_SLAVE_KIND]), "bridge")) {
			struct nlattr *tp[IFLA_BRPORT_MAX + 1];

			if (nla_parse_nested(tp, IFLA_BRPORT_MAX, ti[IFLA_INFO_SLAVE_DATA],
					     brport_policy) == 0 &&
			    tp[IFLA_BRPORT_ISOLATED])
				li->port_isolated = nla_get_u8(tp[IFLA_BRPORT_ISOLATED]) != 0;
		}
	}
	out->found = true;
	return 0;
}

static int get_link(struct vmnet_nl *nl, const char *name, int ifindex, struct link_reply *out)
{
	_cleanup_msg_ struct nl_msg *m = link_msg(RTM_GETLINK, 0, AF_UNSPEC, ifindex);
	int r;

	if (!m)
		return -ENOMEM;
	/* Counters are most of a link message and we never read them. */
	if ((name && nla_put_string(m, IFLA_IFNAME, name) < 0) ||
	    nla_put_u32(m, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
		return -ENOMEM;
	out->found = false;
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), parse_link, out);
	if (r < 0)
		return r;
	return out->found ? 0 : -ENODEV;
}

int vmnet_link_get(struct vmnet_nl *nl, const char *name, struct vmnet_link_info *ret,
		   struct vmnet_err *err)
{
	struct link_reply out;
	int r;

	if (!vmnet_name_valid_ifname(name))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "getting link: bad name");
	r = get_link(nl, name, 0, &out);
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "getting link %s", name);
	*ret = out.info;
	return 0;
}

int vmnet_link_get_index(struct vmnet_nl *nl, int ifindex, struct vmnet_link_info *ret,
			 struct vmnet_err *err)
{
	struct link_reply out;
	int r;

	if (ifindex <= 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "getting link %d", ifindex);
	r = get_link(nl, NULL, ifindex, &out);
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "getting link %d", ifindex);
	*ret = out.info;
	return 0;
}

struct link_walk {
	const char *kind;
	int master;
	vmnet_link_cb cb;
	void *arg;
};

static int walk_link(const struct nlmsghdr *h, void *arg)
{
	struct link_walk *w = arg;
	struct link_reply out = {0};
	int r = parse_link(h, &out);

	/* Kernels without the filters send more: filter here too. */
	if (r < 0 || !out.found || (w->kind && strcmp(out.info.kind, w->kind)) ||
	    (w->master > 0 && out.info.master != w->master) || (w->master < 0 && out.info.master))
		return r < 0 ? r : 0;
	return w->cb(&out.info, w->arg);
}

/* IFLA_MASTER -1 ("no master") is Linux 5.17's; older kernels send nothing. */
static bool nomaster_filter(void)
{
	static int known = -1;
	struct utsname u;
	char *end;

	if (known < 0) {
		unsigned long a = uname(&u) == 0 ? strtoul(u.release, &end, 10) : 0;

		known = a > 5 || (a == 5 && *end == '.' && strtoul(end + 1, NULL, 10) >= 17);
	}
	return known;
}

int vmnet_link_walk(struct vmnet_nl *nl, const char *kind, int master, vmnet_link_cb cb,
		    void *arg, struct vmnet_err *err)
{
	_cleanup_msg_ struct nl_msg *m = link_msg(RTM_GETLINK, NLM_F_DUMP, AF_UNSPEC, 0);
	struct link_walk w = {.kind = kind, .master = master, .cb = cb, .arg = arg};
	struct nlattr *li;
	int r;

	if (!m || nla_put_u32(m, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
		goto nomem;
	if ((master > 0 || (master < 0 && nomaster_filter())) &&
	    nla_put_u32(m, IFLA_MASTER, (uint32_t)master) < 0)
		goto nomem;
	if (kind) {
		li = nla_nest_start(m, IFLA_LINKINFO);
		if (!li || nla_put_string(m, IFLA_INFO_KIND, kind) < 0)
			goto nomem;
		nla_nest_end(m, li);
	}
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), walk_link, &w);
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "listing links");
	return 0;
nomem:
	return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "listing links");
}

struct port_scan {
	const char *prefix, *except;
	char *ret_alias;
	bool found;
};

static int scan_port(const struct vmnet_link_info *li, void *arg)
{
	struct port_scan *q = arg;

	if (q->found || strncmp(li->alias, q->prefix, strlen(q->prefix)) ||
	    !strncmp(li->alias, q->except, strlen(q->except)))
		return 0;
	snprintf(q->ret_alias, ALIAS_MAX, "%s", li->alias);
	q->found = true;
	return 0;
}

int vmnet_link_find_port(struct vmnet_nl *nl, int master, const char *prefix, const char *except,
			 char ret_alias[256], struct vmnet_err *err)
{
	struct port_scan q = {.prefix = prefix, .except = except, .ret_alias = ret_alias};
	int r = vmnet_link_walk(nl, NULL, master, scan_port, &q, NULL);

	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "listing ports of link %d", master);
	return q.found;
}

struct echo {
	const char *name;
	int ifindex;
};

/* NLM_F_ECHO (kernel >= 6.1) hands back the new link, saving a get. */
static int parse_echo(const struct nlmsghdr *h, void *arg)
{
	struct echo *e = arg;
	struct link_reply out = {0};

	if (parse_link(h, &out) == 0 && out.found && !strcmp(out.info.name, e->name))
		e->ifindex = out.info.ifindex;
	return 0;
}

/* The index of a link we just created: from the echo, else one get. */
static int new_ifindex(struct vmnet_nl *nl, struct echo *e, int *ret)
{
	struct link_reply out;
	int r;

	if (e->ifindex <= 0) {
		r = get_link(nl, e->name, 0, &out);
		if (r < 0)
			return r;
		e->ifindex = out.info.ifindex;
	}
	*ret = e->ifindex;
	return 0;
}

static int put_common(struct nl_msg *m, const char *name, unsigned mtu, const uint8_t *mac)
{
	if (nla_put_string(m, IFLA_IFNAME, name) < 0 ||
	    (mtu && nla_put_u32(m, IFLA_MTU, mtu) < 0) ||
	    (mac && nla_put(m, IFLA_ADDRESS, 6, mac) < 0))
		return -ENOMEM;
	return 0;
}

int vmnet_link_add_bridge(struct vmnet_nl *nl, const char *name, unsigned mtu, const uint8_t mac[6],
			  int *ret_ifindex, struct vmnet_err *err)
{
	_cleanup_msg_ struct nl_msg *m = NULL;
	struct echo e = {.name = name};
	struct nlattr *li, *data;
	int r, ifindex;

	if (!vmnet_name_valid_ifname(name))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "adding bridge: bad name");
	/* Forward delay 0: without STP a joining port forwards at once anyway,
	 * but the kernel still arms its timer (15 s) and announces the port
	 * again when it fires, waking netd for nothing. STP turned on later
	 * raises it to the kernel's 2 s minimum. */
	m = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, AF_UNSPEC, 0);
	if (!m || put_common(m, name, mtu, mac) < 0 || !(li = nla_nest_start(m, IFLA_LINKINFO)) ||
	    nla_put_string(m, IFLA_INFO_KIND, "bridge") < 0 ||
	    !(data = nla_nest_start(m, IFLA_INFO_DATA)) || nla_put_u32(m, IFLA_BR_FORWARD_DELAY, 0) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "adding bridge %s", name);
	nla_nest_end(m, data);
	nla_nest_end(m, li);
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), parse_echo, &e);
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "adding bridge %s", name);
	r = new_ifindex(nl, &e, &ifindex);
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "getting new bridge %s", name);
	if (ret_ifindex)
		*ret_ifindex = ifindex;
	return 0;
}

/* One queue each way, said at creation. Left out, a veth gets one per
 * possible CPU and veth_init_queues() then cuts the real number back to
 * one: a cut that waits for an RCU grace period (synchronize_net, with
 * RTNL held) for each end, and on a many-CPU host registers and removes
 * a sysfs entry per queue. vmnet's veths carry one flow of frames to a
 * tap or a bridge; nothing spreads it over queues. */
static int put_one_queue(struct nl_msg *m)
{
	if (nla_put_u32(m, IFLA_NUM_TX_QUEUES, 1) < 0 || nla_put_u32(m, IFLA_NUM_RX_QUEUES, 1) < 0)
		return -ENOMEM;
	return 0;
}

static int veth_msg(struct nl_msg *m, const char *name, const uint8_t *mac, const char *peer,
		    const uint8_t *peer_mac, int peer_nsfd, unsigned mtu)
{
	struct ifinfomsg pi = {.ifi_family = AF_UNSPEC};
	struct nlattr *li, *data, *pn;

	if (put_common(m, name, mtu, mac) < 0 || put_one_queue(m) < 0 ||
	    !(li = nla_nest_start(m, IFLA_LINKINFO)) ||
	    nla_put_string(m, IFLA_INFO_KIND, "veth") < 0 ||
	    !(data = nla_nest_start(m, IFLA_INFO_DATA)) ||
	    !(pn = nla_nest_start(m, VETH_INFO_PEER)))
		return -ENOMEM;
	/* The peer is a whole link description: ifinfomsg, then attributes. */
	if (nlmsg_append(m, &pi, sizeof(pi), NLMSG_ALIGNTO) < 0 ||
	    put_common(m, peer, mtu, peer_mac) < 0 || put_one_queue(m) < 0 ||
	    (peer_nsfd >= 0 && nla_put_u32(m, IFLA_NET_NS_FD, (uint32_t)peer_nsfd) < 0))
		return -ENOMEM;
	nla_nest_end(m, pn);
	nla_nest_end(m, data);
	nla_nest_end(m, li);
	return 0;
}

static int set_alias(struct vmnet_nl *nl, int ifindex, const char *alias, struct vmnet_err *err)
{
	struct vmnet_link_change c = VMNET_LINK_CHANGE_INIT;

	c.alias = alias;
	return vmnet_link_set(nl, ifindex, &c, err);
}

int vmnet_link_add_veth(struct vmnet_nl *nl, const char *name, const uint8_t mac[6],
			const char *alias, const char *peer, const uint8_t peer_mac[6],
			int peer_nsfd, unsigned mtu, int *ret_ifindex, struct vmnet_err *err)
{
	_cleanup_msg_ struct nl_msg *m = NULL;
	struct echo e = {.name = name};
	struct link_reply out;
	int r, ifindex;

	if (!vmnet_name_valid_ifname(name) || !vmnet_name_valid_ifname(peer))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "adding veth: bad name");
	m = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, AF_UNSPEC, 0);
	if (!m || veth_msg(m, name, mac, peer, peer_mac, peer_nsfd, mtu) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "adding veth %s", name);
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), parse_echo, &e);
	if (r == -EEXIST) {
		/* The kernel does not say which end clashed; find out. */
		if (get_link(nl, name, 0, &out) == 0)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, EEXIST,
					     "adding veth %s: device %s", name, name);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EEXIST,
				     "adding veth %s: peer %s in the target netns", name, peer);
	}
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "adding veth %s (peer %s)", name, peer);
	r = new_ifindex(nl, &e, &ifindex);
	if (r < 0) {
		vmnet_nl_fail(nl, err, r, "getting new veth %s", name);
		goto undo_add;
	}
	/* IFLA_IFALIAS is ignored at creation (kernel 6.x); set it after. */
	if (alias && alias[0]) {
		r = set_alias(nl, ifindex, alias, err);
		if (r < 0)
			goto undo_add;
	}
	if (ret_ifindex)
		*ret_ifindex = ifindex;
	return 0;

undo_add:
	vmnet_link_del(nl, name, NULL);
	return r;
}

/* IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE none } }: `ip link set
 * addrgenmode none`. */
static int put_no_ll(struct nl_msg *m)
{
	struct nlattr *af, *in6;

	if (!(af = nla_nest_start(m, IFLA_AF_SPEC)) || !(in6 = nla_nest_start(m, AF_INET6)) ||
	    nla_put_u8(m, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE) < 0)
		return -ENOMEM;
	nla_nest_end(m, in6);
	nla_nest_end(m, af);
	return 0;
}

/* The RTM_SETLINK of @c for @ifindex into *ret. */
static int set_msg(int ifindex, const struct vmnet_link_change *c, struct nl_msg **ret,
		   struct vmnet_err *err)
{
	struct nl_msg *m;
	struct ifinfomsg *ifi;

	if (c->alias && strlen(c->alias) >= ALIAS_MAX)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL,
				     "setting link %d: alias too long", ifindex);
	if (c->name && !vmnet_name_valid_ifname(c->name))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "renaming link %d: bad name",
				     ifindex);
	*ret = m = link_msg(RTM_SETLINK, 0, AF_UNSPEC, ifindex);
	if (!m)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "setting link %d", ifindex);
	ifi = nlmsg_data(nlmsg_hdr(m));
	if (c->up >= 0) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = c->up ? IFF_UP : 0;
	}
	/* The alias goes without its NUL (as iproute2 does); "" clears it. */
	if ((c->name && nla_put_string(m, IFLA_IFNAME, c->name) < 0) ||
	    (c->mtu && nla_put_u32(m, IFLA_MTU, c->mtu) < 0) ||
	    (c->mac && nla_put(m, IFLA_ADDRESS, 6, c->mac) < 0) ||
	    (c->master >= 0 && nla_put_u32(m, IFLA_MASTER, (uint32_t)c->master) < 0) ||
	    (c->alias && nla_put(m, IFLA_IFALIAS, (int)strlen(c->alias), c->alias) < 0) ||
	    ((c->devgroup || c->group_default) &&
	     nla_put_u32(m, IFLA_GROUP, c->group_default ? 0 : c->devgroup) < 0) ||
	    (c->no_ll && put_no_ll(m) < 0))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "setting link %d", ifindex);
	return 0;
}

int vmnet_link_set(struct vmnet_nl *nl, int ifindex, const struct vmnet_link_change *c,
		   struct vmnet_err *err)
{
	return vmnet_link_set_all(nl, ifindex, c, 1, err);
}

int vmnet_link_set_all(struct vmnet_nl *nl, int ifindex, const struct vmnet_link_change *cs,
		       size_t n, struct vmnet_err *err)
{
	struct nl_msg *m[VMNET_NL_MAX_REQS] = { NULL };
	struct nlmsghdr *h[VMNET_NL_MAX_REQS];
	int r = n && n <= VMNET_NL_MAX_REQS
			? 0
			: vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "setting link %d", ifindex);

	for (size_t i = 0; i < n && r == 0; i++) {
		r = set_msg(ifindex, &cs[i], &m[i], err);
		if (r == 0)
			h[i] = nlmsg_hdr(m[i]);
	}
	if (r == 0) {
		r = vmnet_nl_talk_all(nl, h, n);
		if (r < 0)
			vmnet_nl_fail(nl, err, r, "setting link %d", ifindex);
	}
	for (size_t i = 0; i < n && i < VMNET_NL_MAX_REQS; i++)
		nlmsg_free(m[i]);
	return r;
}

int vmnet_link_set_port(struct vmnet_nl *nl, int ifindex, bool isolated, bool hairpin,
			struct vmnet_err *err)
{
	_cleanup_msg_ struct nl_msg *m = NULL;
	struct nlattr *pi;
	int r;

	/* `bridge link set dev X isolated on hairpin on`: AF_BRIDGE setlink,
	 * port attributes nested in IFLA_PROTINFO. NLA_F_NESTED is what tells
	 * br_setlink() this is not the old single-byte port state. */
	m = link_msg(RTM_SETLINK, 0, AF_BRIDGE, ifindex);
	if (!m || !(pi = nla_nest_start(m, IFLA_PROTINFO)) ||
	    nla_put_u8(m, IFLA_BRPORT_ISOLATED, isolated) < 0 ||
	    nla_put_u8(m, IFLA_BRPORT_MODE, hairpin) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "setting flags of port %d",
				     ifindex);
	pi->nla_type |= NLA_F_NESTED;
	nla_nest_end(m, pi);
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "setting flags of port %d", ifindex);
	return 0;
}

int vmnet_link_set_port_isolated(struct vmnet_nl *nl, int ifindex, bool on, struct vmnet_err *err)
{
	return vmnet_link_set_port(nl, ifindex, on, false, err);
}

static int del_link(struct vmnet_nl *nl, const char *name, int ifindex, struct vmnet_err *err)
{
	_cleanup_msg_ struct nl_msg *m = link_msg(RTM_DELLINK, 0, AF_UNSPEC, ifindex);
	int r;

	if (!m || (name && nla_put_string(m, IFLA_IFNAME, name) < 0))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "deleting link");
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r < 0 && !vmnet_err_is_gone(r)) {
		if (name)
			return vmnet_nl_fail(nl, err, r, "deleting link %s", name);
		return vmnet_nl_fail(nl, err, r, "deleting link %d", ifindex);
	}
	return 0;
}

int vmnet_link_del(struct vmnet_nl *nl, const char *name, struct vmnet_err *err)
{
	if (!vmnet_name_valid_ifname(name))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "deleting link: bad name");
	return del_link(nl, name, 0, err);
}

int vmnet_link_del_index(struct vmnet_nl *nl, int ifindex, struct vmnet_err *err)
{
	if (ifindex <= 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "deleting link %d", ifindex);
	return del_link(nl, NULL, ifindex, err);
}

int vmnet_link_del_devgroup(struct vmnet_nl *nl, uint32_t group, struct vmnet_err *err)
{
	_cleanup_msg_ struct nl_msg *m = link_msg(RTM_DELLINK, 0, AF_UNSPEC, 0);
	int r;

	if (!group)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EINVAL, "deleting link group 0");
	if (!m || nla_put_u32(m, IFLA_GROUP, group) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "deleting link group");
	r = vmnet_nl_talk(nl, nlmsg_hdr(m), NULL, NULL);
	if (r < 0 && !vmnet_err_is_gone(r))
		return vmnet_nl_fail(nl, err, r, "deleting link group %u", group);
	return 0;
}
