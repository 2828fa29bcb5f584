/* SPDX-License-Identifier: MIT */
/*
 * Conntrack clean-up with libmnl. First one filtered flush
 * (IPCTNL_MSG_CT_DELETE with CTA_FILTER and the filter's tuple, no tuple to
 * delete): the kernel deletes the matching entries in one walk of its table,
 * well under a millisecond. Kernels before ~6.8 refuse it (-EOPNOTSUPP, or
 * -EINVAL: they read the filter's tuple as one to delete, and ours is never
 * complete); the kernel compares ports for TCP and UDP only, and IPv6
 * addresses wrongly (see kernel_filters_ip). Then the entries are found here
 * and deleted one by one, packed many to a sendmsg:
 *  - IPv6: read from /proc/net/nf_conntrack (flush_by_proc), which the
 *    kernel prints under RCU;
 *  - else, or without that file: a ctnetlink dump, which walks every bucket
 *    of the global hash (262,144 on a 24 GiB host) under its lock, ~9 ms even
 *    for an empty namespace; deletes carry the dumped CTA_ID, so a newer entry
 *    with the same tuple is never hit.
 * The dump filter (kernel >= 5.10) only narrows the dump: every entry is
 * matched again here (older kernels ignore CTA_FILTER, and 6.18 compares
 * ports for TCP and UDP only); a refused filter means a dump without it.
 * A filtered flush reports no count; the others report what they deleted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vmnet/conntrack.h"
#include "vmnet/conntrack_proc.h"
#include "vmnet/inet.h"
#include "vmnet/log.h"
#include "vmnet/nfnl.h"

/* CTA_FILTER_*_FLAGS bits: kernel ABI since 5.10, but only declared in the
 * kernel's net/netfilter/nf_internals.h, not in the uapi headers. */
#define CT_F_IP_SRC (1u << 0)
#define CT_F_IP_DST (1u << 1)
#define CT_F_PROTO_NUM (1u << 3)
#define CT_F_PROTO_DST_PORT (1u << 5)

/* Deletes per sendmsg: their acks (36 bytes each with NETLINK_CAP_ACK) fit
 * easily in the default receive buffer. */
#define DEL_PER_SEND 64
/* Room for one copied CTA_TUPLE_ORIG payload (IPv4 ~60 bytes, IPv6 ~90). */
#define TUPLE_MAX 192

struct tuple {
	uint8_t src[16], dst[16]; /* network order, 4 or 16 bytes used */
	uint16_t sport, dport; /* network order */
	uint8_t proto;
	bool has_ip, has_proto, has_ports;
};

struct want {
	uint8_t af;   /* AF_INET or AF_INET6 */
	bool by_port; /* else by guest */
	uint8_t proto;
	uint16_t dport; /* network order */
	bool any_ip;	/* by port: any destination address */
	uint8_t ip[16]; /* network order: orig dst or reply src */
};

static size_t ip_len(uint8_t af)
{
	return af == AF_INET6 ? 16 : 4;
}

struct entry {
	uint8_t tuple[TUPLE_MAX]; /* CTA_TUPLE_ORIG payload, as dumped */
	uint16_t tuple_len;
	bool has_id, has_zone;
	uint32_t id;   /* CTA_ID, network order, as dumped */
	uint16_t zone; /* CTA_ZONE, network order, as dumped */
};

struct found {
	const struct want *w;
	struct entry *v;
	size_t n, cap;
	size_t seen;
};

static struct nlmsghdr *msg_put(void *buf, uint8_t af, uint16_t type, uint16_t flags,
			       uint32_t seq)
{
	struct nlmsghdr *nh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nh->nlmsg_flags = NLM_F_REQUEST | flags;
	nh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nh, sizeof(*g));
	g->nfgen_family = af;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	return nh;
}

/* ------------------------------------------------------------ parsing */

