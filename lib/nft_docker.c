/* SPDX-License-Identifier: MIT */
/*
 * vmnet's accepts in Docker's DOCKER-USER chains (include/vmnet/docker.h
 * says which and why), through the one batch path of nft_batch.c.
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>

#include "nft_priv.h"
#include "vmnet/docker.h"
#include "vmnet/foreign.h"
#include "vmnet/fs.h"
#include "vmnet/names.h"
#include "vmnet/record.h"

#define MAX_OURS 64 /* vmnet rules read per chain: more are not expected */
#define LOCK_TIMEOUT_MS 5000

/* The tables Docker creates DOCKER-USER in (ip6 once vmnet speaks IPv6). */
static const int families[] = {NFPROTO_IPV4, NFPROTO_IPV6};

/* One of vmnet's rules as read back: which device, which direction. */
struct ours {
	struct vmnet_docker_dev dev;
	bool oif, known; /* known: the rule has exactly our shape */
	uint64_t handle;
};

struct chain_read {
	struct ours v[MAX_OURS];
	size_t n;
	bool truncated;
};

void vmnet_docker_dev_of(const struct vmnet_record *rec, struct vmnet_docker_dev *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (rec->mode == VMNET_MODE_SHARED) {
		snprintf(ret->name, sizeof(ret->name), "%s", rec->bridge);
		return;
	}
	snprintf(ret->name, sizeof(ret->name), "%s",
		 rec->wiring == VMNET_TAP_HOST ? VMNET_PREFIX_TAP : VMNET_PREFIX_VETH);
	ret->prefix = true;
}

/* A rule of family @fam's DOCKER-USER, to fill, delete or dump by. */
static struct nftnl_rule *docker_rule(int fam)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r) {
		nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, (uint32_t)fam);
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, VMNET_DOCKER_TABLE);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, VMNET_DOCKER_CHAIN);
	}
	return r;
}

/* ---- building: as iptables-nft 1.8 encodes `-i|-o NAME[+] -m comment --comment vmnet -j ACCEPT`
 */

static int rule_comment(struct nftnl_rule *r)
{
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(64);
	int ret = -ENOMEM;

	if (!u)
		return -ENOMEM;
	if (nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, VMNET_DOCKER_COMMENT) &&
	    nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u),
				nftnl_udata_buf_len(u)) == 0)
		ret = 0;
	nftnl_udata_buf_free(u);
	return ret;
}

/* A wildcard compares the prefix only; an exact name includes its NUL. */
static int rule_fill(struct nftnl_rule *r, const struct vmnet_docker_dev *d, bool oif)
{
	size_t len = strlen(d->name) + (d->prefix ? 0 : 1);

	return nft_expr_meta(r, oif ? NFT_META_OIFNAME : NFT_META_IIFNAME, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, d->name, (uint32_t)len) ?:
	       nft_expr_simple(r, "counter") ?:
	       nft_expr_verdict(r, NF_ACCEPT, NULL) ?:
	       rule_comment(r);
}

/* NEWRULE without NLM_F_APPEND or a position: the kernel inserts at the
 * top, before Docker's `-j RETURN`. */
static int put_accept(struct nft_batch *b, int fam, const struct vmnet_docker_dev *d, bool oif)
{
	struct nft_msg_label lbl = {.kind = M_OTHER};
	struct nftnl_rule *r = docker_rule(fam);
	struct nlmsghdr *nh;
	int ret;

	if (!r)
		return -ENOMEM;
	ret = rule_fill(r, d, oif);
	if (ret == 0) {
		nh = nft_msg_start(b, fam, NFT_MSG_NEWRULE, NLM_F_CREATE, &lbl);
		if (nh) {
			nftnl_rule_nlmsg_build_payload(nh, r);
			nft_msg_done(b, nh);
		} else {
			ret = -ENOMEM;
		}
	}
	nftnl_rule_free(r);
	return ret;
}

static int put_delete(struct nft_batch *b, int fam, uint64_t handle)
{
	struct nft_msg_label lbl = {.kind = M_OTHER};
	struct nftnl_rule *r = docker_rule(fam);
	struct nlmsghdr *nh;

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, handle);
	nh = nft_msg_start(b, fam, NFT_MSG_DELRULE, 0, &lbl);
	if (nh) {
		nftnl_rule_nlmsg_build_payload(nh, r);
		nft_msg_done(b, nh);
	}
	nftnl_rule_free(r);
	return nh ? 0 : -ENOMEM;
}

