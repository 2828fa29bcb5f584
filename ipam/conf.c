/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmnet/err.h"
#include "vmnet/ipam.h"
#include "vmnet/json.h"
#include "vmnet/names.h"
#include "conf.h"
#include "subnetfile.h"

#define RESOLV_MAX (64 * 1024)

static int invalid(struct vmnet_err *err, const char *path, const char *what)
{
	return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "%s: %s", path, what);
}

static int parse_range(json_t *o, const char *path, struct vmnet_ipam_range *ret,
		       struct vmnet_err *err)
{
	const char *subnet = NULL, *start = NULL, *end = NULL, *gw = NULL;
	int r;

	if (!json_is_object(o))
		return invalid(err, path, "must be an object");
	if ((r = vmnet_json_get_string(o, path, "subnet", true, &subnet, err)) < 0 ||
	    (r = vmnet_json_get_string(o, path, "rangeStart", false, &start, err)) < 0 ||
	    (r = vmnet_json_get_string(o, path, "rangeEnd", false, &end, err)) < 0 ||
	    (r = vmnet_json_get_string(o, path, "gateway", false, &gw, err)) < 0)
		return r;
	return vmnet_ipam_range_init(ret, path, subnet, start, end, gw, err);
}

static int add_set(struct vmnet_ipam_conf *c, const char *path, struct vmnet_err *err)
{
	if (c->n_sets >= VMNET_IPAM_MAX_SETS)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "%s: more than %d range sets", path, VMNET_IPAM_MAX_SETS);
	memset(&c->sets[c->n_sets], 0, sizeof(c->sets[0]));
	return (int)c->n_sets++;
}

/* A JSON list of range sets (ipam.ranges, runtimeConfig.ipRanges). */
static int parse_sets(json_t *arr, const char *path, struct vmnet_ipam_conf *c,
		      struct vmnet_err *err)
{
	char p[96], rp[128];
	size_t i, j;
	json_t *set, *rng;
	int r;

	json_array_foreach(arr, i, set) {
		struct vmnet_ipam_rangeset *s;

		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (!json_is_array(set) || json_array_size(set) == 0)
			return invalid(err, p, "must be a non-empty array of ranges");
		if ((r = add_set(c, p, err)) < 0)
			return r;
		s = &c->sets[r];
		json_array_foreach(set, j, rng) {
			snprintf(rp, sizeof(rp), "%s[%zu]", p, j);
			if (s->n >= VMNET_IPAM_MAX_RANGES)
				return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
						     "%s: more than %d ranges", p,
						     VMNET_IPAM_MAX_RANGES);
			if ((r = parse_range(rng, rp, &s->r[s->n], err)) < 0)
				return r;
			s->n++;
		}
	}
	return 0;
}

/* Ranges of all sets must be disjoint: one address must never satisfy two
 * sets, nor sit in two ranges of a set. */
static int check_overlap(const struct vmnet_ipam_conf *c, struct vmnet_err *err)
{
	char b1[2 * VMNET_ADDRSTRLEN], b2[2 * VMNET_ADDRSTRLEN];

	for (unsigned i = 0; i < c->n_sets; i++)
		for (unsigned j = 0; j < c->sets[i].n; j++)
			for (unsigned k = i; k < c->n_sets; k++)
				for (unsigned l = (k == i ? j + 1 : 0); l < c->sets[k].n; l++) {
					const struct vmnet_ipam_range *a = &c->sets[i].r[j];
					const struct vmnet_ipam_range *b = &c->sets[k].r[l];

					if (vmnet_ipam_range_overlaps(a, b))
						return vmnet_err_set(
							err, CNI_ERR_INVALID_CONFIG, 0,
							"ipam.ranges: range set %u range %u (%s) overlaps range set %u range %u (%s)",
							k, l, vmnet_ipam_range_fmt(b, b2), i, j,
							vmnet_ipam_range_fmt(a, b1));
				}
	return 0;
}

/* "10.1.0.5" or "10.1.0.5/24"; the prefix length is ignored, as
 * host-local does. */
