/* SPDX-License-Identifier: MIT */
/*
 * What the pieces of the nftables engine share (include/vmnet/nft.h is its
 * API): the names in our tables, the batch being built, set keys and an
 * attachment's elements. Only lib/nft*.c include this.
 *
 *   nft_batch.c        batch buffer, netfilter socket, sending and acks
 *   nft_defs.c         tables, chains, sets, counters (the base ruleset)
 *   nft_rules.c        adding the rules; nft_rules_{nat,filter,bridge}.c build them
 *   nft_expr.c         expressions, as nft compiles them
 *   nft_elems.c        one attachment's elements, the batch builders
 *   nft.c              attach, check, detach, sync, delete, version, dump
 *   nft_forget.c       forgetting an address or device nobody records
 */
#ifndef VMNET_NFT_PRIV_H
#define VMNET_NFT_PRIV_H

#include <netinet/in.h>
#include <linux/netfilter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "vmnet/err.h"
#include "vmnet/nft.h"

struct nftnl_rule;
struct nftnl_set;
struct nftnl_table;

/* Linux 6.3 added idempotent deletes; Debian 12's uapi headers predate it. */
#ifndef NFT_MSG_DESTROYTABLE
#define NFT_MSG_DESTROYTABLE 26
#endif
#ifndef NFT_MSG_DESTROYSETELEM
#define NFT_MSG_DESTROYSETELEM 30
#endif

/* nft's datatype ids (src/datatype.h); concatenations shift by TYPE_BITS. */
#define DT_IPADDR 7
#define DT_ETHERADDR 9
#define DT_INET_PROTO 12
#define DT_INET_SERVICE 13
#define DT_DEVGROUP 35
#define DT_IFNAME 41
#define DT_BITS 6
#define DT_CONCAT2(a, b) (((a) << DT_BITS) | (b))
#define DT_CONCAT3(a, b, c) ((DT_CONCAT2(a, b) << DT_BITS) | (c))

#define IPS_DST_NAT_BIT 0x20  /* ct status dnat */
#define CT_STATE_EST_REL 0x06 /* ct state established,related */

#define F_INET NFPROTO_INET
#define F_BRIDGE NFPROTO_BRIDGE

#define S_GUESTS4 "guests4"
#define S_MASQ4 "masq4"
#define S_PORTS4 "ports4"
#define S_PORTS4H "ports4h"
#define S_ISO_IFS "iso_ifs"
#define S_SPOOF4 "spoof4"
#define S_SPOOFMAC "spoofmac"
#define S_ISO_GRP "iso_grp"
#define S_ISO_MEMBERS "iso_members"
#define S_HOST_OPEN "host_open"
#define S_PORTS "ports"
#define S_PORT_MAC "port_mac"
#define S_PORT_IP4 "port_ip4"
#define S_GUEST_NET "guest_net"
#define S_CLOSED4 "closed4"
#define C_DNAT4 "dnat4"
#define C_ANTISPOOF "antispoof"
#define O_SPOOF "spoof_drop" /* named counters: `nft list counter inet vmnet spoof_drop` */
#define O_ISO "iso_drop"
#define O_INBOUND "inbound_drop"
#define O_LOOPBACK "loopback_drop"
#define O_DHCP "dhcp_server_drop"

/* Our named sets, indexes into nft_sets[]. */
enum {
	SI_GUESTS4,
	SI_MASQ4,
	SI_PORTS4,
	SI_PORTS4H,
	SI_ISO_IFS,
	SI_SPOOF4,
	SI_SPOOFMAC,
	SI_ISO_GRP,
	SI_ISO_MEMBERS,
	SI_HOST_OPEN,
	SI_PORTS,
	SI_PORT_MAC,
	SI_PORT_IP4,
	SI_GUEST_NET,
	SI_CLOSED4,
	SI_N
};

/* A key component of type ifname is IFNAMSIZ bytes, NUL padded, as
 * `meta iifname` loads it; ether_addr takes 8 (each component of a
 * concatenation is rounded up to 4 bytes). */
#define IFNAME_LEN 16
#define ETHER_LEN 8

#define MSG_ROOM 65536	  /* every message we build fits (elements are chunked) */
#define ELEMS_PER_MSG 512 /* ~40 bytes each: well inside MSG_ROOM */
#define REQ_BUF 8192	  /* one GET request */
#define RECV_BUF 65536

struct vmnet_nft {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
};

/* What each message of a batch was, to name it when the kernel refuses it. */
enum mkind { M_OTHER, M_TABLE, M_SET, M_PORT };

struct mdesc {
	enum mkind kind;
	int fam; /* M_TABLE */
	const char *set;
	struct vmnet_nft_port port;
};

struct batch {
	char *buf;
	size_t len, cap;
	uint32_t seq0; /* BATCH_BEGIN; messages are seq0+1 .. seq0+n */
	uint32_t seq;
	struct mdesc *msgs;
	size_t n, cap_msgs;
	uint32_t set_id;
};

/* A set key (and a map's data): each component of a concatenation takes a
 * 4-byte register. */
struct key {
	uint8_t k[IFNAME_LEN + ETHER_LEN], d[8];
	uint32_t klen, dlen;
};

struct set_def {
	int fam;
	const char *name;
	uint32_t flags, ktype, klen, dtype, dlen;
};

/* Offsets in the IPv4 header, the Ethernet header and an ARP packet. */
#define IP4_SADDR 12
#define IP4_DADDR 16
#define ETH_SADDR 6
#define ETH_TYPE 12
#define ARP_SHA 8
#define ARP_SPA 14

