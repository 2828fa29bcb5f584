/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/names.h"
#include "vmnet/park.h"

static int parse_version(struct vmnet_conf *c, const char **ret_version, struct vmnet_err *err)
{
	json_t *list = NULL;
	const char *v = NULL;
	int r;

	r = vmnet_json_get_string(c->root, "", "cniVersion", false, &v, err);
	if (r < 0)
		return r;
	if (v)
		*ret_version = v;
	r = vmnet_json_get_array(c->root, "", "cniVersions", false, &list, err);
	if (r < 0)
		return r;
	if (list) {
		/* 1.1: take the highest version both sides speak. */
		enum vmnet_cni_version best = 0, x;
		bool found = false;
		size_t i;
		json_t *it;

		json_array_foreach(list, i, it) {
			if (!json_is_string(it))
				return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
						     "cniVersions[%zu]: must be a string", i);
			if (vmnet_cni_version_parse(json_string_value(it), &x) == 0 &&
			    (!found || x > best)) {
				best = x;
				found = true;
			}
		}
		if (found && (!v || vmnet_cni_version_parse(v, &x) < 0 || best > x)) {
			c->version = best;
			c->version_str = vmnet_cni_version_str(best);
			*ret_version = c->version_str;
			return 0;
		}
	}
	if (!v)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "cniVersion: missing");
	if (vmnet_cni_version_parse(v, &c->version) < 0)
		return vmnet_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION, 0,
				     "cniVersion \"%.32s\" is not supported (0.3.0, 0.3.1, 0.4.0, "
				     "1.0.0, 1.1.0 are)",
				     v);
	c->version_str = v;
	return 0;
}

static int copy_name(const char *key, const char *s, char dst[IFNAMSIZ], struct vmnet_err *err)
{
	if (!vmnet_name_valid_ifname(s))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "%s: \"%.64s\" is not a valid interface name (1-15 printable "
				     "bytes, no '/' or ':')",
				     key, s);
	snprintf(dst, IFNAMSIZ, "%s", s);
	return 0;
}

/* A mapping without hostIP (family 0) covers the wildcard of each family
 * ("0.0.0.0", "::"): runtimes send those as twins of it. */
static bool covers(const struct vmnet_port *all, const struct vmnet_port *w)
{
	return !all->family && w->family && all->proto == w->proto &&
	       all->host_port == w->host_port && !w->host_ip && vmnet_ip6_is_zero(&w->host_ip6);
}

/* The same mapping twice (or a family's wildcard twin of one without
 * hostIP) is one mapping; a clash inside one request is an error. */
static int add_port(struct vmnet_conf *c, const struct vmnet_port *p, const char *path,
		    const char *proto, struct vmnet_err *err)
{
	unsigned k = 0;

	for (unsigned j = 0; j < c->n_ports; j++) {
		const struct vmnet_port *q = &c->ports[j];
		bool same = vmnet_port_same_host(q, p) || covers(q, p);

		if ((same || covers(p, q)) && q->guest_port != p->guest_port)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "%s: host port %s/%u is mapped twice", path, proto,
					     p->host_port);
		if (same)
			return 0;
		if (!covers(p, q)) /* a twin @p covers goes */
			c->ports[k++] = *q;
	}
	c->n_ports = k;
	if (c->n_ports >= VMNET_MAX_PORTS)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "runtimeConfig.portMappings: more than %d", VMNET_MAX_PORTS);
	c->ports[c->n_ports++] = *p;
	return 0;
}

