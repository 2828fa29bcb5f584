/* SPDX-License-Identifier: MIT */
/*
 * CHECK of one attachment's host side and nftables elements against its
 * record (the VM-namespace side is attach_vm.c's): the first mismatch is
 * code 110.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "attach_priv.h"
#include "vmnet/addr.h"
#include "vmnet/err.h"
#include "vmnet/link.h"
#include "vmnet/nft.h"
#include "vmnet/nl.h"

int vmnet_attach_mismatch(struct vmnet_err *err, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vmnet_err_set(err, VMNET_ERR_CHECK, 0, "%s", msg);
}

/* Device @name from @c's snapshot if it has one, else from the kernel. */
static int get_link(const struct vmnet_check_ctx *c, const char *name,
		    struct vmnet_link_info *ret)
{
	const struct vmnet_link_info *li;

	if (!c->links)
		return vmnet_link_get(c->host, name, ret, NULL);
	li = vmnet_link_snap_find(c->links, name);
	if (!li)
		return -ENODEV;
	*ret = *li;
	return 0;
}

/* Has device @ifindex IPv4 address @a? From @c's snapshot if it has one. */
static int addr_has(const struct vmnet_check_ctx *c, int ifindex, const struct vmnet_prefix *a,
		    struct vmnet_err *err)
{
	if (c->addrs)
		return vmnet_addr_snap_has(c->addrs, ifindex, a);
	return vmnet_addr_has(c->host, ifindex, a, err);
}

/* Shared mode: the bridge, up, with the gateway address. */
static int check_bridge(const struct vmnet_check_ctx *c, const struct vmnet_record *rec,
			struct vmnet_link_info *ret, struct vmnet_err *err)
{
	struct vmnet_prefix gw = { .addr = rec->gateway, .len = rec->guest.len };
	struct vmnet_nl *host = c->host;
	char a[VMNET_PREFIXSTRLEN];
	int r;

	if (get_link(c, rec->bridge, ret) < 0)
		return vmnet_attach_mismatch(err, "bridge %s is missing", rec->bridge);
	if (!ret->up)
		return vmnet_attach_mismatch(err, "bridge %s is down", rec->bridge);
	r = vmnet_record_has4(rec) ? addr_has(c, ret->ifindex, &gw, err) : 1;
	if (r <= 0)
		return r < 0 ? r
			     : vmnet_attach_mismatch(err, "bridge %s lacks the gateway address %s",
						     rec->bridge, vmnet_prefix_fmt(&gw, a));
	return vmnet_attach6_check_gw(host, ret->ifindex, rec->bridge, rec, err);
}

/* The host device: ours, up, and a port of bridge @br (shared) or the
 * routed link with the gateway address (isolated). */
static int check_host_if(const struct vmnet_check_ctx *c, const struct vmnet_record *rec,
			 const struct vmnet_link_info *br, struct vmnet_link_info *ret,
			 struct vmnet_err *err)
{
	struct vmnet_prefix gw = { .addr = rec->gateway, .len = rec->guest.len };
	char alias[256], a[VMNET_PREFIXSTRLEN];
	const char *name = rec->host_if;
	struct vmnet_nl *host = c->host;
	int r;

	if (get_link(c, name, ret) < 0)
		return vmnet_attach_mismatch(err, "host device %s is missing", name);
	attach_alias(rec, alias, sizeof(alias));
	if (strcmp(ret->alias, alias))
		return vmnet_attach_mismatch(err, "host device %s belongs to \"%s\"", name,
					     ret->alias);
	if (!ret->up)
		return vmnet_attach_mismatch(err, "host device %s is down", name);
	if (rec->mode == VMNET_MODE_ISOLATED) {
		if (ret->master)
			return vmnet_attach_mismatch(
				err, "host device %s of an isolated VM is a bridge port", name);
		/* The isolation-group rule reads the device group. */
		if (vmnet_record_iso_id(rec) && ret->devgroup != vmnet_record_iso_id(rec))
			return vmnet_attach_mismatch(err,
						     "host device %s is in device group %u, expected %u",
						     name, ret->devgroup, vmnet_record_iso_id(rec));
		r = vmnet_record_has4(rec) ? addr_has(c, ret->ifindex, &gw, err) : 1;
		if (r <= 0)
			return r < 0 ? r
				     : vmnet_attach_mismatch(
					       err, "host device %s lacks the gateway address %s",
					       name, vmnet_prefix_fmt(&gw, a));
		return vmnet_attach6_check_gw(host, ret->ifindex, name, rec, err);
	}
	if (ret->master != br->ifindex)
		return vmnet_attach_mismatch(err, "host device %s is not a port of bridge %s", name,
					     rec->bridge);
	/* The port's flags come with the device, as its bridge slave data. */
	if (ret->port_isolated < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, EOPNOTSUPP,
				     "bridge port %s: the kernel does not say its isolation", name);
	if (ret->port_isolated != rec->port_isolation)
		return vmnet_attach_mismatch(err, "bridge port %s: isolation is %s", name,
					     ret->port_isolated ? "on, expected off"
								: "off, expected on");
	return 0;
}

