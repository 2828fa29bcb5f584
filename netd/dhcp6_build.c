/* SPDX-License-Identifier: MIT */
/*
 * The DHCPv6 server's answers (RFC 8415 18.3): which message gets which
 * reply, and the reply's bytes. Every write is preceded by the check that
 * it fits; nothing here does I/O.
 */
#include <errno.h>
#include <string.h>

#include "dhcp6.h"
#include "dhcp6_wire.h"

struct ow {
	uint8_t *b;
	size_t size, n;
	bool full;
};

/* Room for an option of @len value bytes after its header, or NULL. */
static uint8_t *opt(struct ow *w, uint16_t code, size_t len)
{
	uint8_t *p;

	if (w->full || len > 0xffff || 4 + len > w->size - w->n) {
		w->full = true;
		return NULL;
	}
	p = w->b + w->n;
	wr16(p, code);
	wr16(p + 2, (uint16_t)len);
	memset(p + 4, 0, len);
	w->n += 4 + len;
	return p + 4;
}

/* An option holding others: its length is set by opt_end(). */
static size_t opt_begin(struct ow *w, uint16_t code, size_t fixed, uint8_t **ret)
{
	size_t start = w->n;

	*ret = opt(w, code, fixed);
	return start;
}

static void opt_end(struct ow *w, size_t start)
{
	if (!w->full)
		wr16(w->b + start + 2, (uint16_t)(w->n - start - 4));
}

static void opt_status(struct ow *w, uint16_t code, const char *msg)
{
	uint8_t *p = opt(w, D6_OPT_STATUS, 2 + strlen(msg));

	if (!p)
		return;
	wr16(p, code);
	memcpy(p + 2, msg, strlen(msg));
}

static void opt_iaaddr(struct ow *w, const struct in6_addr *a, uint32_t pref, uint32_t valid)
{
	uint8_t *p = opt(w, D6_OPT_IAADDR, 24);

	if (!p)
		return;
	memcpy(p, a, 16);
	wr32(p + 16, pref);
	wr32(p + 20, valid);
}

void netd_dhcp6_duid(const struct netd_link6 *l, uint8_t ret[10])
{
	wr16(ret, 3);	  /* DUID-LL */
	wr16(ret + 2, 1); /* Ethernet */
	memcpy(ret + 4, l->mac, 6);
}

static bool has_addr(const struct netd_link6 *l)
{
	return l->managed && !IN6_IS_ADDR_UNSPECIFIED(&l->addr);
}

static bool in_prefix(const struct in6_addr *a, const struct in6_addr *p, unsigned len)
{
	unsigned bytes = len / 8, bits = len % 8;

	if (memcmp(a, p, bytes))
		return false;
	return !bits || !((a->s6_addr[bytes] ^ p->s6_addr[bytes]) & (0xff00 >> bits));
}

/* Whether @a belongs on link @l (Confirm): the guest's prefix or one we
 * advertise. */
static bool on_link(const struct netd_link6 *l, const struct in6_addr *a)
{
	if (has_addr(l) && in_prefix(a, &l->addr, l->prefix_len))
		return true;
	for (unsigned i = 0; i < l->n_prefixes; i++)
		if (in_prefix(a, &l->prefixes[i].prefix, l->prefixes[i].len))
			return true;
	return false;
}

/* One IA_NA of the answer. The first IA gets the address; in a Request,
 * Renew or Rebind (@drop) the other addresses the client names get
 * lifetimes 0 so it stops using them (RFC 8415 18.3.2, 18.3.4, 18.3.5).
 * Other IAs get @refusal. */
static void put_ia(struct ow *w, const struct netd_dhcp6_ia *ia, const struct netd_link6 *l,
		   bool first, bool drop, uint16_t refusal)
{
	uint32_t pref = netd_link6_preferred_secs(l), valid = netd_link6_valid_secs(l);
	uint8_t *p;
	size_t start = opt_begin(w, D6_OPT_IA_NA, 12, &p);

	if (!p)
		return;
	wr32(p, ia->iaid);
	if (!first || !has_addr(l)) {
		opt_status(w, refusal, refusal == DHCP6_NO_BINDING ? "no binding" : "no addresses");
		opt_end(w, start);
		return;
	}
	/* RFC 8415 21.4: T1 0.5 and T2 0.8 of the preferred lifetime. */
	wr32(p + 4, pref / 2);
	wr32(p + 8, (uint32_t)((uint64_t)pref * 4 / 5));
	opt_iaaddr(w, &l->addr, pref, valid);
	for (unsigned i = 0; drop && i < ia->n_addrs; i++)
		if (memcmp(&ia->addrs[i], &l->addr, 16))
			opt_iaaddr(w, &ia->addrs[i], 0, 0);
	opt_end(w, start);
}

/* Options 23 and 24; domain names only while they fit the reply. */
static void put_dns(struct ow *w, const struct netd_link6 *l)
{
	uint8_t names[NETD_DHCP6_REPLY_MAX];
	size_t n, room;
	uint8_t *p;

	if (l->n_dns && (p = opt(w, D6_OPT_DNS, 16 * (size_t)l->n_dns)))
		for (unsigned i = 0; i < l->n_dns; i++)
			memcpy(p + 16 * i, &l->dns[i], 16);
	if (w->full || w->size - w->n < 4 + 2)
		return;
	room = w->size - w->n - 4;
	if (room > sizeof(names))
		room = sizeof(names);
	n = netd_link6_names(l, names, room);
	if (n && (p = opt(w, D6_OPT_DOMAINS, n)))
		memcpy(p, names, n);
}