static int attr_cb(const struct nlattr *a, void *data, int max,
		   const enum mnl_attr_data_type *types)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, (uint16_t)max) < 0)
		return MNL_CB_OK; /* newer than us: skip */
	if (types[type] != MNL_TYPE_UNSPEC && mnl_attr_validate(a, types[type]) < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static const enum mnl_attr_data_type ct_types[CTA_MAX + 1] = {
	[CTA_TUPLE_ORIG] = MNL_TYPE_NESTED,
	[CTA_TUPLE_REPLY] = MNL_TYPE_NESTED,
	[CTA_ID] = MNL_TYPE_U32,
	[CTA_ZONE] = MNL_TYPE_U16,
};
static const enum mnl_attr_data_type tuple_types[CTA_TUPLE_MAX + 1] = {
	[CTA_TUPLE_IP] = MNL_TYPE_NESTED,
	[CTA_TUPLE_PROTO] = MNL_TYPE_NESTED,
};
static const enum mnl_attr_data_type ip_types[CTA_IP_MAX + 1] = {
	[CTA_IP_V4_SRC] = MNL_TYPE_U32,
	[CTA_IP_V4_DST] = MNL_TYPE_U32,
	/* IPv6 addresses: their length is checked where they are read. */
};
static const enum mnl_attr_data_type proto_types[CTA_PROTO_MAX + 1] = {
	[CTA_PROTO_NUM] = MNL_TYPE_U8,
	[CTA_PROTO_SRC_PORT] = MNL_TYPE_U16,
	[CTA_PROTO_DST_PORT] = MNL_TYPE_U16,
};

#define DEF_CB(name, max, types)                                                                   \
	static int name(const struct nlattr *a, void *data)                                        \
	{                                                                                          \
		return attr_cb(a, data, max, types);                                               \
	}
DEF_CB(ct_cb, CTA_MAX, ct_types)
DEF_CB(tuple_cb, CTA_TUPLE_MAX, tuple_types)
DEF_CB(ip_cb, CTA_IP_MAX, ip_types)
DEF_CB(proto_cb, CTA_PROTO_MAX, proto_types)

static int tuple_parse(const struct nlattr *nest, struct tuple *t)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1] = {0};
	const struct nlattr *ip[CTA_IP_MAX + 1] = {0};
	const struct nlattr *pr[CTA_PROTO_MAX + 1] = {0};

	memset(t, 0, sizeof(*t));
	if (mnl_attr_parse_nested(nest, tuple_cb, tb) < 0)
		return -EINVAL;
	if (tb[CTA_TUPLE_IP]) {
		if (mnl_attr_parse_nested(tb[CTA_TUPLE_IP], ip_cb, ip) < 0)
			return -EINVAL;
		if (ip[CTA_IP_V4_SRC] && ip[CTA_IP_V4_DST]) {
			memcpy(t->src, mnl_attr_get_payload(ip[CTA_IP_V4_SRC]), 4);
			memcpy(t->dst, mnl_attr_get_payload(ip[CTA_IP_V4_DST]), 4);
			t->has_ip = true;
		} else if (ip[CTA_IP_V6_SRC] && ip[CTA_IP_V6_DST] &&
			   mnl_attr_get_payload_len(ip[CTA_IP_V6_SRC]) == 16 &&
			   mnl_attr_get_payload_len(ip[CTA_IP_V6_DST]) == 16) {
			memcpy(t->src, mnl_attr_get_payload(ip[CTA_IP_V6_SRC]), 16);
			memcpy(t->dst, mnl_attr_get_payload(ip[CTA_IP_V6_DST]), 16);
			t->has_ip = true;
		}
	}
	if (tb[CTA_TUPLE_PROTO]) {
		if (mnl_attr_parse_nested(tb[CTA_TUPLE_PROTO], proto_cb, pr) < 0)
			return -EINVAL;
		if (pr[CTA_PROTO_NUM]) {
			t->proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
			t->has_proto = true;
		}
		if (pr[CTA_PROTO_SRC_PORT] && pr[CTA_PROTO_DST_PORT]) {
			t->sport = mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]);
			t->dport = mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]);
			t->has_ports = true;
		}
	}
	return 0;
}

static bool wanted(const struct want *w, const struct tuple *o, const struct tuple *r)
{
	size_t n = ip_len(w->af);

	if (!w->by_port)
		return r->has_ip && !memcmp(r->src, w->ip, n);
	return o->has_proto && o->proto == w->proto && o->has_ports && o->dport == w->dport &&
	       (w->any_ip || (o->has_ip && !memcmp(o->dst, w->ip, n)));
}

