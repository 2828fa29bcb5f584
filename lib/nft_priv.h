/* SPDX-License-Identifier: MIT */
/*
 * What the pieces of the nftables engine share (include/vmnet/nft.h is its
 * API): the names in our tables, the batch being built, set keys and an
 * attachment's elements. Only lib/nft*.c include this.
 *
 *   nft_batch.c        batch buffer; sending it (lib/nfnl.c) and naming refusals
 *   nft_defs.c         tables, chains, sets, counters (the base ruleset)
 *   nft_rules.c        adding the rules; nft_rules_{nat,filter,bridge}.c build them
 *   nft_expr.c         expressions, as nft compiles them
 *   nft_elems.c        one attachment's elements, the batch builders
 *   nft.c              attach, check, detach, sync, delete, version, dump
 *   nft_forget.c       forgetting an address or device nobody records
 */
#ifndef VMNET_NFT_PRIV_H
#define VMNET_NFT_PRIV_H

#include <errno.h>
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
#define DT_INTEGER 4
#define DT_IPADDR 7
#define DT_IP6ADDR 8
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
#define S_GUESTS6 "guests6"
#define S_MASQ6 "masq6"
#define S_CLOSED6 "closed6"
#define S_PORTS6 "ports6"
#define S_PORTS6H "ports6h"
#define S_SPOOF6 "spoof6"
#define S_ND6 "nd6"
#define S_ISO_IFS6 "iso_ifs6"
#define S_GUEST_NET6 "guest_net6"
#define S_PORTS_V6 "ports_v6"
#define S_PORT_IP6 "port_ip6"
#define S_PORT_ND6 "port_nd6"
#define S_CLUSTER4 "cluster4"
#define S_CLUSTER6 "cluster6"
#define S_SEEN4 "reached4"
#define S_SEEN6 "reached6"
#define C_DNAT4 "dnat4"
#define C_DNAT6 "dnat6"
#define C_SEEN "reached"
#define C_ANTISPOOF "antispoof"
#define O_SPOOF "spoof_drop" /* named counters: `nft list counter inet vmnet spoof_drop` */
#define O_ISO "iso_drop"
#define O_INBOUND "inbound_drop"
#define O_LOOPBACK "loopback_drop"
#define O_DHCP "dhcp_server_drop"
#define O_DHCP6 "dhcp6_server_drop"
#define O_RA "ra_drop"

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
	SI_GUESTS6,
	SI_MASQ6,
	SI_CLOSED6,
	SI_PORTS6,
	SI_PORTS6H,
	SI_SPOOF6,
	SI_ND6,
	SI_ISO_IFS6,
	SI_GUEST_NET6,
	SI_PORTS_V6,
	SI_PORT_IP6,
	SI_PORT_ND6,
	SI_CLUSTER4,
	SI_CLUSTER6,
	SI_SEEN4,
	SI_SEEN6,
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

struct vmnet_nfnl;

struct nft_snap;

struct vmnet_nft {
	struct vmnet_nfnl *nl;
	struct nft_snap *snap; /* vmnet_nft_snapshot's, or NULL */
};

/* What each message of a batch was, to name it when the kernel refuses it. */
enum nft_msg_kind { M_OTHER, M_TABLE, M_SET, M_PORT };

struct nft_msg_label {
	enum nft_msg_kind kind;
	int fam; /* M_TABLE */
	const char *set;
	struct vmnet_port port;
};

struct nft_batch {
	char *buf;
	size_t len, cap;
	uint32_t seq0; /* BATCH_BEGIN; messages are seq0+1 .. seq0+n */
	uint32_t seq;
	struct nft_msg_label *msgs;
	size_t n, cap_msgs;
	uint32_t set_id;
};

/* A set key (and a map's data): each component of a concatenation takes
 * whole 4-byte registers. The longest key is ifname . ipv6_addr (or
 * ipv6_addr . ipv6_addr), the longest data ipv6_addr . inet_service. An
 * element of an interval set has its last key too (kendlen 0: none). */
struct nft_key {
	uint8_t k[IFNAME_LEN + 16], d[20], kend[32];
	uint32_t klen, dlen, kendlen;
};

struct nft_set_def {
	int fam;
	const char *name;
	uint32_t flags, ktype, klen, dtype, dlen;
	bool nd; /* typeof iifname . @th,64,128 (an ND target by link) */
	uint8_t range_field; /* a two-field concatenation with intervals: each
				field's length; 0 for other sets */
	uint32_t size; /* at most this many elements; 0: the kernel's default */
};

