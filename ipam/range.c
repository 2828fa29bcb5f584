/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>

#include "vmnet/err.h"
#include "range.h"

/* Parse an optional address of @r's subnet; -EAFNOSUPPORT becomes code 2. */
static int addr_in(const struct vmnet_prefix *sub, const char *path, const char *key,
		   const char *s, uint32_t *ret, struct vmnet_err *err)
{
	char b1[VMNET_ADDRSTRLEN], b2[VMNET_PREFIXSTRLEN];
	uint32_t a;
	int r;

	r = vmnet_ip4_parse(s, &a);
	if (r == -EAFNOSUPPORT)
		return vmnet_err_set(err, CNI_ERR_UNSUPPORTED_FIELD, 0,
				     "%s.%s: IPv6 is not supported yet", path, key);
	if (r < 0)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "%s.%s: not an IP address",
				     path, key);
	if (!vmnet_prefix_contains(sub, a))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "%s.%s: %s is not in %s",
				     path, key, vmnet_ip4_fmt(a, b1), vmnet_prefix_fmt(sub, b2));
	*ret = a;
	return 0;
}

int vmnet_ipam_range_init(struct vmnet_ipam_range *ret, const char *path, const char *subnet,
			  const char *start, const char *end, const char *gw,
			  struct vmnet_err *err)
{
	struct vmnet_ipam_range r = { 0 };
	char b1[VMNET_ADDRSTRLEN], b2[VMNET_ADDRSTRLEN];
	int rc;

	rc = vmnet_prefix_parse(subnet, false, false, &r.subnet);
	if (rc == -EAFNOSUPPORT)
		return vmnet_err_set(err, CNI_ERR_UNSUPPORTED_FIELD, 0,
				     "%s.subnet: IPv6 is not supported yet", path);
	if (rc < 0)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "%s.subnet: not a CIDR", path);
	if (r.subnet.addr & ~vmnet_mask(r.subnet.len))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "%s.subnet: %s has host bits set", path, subnet);
	if (r.subnet.len > 30)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "%s.subnet: %s is too small to allocate from", path, subnet);
	/* The free-map is one bit per address of the subnet: 2 MiB at /8. */
	if (r.subnet.len < 8)
		return vmnet_err_set(err, CNI_ERR_UNSUPPORTED_FIELD, 0,
				     "%s.subnet: %s is larger than the /8 supported", path, subnet);

	r.gw = r.subnet.addr + 1;
	r.start = r.subnet.addr + 1;
	r.end = (r.subnet.addr | ~vmnet_mask(r.subnet.len)) - 1;
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
				     vmnet_ip4_fmt(r.start, b1), vmnet_ip4_fmt(r.end, b2));
	*ret = r;
	return 0;
}

int vmnet_ipam_rangeset_find(const struct vmnet_ipam_rangeset *set, uint32_t a)
{
	for (unsigned i = 0; i < set->n; i++)
		if (vmnet_ipam_range_contains(&set->r[i], a))
			return (int)i;
	return -1;
}

const char *vmnet_ipam_range_fmt(const struct vmnet_ipam_range *r, char buf[2 * VMNET_ADDRSTRLEN])
{
	char a[VMNET_ADDRSTRLEN], b[VMNET_ADDRSTRLEN];

	snprintf(buf, 2 * VMNET_ADDRSTRLEN, "%s-%s", vmnet_ip4_fmt(r->start, a),
		 vmnet_ip4_fmt(r->end, b));
	return buf;
}
