/* SPDX-License-Identifier: MIT */
/*
 * Other tables' forward paths, walked as a VM packet would go through them
 * (include/vmnet/foreign.h says what counts as a finding). Pure: no kernel,
 * no allocation, so unit tests feed it hand-written shapes.
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "vmnet/common.h"
#include "vmnet/foreign.h"
#include "vmnet/names.h"

#define MAX_DEPTH 16	 /* the kernel's own limit on nested jumps */
#define MAX_VISITS 20000 /* rule visits per base chain: a bound on pathological jump graphs */

/* What the rules on the path so far say about one side (input or output
 * device) of the packets that reach this point. */
struct side {
	char eq[IFNAMSIZ]; /* an exact name they all have, "" if none */
	bool foreign;	   /* it is not a vmnet device */
	char ne[VMNET_FW_IFS][IFNAMSIZ];
	size_t n_ne;
};

struct path {
	struct side s[2]; /* input, output */
	bool certain;	  /* every rule on the way matched all VM traffic */
	size_t base;
};

struct scan {
	const struct vmnet_fw_ruleset *rs;
	const struct vmnet_fw_ours *ours;
	struct vmnet_fw_finding *out;
	size_t max, n;
	size_t visits;
	bool cut; /* a jump not followed: too deep, too many visits, target not read */
};

static const char *const our_prefixes[] = {VMNET_PREFIX_VETH, VMNET_PREFIX_TAP,
					   VMNET_PREFIX_BRIDGE};

/* Could a device named @name (@prefix: any name starting with it) be ours? */
static bool maybe_ours(const struct vmnet_fw_ours *o, const char *name, bool prefix)
{
	size_t i, n = strlen(name);

	for (i = 0; i < ARRAY_SIZE(our_prefixes); i++) {
		size_t p = strlen(our_prefixes[i]);

		if (!strncmp(name, our_prefixes[i], n < p ? n : p) && (prefix || n >= p))
			return true;
	}
	for (i = 0; o && i < o->n; i++)
		if (prefix ? !strncmp(o->names[i], name, n) : !strcmp(o->names[i], name))
			return true;
	return false;
}

/* Narrow @s by @f; false if no packet can satisfy both. */
static bool side_narrow(struct side *s, const struct vmnet_fw_if *f, const struct vmnet_fw_ours *o)
{
	size_t n = strlen(f->name), i;

	if (f->neg) {
		if (s->eq[0] && (f->prefix ? !strncmp(s->eq, f->name, n) : !strcmp(s->eq, f->name)))
			return false;
		if (!f->prefix && s->n_ne < VMNET_FW_IFS)
			snprintf(s->ne[s->n_ne++], IFNAMSIZ, "%s", f->name);
		return true;
	}
	if (s->eq[0] && (f->prefix ? strncmp(s->eq, f->name, n) : strcmp(s->eq, f->name)))
		return false;
	for (i = 0; !f->prefix && i < s->n_ne; i++)
		if (!strcmp(s->ne[i], f->name))
			return false;
	if (!f->prefix)
		snprintf(s->eq, IFNAMSIZ, "%s", f->name);
	if (!maybe_ours(o, f->name, f->prefix))
		s->foreign = true;
	return true;
}

/* The path after @r matched; false if no VM packet on @p can match @r. */
static bool rule_narrow(const struct scan *sc, struct path *p, const struct vmnet_fw_rule *r)
{
	if (r->guard)
		return false;
	for (size_t i = 0; i < r->n_ifs; i++)
		if (!side_narrow(&p->s[r->ifs[i].oif], &r->ifs[i], sc->ours))
			return false;
	/* Every VM packet has a vmnet device on one side. */
	return !(p->s[0].foreign && p->s[1].foreign);
}

static void add_finding(struct scan *sc, const struct path *p, const struct vmnet_fw_rule *r,
			enum vmnet_fw_what what, bool certain)
{
	const struct vmnet_fw_chain *b = &sc->rs->chains[p->base];
	const struct vmnet_fw_chain *c = r ? &sc->rs->chains[r->chain] : b;
	struct vmnet_fw_finding *f;

	/* A rule reached along several paths is one finding ("may" unless one is certain). */
	for (size_t i = 0; i < sc->n && i < sc->max; i++) {
		f = &sc->out[i];
		if (f->handle == (r ? r->handle : 0) && f->what == what &&
		    !strcmp(f->chain, c->name) && !strcmp(f->base, b->name) &&
		    !strcmp(f->table, b->table) && f->family == b->family) {
			f->certain = f->certain || certain;
			return;
		}
	}
	if (sc->n < sc->max) {
		f = &sc->out[sc->n];
		memset(f, 0, sizeof(*f));
		f->family = b->family;
		snprintf(f->table, sizeof(f->table), "%s", b->table);
		snprintf(f->base, sizeof(f->base), "%s", b->name);
		snprintf(f->chain, sizeof(f->chain), "%s", c->name);
		f->priority = b->priority;
		f->handle = r ? r->handle : 0;
		f->what = what;
		f->certain = certain;
	}
	sc->n++;
}

enum flow { FALLS, STOPS }; /* can a packet leave the chain without a final verdict? */

static enum flow walk(struct scan *sc, size_t ci, const struct path *in, int depth);