/* One element of an attachment: which set, its key (and data). */
struct elem {
	unsigned si;  /* index into nft_sets[] */
	bool is_port; /* a published port: exclusive on ADD, named on conflict */
	struct vmnet_nft_port port;
	struct key k;
};

/* Most elements one attachment has besides its ports. */
#define ELEMS_FIXED 16

typedef int (*rule_fill)(struct nftnl_rule *, uint32_t);

struct rule_def {
	int fam;
	const char *chain;
	rule_fill fill;
};

/* nft_batch.c: building a batch (messages at most MSG_ROOM bytes each) */
int batch_init(struct batch *b, uint32_t seq);
struct nlmsghdr *msg_start(struct batch *b, int fam, uint16_t type, uint16_t flags,
			   const struct mdesc *d);
void msg_done(struct batch *b, struct nlmsghdr *nh);
int batch_finish(struct batch *b);
void batch_free(struct batch *b);
/* Hands the finished batch to *ret_buf (caller frees), or reports @ret. */
int build_out(struct batch *b, int ret, void **ret_buf, size_t *ret_len, struct vmnet_err *err);
const char *port_fmt(const struct vmnet_nft_port *p, char *buf, size_t size);
void desc_fmt(const struct batch *b, size_t idx, char *buf, size_t size);
/* nft_batch.c: the kernel; *ret_idx names the refused message (may be NULL) */
int batch_run(struct vmnet_nft *n, struct batch *b, const char *what, size_t *ret_idx,
	      struct vmnet_err *err);
int talk_one(struct vmnet_nft *n, struct nlmsghdr *nh, mnl_cb_t cb, void *data);

/* nft_defs.c */
extern const struct set_def nft_sets[SI_N];
struct nftnl_table *table_new(int fam, bool with_udata);
int put_table(struct batch *b, int fam, uint16_t type, uint16_t flags, bool with_udata);
struct nftnl_set *set_ref(int fam, const char *name, uint32_t id);
int put_set(struct batch *b, const struct set_def *sd, uint32_t id);
int put_elems(struct batch *b, int fam, uint16_t type, uint16_t flags, const char *name,
	      uint32_t id, const struct key *keys, size_t n, const struct mdesc *d);
int put_counter(struct batch *b, int fam, const char *name);
int put_base(struct batch *b, uint16_t table_flags);

/* nft_rules.c and the rule lists, each ended by {0} */
int put_rule(struct batch *b, int fam, const char *chain, rule_fill fill, uint32_t anon_id);
int put_l4_set(struct batch *b, uint32_t *ret_id);
int put_rules(struct batch *b);
extern const struct rule_def nft_rules_nat[];
extern const struct rule_def nft_rules_filter[];
extern const struct rule_def nft_rules_bridge[];
int rule_pre_loopback(struct nftnl_rule *r, uint32_t unused);
int rule_to_dnat(struct nftnl_rule *r, uint32_t anon_id);

/* nft_expr.c: each appends to @r; 0 or -ENOMEM */
int ex_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg);
int ex_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len);
int ex_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg);
int ex_lookup(struct nftnl_rule *r, const char *set, uint32_t id, bool map, bool inv);
int ex_objref(struct nftnl_rule *r, const char *name);
int ex_ipv4(struct nftnl_rule *r);
int ex_ct_bits(struct nftnl_rule *r, uint32_t key, uint32_t mask);
int ex_fib_local(struct nftnl_rule *r);
int ex_verdict(struct nftnl_rule *r, int verdict, const char *chain);
int ex_dnat4(struct nftnl_rule *r);
int ex_simple(struct nftnl_rule *r, const char *name);
int ex_daddr_loopback(struct nftnl_rule *r);
int ex_if_in(struct nftnl_rule *r, uint32_t meta_key, const char *set, bool inv);
int ex_drop(struct nftnl_rule *r, const char *counter);
int ex_if_concat_not_in(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
			const char *set);
int ex_dhcp_discover(struct nftnl_rule *r);
int ex_dhcp_server_drop(struct nftnl_rule *r);
int ex_dhcp_ports_drop(struct nftnl_rule *r);

/* nft_elems.c */
void key_if(struct key *k, const char *ifname, const void *extra, uint32_t extra_len);
void key_if_ip(struct key *k, const char *ifname, uint32_t ip);
void key_if_group(struct key *k, const char *ifname, uint32_t group);
void key_ip(struct key *k, uint32_t ip);
unsigned key_port(struct key *k, const struct vmnet_nft_port *p, uint32_t guest_ip);
int att_validate(const struct vmnet_nft_att *a, struct vmnet_err *err);
size_t att_elems(const struct vmnet_nft_att *a, bool add, const bool *skip_port,
		 uint32_t old_group, struct elem *out);
int put_att(struct batch *b, const struct vmnet_nft_att *a, enum vmnet_nft_op op,
	    const bool *skip_port, uint32_t old_group, bool excl_ports);
int build_attach(struct batch *b, const struct vmnet_nft_att *a, bool with_table, uint32_t seq);
int build_sync(struct batch *b, const struct vmnet_nft_att *atts, size_t n_atts, uint32_t seq);

/* nft.c: one DELSETELEM batch per element, missing ones ignored */
int del_elems_one_by_one(struct vmnet_nft *n, const struct elem *el, size_t n_el,
			 struct vmnet_err *err);

/* nft_forget.c: does @e point at @guest_ip (0: none) or is it keyed by
 * @host_if (NULL: none)? The batch deleting those of @el (*ret_n of them). */
bool forget_match(const struct elem *e, uint32_t guest_ip, const char *host_if);
int forget_build(struct batch *b, const struct elem *el, size_t n_el, uint32_t guest_ip,
		 const char *host_if, uint32_t seq, size_t *ret_n);

#endif
