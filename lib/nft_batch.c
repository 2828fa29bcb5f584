/* SPDX-License-Identifier: MIT */
/*
 * The batch buffer, and sending it through the nfnetlink transport
 * (lib/nfnl.c). Everything the kernel sees goes out as one NFNL batch per
 * operation with NLM_F_ACK on every message, so a failure names the message
 * that caused it and the kernel rolls the whole batch back. One batch may address both of our
 * tables (inet and bridge): the family is per message.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>

#include "vmnet/inet.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "vmnet/nfnl.h"
#include "nft_priv.h"

void nft_batch_free(struct nft_batch *b)
{
	free(b->buf);
	free(b->msgs);
	memset(b, 0, sizeof(*b));
}

/* Make room for @need more bytes at the end of @b. */
static int batch_reserve(struct nft_batch *b, size_t need)
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

int nft_batch_init(struct nft_batch *b, uint32_t seq)
{
	memset(b, 0, sizeof(*b));
	b->seq0 = seq;
	b->seq = seq + 1;
	if (batch_reserve(b, MSG_ROOM) < 0)
		return -ENOMEM;
	nftnl_batch_begin(b->buf, seq);
	b->len = MNL_ALIGN(((struct nlmsghdr *)b->buf)->nlmsg_len);
	return 0;
}

/* Start a message at the end of the batch: room for MSG_ROOM bytes. */
struct nlmsghdr *nft_msg_start(struct nft_batch *b, int fam, uint16_t type, uint16_t flags,
			       const struct nft_msg_label *d)
{
	if (batch_reserve(b, MSG_ROOM) < 0)
		return NULL;
	if (b->n == b->cap_msgs) {
		size_t cap = b->cap_msgs ? 2 * b->cap_msgs : 64;
		struct nft_msg_label *m = realloc(b->msgs, cap * sizeof(*m));

		if (!m)
			return NULL;
		b->msgs = m;
		b->cap_msgs = cap;
	}
	b->msgs[b->n++] = *d;
	return nftnl_nlmsg_build_hdr(b->buf + b->len, type, fam, flags | NLM_F_ACK, b->seq++);
}

void nft_msg_done(struct nft_batch *b, struct nlmsghdr *nh)
{
	b->len += MNL_ALIGN(nh->nlmsg_len);
}

int nft_batch_finish(struct nft_batch *b)
{
	struct nlmsghdr *nh;

	if (batch_reserve(b, MSG_ROOM) < 0)
		return -ENOMEM;
	nh = nftnl_batch_end(b->buf + b->len, b->seq++);
	b->len += MNL_ALIGN(nh->nlmsg_len);
	return 0;
}

/* "tcp/8080" or "tcp/8080 on 192.0.2.1" */
const char *nft_port_fmt(const struct vmnet_port *p, char *buf, size_t size)
{
	char ip[VMNET_ADDRSTRLEN];
	const char *name = vmnet_proto_name(p->proto);

	if (p->family == 6) /* a key of an IPv6 map */
		snprintf(buf, size, "%s/%u on %s", name ? name : "?", p->host_port,
			 vmnet_ip6_fmt(&p->host_ip6, ip));
	else if (p->host_ip)
		snprintf(buf, size, "%s/%u on %s", name ? name : "?", p->host_port,
			 vmnet_ip4_fmt(p->host_ip, ip));
	else
		snprintf(buf, size, "%s/%u", name ? name : "?", p->host_port);
	return buf;
}

int nft_batch_end(struct nft_batch *b, int ret, struct vmnet_err *err)
{
	if (ret >= 0)
		ret = nft_batch_finish(b);
	if (ret < 0) {
		nft_batch_free(b);
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -ret, "nft: building batch");
	}
	return 0;
}

int nft_build_out(struct nft_batch *b, int ret, void **ret_buf, size_t *ret_len,
		  struct vmnet_err *err)
{
	ret = nft_batch_end(b, ret, err);
	if (ret < 0)
		return ret;
	*ret_buf = steal_ptr(b->buf);
	*ret_len = b->len;
	nft_batch_free(b);
	return 0;
}

/* ---- talking to the kernel (lib/nfnl.c) ---- */

int vmnet_nft_open(int nsfd, struct vmnet_nft **ret, struct vmnet_err *err)
{
	struct vmnet_nft *n = calloc(1, sizeof(*n));

	if (!n)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "nft: opening netlink socket");
	if (vmnet_nfnl_open(nsfd, &n->nl, err) < 0) {
		free(n);
		return vmnet_err_wrap(err, "nft");
	}
	*ret = n;
	return 0;
}

struct vmnet_nft *vmnet_nft_close(struct vmnet_nft *n)
{
	if (n) {
		vmnet_nft_snapshot_drop(n);
		vmnet_nfnl_close(n->nl);
		free(n);
	}
	return NULL;
}

void vmnet_nft_drain(struct vmnet_nft *n)
{
	vmnet_nfnl_drain(n->nl);
}

uint32_t nft_seq(const struct vmnet_nft *n)
{
	return vmnet_nfnl_seq(n->nl);
}

int nft_request(struct vmnet_nft *n, struct nlmsghdr *nh, mnl_cb_t cb, void *data)
{
	return vmnet_nfnl_request(n->nl, nh, cb, data);
}

void nft_msg_label_fmt(const struct nft_batch *b, size_t idx, char *buf, size_t size)
{
	const struct nft_msg_label *d;
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
		snprintf(buf, size, "port %s in map %s", nft_port_fmt(&d->port, p, sizeof(p)),
			 d->set);
		break;
	default:
		snprintf(buf, size, "message %zu", idx + 1);
		break;
	}
}

int nft_batch_run(struct vmnet_nft *n, const struct nft_batch *b, const char *what, size_t *ret_idx)
{
	size_t idx = SIZE_MAX;
	char d[128];
	int ret;

	/* What the batch changes, a snapshot would not see. */
	vmnet_nft_snapshot_drop(n);
	ret = vmnet_nfnl_send(n->nl, b->buf, b->len, b->seq0 + 1, b->n, true, NULL, &idx);

	if (ret_idx)
		*ret_idx = idx;
	if (ret >= 0)
		return ret;
	nft_msg_label_fmt(b, idx, d, sizeof(d));
	log_debug("nft: %s refused at %s: %s", what, d, strerror(-ret));
	return ret;
}

int nft_batch_fail(const struct nft_batch *b, size_t idx, int ret, const char *what,
		   struct vmnet_err *err)
{
	char d[128];

	nft_msg_label_fmt(b, idx, d, sizeof(d));
	return vmnet_err_set(err, VMNET_ERR_SYSTEM, -ret, "nft: %s (%s)", what, d);
}

int nft_batch_send(struct vmnet_nft *n, struct nft_batch *b, const char *what,
		   struct vmnet_err *err)
{
	size_t idx;
	int ret = nft_batch_run(n, b, what, &idx);

	if (ret < 0)
		nft_batch_fail(b, idx, ret, what, err);
	nft_batch_free(b);
	return ret < 0 ? ret : 0;
}
