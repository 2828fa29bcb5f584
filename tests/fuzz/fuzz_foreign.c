/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the walk over other tables' chains (foreign_scan.c). What
 * other tools write into their tables is outside input; the kernel's encoding
 * of it is not (libnftnl reads it), so the input here is ruleset shapes:
 * chains with hooks and policies, rules with matches, jumps and loops. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vmnet/foreign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NC 8
#define NR 64

static const char *const ifnames[] = {"lo", "eth0", "vmbr0", "br0", "vm", "docker"};

static uint8_t take(const uint8_t **d, size_t *n)
{
	uint8_t b = *n ? **d : 0;

	if (*n) {
		(*d)++;
		(*n)--;
	}
	return b;
}

static void rule_from(struct vmnet_fw_rule *r, size_t nc, const uint8_t **d, size_t *n)
{
	uint8_t b = take(d, n), m = take(d, n);

	memset(r, 0, sizeof(*r));
	r->chain = take(d, n) % nc;
	r->handle = take(d, n);
	r->guard = b & 1;
	r->partial = b & 2;
	r->unknown = b & 4;
	r->verdict = (enum vmnet_fw_verdict)((b >> 3) % (VMNET_FW_OTHER + 1));
	snprintf(r->target, sizeof(r->target), "c%u", take(d, n) % (NC + 1));
	r->n_ifs = m % (VMNET_FW_IFS + 1);
	for (size_t i = 0; i < r->n_ifs; i++) {
		uint8_t f = take(d, n);

		r->ifs[i].oif = f & 1;
		r->ifs[i].neg = f & 2;
		r->ifs[i].prefix = f & 4;
		snprintf(r->ifs[i].name, IFNAMSIZ, "%s", ifnames[(f >> 3) % 6]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"br0"};
	const struct vmnet_fw_ours ours = {names, 1};
	struct vmnet_fw_chain chains[NC];
	struct vmnet_fw_rule rules[NR];
	struct vmnet_fw_ruleset rs = {.chains = chains, .rules = rules};
	struct vmnet_fw_finding f[4];
	char line[600];
	size_t n = 0;

	rs.n_chains = 1 + take(&data, &size) % NC;
	for (size_t i = 0; i < rs.n_chains; i++) {
		uint8_t b = take(&data, &size);

		memset(&chains[i], 0, sizeof(chains[i]));
		chains[i].family = (b & 1) ? 1 : 2; /* inet, ip */
		snprintf(chains[i].table, sizeof(chains[i].table), "t%u", (b >> 1) & 1);
		snprintf(chains[i].name, sizeof(chains[i].name), "c%zu", i);
		chains[i].forward = b & 4;
		chains[i].policy_drop = b & 8;
		chains[i].priority = (int8_t)take(&data, &size);
	}
	while (rs.n_rules < NR && size) {
		rule_from(&rules[rs.n_rules], rs.n_chains, &data, &size);
		rules[rs.n_rules].seq = rs.n_rules;
		rs.n_rules++;
	}
	vmnet_fw_index(&rs);
	vmnet_fw_scan(&rs, &ours, f, 4, &n);
	for (size_t i = 0; i < n && i < 4; i++)
		vmnet_fw_finding_fmt(&f[i], line, sizeof(line));
	return 0;
}