/* A new zeroed entry at the end of @f, or NULL without memory. */
static struct entry *found_add(struct found *f)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct entry *v = reallocarray(f->v, cap, sizeof(*v));

		if (!v)
			return NULL;
		f->v = v;
		f->cap = cap;
	}
	return memset(&f->v[f->n++], 0, sizeof(struct entry));
}

static int dump_cb(const struct nlmsghdr *nh, void *data)
{
	const struct nlattr *tb[CTA_MAX + 1] = {0};
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nh);
	struct found *f = data;
	struct tuple o, r;
	struct entry *e;

	if (nh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*g))
		return MNL_CB_OK;
	f->seen++;
	if (g->nfgen_family != f->w->af)
		return MNL_CB_OK;
	if (mnl_attr_parse(nh, sizeof(*g), ct_cb, tb) < 0 || !tb[CTA_TUPLE_ORIG] ||
	    !tb[CTA_TUPLE_REPLY])
		return MNL_CB_OK; /* not an entry we can judge: leave it */
	if (tuple_parse(tb[CTA_TUPLE_ORIG], &o) < 0 || tuple_parse(tb[CTA_TUPLE_REPLY], &r) < 0)
		return MNL_CB_OK;
	if (!wanted(f->w, &o, &r))
		return MNL_CB_OK;
	if (mnl_attr_get_payload_len(tb[CTA_TUPLE_ORIG]) > TUPLE_MAX)
		return MNL_CB_OK;
	e = found_add(f);
	if (!e) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	e->tuple_len = (uint16_t)mnl_attr_get_payload_len(tb[CTA_TUPLE_ORIG]);
	memcpy(e->tuple, mnl_attr_get_payload(tb[CTA_TUPLE_ORIG]), e->tuple_len);
	if (tb[CTA_ID]) {
		e->has_id = true;
		e->id = mnl_attr_get_u32(tb[CTA_ID]);
	}
	if (tb[CTA_ZONE]) {
		e->has_zone = true;
		e->zone = mnl_attr_get_u16(tb[CTA_ZONE]);
	}
	return MNL_CB_OK;
}

/* ------------------------------------------------------------ requests */

/* The kernel takes no IPv6 address in a filter from us: 6.18 compares
 * them inverted (a flush filtered on reply source ::1 deleted every IPv6
 * entry but ::1's), so an IPv6 address is matched here, after a dump whose
 * filter leaves it out (the one by guest is not filtered at all). */
static bool kernel_filters_ip(const struct want *w)
{
	return w->af == AF_INET && (!w->by_port || !w->any_ip);
}

/* A dump filter without the address still narrows by family and port; a
 * flush needs all of what is wanted in its filter. */
static bool kernel_may_filter(const struct want *w)
{
	return w->af == AF_INET || w->by_port;
}

static bool kernel_may_flush(const struct want *w)
{
	return w->af == AF_INET || (w->by_port && w->any_ip);
}

/* The filter's values: the tuple named by the flags, nothing else. */
static void put_filter(struct nlmsghdr *nh, const struct want *w)
{
	bool ip = kernel_filters_ip(w);
	struct nlattr *t, *n;
	uint32_t flags;

	t = mnl_attr_nest_start(nh, w->by_port ? CTA_TUPLE_ORIG : CTA_TUPLE_REPLY);
	if (ip) {
		n = mnl_attr_nest_start(nh, CTA_TUPLE_IP);
		mnl_attr_put(nh, w->by_port ? CTA_IP_V4_DST : CTA_IP_V4_SRC, 4, w->ip);
		mnl_attr_nest_end(nh, n);
	}
	if (w->by_port) {
		n = mnl_attr_nest_start(nh, CTA_TUPLE_PROTO);
		mnl_attr_put_u8(nh, CTA_PROTO_NUM, w->proto);
		mnl_attr_put_u16(nh, CTA_PROTO_DST_PORT, w->dport);
		mnl_attr_nest_end(nh, n);
	}
	mnl_attr_nest_end(nh, t);

	if (w->by_port)
		flags = CT_F_PROTO_NUM | CT_F_PROTO_DST_PORT | (ip ? CT_F_IP_DST : 0);
	else
		flags = CT_F_IP_SRC;
	n = mnl_attr_nest_start(nh, CTA_FILTER);
	/* NLA_U32: host order, unlike the tuple values. */
	mnl_attr_put_u32(nh, w->by_port ? CTA_FILTER_ORIG_FLAGS : CTA_FILTER_REPLY_FLAGS, flags);
	mnl_attr_nest_end(nh, n);
}

