/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>

#include "vmnet/err.h"
#include "range.h"

/* Parse an optional address of @sub (the same family, inside it). */
static int addr_in(const struct vmnet_ipam_prefix *sub, const char *path, const char *key,
		   const char *s, vmnet_ipam_ip *ret, struct vmnet_err *err)
{
	char b1[VMNET_ADDRSTRLEN], b2[VMNET_PREFIXSTRLEN];
	vmnet_ipam_ip a;

	if (vmnet_ipam_ip_parse(s, &a) < 0)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "%s.%s: not an IP address",
				     path, key);
	if (!vmnet_ipam_prefix_contains(sub, a))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "%s.%s: %s is not in %s",
				     path, key, vmnet_ipam_ip_fmt(a, b1),
				     vmnet_ipam_prefix_fmt(sub, b2));
	*ret = a;
	return 0;
}

/* The subnet itself: a CIDR without host bits, room for two addresses
 * besides the network (and broadcast) address, and for IPv4 at most a /8. */
static int subnet_of(const char *path, const char *subnet, struct vmnet_ipam_prefix *ret,
		     struct vmnet_err *err)
{
	struct vmnet_ipam_prefix p;
	bool v4;

	if (vmnet_ipam_prefix_parse(subnet, false, &p) < 0)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "%s.subnet: not a CIDR", path);
	v4 = vmnet_ipam_ip_is4(p.addr);
	if (p.addr & vmnet_ipam_hostmask(&p))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "%s.subnet: %s has host bits set", path, subnet);
	/* Our IPv4 values live in ::ffff:0:0/96: no IPv6 range may touch it. */
	if (!v4 && (p.addr >> 32 == 0xffff ||
		    (VMNET_IPAM_V4MAPPED & ~vmnet_ipam_hostmask(&p)) == p.addr))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "%s.subnet: %s overlaps the IPv4-mapped addresses", path, subnet);
	if (p.len > (v4 ? 30 : 126))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "%s.subnet: %s is too small to allocate from", path, subnet);
	/* The IPv4 free-map is one bit per address of the subnet: 2 MiB at
	 * /8. IPv6 has no free-map (see store.c), so no such limit. */
	if (v4 && p.len < 8)
		return vmnet_err_set(err, CNI_ERR_UNSUPPORTED_FIELD, 0,
				     "%s.subnet: %s is larger than the /8 supported", path, subnet);
	*ret = p;
	return 0;
}

int vmnet_ipam_range_init(struct vmnet_ipam_range *ret, const char *path, const char *subnet,
			  const char *start, const char *end, const char *gw,
			  struct vmnet_err *err)
{
	struct vmnet_ipam_range r = { 0 };
	char b1[VMNET_ADDRSTRLEN], b2[VMNET_ADDRSTRLEN];
	int rc;

	if ((rc = subnet_of(path, subnet, &r.subnet, err)) < 0)
		return rc;
	r.gw = r.subnet.addr + 1;
	r.start = r.subnet.addr + 1;
	/* host-local: IPv6 has no broadcast address to leave out. */
	r.end = vmnet_ipam_prefix_last(&r.subnet) - (vmnet_ipam_ip_is4(r.subnet.addr) ? 1 : 0);
	if (gw && (rc = addr_in(&r.subnet, path, "gateway", gw, &r.gw, err)) < 0)
		return rc;
	if (start && (rc = addr_in(&r.subnet, path, "rangeStart", start, &r.start, err)) < 0)
		return rc;
	if (end && (rc = addr_in(&r.subnet, path, "rangeEnd", end, &r.end, err)) < 0)
		return rc;
	r.explicit_bounds = gw || start || end;
	if (r.start > r.end)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "%s: rangeStart %s is after rangeEnd %s", path,
				     vmnet_ipam_ip_fmt(r.start, b1), vmnet_ipam_ip_fmt(r.end, b2));
	*ret = r;
	return 0;
}

int vmnet_ipam_rangeset_find(const struct vmnet_ipam_rangeset *set, vmnet_ipam_ip a)
{
	for (unsigned i = 0; i < set->n; i++)
		if (vmnet_ipam_range_contains(&set->r[i], a))
			return (int)i;
	return -1;
}

const char *vmnet_ipam_range_fmt(const struct vmnet_ipam_range *r, char buf[2 * VMNET_ADDRSTRLEN])
{
	char a[VMNET_ADDRSTRLEN], b[VMNET_ADDRSTRLEN];

	snprintf(buf, 2 * VMNET_ADDRSTRLEN, "%s-%s", vmnet_ipam_ip_fmt(r->start, a),
		 vmnet_ipam_ip_fmt(r->end, b));
	return buf;
}
