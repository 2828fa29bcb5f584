/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/result.h"

static int bad(struct vmnet_err *err, const char *path, const char *what)
{
	return vmnet_err_set(err, CNI_ERR_DECODE, 0, "%s: %s", path, what);
}

static int copy_str(json_t *o, const char *key, char *dst, size_t size, const char *path,
		    struct vmnet_err *err)
{
	json_t *v = json_object_get(o, key);
	char p[128];

	if (!v || json_is_null(v))
		return 0;
	snprintf(p, sizeof(p), "%s.%s", path, key);
	if (!json_is_string(v))
		return bad(err, p, "must be a string");
	if (json_string_length(v) >= size)
		return bad(err, p, "is too long");
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int parse_ifaces(json_t *arr, struct vmnet_result *res, struct vmnet_err *err)
{
	size_t i;
	json_t *it;

	if (!json_is_array(arr))
		return bad(err, "interfaces", "must be an array");
	if (json_array_size(arr) > VMNET_RESULT_MAX_IFACES)
		return bad(err, "interfaces", "too many entries");
	json_array_foreach(arr, i, it)
	{
		struct vmnet_result_iface *f = &res->ifaces[i];
		char path[32];
		json_t *mtu;
		int r;

		if (snprintf(path, sizeof(path), "interfaces[%zu]", i) >= (int)sizeof(path))
			return bad(err, "interfaces", "too many entries");
		if (!json_is_object(it))
			return bad(err, path, "must be an object");
		if ((r = copy_str(it, "name", f->name, sizeof(f->name), path, err)) < 0 ||
		    (r = copy_str(it, "mac", f->mac, sizeof(f->mac), path, err)) < 0 ||
		    (r = copy_str(it, "sandbox", f->sandbox, sizeof(f->sandbox), path, err)) < 0 ||
		    (r = copy_str(it, "socketPath", f->socket_path, sizeof(f->socket_path), path,
				  err)) < 0)
			return r;
		mtu = json_object_get(it, "mtu");
		if (mtu && !json_is_null(mtu)) {
			if (!json_is_integer(mtu) || json_integer_value(mtu) < 0 ||
			    json_integer_value(mtu) > 65535)
				return bad(err, path, "mtu must be an integer 0..65535");
			f->mtu = (uint32_t)json_integer_value(mtu);
		}
		res->n_ifaces++;
	}
	return 0;
}

/* An address (@prefix: address/length) of either family at @o.@key into
 * *ret4 or *ret6; *family 0 when absent, else 4 or 6. */
static int parse_addr_field(json_t *o, const char *key, bool prefix, const char *path,
			    struct vmnet_prefix *ret4, struct vmnet_prefix6 *ret6, int *family,
			    struct vmnet_err *err)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	*family = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "%s.%s: must be a string", path, key);
	s = json_string_value(v);
	if (vmnet_prefix_parse(s, false, !prefix, ret4) == 0)
		*family = 4;
	else if (vmnet_prefix6_parse(s, false, !prefix, ret6) == 0)
		*family = 6;
	else
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "%s.%s: \"%.64s\" is not %s", path,
				     key, s, prefix ? "an address/prefix" : "an address");
	return 0;
}

/* @key of entry @path: the address and its gateway (@gw_key), same family. */
static int parse_pair(json_t *it, const char *path, const char *key, const char *gw_key,
		      struct vmnet_prefix *a4, struct vmnet_prefix6 *a6, uint32_t *gw4,
		      struct in6_addr *gw6, uint8_t *ret_family, struct vmnet_err *err)
{
	struct vmnet_prefix g4;
	struct vmnet_prefix6 g6;
	int fam, gfam, r;

	r = parse_addr_field(it, key, true, path, a4, a6, &fam, err);
	if (r < 0)
		return r;
	if (!fam)
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "%s: %s is missing", path, key);
	r = parse_addr_field(it, gw_key, false, path, &g4, &g6, &gfam, err);
	if (r < 0)
		return r;
	if (gfam && gfam != fam)
		return vmnet_err_set(err, CNI_ERR_DECODE, 0,
				     "%s.%s: an IPv%d gateway for an IPv%d %s", path, gw_key, gfam,
				     fam, key);
	if (gfam == 4)
		*gw4 = g4.addr;
	if (gfam == 6)
		*gw6 = g6.addr;
	*ret_family = (uint8_t)fam;
	return 0;
}

