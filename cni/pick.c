/* SPDX-License-Identifier: MIT */
/*
 * The guest's addresses out of IPAM's result: the first of each family,
 * each with a gateway vmnet puts on the host side. A shared network needs a
 * subnet (every guest and the bridge on it); an isolated one a block per
 * VM: /30 or /31 for IPv4, /64 (SLAAC-capable, RFC 8273) down to /127 for
 * IPv6. Either family may be missing (IPv4-only, IPv6-only networks), not
 * both.
 */
#include <string.h>

#include "plugin.h"
#include "vmnet/err.h"

static int pick4(const struct vmnet_result_ip *ip, struct vmnet_record *rec,
		 struct vmnet_err *err)
{
	if (ip->addr.len >= 31 && rec->mode == VMNET_MODE_SHARED)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam returned a /%u address: a shared network needs a subnet",
				     ip->addr.len);
	if (ip->addr.len < 30 && rec->mode == VMNET_MODE_ISOLATED)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam returned a /%u address: an isolated network needs a /30 or "
				     "/31 block per VM (vmnet-ipam \"blockSize\")",
				     ip->addr.len);
	if (!ip->gateway)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam returned no gateway: vmnet puts it on the host side");
	if (ip->gateway == ip->addr.addr || !vmnet_prefix_contains(&ip->addr, ip->gateway))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam gateway is not a different address of the guest's subnet");
	rec->guest = ip->addr;
	rec->gateway = ip->gateway;
	return 0;
}

static int pick6(const struct vmnet_result_ip *ip, struct vmnet_record *rec,
		 struct vmnet_err *err)
{
	unsigned len = ip->addr6.len;

	if (len >= 127 && rec->mode == VMNET_MODE_SHARED)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam returned a /%u IPv6 address: a shared network needs a "
				     "subnet",
				     len);
	if ((len < 64 || len > 127) && rec->mode == VMNET_MODE_ISOLATED)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam returned a /%u IPv6 address: an isolated network needs a "
				     "block of /64 to /127 per VM (vmnet-ipam \"blockSize6\")",
				     len);
	if (len < 8)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam returned a /%u IPv6 address: not a subnet", len);
	if (vmnet_ip6_is_zero(&ip->gateway6))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam returned no IPv6 gateway: vmnet puts it on the host side");
	if (vmnet_ip6_eq(&ip->gateway6, &ip->addr6.addr) ||
	    !vmnet_prefix6_contains(&ip->addr6, &ip->gateway6))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam IPv6 gateway is not a different address of the guest's "
				     "subnet");
	if (IN6_IS_ADDR_LINKLOCAL(&ip->addr6.addr) || IN6_IS_ADDR_MULTICAST(&ip->addr6.addr) ||
	    IN6_IS_ADDR_LOOPBACK(&ip->addr6.addr))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam returned a link-local, multicast or loopback IPv6 "
				     "address");
	rec->guest6 = ip->addr6;
	rec->gateway6 = ip->gateway6;
	return 0;
}

int vmnet_pick_address(const struct vmnet_result *ipam, struct vmnet_record *rec,
		       struct vmnet_err *err)
{
	const struct vmnet_result_ip *ip4 = vmnet_result_first_ip(ipam, 4);
	const struct vmnet_result_ip *ip6 = vmnet_result_first_ip(ipam, 6);
	int r;

	if (!ip4 && !ip6)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "ipam returned no address");
	/* IPv6-only: the record's IPv4 address and gateway stay 0 (none). */
	r = ip4 ? pick4(ip4, rec, err) : 0;
	if (r < 0 || !ip6)
		return r;
	return pick6(ip6, rec, err);
}
