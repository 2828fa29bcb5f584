/* SPDX-License-Identifier: MIT */
/*
 * nftables through libnftnl + libmnl (doc/how-it-works.md, "nftables").
 * Everything the kernel sees goes out as one NFNL batch per operation with NLM_F_ACK on every message,
 * so a failure names the message that caused it and the kernel rolls the
 * whole batch back. One batch may address both of our tables (inet and
 * bridge): the family is per message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "vmnet/inet.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "vmnet/nft.h"

/* Linux 6.3 added idempotent deletes; Debian 12's uapi headers predate it. */
#ifndef NFT_MSG_DESTROYTABLE
#define NFT_MSG_DESTROYTABLE 26
#endif
#ifndef NFT_MSG_DESTROYSETELEM
#define NFT_MSG_DESTROYSETELEM 30
#endif
/* linux/netfilter_bridge.h drags in linux/if.h, which clashes with net/if.h. */
#ifndef NF_BR_PRE_ROUTING
#define NF_BR_PRE_ROUTING 0
#endif
#ifndef NF_BR_FORWARD
#define NF_BR_FORWARD 2
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

/* Our named sets, indexes into sets[]. */
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

static void batch_free(struct batch *b)
{
	free(b->buf);
	free(b->msgs);
	memset(b, 0, sizeof(*b));
}

static int room(struct batch *b, size_t need)
{
	if (b->cap - b->len < need) {
		size_t cap = b->cap ? b->cap : 4 * MSG_ROOM;
		char *p;

		while (cap - b->len < need)
			cap *= 2;
		p = realloc(b->buf, cap);
		if (!p)
			return -ENOMEM;
		b->buf = p;
		b->cap = cap;
	}
	return 0;
}

static int batch_init(struct batch *b, uint32_t seq)
{
	memset(b, 0, sizeof(*b));
	b->seq0 = seq;
	b->seq = seq + 1;
	if (room(b, MSG_ROOM) < 0)
		return -ENOMEM;
	nftnl_batch_begin(b->buf, seq);
	b->len = MNL_ALIGN(((struct nlmsghdr *)b->buf)->nlmsg_len);
	return 0;
}

/* Start a message at the end of the batch: room for MSG_ROOM bytes. */
static struct nlmsghdr *msg_start(struct batch *b, int fam, uint16_t type, uint16_t flags,
				  const struct mdesc *d)
{
	if (room(b, MSG_ROOM) < 0)
		return NULL;
	if (b->n == b->cap_msgs) {
		size_t cap = b->cap_msgs ? 2 * b->cap_msgs : 64;
		struct mdesc *m = realloc(b->msgs, cap * sizeof(*m));

		if (!m)
			return NULL;
		b->msgs = m;
		b->cap_msgs = cap;
	}
	b->msgs[b->n++] = *d;
	return nftnl_nlmsg_build_hdr(b->buf + b->len, type, fam, flags | NLM_F_ACK, b->seq++);
}

static void msg_done(struct batch *b, struct nlmsghdr *nh)
{
	b->len += MNL_ALIGN(nh->nlmsg_len);
}

static int batch_finish(struct batch *b)
{
	struct nlmsghdr *nh;

	if (room(b, MSG_ROOM) < 0)
		return -ENOMEM;
	nh = nftnl_batch_end(b->buf + b->len, b->seq++);
	b->len += MNL_ALIGN(nh->nlmsg_len);
	return 0;
}

const char *vmnet_nft_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	}
	return NULL;
}

/* "tcp/8080" or "tcp/8080 on 192.0.2.1" */
static const char *port_fmt(const struct vmnet_nft_port *p, char *buf, size_t size)
{
	char ip[VMNET_ADDRSTRLEN];
	const char *name = vmnet_nft_proto_name(p->proto);

	if (p->host_ip)
		snprintf(buf, size, "%s/%u on %s", name ? name : "?", p->host_port,
			 vmnet_ip4_fmt(p->host_ip, ip));
	else
		snprintf(buf, size, "%s/%u", name ? name : "?", p->host_port);
	return buf;
}

/* ---- keys: each component of a concatenation takes a 4-byte register ---- */

struct key {
	uint8_t k[IFNAME_LEN + ETHER_LEN], d[8];
	uint32_t klen, dlen;
};

/* ifname [. 4-byte value | . ether_addr]; @extra may be NULL. */
static void key_if(struct key *k, const char *ifname, const void *extra, uint32_t extra_len)
{
	memset(k, 0, sizeof(*k));
	strncpy((char *)k->k, ifname, IFNAME_LEN - 1);
	k->klen = IFNAME_LEN;
	if (extra) {
		memcpy(k->k + IFNAME_LEN, extra, extra_len);
		k->klen += extra_len <= 4 ? 4 : ETHER_LEN;
	}
}

static void key_if_ip(struct key *k, const char *ifname, uint32_t ip)
{
	uint32_t be = htonl(ip);

	key_if(k, ifname, &be, 4);
}

/* Device groups are host-endian in registers (meta iifgroup). */
static void key_if_group(struct key *k, const char *ifname, uint32_t group)
{
	key_if(k, ifname, &group, 4);
}

static void key_ip(struct key *k, uint32_t ip)
{
	uint32_t be = htonl(ip);

	memset(k, 0, sizeof(*k));
	memcpy(k->k, &be, 4);
	k->klen = 4;
}

/* Returns the map's index: SI_PORTS4H with a host address, else SI_PORTS4. */
static unsigned key_port(struct key *k, const struct vmnet_nft_port *p, uint32_t guest_ip)
{
	uint32_t be = htonl(p->host_ip);
	uint16_t hp = htons(p->host_port), gp = htons(p->guest_port);
	uint8_t *o = k->k;

	memset(k, 0, sizeof(*k));
	if (p->host_ip) {
		memcpy(o, &be, 4);
		o += 4;
	}
	o[0] = p->proto;
	memcpy(o + 4, &hp, 2);
	k->klen = p->host_ip ? 12 : 8;
	be = htonl(guest_ip);
	memcpy(k->d, &be, 4);
	memcpy(k->d + 4, &gp, 2);
	k->dlen = 8;
	return p->host_ip ? SI_PORTS4H : SI_PORTS4;
}

/* ---- base ruleset ---- */

static struct nftnl_table *table_new(int fam, bool with_udata)
{
	struct nftnl_table *t = nftnl_table_alloc();
	char v[32];

	if (!t)
		return NULL;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, VMNET_NFT_TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, fam);
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, 0);
	if (with_udata) {
		/* A comment TLV, so `nft list` shows the version readably. */
		struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(64);

		if (!u)
			goto fail;
		snprintf(v, sizeof(v), "vmnet:%d", VMNET_NFT_VERSION);
		if (!nftnl_udata_put_strz(u, NFTNL_UDATA_TABLE_COMMENT, v) ||
		    nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(u),
					 nftnl_udata_buf_len(u)) < 0) {
			nftnl_udata_buf_free(u);
			goto fail;
		}
		nftnl_udata_buf_free(u);
	}
	return t;
fail:
	nftnl_table_free(t);
	return NULL;
}

static int put_table(struct batch *b, int fam, uint16_t type, uint16_t flags, bool with_udata)
{
	struct mdesc d = {.kind = M_TABLE, .fam = fam};
	struct nftnl_table *t = table_new(fam, with_udata);
	struct nlmsghdr *nh;

	if (!t)
		return -ENOMEM;
	nh = msg_start(b, fam, type, flags, &d);
	if (!nh) {
		nftnl_table_free(t);
		return -ENOMEM;
	}
	nftnl_table_nlmsg_build_payload(nh, t);
	msg_done(b, nh);
	nftnl_table_free(t);
	return 0;
}

struct chain_def {
	int fam;
	const char *name, *type;
	int hook; /* -1: regular chain */
	int prio;
};

/* The hooks; dnat4 is jumped to by prerouting and output so both share one
 * pair of lookups (and an ip6 twin becomes dnat6 beside it). antispoof runs
 * before conntrack (-300 < -200), so spoofed packets never create entries. */
static const struct chain_def chains[] = {
	{F_INET, "prerouting", "nat", NF_INET_PRE_ROUTING, -100},
	{F_INET, "output", "nat", NF_INET_LOCAL_OUT, -100},
	{F_INET, "postrouting", "nat", NF_INET_POST_ROUTING, 100},
	{F_INET, "forward", "filter", NF_INET_FORWARD, 0},
	{F_INET, C_DNAT4, NULL, -1, 0},
	{F_INET, C_ANTISPOOF, "filter", NF_INET_PRE_ROUTING, -300},
	{F_INET, "input", "filter", NF_INET_LOCAL_IN, 0},
	{F_BRIDGE, C_ANTISPOOF, "filter", NF_BR_PRE_ROUTING, -200},
	{F_BRIDGE, "forward", "filter", NF_BR_FORWARD, -200},
};

static int put_chain(struct batch *b, const struct chain_def *c)
{
	struct mdesc d = {.kind = M_OTHER};
	struct nftnl_chain *ch = nftnl_chain_alloc();
	struct nlmsghdr *nh;

	if (!ch)
		return -ENOMEM;
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, VMNET_NFT_TABLE);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, c->name);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, c->fam);
	if (c->hook >= 0) {
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, c->type);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, c->hook);
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, c->prio);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nh = msg_start(b, c->fam, NFT_MSG_NEWCHAIN, NLM_F_CREATE, &d);
	if (!nh) {
		nftnl_chain_free(ch);
		return -ENOMEM;
	}
	nftnl_chain_nlmsg_build_payload(nh, ch);
	msg_done(b, nh);
	nftnl_chain_free(ch);
	return 0;
}

struct set_def {
	int fam;
	const char *name;
	uint32_t flags, ktype, klen, dtype, dlen;
};

#define IF_IP4 DT_CONCAT2(DT_IFNAME, DT_IPADDR), IFNAME_LEN + 4
#define IF_MAC DT_CONCAT2(DT_IFNAME, DT_ETHERADDR), IFNAME_LEN + ETHER_LEN

