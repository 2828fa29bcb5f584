/* SPDX-License-Identifier: MIT */
/*
 * Which guests a flow went to (include/vmnet/nft.h, vmnet_nft_reached): the
 * sets reached4 and reached6, which the first packet of every flow towards
 * a guest fills (nft_rules_nat.c). A DEL asks after its batch took the
 * guest's published ports away and before its devices go; what is not
 * known (no set: a table of an older version, or an error) counts as
 * reached.
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <string.h>

#include <libnftnl/set.h>

#include "vmnet/inet.h"
#include "vmnet/nft.h"
#include "nft_priv.h"

/* 1 if set @si holds @k, 0 if it does not, -ENOENT if the set (or table)
 * is missing, another -errno on failure. */
static int lookup(struct vmnet_nft *n, unsigned si, const struct nft_key *k)
{
	const struct nft_set_def *sd = &nft_sets[si];
	char buf[REQ_BUF];
	struct nftnl_set *s;
	struct nlmsghdr *nh;
	int r = nft_elem_present(n, si, k);

	if (r != 0)
		return r;
	/* Not there, or no set at all: the set alone says which. */
	s = nft_set_ref(sd->fam, sd->name, 0);
	if (!s)
		return -ENOMEM;
	nh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSET, sd->fam, NLM_F_ACK, 0);
	nftnl_set_nlmsg_build_payload(nh, s);
	nftnl_set_free(s);
	r = nft_request(n, nh, NULL, NULL);
	return r < 0 ? r : 0;
}

static void key_of(struct nft_key *k, unsigned *si, uint32_t ip, const struct in6_addr *ip6)
{
	if (ip6) {
		nft_key_ip6(k, ip6);
		*si = SI_SEEN6;
	} else {
		nft_key_ip(k, ip);
		*si = SI_SEEN4;
	}
}

bool vmnet_nft_reached(struct vmnet_nft *n, uint32_t guest_ip, const struct in6_addr *guest_ip6)
{
	struct nft_key k;
	unsigned si;

	if (!n)
		return true;
	key_of(&k, &si, guest_ip, guest_ip6);
	return lookup(n, si, &k) != 0;
}

void vmnet_nft_unreach(struct vmnet_nft *n, uint32_t guest_ip, const struct in6_addr *guest_ip6)
{
	struct nft_elem e;

	if (!n)
		return;
	key_of(&e.k, &e.si, guest_ip, guest_ip6);
	/* Gone meanwhile is fine; a failure leaves a flush for next time. */
	nft_del_elems_one_by_one(n, &e, 1, NULL);
}
