/* SPDX-License-Identifier: MIT */
/*
 * Reconcile's nftables part: is table inet vmnet whole, and restoring it in
 * one atomic batch from the records when it is not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "reconcile_priv.h"
#include "vmnet/addr.h"
#include "vmnet/attach.h"
#include "vmnet/err.h"
#include "vmnet/link.h"
#include "vmnet/log.h"
#include "vmnet/nft.h"
#include "vmnet/nl.h"

void netd_check_ctx_snapshot_one(struct vmnet_check_ctx *c, enum netd_snap which)
{
	struct vmnet_err e = { 0 };

	if (which != NETD_SNAP_NFT && !c->host && vmnet_nl_open(-1, &c->host, &e) < 0)
		log_debug("no device snapshot: %s", e.msg);
	switch (which) {
	case NETD_SNAP_LINKS:
		if (c->host && !c->links && vmnet_link_snap_take(c->host, &c->links, &e) < 0)
			log_debug("checking devices one by one: %s", e.msg);
		break;
	case NETD_SNAP_ADDRS:
		if (c->host && !c->addrs && vmnet_addr_snap_take(c->host, &c->addrs, &e) < 0)
			log_debug("checking addresses one by one: %s", e.msg);
		break;
	default:
		if ((!c->nft && vmnet_nft_open(-1, &c->nft, &e) < 0) ||
		    vmnet_nft_snapshot(c->nft, &e) < 0)
			log_debug("checking nftables key by key: %s", e.msg);
		break;
	}
}

void netd_check_ctx_snapshot(struct vmnet_check_ctx *c)
{
	for (enum netd_snap s = 0; s < NETD_SNAP_ALL; s++)
		netd_check_ctx_snapshot_one(c, s);
}

bool netd_nft_table_ok(struct vmnet_nft *nft, char *why, size_t wsize)
{
	struct vmnet_err e = { 0 };
	int ver = 0, r;

	r = vmnet_nft_table_version(nft, &ver, &e);
	if (r < 0) {
		snprintf(why, wsize, "reading the table: %s", e.msg);
		return false;
	}
	if (r == 0) {
		snprintf(why, wsize, "table inet vmnet is missing");
		return false;
	}
	if (ver != VMNET_NFT_VERSION) {
		snprintf(why, wsize, "table inet vmnet has version %d, not %d", ver,
			 VMNET_NFT_VERSION);
		return false;
	}
	return true;
}

bool netd_nft_items_ok(struct vmnet_nft *nft, const struct item *items, size_t n, char *why,
		       size_t wsize)
{
	struct vmnet_nft_att att;
	struct vmnet_err e = { 0 };

	for (size_t i = 0; i < n; i++) {
		if (items[i].gone)
			continue;
		vmnet_attach_nft_att(&items[i].rec, &att);
		vmnet_err_clear(&e);
		if (vmnet_nft_check(nft, &att, &e) < 0) {
			snprintf(why, wsize, "%.64s/%.64s@%s: %.300s", items[i].rec.network, items[i].rec.cid,
				 items[i].rec.ifname, e.msg);
			return false;
		}
	}
	return true;
}

bool netd_nft_needs_sync(struct vmnet_nft *nft, struct item *items, size_t n, char *why,
			 size_t wsize)
{
	return !netd_nft_table_ok(nft, why, wsize) || !netd_nft_items_ok(nft, items, n, why, wsize);
}

int netd_sync_nft(struct item *items, size_t n, bool any_live, struct netd_reconcile_stats *p)
{
	_cleanup_(vmnet_nft_closep) struct vmnet_nft *nft = NULL;
	struct vmnet_nft_att *atts = NULL;
	struct vmnet_err e = { 0 };
	size_t na = 0;
	char why[600];
	int r;

	r = vmnet_nft_open(-1, &nft, &e);
	if (r < 0) {
		netd_note_error(p, "nftables", &e);
		return r;
	}
	/* With no attachment at all there is nothing to restore: an absent
	 * table is then the plugin's business, not ours. A full pass's items:
	 * checked against one snapshot (the sync's batch drops it). */
	if (!any_live)
		return 0;
	if (vmnet_nft_snapshot(nft, &e) < 0) {
		log_debug("checking nftables key by key: %s", e.msg);
		vmnet_err_clear(&e);
	}
	if (!netd_nft_needs_sync(nft, items, n, why, sizeof(why)))
		return 0;
	for (size_t i = 0; i < n; i++)
		na += !items[i].gone;
	atts = calloc(na ? na : 1, sizeof(*atts));
	if (!atts)
		return -ENOMEM;
	na = 0;
	for (size_t i = 0; i < n; i++)
		if (!items[i].gone)
			vmnet_attach_nft_att(&items[i].rec, &atts[na++]);
	log_info("restoring inet vmnet with %zu attachments: %s", na, why);
	r = vmnet_nft_sync(nft, atts, na, &e);
	free(atts);
	if (r < 0) {
		netd_note_error(p, "restoring inet vmnet", &e);
		return r;
	}
	p->synced++;
	p->total_synced++;
	return 0;
}

