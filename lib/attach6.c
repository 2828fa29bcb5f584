/* SPDX-License-Identifier: MIT */
/*
 * The IPv6 steps of an attachment's host side. Addresses go in without
 * duplicate address detection (lib/addr.c): ADD never waits for it, and
 * the addresses are unique by IPAM. The link-local addresses stay: netd
 * sends router advertisements from them.
 */
#include <stdio.h>
#include <string.h>

#include "attach_priv.h"
#include "vmnet/addr.h"
#include "vmnet/link.h"
#include "vmnet/sysctl.h"

static struct vmnet_prefix6 gateway6(const struct vmnet_record *rec)
{
	struct vmnet_prefix6 gw = { .addr = rec->gateway6, .len = rec->guest6.len };

	return gw;
}

int vmnet_attach6_enable(const char *name, bool on, struct vmnet_err *err)
{
	char key[96];

	snprintf(key, sizeof(key), "net/ipv6/conf/%s/disable_ipv6", name);
	return vmnet_sysctl_write(key, on ? "0" : "1", err);
}

int vmnet_attach6_dev(struct vmnet_nl *nl, int idx, const char *name,
		      const struct vmnet_record *rec, bool gateway, struct vmnet_err *err)
{
	struct vmnet_prefix6 gw = gateway6(rec);
	char key[96];
	int r;

	if (!vmnet_record_has6(rec))
		return 0;
	if (!name)
		return gateway ? vmnet_addr6_ensure(nl, idx, &gw, err) : 0;
	/* A router's device: RAs from a guest must not configure the host. */
	snprintf(key, sizeof(key), "net/ipv6/conf/%s/accept_ra", name);
	r = vmnet_sysctl_write(key, "0", err);
	if (r < 0)
		return r;
	snprintf(key, sizeof(key), "net/ipv6/conf/%s/accept_dad", name);
	r = vmnet_sysctl_write(key, "0", err);
	if (r < 0 || !gateway)
		return r;
	return vmnet_addr6_ensure(nl, idx, &gw, err);
}

int vmnet_attach6_check_gw(struct vmnet_nl *nl, int idx, const char *name,
			   const struct vmnet_record *rec, struct vmnet_err *err)
{
	struct vmnet_prefix6 gw = gateway6(rec);
	char a[VMNET_PREFIXSTRLEN];
	int r;

	if (!vmnet_record_has6(rec))
		return 0;
	r = vmnet_addr6_has(nl, idx, &gw, err);
	if (r < 0)
		return r;
	if (r == 0)
		return vmnet_attach_mismatch(err, "%s lacks the IPv6 gateway address %s", name,
					     vmnet_prefix6_fmt(&gw, a));
	return 0;
}

int vmnet_attach6_forward(const struct vmnet_record *rec, struct vmnet_err *err)
{
	return vmnet_record_has6(rec) ? vmnet_sysctl_forward6(err) : 0;
}

int vmnet_attach6_unwire_tap(struct vmnet_nl *host, const struct vmnet_record *rec,
			     struct vmnet_err *err)
{
	struct vmnet_prefix6 gw = gateway6(rec);
	struct vmnet_link_info info;
	char alias[256];

	if (!vmnet_record_has6(rec) || rec->mode != VMNET_MODE_ISOLATED ||
	    vmnet_link_get(host, rec->host_if, &info, NULL) < 0)
		return 0;
	attach_alias(rec, alias, sizeof(alias));
	if (strcmp(info.alias, alias))
		return 0;
	return vmnet_addr6_del(host, info.ifindex, &gw, err);
}
