/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "vmnet/nl.h"
#include "vmnet/nsid.h"

static void msg_freep(struct nl_msg **m)
{
	if (*m)
		nlmsg_free(*m);
}

static struct nla_policy nsid_policy[NETNSA_MAX + 1] = {
	[NETNSA_NSID] = {.type = NLA_S32},
};

static int parse_nsid(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[NETNSA_MAX + 1];

	if (nlh->nlmsg_type != RTM_NEWNSID)
		return 0;
	if (nlmsg_parse((struct nlmsghdr *)nlh, sizeof(struct rtgenmsg), tb, NETNSA_MAX,
			nsid_policy) < 0 ||
	    !tb[NETNSA_NSID])
		return -EBADMSG;
	*(int *)arg = nla_get_s32(tb[NETNSA_NSID]);
	return 0;
}

/* One RTM_{GET,NEW}NSID request naming the peer by @attr (NETNSA_FD or
 * NETNSA_NSID); the nsid of the answer, if any, in *ret. */
static int nsid_talk(struct vmnet_nl *nl, int type, int attr, int value, int nsid, int *ret)
{
	_cleanup_(msg_freep) struct nl_msg *m = nlmsg_alloc_simple(type, 0);
	struct rtgenmsg g = {.rtgen_family = AF_UNSPEC};

	if (!m || nlmsg_append(m, &g, sizeof(g), NLMSG_ALIGNTO) < 0 ||
	    (attr == NETNSA_FD && nla_put_u32(m, NETNSA_FD, (uint32_t)value) < 0) ||
	    (attr == NETNSA_NSID && nla_put_s32(m, NETNSA_NSID, value) < 0) ||
	    (type == RTM_NEWNSID && nla_put_s32(m, NETNSA_NSID, nsid) < 0))
		return -ENOMEM;
	*ret = NETNSA_NSID_NOT_ASSIGNED;
	return vmnet_nl_talk(nl, nlmsg_hdr(m), parse_nsid, ret);
}

int vmnet_nsid_ensure(struct vmnet_nl *nl, int nsfd, int *ret_nsid, struct vmnet_err *err)
{
	int r, id, unused;

	r = nsid_talk(nl, RTM_GETNSID, NETNSA_FD, nsfd, 0, &id);
	if (r == 0 && id < 0) {
		/* -1: the kernel picks one. EEXIST: someone else just did. */
		r = nsid_talk(nl, RTM_NEWNSID, NETNSA_FD, nsfd, -1, &unused);
		if (r == 0 || r == -EEXIST)
			r = nsid_talk(nl, RTM_GETNSID, NETNSA_FD, nsfd, 0, &id);
	}
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "namespace id");
	if (id < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOENT, "namespace id");
	*ret_nsid = id;
	return 0;
}

int vmnet_nsid_exists(struct vmnet_nl *nl, int nsid, struct vmnet_err *err)
{
	int r, id;

	/* Looking an nsid up (rather than a peer) needs Linux 4.20. */
	r = nsid_talk(nl, RTM_GETNSID, NETNSA_NSID, nsid, 0, &id);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return vmnet_nl_fail(nl, err, r, "looking up namespace id %d", nsid);
	return id == nsid;
}
