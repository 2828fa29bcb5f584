/* SPDX-License-Identifier: MIT */
/*
 * nftables through libnftnl + libmnl (doc/how-it-works.md, "nftables"): the
 * public operations. Each is one batch (nft_batch.c) of the base ruleset
 * (nft_defs.c, nft_rules*.c) and an attachment's elements (nft_elems.c), or
 * single-key lookups; ADD retries when it races another first ADD.
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "vmnet/common.h"
#include "vmnet/inet.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "nft_priv.h"

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
	int ret = nft_atts_validate(a, 1, err);

	if (ret < 0)
		return ret;
	/* Elements-only first (the common case); on a missing table, both
	 * tables created exclusively; if another process won that race, its
	 * tables are complete and we go back to elements-only. */
	for (int attempt = 0; attempt < 4; attempt++) {
		struct nft_batch b;
		size_t idx;

		ret = nft_batch_end(&b, nft_build_attach(&b, a, with_table, nft_seq(n)), err);
		if (ret < 0)
			return ret;
		ret = nft_batch_run(n, &b, "adding elements", &idx);
		if (ret >= 0) {
			nft_batch_free(&b);
			return 0;
		}
		if (idx < b.n && b.msgs[idx].kind == M_PORT && ret == -EEXIST) {
			char p[64];

			nft_port_fmt(&b.msgs[idx].port, p, sizeof(p));
			nft_batch_free(&b);
			return vmnet_err_set(err, VMNET_ERR_PORT_CONFLICT, EEXIST,
					     "nft: host port %s is already published", p);
		}
		if (!with_table && ret == -ENOENT) {
			char what[128];

			nft_msg_label_fmt(&b, idx, what, sizeof(what));
			nft_batch_free(&b);
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
			nft_batch_fail(&b, idx, ret, "adding elements", err);
			nft_batch_free(&b);
			return ret;
		}
		nft_batch_free(&b);
	}
	return vmnet_err_set(err, VMNET_ERR_SYSTEM, EAGAIN,
			     "nft: tables %s keep changing (or one is missing: resync them)",
			     VMNET_NFT_TABLE);
}

/* ---- single-key lookups (check, detach) ---- */

struct elem_reply {
	bool found;
	uint8_t data[sizeof(((struct nft_key *)0)->d)];
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
static int get_elem(struct vmnet_nft *n, unsigned si, const struct nft_key *k,
		    struct elem_reply *ret)
{
	char buf[REQ_BUF];
	struct nftnl_set *s;
	struct nftnl_set_elem *e;
	struct nlmsghdr *nh;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = nft_snap_get(n, si, k, ret->data, &ret->dlen);
	if (r != -ENODATA) {
		ret->found = r > 0;
		return r;
	}
	s = nft_set_ref(nft_sets[si].fam, nft_sets[si].name, 0);
	e = s ? nftnl_set_elem_alloc() : NULL;
	if (!e) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, k->k, k->klen);
	nftnl_set_elem_add(s, e);
	nh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, nft_sets[si].fam, NLM_F_ACK, 0);
	nftnl_set_elems_nlmsg_build_payload(nh, s);
	nftnl_set_free(s);
	r = nft_request(n, nh, elem_cb, ret);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	return ret->found ? 1 : 0;
}

int nft_elem_present(struct vmnet_nft *n, unsigned si, const struct nft_key *k)
{
	struct elem_reply rep;

	return get_elem(n, si, k, &rep);
}

int vmnet_nft_guest_present(struct vmnet_nft *n, uint32_t guest_ip)
{
	struct elem_reply rep = { 0 };
	struct nft_key k;

	nft_key_ip(&k, guest_ip);
	return get_elem(n, SI_GUESTS4, &k, &rep);
}

