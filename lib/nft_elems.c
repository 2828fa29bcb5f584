/* SPDX-License-Identifier: MIT */
/*
 * One attachment's elements: the keys it puts into our sets and maps, as
 * ADD lays them down and DEL takes them away, and the batches built from
 * them (vmnet_nft_build_*, exposed for round-trip tests).
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>

#include "vmnet/inet.h"
#include "vmnet/common.h"
#include "nft_priv.h"

/* ifname [. 4-byte value | . ether_addr]; @extra may be NULL. */
void nft_key_if(struct nft_key *k, const char *ifname, const void *extra, uint32_t extra_len)
{
	memset(k, 0, sizeof(*k));
	strncpy((char *)k->k, ifname, IFNAME_LEN - 1);
	k->klen = IFNAME_LEN;
	if (extra) {
		memcpy(k->k + IFNAME_LEN, extra, extra_len);
		k->klen += (extra_len + 3) & ~3u; /* whole registers */
	}
}

void nft_key_if_ip(struct nft_key *k, const char *ifname, uint32_t ip)
{
	uint32_t be = htonl(ip);

	nft_key_if(k, ifname, &be, 4);
}

/* Device groups are host-endian in registers (meta iifgroup). */
void nft_key_if_group(struct nft_key *k, const char *ifname, uint32_t group)
{
	nft_key_if(k, ifname, &group, 4);
}

void nft_key_ip(struct nft_key *k, uint32_t ip)
{
	uint32_t be = htonl(ip);

	memset(k, 0, sizeof(*k));
	memcpy(k->k, &be, 4);
	k->klen = 4;
}

void nft_key_ip6(struct nft_key *k, const struct in6_addr *ip)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->k, ip, 16);
	k->klen = 16;
}

bool nft_att_has6(const struct vmnet_nft_att *a)
{
	return !vmnet_ip6_is_zero(&a->guest_ip6);
}

unsigned nft_port_fams(const struct vmnet_nft_att *a, const struct vmnet_port *p)
{
	static const struct in6_addr lo = IN6ADDR_LOOPBACK_INIT;
	unsigned f = p->family == 6 || !a->guest_ip ? 0 : 1;

	/* an IPv4 host address is IPv4's whatever the family says; a family
	 * the guest has no address of publishes nothing */
	if (p->family != 4 && !p->host_ip && nft_att_has6(a) && !vmnet_ip6_eq(&p->host_ip6, &lo))
		f |= 2;
	return f;
}

/* Returns the map's index: SI_PORTS6H with a host address, else SI_PORTS6. */
unsigned nft_key_port6(struct nft_key *k, const struct vmnet_port *p, const struct in6_addr *guest)
{
	bool host = !vmnet_ip6_is_zero(&p->host_ip6);
	uint16_t hp = htons(p->host_port), gp = htons(p->guest_port);
	uint8_t *o = k->k;

	memset(k, 0, sizeof(*k));
	if (host) {
		memcpy(o, &p->host_ip6, 16);
		o += 16;
	}
	o[0] = p->proto;
	memcpy(o + 4, &hp, 2);
	k->klen = host ? 24 : 8;
	memcpy(k->d, guest, 16);
	memcpy(k->d + 16, &gp, 2);
	k->dlen = 20;
	return host ? SI_PORTS6H : SI_PORTS6;
}

/* Returns the map's index: SI_PORTS4H with a host address, else SI_PORTS4. */
unsigned nft_key_port(struct nft_key *k, const struct vmnet_port *p, uint32_t guest_ip)
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

/* ---- attachment elements ---- */

static bool mac_zero(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !memcmp(mac, zero, 6);
}

