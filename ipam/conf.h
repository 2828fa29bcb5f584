/* SPDX-License-Identifier: MIT */
/*
 * vmnet-ipam configuration: host-local's keys (ranges, the deprecated
 * single-range form, routes, dataDir, resolvConf), runtimeConfig ipRanges
 * and ips, args.cni.ips, CNI_ARGS IP=, our blockSize and blockSize6, and the
 * GC list. Every address may be IPv4 or IPv6 (see addr.h).
 */
#ifndef VMNET_IPAM_CONF_H
#define VMNET_IPAM_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <jansson.h>

#include "vmnet/cni.h"
#include "vmnet/result.h"
#include "range.h"

struct vmnet_err;

#define VMNET_IPAM_MAX_REQ 8

/* Who holds an address. host-local's oldest records carry only the ID:
 * those have ifname "". */
struct vmnet_ipam_owner {
	char id[VMNET_CNI_CONTAINERID_MAX + 1];
	char ifname[IFNAMSIZ];
};

struct vmnet_ipam_route {
	struct vmnet_ipam_prefix dst;
	vmnet_ipam_ip gw;	/* 0 = none */
};

struct vmnet_ipam_conf {
	char cni_version[16];
	enum vmnet_cni_version version;
	char name[129];
	char data_dir[PATH_MAX];
	unsigned block;		/* IPv4: 0 single addresses; 30 or 31: per-VM blocks */
	unsigned block6;	/* IPv6: 0 single addresses; else the blocks' prefix length */
	struct vmnet_ipam_rangeset sets[VMNET_IPAM_MAX_SETS];
	unsigned n_sets;
	vmnet_ipam_ip req[VMNET_IPAM_MAX_REQ];	/* requested addresses, in order */
	unsigned n_req;
	struct vmnet_ipam_route routes[VMNET_RESULT_MAX_ROUTES];
	unsigned n_routes;
	struct vmnet_result_dns dns;
	bool subnet_file_pending;	/* the parse failed with code 11: ipam.subnetFile
					   is not written yet (name and dataDir are set) */
	bool has_valid;		/* a GC list was given (even empty) */
	struct vmnet_ipam_owner *valid;	/* malloc'd, n_valid entries */
	size_t n_valid;
};

/* Parse the full network config @root (borrowed) plus the parsed CNI_ARGS
 * (@args may be NULL) into @ret, which the caller releases with
 * vmnet_ipam_conf_done(). Codes: 1 cniVersion, 7 invalid (JSON path in the
 * message; also a range set mixing families, two IPv6 range sets, a
 * blockSize6 larger than an IPv6 subnet), 2 an IPv4 subnet above /8. */
int vmnet_ipam_conf_parse(json_t *root, const struct vmnet_cni_args *args,
			  struct vmnet_ipam_conf *ret, struct vmnet_err *err);
void vmnet_ipam_conf_done(struct vmnet_ipam_conf *c);

/* Parse resolv.conf text into @dns (loopback nameservers skipped). */
void vmnet_ipam_resolv_parse(const char *text, struct vmnet_result_dns *dns);

/* True if (@id, @ifname) is in the GC list; ID-only owners match by ID. */
bool vmnet_ipam_conf_is_valid(const struct vmnet_ipam_conf *c, const struct vmnet_ipam_owner *o);

#endif