static bool have(const struct chain_read *c, const struct vmnet_docker_dev *d, bool oif)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].known && c->v[i].oif == oif && c->v[i].dev.prefix == d->prefix &&
		    !strcmp(c->v[i].dev.name, d->name))
			return true;
	return false;
}

/* The accepts of @devs that @c (NULL: nothing) does not have; *ret_n of them. */
static int put_missing(struct nft_batch *b, int fam, const struct vmnet_docker_dev *devs,
		       size_t n_devs, const struct chain_read *c, size_t *ret_n)
{
	int ret = 0;

	*ret_n = 0;
	for (size_t i = 0; ret == 0 && i < n_devs; i++)
		for (int oif = 0; ret == 0 && oif < 2; oif++) {
			/* a device named twice (two networks' records) goes in once */
			bool dup = false;

			for (size_t j = 0; j < i; j++)
				dup = dup || (devs[j].prefix == devs[i].prefix &&
					      !strcmp(devs[j].name, devs[i].name));
			if (dup || !devs[i].name[0] || (c && have(c, &devs[i], oif)))
				continue;
			ret = put_accept(b, fam, &devs[i], oif);
			(*ret_n)++;
		}
	return ret;
}

int vmnet_docker_build(int fam, const struct vmnet_docker_dev *devs, size_t n_devs, uint32_t seq,
		       void **ret_buf, size_t *ret_len, struct vmnet_err *err)
{
	struct nft_batch b;
	size_t n;
	int ret = nft_batch_init(&b, seq);

	if (ret == 0)
		ret = put_missing(&b, fam, devs, n_devs, NULL, &n);
	return nft_build_out(&b, ret, ret_buf, ret_len, err);
}

/* ---- reading the chain back */

static int udata_cb(const struct nftnl_udata *a, void *data)
{
	if (nftnl_udata_type(a) == NFTNL_UDATA_RULE_COMMENT) {
		const char *s = nftnl_udata_get(a);
		uint8_t len = nftnl_udata_len(a);

		*(bool *)data = len == sizeof(VMNET_DOCKER_COMMENT) &&
				!memcmp(s, VMNET_DOCKER_COMMENT, sizeof(VMNET_DOCKER_COMMENT));
	}
	return 0;
}

static bool is_ours(const struct nftnl_rule *r)
{
	uint32_t len = 0;
	const void *u = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
	bool ours = false;

	if (u && len)
		nftnl_udata_parse(u, len, udata_cb, &ours);
	return ours;
}

struct shape {
	struct ours *o;
	int step; /* expressions seen in our order: meta, cmp, counter, accept */
};

static int shape_cb(struct nftnl_expr *e, void *data)
{
	struct shape *s = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	uint32_t len = 0, key;
	const char *d;

	if (s->step == 0 && !strcmp(name, "meta")) {
		key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
		s->o->oif = key == NFT_META_OIFNAME;
		s->step = key == NFT_META_IIFNAME || key == NFT_META_OIFNAME ? 1 : -1;
	} else if (s->step == 1 && !strcmp(name, "cmp") &&
		   nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP) == NFT_CMP_EQ) {
		d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
		if (!d || !len || len > IFNAMSIZ) {
			s->step = -1;
			return 0;
		}
		s->o->dev.prefix = strnlen(d, len) == len;
		memcpy(s->o->dev.name, d, strnlen(d, len < IFNAMSIZ - 1 ? len : IFNAMSIZ - 1));
		s->step = 2;
	} else if (s->step == 2 && !strcmp(name, "counter")) {
		s->step = 3;
	} else if (s->step == 3 && !strcmp(name, "immediate") &&
		   (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT) == NF_ACCEPT) {
		s->step = 4;
	} else {
		s->step = -1;
	}
	return 0;
}