/* Whether @req may be answered at all (RFC 8415 16): its identifiers. */
static bool acceptable(const struct netd_dhcp6_msg *req, const uint8_t duid[10])
{
	bool ours = req->serverid_len == 10 && !memcmp(req->serverid, duid, 10);

	switch (req->type) {
	case DHCP6_SOLICIT:
	case DHCP6_CONFIRM:
	case DHCP6_REBIND:
		return req->clientid_len && !req->serverid_len;
	case DHCP6_REQUEST:
	case DHCP6_RENEW:
	case DHCP6_RELEASE:
	case DHCP6_DECLINE:
		return req->clientid_len && ours;
	case DHCP6_INFO_REQUEST:
		return (!req->serverid_len || ours) && !req->n_ia_na && !req->has_ia_ta &&
		       !req->has_ia_pd;
	default:
		return false;
	}
}

/* The status a Confirm gets, or -1 for no answer. */
static int confirm_status(const struct netd_dhcp6_msg *req, const struct netd_link6 *l)
{
	unsigned seen = 0;

	for (unsigned i = 0; i < req->n_ia_na; i++)
		for (unsigned j = 0; j < req->ia_na[i].n_addrs; j++, seen++)
			if (!on_link(l, &req->ia_na[i].addrs[j]))
				return DHCP6_NOT_ON_LINK;
	return seen ? DHCP6_SUCCESS : -1;
}

/* The body after the header and identifiers; false for no answer. */
static bool put_body(struct ow *w, const struct netd_dhcp6_msg *req, const struct netd_link6 *l)
{
	bool renew = req->type == DHCP6_RENEW || req->type == DHCP6_REBIND;
	int st;

	switch (req->type) {
	case DHCP6_CONFIRM:
		st = confirm_status(req, l);
		if (st < 0)
			return false;
		opt_status(w, (uint16_t)st, st ? "not on link" : "on link");
		return true;
	case DHCP6_RELEASE:
	case DHCP6_DECLINE:
		/* The address is the record's: nothing to release or retire
		 * here; the client stops asking. */
		opt_status(w, DHCP6_SUCCESS, "ok");
		return true;
	case DHCP6_INFO_REQUEST:
		put_dns(w, l);
		return true;
	default:
		break;
	}
	if (req->type == DHCP6_SOLICIT && req->rapid_commit)
		opt(w, D6_OPT_RAPID_COMMIT, 0);
	if (req->type == DHCP6_SOLICIT) {
		uint8_t *p = opt(w, D6_OPT_PREFERENCE, 1);

		/* 255: the client takes this Advertise at once. */
		if (p)
			p[0] = 255;
	}
	if (!req->n_ia_na || !has_addr(l))
		opt_status(w, DHCP6_NO_ADDRS_AVAIL, "no addresses");
	for (unsigned i = 0; i < req->n_ia_na; i++)
		put_ia(w, &req->ia_na[i], l, i == 0, req->type != DHCP6_SOLICIT,
		       renew ? DHCP6_NO_BINDING : DHCP6_NO_ADDRS_AVAIL);
	put_dns(w, l);
	return true;
}

int netd_dhcp6_answer(const struct netd_dhcp6_msg *req, const struct netd_link6 *l, uint8_t *buf,
		      size_t size)
{
	struct ow w = {.b = buf, .size = size};
	uint8_t duid[10];
	uint8_t *p;

	if (!netd_link6_valid(l))
		return -EINVAL;
	if (size < NETD_DHCP6_REPLY_MAX)
		return -ENOBUFS;
	/* Every reply stays within the minimum MTU, whatever the buffer. */
	w.size = NETD_DHCP6_REPLY_MAX;
	netd_dhcp6_duid(l, duid);
	if (!acceptable(req, duid))
		return 0;
	w.n = 4;
	buf[0] = req->type == DHCP6_SOLICIT && !req->rapid_commit ? DHCP6_ADVERTISE : DHCP6_REPLY;
	buf[1] = (uint8_t)(req->xid >> 16);
	buf[2] = (uint8_t)(req->xid >> 8);
	buf[3] = (uint8_t)req->xid;
	if ((p = opt(&w, D6_OPT_SERVERID, 10)))
		memcpy(p, duid, 10);
	if (req->clientid_len && (p = opt(&w, D6_OPT_CLIENTID, req->clientid_len)))
		memcpy(p, req->clientid, req->clientid_len);
	if (!put_body(&w, req, l))
		return 0;
	return w.full ? -ENOBUFS : (int)w.n;
}

const char *netd_dhcp6_type_name(int type)
{
	static const char *const names[] = {
		[DHCP6_SOLICIT] = "SOLICIT", [DHCP6_ADVERTISE] = "ADVERTISE",
		[DHCP6_REQUEST] = "REQUEST", [DHCP6_CONFIRM] = "CONFIRM",
		[DHCP6_RENEW] = "RENEW",     [DHCP6_REBIND] = "REBIND",
		[DHCP6_REPLY] = "REPLY",     [DHCP6_RELEASE] = "RELEASE",
		[DHCP6_DECLINE] = "DECLINE", [DHCP6_INFO_REQUEST] = "INFORMATION-REQUEST",
	};

	if (type > 0 && (size_t)type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "unknown";
}
