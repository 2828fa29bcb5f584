/* SPDX-License-Identifier: MIT */
/*
 * The ruleset's generation (include/vmnet/nft.h, vmnet_nft_genid): every
 * nf_tables commit in the namespace, of any table, moves it on. The kernel
 * answers NFT_MSG_GETGEN under RCU, without the commit mutex, so asking
 * waits for no transaction in flight.
 */
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>

#include "vmnet/nft.h"
#include "nft_priv.h"

struct gen_reply {
	uint32_t id;
	bool got;
};

static int gen_cb(const struct nlmsghdr *nh, void *data)
{
	struct gen_reply *g = data;
	struct nftnl_gen *gen = nftnl_gen_alloc();

	if (gen && nftnl_gen_nlmsg_parse(nh, gen) == 0 && nftnl_gen_is_set(gen, NFTNL_GEN_ID)) {
		g->id = nftnl_gen_get_u32(gen, NFTNL_GEN_ID);
		g->got = true;
	}
	if (gen)
		nftnl_gen_free(gen);
	return MNL_CB_OK;
}

int vmnet_nft_genid(struct vmnet_nft *n, uint32_t *ret_gen)
{
	struct gen_reply g = {0};
	char buf[REQ_BUF];
	struct nlmsghdr *nh;
	int r;

	nh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, 0);
	r = nft_request(n, nh, gen_cb, &g);
	if (r < 0)
		return r;
	if (!g.got)
		return -EPROTO;
	*ret_gen = g.id;
	return 0;
}