static const struct set_def sets[SI_N] = {
	[SI_GUESTS4] = {F_INET, S_GUESTS4, 0, DT_IPADDR, 4, 0, 0},
	[SI_MASQ4] = {F_INET, S_MASQ4, 0, DT_IPADDR, 4, 0, 0},
	[SI_PORTS4] = {F_INET, S_PORTS4, NFT_SET_MAP, DT_CONCAT2(DT_INET_PROTO, DT_INET_SERVICE), 8,
		       DT_CONCAT2(DT_IPADDR, DT_INET_SERVICE), 8},
	[SI_PORTS4H] = {F_INET, S_PORTS4H, NFT_SET_MAP,
			DT_CONCAT3(DT_IPADDR, DT_INET_PROTO, DT_INET_SERVICE), 12,
			DT_CONCAT2(DT_IPADDR, DT_INET_SERVICE), 8},
	[SI_ISO_IFS] = {F_INET, S_ISO_IFS, 0, DT_IFNAME, IFNAME_LEN, 0, 0},
	[SI_SPOOF4] = {F_INET, S_SPOOF4, 0, IF_IP4, 0, 0},
	[SI_SPOOFMAC] = {F_INET, S_SPOOFMAC, 0, IF_MAC, 0, 0},
	[SI_ISO_GRP] = {F_INET, S_ISO_GRP, NFT_SET_MAP, DT_IFNAME, IFNAME_LEN, DT_DEVGROUP, 4},
	[SI_ISO_MEMBERS] = {F_INET, S_ISO_MEMBERS, 0, DT_CONCAT2(DT_IFNAME, DT_DEVGROUP),
			    IFNAME_LEN + 4, 0, 0},
	[SI_HOST_OPEN] = {F_INET, S_HOST_OPEN, 0, DT_IFNAME, IFNAME_LEN, 0, 0},
	[SI_PORTS] = {F_BRIDGE, S_PORTS, 0, DT_IFNAME, IFNAME_LEN, 0, 0},
	[SI_PORT_MAC] = {F_BRIDGE, S_PORT_MAC, 0, IF_MAC, 0, 0},
	[SI_PORT_IP4] = {F_BRIDGE, S_PORT_IP4, 0, IF_IP4, 0, 0},
	[SI_GUEST_NET] = {F_INET, S_GUEST_NET, 0, IF_IP4, 0, 0}, /* bridge . guest ip */
	[SI_CLOSED4] = {F_INET, S_CLOSED4, 0, DT_IPADDR, 4, 0, 0},
};

static struct nftnl_set *set_ref(int fam, const char *name, uint32_t id)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, VMNET_NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, fam);
	if (id)
		nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	return s;
}

/* nft prints a key or data by the byte order it records in the set's
 * userdata (1 host, 2 big endian); without it, groups would show swapped. */
static int set_byteorder(struct nftnl_set *s, const struct set_def *sd)
{
	struct nftnl_udata_buf *u;
	int ret = 0;

	if (sd->ktype != DT_IFNAME)
		return 0;
	u = nftnl_udata_buf_alloc(32);
	if (!u)
		return -ENOMEM;
	if (!nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, 1) ||
	    !nftnl_udata_put_u32(u, NFTNL_UDATA_SET_DATABYTEORDER, 1) ||
	    nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u),
			       nftnl_udata_buf_len(u)) < 0)
		ret = -ENOMEM;
	nftnl_udata_buf_free(u);
	return ret;
}

static int put_set(struct batch *b, const struct set_def *sd, uint32_t id)
{
	struct mdesc d = {.kind = M_SET, .set = sd->name};
	struct nftnl_set *s = set_ref(sd->fam, sd->name, id);
	struct nlmsghdr *nh;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, sd->flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, sd->ktype);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, sd->klen);
	if (sd->flags & NFT_SET_MAP) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, sd->dtype);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, sd->dlen);
	}
	if (sd->flags & NFT_SET_ANONYMOUS)
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, 3);
	if (set_byteorder(s, sd) < 0) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nh = msg_start(b, sd->fam, NFT_MSG_NEWSET, NLM_F_CREATE, &d);
	if (!nh) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nftnl_set_nlmsg_build_payload(nh, s);
	msg_done(b, nh);
	nftnl_set_free(s);
	return 0;
}

/* One NEWSETELEM/DELSETELEM message with @n keys for set @name. */
static int put_elems(struct batch *b, int fam, uint16_t type, uint16_t flags, const char *name,
		     uint32_t id, const struct key *keys, size_t n, const struct mdesc *d)
{
	struct nftnl_set *s = set_ref(fam, name, id);
	struct nlmsghdr *nh;

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();

		if (!e) {
			nftnl_set_free(s);
			return -ENOMEM;
		}
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, keys[i].k, keys[i].klen);
		if (keys[i].dlen && type == NFT_MSG_NEWSETELEM)
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, keys[i].d, keys[i].dlen);
		nftnl_set_elem_add(s, e);
	}
	nh = msg_start(b, fam, type, flags, d);
	if (!nh) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nftnl_set_elems_nlmsg_build_payload(nh, s);
	msg_done(b, nh);
	nftnl_set_free(s);
	return 0;
}

/* A named counter, so tests and admins can read what was dropped. */
static int put_counter(struct batch *b, int fam, const char *name)
{
	struct mdesc d = {.kind = M_OTHER};
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nh;

	if (!o)
		return -ENOMEM;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, VMNET_NFT_TABLE);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, fam);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	/* The kernel wants NFTA_OBJ_DATA; zeroed counts fill it. */
	nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_PKTS, 0);
	nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_BYTES, 0);
	nh = msg_start(b, fam, NFT_MSG_NEWOBJ, NLM_F_CREATE, &d);
	if (!nh) {
		nftnl_obj_free(o);
		return -ENOMEM;
	}
	nftnl_obj_nlmsg_build_payload(nh, o);
	msg_done(b, nh);
	nftnl_obj_free(o);
	return 0;
}

/* ---- expressions, as `nft --debug=netlink` compiles them ---- */

static struct nftnl_expr *ex(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (e)
		nftnl_rule_add_expr(r, e);
	return e;
}

static int ex_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = ex(r, "meta");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	return 0;
}

static int ex_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = ex(r, "cmp");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	return 0;
}

static int ex_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
		      uint32_t dreg)
{
	struct nftnl_expr *e = ex(r, "payload");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	return 0;
}

/* lookup of the key starting at @sreg; a map's data goes to @dreg (0: a set). */
static int ex_lookup_reg(struct nftnl_rule *r, const char *set, uint32_t id, uint32_t sreg,
			 uint32_t dreg, bool inv)
{
	struct nftnl_expr *e = ex(r, "lookup");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	if (id)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id);
	if (dreg)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
	if (inv)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	return 0;
}

static int ex_lookup(struct nftnl_rule *r, const char *set, uint32_t id, bool map, bool inv)
{
	return ex_lookup_reg(r, set, id, NFT_REG_1, map ? NFT_REG_1 : 0, inv);
}

/* counter name @name */
static int ex_objref(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = ex(r, "objref");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
	nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name);
	return 0;
}

/* meta nfproto ipv4 */
static int ex_ipv4(struct nftnl_rule *r)
{
	uint8_t v = NFPROTO_IPV4;

	return ex_meta(r, NFT_META_NFPROTO, NFT_REG_1) ?: ex_cmp(r, NFT_CMP_EQ, &v, 1);
}

/* ct <key> & mask != 0 */
static int ex_ct_bits(struct nftnl_rule *r, uint32_t key, uint32_t mask)
{
	uint32_t zero = 0;
	struct nftnl_expr *e = ex(r, "ct");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	e = ex(r, "bitwise");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	return ex_cmp(r, NFT_CMP_NEQ, &zero, 4);
}

/* fib daddr type local */
static int ex_fib_local(struct nftnl_rule *r)
{
	uint32_t local = RTN_LOCAL;
	struct nftnl_expr *e = ex(r, "fib");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	return ex_cmp(r, NFT_CMP_EQ, &local, 4);
}

static int ex_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = ex(r, "immediate");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdict);
	if (chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	return 0;
}

/* dnat ip to <addr in reg 1> : <port in reg32_01> */
static int ex_dnat4(struct nftnl_rule *r)
{
	struct nftnl_expr *e = ex(r, "nat");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG32_01);
	return 0;
}

static int ex_simple(struct nftnl_rule *r, const char *name)
{
	return ex(r, name) ? 0 : -ENOMEM;
}

#define IP4_SADDR 12
#define IP4_DADDR 16

/* meta l4proto { tcp, udp, sctp } fib daddr type local jump dnat4 */
static int rule_to_dnat(struct nftnl_rule *r, uint32_t anon_id)
{
	return ex_meta(r, NFT_META_L4PROTO, NFT_REG_1) ?:
	       ex_lookup(r, "__set%d", anon_id, false, false) ?:
	       ex_fib_local(r) ?:
	       ex_verdict(r, NFT_JUMP, C_DNAT4);
}

/* ip daddr 127.0.0.0/8 (the first byte, as nft compiles a /8) */
static int ex_daddr_loopback(struct nftnl_rule *r)
{
	uint8_t lo = 127;

	return ex_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_DADDR, 1, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_EQ, &lo, 1);
}

/*
 * meta nfproto ipv4 ip daddr 127.0.0.0/8 return: published ports on
 * 127.0.0.1 (and, with localhostPorts, every published port on the
 * loopback) are for host clients, whose packets are DNAT'd at the output
 * hook. At prerouting a loopback destination comes from a guest or from a
 * neighbour, and DNAT there would happen before the kernel's martian check.
 */
static int rule_pre_loopback(struct nftnl_rule *r, uint32_t unused)
{
	return ex_ipv4(r) ?: ex_daddr_loopback(r) ?: ex_verdict(r, NFT_RETURN, NULL);
}

/* The host-address map first, so a specific hostIP wins over a wildcard:
 * dnat ip to ip daddr . meta l4proto . th dport map @ports4h */
static int rule_dnat4_host(struct nftnl_rule *r, uint32_t unused)
{
	return ex_ipv4(r) ?:
	       ex_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_DADDR, 4, NFT_REG_1) ?:
	       ex_meta(r, NFT_META_L4PROTO, NFT_REG32_01) ?:
	       ex_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_02) ?:
	       ex_lookup(r, S_PORTS4H, 0, true, false) ?:
	       ex_dnat4(r);
}