static int chain_rule_cb(const struct nlmsghdr *nh, void *data)
{
	struct chain_read *c = data;
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct shape s;

	if (!r)
		return MNL_CB_OK; /* the caller sees too few rules: a duplicate at worst */
	if (nftnl_rule_nlmsg_parse(nh, r) == 0 && is_ours(r)) {
		if (c->n == MAX_OURS) {
			c->truncated = true;
		} else {
			s.o = &c->v[c->n++];
			memset(s.o, 0, sizeof(*s.o));
			s.o->handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
			s.step = 0;
			nftnl_expr_foreach(r, shape_cb, &s);
			s.o->known = s.step == 4;
		}
	}
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

/* GETCHAIN of family @fam's DOCKER-USER, or (@rules) a dump of its rules
 * into @c: the kernel filters a rule dump by table and chain. */
static int request(struct vmnet_nft *n, int fam, bool rules, struct chain_read *c)
{
	char buf[REQ_BUF];
	struct nftnl_chain *ch = rules ? NULL : nftnl_chain_alloc();
	struct nftnl_rule *r = rules ? docker_rule(fam) : NULL;
	struct nlmsghdr *nh;

	if (!ch && !r)
		return -ENOMEM;
	nh = nftnl_nlmsg_build_hdr(buf, rules ? NFT_MSG_GETRULE : NFT_MSG_GETCHAIN, (uint16_t)fam,
				   rules ? NLM_F_DUMP : NLM_F_ACK, 0);
	if (ch) {
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, VMNET_DOCKER_TABLE);
		nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, VMNET_DOCKER_CHAIN);
		nftnl_chain_nlmsg_build_payload(nh, ch);
		nftnl_chain_free(ch);
	} else {
		nftnl_rule_nlmsg_build_payload(nh, r);
		nftnl_rule_free(r);
	}
	return nft_request(n, nh, rules ? chain_rule_cb : NULL, c);
}

/* 1 and @c filled if family @fam's DOCKER-USER exists, 0 if not. */
static int chain_read(struct vmnet_nft *n, int fam, struct chain_read *c)
{
	int ret;

	memset(c, 0, sizeof(*c));
	ret = request(n, fam, false, c);
	if (ret == 0)
		ret = request(n, fam, true, c);
	if (ret == -ENOENT)
		return 0;
	return ret < 0 ? ret : 1;
}

static const char *fam_name(int fam)
{
	return fam == NFPROTO_IPV6 ? "ip6" : "ip";
}

/* One family: the batch @put builds, sent; -ENOENT (Docker removed its
 * chain meanwhile) is nothing to do. */
static int send_or_gone(struct vmnet_nft *n, struct nft_batch *b, int fam, const char *what,
			struct vmnet_err *err)
{
	char w[96];
	size_t idx;
	int ret;

	snprintf(w, sizeof(w), "%s in table %s %s chain %s", what, fam_name(fam),
		 VMNET_DOCKER_TABLE, VMNET_DOCKER_CHAIN);
	ret = nft_batch_run(n, b, w, &idx);
	if (ret == -ENOENT)
		ret = 0;
	else if (ret < 0)
		nft_batch_fail(b, idx, ret, w, err);
	nft_batch_free(b);
	return ret;
}

/* In each family's DOCKER-USER: add @devs' missing accepts, or (@remove)
 * delete every rule of vmnet's. 1 if something changed, 0 if not. */
static int edit(struct vmnet_nft *n, const struct vmnet_docker_dev *devs, size_t n_devs,
		bool remove, struct vmnet_err *err)
{
	struct chain_read c;
	struct nft_batch b;
	int changed = 0, ret;
	size_t msgs;

	for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
		ret = chain_read(n, families[f], &c);
		if (ret < 0)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, -ret,
					     "nft: reading table %s filter chain DOCKER-USER",
					     fam_name(families[f]));
		if (ret == 0)
			continue;
		msgs = 0;
		ret = nft_batch_init(&b, nft_seq(n));
		for (size_t i = 0; remove && ret == 0 && i < c.n; i++, msgs++)
			ret = put_delete(&b, families[f], c.v[i].handle);
		if (!remove && ret == 0)
			ret = put_missing(&b, families[f], devs, n_devs, &c, &msgs);
		ret = nft_batch_end(&b, ret, err);
		if (ret < 0)
			return ret;
		if (!msgs) {
			nft_batch_free(&b);
			continue;
		}
		ret = send_or_gone(n, &b, families[f],
				   remove ? "removing vmnet's accepts" : "adding vmnet's accepts",
				   err);
		if (ret < 0)
			return ret;
		changed = 1;
	}
	return changed;
}

int vmnet_docker_ensure(struct vmnet_nft *n, const struct vmnet_docker_dev *devs, size_t n_devs,
			struct vmnet_err *err)
{
	return edit(n, devs, n_devs, false, err);
}

int vmnet_docker_remove(struct vmnet_nft *n, struct vmnet_err *err)
{
	return edit(n, NULL, 0, true, err);
}

int vmnet_docker_covers(struct vmnet_nft *n, const struct vmnet_docker_dev *devs, size_t n_devs)
{
	struct chain_read c;

	if (chain_read(n, NFPROTO_IPV4, &c) <= 0)
		return 0;
	for (size_t i = 0; i < n_devs; i++)
		if (devs[i].name[0] && (!have(&c, &devs[i], false) || !have(&c, &devs[i], true)))
			return 0;
	return 1;
}

