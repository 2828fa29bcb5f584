/* SPDX-License-Identifier: MIT */
/*
 * Other tables' forward paths (coexistence, README.md "netd"). Every base
 * chain at a hook sees a packet and an accept in one table does not override
 * a drop or reject in another: Docker's FORWARD (policy drop) and firewalld's
 * filter_FORWARD (policy accept, but a final `reject`) stop VM traffic
 * whatever vmnet's table accepts. netd status names each such chain and rule.
 *
 * The check (foreign.c reads, foreign_scan.c walks) reads a ruleset dump (chains and rules of the
 * ip, inet and bridge families, our own tables left out) into rule shapes, then walks each
 * forward-hook base chain, following jumps and gotos, as a VM packet would:
 *
 * - A rule is skipped when one of its matches is one VM traffic cannot
 *   satisfy: IPv6 only (VM traffic is IPv4), a ct state that excludes `new`
 *   (a flow's first packet; iptables' xt conntrack and state matches are
 *   read too), `iifname`/`oifname "lo"`, an input and an output device
 *   that are both not vmnet's (every VM packet has a vmnet device on one
 *   side), or interface matches that contradict the rule that jumped here.
 * - A drop or reject verdict in any other rule is a finding: certain when
 *   the rule and every jump leading to it match all VM traffic, "may"
 *   otherwise (addresses, ports, interfaces, expressions vmnet does not
 *   interpret). iptables' REJECT target is a reject. Accepts that match
 *   only some traffic are not credited.
 * - A base chain whose policy is drop is a finding when its walk can reach
 *   the end of the chain.
 */
#ifndef VMNET_FOREIGN_H
#define VMNET_FOREIGN_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "nft.h"

#define VMNET_FW_NAME 128 /* table and chain names (nftables allows 256) */
#define VMNET_FW_IFS 4	  /* interface matches kept per rule */

enum vmnet_fw_verdict {
	VMNET_FW_NONE, /* no verdict: the next rule runs */
	VMNET_FW_ACCEPT,
	VMNET_FW_DROP,
	VMNET_FW_REJECT,
	VMNET_FW_JUMP,
	VMNET_FW_GOTO,
	VMNET_FW_RETURN,
	VMNET_FW_OTHER, /* a verdict map, queue, an xt target: anything may happen */
};

/* `iifname "x"`, `oifname != "x"`, `iifname "x*"` */
struct vmnet_fw_if {
	bool oif;
	bool neg;
	bool prefix; /* name is a prefix (a wildcard) */
	char name[IFNAMSIZ];
};

struct vmnet_fw_rule {
	size_t chain; /* index into the ruleset's chains */
	size_t seq;   /* position in the dump: keeps the chain's order */
	uint64_t handle;
	bool guard;   /* a match no VM packet satisfies (see above) */
	bool partial; /* matches some VM packets may not satisfy */
	bool unknown; /* expressions vmnet does not interpret */
	struct vmnet_fw_if ifs[VMNET_FW_IFS];
	size_t n_ifs;
	enum vmnet_fw_verdict verdict;
	char target[VMNET_FW_NAME]; /* JUMP, GOTO */
	/* A DNAT rule (nft's `dnat`, iptables' DNAT target) and what it
	 * matches, for port conflicts: 0 where it does not say. Host order. */
	bool dnat;
	uint8_t l4proto;
	uint16_t dport, dport_hi; /* a port or a range (-m tcp --dport a:b) */
	uint32_t daddr;
};

struct vmnet_fw_chain {
	uint8_t family; /* NFPROTO_IPV4, NFPROTO_INET, NFPROTO_BRIDGE */
	char table[VMNET_FW_NAME];
	char name[VMNET_FW_NAME];
	bool forward; /* a base chain at the forward hook */
	int priority;
	bool policy_drop;
	size_t first, n; /* its rules, after vmnet_fw_index() */
};

struct vmnet_fw_ruleset {
	struct vmnet_fw_chain *chains;
	size_t n_chains, cap_chains;
	struct vmnet_fw_rule *rules;
	size_t n_rules, cap_rules;
	bool truncated; /* something did not fit (names, memory): the result may miss findings */
};

enum vmnet_fw_what { VMNET_FW_POLICY, VMNET_FW_DROPS, VMNET_FW_REJECTS, VMNET_FW_MAY_ANY };

struct vmnet_fw_finding {
	uint8_t family;
	char table[VMNET_FW_NAME];
	char base[VMNET_FW_NAME]; /* the forward-hook base chain */
	int priority;
	char chain[VMNET_FW_NAME]; /* where the rule is (base, or a chain jumped to) */
	uint64_t handle;	   /* 0 for a policy */
	enum vmnet_fw_what what;
	bool certain; /* false: "may" */
};

/* Device names that are vmnet's besides the vmv/vmt/vmbr prefixes
 * (bridges a network names itself). Borrowed. */
struct vmnet_fw_ours {
	const char *const *names;
	size_t n;
};

/* Add one NFT_MSG_NEWCHAIN or NFT_MSG_NEWRULE message (a dump reply) to
 * @rs; others, other families and our own tables are ignored. -ENOMEM, or
 * -EINVAL for a message libnftnl cannot parse. The message comes from the
 * kernel (framing checked by libmnl): libnftnl 1.2.4 trusts its attributes,
 * so the outside input here is what rules say, not how they are encoded. */
int vmnet_fw_feed(struct vmnet_fw_ruleset *rs, const struct nlmsghdr *nh);

/* The chain's index in @rs, or -1. */
ssize_t vmnet_fw_chain_find(const struct vmnet_fw_ruleset *rs, uint8_t fam, const char *table,
			    const char *name);

/* After the last feed: group each chain's rules, in order. */
void vmnet_fw_index(struct vmnet_fw_ruleset *rs);

/* Walk every forward base chain of @rs; fill up to @max findings, *ret_n is
 * how many there are (may exceed @max). False if a jump was not followed
 * (deeper than the kernel allows, a chain not read, a pathological graph):
 * findings may be missing. Pure: no kernel, no allocation. */
bool vmnet_fw_scan(const struct vmnet_fw_ruleset *rs, const struct vmnet_fw_ours *ours,
		   struct vmnet_fw_finding *ret, size_t max, size_t *ret_n);

/* "ip", "inet", "bridge" (nft's names), "?" for others. */
const char *vmnet_fw_family_name(uint8_t family);

/* The first DNAT rule of @rs that takes @proto/@port (on host address
 * @host_ip, host order; 0: every address) as vmnet would publish it: a rule
 * naming that destination port, whose protocol and address (if it names
 * them) match. Its index in rs->rules, or -1. Rules with matches vmnet
 * does not read are not counted. Pure. */
ssize_t vmnet_fw_dnat_owner(const struct vmnet_fw_ruleset *rs, uint8_t proto, uint16_t port,
			    uint32_t host_ip);

/* Who owns rule @ri: "table inet x, chain y, rule handle 7", or for
 * Docker's chain DOCKER of table ip nat "docker (table ip nat, ...)". */
void vmnet_fw_owner_fmt(const struct vmnet_fw_ruleset *rs, size_t ri, char *buf, size_t size);

/* One line for netd status. */
void vmnet_fw_finding_fmt(const struct vmnet_fw_finding *f, char *buf, size_t size);

/* Dump the chains and rules of the socket's netns into @rs (which the
 * caller frees with vmnet_fw_free even on failure). */
int vmnet_fw_read(struct vmnet_nft *n, struct vmnet_fw_ruleset *rs, struct vmnet_err *err);

void vmnet_fw_free(struct vmnet_fw_ruleset *rs);

#endif
