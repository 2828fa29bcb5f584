/* SPDX-License-Identifier: MIT */
/*
 * The allocator: host-local's semantics (one address per range set, round
 * robin after last_reserved_ip, requested addresses, gateway never handed
 * out) plus per-VM blocks, over any struct vmnet_ipam_store. It does no I/O
 * itself and never prints.
 */
#ifndef VMNET_IPAM_ALLOC_H
#define VMNET_IPAM_ALLOC_H

#include "vmnet/result.h"
#include "conf.h"
#include "store.h"

struct vmnet_err;

/* The allocator's result: vmnet_result speaks IPv4 only, so vmnet-ipam
 * keeps its own and renders it (result.c) in the same JSON shape. */
struct vmnet_ipam_result_ip {
	struct vmnet_ipam_prefix addr;	/* the address with its prefix length */
	vmnet_ipam_ip gateway;		/* 0 = none */
};

struct vmnet_ipam_result {
	struct vmnet_ipam_result_ip ips[VMNET_IPAM_MAX_SETS];	/* one per range set */
	unsigned n_ips;
	struct vmnet_ipam_route routes[VMNET_RESULT_MAX_ROUTES];
	unsigned n_routes;
	struct vmnet_result_dns dns;
};

/* Render @res for @version as CNI result JSON (ips[].version "4" or "6"
 * below 1.0.0). New reference, NULL on OOM. */
json_t *vmnet_ipam_result_render(const struct vmnet_ipam_result *res,
				 enum vmnet_cni_version version);

/* ADD: one address (or block) per range set for @o, filling ips, routes and
 * dns of @res (zeroed first). Idempotent: what @o already holds in a set is
 * returned again. All or nothing: on failure nothing new stays reserved.
 * Codes: 101 a set is full, 7 a requested address is outside every range,
 * the gateway, not a block's guest address or held by someone else. */
int vmnet_ipam_alloc(struct vmnet_ipam_store *s, const struct vmnet_ipam_conf *c,
		     const struct vmnet_ipam_owner *o, struct vmnet_ipam_result *res,
		     struct vmnet_err *err);

/* DEL: release everything @o holds (also host-local's ID-only records of
 * @o's ID). Nothing held is success. Returns the number released. */
int vmnet_ipam_release(struct vmnet_ipam_store *s, const struct vmnet_ipam_owner *o,
		       struct vmnet_err *err);

/* CHECK: @o holds one address in each range set and the records still name
 * it. Code 110 naming the first mismatch. */
int vmnet_ipam_check(struct vmnet_ipam_store *s, const struct vmnet_ipam_conf *c,
		     const struct vmnet_ipam_owner *o, struct vmnet_err *err);

/* GC: release every owner not in c->valid. Without a list (has_valid
 * false) nothing is touched. Returns the number of owners released. */
int vmnet_ipam_gc(struct vmnet_ipam_store *s, const struct vmnet_ipam_conf *c,
		  struct vmnet_err *err);

/* STATUS: each range set still has a free address or block, else code 50. */
int vmnet_ipam_status(struct vmnet_ipam_store *s, const struct vmnet_ipam_conf *c,
		      struct vmnet_err *err);

#endif