/* dnat ip to meta l4proto . th dport map @ports4 */
static int rule_dnat4_any(struct nftnl_rule *r, uint32_t unused)
{
	return ex_ipv4(r) ?:
	       ex_meta(r, NFT_META_L4PROTO, NFT_REG_1) ?:
	       ex_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01) ?:
	       ex_lookup(r, S_PORTS4, 0, true, false) ?:
	       ex_dnat4(r);
}

/* Hairpin (VM -> host:port -> VM): ct status dnat ip saddr @guests4 masquerade */
static int rule_masq_hairpin(struct nftnl_rule *r, uint32_t unused)
{
	return ex_ct_bits(r, NFT_CT_STATUS, IPS_DST_NAT_BIT) ?:
	       ex_ipv4(r) ?:
	       ex_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 4, NFT_REG_1) ?:
	       ex_lookup(r, S_GUESTS4, 0, false, false) ?:
	       ex_simple(r, "masq");
}

/* Published ports reached from localhost: ip saddr 127.0.0.0/8 ct status dnat masquerade */
static int rule_masq_local(struct nftnl_rule *r, uint32_t unused)
{
	uint8_t lo = 127;

	return ex_ipv4(r) ?:
	       ex_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 1, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_EQ, &lo, 1) ?:
	       ex_ct_bits(r, NFT_CT_STATUS, IPS_DST_NAT_BIT) ?:
	       ex_simple(r, "masq");
}

/* ip saddr @masq4 ip daddr != @guests4 masquerade: bridged VM-to-VM frames
 * (bridge netfilter) and routed guest-to-guest traffic keep their source. */
static int rule_masq_out(struct nftnl_rule *r, uint32_t unused)
{
	return ex_ipv4(r) ?:
	       ex_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 4, NFT_REG_1) ?:
	       ex_lookup(r, S_MASQ4, 0, false, false) ?:
	       ex_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_DADDR, 4, NFT_REG_1) ?:
	       ex_lookup(r, S_GUESTS4, 0, false, true) ?:
	       ex_simple(r, "masq");
}

/* ct state established,related counter accept */
static int rule_fwd_est(struct nftnl_rule *r, uint32_t unused)
{
	return ex_ct_bits(r, NFT_CT_STATE, CT_STATE_EST_REL) ?:
	       ex_simple(r, "counter") ?:
	       ex_verdict(r, NF_ACCEPT, NULL);
}

/* ct state established,related accept (input: no counter) */
static int rule_est(struct nftnl_rule *r, uint32_t unused)
{
	return ex_ct_bits(r, NFT_CT_STATE, CT_STATE_EST_REL) ?: ex_verdict(r, NF_ACCEPT, NULL);
}

/* ---- isolation and anti-spoofing (inet vmnet) ---- */

#define ETH_SADDR 6
#define ETH_TYPE 12
#define ARP_SHA 8
#define ARP_SPA 14

/* [meta iifname|oifname => reg 1] lookup reg 1 @set [inverted] */
static int ex_if_in(struct nftnl_rule *r, uint32_t meta_key, const char *set, bool inv)
{
	return ex_meta(r, meta_key, NFT_REG_1) ?: ex_lookup(r, set, 0, false, inv);
}

static int ex_drop(struct nftnl_rule *r, const char *counter)
{
	return ex_objref(r, counter) ?: ex_verdict(r, NF_DROP, NULL);
}

/* iifname . <@len bytes at @base+@off> != @set: key in reg 1 (16 bytes of
 * ifname) and reg 2 onwards; the kernel zeroes the padding of a short load. */
static int ex_if_concat_not_in(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
			       const char *set)
{
	return ex_meta(r, NFT_META_IIFNAME, NFT_REG_1) ?:
	       ex_payload(r, base, off, len, NFT_REG_2) ?:
	       ex_lookup(r, set, 0, false, true);
}

/* iifname @iso_ifs iifname . ether saddr != @spoofmac counter name spoof_drop drop
 * (in the inet family, ether saddr comes with meta iiftype ether: without
 * it nft shows a raw @ll load that it cannot read back) */
static int rule_iso_mac(struct nftnl_rule *r, uint32_t unused)
{
	uint16_t ether = ARPHRD_ETHER;

	return ex_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?:
	       ex_meta(r, NFT_META_IIFTYPE, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_EQ, &ether, 2) ?:
	       ex_if_concat_not_in(r, NFT_PAYLOAD_LL_HEADER, ETH_SADDR, 6, S_SPOOFMAC) ?:
	       ex_drop(r, O_SPOOF);
}

/* ip saddr 0.0.0.0 udp dport 67: a DHCP client without an address yet */
static int ex_dhcp_discover(struct nftnl_rule *r)
{
	uint32_t any = 0;
	uint8_t udp = IPPROTO_UDP;
	uint16_t bootps = htons(67);

	return ex_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 4, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_EQ, &any, 4) ?:
	       ex_meta(r, NFT_META_L4PROTO, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_EQ, &udp, 1) ?:
	       ex_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_EQ, &bootps, 2);
}

/* iifname @iso_ifs meta nfproto ipv4 ip saddr 0.0.0.0 udp dport 67 accept:
 * only DHCP may come from no address (the host answers it; it is not
 * routed anywhere useful), everything else must pass spoof4. */
static int rule_iso_dhcp(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?:
	       ex_ipv4(r) ?:
	       ex_dhcp_discover(r) ?:
	       ex_verdict(r, NF_ACCEPT, NULL);
}

/* iifname @iso_ifs meta nfproto ipv4 iifname . ip saddr != @spoof4 counter name spoof_drop drop */
static int rule_iso_ip(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?:
	       ex_ipv4(r) ?:
	       ex_if_concat_not_in(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 4, S_SPOOF4) ?:
	       ex_drop(r, O_SPOOF);
}

/* udp sport 67 counter name dhcp_server_drop drop */
static int ex_dhcp_server_drop(struct nftnl_rule *r)
{
	uint8_t udp = IPPROTO_UDP;
	uint16_t bootps = htons(67);

	return ex_meta(r, NFT_META_L4PROTO, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_EQ, &udp, 1) ?:
	       ex_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_EQ, &bootps, 2) ?:
	       ex_drop(r, O_DHCP);
}

/* udp dport 67-68 counter name dhcp_server_drop drop */
static int ex_dhcp_ports_drop(struct nftnl_rule *r)
{
	uint8_t udp = IPPROTO_UDP;
	uint16_t bootps = htons(67), bootpc = htons(68);

	return ex_meta(r, NFT_META_L4PROTO, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_EQ, &udp, 1) ?:
	       ex_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_GTE, &bootps, 2) ?:
	       ex_cmp(r, NFT_CMP_LTE, &bootpc, 2) ?:
	       ex_drop(r, O_DHCP);
}

/* iifname @iso_ifs udp sport 67 counter name dhcp_server_drop drop: DHCP
 * answers come from the host (netd), never from a guest */
static int rule_iso_dhcp_server(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?: ex_dhcp_server_drop(r);
}

/* iifname @iso_ifs oifname @iso_ifs udp dport 67-68 counter name
 * dhcp_server_drop drop: not even guests of one group talk DHCP to each
 * other (a client on a raw socket takes an offer from any source port) */
static int rule_fwd_iso_dhcp(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?:
	       ex_if_in(r, NFT_META_OIFNAME, S_ISO_IFS, false) ?:
	       ex_dhcp_ports_drop(r);
}

/* iifname @iso_ifs meta nfproto ipv4 ip daddr 127.0.0.0/8 counter name
 * loopback_drop drop: with localhostPorts the link has route_localnet, and
 * the host's loopback services are not the guest's */
static int rule_iso_loopback(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?:
	       ex_ipv4(r) ?:
	       ex_daddr_loopback(r) ?:
	       ex_drop(r, O_LOOPBACK);
}

/* iifname @iso_ifs meta nfproto ipv6 counter name iso_drop drop (no IPv6 yet;
 * ARP never reaches inet hooks) */
static int rule_iso_ip6(struct nftnl_rule *r, uint32_t unused)
{
	uint8_t v = NFPROTO_IPV6;

	return ex_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?:
	       ex_meta(r, NFT_META_NFPROTO, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_EQ, &v, 1) ?:
	       ex_drop(r, O_ISO);
}

/* ct status dnat accept: published ports stay reachable from everywhere,
 * isolated guests included, like for any outside client. */
static int rule_fwd_dnat(struct nftnl_rule *r, uint32_t unused)
{
	return ex_ct_bits(r, NFT_CT_STATUS, IPS_DST_NAT_BIT) ?: ex_verdict(r, NF_ACCEPT, NULL);
}

/*
 * iifname @iso_ifs oifname @iso_ifs oifname . iifgroup @iso_members accept
 *
 * The host end of an isolated link carries its isolation group as its
 * device group (attach.c), so "the incoming link is in the outgoing link's
 * group" is one lookup of oifname . iifgroup, in a form nft prints and
 * reads back (a map lookup inside a concatenation is neither).
 */
static int rule_fwd_group(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?:
	       ex_if_in(r, NFT_META_OIFNAME, S_ISO_IFS, false) ?:
	       ex_meta(r, NFT_META_OIFNAME, NFT_REG_1) ?:
	       ex_meta(r, NFT_META_IIFGROUP, NFT_REG_2) ?:
	       ex_lookup(r, S_ISO_MEMBERS, 0, false, false) ?:
	       ex_verdict(r, NF_ACCEPT, NULL);
}

/* iifname @iso_ifs oifname @iso_ifs counter name iso_drop drop */
static int rule_fwd_iso_iso(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?:
	       ex_if_in(r, NFT_META_OIFNAME, S_ISO_IFS, false) ?:
	       ex_drop(r, O_ISO);
}

/* iifname @iso_ifs ip daddr @guests4 counter name iso_drop drop: an isolated
 * guest reaches other networks' guests only through published ports. */
static int rule_fwd_iso_out(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, false) ?:
	       ex_ipv4(r) ?:
	       ex_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_DADDR, 4, NFT_REG_1) ?:
	       ex_lookup(r, S_GUESTS4, 0, false, false) ?:
	       ex_drop(r, O_ISO);
}