static int parse_ports(struct vmnet_conf *c, json_t *arr, struct vmnet_err *err)
{
	size_t i;
	json_t *it;

	json_array_foreach(arr, i, it) {
		struct vmnet_port p = { 0 };
		const char *proto = "tcp", *hip = NULL;
		int64_t hp = 0, cp = 0;
		char path[64];
		int r;

		snprintf(path, sizeof(path), "runtimeConfig.portMappings[%zu]", i);
		if (!json_is_object(it))
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "%s: must be an object", path);
		if ((r = vmnet_json_get_int(it, path, "hostPort", 1, 65535, &hp, err)) < 0 ||
		    (r = vmnet_json_get_int(it, path, "containerPort", 1, 65535, &cp, err)) < 0 ||
		    (r = vmnet_json_get_string(it, path, "protocol", false, &proto, err)) < 0 ||
		    (r = vmnet_json_get_string(it, path, "hostIP", false, &hip, err)) < 0)
			return r;
		if (!hp || !cp)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "%s: hostPort and containerPort are required", path);
		if (vmnet_proto_parse(proto, &p.proto) < 0)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "%s.protocol: \"%.16s\" is not tcp, udp or sctp", path, proto);
		if (vmnet_port_host_parse(hip, &p) < 0)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "%s.hostIP: \"%.64s\" is not an address", path, hip);
		p.host_port = (uint16_t)hp;
		p.guest_port = (uint16_t)cp;
		if ((r = add_port(c, &p, path, proto, err)) < 0)
			return r;
	}
	return 0;
}

static int parse_runtime(struct vmnet_conf *c, struct vmnet_err *err)
{
	json_t *rc = NULL, *args = NULL, *cni = NULL, *ports = NULL;
	const char *mac = NULL, *group = NULL;
	int r;

	/* args.cni.mac first: runtimeConfig.mac overrides it (reference order). */
	r = vmnet_json_get_object(c->root, "", "args", false, &args, err);
	if (r < 0)
		return r;
	if (args && (r = vmnet_json_get_object(args, "args", "cni", false, &cni, err)) < 0)
		return r;
	if (cni && (r = vmnet_json_get_string(cni, "args.cni", "mac", false, &mac, err)) < 0)
		return r;
	r = vmnet_json_get_object(c->root, "", "runtimeConfig", false, &rc, err);
	if (r < 0)
		return r;
	if (rc) {
		if ((r = vmnet_json_get_string(rc, "runtimeConfig", "mac", false, &mac, err)) < 0 ||
		    (r = vmnet_json_get_string(rc, "runtimeConfig", "vmnetGroup", false, &group, err)) < 0 ||
		    (r = vmnet_json_get_array(rc, "runtimeConfig", "portMappings", false, &ports, err)) < 0)
			return r;
	}
	if (mac) {
		if (vmnet_mac_parse(mac, true, c->mac) < 0)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "mac: \"%.32s\" is not a unicast MAC address", mac);
		c->has_mac = true;
	}
	if (group) {
		if (!*group || strlen(group) >= sizeof(c->iso_label))
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "runtimeConfig.vmnetGroup: 1..%zu bytes", sizeof(c->iso_label) - 1);
		snprintf(c->iso_label, sizeof(c->iso_label), "%s", group);
	}
	if (ports && (r = parse_ports(c, ports, err)) < 0)
		return r;
	return 0;
}

static int parse_dns(struct vmnet_conf *c, struct vmnet_err *err)
{
	json_t *dns = NULL;
	json_auto_t *wrap = NULL;
	struct vmnet_result tmp;
	int r;

	r = vmnet_json_get_object(c->root, "", "dns", false, &dns, err);
	if (r < 0 || !dns)
		return r;
	/* Same shape as a result's dns: reuse that parser. */
	wrap = json_pack("{sO}", "dns", dns);
	if (!wrap)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "dns");
	r = vmnet_result_parse(wrap, &tmp, err);
	if (r < 0) {
		vmnet_err_recode(err, CNI_ERR_INVALID_CONFIG);
		return r;
	}
	c->dns = tmp.dns;
	c->has_dns = true;
	return 0;
}

