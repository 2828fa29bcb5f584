/* SPDX-License-Identifier: MIT */
/*
 * Netfilter sockets netd closes later: the ones DELs hand over (lib/handoff.c)
 * and netd's own. Closing a NETLINK_NETFILTER socket makes the kernel's
 * release notifier take the namespace's nf_tables commit mutex and, holding
 * it, wait for the destroy work of the last commit that deleted something:
 * an RCU grace period, 5-13 ms on a 2-vCPU VM. Meanwhile every nft batch in
 * the namespace waits, and so does every device registered, renamed or
 * unregistered there (nf_tables' netdev notifier takes the same mutex): a
 * plugin call's rename of a tap, claiming or parking it, stalls that long.
 *
 * So a descriptor lingers NETD_LINGER_MS, and then is closed only once
 * nf_tables has been quiet: the namespace's generation (vmnet_nft_genid,
 * asked under RCU, no mutex) unchanged for NETD_LINGER_QUIET_MS, long
 * enough for the destroy work of the last commit to have run by itself.
 * Until then the close is looked at again every NETD_LINGER_QUIET_MS. Under
 * a storm that never goes quiet the list fills, and then all are closed at
 * once: one stall per list (the first close waits, the others find no work
 * left), not one per NETD_LINGER_MS. The list holds NETD_LINGER_MAX, or a
 * quarter of what the descriptor limit allows if that is less (netd raises
 * a service's usual soft limit of 1,024 to NETD_LINGER_NOFILE when the hard
 * limit lets it).
 */
#ifndef NETD_LINGER_H
#define NETD_LINGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETD_LINGER_MAX 512
#define NETD_LINGER_NOFILE 4096
#define NETD_LINGER_MS 250
#define NETD_LINGER_QUIET_MS 100

struct vmnet_nft;

struct netd_linger {
	int fd[NETD_LINGER_MAX];
	size_t n;
	size_t cap;			/* netd_linger_init's bound; 0: 128 */
	size_t n_handed;		/* of them, handed over by clients */
	int64_t at;			/* monotonic ms of the next look (n > 0) */
	unsigned long released;		/* handed-over descriptors closed */
	unsigned long waited;		/* looks that found nf_tables busy */
	unsigned long forced;		/* closes of a full list */
	struct vmnet_nft *gen_nft;	/* kept open: closing it would wait too */
	uint32_t gen;
	int64_t gen_at;			/* when gen was first seen; 0: never */
};

/* Raise the soft descriptor limit and size the list by it. */
void netd_linger_init(struct netd_linger *l);
/* Take @fd (ownership moves here); @handed: a client's. */
void netd_linger_add(struct netd_linger *l, int fd, bool handed);
/* For vmnet_handoff_sink: netd's own netfilter sockets (data: the list). */
bool netd_linger_keep(int fd, void *data);
/* Close what is due at @now if nf_tables is quiet (everything with @all). */
void netd_linger_tend(struct netd_linger *l, int64_t now, bool all);
/* When to call netd_linger_tend next (monotonic ms); 0: nothing lingers. */
int64_t netd_linger_due(const struct netd_linger *l);
/* Close everything, the generation's socket too. */
void netd_linger_end(struct netd_linger *l);

#endif