static int add_req(struct vmnet_ipam_conf *c, const char *path, const char *s,
		   struct vmnet_err *err)
{
	struct vmnet_ipam_prefix p;

	if (vmnet_ipam_prefix_parse(s, true, &p) < 0)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "%s: %s is not an IP address",
				     path, s);
	for (unsigned i = 0; i < c->n_req; i++)
		if (c->req[i] == p.addr)
			return 0;
	if (c->n_req >= VMNET_IPAM_MAX_REQ)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "%s: more than %d requested addresses", path,
				     VMNET_IPAM_MAX_REQ);
	c->req[c->n_req++] = p.addr;
	return 0;
}

static int parse_req_array(json_t *arr, const char *path, struct vmnet_ipam_conf *c,
			   struct vmnet_err *err)
{
	char p[64];
	size_t i;
	json_t *v;
	int r;

	json_array_foreach(arr, i, v) {
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (!json_is_string(v))
			return invalid(err, p, "must be a string");
		if ((r = add_req(c, p, json_string_value(v), err)) < 0)
			return r;
	}
	return 0;
}

static int parse_args_ip(const char *list, struct vmnet_ipam_conf *c, struct vmnet_err *err)
{
	char buf[sizeof(((struct vmnet_cni_args *)0)->ip)];
	char *save = NULL;
	int r;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		/* host-local's IP= is a bare address, unlike runtimeConfig.ips. */
		if (strchr(t, '/'))
			return vmnet_err_set(err, CNI_ERR_INVALID_ENV, 0,
					     "CNI_ARGS IP: %.64s is not an address (no prefix length)",
					     t);
		r = add_req(c, "CNI_ARGS IP", t, err);
		if (r < 0) {
			if (err && err->code == CNI_ERR_INVALID_CONFIG)
				vmnet_err_recode(err, CNI_ERR_INVALID_ENV);
			return r;
		}
	}
	return 0;
}

static int parse_routes(json_t *arr, struct vmnet_ipam_conf *c, struct vmnet_err *err)
{
	char p[64];
	size_t i;
	json_t *v;
	int r;

	json_array_foreach(arr, i, v) {
		struct vmnet_ipam_route *rt;
		const char *dst = NULL, *gw = NULL;

		snprintf(p, sizeof(p), "ipam.routes[%zu]", i);
		if (!json_is_object(v))
			return invalid(err, p, "must be an object");
		if (c->n_routes >= VMNET_RESULT_MAX_ROUTES)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "ipam.routes: more than %d routes",
					     VMNET_RESULT_MAX_ROUTES);
		rt = &c->routes[c->n_routes];
		if ((r = vmnet_json_get_string(v, p, "dst", true, &dst, err)) < 0 ||
		    (r = vmnet_json_get_string(v, p, "gw", false, &gw, err)) < 0)
			return r;
		if (vmnet_ipam_prefix_parse(dst, false, &rt->dst) < 0)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "%s.dst: not a CIDR", p);
		rt->gw = 0;
		if (gw && vmnet_ipam_ip_parse(gw, &rt->gw) < 0)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "%s.gw: not an IP address", p);
		if (gw && vmnet_ipam_ip_is4(rt->gw) != vmnet_ipam_ip_is4(rt->dst.addr))
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "%s.gw: %s is not of the family of dst", p, gw);
		c->n_routes++;
	}
	return 0;
}