int vmnet_nft_guest6_present(struct vmnet_nft *n, const struct in6_addr *guest_ip6)
{
	struct elem_reply rep = { 0 };
	struct nft_key k;

	nft_key_ip6(&k, guest_ip6);
	return get_elem(n, SI_GUESTS6, &k, &rep);
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
	struct nftnl_table *t = nft_table_new(F_INET, false);
	struct nlmsghdr *nh;
	int r = nft_snap_table(n, ret_version ? ret_version : &rep.version);

	if (r != -ENODATA) {
		nftnl_table_free(t);
		return r;
	}
	if (!t)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "nft: looking up table");
	nh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, 0);
	nftnl_table_nlmsg_build_payload(nh, t);
	nftnl_table_free(t);
	r = nft_request(n, nh, table_cb, &rep);
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

static bool port_is_ours(const struct nft_key *k, const struct elem_reply *r)
{
	return r->dlen == k->dlen && memcmp(r->data, k->d, k->dlen) == 0;
}

/* "10.1.0.5", "vmv0 . 10.1.0.5", "vmv0 . 02:00:00:00:00:01", "vmv0 . group 7" */
static const char *elem_fmt(const struct vmnet_nft_att *a, const struct nft_elem *e, char *buf,
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
	case SI_GUESTS6:
	case SI_MASQ6:
	case SI_CLOSED6:
		snprintf(buf, size, "%s", vmnet_ip6_fmt(&a->guest_ip6, ip));
		break;
	case SI_SPOOF4:
	case SI_PORT_IP4:
		snprintf(buf, size, "%s . %s", a->host_if, vmnet_ip4_fmt(a->guest_ip, ip));
		break;
	case SI_SPOOF6:
	case SI_ND6:
	case SI_PORT_IP6:
	case SI_PORT_ND6:
		snprintf(buf, size, "%s . %s", a->host_if, vmnet_ip6_fmt(&a->guest_ip6, ip));
		break;
	case SI_GUEST_NET:
		snprintf(buf, size, "%s . %s", a->bridge, vmnet_ip4_fmt(a->guest_ip, ip));
		break;
	case SI_GUEST_NET6:
		snprintf(buf, size, "%s . %s", a->bridge, vmnet_ip6_fmt(&a->guest_ip6, ip));
		break;
	case SI_SPOOFMAC:
	case SI_PORT_MAC:
		snprintf(buf, size, "%s . %02x:%02x:%02x:%02x:%02x:%02x", a->host_if, m[0], m[1],
			 m[2], m[3], m[4], m[5]);
		break;
	case SI_ISO_MEMBERS:
		snprintf(buf, size, "%s . group %u", a->host_if, a->iso_id);
		break;
	case SI_CLUSTER4:
	case SI_CLUSTER6: /* guest . the prefix's first address */
		inet_ntop(e->si == SI_CLUSTER4 ? AF_INET : AF_INET6, e->k.k, ip, sizeof(ip));
		snprintf(buf, size, "%s . ", ip);
		inet_ntop(e->si == SI_CLUSTER4 ? AF_INET : AF_INET6, e->k.k + e->k.klen / 2, ip,
			  sizeof(ip));
		snprintf(buf + strlen(buf), size - strlen(buf), "the range from %s", ip);
		break;
	default:
		snprintf(buf, size, "%s", a->host_if);
		break;
	}
	return buf;
}

/* What a port's map element points at (@rep) and what it should (@a):
 * addresses into @got and @want, the guest port it has into *ret_port. */
static void port_data_fmt(const struct vmnet_nft_att *a, const struct nft_elem *e,
			  const struct elem_reply *rep, char *got, char *want, uint16_t *ret_port)
{
	bool v6 = e->si == SI_PORTS6 || e->si == SI_PORTS6H;
	struct in6_addr ip6;
	uint32_t ip;
	uint16_t port;

	if (v6) {
		memcpy(&ip6, rep->data, 16);
		vmnet_ip6_fmt(&ip6, got);
		vmnet_ip6_fmt(&a->guest_ip6, want);
	} else {
		memcpy(&ip, rep->data, 4);
		vmnet_ip4_fmt(ntohl(ip), got);
		vmnet_ip4_fmt(a->guest_ip, want);
	}
	memcpy(&port, rep->data + (v6 ? 16 : 4), 2);
	*ret_port = ntohs(port);
}