static int parse_ips(json_t *arr, struct vmnet_result *res, struct vmnet_err *err)
{
	size_t i;
	json_t *it;

	if (!json_is_array(arr))
		return bad(err, "ips", "must be an array");
	if (json_array_size(arr) > VMNET_RESULT_MAX_IPS)
		return bad(err, "ips", "too many entries");
	json_array_foreach(arr, i, it)
	{
		struct vmnet_result_ip *ip = &res->ips[i];
		char path[32];
		json_t *v;
		int r;

		snprintf(path, sizeof(path), "ips[%zu]", i);
		if (!json_is_object(it))
			return bad(err, path, "must be an object");
		r = parse_pair(it, path, "address", "gateway", &ip->addr, &ip->addr6, &ip->gateway,
			       &ip->gateway6, &ip->family, err);
		if (r < 0)
			return r;
		v = json_object_get(it, "version");
		if (v && json_is_string(v) &&
		    strcmp(json_string_value(v), ip->family == 4 ? "4" : "6"))
			return vmnet_err_set(err, CNI_ERR_DECODE, 0,
					     "%s: version \"%.8s\" but an IPv%u address", path,
					     json_string_value(v), ip->family);
		ip->iface = -1;
		v = json_object_get(it, "interface");
		if (v && !json_is_null(v)) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) >= (json_int_t)res->n_ifaces)
				return bad(err, path, "interface is not an index into interfaces");
			ip->iface = (int)json_integer_value(v);
		}
		res->n_ips++;
	}
	return 0;
}

static int parse_routes(json_t *arr, struct vmnet_result *res, struct vmnet_err *err)
{
	size_t i;
	json_t *it;

	if (!json_is_array(arr))
		return bad(err, "routes", "must be an array");
	if (json_array_size(arr) > VMNET_RESULT_MAX_ROUTES)
		return bad(err, "routes", "too many entries");
	json_array_foreach(arr, i, it)
	{
		struct vmnet_result_route *rt = &res->routes[i];
		char path[32];
		int r;

		snprintf(path, sizeof(path), "routes[%zu]", i);
		if (!json_is_object(it))
			return bad(err, path, "must be an object");
		r = parse_pair(it, path, "dst", "gw", &rt->dst, &rt->dst6, &rt->gw, &rt->gw6,
			       &rt->family, err);
		if (r < 0)
			return r;
		res->n_routes++;
	}
	return 0;
}

static int parse_strlist(json_t *o, const char *key, char *base, size_t stride, size_t max,
			 unsigned *n, struct vmnet_err *err)
{
	json_t *arr = json_object_get(o, key), *it;
	size_t i;

	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > max)
		return vmnet_err_set(err, CNI_ERR_DECODE, 0,
				     "dns.%s: must be an array of at most %zu strings", key, max);
	json_array_foreach(arr, i, it)
	{
		if (!json_is_string(it) || json_string_length(it) >= stride)
			return vmnet_err_set(err, CNI_ERR_DECODE, 0,
					     "dns.%s[%zu]: must be a short string", key, i);
		memcpy(base + i * stride, json_string_value(it), json_string_length(it) + 1);
		(*n)++;
	}
	return 0;
}

/* A DNS name as resolv.conf and DHCP carry it: labels of letters, digits,
 * '-' and '_', dots between, an optional final dot. */
static bool dns_name_ok(const char *s)
{
	size_t label = 0;

	if (!*s || strlen(s) > 253)
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (!label)
				return false;
			label = 0;
		} else if (isalnum((unsigned char)*s) || *s == '-' || *s == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

static bool word_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s))
			return false;
	return true;
}

/* Every DNS entry is what its field says: resolvers are IP addresses, the
 * domain and search names are DNS names, options single printable words
 * ("ndots:2"). They end up in guests' resolv.conf and DHCP replies. */