void vmnet_ipam_resolv_parse(const char *text, struct vmnet_result_dns *dns)
{
	_cleanup_free_ char *buf = strdup(text);
	char *line, *save = NULL;

	memset(dns, 0, sizeof(*dns));
	if (!buf)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *s2 = NULL, *key = strtok_r(line, " \t\r", &s2), *v;

		if (!key || key[0] == '#' || key[0] == ';')
			continue;
		if (!strcmp(key, "nameserver")) {
			uint32_t a;

			v = strtok_r(NULL, " \t\r", &s2);
			/* A loopback resolver of the host means nothing inside a VM. */
			if (!v || (vmnet_ip4_parse(v, &a) == 0 && (a >> 24) == 127) ||
			    !strcmp(v, "::1") || strlen(v) >= VMNET_ADDRSTRLEN ||
			    dns->n_nameservers >= VMNET_RESULT_MAX_DNS)
				continue;
			strcpy(dns->nameservers[dns->n_nameservers++], v);
		} else if (!strcmp(key, "domain")) {
			v = strtok_r(NULL, " \t\r", &s2);
			if (v)
				snprintf(dns->domain, sizeof(dns->domain), "%s", v);
		} else if (!strcmp(key, "search")) {
			/* Later search lines replace earlier ones, as in glibc. */
			dns->n_search = 0;
			while ((v = strtok_r(NULL, " \t\r", &s2)) &&
			       dns->n_search < VMNET_RESULT_MAX_DNS)
				snprintf(dns->search[dns->n_search++], sizeof(dns->search[0]),
					 "%s", v);
		} else if (!strcmp(key, "options")) {
			while ((v = strtok_r(NULL, " \t\r", &s2)) &&
			       dns->n_options < VMNET_RESULT_MAX_DNS)
				snprintf(dns->options[dns->n_options++], sizeof(dns->options[0]),
					 "%s", v);
		}
	}
}

static int read_resolv(const char *path, struct vmnet_result_dns *dns, struct vmnet_err *err)
{
	_cleanup_free_ char *buf = malloc(RESOLV_MAX + 1);
	FILE *f;
	size_t n;

	if (!buf)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "reading %s", path);
	f = fopen(path, "re");
	if (!f)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, errno,
				     "ipam.resolvConf: cannot read %s", path);
	n = fread(buf, 1, RESOLV_MAX, f);
	fclose(f);
	buf[n] = '\0';
	vmnet_ipam_resolv_parse(buf, dns);
	return 0;
}

static int parse_valid(json_t *arr, const char *key, struct vmnet_ipam_conf *c,
		       struct vmnet_err *err)
{
	struct vmnet_ipam_owner *nv;
	char p[96];
	size_t i;
	json_t *v;
	int r;

	if (!json_is_array(arr))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "%s: must be an array", key);
	c->has_valid = true;
	nv = realloc(c->valid, (c->n_valid + json_array_size(arr) + 1) * sizeof(*nv));
	if (!nv)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "parsing %s", key);
	c->valid = nv;
	json_array_foreach(arr, i, v) {
		const char *id = NULL, *ifname = NULL;
		struct vmnet_ipam_owner *o = &c->valid[c->n_valid];

		snprintf(p, sizeof(p), "%s[%zu]", key, i);
		if (!json_is_object(v))
			return invalid(err, p, "must be an object");
		if ((r = vmnet_json_get_string(v, p, "containerID", true, &id, err)) < 0 ||
		    (r = vmnet_json_get_string(v, p, "ifname", false, &ifname, err)) < 0)
			return r;
		if (strlen(id) > VMNET_CNI_CONTAINERID_MAX || (ifname && strlen(ifname) >= IFNAMSIZ))
			return invalid(err, p, "containerID or ifname too long");
		strcpy(o->id, id);
		strcpy(o->ifname, ifname ? ifname : "");
		c->n_valid++;
	}
	return 0;
}

bool vmnet_ipam_conf_is_valid(const struct vmnet_ipam_conf *c, const struct vmnet_ipam_owner *o)
{
	for (size_t i = 0; i < c->n_valid; i++)
		if (!strcmp(c->valid[i].id, o->id) &&
		    (!o->ifname[0] || !strcmp(c->valid[i].ifname, o->ifname)))
			return true;
	return false;
}

void vmnet_ipam_conf_done(struct vmnet_ipam_conf *c)
{
	if (!c)
		return;
	free(c->valid);
	c->valid = NULL;
	c->n_valid = 0;
}

/* blockSize (IPv4: 30 or 31) and blockSize6 (IPv6: a prefix length up to
 * 127; whether it fits the subnets is checked with the ranges). vmnet's
 * isolated networks give each VM its own segment: /30 and /64 blocks
 * unless the config says otherwise; blocks for IPv4 mean /64 blocks for
 * IPv6 unless blockSize6 says otherwise. */