/* Was @rec's bridge found in place, with @rec's gateways, by an earlier
 * check of @c? Then *ret_ifindex is its index. */
static bool bridge_known(const struct vmnet_check_ctx *c, const struct vmnet_record *rec,
			 int *ret_ifindex)
{
	const __typeof__(c->bridge_ok) *b = &c->bridge_ok;

	if (!b->name[0] || strcmp(b->name, rec->bridge) || b->has4 != vmnet_record_has4(rec) ||
	    b->has6 != vmnet_record_has6(rec))
		return false;
	if (b->has4 && (b->gateway != rec->gateway || b->len != rec->guest.len))
		return false;
	if (b->has6 && (memcmp(&b->gateway6, &rec->gateway6, sizeof(b->gateway6)) ||
			b->len6 != rec->guest6.len))
		return false;
	*ret_ifindex = b->ifindex;
	return true;
}

static void bridge_note(struct vmnet_check_ctx *c, const struct vmnet_record *rec, int ifindex)
{
	__typeof__(c->bridge_ok) *b = &c->bridge_ok;

	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", rec->bridge);
	b->has4 = vmnet_record_has4(rec);
	b->has6 = vmnet_record_has6(rec);
	b->gateway = rec->gateway;
	b->len = rec->guest.len;
	b->gateway6 = rec->gateway6;
	b->len6 = rec->guest6.len;
	b->ifindex = ifindex;
}

void vmnet_check_ctx_close(struct vmnet_check_ctx *c)
{
	c->host = vmnet_nl_close(c->host);
	c->nft = vmnet_nft_close(c->nft);
	c->links = vmnet_link_snap_free(c->links);
	c->addrs = vmnet_addr_snap_free(c->addrs);
	memset(&c->bridge_ok, 0, sizeof(c->bridge_ok));
}

int vmnet_attach_check_in(struct vmnet_check_ctx *c, const struct vmnet_record *rec, int nsfd,
			  struct vmnet_err *err)
{
	struct vmnet_link_info br = { 0 }, hif;
	struct vmnet_nft_att att;
	int r;

	if (rec->pending)
		return vmnet_attach_mismatch(err, "the ADD of %s/%s did not complete", rec->cid,
					     rec->ifname);
	if (!c->host && (r = vmnet_nl_open(-1, &c->host, err)) < 0)
		return r;
	if (rec->mode == VMNET_MODE_SHARED && !bridge_known(c, rec, &br.ifindex)) {
		r = check_bridge(c, rec, &br, err);
		if (r < 0)
			return r;
		bridge_note(c, rec, br.ifindex);
	}
	r = check_host_if(c, rec, &br, &hif, err);
	if (r < 0)
		return r;
	if (rec->wiring == VMNET_TAP_NETNS) {
		r = vmnet_attach_check_vm(rec, nsfd, err);
		if (r < 0)
			return r;
	} else if (strcmp(hif.kind, "tun")) {
		return vmnet_attach_mismatch(err, "host device %s is a %s, not a tap", rec->host_if,
					     hif.kind);
	}
	vmnet_attach_nft_att(rec, &att);
	if (!c->nft && (r = vmnet_nft_open(-1, &c->nft, err)) < 0)
		return r;
	return vmnet_nft_check(c->nft, &att, err);
}

int vmnet_attach_check(const struct vmnet_record *rec, int nsfd, struct vmnet_err *err)
{
	struct vmnet_check_ctx c = { 0 };
	int r = vmnet_attach_check_in(&c, rec, nsfd, err);

	vmnet_check_ctx_close(&c);
	return r;
}