/* oifname @iso_ifs ip saddr @guests4 counter name iso_drop drop: and no
 * other guest reaches an isolated one directly. */
static int rule_fwd_iso_in(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_in(r, NFT_META_OIFNAME, S_ISO_IFS, false) ?:
	       ex_ipv4(r) ?:
	       ex_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 4, NFT_REG_1) ?:
	       ex_lookup(r, S_GUESTS4, 0, false, false) ?:
	       ex_drop(r, O_ISO);
}

/*
 * ip saddr @guests4 ip daddr @guests4 oifname . ip saddr != @guest_net
 *	counter name iso_drop drop
 *
 * Shared networks are isolated from each other: guest to guest traffic
 * leaving through a bridge is allowed only from a guest of that bridge's
 * network. With bridge netfilter, traffic inside one network shows here
 * with oifname = its bridge (allowed); between two networks it is routed
 * out of the other bridge (dropped). Published ports were accepted above.
 */
static int rule_fwd_net(struct nftnl_rule *r, uint32_t unused)
{
	return ex_ipv4(r) ?:
	       ex_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 4, NFT_REG_1) ?:
	       ex_lookup(r, S_GUESTS4, 0, false, false) ?:
	       ex_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_DADDR, 4, NFT_REG_1) ?:
	       ex_lookup(r, S_GUESTS4, 0, false, false) ?:
	       ex_meta(r, NFT_META_OIFNAME, NFT_REG_1) ?:
	       ex_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 4, NFT_REG_2) ?:
	       ex_lookup(r, S_GUEST_NET, 0, false, true) ?:
	       ex_drop(r, O_ISO);
}

/*
 * ip daddr @closed4 iifname . ip saddr != @guest_net counter name inbound_drop drop
 *
 * Guests behind NAT (ipMasq without routedInbound) take no connection
 * routed to their address from outside: a host that routes the guest
 * subnet via this one would otherwise reach every guest port. Replies and
 * published ports were accepted above; the host's own traffic does not
 * pass the forward hook. What is left from a guest is traffic inside its
 * bridge (bridge netfilter: iifname is the bridge, the source one of its
 * guests); an isolated guest's was accepted (its group) or dropped above.
 */
static int rule_fwd_closed(struct nftnl_rule *r, uint32_t unused)
{
	return ex_ipv4(r) ?:
	       ex_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_DADDR, 4, NFT_REG_1) ?:
	       ex_lookup(r, S_CLOSED4, 0, false, false) ?:
	       ex_meta(r, NFT_META_IIFNAME, NFT_REG_1) ?:
	       ex_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 4, NFT_REG_2) ?:
	       ex_lookup(r, S_GUEST_NET, 0, false, true) ?:
	       ex_drop(r, O_INBOUND);
}

/* iifname != @iso_ifs accept: the input chain polices isolated links only */
static int rule_in_other(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_in(r, NFT_META_IIFNAME, S_ISO_IFS, true) ?: ex_verdict(r, NF_ACCEPT, NULL);
}

/* iifname @host_open accept */
static int rule_in_open(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_in(r, NFT_META_IIFNAME, S_HOST_OPEN, false) ?:
	       ex_verdict(r, NF_ACCEPT, NULL);
}

/* meta l4proto <proto> [th dport <port>] accept */
static int rule_in_service(struct nftnl_rule *r, uint8_t proto, uint16_t port)
{
	uint16_t be = htons(port);
	int ret = ex_meta(r, NFT_META_L4PROTO, NFT_REG_1) ?: ex_cmp(r, NFT_CMP_EQ, &proto, 1);

	if (!ret && port)
		ret = ex_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1) ?:
		      ex_cmp(r, NFT_CMP_EQ, &be, 2);
	return ret ?: ex_verdict(r, NF_ACCEPT, NULL);
}

static int rule_in_icmp(struct nftnl_rule *r, uint32_t unused)
{
	return rule_in_service(r, IPPROTO_ICMP, 0);
}

static int rule_in_dhcp(struct nftnl_rule *r, uint32_t unused)
{
	return rule_in_service(r, IPPROTO_UDP, 67);
}

static int rule_in_dns_udp(struct nftnl_rule *r, uint32_t unused)
{
	return rule_in_service(r, IPPROTO_UDP, 53);
}

static int rule_in_dns_tcp(struct nftnl_rule *r, uint32_t unused)
{
	return rule_in_service(r, IPPROTO_TCP, 53);
}

/* counter name iso_drop drop (everything else from an isolated link) */
static int rule_iso_drop(struct nftnl_rule *r, uint32_t unused)
{
	return ex_drop(r, O_ISO);
}

/* ---- anti-spoofing on bridge ports (bridge vmnet) ---- */

/* ether type <@type>: read from the frame, so a VLAN tag the driver moved
 * into metadata still shows as 0x8100 and never passes as IPv4 or ARP */
static int ex_ether_type(struct nftnl_rule *r, uint16_t type)
{
	uint16_t be = htons(type);

	return ex_payload(r, NFT_PAYLOAD_LL_HEADER, ETH_TYPE, 2, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_EQ, &be, 2);
}

/* iifname != @ports accept: not a guest's port */
static int rule_br_other(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_in(r, NFT_META_IIFNAME, S_PORTS, true) ?: ex_verdict(r, NF_ACCEPT, NULL);
}

/* iifname . ether saddr != @port_mac counter name spoof_drop drop */
static int rule_br_mac(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_concat_not_in(r, NFT_PAYLOAD_LL_HEADER, ETH_SADDR, 6, S_PORT_MAC) ?:
	       ex_drop(r, O_SPOOF);
}

/* ether type != ip ether type != arp counter name spoof_drop drop: VLAN
 * tags (the payload shows the tag even when the kernel moved it into
 * metadata), IPv6 (not supported yet) and any other ethertype. After this,
 * meta protocol and ether type agree, so the rules below may use the
 * dependency nft itself compiles for ip (meta protocol): what nft lists,
 * it reads back into the same bytecode. */
static int rule_br_types(struct nftnl_rule *r, uint32_t unused)
{
	uint16_t ip = htons(0x0800), arp = htons(0x0806);

	return ex_payload(r, NFT_PAYLOAD_LL_HEADER, ETH_TYPE, 2, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_NEQ, &ip, 2) ?:
	       ex_payload(r, NFT_PAYLOAD_LL_HEADER, ETH_TYPE, 2, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_NEQ, &arp, 2) ?:
	       ex_drop(r, O_SPOOF);
}

/* meta protocol ip, as nft compiles the dependency of ip in the bridge family */
static int ex_meta_ip(struct nftnl_rule *r)
{
	uint16_t ip = htons(0x0800);

	return ex_meta(r, NFT_META_PROTOCOL, NFT_REG_1) ?: ex_cmp(r, NFT_CMP_EQ, &ip, 2);
}

/* ip daddr 127.0.0.0/8 counter name loopback_drop drop: as rule_iso_loopback,
 * for the bridge of a shared network */
static int rule_br_loopback(struct nftnl_rule *r, uint32_t unused)
{
	return ex_meta_ip(r) ?: ex_daddr_loopback(r) ?: ex_drop(r, O_LOOPBACK);
}

/* udp sport 67 counter name dhcp_server_drop drop: no guest answers DHCP */
static int rule_br_dhcp_server(struct nftnl_rule *r, uint32_t unused)
{
	return ex_dhcp_server_drop(r);
}

/* bridge forward: iifname @ports oifname @ports udp dport 67-68 counter
 * name dhcp_server_drop drop. Frames between two guests' ports: a client's
 * broadcast reaches no rogue server, a forged offer no client. The host
 * (netd) still gets the requests (bridge input) and answers (bridge output). */
static int rule_br_fwd_dhcp(struct nftnl_rule *r, uint32_t unused)
{
	return ex_if_in(r, NFT_META_IIFNAME, S_PORTS, false) ?:
	       ex_if_in(r, NFT_META_OIFNAME, S_PORTS, false) ?:
	       ex_dhcp_ports_drop(r);
}

/* ip saddr 0.0.0.0 udp dport 67 accept */
static int rule_br_dhcp(struct nftnl_rule *r, uint32_t unused)
{
	return ex_meta_ip(r) ?: ex_dhcp_discover(r) ?: ex_verdict(r, NF_ACCEPT, NULL);
}

/* iifname . ip saddr != @port_ip4 counter name spoof_drop drop */
static int rule_br_ip(struct nftnl_rule *r, uint32_t unused)
{
	return ex_meta_ip(r) ?:
	       ex_if_concat_not_in(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 4, S_PORT_IP4) ?:
	       ex_drop(r, O_SPOOF);
}

/* ether type arp arp saddr ip != 0.0.0.0 iifname . arp saddr ip != @port_ip4
 * counter name spoof_drop drop: no ARP claiming another address (a probe
 * from 0.0.0.0 updates no neighbour table) */
static int rule_br_arp_ip(struct nftnl_rule *r, uint32_t unused)
{
	uint32_t any = 0;

	return ex_ether_type(r, 0x0806) ?:
	       ex_payload(r, NFT_PAYLOAD_NETWORK_HEADER, ARP_SPA, 4, NFT_REG_1) ?:
	       ex_cmp(r, NFT_CMP_NEQ, &any, 4) ?:
	       ex_if_concat_not_in(r, NFT_PAYLOAD_NETWORK_HEADER, ARP_SPA, 4, S_PORT_IP4) ?:
	       ex_drop(r, O_SPOOF);
}

/* ether type arp iifname . arp saddr ether != @port_mac counter name spoof_drop drop */
static int rule_br_arp_mac(struct nftnl_rule *r, uint32_t unused)
{
	return ex_ether_type(r, 0x0806) ?:
	       ex_if_concat_not_in(r, NFT_PAYLOAD_NETWORK_HEADER, ARP_SHA, 6, S_PORT_MAC) ?:
	       ex_drop(r, O_SPOOF);
}

static int rule_br_ip_ok(struct nftnl_rule *r, uint32_t unused)
{
	return ex_ether_type(r, 0x0800) ?: ex_verdict(r, NF_ACCEPT, NULL);
}

static int rule_br_arp_ok(struct nftnl_rule *r, uint32_t unused)
{
	return ex_ether_type(r, 0x0806) ?: ex_verdict(r, NF_ACCEPT, NULL);
}

