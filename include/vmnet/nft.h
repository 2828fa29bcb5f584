/* SPDX-License-Identifier: MIT */
/*
 * vmnet's nftables engine (doc/how-it-works.md, "nftables"). Two private tables, inet vmnet (NAT,
 * isolation, anti-spoofing of routed links) and bridge vmnet (anti-spoofing
 * of bridge ports), whose chains, sets and rules are created once, together;
 * each attachment only adds or deletes set/map elements, in one atomic
 * batch, so the cost of an ADD or of a packet does not grow with the number
 * of VMs or ports.
 *
 *   inet vmnet
 *   set guests4     ipv4_addr                     every guest address
 *   set masq4       ipv4_addr                     guests of ipMasq networks
 *   set closed4     ipv4_addr                     ... without routedInbound: no
 *                                                 connection routed from outside
 *   map ports4      inet_proto . inet_service : ipv4_addr . inet_service
 *   map ports4h     ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service
 *   set iso_ifs     ifname                        host ends of isolated links
 *   set spoof4      ifname . ipv4_addr            the one source IP per isolated link
 *   set spoofmac    ifname . ether_addr           the one source MAC per isolated link
 *   map iso_grp     ifname : devgroup             isolated link -> its group
 *   set iso_members ifname . devgroup             the same pairs, as a set (the
 *                                                 link's device group is its group)
 *   set host_open   ifname                        isolated links with hostAccess
 *   set guest_net   ifname . ipv4_addr            bridge . guest of a shared network
 *   IPv6 twins, filled for guests with an IPv6 address:
 *   set guests6, masq6, closed6   ipv6_addr
 *   map ports6      inet_proto . inet_service : ipv6_addr . inet_service
 *   map ports6h     ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service
 *   set spoof6      ifname . ipv6_addr            the one global source per isolated link
 *   set nd6         typeof iifname . @th,64,128   the same pairs, for ND targets (nft
 *                                                 1.0.6 has no icmpv6 taddr)
 *   set iso_ifs6    ifname                        isolated links whose guest has IPv6
 *   set guest_net6  ifname . ipv6_addr            bridge . guest of a shared network
 *   set cluster4    ipv4_addr . ipv4_addr, interval  guest . a prefix of its network's
 *                                                 clusterCIDRs (a range: Linux >= 5.6)
 *   set cluster6    ipv6_addr . ipv6_addr, interval  the same for IPv6
 *   counter spoof_drop, iso_drop, inbound_drop, loopback_drop,
 *           dhcp_server_drop (UDP from port 67), dhcp6_server_drop (from 547),
 *           ra_drop (ICMPv6 router advertisements and redirects)
 *   (chains: nat prerouting/output jump to dnat4, which hands IPv6 to dnat6)
 *   bridge vmnet
 *   set ports       ifname                        bridge ports of shared guests
 *   set port_mac    ifname . ether_addr
 *   set port_ip4    ifname . ipv4_addr
 *   set ports_v6    ifname                        ... whose guest has IPv6
 *   set port_ip6    ifname . ipv6_addr
 *   set port_nd6    typeof iifname . @th,64,128   as nd6
 *   counter spoof_drop, loopback_drop, dhcp_server_drop, dhcp6_server_drop, ra_drop
 *   (chains antispoof at prerouting, forward between bridge ports)
 *
 * clusterCIDRs: keyed by guest, so each network keeps its own prefixes and
 * an attachment's elements stay its own (ADD and DEL touch one element per
 * prefix, no rule). Postrouting accepts "ip saddr . ip daddr @cluster4"
 * before masquerading (no NAT to the cluster); forward accepts "ip daddr .
 * ip saddr @cluster4" after the isolation rules (this node's guests inside
 * the prefixes are judged by network and group first) and before the
 * closed rules; such a network's guests are in closed4/closed6 even
 * without masq (unless routed_inbound), so the rest of the outside reaches
 * them only through published ports.
 *
 * IPv6 from a guest: its own address, a link-local source (fe80::/64; the
 * MAC is checked already), and from :: only a neighbour solicitation for
 * DAD of its own or a link-local target. Neighbour advertisements may name
 * only those targets too; router advertisements, redirects and DHCPv6 server
 * messages are dropped. A guest without IPv6 sends none. Published ports
 * on ::1 are left out: IPv6 has no route_localnet, so the kernel never
 * routes ::1 to a guest.
 *
 * `nft list ruleset` (nftables 1.0.6) prints every rule and reads it back
 * into the same bytecode (tests/integ/t_nftsave.sh): rules are built as nft
 * compiles them, dependencies included.
 *
 */