/* ---- port conflicts with other DNAT owners (foreign.c reads them) */

int vmnet_docker_ports_check(const struct vmnet_port *ports, size_t n, struct vmnet_err *err)
{
	_cleanup_(vmnet_nft_closep) struct vmnet_nft *nft = NULL;
	struct vmnet_fw_ruleset rs = {0};
	char owner[VMNET_FW_NAME * 2 + 64], p[64];
	ssize_t ri = -1;
	size_t i;
	int r;

	if (!n)
		return 0;
	r = vmnet_nft_open(-1, &nft, err);
	if (r == 0)
		r = vmnet_fw_read(nft, &rs, err);
	for (i = 0; r == 0 && i < n && ri < 0; i++)
		ri = vmnet_fw_dnat_owner(&rs, ports[i].proto, ports[i].host_port, ports[i].host_ip);
	if (ri >= 0) {
		vmnet_fw_owner_fmt(&rs, (size_t)ri, owner, sizeof(owner));
		r = vmnet_err_set(err, VMNET_ERR_PORT_CONFLICT, EEXIST,
				  "host port %s is already published by %s",
				  nft_port_fmt(&ports[i - 1], p, sizeof(p)), owner);
	}
	vmnet_fw_free(&rs);
	return r;
}

/* ---- the plugin's side */

static int lock_take(void)
{
	int fd, r;

	(void)mkdir("/run/vmnet", 0755);
	fd = open(VMNET_DOCKER_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	r = vmnet_fs_lock_wait(fd, LOCK_TIMEOUT_MS);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* Whether any family has DOCKER-USER (with @ours: and a rule of vmnet's). */
static bool docker_here_ours(struct vmnet_nft *n, bool ours)
{
	struct chain_read c;

	for (size_t f = 0; f < ARRAY_SIZE(families); f++)
		if (chain_read(n, families[f], &c) > 0 && (!ours || c.n))
			return true;
	return false;
}

int vmnet_docker_attach(const struct vmnet_record *rec, struct vmnet_err *err)
{
	_cleanup_(vmnet_nft_closep) struct vmnet_nft *n = NULL;
	struct vmnet_docker_dev d;
	int lock, r;

	vmnet_docker_dev_of(rec, &d);
	r = vmnet_nft_open(-1, &n, err);
	if (r < 0)
		return r;
	/* Without Docker (the common case): two lookups, no lock. */
	if (!docker_here_ours(n, false))
		return 0;
	lock = lock_take();
	if (lock < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -lock, "locking %s", VMNET_DOCKER_LOCK);
	r = vmnet_docker_ensure(n, &d, 1, err);
	close(lock);
	return r;
}

static int elem_seen(struct nftnl_set_elem *e, void *data)
{
	(void)e;
	*(bool *)data = true;
	return 0;
}

/* The kernel answers an empty set's dump with a message without elements. */
static int elems_cb(const struct nlmsghdr *nh, void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (s && nftnl_set_elems_nlmsg_parse(nh, s) == 0)
		nftnl_set_elem_foreach(s, elem_seen, data);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

/* Whether guests4 holds any address (every attachment of every network has
 * one there): 1, 0 (also without the table), or a negative errno. */
static int any_guest(struct vmnet_nft *n)
{
	char buf[REQ_BUF];
	struct nftnl_set *s = nft_set_ref(F_INET, S_GUESTS4, 0);
	struct nlmsghdr *nh;
	bool any = false;
	int r;

	if (!s)
		return -ENOMEM;
	nh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, F_INET, NLM_F_DUMP, 0);
	nftnl_set_elems_nlmsg_build_payload(nh, s);
	nftnl_set_free(s);
	r = nft_request(n, nh, elems_cb, &any);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : any;
}

int vmnet_docker_release(struct vmnet_err *err)
{
	_cleanup_(vmnet_nft_closep) struct vmnet_nft *n = NULL;
	int lock, r;

	r = vmnet_nft_open(-1, &n, err);
	if (r < 0)
		return r;
	/* The common case (no Docker, or no rule of ours) costs two lookups. */
	if (!docker_here_ours(n, true))
		return 0;
	lock = lock_take();
	if (lock < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -lock, "locking %s", VMNET_DOCKER_LOCK);
	r = any_guest(n);
	if (r == 0)
		r = vmnet_docker_remove(n, err);
	else if (r < 0)
		r = vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "nft: reading set guests4");
	close(lock);
	return r < 0 ? r : 0;
}