/* counter name spoof_drop drop: nothing else from a guest port (rule_br_types
 * dropped other ethertypes already) */
static int rule_br_rest(struct nftnl_rule *r, uint32_t unused)
{
	return ex_drop(r, O_SPOOF);
}

static int put_rule(struct batch *b, int fam, const char *chain,
		    int (*fill)(struct nftnl_rule *, uint32_t), uint32_t anon_id)
{
	struct mdesc d = {.kind = M_OTHER};
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nh;
	int ret;

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, VMNET_NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, fam);
	ret = fill(r, anon_id);
	if (ret < 0)
		goto out;
	ret = -ENOMEM;
	nh = msg_start(b, fam, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, &d);
	if (!nh)
		goto out;
	nftnl_rule_nlmsg_build_payload(nh, r);
	msg_done(b, nh);
	ret = 0;
out:
	nftnl_rule_free(r);
	return ret;
}

/* An anonymous constant set { tcp, udp, sctp } bound to the next rule. */
static int put_l4_set(struct batch *b, uint32_t *ret_id)
{
	static const struct set_def l4 = {
		F_INET, "__set%d", NFT_SET_ANONYMOUS | NFT_SET_CONSTANT, DT_INET_PROTO, 1, 0, 0};
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP};
	struct mdesc d = {.kind = M_OTHER};
	struct key keys[ARRAY_SIZE(protos)];
	uint32_t id = ++b->set_id;
	int ret;

	memset(keys, 0, sizeof(keys));
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++) {
		keys[i].k[0] = protos[i];
		keys[i].klen = 1;
	}
	ret = put_set(b, &l4, id);
	if (ret < 0)
		return ret;
	ret = put_elems(b, F_INET, NFT_MSG_NEWSETELEM, NLM_F_CREATE, l4.name, id, keys,
			ARRAY_SIZE(keys), &d);
	if (ret < 0)
		return ret;
	*ret_id = id;
	return 0;
}

typedef int (*rule_fill)(struct nftnl_rule *, uint32_t);

struct rule_def {
	int fam;
	const char *chain;
	rule_fill fill;
};

/* Every rule after the two DNAT entries (which need an anonymous set each),
 * in order per chain. */
static const struct rule_def rules[] = {
	{F_INET, C_DNAT4, rule_dnat4_host},
	{F_INET, C_DNAT4, rule_dnat4_any},
	{F_INET, "postrouting", rule_masq_hairpin},
	{F_INET, "postrouting", rule_masq_local},
	{F_INET, "postrouting", rule_masq_out},
	{F_INET, "forward", rule_fwd_est},
	{F_INET, "forward", rule_fwd_dnat},
	{F_INET, "forward", rule_fwd_iso_dhcp},
	{F_INET, "forward", rule_fwd_group},
	{F_INET, "forward", rule_fwd_iso_iso},
	{F_INET, "forward", rule_fwd_iso_out},
	{F_INET, "forward", rule_fwd_iso_in},
	{F_INET, "forward", rule_fwd_net},
	{F_INET, "forward", rule_fwd_closed},
	{F_INET, C_ANTISPOOF, rule_iso_mac},
	{F_INET, C_ANTISPOOF, rule_iso_loopback},
	{F_INET, C_ANTISPOOF, rule_iso_dhcp_server},
	{F_INET, C_ANTISPOOF, rule_iso_dhcp},
	{F_INET, C_ANTISPOOF, rule_iso_ip},
	{F_INET, C_ANTISPOOF, rule_iso_ip6},
	{F_INET, "input", rule_in_other},
	{F_INET, "input", rule_est},
	{F_INET, "input", rule_in_open},
	{F_INET, "input", rule_in_icmp},
	{F_INET, "input", rule_in_dhcp},
	{F_INET, "input", rule_in_dns_udp},
	{F_INET, "input", rule_in_dns_tcp},
	{F_INET, "input", rule_iso_drop},
	{F_BRIDGE, C_ANTISPOOF, rule_br_other},
	{F_BRIDGE, C_ANTISPOOF, rule_br_mac},
	{F_BRIDGE, C_ANTISPOOF, rule_br_types},
	{F_BRIDGE, C_ANTISPOOF, rule_br_loopback},
	{F_BRIDGE, C_ANTISPOOF, rule_br_dhcp_server},
	{F_BRIDGE, C_ANTISPOOF, rule_br_dhcp},
	{F_BRIDGE, C_ANTISPOOF, rule_br_ip},
	{F_BRIDGE, C_ANTISPOOF, rule_br_ip_ok},
	{F_BRIDGE, C_ANTISPOOF, rule_br_arp_ip},
	{F_BRIDGE, C_ANTISPOOF, rule_br_arp_mac},
	{F_BRIDGE, C_ANTISPOOF, rule_br_arp_ok},
	{F_BRIDGE, C_ANTISPOOF, rule_br_rest},
	{F_BRIDGE, "forward", rule_br_fwd_dhcp},
};

/* Both tables (NEWTABLE with @table_flags), then chains, sets, counters and
 * rules. The tables come first so a lost creation race fails on them. */
static int put_base(struct batch *b, uint16_t table_flags)
{
	uint32_t id;
	int ret;

	ret = put_table(b, F_INET, NFT_MSG_NEWTABLE, table_flags, true);
	if (ret >= 0)
		ret = put_table(b, F_BRIDGE, NFT_MSG_NEWTABLE, table_flags, true);
	for (size_t i = 0; ret >= 0 && i < ARRAY_SIZE(chains); i++)
		ret = put_chain(b, &chains[i]);
	for (size_t i = 0; ret >= 0 && i < ARRAY_SIZE(sets); i++)
		ret = put_set(b, &sets[i], ++b->set_id);
	if (ret >= 0)
		ret = put_counter(b, F_INET, O_SPOOF);
	if (ret >= 0)
		ret = put_counter(b, F_INET, O_ISO);
	if (ret >= 0)
		ret = put_counter(b, F_INET, O_INBOUND);
	if (ret >= 0)
		ret = put_counter(b, F_INET, O_LOOPBACK);
	if (ret >= 0)
		ret = put_counter(b, F_BRIDGE, O_LOOPBACK);
	if (ret >= 0)
		ret = put_counter(b, F_INET, O_DHCP);
	if (ret >= 0)
		ret = put_counter(b, F_BRIDGE, O_DHCP);
	if (ret >= 0)
		ret = put_counter(b, F_BRIDGE, O_SPOOF);
	if (ret < 0)
		return ret;

	if ((ret = put_rule(b, F_INET, "prerouting", rule_pre_loopback, 0)) < 0 ||
	    (ret = put_l4_set(b, &id)) < 0 ||
	    (ret = put_rule(b, F_INET, "prerouting", rule_to_dnat, id)) < 0 ||
	    (ret = put_l4_set(b, &id)) < 0 ||
	    (ret = put_rule(b, F_INET, "output", rule_to_dnat, id)) < 0)
		return ret;
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		ret = put_rule(b, rules[i].fam, rules[i].chain, rules[i].fill, 0);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- attachment elements ---- */

static bool mac_zero(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !memcmp(mac, zero, 6);
}

static int att_validate(const struct vmnet_nft_att *a, struct vmnet_err *err)
{
	if (!a || !a->guest_ip)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, EINVAL, "nft: no guest address");
	if (a->n_ports && !a->ports)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, EINVAL, "nft: ports missing");
	for (size_t i = 0; i < a->n_ports; i++) {
		const struct vmnet_nft_port *p = &a->ports[i];

		if (!vmnet_nft_proto_name(p->proto) || !p->host_port || !p->guest_port)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, EINVAL,
					     "nft: invalid port mapping %u:%u (protocol %u)",
					     p->host_port, p->guest_port, p->proto);
	}
	if (a->host_if && *a->host_if) {
		if (strlen(a->host_if) >= IFNAME_LEN)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, EINVAL,
					     "nft: interface name %s too long", a->host_if);
		/* An empty MAC would pass nothing at all: refuse it loudly. */
		if (mac_zero(a->guest_mac))
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, EINVAL,
					     "nft: no guest MAC for %s", a->host_if);
	} else if (a->isolated) {
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, EINVAL,
				     "nft: isolated attachment without host interface");
	}
	return 0;
}

/* One element of an attachment: which set, its key (and data). */
struct elem {
	unsigned si;  /* index into sets[] */
	bool is_port; /* a published port: exclusive on ADD, named on conflict */
	struct vmnet_nft_port port;
	struct key k;
};

/* Most elements one attachment has besides its ports. */
#define ELEMS_FIXED 16

/*
 * @a's elements into @out (room for ELEMS_FIXED + n_ports), returns how
 * many. ADD: what @a's mode and flags call for. DESTROY/DEL: every key @a
 * could own, whatever its flags say, so a changed flag or mode cannot leave
 * a stale element behind; @old_group (0 none) is a group iso_grp still
 * holds for @a->host_if; @skip_port (may be NULL) leaves out ports that are
 * not ours.
 */
