/* SPDX-License-Identifier: MIT */
/*
 * An attachment record to and from JSON (record.h). Reading is outside
 * input to netd and DEL: every field is bounded and checked (fuzz_record).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/record.h"

#define RECORD_VERSION 1

static const char *mode_str(enum vmnet_mode m)
{
	return m == VMNET_MODE_ISOLATED ? "isolated" : "shared";
}

#define TRY(x)                    \
	do {                      \
		if ((x) < 0)      \
			goto oom; \
	} while (0)

json_t *vmnet_record_to_json(const struct vmnet_record *rec)
{
	json_auto_t *v = json_object();
	char buf[VMNET_PREFIXSTRLEN], mac[18];
	json_t *a;

	if (!v)
		return NULL;
	TRY(vmnet_json_set(v, "version", json_integer(RECORD_VERSION)));
	TRY(vmnet_json_set(v, "state", json_string(rec->pending ? "pending" : "ready")));
	TRY(vmnet_json_set(v, "network", json_string(rec->network)));
	TRY(vmnet_json_set(v, "containerID", json_string(rec->cid)));
	TRY(vmnet_json_set(v, "ifname", json_string(rec->ifname)));
	TRY(vmnet_json_set(v, "mode", json_string(mode_str(rec->mode))));
	TRY(vmnet_json_set(v, "tap", json_string(rec->wiring == VMNET_TAP_HOST ? "host" : "netns")));
	TRY(vmnet_json_set(v, "netns", json_string(rec->netns)));
	TRY(vmnet_json_set(v, "hostIf", json_string(rec->host_if)));
	TRY(vmnet_json_set(v, "bridge", json_string(rec->bridge)));
	TRY(vmnet_json_set(v, "tapName", json_string(rec->tap_name)));
	TRY(vmnet_json_set(v, "guestMac", json_string(vmnet_mac_fmt(rec->guest_mac, mac))));
	TRY(vmnet_json_set(v, "address", json_string(vmnet_prefix_fmt(&rec->guest, buf))));
	TRY(vmnet_json_set(v, "gateway", json_string(vmnet_ip4_fmt(rec->gateway, buf))));
	if (vmnet_record_has6(rec)) {
		TRY(vmnet_json_set(v, "address6", json_string(vmnet_prefix6_fmt(&rec->guest6, buf))));
		TRY(vmnet_json_set(v, "gateway6", json_string(vmnet_ip6_fmt(&rec->gateway6, buf))));
	}
	TRY(vmnet_json_set(v, "mtu", json_integer(rec->mtu)));
	TRY(vmnet_json_set(v, "ipMasq", json_boolean(rec->ip_masq)));
	TRY(vmnet_json_set(v, "ipMasq6", json_boolean(rec->ip_masq6)));
	TRY(vmnet_json_set(v, "portIsolation", json_boolean(rec->port_isolation)));
	TRY(vmnet_json_set(v, "multiQueue", json_boolean(rec->multi_queue)));
	TRY(vmnet_json_set(v, "hostAccess", json_boolean(rec->host_access)));
	if (vmnet_cluster_any(&rec->cluster))
		TRY(vmnet_json_set(v, "clusterCIDRs", vmnet_cluster_to_json(&rec->cluster)));
	TRY(vmnet_json_set(v, "localhostPorts", json_boolean(rec->localhost_ports)));
	TRY(vmnet_json_set(v, "owner", json_integer(rec->tap_uid)));
	TRY(vmnet_json_set(v, "group", json_integer(rec->tap_gid)));
	TRY(vmnet_json_set(v, "ipamType", json_string(rec->ipam_type)));
	TRY(vmnet_json_set(v, "vmnetGroup", json_string(rec->iso_label)));
	a = json_array();
	TRY(vmnet_json_set(v, "ports", a));
	for (unsigned i = 0; i < rec->n_ports; i++) {
		const struct vmnet_port *p = &rec->ports[i];
		json_t *o = json_object();

		TRY(vmnet_json_append(a, o));
		TRY(vmnet_json_set(o, "protocol", json_string(vmnet_proto_name(p->proto))));
		TRY(vmnet_json_set(o, "hostPort", json_integer(p->host_port)));
		TRY(vmnet_json_set(o, "containerPort", json_integer(p->guest_port)));
		TRY(vmnet_json_set(o, "hostIP", json_string(vmnet_port_host_fmt(p, buf))));
	}
	a = json_array();
	TRY(vmnet_json_set(v, "nameservers", a));
	for (unsigned i = 0; i < rec->n_nameservers; i++)
		TRY(vmnet_json_append(a, json_string(rec->nameservers[i])));
	TRY(vmnet_json_set(v, "domain", json_string(rec->domain)));
	TRY(vmnet_json_set(v, "created", json_integer(rec->created)));
	TRY(vmnet_json_set(v, "bootID", json_string(rec->boot_id)));
	TRY(vmnet_json_set(v, "routedInbound", json_boolean(rec->routed_inbound)));
	if (rec->ipam_result)
		TRY(vmnet_json_set(v, "ipamResult", json_incref(rec->ipam_result)));
	if (rec->netconf)
		TRY(vmnet_json_set(v, "netconf", json_incref(rec->netconf)));
	a = json_array();
	TRY(vmnet_json_set(v, "search", a));
	for (unsigned i = 0; i < rec->n_search; i++)
		TRY(vmnet_json_append(a, json_string(rec->search[i])));
	TRY(vmnet_json_set(v, "cniPath", json_string(rec->cni_path)));
	TRY(vmnet_json_set(v, "netnsDev", json_integer((json_int_t)rec->netns_id.dev)));
	TRY(vmnet_json_set(v, "netnsIno", json_integer((json_int_t)rec->netns_id.ino)));
	/* As a string: a cookie may not fit a JSON integer (int64). */
	{
		char c[24];

		snprintf(c, sizeof(c), "%" PRIu64, rec->netns_id.cookie);
		TRY(vmnet_json_set(v, "netnsCookie", json_string(c)));
	}
	TRY(vmnet_json_set(v, "hostNsid", json_integer(rec->host_nsid)));
	return steal_ptr(v);