static int att_validate(const struct vmnet_nft_att *a, struct vmnet_err *err)
{
	if (!a || (!a->guest_ip && !nft_att_has6(a)))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, EINVAL, "nft: no guest address");
	if (a->n_ports && !a->ports)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, EINVAL, "nft: ports missing");
	for (size_t i = 0; i < a->n_ports; i++) {
		const struct vmnet_port *p = &a->ports[i];

		if (!vmnet_proto_name(p->proto) || !p->host_port || !p->guest_port)
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

int nft_atts_validate(const struct vmnet_nft_att *atts, size_t n, struct vmnet_err *err)
{
	for (size_t i = 0; i < n; i++) {
		int ret = att_validate(&atts[i], err);

		if (ret < 0)
			return ret;
	}
	return 0;
}

/* A new element of set @si at @out[*n]: its key, for the caller to fill. */
static struct nft_key *new_key(struct nft_elem *out, size_t *n, unsigned si)
{
	out[*n] = (struct nft_elem){.si = si};
	return &out[(*n)++].k;
}

/* The port mappings' keys: two slots per port in @skip_port (IPv4, IPv6). */
static size_t port_elems(const struct vmnet_nft_att *a, const bool *skip_port,
			 struct nft_elem *out)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n_ports; i++) {
		const struct vmnet_port *p = &a->ports[i];
		unsigned fams = nft_port_fams(a, p);

		for (unsigned f = 0; f < 2; f++) {
			struct nft_elem *e = &out[n];

			if (!(fams & (1u << f)) || (skip_port && skip_port[2 * i + f]))
				continue;
			*e = (struct nft_elem){.is_port = true, .port = *p};
			if (f) {
				e->port.family = 6;
				e->si = nft_key_port6(&e->k, p, &a->guest_ip6);
			} else {
				e->si = nft_key_port(&e->k, p, a->guest_ip);
			}
			n++;
		}
	}
	return n;
}

/* The IPv6 twins of the address-keyed elements, and of those keyed by the
 * host device (whose presence tells the rules the guest has IPv6): ADD as
 * for IPv4; DESTROY/DEL every one the device could own, and those of the
 * address if @a has one. */
static size_t elems6(const struct vmnet_nft_att *a, bool add, struct nft_elem *out)
{
	const char *ifn = a->host_if && *a->host_if ? a->host_if : NULL;
	bool has6 = nft_att_has6(a);
	size_t n = 0;

	if (has6) {
		nft_key_ip6(new_key(out, &n, SI_GUESTS6), &a->guest_ip6);
		if (a->masq6 || !add)
			nft_key_ip6(new_key(out, &n, SI_MASQ6), &a->guest_ip6);
		if (((a->masq6 || vmnet_cluster_any(a->cluster)) && !a->routed_inbound) || !add)
			nft_key_ip6(new_key(out, &n, SI_CLOSED6), &a->guest_ip6);
		if (a->bridge && *a->bridge && (!a->isolated || !add))
			nft_key_if(new_key(out, &n, SI_GUEST_NET6), a->bridge, &a->guest_ip6, 16);
	}
	if (!ifn || (!has6 && add))
		return n;
	if (a->isolated || !add) {
		nft_key_if(new_key(out, &n, SI_ISO_IFS6), ifn, NULL, 0);
		if (has6) {
			nft_key_if(new_key(out, &n, SI_SPOOF6), ifn, &a->guest_ip6, 16);
			nft_key_if(new_key(out, &n, SI_ND6), ifn, &a->guest_ip6, 16);
		}
	}
	if (!a->isolated || !add) {
		nft_key_if(new_key(out, &n, SI_PORTS_V6), ifn, NULL, 0);
		if (has6) {
			nft_key_if(new_key(out, &n, SI_PORT_IP6), ifn, &a->guest_ip6, 16);
			nft_key_if(new_key(out, &n, SI_PORT_ND6), ifn, &a->guest_ip6, 16);
		}
	}
	return n;
}

/*
 * @a's elements into @out (room for ELEMS_MAX(a)), returns how
 * many. ADD: what @a's mode and flags call for. DESTROY/DEL: every key @a
 * could own, whatever its flags say, so a changed flag or mode cannot leave
 * a stale element behind; @old_iso_id (0 none) is a group iso_grp still
 * holds for @a->host_if; @skip_port (may be NULL) leaves out ports that are
 * not ours.
 */