static size_t att_elems(const struct vmnet_nft_att *a, bool add, const bool *skip_port,
			uint32_t old_group, struct elem *out)
{
	const char *ifn = a->host_if && *a->host_if ? a->host_if : NULL;
	size_t n = 0;

#define E(set) (out[n] = (struct elem){.si = (set)}, &out[n++].k)
	key_ip(E(SI_GUESTS4), a->guest_ip);
	if (a->masq || !add)
		key_ip(E(SI_MASQ4), a->guest_ip);
	if ((a->masq && !a->routed_inbound) || !add)
		key_ip(E(SI_CLOSED4), a->guest_ip);
	for (size_t i = 0; i < a->n_ports; i++) {
		struct key k;
		unsigned si;

		if (skip_port && skip_port[i])
			continue;
		si = key_port(&k, &a->ports[i], a->guest_ip);
		out[n] = (struct elem){.si = si,
				       .is_port = true,
				       .port = a->ports[i],
				       .k = k};
		n++;
	}
	if (a->bridge && *a->bridge && (!a->isolated || !add))
		key_if_ip(E(SI_GUEST_NET), a->bridge, a->guest_ip);
	if (!ifn)
		return n;
	if (a->isolated || !add) {
		key_if(E(SI_ISO_IFS), ifn, NULL, 0);
		key_if_ip(E(SI_SPOOF4), ifn, a->guest_ip);
		key_if(E(SI_SPOOFMAC), ifn, a->guest_mac, 6);
		if (a->isolated && a->group) {
			struct key *k = E(SI_ISO_GRP);

			key_if(k, ifn, NULL, 0);
			memcpy(k->d, &a->group, 4);
			k->dlen = 4;
			key_if_group(E(SI_ISO_MEMBERS), ifn, a->group);
		} else if (!add) {
			key_if(E(SI_ISO_GRP), ifn, NULL, 0);
			if (a->group)
				key_if_group(E(SI_ISO_MEMBERS), ifn, a->group);
		}
		if (!add && old_group && old_group != a->group)
			key_if_group(E(SI_ISO_MEMBERS), ifn, old_group);
		if (a->host_access || !add)
			key_if(E(SI_HOST_OPEN), ifn, NULL, 0);
	}
	if (!a->isolated || !add) {
		key_if(E(SI_PORTS), ifn, NULL, 0);
		key_if(E(SI_PORT_MAC), ifn, a->guest_mac, 6);
		key_if_ip(E(SI_PORT_IP4), ifn, a->guest_ip);
	}
#undef E
	return n;
}

/* One message per element: a refused one names its set (or port). */
static int put_att(struct batch *b, const struct vmnet_nft_att *a, enum vmnet_nft_op op,
		   const bool *skip_port, uint32_t old_group, bool excl_ports)
{
	uint16_t type = op == VMNET_NFT_OP_ADD	     ? NFT_MSG_NEWSETELEM
			: op == VMNET_NFT_OP_DESTROY ? NFT_MSG_DESTROYSETELEM
						     : NFT_MSG_DELSETELEM;
	uint16_t flags = op == VMNET_NFT_OP_ADD ? NLM_F_CREATE : 0;
	_cleanup_free_ struct elem *el = malloc((ELEMS_FIXED + a->n_ports) * sizeof(*el));
	size_t n;

	if (!el)
		return -ENOMEM;
	n = att_elems(a, op == VMNET_NFT_OP_ADD, skip_port, old_group, el);
	for (size_t i = 0; i < n; i++) {
		const struct set_def *sd = &sets[el[i].si];
		struct mdesc d = {.kind = el[i].is_port ? M_PORT : M_SET,
				  .set = sd->name,
				  .port = el[i].port};
		int ret = put_elems(b, sd->fam, type,
				    flags | (el[i].is_port && excl_ports ? NLM_F_EXCL : 0),
				    sd->name, 0, &el[i].k, 1, &d);

		if (ret < 0)
			return ret;
	}
	return 0;
}

static int build_out(struct batch *b, int ret, void **ret_buf, size_t *ret_len,
		     struct vmnet_err *err)
{
	if (ret >= 0)
		ret = batch_finish(b);
	if (ret < 0) {
		batch_free(b);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -ret, "nft: building batch");
	}
	*ret_buf = steal_ptr(b->buf);
	*ret_len = b->len;
	batch_free(b);
	return 0;
}

static int build_attach(struct batch *b, const struct vmnet_nft_att *a, bool with_table,
			uint32_t seq)
{
	int ret = batch_init(b, seq);

	if (ret >= 0 && with_table)
		ret = put_base(b, NLM_F_CREATE | NLM_F_EXCL);
	if (ret >= 0)
		ret = put_att(b, a, VMNET_NFT_OP_ADD, NULL, 0, true);
	return ret;
}

int vmnet_nft_build_attach(const struct vmnet_nft_att *a, bool with_table, uint32_t seq,
			   void **ret_buf, size_t *ret_len, struct vmnet_err *err)
{
	struct batch b;
	int ret = att_validate(a, err);

	if (ret < 0)
		return ret;
	ret = build_attach(&b, a, with_table, seq);
	return build_out(&b, ret, ret_buf, ret_len, err);
}

int vmnet_nft_build_detach(const struct vmnet_nft_att *a, enum vmnet_nft_op op, uint32_t seq,
			   void **ret_buf, size_t *ret_len, struct vmnet_err *err)
{
	struct batch b;
	int ret = att_validate(a, err);

	if (ret < 0)
		return ret;
	ret = batch_init(&b, seq);
	if (ret >= 0)
		ret = put_att(&b, a, op, NULL, 0, false);
	return build_out(&b, ret, ret_buf, ret_len, err);
}

/* Elements of every attachment, chunked per set: sync must scale to
 * thousands of VMs and ports without thousands of messages (and acks). */
static int put_all_elems(struct batch *b, const struct vmnet_nft_att *atts, size_t n_atts)
{
	_cleanup_free_ struct key *keys = malloc(ELEMS_PER_MSG * sizeof(*keys));
	_cleanup_free_ struct elem *el = NULL;
	size_t total = 0, n_el = 0;

	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < n_atts; i++)
		total += ELEMS_FIXED + atts[i].n_ports;
	el = malloc((total ? total : 1) * sizeof(*el));
	if (!el)
		return -ENOMEM;
	for (size_t i = 0; i < n_atts; i++)
		n_el += att_elems(&atts[i], true, NULL, 0, el + n_el);

	for (unsigned s = 0; s < SI_N; s++) {
		const struct set_def *sd = &sets[s];
		struct mdesc d = {.kind = M_SET, .set = sd->name};
		size_t n = 0;

		for (size_t i = 0; i <= n_el; i++) {
			int ret;

			if (i < n_el && el[i].si != s)
				continue;
			if (i < n_el)
				keys[n++] = el[i].k;
			if (!n || (n < ELEMS_PER_MSG && i < n_el))
				continue;
			ret = put_elems(b, sd->fam, NFT_MSG_NEWSETELEM, NLM_F_CREATE, sd->name, 0,
					keys, n, &d);
			if (ret < 0)
				return ret;
			n = 0;
		}
	}
	return 0;
}

/* NEWTABLE (so DELTABLE cannot fail), DELTABLE, then the tables afresh: all
 * in one transaction, so packets never see a half-built table. */
static int build_sync(struct batch *b, const struct vmnet_nft_att *atts, size_t n_atts,
		      uint32_t seq)
{
	static const int fams[] = {F_INET, F_BRIDGE};
	int ret = batch_init(b, seq);

	for (size_t i = 0; ret >= 0 && i < ARRAY_SIZE(fams); i++) {
		ret = put_table(b, fams[i], NFT_MSG_NEWTABLE, NLM_F_CREATE, false);
		if (ret >= 0)
			ret = put_table(b, fams[i], NFT_MSG_DELTABLE, 0, false);
	}
	if (ret >= 0)
		ret = put_base(b, NLM_F_CREATE | NLM_F_EXCL);
	if (ret >= 0)
		ret = put_all_elems(b, atts, n_atts);
	return ret;
}

int vmnet_nft_build_sync(const struct vmnet_nft_att *atts, size_t n_atts, uint32_t seq,
			 void **ret_buf, size_t *ret_len, struct vmnet_err *err)
{
	struct batch b;
	int ret;

	for (size_t i = 0; i < n_atts; i++) {
		ret = att_validate(&atts[i], err);
		if (ret < 0)
			return ret;
	}
	ret = build_sync(&b, atts, n_atts, seq);
	return build_out(&b, ret, ret_buf, ret_len, err);
}

/* ---- talking to the kernel ---- */

int vmnet_nft_open(int nsfd, struct vmnet_nft **ret, struct vmnet_err *err)
{
	_cleanup_close_ int orig = -1;
	struct vmnet_nft *n;
	int one = 1, r = 0;

	if (nsfd >= 0) {
		orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (orig < 0)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno,
					     "nft: opening own netns");
		if (setns(nsfd, CLONE_NEWNET) < 0)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "nft: entering netns");
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		r = -ENOMEM;
		goto restore;
	}
	n->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!n->nl || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto restore;
	}
	/* Error acks without a copy of the (possibly huge) request. */
	mnl_socket_setsockopt(n->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	n->portid = mnl_socket_get_portid(n->nl);
	n->seq = (uint32_t)time(NULL) << 8;
restore:
	if (nsfd >= 0 && setns(orig, CLONE_NEWNET) < 0) {
		/* This thread is stuck in another netns: nothing safe to return to. */
		vmnet_nft_close(n);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "nft: returning to own netns");
	}
	if (r < 0) {
		vmnet_nft_close(n);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: opening netlink socket");
	}
	*ret = n;
	return 0;
}

struct vmnet_nft *vmnet_nft_close(struct vmnet_nft *n)
{
	if (n) {
		if (n->nl)
			mnl_socket_close(n->nl);
		free(n);
	}
	return NULL;
}