static int dns_check(const struct vmnet_result_dns *d, struct vmnet_err *err)
{
	unsigned char a[16];

	for (unsigned i = 0; i < d->n_nameservers; i++)
		if (inet_pton(AF_INET, d->nameservers[i], a) != 1 &&
		    inet_pton(AF_INET6, d->nameservers[i], a) != 1)
			return vmnet_err_set(err, CNI_ERR_DECODE, 0,
					     "dns.nameservers[%u]: \"%.64s\" is not an IP address",
					     i, d->nameservers[i]);
	if (d->domain[0] && !dns_name_ok(d->domain))
		return bad(err, "dns.domain", "is not a DNS name");
	for (unsigned i = 0; i < d->n_search; i++)
		if (!dns_name_ok(d->search[i]))
			return vmnet_err_set(err, CNI_ERR_DECODE, 0,
					     "dns.search[%u]: \"%.64s\" is not a DNS name", i,
					     d->search[i]);
	for (unsigned i = 0; i < d->n_options; i++)
		if (!word_ok(d->options[i]))
			return vmnet_err_set(err, CNI_ERR_DECODE, 0,
					     "dns.options[%u]: not a single printable word", i);
	return 0;
}

int vmnet_result_parse(json_t *v, struct vmnet_result *ret, struct vmnet_err *err)
{
	struct vmnet_result res;
	json_t *x;
	int r;

	memset(&res, 0, sizeof(res));
	if (!json_is_object(v))
		return bad(err, "result", "must be an object");
	x = json_object_get(v, "interfaces");
	if (x && !json_is_null(x) && (r = parse_ifaces(x, &res, err)) < 0)
		return r;
	x = json_object_get(v, "ips");
	if (x && !json_is_null(x) && (r = parse_ips(x, &res, err)) < 0)
		return r;
	x = json_object_get(v, "routes");
	if (x && !json_is_null(x) && (r = parse_routes(x, &res, err)) < 0)
		return r;
	x = json_object_get(v, "dns");
	if (x && !json_is_null(x)) {
		struct vmnet_result_dns *d = &res.dns;

		if (!json_is_object(x))
			return bad(err, "dns", "must be an object");
		if ((r = parse_strlist(x, "nameservers", &d->nameservers[0][0],
				       sizeof(d->nameservers[0]), VMNET_RESULT_MAX_DNS,
				       &d->n_nameservers, err)) < 0 ||
		    (r = parse_strlist(x, "search", &d->search[0][0], sizeof(d->search[0]),
				       VMNET_RESULT_MAX_DNS, &d->n_search, err)) < 0 ||
		    (r = parse_strlist(x, "options", &d->options[0][0], sizeof(d->options[0]),
				       VMNET_RESULT_MAX_DNS, &d->n_options, err)) < 0 ||
		    (r = copy_str(x, "domain", d->domain, sizeof(d->domain), "dns", err)) < 0 ||
		    (r = dns_check(d, err)) < 0)
			return r;
	}
	*ret = res;
	return 0;
}

int vmnet_result_add_iface(struct vmnet_result *res, const char *name, const char *mac,
			   const char *sandbox, uint32_t mtu)
{
	struct vmnet_result_iface *f;

	if (res->n_ifaces >= VMNET_RESULT_MAX_IFACES)
		return -ENOSPC;
	f = &res->ifaces[res->n_ifaces];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->mac, sizeof(f->mac), "%s", mac ? mac : "");
	snprintf(f->sandbox, sizeof(f->sandbox), "%s", sandbox ? sandbox : "");
	f->mtu = mtu;
	return (int)res->n_ifaces++;
}