int vmnet_nft_check(struct vmnet_nft *n, const struct vmnet_nft_att *a, struct vmnet_err *err)
{
	char p[96], got[VMNET_ADDRSTRLEN], want[VMNET_ADDRSTRLEN], what[96];
	_cleanup_free_ struct nft_elem *el = NULL;
	struct elem_reply rep;
	size_t n_el;
	int v = 0, r = nft_atts_validate(a, 1, err);

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
	el = malloc(ELEMS_MAX(a) * sizeof(*el));
	if (!el)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "nft: check");
	n_el = nft_att_elems(a, true, NULL, 0, el);
	for (size_t i = 0; i < n_el; i++) {
		const struct nft_elem *e = &el[i];
		const char *set = nft_sets[e->si].name;
		uint32_t grp;
		uint16_t gport;

		if (e->is_port)
			nft_port_fmt(&e->port, p, sizeof(p));
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
					     nft_sets[e->si].flags & NFT_SET_MAP ? "map" : "set", set);
		if (!e->k.dlen || port_is_ours(&e->k, &rep))
			continue;
		if (!e->is_port) {
			memcpy(&grp, rep.data, 4);
			return vmnet_err_set(err, VMNET_ERR_CHECK, ENOENT,
					     "nft: %s maps to group %u in %s, expected %u", what,
					     grp, set, a->iso_id);
		}
		port_data_fmt(a, e, &rep, got, want, &gport);
		return vmnet_err_set(err, VMNET_ERR_CHECK, ENOENT,
				     "nft: port %s maps to %s:%u, expected %s:%u", p, got, gport, want,
				     e->port.guest_port);
	}
	return 0;
}

/* One DELSETELEM per batch, "missing" ignored: for kernels before 6.3 and
 * for tables someone damaged or an older version (one missing set must not
 * keep the others). */
int nft_del_elems_one_by_one(struct vmnet_nft *n, const struct nft_elem *el, size_t n_el,
			     struct vmnet_err *err)
{
	int first = 0;

	for (size_t i = 0; i < n_el; i++) {
		const struct nft_set_def *sd = &nft_sets[el[i].si];
		struct nft_msg_label d = {.kind = M_SET, .set = sd->name};
		struct nft_batch b;
		size_t idx;
		int r = nft_batch_init(&b, nft_seq(n));

		if (r >= 0)
			r = nft_put_elems(&b, sd->fam, NFT_MSG_DELSETELEM, 0, sd->name, 0, &el[i].k,
					  1, &d);
		r = nft_batch_end(&b, r, err);
		if (r < 0) {
			first = first ? first : r;
			continue;
		}
		r = nft_batch_run(n, &b, "deleting element", &idx);
		if (r < 0 && !vmnet_err_is_gone(r) && !first)
			first = nft_batch_fail(&b, idx, r, "deleting element", err);
		nft_batch_free(&b);
	}
	return first;
}

/* A port key is deleted only while it still maps to this guest: after a
 * refused ADD (port conflict) the CNI DEL must not free the port of the
 * attachment that really holds it. One lookup per own key; @skip holds
 * two per port (IPv4, IPv6). */
static int own_ports(struct vmnet_nft *n, const struct vmnet_nft_att *a, bool *skip,
		     struct vmnet_err *err)
{
	for (size_t i = 0; i < 2 * a->n_ports; i++) {
		const struct vmnet_port *p = &a->ports[i / 2];
		struct elem_reply rep;
		struct nft_key k;
		unsigned si;
		int r;

		skip[i] = true;
		if (!(nft_port_fams(a, p) & (1u << (i % 2))))
			continue;
		si = i % 2 ? nft_key_port6(&k, p, &a->guest_ip6) : nft_key_port(&k, p, a->guest_ip);
		r = get_elem(n, si, &k, &rep);
		if (r < 0 && r != -ENOENT)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: looking up port");
		skip[i] = r <= 0 || !port_is_ours(&k, &rep);
	}
	return 0;
}

