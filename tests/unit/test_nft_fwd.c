/* SPDX-License-Identifier: MIT */
/*
 * netns wiring's forwarding table (lib/nft_fwd.c), no root: the batch ADD
 * sends is read back by CHECK's own reader (as if the kernel dumped it),
 * and what a tampered table would look like is refused by name.
 */
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vmnet/nft.h"

static const struct vmnet_fwd want = {
	.table = "vmnet_0123456789abcdef", .comment = "vmnet:n/c/eth0",
	.peer = "eth0", .tap = "tap0", .peer_idx = 4, .tap_idx = 5,
};

static int check_with(const struct vmnet_fwd *built, const struct vmnet_fwd *asked,
		      struct vmnet_err *e)
{
	void *buf = NULL;
	size_t len = 0;
	int r;

	*e = (struct vmnet_err){0};
	r = vmnet_nft_build_fwd(built, 1, &buf, &len, e);

	if (r == 0)
		r = vmnet_nft_fwd_check_msgs(buf, len, asked, e);
	free(buf);
	return r;
}

/* ADD's batch only adds: a deleted table would leave nf_tables' destroy
 * work after the commit, and every nftables socket closed on the machine
 * until it has run waits for it (an RCU grace period). The table is made
 * with NLM_F_EXCL: one already there fails the batch, then it is replaced. */
static void only_additions(const void *buf, size_t len)
{
	int tables = 0, excl = 0, dels = 0;

	for (const struct nlmsghdr *nh = buf; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
		if (NFNL_SUBSYS_ID(nh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
			continue;
		switch (NFNL_MSG_TYPE(nh->nlmsg_type)) {
		case NFT_MSG_NEWTABLE:
			tables++;
			excl += !!(nh->nlmsg_flags & NLM_F_EXCL);
			break;
		case NFT_MSG_DELTABLE:
		case NFT_MSG_DELCHAIN:
		case NFT_MSG_DELRULE:
			dels++;
			break;
		}
	}
	ok(tables == 1 && excl == 1 && dels == 0,
	   "ADD's batch makes the table new (NLM_F_EXCL) and deletes nothing: %d table(s), %d exclusive, %d deletion(s)",
	   tables, excl, dels);
}

int main(void)
{
	struct vmnet_fwd other = want;
	struct vmnet_err e = {0};
	void *buf = NULL;
	size_t len = 0;

	ok(check_with(&want, &want, &e) == 0, "the batch ADD sends passes CHECK's reader");

	other.tap_idx = 9;
	ok(check_with(&other, &want, &e) == -ENOENT && e.code == VMNET_ERR_CHECK &&
		   strstr(e.msg, "eth0's frames are not forwarded to tap0"),
	   "forwarding to another ifindex: %s", e.msg);
	other = want;
	other.tap = "tap9";
	ok(check_with(&other, &want, &e) == -ENOENT && strstr(e.msg, "hooks tap9"),
	   "a chain on another device: %s", e.msg);
	other = want;
	other.table = "vmnet_fedcba9876543210";
	ok(check_with(&other, &want, &e) == -ENOENT && strstr(e.msg, "no forwarding from eth0"),
	   "another attachment's table does not count: %s", e.msg);
	ok(vmnet_nft_fwd_check_msgs("", 0, &want, &e) == -ENOENT, "nothing dumped: -ENOENT");

	/* The batch twice over: each chain has two rules now, not ours. */
	ok(vmnet_nft_build_fwd(&want, 1, &buf, &len, &e) == 0, "built");
	if (buf)
		only_additions(buf, len);
	if (buf) {
		char *two = malloc(2 * len);

		memcpy(two, buf, len);
		memcpy(two + len, buf, len);
		e = (struct vmnet_err){0};
		ok(vmnet_nft_fwd_check_msgs(two, 2 * len, &want, &e) == -ENOENT &&
			   strstr(e.msg, "not forwarded"),
		   "a second rule in a chain is refused: %s", e.msg);
		free(two);
	} else {
		ok(false, "no batch");
	}
	free(buf);
	return done();
}
