/* SPDX-License-Identifier: MIT */
/*
 * Other tables' chains and rules, read from the kernel into a ruleset
 * (foreign.c parses them). Rules are dumped table by table, and only of
 * the tables the chain dump showed to be others': the kernel filters a rule
 * dump by table, so vmnet's own tables (the bulk of a host without another
 * manager) never cross the socket, and a host with only vmnet costs one
 * chain dump.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>

#include "vmnet/foreign.h"
#include "vmnet/nft.h"

struct feed_ctx {
	struct vmnet_fw_ruleset *rs;
	int err;
};

/* Keeps reading after a failure: the dump must be drained (nft.h). */
static int feed_cb(const struct nlmsghdr *nh, void *data)
{
	struct feed_ctx *f = data;
	int r = vmnet_fw_feed(f->rs, nh);

	if (r == -EINVAL)
		f->rs->truncated = true;
	else if (r < 0 && !f->err)
		f->err = r;
	return MNL_CB_OK;
}

/* Whether chain @i is the first of its table in @rs (chains come table by
 * table, in the kernel's order). */
static bool first_of_table(const struct vmnet_fw_ruleset *rs, size_t i)
{
	const struct vmnet_fw_chain *c = &rs->chains[i];

	for (size_t j = 0; j < i; j++)
		if (rs->chains[j].family == c->family && !strcmp(rs->chains[j].table, c->table))
			return false;
	return true;
}

int vmnet_fw_read(struct vmnet_nft *n, struct vmnet_fw_ruleset *rs, struct vmnet_err *err)
{
	struct feed_ctx f = {.rs = rs};
	size_t n_chains;
	int r;

	r = vmnet_nft_dump(n, NFT_MSG_GETCHAIN, feed_cb, &f, err);
	if (r < 0)
		return r;
	/* The chains others' rules can be in: fed no further while rules
	 * come (a rule of a chain made since is counted as truncated). */
	n_chains = rs->n_chains;
	for (size_t i = 0; !f.err && i < n_chains; i++) {
		const struct vmnet_fw_chain *c = &rs->chains[i];

		if (!first_of_table(rs, i))
			continue;
		r = vmnet_nft_dump_rules(n, c->family, c->table, feed_cb, &f, err);
		if (r < 0)
			return r;
	}
	if (f.err)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -f.err, "reading other tables' rules");
	vmnet_fw_index(rs);
	return 0;
}