static enum flow follow(struct scan *sc, const struct vmnet_fw_rule *r, const struct path *p,
			int depth)
{
	const struct vmnet_fw_chain *c = &sc->rs->chains[r->chain];
	ssize_t t = vmnet_fw_chain_find(sc->rs, c->family, c->table, r->target);

	if (t < 0 || depth >= MAX_DEPTH) {
		sc->cut = true;
		return FALLS;
	}
	return walk(sc, (size_t)t, p, depth + 1);
}

static enum flow walk(struct scan *sc, size_t ci, const struct path *in, int depth)
{
	const struct vmnet_fw_chain *c = &sc->rs->chains[ci];

	for (size_t i = c->first; i < c->first + c->n; i++) {
		const struct vmnet_fw_rule *r = &sc->rs->rules[i];
		struct path p = *in;
		bool all = !r->partial && !r->unknown && !r->n_ifs;
		enum flow f;

		if (++sc->visits > MAX_VISITS) {
			sc->cut = true;
			return FALLS;
		}
		if (!rule_narrow(sc, &p, r))
			continue;
		p.certain = p.certain && all;
		switch (r->verdict) {
		case VMNET_FW_ACCEPT:
			if (all)
				return STOPS;
			break;
		case VMNET_FW_DROP:
		case VMNET_FW_REJECT:
			add_finding(sc, in, r,
				    r->verdict == VMNET_FW_DROP ? VMNET_FW_DROPS : VMNET_FW_REJECTS,
				    p.certain);
			if (all)
				return STOPS;
			break;
		case VMNET_FW_OTHER:
			add_finding(sc, in, r, VMNET_FW_MAY_ANY, false);
			break;
		case VMNET_FW_RETURN:
			if (all)
				return FALLS;
			break;
		case VMNET_FW_JUMP:
		case VMNET_FW_GOTO:
			f = follow(sc, r, &p, depth);
			if (all && (r->verdict == VMNET_FW_GOTO || f == STOPS))
				return f;
			break;
		case VMNET_FW_NONE:
			break;
		}
	}
	return FALLS;
}

bool vmnet_fw_scan(const struct vmnet_fw_ruleset *rs, const struct vmnet_fw_ours *ours,
		   struct vmnet_fw_finding *ret, size_t max, size_t *ret_n)
{
	struct scan sc = {.rs = rs, .ours = ours, .out = ret, .max = max};

	for (size_t i = 0; i < rs->n_chains; i++) {
		struct path p = {.certain = true, .base = i};

		if (!rs->chains[i].forward)
			continue;
		sc.visits = 0;
		if (walk(&sc, i, &p, 0) == FALLS && rs->chains[i].policy_drop)
			add_finding(&sc, &p, NULL, VMNET_FW_POLICY, true);
	}
	*ret_n = sc.n;
	return !sc.cut;
}

ssize_t vmnet_fw_dnat_owner(const struct vmnet_fw_ruleset *rs, uint8_t proto, uint16_t port,
			    uint32_t host_ip)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct vmnet_fw_rule *r = &rs->rules[i];

		if (r->dnat && r->dport && r->dport <= port && port <= r->dport_hi &&
		    (!r->l4proto || r->l4proto == proto) &&
		    (!r->daddr || !host_ip || r->daddr == host_ip))
			return (ssize_t)i;
	}
	return -1;
}

void vmnet_fw_owner_fmt(const struct vmnet_fw_ruleset *rs, size_t ri, char *buf, size_t size)
{
	const struct vmnet_fw_rule *r = &rs->rules[ri];
	const struct vmnet_fw_chain *c = &rs->chains[r->chain];
	bool docker =
		c->family == NFPROTO_IPV4 && !strcmp(c->table, "nat") && !strcmp(c->name, "DOCKER");

	snprintf(buf, size, "%stable %s %s, chain %s, rule handle %llu%s", docker ? "docker (" : "",
		 vmnet_fw_family_name(c->family), c->table, c->name, (unsigned long long)r->handle,
		 docker ? ")" : "");
}

const char *vmnet_fw_family_name(uint8_t f)
{
	switch (f) {
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_BRIDGE:
		return "bridge";
	default:
		return "?";
	}
}

void vmnet_fw_finding_fmt(const struct vmnet_fw_finding *f, char *buf, size_t size)
{
	const char *verb = f->what == VMNET_FW_REJECTS ? "reject" : "drop";
	int n;

	n = snprintf(buf, size, "table %s %s, chain %s (forward hook, priority %d): ",
		     vmnet_fw_family_name(f->family), f->table, f->base, f->priority);
	if (n < 0 || (size_t)n >= size)
		return;
	if (f->what == VMNET_FW_POLICY)
		snprintf(buf + n, size - n,
			 "policy drop: VM traffic its rules do not accept is dropped, whatever "
			 "vmnet accepts");
	else if (f->what == VMNET_FW_MAY_ANY)
		snprintf(buf + n, size - n,
			 "rule handle %llu in chain %s has a verdict vmnet does not evaluate (a "
			 "verdict map, queue, an xt target): it may drop VM traffic",
			 (unsigned long long)f->handle, f->chain);
	else if (f->certain)
		snprintf(buf + n, size - n,
			 "rule handle %llu in chain %s %ss VM traffic that earlier rules do not "
			 "accept, whatever vmnet accepts",
			 (unsigned long long)f->handle, f->chain, verb);
	else
		snprintf(buf + n, size - n,
			 "rule handle %llu in chain %s may %s VM traffic (it matches on things "
			 "vmnet does not evaluate), whatever vmnet accepts",
			 (unsigned long long)f->handle, f->chain, verb);
}