static int dump(struct vmnet_nfnl *s, const struct want *w, bool filtered, struct found *f)
{
	char buf[256]; /* header, nfgenmsg and the filter */
	struct nlmsghdr *nh = msg_put(buf, w->af, IPCTNL_MSG_CT_GET, NLM_F_DUMP, 0);

	if (filtered)
		put_filter(nh, w);
	return vmnet_nfnl_request(s, nh, dump_cb, f);
}

/* One sendmsg of deletes; entries that expired or were deleted meanwhile
 * (ENOENT) are neither counted nor errors. */
static int del_batch(struct vmnet_nfnl *s, uint8_t af, const struct entry *v, size_t n,
		     int *ret_deleted)
{
	_cleanup_free_ char *buf = NULL;
	int errs[DEL_PER_SEND], first = 0;
	uint32_t seq0 = vmnet_nfnl_seq(s);
	size_t i, len = 0;

	buf = malloc(n * MNL_ALIGN(MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg) + TUPLE_MAX + 32));
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct nlmsghdr *nh = msg_put(buf + len, af, IPCTNL_MSG_CT_DELETE, NLM_F_ACK,
					      seq0 + i);

		mnl_attr_put(nh, CTA_TUPLE_ORIG | NLA_F_NESTED, v[i].tuple_len, v[i].tuple);
		if (v[i].has_id)
			mnl_attr_put_u32(nh, CTA_ID, v[i].id);
		if (v[i].has_zone)
			mnl_attr_put_u16(nh, CTA_ZONE, v[i].zone);
		len += nh->nlmsg_len;
	}
	vmnet_nfnl_send(s, buf, len, seq0, n, false, errs, NULL);
	for (i = 0; i < n; i++) {
		if (!errs[i])
			(*ret_deleted)++;
		else if (errs[i] != -ENOENT && !first)
			first = errs[i];
	}
	return first;
}

/* An empty table needs no dump (milliseconds: every bucket's lock). Only
 * known for the current netns (/proc/sys follows the reader's netns). */
static bool table_empty(int nsfd)
{
	char buf[32] = "";
	int fd;
	ssize_t n;

	if (nsfd >= 0)
		return false;
	fd = open("/proc/sys/net/netfilter/nf_conntrack_count", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && buf[0] == '0' && (buf[1] == '\n' || buf[1] == '\0');
}

/* VMNET_CONNTRACK_DUMP=1: always the dump, never /proc (the path of older
 * kernels; the tests run both). */
static bool dump_only(void)
{
	const char *v = getenv("VMNET_CONNTRACK_DUMP");

	return v && *v && strcmp(v, "0");
}

/* The kernel's own filtered flush: 0, or -EINVAL/-EOPNOTSUPP when this
 * kernel cannot do it (see the top of the file), or another -errno. */
static int flush_filtered(struct vmnet_nfnl *s, const struct want *w)
{
	char buf[256]; /* header, nfgenmsg and the filter */
	struct nlmsghdr *nh = msg_put(buf, w->af, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, 0);
	uint32_t seq = vmnet_nfnl_seq(s);
	int errs[1] = {0};

	if (w->by_port && w->proto != IPPROTO_TCP && w->proto != IPPROTO_UDP)
		return -EOPNOTSUPP;
	nh->nlmsg_seq = seq;
	put_filter(nh, w);
	vmnet_nfnl_send(s, buf, nh->nlmsg_len, seq, 1, false, errs, NULL);
	return errs[0];
}

/* Every entry of @f, DEL_PER_SEND to a sendmsg, found as @how says: the
 * count deleted, or the first failure. */
static int del_found(struct vmnet_nfnl *s, const struct found *f, const char *what,
		     const char *how, struct vmnet_err *err)
{
	int r, first = 0, deleted = 0;

	for (size_t i = 0; i < f->n; i += DEL_PER_SEND) {
		size_t n = f->n - i < DEL_PER_SEND ? f->n - i : DEL_PER_SEND;

		r = del_batch(s, f->w->af, f->v + i, n, &deleted);
		if (r < 0 && !first)
			first = r;
	}
	log_debug("conntrack: %s: %zu %s, %zu matched, %d deleted", what, f->seen, how, f->n,
		  deleted);
	if (first)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -first,
				     "deleting conntrack entries for %s", what);
	return deleted;
}

