/* SPDX-License-Identifier: MIT */
/*
 * vmnet's accepts in Docker's DOCKER-USER (lib/nft_docker.c), no root: the
 * batch is parsed back with libnftnl and must hold, per device and
 * direction, the expressions iptables-nft 1.8 writes for
 * `-i|-o NAME[+] -m comment --comment vmnet -j ACCEPT` (t_docker.sh checks
 * that iptables-nft -S prints them so).
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>

#include "tap.h"
#include "vmnet/docker.h"

struct seen {
	char shape[160]; /* "iif vmbr0\0|counter|accept" */
	char comment[32];
	char table[32], chain[32];
	int fam;
	bool append;
};

static int expr_cb(struct nftnl_expr *e, void *data)
{
	struct seen *s = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	char part[64] = "";
	uint32_t len = 0;

	if (!strcmp(name, "meta")) {
		snprintf(part, sizeof(part), "%s",
			 nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY) == NFT_META_OIFNAME ? "oif"
											: "iif");
	} else if (!strcmp(name, "cmp")) {
		const char *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);

		/* the NUL an exact name carries shows as "$" */
		snprintf(part, sizeof(part), " %s%.*s%s%s",
			 nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP) == NFT_CMP_EQ ? "" : "!=",
			 (int)strnlen(d, len), d, strnlen(d, len) < len ? "$" : "",
			 nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_SREG) == NFT_REG_1 ? "" : "?");
	} else if (!strcmp(name, "immediate")) {
		snprintf(part, sizeof(part), "|%s",
			 (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT) == NF_ACCEPT ? "accept"
											 : "?");
	} else {
		snprintf(part, sizeof(part), "|%s", name);
	}
	strncat(s->shape, part, sizeof(s->shape) - strlen(s->shape) - 1);
	return MNL_CB_OK;
}

static int udata_cb(const struct nftnl_udata *a, void *data)
{
	struct seen *s = data;

	if (nftnl_udata_type(a) == NFTNL_UDATA_RULE_COMMENT)
		snprintf(s->comment, sizeof(s->comment), "%.*s", (int)nftnl_udata_len(a),
			 (const char *)nftnl_udata_get(a));
	return 0;
}

/* The NEWRULE messages of @buf, in order. */
static size_t parse(const void *buf, size_t len, struct seen *out, size_t max)
{
	const struct nlmsghdr *nh = buf;
	int l = (int)len;
	size_t n = 0;

	for (; mnl_nlmsg_ok(nh, l); nh = mnl_nlmsg_next(nh, &l)) {
		struct nftnl_rule *r;
		const void *u;
		uint32_t ul = 0;

		if ((nh->nlmsg_type & 0xff) != NFT_MSG_NEWRULE || n == max)
			continue;
		r = nftnl_rule_alloc();
		memset(&out[n], 0, sizeof(out[n]));
		if (nftnl_rule_nlmsg_parse(nh, r) == 0) {
			out[n].fam = (int)nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
			snprintf(out[n].table, sizeof(out[n].table), "%s",
				 nftnl_rule_get_str(r, NFTNL_RULE_TABLE));
			snprintf(out[n].chain, sizeof(out[n].chain), "%s",
				 nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
			out[n].append = nh->nlmsg_flags & NLM_F_APPEND;
			nftnl_expr_foreach(r, expr_cb, &out[n]);
			u = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &ul);
			if (u)
				nftnl_udata_parse(u, ul, udata_cb, &out[n]);
		}
		nftnl_rule_free(r);
		n++;
	}
	return n;
}

static void test_build(int fam)
{
	const struct vmnet_docker_dev devs[] = {
		{"vmbr0", false}, {"vmt", true}, {"vmbr0", false}, {"", false}};
	static const char *const want[] = {"iif vmbr0$|counter|accept", "oif vmbr0$|counter|accept",
					   "iif vmt|counter|accept", "oif vmt|counter|accept"};
	struct seen s[8];
	void *buf = NULL;
	size_t len = 0, n, i;
	bool all = true;

	if (!ok(vmnet_docker_build(fam, devs, 4, 100, &buf, &len, NULL) == 0, "build (family %d)",
		fam))
		return;
	n = parse(buf, len, s, 8);
	ok(n == 4, "four rules: each device once (a repeat and an empty name add none): %zu", n);
	for (i = 0; i < n && i < 4; i++) {
		ok(!strcmp(s[i].shape, want[i]), "rule %zu: %s", i, s[i].shape);
		all = all && !strcmp(s[i].comment, "vmnet") && !strcmp(s[i].table, "filter") &&
		      !strcmp(s[i].chain, "DOCKER-USER") && s[i].fam == fam && !s[i].append;
	}
	ok(all, "each in table filter chain DOCKER-USER of its family, commented \"vmnet\", "
		"inserted at the top (no NLM_F_APPEND)");
	free(buf);
}

int main(void)
{
	test_build(NFPROTO_IPV4);
	test_build(NFPROTO_IPV6);
	return done();
}