oom:
	return NULL;
}

static int str_field(json_t *v, const char *key, char *dst, size_t size, struct vmnet_err *err)
{
	const char *s = NULL;
	int r = vmnet_json_get_string(v, "record", key, false, &s, err);

	if (r < 0)
		return r;
	if (!s)
		return 0;
	if (strlen(s) >= size)
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "record.%s: too long", key);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* The strings of array @key that fit, at most @max, in order; entries that
 * are not short strings are left out (as a record of an older layout may
 * hold them). Returns how many. */
static unsigned str_list(json_t *v, const char *key, char *base, size_t stride, size_t max)
{
	json_t *a = json_object_get(v, key), *it;
	unsigned n = 0;
	size_t i;

	json_array_foreach(a, i, it) {
		const char *s = json_string_value(it);

		if (!s || n >= max || strlen(s) >= stride)
			continue;
		strcpy(base + n++ * stride, s);
	}
	return n;
}

int vmnet_record_cni_path_check(const char *s)
{
	const char *p = s;

	if (strlen(s) >= VMNET_RECORD_CNI_PATH_MAX)
		return -EINVAL;
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -EINVAL;
	/* Every element absolute: a relative one would depend on netd's
	 * working directory. Empty elements are skipped by the lookup. */
	for (p = s; *p;) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n && p[0] != '/')
			return -EINVAL;
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

/* Absent in records of older versions: ino 0 and nsid -1, "unknown". */
static int netns_id_from_json(json_t *v, struct vmnet_record *rec, struct vmnet_err *err)
{
	int64_t dev = 0, ino = 0, nsid = -1;
	int r;

	if ((r = vmnet_json_get_int(v, "record", "netnsDev", 0, INT64_MAX, &dev, err)) < 0 ||
	    (r = vmnet_json_get_int(v, "record", "netnsIno", 0, INT64_MAX, &ino, err)) < 0 ||
	    (r = vmnet_json_get_int(v, "record", "hostNsid", -1, INT32_MAX, &nsid, err)) < 0)
		return r;
	rec->netns_id.dev = (uint64_t)dev;
	rec->netns_id.ino = (uint64_t)ino;
	rec->netns_id.cookie = 0;
	if (json_is_string(json_object_get(v, "netnsCookie"))) {
		const char *c = json_string_value(json_object_get(v, "netnsCookie"));
		char *end;

		errno = 0;
		rec->netns_id.cookie = strtoull(c, &end, 10);
		if (errno || end == c || *end || *c == '-')
			return vmnet_err_set(err, CNI_ERR_DECODE, 0,
					     "record.netnsCookie: not a decimal number");
	}
	rec->host_nsid = (int)nsid;
	return 0;
}

