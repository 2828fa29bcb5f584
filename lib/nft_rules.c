/* SPDX-License-Identifier: MIT */
/*
 * Adding the base ruleset's rules: one NEWRULE per rule, built by the
 * fill functions of nft_rules_nat.c, nft_rules_filter.c and
 * nft_rules_bridge.c.
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <string.h>

#include <libnftnl/rule.h>

#include "vmnet/common.h"
#include "vmnet/names.h"
#include "nft_priv.h"

int nft_put_rule(struct nft_batch *b, int fam, const char *chain,
	     int (*fill)(struct nftnl_rule *, uint32_t), uint32_t anon_id)
{
	struct nft_msg_label d = {.kind = M_OTHER};
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nh;
	int ret;

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, VMNET_NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, fam);
	ret = fill(r, anon_id);
	if (ret < 0)
		goto out;
	ret = -ENOMEM;
	nh = nft_msg_start(b, fam, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, &d);
	if (!nh)
		goto out;
	nftnl_rule_nlmsg_build_payload(nh, r);
	nft_msg_done(b, nh);
	ret = 0;
out:
	nftnl_rule_free(r);
	return ret;
}

/* An anonymous constant set { tcp, udp, sctp } bound to the next rule. */
int nft_put_l4_set(struct nft_batch *b, uint32_t *ret_id)
{
	static const struct nft_set_def l4 = {
		F_INET, "__set%d", NFT_SET_ANONYMOUS | NFT_SET_CONSTANT, DT_INET_PROTO, 1, 0, 0, false, 0, 0};
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP};
	struct nft_msg_label d = {.kind = M_OTHER};
	struct nft_key keys[ARRAY_SIZE(protos)];
	uint32_t id = ++b->set_id;
	int ret;

	memset(keys, 0, sizeof(keys));
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++) {
		keys[i].k[0] = protos[i];
		keys[i].klen = 1;
	}
	ret = nft_put_set(b, &l4, id);
	if (ret < 0)
		return ret;
	ret = nft_put_elems(b, F_INET, NFT_MSG_NEWSETELEM, NLM_F_CREATE, l4.name, id, keys,
			ARRAY_SIZE(keys), &d);
	if (ret < 0)
		return ret;
	*ret_id = id;
	return 0;
}

/* The prerouting and output jumps to dnat4 (each needs an anonymous set),
 * then every other rule, in order per chain. */
int nft_put_rules(struct nft_batch *b)
{
	static const struct nft_rule_def *const groups[] = {nft_rules_nat, nft_rules_filter,
							nft_rules_bridge};
	uint32_t id;
	int ret;

	if ((ret = nft_put_rule(b, F_INET, "prerouting", nft_rule_pre_loopback, 0)) < 0 ||
	    (ret = nft_put_l4_set(b, &id)) < 0 ||
	    (ret = nft_put_rule(b, F_INET, "prerouting", nft_rule_to_dnat, id)) < 0 ||
	    (ret = nft_put_l4_set(b, &id)) < 0 ||
	    (ret = nft_put_rule(b, F_INET, "output", nft_rule_to_dnat, id)) < 0)
		return ret;
	for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
		for (const struct nft_rule_def *r = groups[g]; r->fill; r++) {
			ret = nft_put_rule(b, r->fam, r->chain, r->fill, 0);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}