static json_t *strlist(const char *base, size_t stride, unsigned n)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < n; i++)
		if (vmnet_json_append(a, json_string(base + i * stride)) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

#define TRY(x)                                                                                     \
	do {                                                                                       \
		if ((x) < 0)                                                                       \
			goto oom;                                                                  \
	} while (0)

/* The "dns" object, always present. */
static int render_dns(json_t *v, const struct vmnet_result_dns *d)
{
	json_t *o = json_object();

	TRY(vmnet_json_set(v, "dns", o));
	if (d->n_nameservers)
		TRY(vmnet_json_set(o, "nameservers",
				   strlist(&d->nameservers[0][0], sizeof(d->nameservers[0]),
					   d->n_nameservers)));
	if (d->domain[0])
		TRY(vmnet_json_set(o, "domain", json_string(d->domain)));
	if (d->n_search)
		TRY(vmnet_json_set(o, "search",
				   strlist(&d->search[0][0], sizeof(d->search[0]), d->n_search)));
	if (d->n_options)
		TRY(vmnet_json_set(
			o, "options",
			strlist(&d->options[0][0], sizeof(d->options[0]), d->n_options)));
	return 0;
oom:
	return -ENOMEM;
}

static int render_ip(json_t *o, const struct vmnet_result_ip *ip, enum vmnet_cni_version version)
{
	char buf[VMNET_PREFIXSTRLEN];
	bool six = ip->family == 6;

	if (version < VMNET_CNI_V100)
		TRY(vmnet_json_set(o, "version", json_string(six ? "6" : "4")));
	TRY(vmnet_json_set(o, "address",
			   json_string(six ? vmnet_prefix6_fmt(&ip->addr6, buf)
					   : vmnet_prefix_fmt(&ip->addr, buf))));
	if (six && !vmnet_ip6_is_zero(&ip->gateway6))
		TRY(vmnet_json_set(o, "gateway", json_string(vmnet_ip6_fmt(&ip->gateway6, buf))));
	if (!six && ip->gateway)
		TRY(vmnet_json_set(o, "gateway", json_string(vmnet_ip4_fmt(ip->gateway, buf))));
	return 0;
oom:
	return -ENOMEM;
}

static int render_route(json_t *o, const struct vmnet_result_route *rt)
{
	char buf[VMNET_PREFIXSTRLEN];
	bool six = rt->family == 6;

	TRY(vmnet_json_set(o, "dst", json_string(six ? vmnet_prefix6_fmt(&rt->dst6, buf)
						     : vmnet_prefix_fmt(&rt->dst, buf))));
	if (six && !vmnet_ip6_is_zero(&rt->gw6))
		TRY(vmnet_json_set(o, "gw", json_string(vmnet_ip6_fmt(&rt->gw6, buf))));
	if (!six && rt->gw)
		TRY(vmnet_json_set(o, "gw", json_string(vmnet_ip4_fmt(rt->gw, buf))));
	return 0;
oom:
	return -ENOMEM;
}

const struct vmnet_result_ip *vmnet_result_first_ip(const struct vmnet_result *res, int family)
{
	for (unsigned i = 0; i < res->n_ips; i++)
		if (res->ips[i].family == family)
			return &res->ips[i];
	return NULL;
}

json_t *vmnet_result_render(const struct vmnet_result *res, enum vmnet_cni_version version)
{
	json_auto_t *v = json_object();

	if (!v)
		return NULL;
	TRY(vmnet_json_set(v, "cniVersion", json_string(vmnet_cni_version_str(version))));
	if (res->n_ifaces) {
		json_t *a = json_array();

		TRY(vmnet_json_set(v, "interfaces", a));
		for (unsigned i = 0; i < res->n_ifaces; i++) {
			const struct vmnet_result_iface *f = &res->ifaces[i];
			json_t *o = json_object();

			TRY(vmnet_json_append(a, o));
			TRY(vmnet_json_set(o, "name", json_string(f->name)));
			if (f->mac[0])
				TRY(vmnet_json_set(o, "mac", json_string(f->mac)));
			if (f->mtu && version >= VMNET_CNI_V110)
				TRY(vmnet_json_set(o, "mtu", json_integer(f->mtu)));
			if (f->sandbox[0])
				TRY(vmnet_json_set(o, "sandbox", json_string(f->sandbox)));
			if (f->socket_path[0] && version >= VMNET_CNI_V110)
				TRY(vmnet_json_set(o, "socketPath", json_string(f->socket_path)));
		}
	}
	if (res->n_ips) {
		json_t *a = json_array();

		TRY(vmnet_json_set(v, "ips", a));
		for (unsigned i = 0; i < res->n_ips; i++) {
			const struct vmnet_result_ip *ip = &res->ips[i];
			json_t *o = json_object();

			TRY(vmnet_json_append(a, o));
			TRY(render_ip(o, ip, version));
			if (ip->iface >= 0)
				TRY(vmnet_json_set(o, "interface", json_integer(ip->iface)));
		}
	}
	if (res->n_routes) {
		json_t *a = json_array();

		TRY(vmnet_json_set(v, "routes", a));
		for (unsigned i = 0; i < res->n_routes; i++) {
			const struct vmnet_result_route *rt = &res->routes[i];
			json_t *o = json_object();

			TRY(vmnet_json_append(a, o));
			TRY(render_route(o, rt));
		}
	}
	TRY(render_dns(v, &res->dns));
	return steal_ptr(v);
oom:
	return NULL;
}
