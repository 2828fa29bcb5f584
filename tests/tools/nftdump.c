/* SPDX-License-Identifier: MIT */
/*
 * nftdump: vmnet's two tables as the kernel holds them, read by netlink
 * dumps and printed by libnftnl, without nft's parser or printer: one line
 * per chain, per set (flags, key and data types and lengths), per element
 * of a named set (key and data in hex) and per rule (its expressions;
 * handles left out). tests/integ/t_nftsave.sh
 * compares this before and after `nft list ruleset | nft -f`, so a rule nft
 * printed incompletely or read back differently shows as a difference.
 *
 *   nftdump [-N netns-path]
 */
#include <netinet/in.h> /* before the linux/ headers: they defer to glibc's */
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>

#include "vmnet/names.h"

#define MAX_SETS 64

/* Named sets seen by set_cb, for the element dumps that follow. */
static struct {
	int fam;
	char name[64];
} named[MAX_SETS];
static size_t n_named;

static const char *fam_name(uint32_t f)
{
	return f == NFPROTO_BRIDGE ? "bridge" : f == NFPROTO_INET ? "inet" : "?";
}

static int chain_cb(const struct nlmsghdr *nh, void *data)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	(void)data;
	if (!c || nftnl_chain_nlmsg_parse(nh, c) < 0)
		goto out;
	if (strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), VMNET_NFT_TABLE))
		goto out;
	printf("chain %s %s", fam_name(nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY)),
	       nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM))
		printf(" type %s hook %u prio %d policy %u", nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE),
		       nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM),
		       nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO),
		       nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY));
	printf("\n");
out:
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

static int set_cb(const struct nlmsghdr *nh, void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();

	(void)data;
	if (!s || nftnl_set_nlmsg_parse(nh, s) < 0)
		goto out;
	if (strcmp(nftnl_set_get_str(s, NFTNL_SET_TABLE), VMNET_NFT_TABLE))
		goto out;
	/* Anonymous sets are named by nft's counter: compare their shape only. */
	if (strncmp(nftnl_set_get_str(s, NFTNL_SET_NAME), "__set", 5) && n_named < MAX_SETS) {
		named[n_named].fam = (int)nftnl_set_get_u32(s, NFTNL_SET_FAMILY);
		snprintf(named[n_named].name, sizeof(named[0].name), "%s",
			 nftnl_set_get_str(s, NFTNL_SET_NAME));
		n_named++;
	}
	printf("set %s %s flags 0x%x key %u/%u data %u/%u\n",
	       fam_name(nftnl_set_get_u32(s, NFTNL_SET_FAMILY)),
	       strncmp(nftnl_set_get_str(s, NFTNL_SET_NAME), "__set", 5) ?
		       nftnl_set_get_str(s, NFTNL_SET_NAME) : "(anonymous)",
	       nftnl_set_get_u32(s, NFTNL_SET_FLAGS), nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE),
	       nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN), nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE),
	       nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN));
out:
	nftnl_set_free(s);
	return MNL_CB_OK;
}

static void hex(const char *what, const void *p, uint32_t len)
{
	printf(" %s ", what);
	for (uint32_t i = 0; i < len; i++)
		printf("%02x", ((const uint8_t *)p)[i]);
}

static int elem_cb(const struct nlmsghdr *nh, void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it = NULL;
	struct nftnl_set_elem *e;

	(void)data;
	if (!s || nftnl_set_elems_nlmsg_parse(nh, s) < 0)
		goto out;
	it = nftnl_set_elems_iter_create(s);
	for (e = it ? nftnl_set_elems_iter_next(it) : NULL; e; e = nftnl_set_elems_iter_next(it)) {
		uint32_t len = 0;
		const void *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);

		printf("elem %s %s", fam_name(nftnl_set_get_u32(s, NFTNL_SET_FAMILY)),
		       nftnl_set_get_str(s, NFTNL_SET_NAME));
		hex("key", k, k ? len : 0);
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY_END)) { /* a range */
			const void *end = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len);

			hex("end", end, len);
		}
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA)) {
			const void *d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);

			hex("data", d, len);
		}
		printf("\n");
	}
out:
	if (it)
		nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nh, void *data)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	char buf[8192];

	(void)data;
	if (!r || nftnl_rule_nlmsg_parse(nh, r) < 0)
		goto out;
	if (strcmp(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), VMNET_NFT_TABLE))
		goto out;
	nftnl_rule_unset(r, NFTNL_RULE_HANDLE);
	nftnl_rule_unset(r, NFTNL_RULE_POSITION);
	nftnl_rule_snprintf(buf, sizeof(buf), r, NFTNL_OUTPUT_DEFAULT, 0);
	/* One line per rule; anonymous set names vary with nft's counter. */
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	for (char *p = strstr(buf, "__set"); p; p = strstr(p, "__set"))
		for (p += 5; *p >= '0' && *p <= '9'; p++)
			*p = '#';
	printf("rule %s\n", buf);
out:
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

/* A dump request; with @set, of that set's elements. */
static int dump(struct mnl_socket *nl, uint16_t type, int fam, const char *set, mnl_cb_t cb)
{
	static char buf[1 << 16];
	static uint32_t seq;
	uint32_t portid = mnl_socket_get_portid(nl);
	struct nlmsghdr *nh = nftnl_nlmsg_build_hdr(buf, type, fam, NLM_F_DUMP, ++seq);
	ssize_t n;
	int r;

	if (set) {
		struct nftnl_set *s = nftnl_set_alloc();

		if (!s)
			return -ENOMEM;
		nftnl_set_set_str(s, NFTNL_SET_TABLE, VMNET_NFT_TABLE);
		nftnl_set_set_str(s, NFTNL_SET_NAME, set);
		nftnl_set_set_u32(s, NFTNL_SET_FAMILY, fam);
		nftnl_set_elems_nlmsg_build_payload(nh, s);
		nftnl_set_free(s);
	}
	if (mnl_socket_sendto(nl, nh, nh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		r = mnl_cb_run(buf, n, seq, portid, cb, NULL);
	} while (r > 0);
	return r < 0 ? -errno : 0;
}

int main(int argc, char **argv)
{
	static const int fams[] = {NFPROTO_INET, NFPROTO_BRIDGE};
	struct mnl_socket *nl;
	int r = 0;

	if (argc == 3 && !strcmp(argv[1], "-N")) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);

		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
			perror(argv[2]);
			return 1;
		}
	} else if (argc != 1) {
		fprintf(stderr, "usage: nftdump [-N netns-path]\n");
		return 2;
	}
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		return 1;
	}
	/* Per family, so the output's order does not depend on the kernel's. */
	for (size_t i = 0; r == 0 && i < sizeof(fams) / sizeof(fams[0]); i++)
		r = dump(nl, NFT_MSG_GETCHAIN, fams[i], NULL, chain_cb) ?:
		    dump(nl, NFT_MSG_GETSET, fams[i], NULL, set_cb) ?:
		    dump(nl, NFT_MSG_GETRULE, fams[i], NULL, rule_cb);
	for (size_t i = 0; r == 0 && i < n_named; i++)
		r = dump(nl, NFT_MSG_GETSETELEM, named[i].fam, named[i].name, elem_cb);
	mnl_socket_close(nl);
	if (r < 0) {
		fprintf(stderr, "nftdump: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