size_t nft_att_elems(const struct vmnet_nft_att *a, bool add, const bool *skip_port,
		     uint32_t old_iso_id, struct nft_elem *out)
{
	const char *ifn = a->host_if && *a->host_if ? a->host_if : NULL;
	bool has4 = a->guest_ip != 0;
	size_t n = 0;

	/* An IPv6-only guest has no IPv4 key: without spoof4 or port_ip4
	 * pairs, the rules drop any IPv4 it sends as spoofed. A network naming
	 * clusterCIDRs is closed to the rest even without NAT. */
	if (has4) {
		nft_key_ip(new_key(out, &n, SI_GUESTS4), a->guest_ip);
		if (a->masq || !add)
			nft_key_ip(new_key(out, &n, SI_MASQ4), a->guest_ip);
		if (((a->masq || vmnet_cluster_any(a->cluster)) && !a->routed_inbound) || !add)
			nft_key_ip(new_key(out, &n, SI_CLOSED4), a->guest_ip);
	}
	n += port_elems(a, skip_port, out + n);
	if (has4 && a->bridge && *a->bridge && (!a->isolated || !add))
		nft_key_if_ip(new_key(out, &n, SI_GUEST_NET), a->bridge, a->guest_ip);
	n += elems6(a, add, out + n);
	n += nft_cluster_elems(a, out + n);
	if (!ifn)
		return n;
	if (a->isolated || !add) {
		nft_key_if(new_key(out, &n, SI_ISO_IFS), ifn, NULL, 0);
		if (has4)
			nft_key_if_ip(new_key(out, &n, SI_SPOOF4), ifn, a->guest_ip);
		nft_key_if(new_key(out, &n, SI_SPOOFMAC), ifn, a->guest_mac, 6);
		if (a->isolated && a->iso_id) {
			struct nft_key *k = new_key(out, &n, SI_ISO_GRP);

			nft_key_if(k, ifn, NULL, 0);
			memcpy(k->d, &a->iso_id, 4);
			k->dlen = 4;
			nft_key_if_group(new_key(out, &n, SI_ISO_MEMBERS), ifn, a->iso_id);
		} else if (!add) {
			nft_key_if(new_key(out, &n, SI_ISO_GRP), ifn, NULL, 0);
			if (a->iso_id)
				nft_key_if_group(new_key(out, &n, SI_ISO_MEMBERS), ifn, a->iso_id);
		}
		if (!add && old_iso_id && old_iso_id != a->iso_id)
			nft_key_if_group(new_key(out, &n, SI_ISO_MEMBERS), ifn, old_iso_id);
		if (a->host_access || !add)
			nft_key_if(new_key(out, &n, SI_HOST_OPEN), ifn, NULL, 0);
	}
	if (!a->isolated || !add) {
		nft_key_if(new_key(out, &n, SI_PORTS), ifn, NULL, 0);
		nft_key_if(new_key(out, &n, SI_PORT_MAC), ifn, a->guest_mac, 6);
		if (has4)
			nft_key_if_ip(new_key(out, &n, SI_PORT_IP4), ifn, a->guest_ip);
	}
	return n;
}

/* One message per element: a refused one names its set (or port). */
int nft_put_att(struct nft_batch *b, const struct vmnet_nft_att *a, enum vmnet_nft_op op,
		const bool *skip_port, uint32_t old_iso_id, bool excl_ports)
{
	uint16_t type = op == VMNET_NFT_OP_ADD	     ? NFT_MSG_NEWSETELEM
			: op == VMNET_NFT_OP_DESTROY ? NFT_MSG_DESTROYSETELEM
						     : NFT_MSG_DELSETELEM;
	uint16_t flags = op == VMNET_NFT_OP_ADD ? NLM_F_CREATE : 0;
	_cleanup_free_ struct nft_elem *el = malloc(ELEMS_MAX(a) * sizeof(*el));
	size_t n;

	if (!el)
		return -ENOMEM;
	n = nft_att_elems(a, op == VMNET_NFT_OP_ADD, skip_port, old_iso_id, el);
	for (size_t i = 0; i < n; i++) {
		const struct nft_set_def *sd = &nft_sets[el[i].si];
		struct nft_msg_label d = {.kind = el[i].is_port ? M_PORT : M_SET,
					  .set = sd->name,
					  .port = el[i].port};
		int ret = nft_put_elems(b, sd->fam, type,
					flags | (el[i].is_port && excl_ports ? NLM_F_EXCL : 0),
					sd->name, 0, &el[i].k, 1, &d);

		if (ret < 0)
			return ret;
	}
	return 0;
}

int nft_build_attach(struct nft_batch *b, const struct vmnet_nft_att *a, bool with_table,
		     uint32_t seq)
{
	int ret = nft_batch_init(b, seq);

	if (ret >= 0 && with_table)
		ret = nft_put_base(b, NLM_F_CREATE | NLM_F_EXCL);
	if (ret >= 0)
		ret = nft_put_att(b, a, VMNET_NFT_OP_ADD, NULL, 0, true);
	return ret;
}