#ifndef VMNET_NFT_H
#define VMNET_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "err.h"
#include "inet.h"
#include "nfnl.h"

/* Ruleset version kept in the tables' comment ("vmnet:6"); bump it when the
 * base chains/sets change so netd recognises (and syncs) an older table. */
#define VMNET_NFT_VERSION 7

struct vmnet_nft; /* a netfilter netlink socket bound to one netns */

/* One published port, as configured, recorded and put into the maps. */
struct vmnet_port {
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
	uint16_t host_port;
	uint16_t guest_port;
	uint32_t host_ip; /* host order; 0 = every local address */
	struct in6_addr host_ip6; /* :: = every local IPv6 address */
	uint8_t family;	  /* 0: both families the guest has; 4 or 6: only that
			     one (a hostIP of that family) */
};

/* A mapping's hostIP (lib/port.c): "" is family 0 with no address, an
 * address of either family (0.0.0.0 and :: included) sets that family
 * only. -EINVAL for anything else. _fmt gives "" for family 0 into a
 * VMNET_ADDRSTRLEN buffer. _same_host: the same protocol, host port and
 * host address (so one cannot be published twice). */
int vmnet_port_host_parse(const char *s, struct vmnet_port *p);
const char *vmnet_port_host_fmt(const struct vmnet_port *p, char *buf);
bool vmnet_port_same_host(const struct vmnet_port *a, const struct vmnet_port *b);

/*
 * What one attachment puts into the tables. With @host_if (the device the
 * guest's frames arrive on: veth host end or host tap) the attachment is
 * policed by interface: isolated ones get iso_ifs/spoof4/spoofmac (and
 * iso_grp/iso_members, host_open), shared ones ports/port_mac/port_ip4 in
 * bridge vmnet; both then need @guest_mac. Without @host_if (shared only)
 * there is no anti-spoofing, only NAT. With @guest_ip6, the IPv6 twins
 * too; a port of family 0 goes into the maps of both families, one of
 * family 4 or 6 only into that family's (and none of family 6 without
 * @guest_ip6, nor on ::1).
 */
