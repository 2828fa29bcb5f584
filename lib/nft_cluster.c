/* SPDX-License-Identifier: MIT */
/*
 * An attachment's elements of cluster4 and cluster6: guest address . one
 * prefix of its network's clusterCIDRs, as the range from the prefix's
 * first to its last address (the sets are concatenations with intervals:
 * nft's "ipv4_addr . ipv4_addr; flags interval", Linux >= 5.6). Keyed by
 * the guest, they come and go with the attachment like its other elements,
 * and each network keeps its own prefixes.
 */
#include <netinet/in.h>
#include <string.h>

#include "vmnet/cluster.h"
#include "nft_priv.h"

size_t nft_cluster_n(const struct vmnet_nft_att *a)
{
	if (!a->cluster)
		return 0;
	return (a->guest_ip ? a->cluster->n4 : 0) + (nft_att_has6(a) ? a->cluster->n6 : 0);
}

static void key4(struct nft_elem *e, uint32_t guest, const struct vmnet_prefix *p)
{
	uint32_t g = htonl(guest), lo = htonl(p->addr & vmnet_mask(p->len)),
		 hi = htonl(p->addr | ~vmnet_mask(p->len));

	memset(e, 0, sizeof(*e));
	e->si = SI_CLUSTER4;
	memcpy(e->k.k, &g, 4);
	memcpy(e->k.k + 4, &lo, 4);
	e->k.klen = 8;
	memcpy(e->k.kend, &g, 4);
	memcpy(e->k.kend + 4, &hi, 4);
	e->k.kendlen = 8;
}

static void key6(struct nft_elem *e, const struct in6_addr *guest, const struct vmnet_prefix6 *p)
{
	struct vmnet_prefix6 net = vmnet_prefix6_net(p);
	uint8_t *hi = e->k.kend + 16;

	memset(e, 0, sizeof(*e));
	e->si = SI_CLUSTER6;
	memcpy(e->k.k, guest, 16);
	memcpy(e->k.k + 16, &net.addr, 16);
	e->k.klen = 32;
	memcpy(e->k.kend, guest, 16);
	memcpy(hi, &net.addr, 16);
	for (unsigned bit = p->len; bit < 128; bit++)
		hi[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	e->k.kendlen = 32;
}

size_t nft_cluster_elems(const struct vmnet_nft_att *a, struct nft_elem *out)
{
	size_t n = 0;

	if (!a->cluster)
		return 0;
	for (unsigned i = 0; a->guest_ip && i < a->cluster->n4; i++)
		key4(&out[n++], a->guest_ip, &a->cluster->v4[i]);
	for (unsigned i = 0; nft_att_has6(a) && i < a->cluster->n6; i++)
		key6(&out[n++], &a->guest_ip6, &a->cluster->v6[i]);
	return n;
}