static int parse_blocks(json_t *root, json_t *ipam, struct vmnet_ipam_conf *c,
			struct vmnet_err *err)
{
	const char *mode = json_string_value(json_object_get(root, "mode"));
	int64_t block = 0, block6 = 0;
	int r;

	if ((r = vmnet_json_get_int(ipam, "ipam", "blockSize", 0, 32, &block, err)) < 0 ||
	    (r = vmnet_json_get_int(ipam, "ipam", "blockSize6", 0, 128, &block6, err)) < 0)
		return r;
	if (block != 0 && block != 30 && block != 31)
		return invalid(err, "ipam.blockSize", "must be 30 or 31");
	if (block6 == 128)
		return invalid(err, "ipam.blockSize6", "must be at most 127 (a block holds two addresses)");
	if (block == 0 && !json_object_get(ipam, "blockSize") && mode && !strcmp(mode, "isolated"))
		block = 30;
	if (block6 == 0 && !json_object_get(ipam, "blockSize6") && block)
		block6 = 64;
	c->block = (unsigned)block;
	c->block6 = (unsigned)block6;
	return 0;
}

/* Each range set is of one family; at most one is IPv6 (the result has
 * one IPv6 address); IPv6 blocks fit the IPv6 subnets. */
static int check_families(const struct vmnet_ipam_conf *c, struct vmnet_err *err)
{
	char b[VMNET_PREFIXSTRLEN];
	int v6 = -1;

	for (unsigned i = 0; i < c->n_sets; i++) {
		const struct vmnet_ipam_rangeset *set = &c->sets[i];

		for (unsigned j = 1; j < set->n; j++)
			if (vmnet_ipam_ip_is4(set->r[j].subnet.addr) !=
			    vmnet_ipam_ip_is4(set->r[0].subnet.addr))
				return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
						     "ipam.ranges: range set %u mixes IPv4 and IPv6", i);
		if (!vmnet_ipam_rangeset_is6(set))
			continue;
		if (v6 >= 0)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "ipam.ranges: range sets %d and %u are both IPv6", v6, i);
		v6 = (int)i;
		for (unsigned j = 0; c->block6 && j < set->n; j++)
			if (set->r[j].subnet.len > c->block6)
				return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
						     "ipam.blockSize6: a /%u block does not fit in %s",
						     c->block6,
						     vmnet_ipam_prefix_fmt(&set->r[j].subnet, b));
	}
	return 0;
}

static int parse_ipam(json_t *root, json_t *ipam, struct vmnet_ipam_conf *c, struct vmnet_err *err)
{
	const char *subnet = NULL, *dir = NULL, *resolv = NULL, *file = NULL;
	json_t *ranges = NULL, *routes = NULL;
	int r;

	if ((r = vmnet_json_get_string(ipam, "ipam", "subnet", false, &subnet, err)) < 0 ||
	    (r = vmnet_json_get_string(ipam, "ipam", "subnetFile", false, &file, err)) < 0)
		return r;
	if (file && (subnet || json_object_get(ipam, "ranges")))
		return invalid(err, "ipam.subnetFile", "cannot be combined with subnet or ranges");
	if (subnet) {
		const char *start = NULL, *end = NULL, *gw = NULL;

		if ((r = vmnet_json_get_string(ipam, "ipam", "rangeStart", false, &start, err)) < 0 ||
		    (r = vmnet_json_get_string(ipam, "ipam", "rangeEnd", false, &end, err)) < 0 ||
		    (r = vmnet_json_get_string(ipam, "ipam", "gateway", false, &gw, err)) < 0 ||
		    (r = add_set(c, "ipam", err)) < 0)
			return r;
		r = vmnet_ipam_range_init(&c->sets[r].r[0], "ipam", subnet, start, end, gw, err);
		if (r < 0)
			return r;
		c->sets[c->n_sets - 1].n = 1;
	}
	if ((r = vmnet_json_get_array(ipam, "ipam", "ranges", false, &ranges, err)) < 0 ||
	    (r = vmnet_json_get_array(ipam, "ipam", "routes", false, &routes, err)) < 0 ||
	    (r = vmnet_json_get_string(ipam, "ipam", "dataDir", false, &dir, err)) < 0 ||
	    (r = vmnet_json_get_string(ipam, "ipam", "resolvConf", false, &resolv, err)) < 0)
		return r;
	if ((r = parse_blocks(root, ipam, c, err)) < 0)
		return r;
	if (dir) {
		if (dir[0] != '/' || strlen(dir) >= sizeof(c->data_dir) - 200)
			return invalid(err, "ipam.dataDir", "must be an absolute path");
		strcpy(c->data_dir, dir);
	}
	if (routes && (r = parse_routes(routes, c, err)) < 0)
		return r;
	if (resolv && (r = read_resolv(resolv, &c->dns, err)) < 0)
		return r;
	/* Returned so parse_sets() below runs after runtimeConfig.ipRanges,
	 * keeping host-local's order: single range, ipRanges, ranges (or the
	 * subnet file, which stands for them). */
	return ranges ? 1 : file ? 2 : 0;
}