/* Offsets in the IPv4 header, the Ethernet header and an ARP packet. */
#define IP4_SADDR 12
#define IP4_DADDR 16
#define ETH_SADDR 6
#define ETH_TYPE 12
#define ARP_SHA 8
#define ARP_SPA 14
/* ... the IPv6 header, and the target of a neighbour solicitation or advertisement */
#define IP6_SADDR 8
#define IP6_DADDR 24
#define ND_TARGET 8
#define ICMP6_NS 135
#define ICMP6_NA 136
#define ICMP6_RA 134
#define ICMP6_REDIRECT 137

/* One element of an attachment: which set, its key (and data). */
struct nft_elem {
	unsigned si;  /* index into nft_sets[] */
	bool is_port; /* a published port: exclusive on ADD, named on conflict */
	struct vmnet_port port; /* family 6 for a key of an IPv6 map */
	struct nft_key k;
};

/* Most elements one attachment has besides its ports, and in all: a port
 * has a key in the maps of each family. */
#define ELEMS_FIXED 32
#define ELEMS_MAX(a) (ELEMS_FIXED + 2 * (a)->n_ports + nft_cluster_n(a))

/* nft_cluster.c: how many elements @a has in cluster4 and cluster6 (one
 * per prefix of its clusterCIDRs of a family the guest has), and those
 * elements into @out: guest . prefix, as ranges; returns how many. */
size_t nft_cluster_n(const struct vmnet_nft_att *a);
size_t nft_cluster_elems(const struct vmnet_nft_att *a, struct nft_elem *out);

typedef int (*nft_rule_fill)(struct nftnl_rule *, uint32_t);

struct nft_rule_def {
	int fam;
	const char *chain;
	nft_rule_fill fill;
};

/* nft_batch.c: building a batch (messages at most MSG_ROOM bytes each) */
int nft_batch_init(struct nft_batch *b, uint32_t seq);
struct nlmsghdr *nft_msg_start(struct nft_batch *b, int fam, uint16_t type, uint16_t flags,
			       const struct nft_msg_label *d);
void nft_msg_done(struct nft_batch *b, struct nlmsghdr *nh);
int nft_batch_finish(struct nft_batch *b);
void nft_batch_free(struct nft_batch *b);
/* Finish @b built so far with result @ret; on failure @b is freed and the
 * error reported. */
int nft_batch_end(struct nft_batch *b, int ret, struct vmnet_err *err);
/* Hands the finished batch to *ret_buf (caller frees), or reports @ret. */
int nft_build_out(struct nft_batch *b, int ret, void **ret_buf, size_t *ret_len,
		  struct vmnet_err *err);
const char *nft_port_fmt(const struct vmnet_port *p, char *buf, size_t size);
void nft_msg_label_fmt(const struct nft_batch *b, size_t idx, char *buf, size_t size);

/* nft_batch.c: the kernel, through lib/nfnl.c. The first sequence number a
 * new batch or request may use. */
uint32_t nft_seq(const struct vmnet_nft *n);
/* Send a finished batch: 0, or the kernel's -errno with the refused
 * message's index in *ret_idx (may be NULL; SIZE_MAX: the whole batch). It
 * sets no error, so a caller with a fallback has nothing to take back:
 * nft_batch_fail reports what was refused. */
int nft_batch_run(struct vmnet_nft *n, const struct nft_batch *b, const char *what,
		  size_t *ret_idx);
int nft_batch_fail(const struct nft_batch *b, size_t idx, int ret, const char *what,
		   struct vmnet_err *err);
/* nft_batch_run, nft_batch_fail on a refusal, and nft_batch_free. */
int nft_batch_send(struct vmnet_nft *n, struct nft_batch *b, const char *what,
		   struct vmnet_err *err);
/* One GET or dump request (its sequence number is set here). */
/* nft.c: 1 if set @si holds @k, 0 if not or if the set (or table) is
 * missing, -errno on failure; from the snapshot when one is held. */
int nft_elem_present(struct vmnet_nft *n, unsigned si, const struct nft_key *k);
int nft_request(struct vmnet_nft *n, struct nlmsghdr *nh, mnl_cb_t cb, void *data);

/* nft_defs.c */
extern const struct nft_set_def nft_sets[SI_N];
struct nftnl_table *nft_table_new(int fam, bool with_udata);
int nft_put_table(struct nft_batch *b, int fam, uint16_t type, uint16_t flags, bool with_udata);
struct nftnl_set *nft_set_ref(int fam, const char *name, uint32_t id);
int nft_put_set(struct nft_batch *b, const struct nft_set_def *sd, uint32_t id);
int nft_put_elems(struct nft_batch *b, int fam, uint16_t type, uint16_t flags, const char *name,
		  uint32_t id, const struct nft_key *keys, size_t n, const struct nft_msg_label *d);
