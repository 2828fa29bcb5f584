/* SPDX-License-Identifier: MIT */
/*
 * Living with Docker (README "Living with other firewalls"). Docker's
 * `table ip filter` chain FORWARD has policy drop; an accept in vmnet's own
 * table does not override it (include/vmnet/foreign.h). Docker's documented
 * place for other users' rules is the chain DOCKER-USER, jumped to first
 * from FORWARD. vmnet inserts there, at the top, one pair of rules per
 * device its guests' traffic is routed through:
 *
 *   -A DOCKER-USER -i vmbr0 -m comment --comment vmnet -j ACCEPT
 *   -A DOCKER-USER -o vmbr0 -m comment --comment vmnet -j ACCEPT
 *   -A DOCKER-USER -i vmt+ -m comment --comment vmnet -j ACCEPT   (isolated, host wiring)
 *
 * a shared network's bridge by its exact name, an isolated network's
 * per-VM links by the prefix only vmnet's host devices carry (vmv, vmt).
 * They are built as iptables-nft 1.8 builds them (meta iifname/oifname and
 * a cmp, a wildcard as a prefix compare, a counter, the comment in the
 * rule's userdata), so `iptables-nft -S DOCKER-USER` shows them as plain
 * iptables rules and `nft list ruleset` prints a form `nft -f` reads back.
 * vmnet's rules are the ones whose comment is exactly "vmnet"; Docker's
 * own are never touched. Only chains that exist are used: without Docker
 * nothing is created. The same chain in `table ip6 filter` gets the same
 * rules (one more family in the table list).
 *
 * The plugin adds its device's pair after an ADD (so it works without
 * netd) and removes every vmnet rule there with the last attachment (when
 * guests4 is empty), both under /run/vmnet/docker.lock so a concurrent ADD
 * cannot lose its pair; netd adds missing pairs for every live record on
 * each pass, and Docker's chain changes schedule a pass (lib/events.c).
 */
#ifndef VMNET_DOCKER_H
#define VMNET_DOCKER_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct vmnet_nft;
struct vmnet_record;

#define VMNET_DOCKER_CHAIN "DOCKER-USER"
#define VMNET_DOCKER_TABLE "filter"
#define VMNET_DOCKER_COMMENT "vmnet" /* how vmnet's rules there are recognised */
#define VMNET_DOCKER_LOCK "/run/vmnet/docker.lock"

/* One device match: @name exactly, or (@prefix) every name starting with it,
 * iptables' "name+". */
struct vmnet_docker_dev {
	char name[IFNAMSIZ];
	bool prefix;
};

/* The device @rec's routed traffic crosses FORWARD on: its bridge (shared
 * mode) or the prefix of its host link (isolated). */
void vmnet_docker_dev_of(const struct vmnet_record *rec, struct vmnet_docker_dev *ret);

/* In every DOCKER-USER chain that exists, insert at the top the accepts of
 * @devs (input and output) vmnet's rules there do not have yet, in one
 * batch per family. 1 if some were added, 0 if none were needed (or there is
 * no such chain), or a negative errno with @err set. */
int vmnet_docker_ensure(struct vmnet_nft *n, const struct vmnet_docker_dev *devs, size_t n_devs,
			struct vmnet_err *err);

/* 1 if table ip filter's DOCKER-USER holds vmnet's accepts, both ways, for
 * every one of @devs: Docker's FORWARD jumps there first, so its policy drop
 * no longer applies to their traffic (netd status then leaves it out). 0 if
 * not, or if there is no such chain. */
int vmnet_docker_covers(struct vmnet_nft *n, const struct vmnet_docker_dev *devs, size_t n_devs);

/* Delete every rule commented "vmnet" in the DOCKER-USER chains; 0 if there
 * were none (or no chain), 1 if some were deleted. */
int vmnet_docker_remove(struct vmnet_nft *n, struct vmnet_err *err);

/* The plugin's two steps, each under VMNET_DOCKER_LOCK in the current
 * netns: after an ADD, ensure @rec's device; after a DEL, remove vmnet's
 * rules if no guest is left in inet vmnet's guests4. */
int vmnet_docker_attach(const struct vmnet_record *rec, struct vmnet_err *err);
int vmnet_docker_release(struct vmnet_err *err);

/* Port conflicts across managers: refuse @ports that another DNAT owner
 * of the current netns's ruleset (Docker's chain DOCKER, any table's dnat
 * rule; include/vmnet/foreign.h reads them) already publishes: -EEXIST with
 * VMNET_ERR_PORT_CONFLICT naming the port and the owner. 0 with no ports
 * (no dump then). */
struct vmnet_port;
int vmnet_docker_ports_check(const struct vmnet_port *ports, size_t n, struct vmnet_err *err);

/* The batch vmnet_docker_ensure sends to family @fam (NFPROTO_IPV4 or
 * NFPROTO_IPV6) when the chain has none of vmnet's rules: for round-trip
 * tests that need no root. The caller frees *ret_buf. */
int vmnet_docker_build(int fam, const struct vmnet_docker_dev *devs, size_t n_devs, uint32_t seq,
		       void **ret_buf, size_t *ret_len, struct vmnet_err *err);

#endif