int vmnet_nft_detach(struct vmnet_nft *n, const struct vmnet_nft_att *a, struct vmnet_err *err)
{
	_cleanup_free_ bool *skip = NULL;
	_cleanup_free_ struct nft_elem *el = NULL;
	uint32_t old_iso_id = 0;
	struct nft_batch b;
	size_t n_el, idx;
	int r = nft_atts_validate(a, 1, err);

	if (r < 0)
		return r;
	skip = calloc(2 * a->n_ports + 1, sizeof(*skip));
	el = malloc(ELEMS_MAX(a) * sizeof(*el));
	if (!skip || !el)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "nft: detach");
	r = own_ports(n, a, skip, err);
	if (r < 0)
		return r;
	/* The group iso_members really holds for our interface (the record's
	 * may have changed since): one lookup, keyed by our own device. */
	if (a->host_if && *a->host_if) {
		struct elem_reply rep;
		struct nft_key k;

		nft_key_if(&k, a->host_if, NULL, 0);
		r = get_elem(n, SI_ISO_GRP, &k, &rep);
		if (r < 0 && r != -ENOENT)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: looking up group");
		if (r > 0 && rep.dlen == 4)
			memcpy(&old_iso_id, rep.data, 4);
	}
	n_el = nft_att_elems(a, false, skip, old_iso_id, el);
	r = nft_batch_init(&b, nft_seq(n));
	if (r >= 0)
		r = nft_put_att(&b, a, VMNET_NFT_OP_DESTROY, skip, old_iso_id, false);
	r = nft_batch_end(&b, r, err);
	if (r < 0)
		return r;
	r = nft_batch_run(n, &b, "deleting elements", &idx);
	if (r < 0 && !nft_destroy_refused(r))
		nft_batch_fail(&b, idx, r, "deleting elements", err);
	nft_batch_free(&b);
	if (nft_destroy_refused(r))
		return nft_del_elems_one_by_one(n, el, n_el, err);
	return r < 0 ? r : 0;
}

int vmnet_nft_sync(struct vmnet_nft *n, const struct vmnet_nft_att *atts, size_t n_atts,
		   struct vmnet_err *err)
{
	struct nft_batch b;
	int r = nft_atts_validate(atts, n_atts, err);

	if (r < 0)
		return r;
	r = nft_batch_end(&b, nft_build_sync(&b, atts, n_atts, nft_seq(n)), err);
	if (r < 0)
		return r;
	return nft_batch_send(n, &b, "replacing tables", err);
}

int vmnet_nft_delete_table(struct vmnet_nft *n, struct vmnet_err *err)
{
	struct nft_batch b;
	int r = nft_batch_init(&b, nft_seq(n));

	if (r >= 0)
		r = nft_put_tables_delete(&b);
	r = nft_batch_end(&b, r, err);
	if (r < 0)
		return r;
	return nft_batch_send(n, &b, "deleting tables", err);
}

int vmnet_nft_dump(struct vmnet_nft *n, uint16_t msg_type, vmnet_nfnl_cb cb, void *data,
		   struct vmnet_err *err)
{
	char buf[REQ_BUF];
	struct nlmsghdr *nh;
	int r;

	nh = nftnl_nlmsg_build_hdr(buf, msg_type, NFPROTO_UNSPEC, NLM_F_DUMP, 0);
	r = nft_request(n, nh, cb, data);
	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: dump (message type %u)",
				     (unsigned)msg_type);
	return 0;
}

int vmnet_nft_dump_rules(struct vmnet_nft *n, uint8_t family, const char *table,
			 vmnet_nfnl_cb cb, void *data, struct vmnet_err *err)
{
	char buf[REQ_BUF];
	struct nlmsghdr *nh;
	int r;

	nh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, family, NLM_F_DUMP, 0);
	mnl_attr_put_strz(nh, NFTA_RULE_TABLE, table);
	r = nft_request(n, nh, cb, data);
	if (r < 0 && r != -ENOENT)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: dumping the rules of table %s",
				     table);
	return 0;
}