int nft_put_counter(struct nft_batch *b, int fam, const char *name);
int nft_put_base(struct nft_batch *b, uint16_t table_flags);
int nft_put_tables_delete(struct nft_batch *b);

/* nft_rules.c and the rule lists, each ended by {0} */
int nft_put_rule(struct nft_batch *b, int fam, const char *chain, nft_rule_fill fill,
		 uint32_t anon_id);
int nft_put_l4_set(struct nft_batch *b, uint32_t *ret_id);
int nft_put_rules(struct nft_batch *b);
extern const struct nft_rule_def nft_rules_nat[];
extern const struct nft_rule_def nft_rules_filter[];
extern const struct nft_rule_def nft_rules_bridge[];
int nft_rule_pre_loopback(struct nftnl_rule *r, uint32_t unused);
int nft_rule_to_dnat(struct nftnl_rule *r, uint32_t anon_id);
/* nft_rules6.c: the IPv6 policy of guest links, for the lists of
 * nft_rules_filter.c and nft_rules_bridge.c */
int nft_rule_iso_dhcp6_server(struct nftnl_rule *r, uint32_t unused);
int nft_rule_iso_ra(struct nftnl_rule *r, uint32_t unused);
int nft_rule_iso_redirect(struct nftnl_rule *r, uint32_t unused);
int nft_rule_iso_no6(struct nftnl_rule *r, uint32_t unused);
int nft_rule_iso_na(struct nftnl_rule *r, uint32_t unused);
int nft_rule_iso_dad_ll(struct nftnl_rule *r, uint32_t unused);
int nft_rule_iso_dad(struct nftnl_rule *r, uint32_t unused);
int nft_rule_iso_ll(struct nftnl_rule *r, uint32_t unused);
int nft_rule_iso_ip6(struct nftnl_rule *r, uint32_t unused);
int nft_rule_br_dhcp6_server(struct nftnl_rule *r, uint32_t unused);
int nft_rule_br_ra(struct nftnl_rule *r, uint32_t unused);
int nft_rule_br_redirect(struct nftnl_rule *r, uint32_t unused);
int nft_rule_br_no6(struct nftnl_rule *r, uint32_t unused);
int nft_rule_br_na(struct nftnl_rule *r, uint32_t unused);
int nft_rule_br_dad_ll(struct nftnl_rule *r, uint32_t unused);
int nft_rule_br_dad(struct nftnl_rule *r, uint32_t unused);
int nft_rule_br_ll(struct nftnl_rule *r, uint32_t unused);
int nft_rule_br_ip6(struct nftnl_rule *r, uint32_t unused);
int nft_rule_br_ip6_ok(struct nftnl_rule *r, uint32_t unused);

/* nft_expr.c: each appends to @r; 0 or -ENOMEM */
int nft_expr_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg);
int nft_expr_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len);
int nft_expr_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
		     uint32_t dreg);
int nft_expr_lookup(struct nftnl_rule *r, const char *set, uint32_t id, bool map, bool inv);
int nft_expr_objref(struct nftnl_rule *r, const char *name);
int nft_expr_ipv4(struct nftnl_rule *r);
int nft_expr_ipv6(struct nftnl_rule *r);
int nft_expr_icmp6_type(struct nftnl_rule *r, uint8_t type);
int nft_expr_ll6(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t op);
int nft_expr_if_concat_in(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
			  const char *set, bool inv);
int nft_expr_udp_port_drop(struct nftnl_rule *r, uint32_t off, uint16_t port, const char *counter);
int nft_expr_udp_range_drop(struct nftnl_rule *r, uint16_t lo, uint16_t hi, const char *counter);
int nft_expr_ct_bits(struct nftnl_rule *r, uint32_t key, uint32_t mask);
int nft_expr_fib_local(struct nftnl_rule *r);
int nft_expr_verdict(struct nftnl_rule *r, int verdict, const char *chain);
int nft_expr_dnat4(struct nftnl_rule *r);
int nft_expr_dnat6(struct nftnl_rule *r, uint32_t port_reg);
int nft_expr_simple(struct nftnl_rule *r, const char *name);
int nft_expr_dynset_add(struct nftnl_rule *r, const char *set);
int nft_expr_daddr_loopback(struct nftnl_rule *r);
int nft_expr_if_in(struct nftnl_rule *r, uint32_t meta_key, const char *set, bool inv);
int nft_expr_drop(struct nftnl_rule *r, const char *counter);
int nft_expr_if_concat_not_in(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
			      const char *set);
