/* SPDX-License-Identifier: MIT */
/*
 * A network's clusterCIDRs: the prefixes of the cluster its nodes route to
 * each other (README, "Several hosts (BGP)"). Guest traffic to them keeps
 * its source address, and guests take connections from them; the rest of
 * the outside reaches guests only through published ports (nft.h).
 */
#ifndef VMNET_CLUSTER_H
#define VMNET_CLUSTER_H

#include <jansson.h>

#include "inet.h"

struct vmnet_err;

/* Prefixes of each family a network may name. */
#define VMNET_MAX_CLUSTER 16

struct vmnet_cluster {
	struct vmnet_prefix v4[VMNET_MAX_CLUSTER];
	struct vmnet_prefix6 v6[VMNET_MAX_CLUSTER];
	unsigned n4, n6;
};

static inline bool vmnet_cluster_any(const struct vmnet_cluster *c)
{
	return c && (c->n4 || c->n6);
}

/* @arr (a JSON array; NULL: none) into *ret: strings "addr/len" of either
 * family, host bits zero, no two overlapping, at most VMNET_MAX_CLUSTER of
 * each. On failure *ret is untouched and @err has CNI_ERR_INVALID_CONFIG
 * naming @path ("clusterCIDRs[1]: ..."). */
int vmnet_cluster_parse(json_t *arr, const char *path, struct vmnet_cluster *ret,
			struct vmnet_err *err);

/* The prefixes as a new JSON array of strings (IPv4 first); NULL on ENOMEM. */
json_t *vmnet_cluster_to_json(const struct vmnet_cluster *c);

#endif