static void bufsize(struct vmnet_nft *n, int opt_force, int opt, size_t want)
{
	int cur = 0, v = want > INT32_MAX ? INT32_MAX : (int)want;
	socklen_t l = sizeof(cur);
	int fd = mnl_socket_get_fd(n->nl);

	if (getsockopt(fd, SOL_SOCKET, opt, &cur, &l) == 0 && cur / 2 >= v)
		return;
	if (setsockopt(fd, SOL_SOCKET, opt_force, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

/*
 * Send a built batch and read one ack per message. nfnetlink handles the
 * batch synchronously inside sendmsg, so every ack is queued when it
 * returns. On failure *ret_idx is the index of the first refused message
 * and the kernel's errno is returned (the transaction was aborted).
 */
static int batch_talk(struct vmnet_nft *n, struct batch *b, size_t *ret_idx)
{
	_cleanup_free_ char *rbuf = NULL;
	size_t acked = 0, rsize = RECV_BUF;
	int first = 0, fd = mnl_socket_get_fd(n->nl);
	size_t first_idx = 0;

	bufsize(n, SO_SNDBUFFORCE, SO_SNDBUF, b->len + 4096);
	bufsize(n, SO_RCVBUFFORCE, SO_RCVBUF, b->n * 1024 + 65536);
	rbuf = malloc(rsize);
	if (!rbuf)
		return -ENOMEM;
	if (mnl_socket_sendto(n->nl, b->buf, b->len) < 0)
		return -errno;

	while (acked < b->n) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		const struct nlmsghdr *nh;
		ssize_t len;
		int l;

		/* A refused message may stop the kernel early: do not wait
		 * for acks that will never come once an error is known. */
		if (poll(&pfd, 1, first ? 0 : 5000) <= 0)
			break;
		len = recv(fd, rbuf, rsize, MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		l = (int)len;
		for (nh = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nh, l);
		     nh = mnl_nlmsg_next(nh, &l)) {
			const struct nlmsgerr *e;
			size_t idx;

			if (nh->nlmsg_type != NLMSG_ERROR || nh->nlmsg_pid != n->portid)
				continue;
			e = mnl_nlmsg_get_payload(nh);
			/* BATCH_BEGIN itself refused: the whole batch was. */
			if (nh->nlmsg_seq == b->seq0 && e->error && !first) {
				first = e->error;
				first_idx = SIZE_MAX;
			}
			idx = nh->nlmsg_seq - b->seq0 - 1;
			if (nh->nlmsg_seq <= b->seq0 || idx >= b->n)
				continue; /* not ours: a stale reply */
			acked++;
			if (e->error && !first) {
				first = e->error;
				first_idx = idx;
			}
		}
	}
	if (first) {
		*ret_idx = first_idx;
		return first;
	}
	if (acked < b->n)
		return -ETIMEDOUT;
	return 0;
}

/* A single request (GETTABLE, GETSETELEM); @cb sees each reply message. */
static int talk_one(struct vmnet_nft *n, struct nlmsghdr *nh, mnl_cb_t cb, void *data)
{
	_cleanup_free_ char *buf = malloc(RECV_BUF);
	uint32_t seq = nh->nlmsg_seq;
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	if (mnl_socket_sendto(n->nl, nh, nh->nlmsg_len) < 0)
		return -errno;
	do {
		r = mnl_socket_recvfrom(n->nl, buf, RECV_BUF);
		if (r < 0)
			return -errno;
		r = mnl_cb_run(buf, r, seq, n->portid, cb, data);
		if (r < 0)
			return -errno;
	} while (r > 0);
	return 0;
}

static void desc_fmt(const struct batch *b, size_t idx, char *buf, size_t size)
{
	const struct mdesc *d;
	char p[64];

	if (idx >= b->n) {
		snprintf(buf, size, "batch");
		return;
	}
	d = &b->msgs[idx];
	switch (d->kind) {
	case M_TABLE:
		snprintf(buf, size, "table %s %s", d->fam == F_BRIDGE ? "bridge" : "inet",
			 VMNET_NFT_TABLE);
		break;
	case M_SET:
		snprintf(buf, size, "set %s", d->set);
		break;
	case M_PORT:
		snprintf(buf, size, "port %s in map %s", port_fmt(&d->port, p, sizeof(p)), d->set);
		break;
	default:
		snprintf(buf, size, "message %zu", idx + 1);
		break;
	}
}

static int batch_run(struct vmnet_nft *n, struct batch *b, const char *what, size_t *ret_idx,
		     struct vmnet_err *err)
{
	size_t idx = SIZE_MAX;
	char d[128];
	int ret;

	n->seq = b->seq;
	ret = batch_talk(n, b, &idx);
	if (ret_idx)
		*ret_idx = idx;
	if (ret >= 0)
		return ret;
	desc_fmt(b, idx, d, sizeof(d));
	log_debug("nft: %s refused at %s: %s", what, d, strerror(-ret));
	return vmnet_err_set(err, VMNET_ERR_SYSTEM, -ret, "nft: %s (%s)", what, d);
}

/*
 * An elements-only batch met a missing set. If the table is missing too, the
 * caller creates it (returns 1). A table of an older ruleset version (or one
 * missing a set) cannot be fixed here: replacing it needs every attachment's
 * elements, which only a sync from the records has (netd), so say that. The
 * version is read only on this failure path, never on a normal ADD.
 */
static int explain_enoent(struct vmnet_nft *n, const char *what, bool retried,
			  struct vmnet_err *err)
{
	int v = 0, r = vmnet_nft_table_version(n, &v, err);

	if (r <= 0)
		return r < 0 ? r : 1;
	/* A racing first ADD may have created the tables since: retry once. */
	if (v == VMNET_NFT_VERSION && !retried)
		return 2;
	if (v < VMNET_NFT_VERSION)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOENT,
				     "nft: table inet %s has ruleset version %d, this vmnet needs %d: "
				     "resync it (netd replaces it from the records)",
				     VMNET_NFT_TABLE, v, VMNET_NFT_VERSION);
	return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOENT,
			     "nft: tables %s are incomplete (%s missing): resync them (netd "
			     "replaces them from the records)",
			     VMNET_NFT_TABLE, what);
}

int vmnet_nft_attach(struct vmnet_nft *n, const struct vmnet_nft_att *a, struct vmnet_err *err)
{
	bool with_table = false, retried = false;
	int ret = att_validate(a, err);

	if (ret < 0)
		return ret;
	/* Elements-only first (the common case); on a missing table, both
	 * tables created exclusively; if another process won that race, its
	 * tables are complete and we go back to elements-only. */
	for (int attempt = 0; attempt < 4; attempt++) {
		struct vmnet_err e = {0};
		struct batch b;
		size_t idx;

		ret = build_attach(&b, a, with_table, n->seq);
		if (ret >= 0)
			ret = batch_finish(&b);
		if (ret < 0) {
			batch_free(&b);
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, -ret, "nft: building batch");
		}
		ret = batch_run(n, &b, "adding elements", &idx, &e);
		if (ret >= 0) {
			batch_free(&b);
			return 0;
		}
		if (idx < b.n && b.msgs[idx].kind == M_PORT && ret == -EEXIST) {
			char p[64];

			port_fmt(&b.msgs[idx].port, p, sizeof(p));
			batch_free(&b);
			return vmnet_err_set(err, VMNET_ERR_PORT_CONFLICT, EEXIST,
					     "nft: host port %s is already published", p);
		}
		if (!with_table && ret == -ENOENT) {
			char what[128];

			desc_fmt(&b, idx, what, sizeof(what));
			batch_free(&b);
			ret = explain_enoent(n, what, retried, err);
			if (ret < 0)
				return ret;
			with_table = ret == 1;
			retried |= ret == 2;
			continue;
		} else if (with_table && ret == -EEXIST && idx < b.n &&
			   b.msgs[idx].kind == M_TABLE) {
			with_table = false;
		} else {
			batch_free(&b);
			if (err && !err->code)
				*err = e;
			return ret;
		}
		batch_free(&b);
	}
	return vmnet_err_set(err, VMNET_ERR_SYSTEM, EAGAIN,
			     "nft: tables %s keep changing (or one is missing: resync them)",
			     VMNET_NFT_TABLE);
}

/* ---- single-key lookups (check, detach) ---- */

struct elem_reply {
	bool found;
	uint8_t data[16];
	uint32_t dlen;
};

static int elem_cb(const struct nlmsghdr *nh, void *data)
{
	struct elem_reply *r = data;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_elems_nlmsg_parse(nh, s) < 0) {
		nftnl_set_free(s);
		return MNL_CB_ERROR;
	}
	it = nftnl_set_elems_iter_create(s);
	e = it ? nftnl_set_elems_iter_cur(it) : NULL;
	if (e) {
		uint32_t len = 0;
		const void *d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);

		r->found = true;
		if (d && len <= sizeof(r->data)) {
			memcpy(r->data, d, len);
			r->dlen = len;
		}
	}
	if (it)
		nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

/* 1 and the element's data if @k is in set @si, 0 if the key (or set, or
 * table) is missing. */
static int get_elem(struct vmnet_nft *n, unsigned si, const struct key *k, struct elem_reply *ret)
{
	char buf[REQ_BUF];
	struct nftnl_set *s = set_ref(sets[si].fam, sets[si].name, 0);
	struct nftnl_set_elem *e;
	struct nlmsghdr *nh;
	int r;

	if (!s)
		return -ENOMEM;
	e = nftnl_set_elem_alloc();
	if (!e) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, k->k, k->klen);
	nftnl_set_elem_add(s, e);
	nh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, sets[si].fam, NLM_F_ACK, n->seq++);
	nftnl_set_elems_nlmsg_build_payload(nh, s);
	nftnl_set_free(s);
	memset(ret, 0, sizeof(*ret));
	r = talk_one(n, nh, elem_cb, ret);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	return ret->found ? 1 : 0;
}

struct table_reply {
	bool found;
	int version;
};

static int table_udata_cb(const struct nftnl_udata *attr, void *data)
{
	struct table_reply *r = data;
	int v;

	if (nftnl_udata_type(attr) == NFTNL_UDATA_TABLE_COMMENT &&
	    sscanf(nftnl_udata_get(attr), "vmnet:%d", &v) == 1)
		r->version = v;
	return 0;
}

static int table_cb(const struct nlmsghdr *nh, void *data)
{
	struct table_reply *r = data;
	struct nftnl_table *t = nftnl_table_alloc();
	const void *u;
	uint32_t len = 0;

	if (!t)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nh, t) < 0) {
		nftnl_table_free(t);
		return MNL_CB_ERROR;
	}
	r->found = true;
	u = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
	if (u && len)
		nftnl_udata_parse(u, len, table_udata_cb, r);
	nftnl_table_free(t);
	return MNL_CB_OK;
}

int vmnet_nft_table_version(struct vmnet_nft *n, int *ret_version, struct vmnet_err *err)
{
	char buf[REQ_BUF];
	struct table_reply rep = {0};
	struct nftnl_table *t = table_new(F_INET, false);
	struct nlmsghdr *nh;
	int r;

	if (!t)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "nft: looking up table");
	nh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, n->seq++);
	nftnl_table_nlmsg_build_payload(nh, t);
	nftnl_table_free(t);
	r = talk_one(n, nh, table_cb, &rep);
	if (r == -ENOENT)
		rep.found = false;
	else if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: looking up table inet %s",
				     VMNET_NFT_TABLE);
	if (ret_version)
		*ret_version = rep.found ? rep.version : 0;
	return rep.found ? 1 : 0;
}

int vmnet_nft_table_exists(struct vmnet_nft *n, struct vmnet_err *err)
{
	return vmnet_nft_table_version(n, NULL, err);
}