int nft_expr_dhcp_discover(struct nftnl_rule *r);
int nft_expr_dhcp_server_drop(struct nftnl_rule *r);
int nft_expr_dhcp_ports_drop(struct nftnl_rule *r);

/* nft_elems.c */
void nft_key_if(struct nft_key *k, const char *ifname, const void *extra, uint32_t extra_len);
void nft_key_if_ip(struct nft_key *k, const char *ifname, uint32_t ip);
void nft_key_if_group(struct nft_key *k, const char *ifname, uint32_t group);
void nft_key_ip(struct nft_key *k, uint32_t ip);
void nft_key_ip6(struct nft_key *k, const struct in6_addr *ip);
unsigned nft_key_port(struct nft_key *k, const struct vmnet_port *p, uint32_t guest_ip);
unsigned nft_key_port6(struct nft_key *k, const struct vmnet_port *p, const struct in6_addr *guest);
/* Which maps port @p of @a goes to: bit 0 IPv4, bit 1 IPv6. */
unsigned nft_port_fams(const struct vmnet_nft_att *a, const struct vmnet_port *p);
bool nft_att_has6(const struct vmnet_nft_att *a);
/* Each of @atts, as every public call that takes attachments checks them:
 * CNI_ERR_INVALID_CONFIG naming what is wrong. */
int nft_atts_validate(const struct vmnet_nft_att *atts, size_t n, struct vmnet_err *err);
/* @skip_port: two per port, its IPv4 and its IPv6 key. */
size_t nft_att_elems(const struct vmnet_nft_att *a, bool add, const bool *skip_port,
		     uint32_t old_iso_id, struct nft_elem *out);
int nft_put_att(struct nft_batch *b, const struct vmnet_nft_att *a, enum vmnet_nft_op op,
		const bool *skip_port, uint32_t old_iso_id, bool excl_ports);
int nft_build_attach(struct nft_batch *b, const struct vmnet_nft_att *a, bool with_table,
		     uint32_t seq);
int nft_build_sync(struct nft_batch *b, const struct vmnet_nft_att *atts, size_t n_atts,
		   uint32_t seq);

/* A DESTROYSETELEM batch refused for a reason that one DELSETELEM per
 * element gets past: a set or table gone (ENOENT; DESTROY ignores only
 * missing elements), a kernel before 6.3 (EINVAL, EOPNOTSUPP). */
static inline bool nft_destroy_refused(int r)
{
	return r == -ENOENT || r == -EINVAL || r == -EOPNOTSUPP;
}

/* nft.c: one DELSETELEM batch per element, missing ones ignored */
int nft_del_elems_one_by_one(struct vmnet_nft *n, const struct nft_elem *el, size_t n_el,
			     struct vmnet_err *err);

/* nft_forget.c: does @e point at @guest_ip (0: none) or @guest_ip6 (NULL:
 * none) or is it keyed by @host_if (NULL: none)? The batch deleting those
 * of @el (*ret_n of them). */
struct nft_forget_what {
	uint32_t ip;
	const struct in6_addr *ip6;
	const char *host_if;
};
/* nft_snap.c: every element of every set of ours, each handed to @add with
 * its set's index (a missing table or set has none); the first error of
 * @add (or the kernel's) ends it. */
struct nft_raw_elem {
	const void *k, *d, *end; /* d, end: NULL if none */
	uint32_t klen, dlen, elen;
};
typedef int (*nft_elem_fn)(void *ctx, unsigned si, const struct nft_raw_elem *e);
int nft_dump_all(struct vmnet_nft *n, nft_elem_fn add, void *ctx);
/* From the handle's snapshot: the table (1, its version in *ret_version;
 * 0 missing), an element (1, its data copied; 0 missing); -ENODATA when
 * there is no snapshot, or for an interval set (ask the kernel). */
int nft_snap_table(const struct vmnet_nft *n, int *ret_version);
int nft_snap_get(const struct vmnet_nft *n, unsigned si, const struct nft_key *k,
		 uint8_t *ret_data, uint32_t *ret_dlen);

bool nft_forget_match(const struct nft_elem *e, const struct nft_forget_what *w);
int nft_forget_build(struct nft_batch *b, const struct nft_elem *el, size_t n_el,
		     const struct nft_forget_what *w, uint32_t seq, size_t *ret_n);

#endif
