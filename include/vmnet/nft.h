/* SPDX-License-Identifier: MIT */
/*
 * vmnet's nftables engine (DESIGN §5). One private table, inet vmnet, whose
 * chains, sets and rules are created once with the table; each attachment
 * only adds or deletes set/map elements, in one atomic batch, so the cost of
 * an ADD or of a packet does not grow with the number of VMs or ports.
 *
 *   set guests4  ipv4_addr                          every guest address
 *   set masq4    ipv4_addr                          guests of ipMasq networks
 *   map ports4   inet_proto . inet_service : ipv4_addr . inet_service
 *   map ports4h  ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service
 *
 * Names end in "4" so the IPv6 twins (guests6, ports6, ...) slot in beside
 * them. Isolation (iso_ifs, iso_group, spoof4) will be more sets filled by
 * the same element batches; the forward chain is their hook.
 */
#ifndef VMNET_NFT_H
#define VMNET_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Ruleset version kept in the table's comment ("vmnet:1"); bump it when the
 * base chains/sets change so netd recognises (and syncs) an older table. */
#define VMNET_NFT_VERSION 1

struct vmnet_nft; /* a netfilter netlink socket bound to one netns */

struct vmnet_nft_port {
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
	uint16_t host_port;
	uint32_t host_ip; /* host order; 0 = every local address */
	uint16_t guest_port;
};

/* What one attachment puts into the table. */
struct vmnet_nft_att {
	const char *host_if; /* host-side device (veth host end or tap); for later L2 sets */
	bool isolated;	     /* isolated-mode attachment (later) */
	uint32_t guest_ip;   /* host order, required */
	uint8_t guest_mac[6];
	bool masq;	  /* the network has ipMasq */
	uint32_t group;	  /* isolation group, 0 none (later) */
	bool host_access; /* (later) */
	const struct vmnet_nft_port *ports;
	size_t n_ports;
};

/* Open a socket in the netns @nsfd (-1: the current one); the calling
 * thread returns to its own netns before this returns. Caller owns *ret. */
int vmnet_nft_open(int nsfd, struct vmnet_nft **ret, struct vmnet_err *err);

/* NULL-safe; returns NULL. */
struct vmnet_nft *vmnet_nft_close(struct vmnet_nft *n);

static inline void vmnet_nft_closep(struct vmnet_nft **n)
{
	vmnet_nft_close(*n);
}

/* One batch: the table with its base chains, sets and rules if it is missing
 * (race-free against concurrent first ADDs) plus @a's elements. Each port
 * is added exclusively: a taken one fails with -EEXIST and code
 * VMNET_ERR_PORT_CONFLICT ("tcp/8080 on 192.0.2.1"), and the kernel rolls
 * the whole batch back. An already present guest address is not an error. */
int vmnet_nft_attach(struct vmnet_nft *n, const struct vmnet_nft_att *a, struct vmnet_err *err);

/* Delete exactly @a's elements in one batch; missing elements, sets or table
 * are success. Only the owner of @a->guest_ip may call this for it. */
int vmnet_nft_detach(struct vmnet_nft *n, const struct vmnet_nft_att *a, struct vmnet_err *err);

/* 0 if the table and every element of @a exist with the right data; else
 * -ENOENT with code VMNET_ERR_CHECK naming the first missing thing. Looks up
 * single keys, never dumps. */
int vmnet_nft_check(struct vmnet_nft *n, const struct vmnet_nft_att *a, struct vmnet_err *err);

/* Atomically replace the table by the base ruleset plus @atts' elements
 * (for netd: restores a flushed or tampered table). Any size. */
int vmnet_nft_sync(struct vmnet_nft *n, const struct vmnet_nft_att *atts, size_t n_atts,
		   struct vmnet_err *err);

/* 1 if inet vmnet exists, 0 if not. With @ret_version (may be NULL), the
 * version from its comment, 0 if it carries none (not ours or outdated). */
int vmnet_nft_table_exists(struct vmnet_nft *n, struct vmnet_err *err);
int vmnet_nft_table_version(struct vmnet_nft *n, int *ret_version, struct vmnet_err *err);

/* Delete inet vmnet; 0 if it is already gone. */
int vmnet_nft_delete_table(struct vmnet_nft *n, struct vmnet_err *err);

/*
 * Batch builders, exposed for round-trip tests that need no root. Each
 * returns a malloc'd buffer of netlink messages (BATCH_BEGIN ... BATCH_END,
 * sequence numbers from @seq) that the caller frees.
 */
enum vmnet_nft_op { VMNET_NFT_OP_ADD, VMNET_NFT_OP_DESTROY, VMNET_NFT_OP_DEL };

int vmnet_nft_build_attach(const struct vmnet_nft_att *a, bool with_table, uint32_t seq,
			   void **ret_buf, size_t *ret_len, struct vmnet_err *err);
int vmnet_nft_build_detach(const struct vmnet_nft_att *a, enum vmnet_nft_op op, uint32_t seq,
			   void **ret_buf, size_t *ret_len, struct vmnet_err *err);
int vmnet_nft_build_sync(const struct vmnet_nft_att *atts, size_t n_atts, uint32_t seq,
			 void **ret_buf, size_t *ret_len, struct vmnet_err *err);

/* "tcp", "udp", "sctp"; NULL for anything else. */
const char *vmnet_nft_proto_name(uint8_t proto);

#endif
