/* SPDX-License-Identifier: MIT */
/* libFuzzer target: CHECK's reading of a VM namespace's forwarding table
 * (lib/nft_fwd.c). Whoever is root in that namespace can write a table of
 * that name; what they write is outside input, the kernel's encoding of it
 * is not (libnftnl reads it, and exits on a malformed one), as in
 * fuzz_foreign. So the input here is table shapes: chains of any table,
 * name, hook and device, rules of any chain with immediates, fwd and other
 * expressions in any order. The verdict must be an answer, never a crash,
 * and a well-formed table must pass. */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "vmnet/nft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const tables[] = {"vmnet_00000000000000aa", "vmnet_00000000000000ab", "t"};
static const char *const chains[] = {"peer", "tap", "x", ""};
static const char *const devs[] = {"eth0", "tap0", "lo", "", "eth0tap0eth0tap0"};

static uint8_t take(const uint8_t **d, size_t *n)
{
	uint8_t b = *n ? **d : 0;

	if (*n) {
		(*d)++;
		(*n)--;
	}
	return b;
}

static size_t put_chain(char *buf, uint8_t a, uint8_t b)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nh;

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, tables[a % 3]);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chains[(a >> 2) % 4]);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_NETDEV);
	if (b & 1) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (b >> 1) & 1);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, -500);
		if (b & 4)
			nftnl_chain_set_str(c, NFTNL_CHAIN_DEV, devs[(b >> 3) % 5]);
	}
	nh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWCHAIN, NFPROTO_NETDEV, 0, 0);
	nftnl_chain_nlmsg_build_payload(nh, c);
	nftnl_chain_free(c);
	return MNL_ALIGN(nh->nlmsg_len);
}

static size_t put_rule(char *buf, uint8_t a, const uint8_t **d, size_t *n)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	uint8_t k = take(d, n) % 5;
	struct nlmsghdr *nh;

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, tables[a % 3]);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chains[(a >> 2) % 4]);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_NETDEV);
	for (uint8_t i = 0; i < k; i++) {
		uint8_t t = take(d, n), v = take(d, n);
		struct nftnl_expr *e = nftnl_expr_alloc(t % 3 == 0 ? "immediate" :
							t % 3 == 1 ? "fwd" : "counter");
		uint32_t idx = v;

		if (t % 3 == 0) {
			nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, (t >> 2) & 1 ? NFT_REG_1 : 8);
			nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &idx, (t >> 3) & 1 ? 4 : 2);
		} else if (t % 3 == 1) {
			nftnl_expr_set_u32(e, NFTNL_EXPR_FWD_SREG_DEV, (t >> 2) & 1 ? NFT_REG_1 : 8);
		}
		nftnl_rule_add_expr(r, e);
	}
	nh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, NFPROTO_NETDEV, 0, 0);
	nftnl_rule_nlmsg_build_payload(nh, r);
	nftnl_rule_free(r);
	return MNL_ALIGN(nh->nlmsg_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct vmnet_fwd f = {.table = "vmnet_00000000000000aa", .comment = "vmnet:f/c/eth0",
				    .peer = "eth0", .tap = "tap0", .peer_idx = 2, .tap_idx = 3};
	static char buf[16][1024];
	size_t len[16];
	struct vmnet_err e = {0};
	char *all;
	size_t n = 0, total = 0;
	int r;

	while (size && n < 16) {
		uint8_t a = take(&data, &size), b = take(&data, &size);

		len[n] = b & 0x80 ? put_rule(buf[n], a, &data, &size) : put_chain(buf[n], a, b);
		total += len[n++];
	}
	all = malloc(total ? total : 1);
	if (!all)
		return 0;
	for (size_t i = 0, off = 0; i < n; off += len[i++])
		memcpy(all + off, buf[i], len[i]);
	r = vmnet_nft_fwd_check_msgs(all, total, &f, &e);
	if (r != 0 && r != -ENOENT)
		abort();
	free(all);
	return 0;
}