/* The string fields, and what is parsed out of them. */
static int strings_from_json(json_t *v, struct vmnet_record *rec, struct vmnet_err *err)
{
	char buf[VMNET_PREFIXSTRLEN] = "", mode[16] = "", tap[16] = "", mac[18] = "";
	char gw[VMNET_ADDRSTRLEN] = "", state[16] = "";
	int r;

	if ((r = str_field(v, "network", rec->network, sizeof(rec->network), err)) < 0 ||
	    (r = str_field(v, "containerID", rec->cid, sizeof(rec->cid), err)) < 0 ||
	    (r = str_field(v, "ifname", rec->ifname, sizeof(rec->ifname), err)) < 0 ||
	    (r = str_field(v, "mode", mode, sizeof(mode), err)) < 0 ||
	    (r = str_field(v, "tap", tap, sizeof(tap), err)) < 0 ||
	    (r = str_field(v, "netns", rec->netns, sizeof(rec->netns), err)) < 0 ||
	    (r = str_field(v, "hostIf", rec->host_if, sizeof(rec->host_if), err)) < 0 ||
	    (r = str_field(v, "bridge", rec->bridge, sizeof(rec->bridge), err)) < 0 ||
	    (r = str_field(v, "tapName", rec->tap_name, sizeof(rec->tap_name), err)) < 0 ||
	    (r = str_field(v, "guestMac", mac, sizeof(mac), err)) < 0 ||
	    (r = str_field(v, "address", buf, sizeof(buf), err)) < 0 ||
	    (r = str_field(v, "gateway", gw, sizeof(gw), err)) < 0 ||
	    (r = str_field(v, "ipamType", rec->ipam_type, sizeof(rec->ipam_type), err)) < 0 ||
	    (r = str_field(v, "vmnetGroup", rec->iso_label, sizeof(rec->iso_label), err)) < 0 ||
	    (r = str_field(v, "domain", rec->domain, sizeof(rec->domain), err)) < 0 ||
	    (r = str_field(v, "bootID", rec->boot_id, sizeof(rec->boot_id), err)) < 0 ||
	    (r = str_field(v, "state", state, sizeof(state), err)) < 0 ||
	    (r = str_field(v, "cniPath", rec->cni_path, sizeof(rec->cni_path), err)) < 0)
		return r;
	rec->pending = !strcmp(state, "pending");
	if (!rec->network[0] || !rec->cid[0] || !rec->ifname[0] || !rec->host_if[0])
		return vmnet_err_set(err, CNI_ERR_DECODE, 0,
				     "record: network, containerID, ifname or hostIf missing");
	rec->mode = !strcmp(mode, "isolated") ? VMNET_MODE_ISOLATED : VMNET_MODE_SHARED;
	rec->wiring = !strcmp(tap, "host") ? VMNET_TAP_HOST : VMNET_TAP_NETNS;
	if (vmnet_mac_parse(mac, true, rec->guest_mac) < 0 ||
	    vmnet_prefix_parse(buf, false, false, &rec->guest) < 0 ||
	    vmnet_ip4_parse(gw, &rec->gateway) < 0)
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "record: bad guestMac, address or gateway");
	if (vmnet_record_cni_path_check(rec->cni_path) < 0)
		return vmnet_err_set(err, CNI_ERR_DECODE, 0,
				     "record.cniPath: must be absolute directories separated by ':'");
	return 0;
}

/* The IPv6 address and gateway, both or neither. */
static int v6_from_json(json_t *v, struct vmnet_record *rec, struct vmnet_err *err)
{
	char a[VMNET_PREFIXSTRLEN] = "", gw[VMNET_ADDRSTRLEN] = "";
	int r;

	if ((r = str_field(v, "address6", a, sizeof(a), err)) < 0 ||
	    (r = str_field(v, "gateway6", gw, sizeof(gw), err)) < 0)
		return r;
	if (!a[0] && !gw[0])
		return 0;
	if (vmnet_prefix6_parse(a, false, false, &rec->guest6) < 0 || rec->guest6.len == 0 ||
	    vmnet_ip6_parse(gw, &rec->gateway6) < 0)
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "record: bad address6 or gateway6");
	return 0;
}