static int flush_by_dump(struct vmnet_nfnl *s, const struct want *w, const char *what,
			 struct vmnet_err *err)
{
	_cleanup_free_ struct entry *v = NULL;
	struct found f = {.w = w};
	bool filtered = kernel_may_filter(w);
	int r;

	r = dump(s, w, filtered, &f);
	if (filtered && (r == -EINVAL || r == -EOPNOTSUPP)) {
		/* Kernel before 5.10 or one that refuses this filter. */
		filtered = false;
		f.n = f.seen = 0;
		r = dump(s, w, false, &f);
	}
	v = f.v;
	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "dumping conntrack entries for %s",
				     what);
	return del_found(s, &f, what, filtered ? "dumped (kernel filter)" : "dumped (unfiltered)",
			 err);
}

/* ------------------------------------------------------------ /proc */

/* As ctnetlink dumps it: ports (and GRE keys) only for port protocols. */
static void line_tuple(const struct vmnet_ct_line *l, const struct vmnet_ct_tuple *lt,
		       struct tuple *t)
{
	*t = (struct tuple){.sport = lt->sport, .dport = lt->dport, .proto = l->proto,
			    .has_ip = true, .has_proto = true,
			    .has_ports = l->l4 == VMNET_CT_L4_PORTS};
	memcpy(t->src, lt->src, sizeof(t->src));
	memcpy(t->dst, lt->dst, sizeof(t->dst));
}

static int proc_cb(const struct vmnet_ct_line *l, void *data)
{
	struct found *f = data;
	struct tuple o, r;
	struct entry *e;

	f->seen++;
	if (l->af != f->w->af)
		return 0;
	line_tuple(l, &l->orig, &o);
	line_tuple(l, &l->reply, &r);
	if (!wanted(f->w, &o, &r))
		return 0;
	e = found_add(f);
	if (!e)
		return -ENOMEM;
	e->tuple_len = (uint16_t)vmnet_ctproc_orig(l, e->tuple, sizeof(e->tuple));
	e->has_zone = l->has_zone;
	e->zone = htons(l->zone);
	return 0;
}

/*
 * The entries of the namespace's /proc/net/nf_conntrack (~0.3 ms for an empty
 * table, against a dump's ~9 ms), deleted by original tuple. -EAGAIN when the
 * file is missing (no CONFIG_NF_CONNTRACK_PROCFS) or a line is not
 * understood: the caller dumps instead.
 * Without CTA_ID an entry made between the read and the delete with the same
 * original tuple goes too. One we want gone: the guest flush runs in DEL after
 * the firewall stopped forwarding and DNAT to the guest (lib/attach.c
 * detach_nft) and before its address is released (lib/teardown.c), so a new
 * entry towards that address is the same guest's; the port flush runs in ADD
 * after the new DNAT is in, and the next packet makes the same entry again.
 */
static int flush_by_proc(int nsfd, struct vmnet_nfnl *s, const struct want *w,
			 const char *what, struct vmnet_err *err)
{
	_cleanup_free_ struct entry *v = NULL;
	_cleanup_close_ int fd = vmnet_ctproc_open(nsfd);
	struct found f = {.w = w};
	int r = fd < 0 ? fd : vmnet_ctproc_read(fd, proc_cb, &f);

	v = f.v;
	if (r < 0) {
		log_debug("conntrack: %s: no /proc/net/nf_conntrack to read (%s), dumping", what,
			  strerror(-r));
		return -EAGAIN;
	}
	return del_found(s, &f, what, "read from /proc", err);
}