static bool port_is_ours(const struct key *k, const struct elem_reply *r)
{
	return r->dlen == k->dlen && memcmp(r->data, k->d, k->dlen) == 0;
}

/* "10.1.0.5", "vmv0 . 10.1.0.5", "vmv0 . 02:00:00:00:00:01", "vmv0 . group 7" */
static const char *elem_fmt(const struct vmnet_nft_att *a, const struct elem *e, char *buf,
			    size_t size)
{
	char ip[VMNET_ADDRSTRLEN];
	const uint8_t *m = a->guest_mac;

	switch (e->si) {
	case SI_GUESTS4:
	case SI_MASQ4:
	case SI_CLOSED4:
		snprintf(buf, size, "%s", vmnet_ip4_fmt(a->guest_ip, ip));
		break;
	case SI_SPOOF4:
	case SI_PORT_IP4:
		snprintf(buf, size, "%s . %s", a->host_if, vmnet_ip4_fmt(a->guest_ip, ip));
		break;
	case SI_SPOOFMAC:
	case SI_PORT_MAC:
		snprintf(buf, size, "%s . %02x:%02x:%02x:%02x:%02x:%02x", a->host_if, m[0], m[1],
			 m[2], m[3], m[4], m[5]);
		break;
	case SI_ISO_MEMBERS:
		snprintf(buf, size, "%s . group %u", a->host_if, a->group);
		break;
	default:
		snprintf(buf, size, "%s", a->host_if);
		break;
	}
	return buf;
}

int vmnet_nft_check(struct vmnet_nft *n, const struct vmnet_nft_att *a, struct vmnet_err *err)
{
	char p[64], got[VMNET_ADDRSTRLEN], want[VMNET_ADDRSTRLEN], what[64];
	_cleanup_free_ struct elem *el = NULL;
	struct elem_reply rep;
	size_t n_el;
	int v = 0, r = att_validate(a, err);

	if (r < 0)
		return r;
	r = vmnet_nft_table_version(n, &v, err);
	if (r < 0)
		return r;
	if (r == 0)
		return vmnet_err_set(err, VMNET_ERR_CHECK, ENOENT, "nft: table inet %s missing",
				     VMNET_NFT_TABLE);
	if (v != VMNET_NFT_VERSION)
		return vmnet_err_set(err, VMNET_ERR_CHECK, ENOENT,
				     "nft: table inet %s has ruleset version %d, expected %d",
				     VMNET_NFT_TABLE, v, VMNET_NFT_VERSION);
	el = malloc((ELEMS_FIXED + a->n_ports) * sizeof(*el));
	if (!el)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "nft: check");
	n_el = att_elems(a, true, NULL, 0, el);
	for (size_t i = 0; i < n_el; i++) {
		const struct elem *e = &el[i];
		const char *set = sets[e->si].name;
		uint32_t gip, grp;
		uint16_t gport;

		if (e->is_port)
			port_fmt(&e->port, p, sizeof(p));
		else
			elem_fmt(a, e, what, sizeof(what));
		r = get_elem(n, e->si, &e->k, &rep);
		if (r < 0)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: looking up %s in %s",
					     e->is_port ? p : what, set);
		if (r == 0 && e->is_port)
			return vmnet_err_set(err, VMNET_ERR_CHECK, ENOENT,
					     "nft: port %s missing from map %s", p, set);
		if (r == 0)
			return vmnet_err_set(err, VMNET_ERR_CHECK, ENOENT,
					     "nft: element %s missing from %s %s", what,
					     sets[e->si].flags & NFT_SET_MAP ? "map" : "set", set);
		if (!e->k.dlen || port_is_ours(&e->k, &rep))
			continue;
		if (!e->is_port) {
			memcpy(&grp, rep.data, 4);
			return vmnet_err_set(err, VMNET_ERR_CHECK, ENOENT,
					     "nft: %s maps to group %u in %s, expected %u", what,
					     grp, set, a->group);
		}
		memcpy(&gip, rep.data, 4);
		memcpy(&gport, rep.data + 4, 2);
		return vmnet_err_set(err, VMNET_ERR_CHECK, ENOENT,
				     "nft: port %s maps to %s:%u, expected %s:%u", p,
				     vmnet_ip4_fmt(ntohl(gip), got), ntohs(gport),
				     vmnet_ip4_fmt(a->guest_ip, want), e->port.guest_port);
	}
	return 0;
}

/* One DELSETELEM per batch, "missing" ignored: for kernels before 6.3 and
 * for tables someone damaged or an older version (one missing set must not
 * keep the others). */
static int detach_one_by_one(struct vmnet_nft *n, const struct elem *el, size_t n_el,
			     struct vmnet_err *err)
{
	int first = 0;

	for (size_t i = 0; i < n_el; i++) {
		const struct set_def *sd = &sets[el[i].si];
		struct mdesc d = {.kind = M_SET, .set = sd->name};
		struct batch b;
		int r = batch_init(&b, n->seq);

		if (r >= 0)
			r = put_elems(&b, sd->fam, NFT_MSG_DELSETELEM, 0, sd->name, 0, &el[i].k, 1,
				      &d);
		if (r >= 0)
			r = batch_finish(&b);
		if (r >= 0) {
			struct vmnet_err e = {0};

			r = batch_run(n, &b, "deleting element", NULL, &e);
			if (r < 0 && !vmnet_err_is_gone(r) && !first) {
				first = r;
				if (err && !err->code)
					*err = e;
			}
		} else if (!first) {
			first = vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: building batch");
		}
		batch_free(&b);
	}
	return first;
}

int vmnet_nft_detach(struct vmnet_nft *n, const struct vmnet_nft_att *a, struct vmnet_err *err)
{
	_cleanup_free_ bool *skip = NULL;
	_cleanup_free_ struct elem *el = NULL;
	struct vmnet_err e = {0};
	uint32_t old_group = 0;
	struct batch b;
	size_t n_el;
	int r = att_validate(a, err);

	if (r < 0)
		return r;
	skip = calloc(a->n_ports + 1, sizeof(*skip));
	el = malloc((ELEMS_FIXED + a->n_ports) * sizeof(*el));
	if (!skip || !el)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "nft: detach");
	/* A port key is deleted only while it still maps to this guest: after
	 * a refused ADD (port conflict) the CNI DEL must not free the port of
	 * the attachment that really holds it. One lookup per own port. */
	for (size_t i = 0; i < a->n_ports; i++) {
		struct elem_reply rep;
		struct key k;
		unsigned si = key_port(&k, &a->ports[i], a->guest_ip);

		r = get_elem(n, si, &k, &rep);
		if (r < 0 && r != -ENOENT)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: looking up port");
		skip[i] = r <= 0 || !port_is_ours(&k, &rep);
	}
	/* The group iso_members really holds for our interface (the record's
	 * may have changed since): one lookup, keyed by our own device. */
	if (a->host_if && *a->host_if) {
		struct elem_reply rep;
		struct key k;

		key_if(&k, a->host_if, NULL, 0);
		r = get_elem(n, SI_ISO_GRP, &k, &rep);
		if (r < 0 && r != -ENOENT)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: looking up group");
		if (r > 0 && rep.dlen == 4)
			memcpy(&old_group, rep.data, 4);
	}
	n_el = att_elems(a, false, skip, old_group, el);
	r = batch_init(&b, n->seq);
	if (r >= 0)
		r = put_att(&b, a, VMNET_NFT_OP_DESTROY, skip, old_group, false);
	if (r >= 0)
		r = batch_finish(&b);
	if (r < 0) {
		batch_free(&b);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: building batch");
	}
	r = batch_run(n, &b, "deleting elements", NULL, &e);
	batch_free(&b);
	if (r >= 0)
		return 0;
	/* ENOENT: a set or a table is gone (DESTROY ignores only missing
	 * elements); EINVAL/EOPNOTSUPP: a kernel without DESTROYSETELEM. */
	if (r != -ENOENT && r != -EINVAL && r != -EOPNOTSUPP) {
		if (err && !err->code)
			*err = e;
		return r;
	}
	return detach_one_by_one(n, el, n_el, err);
}

int vmnet_nft_sync(struct vmnet_nft *n, const struct vmnet_nft_att *atts, size_t n_atts,
		   struct vmnet_err *err)
{
	struct batch b;
	int r;

	for (size_t i = 0; i < n_atts; i++) {
		r = att_validate(&atts[i], err);
		if (r < 0)
			return r;
	}
	r = build_sync(&b, atts, n_atts, n->seq);
	if (r >= 0)
		r = batch_finish(&b);
	if (r < 0) {
		batch_free(&b);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: building batch");
	}
	r = batch_run(n, &b, "replacing tables", NULL, err);
	batch_free(&b);
	return r < 0 ? r : 0;
}

/* NEWTABLE then DELTABLE per family: deleting a missing table cannot fail
 * the batch (and keep the other one). */
int vmnet_nft_delete_table(struct vmnet_nft *n, struct vmnet_err *err)
{
	static const int fams[] = {F_INET, F_BRIDGE};
	struct vmnet_err e = {0};
	struct batch b;
	int r = batch_init(&b, n->seq);

	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(fams); i++) {
		r = put_table(&b, fams[i], NFT_MSG_NEWTABLE, NLM_F_CREATE, false);
		if (r >= 0)
			r = put_table(&b, fams[i], NFT_MSG_DELTABLE, 0, false);
	}
	if (r >= 0)
		r = batch_finish(&b);
	if (r < 0) {
		batch_free(&b);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: building batch");
	}
	r = batch_run(n, &b, "deleting tables", NULL, &e);
	batch_free(&b);
	if (r >= 0)
		return 0;
	if (err && !err->code)
		*err = e;
	return r;
}

int vmnet_nft_dump(struct vmnet_nft *n, uint16_t msg_type, vmnet_nft_msg_cb cb, void *data,
		   struct vmnet_err *err)
{
	char buf[REQ_BUF];
	struct nlmsghdr *nh;
	int r;

	nh = nftnl_nlmsg_build_hdr(buf, msg_type, NFPROTO_UNSPEC, NLM_F_DUMP, n->seq++);
	r = talk_one(n, nh, cb, data);
	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: dump (message type %u)",
				     (unsigned)msg_type);
	return 0;
}