/* name, type, mode, tap, bridge, tapName. */
static int parse_names(struct vmnet_conf *c, struct vmnet_err *err)
{
	const char *s = NULL;
	int r;

	r = vmnet_json_get_string(c->root, "", "name", true, &c->name, err);
	if (r < 0)
		return r;
	if (!vmnet_name_valid_netname(c->name))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "name: \"%.64s\" must start with a letter or digit and hold only "
				     "letters, digits, '_', '.' and '-' (at most 128)",
				     c->name);
	r = vmnet_json_get_string(c->root, "", "type", true, &s, err);
	if (r < 0)
		return r;
	s = "shared";
	if ((r = vmnet_json_get_string(c->root, "", "mode", false, &s, err)) < 0)
		return r;
	if (!strcmp(s, "shared"))
		c->mode = VMNET_MODE_SHARED;
	else if (!strcmp(s, "isolated"))
		c->mode = VMNET_MODE_ISOLATED;
	else
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "mode: \"%.32s\" is not \"shared\" or \"isolated\"", s);
	s = "netns";
	if ((r = vmnet_json_get_string(c->root, "", "tap", false, &s, err)) < 0)
		return r;
	if (!strcmp(s, "netns"))
		c->wiring = VMNET_TAP_NETNS;
	else if (!strcmp(s, "host"))
		c->wiring = VMNET_TAP_HOST;
	else
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "tap: \"%.32s\" is not \"netns\" or \"host\"", s);
	s = NULL;
	if ((r = vmnet_json_get_string(c->root, "", "bridge", false, &s, err)) < 0)
		return r;
	if (s && (r = copy_name("bridge", s, c->bridge, err)) < 0)
		return r;
	/* No bridge named: stable per network and recognisably ours. */
	if (!s)
		snprintf(c->bridge, sizeof(c->bridge), VMNET_PREFIX_BRIDGE "%08llx",
			 (unsigned long long)(vmnet_hash(c->name, NULL, NULL) & 0xffffffffULL));
	s = "tap0";
	if ((r = vmnet_json_get_string(c->root, "", "tapName", false, &s, err)) < 0 ||
	    (r = copy_name("tapName", s, c->tap_name, err)) < 0)
		return r;
	return 0;
}

/* ipMasq6, which defaults to ipMasq (read first). */
static int get_masq6(struct vmnet_conf *c, struct vmnet_err *err)
{
	c->ip_masq6 = c->ip_masq;
	return vmnet_json_get_bool(c->root, "", "ipMasq6", &c->ip_masq6, err);
}

/* mtu, the booleans, owner, group, parkMax, stateDir. */
static int parse_options(struct vmnet_conf *c, struct vmnet_err *err)
{
	const char *s = VMNET_STATE_DIR;
	int64_t mtu = 1500, owner = -1, group = -1, park = -1;
	bool is_gateway = false;
	int r;

	if ((r = vmnet_json_get_int(c->root, "", "mtu", 68, 65535, &mtu, err)) < 0 ||
	    (r = vmnet_json_get_bool(c->root, "", "ipMasq", &c->ip_masq, err)) < 0 ||
	    (r = get_masq6(c, err)) < 0 ||
	    (r = vmnet_json_get_bool(c->root, "", "portIsolation", &c->port_isolation, err)) < 0 ||
	    (r = vmnet_json_get_bool(c->root, "", "multiQueue", &c->multi_queue, err)) < 0 ||
	    (r = vmnet_json_get_bool(c->root, "", "hostAccess", &c->host_access, err)) < 0 ||
	    (r = vmnet_json_get_bool(c->root, "", "localhostPorts", &c->localhost_ports, err)) < 0 ||
	    (r = vmnet_json_get_bool(c->root, "", "requireNetd", &c->require_netd, err)) < 0 ||
	    (r = vmnet_json_get_bool(c->root, "", "routedInbound", &c->routed_inbound, err)) < 0 ||
	    (r = vmnet_json_get_bool(c->root, "", "isGateway", &is_gateway, err)) < 0 ||
	    (r = vmnet_json_get_int(c->root, "", "owner", 0, UINT32_MAX - 1, &owner, err)) < 0 ||
	    (r = vmnet_json_get_int(c->root, "", "group", 0, UINT32_MAX - 1, &group, err)) < 0 ||
	    (r = vmnet_json_get_int(c->root, "", "parkMax", 0, VMNET_PARK_SLOTS, &park, err)) < 0 ||
	    (r = vmnet_json_get_string(c->root, "", "stateDir", false, &s, err)) < 0)
		return r;
	c->mtu = (unsigned)mtu;
	c->tap_uid = (long)owner;
	c->tap_gid = (long)group;
	c->park_max = (int)park;
	if (s[0] != '/' || strlen(s) >= sizeof(c->state_dir) - 400 || strstr(s, "/../"))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "stateDir: \"%.64s\" must be a short absolute path", s);
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", s);
	return 0;
}