struct vmnet_nft_att {
	const char *host_if; /* host-side device; required when isolated */
	bool isolated;	     /* routed point-to-point link, no bridge */
	uint32_t guest_ip;   /* host order, required */
	struct in6_addr guest_ip6; /* :: = the guest has no IPv6 */
	uint8_t guest_mac[6];
	bool masq;	  /* the network has ipMasq */
	bool masq6;	  /* ... and ipMasq6 (NAT66) */
	bool routed_inbound; /* ipMasq and still open to connections routed to the guest */
	uint32_t iso_id;  /* isolated: attachments with the same non-zero isolation id
			     may talk; 0 none. The caller puts @host_if into the
			     device group of that number */
	bool host_access; /* isolated: every host port open, not just ICMP/DHCP/DNS */
	const struct vmnet_port *ports;
	size_t n_ports;
	const char *bridge;	/* shared mode: the network's bridge (guests of other
				   networks are not reached through it); NULL otherwise */
	const struct vmnet_cluster *cluster; /* the network's clusterCIDRs; NULL or
				   empty: none (then closed only with masq and
				   without routed_inbound, as before) */
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

/* Before a request on a socket kept open: drop what earlier ones left
 * unread (vmnet_nfnl_drain). */
void vmnet_nft_drain(struct vmnet_nft *n);

/* One batch: the tables with their base chains, sets and rules if they are
 * missing (race-free against concurrent first ADDs) plus @a's elements. Each
 * port is added exclusively: a taken one fails with -EEXIST and code
 * VMNET_ERR_PORT_CONFLICT ("tcp/8080 on 192.0.2.1"), and the kernel rolls
 * the whole batch back. An already present guest address is not an error.
 * A table of an older VMNET_NFT_VERSION (or missing sets) fails with
 * -ENOENT and a message asking for a resync (vmnet_nft_sync, netd). */
int vmnet_nft_attach(struct vmnet_nft *n, const struct vmnet_nft_att *a, struct vmnet_err *err);

/* Delete exactly @a's elements in one batch (all its interface-keyed ones,
 * whatever @a's mode and flags say); missing elements, sets or tables are
 * success. Only the owner of @a->guest_ip and @a->host_if may call this. */
int vmnet_nft_detach(struct vmnet_nft *n, const struct vmnet_nft_att *a, struct vmnet_err *err);

/* Whether a flow may have gone to @guest_ip (host order), or with
 * @guest_ip6 non-NULL that IPv6 address, so that conntrack may hold entries
 * it answers: false only when the table's record of the guests flows went
 * to (reached4/6, filled by the first packet of each) exists and lacks the
 * guest; true too for @n NULL and on any error. DEL asks after
 * vmnet_nft_detach, which ends new DNAT'd ones. */
bool vmnet_nft_reached(struct vmnet_nft *n, uint32_t guest_ip, const struct in6_addr *guest_ip6);

/* Take the guest out of that record, once its flows are flushed. */
void vmnet_nft_unreach(struct vmnet_nft *n, uint32_t guest_ip, const struct in6_addr *guest_ip6);

/*
 * Delete, in one batch, every element of our sets and maps that points at
 * @guest_ip (host order; 0: none) -- guests4, masq4, closed4, guest_net,
 * spoof4, port_ip4 and the ports4/ports4h mappings to it -- or, with
 * vmnet_nft_forget6, at @guest_ip6 (NULL or ::: none) in the IPv6 twins, or
 * is keyed by host device @host_if (NULL: none). Dumps every set, so its cost grows
 * with the number of elements: for what no record names (stale elements at
 * the address an ADD was given, a DEL whose record a crash emptied). The
 * caller proves first that no live attachment holds @guest_ip. Missing
 * tables or elements are success.
 */
/* 1 if @guest_ip is in guests4, 0 if not (or no table): one single-key
 * lookup. Every attachment's elements come and go in one batch, so an
 * address with no element there has none anywhere. */
int vmnet_nft_guest_present(struct vmnet_nft *n, uint32_t guest_ip);
/* The same in guests6, for a guest without IPv4. */
int vmnet_nft_guest6_present(struct vmnet_nft *n, const struct in6_addr *guest_ip6);
int vmnet_nft_forget(struct vmnet_nft *n, uint32_t guest_ip, const char *host_if,
		     struct vmnet_err *err);
int vmnet_nft_forget6(struct vmnet_nft *n, uint32_t guest_ip, const struct in6_addr *guest_ip6,
		      const char *host_if, struct vmnet_err *err);

/* The guest address spoof4 or port_ip4 pairs with @host_if into *ret_ip,
 * 0 if none (dumps every set, as vmnet_nft_forget). */
int vmnet_nft_if_guest(struct vmnet_nft *n, const char *host_if, uint32_t *ret_ip,
		       struct vmnet_err *err);
/* The same for IPv6 (spoof6, port_ip6): *ret_ip6 :: if none. */
int vmnet_nft_if_guest6(struct vmnet_nft *n, const char *host_if, struct in6_addr *ret_ip6,
			struct vmnet_err *err);

/* 0 if the table (of this version) and every element of @a exist with the
 * right data; else -ENOENT with code VMNET_ERR_CHECK naming the first missing
 * thing. Looks up single keys, never dumps; with a snapshot held, looks
 * them up there. */
int vmnet_nft_check(struct vmnet_nft *n, const struct vmnet_nft_att *a, struct vmnet_err *err);

/* Read the table's version and every element of every set of ours into @n
 * (one dump per set): until vmnet_nft_snapshot_drop(), vmnet_nft_close()
 * or a batch sent through @n, the table version, vmnet_nft_check() and the
 * guest look-ups answer from it, not the kernel (interval sets excepted).
 * For a pass that checks many attachments; what changes after the dump is
 * not seen. */
int vmnet_nft_snapshot(struct vmnet_nft *n, struct vmnet_err *err);
void vmnet_nft_snapshot_drop(struct vmnet_nft *n);

/* Atomically replace both tables by the base ruleset plus @atts' elements
 * (for netd: restores a flushed, tampered or outdated table; resets the
 * counters). Any size. */
int vmnet_nft_sync(struct vmnet_nft *n, const struct vmnet_nft_att *atts, size_t n_atts,
		   struct vmnet_err *err);

/* The namespace's nf_tables generation (moved on by every commit, of any
 * table) into *@ret_gen: 0 or -errno. */
int vmnet_nft_genid(struct vmnet_nft *n, uint32_t *ret_gen);

/* 1 if inet vmnet exists, 0 if not. With @ret_version (may be NULL), the
 * version from its comment, 0 if it carries none (not ours or outdated). */
int vmnet_nft_table_exists(struct vmnet_nft *n, struct vmnet_err *err);
int vmnet_nft_table_version(struct vmnet_nft *n, int *ret_version, struct vmnet_err *err);

/* Delete inet vmnet and bridge vmnet; 0 if they are already gone. */
int vmnet_nft_delete_table(struct vmnet_nft *n, struct vmnet_err *err);

/* netns wiring: the veth peer and the tap of one attachment, joined in its
 * VM namespace by a netdev table of their own (lib/nft_fwd.c). */
struct vmnet_fwd {
	const char *table;   /* VMNET_FWD_TABLE_PREFIX + hash */
	const char *comment; /* the attachment's alias, shown by `nft list` */
	const char *peer, *tap;
	int peer_idx, tap_idx;
};

/* Replace the table @f->table, in one batch, by the two forwarding chains:
 * whatever was there (a crashed ADD's, a tampered copy) goes atomically. */
int vmnet_nft_fwd_set(struct vmnet_nft *n, const struct vmnet_fwd *f, struct vmnet_err *err);
/* 0 if both chains hook the right devices and forward to the right ifindex;
 * else -ENOENT with code VMNET_ERR_CHECK naming what is wrong. */
int vmnet_nft_fwd_check(struct vmnet_nft *n, const struct vmnet_fwd *f, struct vmnet_err *err);
/* The same verdict on messages at hand (@len bytes of NEWCHAIN and NEWRULE
 * messages, as a dump returns them; others are skipped): for tests and the
 * fuzz target. */
int vmnet_nft_fwd_check_msgs(const void *buf, size_t len, const struct vmnet_fwd *f,
			     struct vmnet_err *err);
/* Delete the table; 0 if it is already gone. */
int vmnet_nft_fwd_clear(struct vmnet_nft *n, const char *table, struct vmnet_err *err);

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
int vmnet_nft_build_fwd(const struct vmnet_fwd *f, uint32_t seq, void **ret_buf,
			size_t *ret_len, struct vmnet_err *err);
/* vmnet_nft_forget6's batch if the tables held exactly @atts' elements. */
int vmnet_nft_build_forget(const struct vmnet_nft_att *atts, size_t n_atts, uint32_t guest_ip,
			   const struct in6_addr *guest_ip6, const char *host_if, uint32_t seq,
			   void **ret_buf, size_t *ret_len, struct vmnet_err *err);


/* Dump every object of @msg_type (NFT_MSG_GETCHAIN, NFT_MSG_GETRULE, ...) of
 * every table and family in the socket's netns; @cb sees each reply message
 * and returns 1 to go on (libmnl's MNL_CB_OK). For readers of other tables
 * (foreign.c); @cb should not stop early, or the rest of the dump stays queued. */
int vmnet_nft_dump(struct vmnet_nft *n, uint16_t msg_type, vmnet_nfnl_cb cb, void *data,
		   struct vmnet_err *err);
/* The same for the rules of one table, @table of family @family (the kernel
 * filters the dump): none for a table that does not exist. */
int vmnet_nft_dump_rules(struct vmnet_nft *n, uint8_t family, const char *table,
			 vmnet_nfnl_cb cb, void *data, struct vmnet_err *err);

#endif