/* cniVersion and name. */
static int parse_head(json_t *root, struct vmnet_ipam_conf *ret, struct vmnet_err *err)
{
	const char *ver = NULL, *name = NULL;
	int r;

	if ((r = vmnet_json_get_string(root, "", "cniVersion", false, &ver, err)) < 0)
		return r;
	if (!ver)
		return vmnet_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION, 0,
				     "cniVersion: missing (supported: 0.3.0 to 1.1.0)");
	if (vmnet_cni_version_parse(ver, &ret->version) < 0)
		return vmnet_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION, 0,
				     "cniVersion: %.32s is not supported (0.3.0 to 1.1.0 are)", ver);
	snprintf(ret->cni_version, sizeof(ret->cni_version), "%s", ver);

	if ((r = vmnet_json_get_string(root, "", "name", true, &name, err)) < 0)
		return r;
	if (!vmnet_name_valid_netname(name))
		return invalid(err, "name", "must match [A-Za-z0-9][A-Za-z0-9_.-]* (at most 128 bytes)");
	strcpy(ret->name, name);
	return 0;
}

/* Blocks carry their own gateway: a range without explicit bounds is the
 * whole subnet, with no range-wide gateway in the way of the first block. */
static void whole_subnet_blocks(struct vmnet_ipam_conf *c)
{
	for (unsigned i = 0; i < c->n_sets; i++)
		for (unsigned j = 0; j < c->sets[i].n; j++) {
			struct vmnet_ipam_range *rg = &c->sets[i].r[j];

			if (rg->explicit_bounds ||
			    !(vmnet_ipam_rangeset_is6(&c->sets[i]) ? c->block6 : c->block))
				continue;
			rg->start = rg->subnet.addr;
			rg->end = vmnet_ipam_prefix_last(&rg->subnet);
			rg->gw = 0;
		}
}

int vmnet_ipam_conf_parse(json_t *root, const struct vmnet_cni_args *args,
			  struct vmnet_ipam_conf *ret, struct vmnet_err *err)
{
	json_t *ipam = NULL, *rc = NULL, *ranges = NULL, *ipr = NULL, *ips = NULL, *a = NULL;
	json_t *v;
	int r;