static int numbers_from_json(json_t *v, struct vmnet_record *rec, struct vmnet_err *err)
{
	int64_t mtu = 0, owner = -1, group = -1, created = 0;
	int r;

	if ((r = vmnet_json_get_int(v, "record", "mtu", 0, 65535, &mtu, err)) < 0 ||
	    (r = vmnet_json_get_int(v, "record", "owner", -1, UINT32_MAX, &owner, err)) < 0 ||
	    (r = vmnet_json_get_int(v, "record", "group", -1, UINT32_MAX, &group, err)) < 0 ||
	    (r = vmnet_json_get_int(v, "record", "created", 0, INT64_MAX, &created, err)) < 0 ||
	    (r = vmnet_json_get_bool(v, "record", "ipMasq", &rec->ip_masq, err)) < 0 ||
	    (r = vmnet_json_get_bool(v, "record", "portIsolation", &rec->port_isolation, err)) < 0 ||
	    (r = vmnet_json_get_bool(v, "record", "multiQueue", &rec->multi_queue, err)) < 0 ||
	    (r = vmnet_json_get_bool(v, "record", "hostAccess", &rec->host_access, err)) < 0 ||
	    (r = vmnet_json_get_bool(v, "record", "localhostPorts", &rec->localhost_ports, err)) < 0 ||
	    (r = vmnet_json_get_bool(v, "record", "routedInbound", &rec->routed_inbound, err)) < 0)
		return r;
	rec->ip_masq6 = rec->ip_masq;
	if ((r = vmnet_json_get_bool(v, "record", "ipMasq6", &rec->ip_masq6, err)) < 0)
		return r;
	rec->mtu = (unsigned)mtu;
	rec->tap_uid = (long)owner;
	rec->tap_gid = (long)group;
	rec->created = created;
	return 0;
}

/* Published ports; a protocol vmnet does not write is damage, not TCP. */
static int ports_from_json(json_t *v, struct vmnet_record *rec, struct vmnet_err *err)
{
	json_t *a = json_object_get(v, "ports"), *it;
	size_t i;

	if (!json_is_array(a) || !json_array_size(a))
		return 0;
	if (json_array_size(a) > VMNET_MAX_PORTS)
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "record: bad ports");
	rec->ports = calloc(json_array_size(a), sizeof(*rec->ports));
	if (!rec->ports)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "record: ports");
	json_array_foreach(a, i, it) {
		struct vmnet_port *p = &rec->ports[rec->n_ports];
		const char *proto = json_string_value(json_object_get(it, "protocol"));
		const char *hip = json_string_value(json_object_get(it, "hostIP"));

		if (!proto)
			return vmnet_err_set(err, CNI_ERR_DECODE, 0, "record: bad ports");
		if (vmnet_proto_parse(proto, &p->proto) < 0)
			return vmnet_err_set(err, CNI_ERR_DECODE, 0, "record: bad port protocol");
		p->host_port = (uint16_t)json_integer_value(json_object_get(it, "hostPort"));
		p->guest_port = (uint16_t)json_integer_value(json_object_get(it, "containerPort"));
		if (vmnet_port_host_parse(hip, p) < 0)
			return vmnet_err_set(err, CNI_ERR_DECODE, 0, "record: bad hostIP");
		rec->n_ports++;
	}
	return 0;
}

int vmnet_record_from_json(json_t *v, struct vmnet_record *ret, struct vmnet_err *err)
{
	struct vmnet_record rec;
	json_t *it;
	int r;

	memset(&rec, 0, sizeof(rec));
	rec.tap_uid = rec.tap_gid = -1;
	if (!json_is_object(v))
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "record: not an object");
	if ((r = strings_from_json(v, &rec, err)) < 0 || (r = v6_from_json(v, &rec, err)) < 0 ||
	    (r = numbers_from_json(v, &rec, err)) < 0 || (r = netns_id_from_json(v, &rec, err)) < 0)
		return r;
	if (vmnet_cluster_parse(json_object_get(v, "clusterCIDRs"), "record: clusterCIDRs",
				&rec.cluster, err) < 0) {
		vmnet_err_recode(err, CNI_ERR_DECODE);
		return -EINVAL;
	}
	/* The ports last: nothing fails after them. */
	if ((r = ports_from_json(v, &rec, err)) < 0) {
		vmnet_record_clear(&rec);
		return r;
	}
	rec.n_nameservers = str_list(v, "nameservers", &rec.nameservers[0][0],
				     sizeof(rec.nameservers[0]), ARRAY_SIZE(rec.nameservers));
	rec.n_search = str_list(v, "search", &rec.search[0][0], sizeof(rec.search[0]),
				ARRAY_SIZE(rec.search));
	it = json_object_get(v, "ipamResult");
	rec.ipam_result = it ? json_incref(it) : NULL;
	it = json_object_get(v, "netconf");
	rec.netconf = it ? json_incref(it) : NULL;
	*ret = rec;
	return 0;
}