/* ipam.type, prevResult, the valid-attachments list. */
static int parse_refs(struct vmnet_conf *c, struct vmnet_err *err)
{
	json_t *ipam = NULL;
	int r;

	if ((r = vmnet_json_get_object(c->root, "", "ipam", false, &ipam, err)) < 0)
		return r;
	if (ipam) {
		if ((r = vmnet_json_get_string(ipam, "ipam", "type", true, &c->ipam_type, err)) < 0)
			return r;
		if (!*c->ipam_type || strchr(c->ipam_type, '/') || !strcmp(c->ipam_type, ".") ||
		    !strcmp(c->ipam_type, "..") || strlen(c->ipam_type) > 63)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "ipam.type: \"%.64s\" is not a plugin name", c->ipam_type);
	}
	c->prev_result = json_object_get(c->root, "prevResult");
	if (c->prev_result && json_is_null(c->prev_result))
		c->prev_result = NULL;
	if (c->prev_result && !json_is_object(c->prev_result))
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "prevResult: must be an object");
	c->valid_attachments = json_object_get(c->root, "cni.dev/valid-attachments");
	if (!c->valid_attachments)
		c->valid_attachments = json_object_get(c->root, "cni.dev/attachments");
	if (c->valid_attachments && !json_is_array(c->valid_attachments))
		return vmnet_err_set(err, CNI_ERR_DECODE, 0,
				     "cni.dev/valid-attachments: must be an array");
	return 0;
}

/* aggregateRoute: netd keeps a blackhole route for the block of an isolated
 * network (netd/aggregate.c), the block being a range of host-local's keys. */
static int parse_aggregate(struct vmnet_conf *c, struct vmnet_err *err)
{
	bool on = false;
	int r = vmnet_json_get_bool(c->root, "", "aggregateRoute", &on, err);

	if (r < 0 || !on)
		return r;
	if (c->mode != VMNET_MODE_ISOLATED)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "aggregateRoute: only for mode \"isolated\" (a shared network's "
				     "bridge route is its aggregate)");
	if (!c->ipam_type ||
	    (strcmp(c->ipam_type, "vmnet-ipam") && strcmp(c->ipam_type, "host-local")))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "aggregateRoute: needs ipam type vmnet-ipam or host-local "
				     "(their ranges are the block)");
	return 0;
}

/* clusterCIDRs (include/vmnet/cluster.h). */
static int parse_cluster(struct vmnet_conf *c, struct vmnet_err *err)
{
	json_t *arr = json_object_get(c->root, "clusterCIDRs");

	return vmnet_cluster_parse(json_is_null(arr) ? NULL : arr, "clusterCIDRs", &c->cluster, err);
}

int vmnet_conf_parse(const char *buf, size_t len, struct vmnet_conf **ret, const char **ret_version,
		     struct vmnet_err *err)
{
	_cleanup_(vmnet_conf_freep) struct vmnet_conf *c = NULL;
	const char *ver = NULL;
	int r;

	*ret_version = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "parsing configuration");
	if (len == 0)
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "no network configuration on stdin");
	c->root = vmnet_json_load(buf, len, err);
	if (!c->root)
		return -EINVAL;
	if (!json_is_object(c->root))
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "network configuration is not an object");
	r = parse_version(c, &ver, err);
	if (ver) {
		/* The error JSON echoes it after c (and the string) are freed. */
		static char copy[16];

		snprintf(copy, sizeof(copy), "%s", ver);
		*ret_version = copy;
	}
	if (r < 0 || (r = parse_names(c, err)) < 0 || (r = parse_options(c, err)) < 0 ||
	    (r = parse_refs(c, err)) < 0 || (r = parse_aggregate(c, err)) < 0 ||
	    (r = parse_cluster(c, err)) < 0 ||
	    (r = parse_runtime(c, err)) < 0 ||
	    (r = parse_dns(c, err)) < 0)
		return r;
	*ret = steal_ptr(c);
	return 0;
}

struct vmnet_conf *vmnet_conf_free(struct vmnet_conf *c)
{
	if (c) {
		json_decref(c->root);
		free(c);
	}
	return NULL;
}