	memset(ret, 0, sizeof(*ret));
	snprintf(ret->data_dir, sizeof(ret->data_dir), "%s", VMNET_IPAM_DIR);
	if (!json_is_object(root))
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "config: must be a JSON object");
	if ((r = parse_head(root, ret, err)) < 0)
		return r;

	if ((r = vmnet_json_get_object(root, "", "ipam", true, &ipam, err)) < 0)
		return r;
	if ((r = parse_ipam(root, ipam, ret, err)) < 0)
		goto fail;
	if (r == 1)
		ranges = json_object_get(ipam, "ranges");

	if ((r = vmnet_json_get_object(root, "", "runtimeConfig", false, &rc, err)) < 0)
		goto fail;
	if (rc && ((r = vmnet_json_get_array(rc, "runtimeConfig", "ipRanges", false, &ipr, err)) < 0 ||
		   (r = vmnet_json_get_array(rc, "runtimeConfig", "ips", false, &ips, err)) < 0))
		goto fail;
	if (ipr && (r = parse_sets(ipr, "runtimeConfig.ipRanges", ret, err)) < 0)
		goto fail;
	if (ranges && (r = parse_sets(ranges, "ipam.ranges", ret, err)) < 0)
		goto fail;
	if (!ranges && (v = json_object_get(ipam, "subnetFile")) &&
	    (r = vmnet_ipam_subnetfile_read(json_string_value(v), ret, err)) < 0) {
		ret->subnet_file_pending = err && err->code == CNI_ERR_TRY_AGAIN;
		goto fail;
	}
	if (ret->n_sets == 0) {
		r = invalid(err, "ipam.ranges", "missing (no IP ranges specified)");
		goto fail;
	}
	if ((r = check_families(ret, err)) < 0)
		goto fail;
	whole_subnet_blocks(ret);
	if ((r = check_overlap(ret, err)) < 0)
		goto fail;

	/* host-local's order of requested addresses: CNI_ARGS, args, runtimeConfig. */
	if (args && args->ip[0] && (r = parse_args_ip(args->ip, ret, err)) < 0)
		goto fail;
	if ((r = vmnet_json_get_object(root, "", "args", false, &a, err)) < 0)
		goto fail;
	if (a && (v = json_object_get(a, "cni")) && json_is_object(v)) {
		json_t *ai = NULL;

		if ((r = vmnet_json_get_array(v, "args.cni", "ips", false, &ai, err)) < 0 ||
		    (ai && (r = parse_req_array(ai, "args.cni.ips", ret, err)) < 0))
			goto fail;
	}
	if (ips && (r = parse_req_array(ips, "runtimeConfig.ips", ret, err)) < 0)
		goto fail;

	if ((v = json_object_get(root, "cni.dev/valid-attachments")) &&
	    (r = parse_valid(v, "cni.dev/valid-attachments", ret, err)) < 0)
		goto fail;
	if ((v = json_object_get(root, "cni.dev/attachments")) &&
	    (r = parse_valid(v, "cni.dev/attachments", ret, err)) < 0)
		goto fail;
	return 0;
fail:
	vmnet_ipam_conf_done(ret);
	return r;
}

/* The subnets of @netconf's ranges of one family (@v6) into @ret4 or @ret6. */
static int subnets(json_t *netconf, bool v6, struct vmnet_prefix *ret4,
		   struct vmnet_prefix6 *ret6, size_t max, struct vmnet_err *err)
{
	struct vmnet_ipam_conf *c = malloc(sizeof(*c));
	size_t n = 0;
	int r;

	if (!c)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "reading the ranges");
	r = vmnet_ipam_conf_parse(netconf, NULL, c, err);
	for (unsigned i = 0; r == 0 && i < c->n_sets; i++)
		for (unsigned j = 0; j < c->sets[i].n && n < max; j++) {
			const struct vmnet_ipam_prefix *p = &c->sets[i].r[j].subnet;

			if (vmnet_ipam_ip_is4(p->addr) == v6)
				continue;
			if (v6) {
				vmnet_ipam_ip_to_in6(p->addr, &ret6[n].addr);
				ret6[n++].len = p->len;
			} else {
				ret4[n].addr = vmnet_ipam_ip_to4(p->addr);
				ret4[n++].len = p->len;
			}
		}
	if (r == 0)
		vmnet_ipam_conf_done(c);
	free(c);
	return r < 0 ? r : (int)n;
}

int vmnet_ipam_subnets4(json_t *netconf, struct vmnet_prefix *ret, size_t max,
			struct vmnet_err *err)
{
	return subnets(netconf, false, ret, NULL, max, err);
}

int vmnet_ipam_subnets6(json_t *netconf, struct vmnet_prefix6 *ret, size_t max,
			struct vmnet_err *err)
{
	return subnets(netconf, true, NULL, ret, max, err);
}