static int flush(int nsfd, const struct want *w, const char *what, struct vmnet_err *err)
{
	_cleanup_(vmnet_nfnl_closep) struct vmnet_nfnl *s = NULL;
	int r;

	if (table_empty(nsfd))
		return 0;
	r = vmnet_nfnl_open(nsfd, &s, err);
	if (r < 0)
		return vmnet_err_wrap(err, "flushing conntrack for %s", what);
	r = dump_only() || !kernel_may_flush(w) ? -EOPNOTSUPP : flush_filtered(s, w);
	if (r == 0) {
		log_debug("conntrack: %s: flushed by the kernel's filter", what);
		return 0;
	}
	if (r != -EINVAL && r != -EOPNOTSUPP)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "flushing conntrack entries for %s",
				     what);
	r = w->af == AF_INET6 && !dump_only() ? flush_by_proc(nsfd, s, w, what, err) : -EAGAIN;
	return r == -EAGAIN ? flush_by_dump(s, w, what, err) : r;
}

static const char *proto_name(uint8_t p, char *buf, size_t size)
{
	if (vmnet_proto_name(p))
		return vmnet_proto_name(p);
	snprintf(buf, size, "proto %u", p);
	return buf;
}

/* By port: @host_ip (network order, ip_len(@af) bytes) NULL or zero is any
 * destination address. */
static int flush_port(int nsfd, uint8_t af, uint8_t proto, uint16_t dport, const void *host_ip,
		      struct vmnet_err *err)
{
	struct want w = { .af = af, .by_port = true, .proto = proto, .dport = htons(dport) };
	char what[96], pb[16], ipb[INET6_ADDRSTRLEN] = "";
	static const uint8_t zero[16];

	w.any_ip = !host_ip || !memcmp(host_ip, zero, ip_len(af));
	if (!w.any_ip) {
		memcpy(w.ip, host_ip, ip_len(af));
		inet_ntop(af, w.ip, ipb, sizeof(ipb));
	}
	snprintf(what, sizeof(what), "%s/%u%s%s%s", proto_name(proto, pb, sizeof(pb)), dport,
		 af == AF_INET6 ? " (IPv6)" : "", w.any_ip ? "" : " at ", ipb);
	if (!proto || !dport)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, EINVAL,
				     "flushing conntrack for %s: no protocol or port", what);
	return flush(nsfd, &w, what, err);
}

static int flush_guest(int nsfd, uint8_t af, const void *guest_ip, struct vmnet_err *err)
{
	struct want w = { .af = af };
	char what[64], ipb[INET6_ADDRSTRLEN];
	static const uint8_t zero[16];

	if (!memcmp(guest_ip, zero, ip_len(af)))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, EINVAL,
				     "flushing conntrack for guest: no address");
	memcpy(w.ip, guest_ip, ip_len(af));
	snprintf(what, sizeof(what), "guest %s%s", inet_ntop(af, w.ip, ipb, sizeof(ipb)),
		 af == AF_INET6 ? " (IPv6)" : "");
	return flush(nsfd, &w, what, err);
}

int vmnet_conntrack_flush_port(int nsfd, uint8_t proto, uint16_t dport, uint32_t host_ip,
			       struct vmnet_err *err)
{
	uint32_t be = htonl(host_ip);

	return flush_port(nsfd, AF_INET, proto, dport, &be, err);
}

int vmnet_conntrack_flush_port6(int nsfd, uint8_t proto, uint16_t dport,
				const struct in6_addr *host_ip, struct vmnet_err *err)
{
	return flush_port(nsfd, AF_INET6, proto, dport, host_ip, err);
}

int vmnet_conntrack_flush_guest(int nsfd, uint32_t guest_ip, struct vmnet_err *err)
{
	uint32_t be = htonl(guest_ip);

	return flush_guest(nsfd, AF_INET, &be, err);
}

int vmnet_conntrack_flush_guest6(int nsfd, const struct in6_addr *guest_ip, struct vmnet_err *err)
{
	return flush_guest(nsfd, AF_INET6, guest_ip, err);
}