int vmnet_nft_build_attach(const struct vmnet_nft_att *a, bool with_table, uint32_t seq,
			   void **ret_buf, size_t *ret_len, struct vmnet_err *err)
{
	struct nft_batch b;
	int ret = nft_atts_validate(a, 1, err);

	if (ret < 0)
		return ret;
	ret = nft_build_attach(&b, a, with_table, seq);
	return nft_build_out(&b, ret, ret_buf, ret_len, err);
}

int vmnet_nft_build_detach(const struct vmnet_nft_att *a, enum vmnet_nft_op op, uint32_t seq,
			   void **ret_buf, size_t *ret_len, struct vmnet_err *err)
{
	struct nft_batch b;
	int ret = nft_atts_validate(a, 1, err);

	if (ret < 0)
		return ret;
	ret = nft_batch_init(&b, seq);
	if (ret >= 0)
		ret = nft_put_att(&b, a, op, NULL, 0, false);
	return nft_build_out(&b, ret, ret_buf, ret_len, err);
}

/* A table laid down afresh has forgotten which guests flows went to, not
 * the flows: every guest counts as reached, so its DEL flushes them
 * (nft_rules_nat.c). */
static size_t seen_elems(const struct vmnet_nft_att *a, struct nft_elem *out)
{
	size_t n = 0;

	if (a->guest_ip)
		nft_key_ip(new_key(out, &n, SI_SEEN4), a->guest_ip);
	if (nft_att_has6(a))
		nft_key_ip6(new_key(out, &n, SI_SEEN6), &a->guest_ip6);
	return n;
}

/* Elements of every attachment, chunked per set: sync must scale to
 * thousands of VMs and ports without thousands of messages (and acks). */
static int put_all_elems(struct nft_batch *b, const struct vmnet_nft_att *atts, size_t n_atts)
{
	_cleanup_free_ struct nft_key *keys = malloc(ELEMS_PER_MSG * sizeof(*keys));
	_cleanup_free_ struct nft_elem *el = NULL;
	size_t total = 0, n_el = 0;

	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < n_atts; i++)
		total += ELEMS_MAX(&atts[i]) + 2;
	el = malloc((total ? total : 1) * sizeof(*el));
	if (!el)
		return -ENOMEM;
	for (size_t i = 0; i < n_atts; i++) {
		n_el += nft_att_elems(&atts[i], true, NULL, 0, el + n_el);
		n_el += seen_elems(&atts[i], el + n_el);
	}

	for (unsigned s = 0; s < SI_N; s++) {
		const struct nft_set_def *sd = &nft_sets[s];
		struct nft_msg_label d = {.kind = M_SET, .set = sd->name};
		size_t n = 0;

		for (size_t i = 0; i <= n_el; i++) {
			int ret;

			if (i < n_el && el[i].si != s)
				continue;
			if (i < n_el)
				keys[n++] = el[i].k;
			if (!n || (n < ELEMS_PER_MSG && i < n_el))
				continue;
			ret = nft_put_elems(b, sd->fam, NFT_MSG_NEWSETELEM, NLM_F_CREATE, sd->name,
					    0, keys, n, &d);
			if (ret < 0)
				return ret;
			n = 0;
		}
	}
	return 0;
}

/* Both tables deleted, then afresh: all in one transaction, so packets
 * never see a half-built table. */
int nft_build_sync(struct nft_batch *b, const struct vmnet_nft_att *atts, size_t n_atts,
		   uint32_t seq)
{
	int ret = nft_batch_init(b, seq);

	if (ret >= 0)
		ret = nft_put_tables_delete(b);
	if (ret >= 0)
		ret = nft_put_base(b, NLM_F_CREATE | NLM_F_EXCL);
	if (ret >= 0)
		ret = put_all_elems(b, atts, n_atts);
	return ret;
}

int vmnet_nft_build_sync(const struct vmnet_nft_att *atts, size_t n_atts, uint32_t seq,
			 void **ret_buf, size_t *ret_len, struct vmnet_err *err)
{
	struct nft_batch b;
	int ret = nft_atts_validate(atts, n_atts, err);

	if (ret < 0)
		return ret;
	ret = nft_build_sync(&b, atts, n_atts, seq);
	return nft_build_out(&b, ret, ret_buf, ret_len, err);
}
