/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/names.h"
#include "vmnet/record.h"

#define RECORD_VERSION 1

int vmnet_record_dir(char *buf, size_t size, const char *state_dir, const char *network)
{
	int n = snprintf(buf, size, "%s/%s", state_dir, network);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int vmnet_record_path(char *buf, size_t size, const char *state_dir, const char *network,
		      const char *cid, const char *ifname)
{
	int n = snprintf(buf, size, "%s/%s/%s@%s.json", state_dir, network, cid, ifname);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Where a record is written before its rename: one fixed name per record
 * (every writer holds the network's lock), hidden from record listings by
 * its dot, so a DEL can remove what a writer killed half way left. */
static int tmp_path(char *buf, size_t size, const char *state_dir, const char *network,
		    const char *cid, const char *ifname)
{
	int n = snprintf(buf, size, "%s/%s/.%s@%s.json.tmp", state_dir, network, cid, ifname);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

bool vmnet_record_is_tmp_name(const char *name)
{
	size_t n = strlen(name), k = strlen(".json.tmp");

	return name[0] == '.' && n > k + 1 && !strcmp(name + n - k, ".json.tmp");
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int vmnet_record_lock(const char *state_dir, const char *network, int timeout_ms, int *ret_fd,
		      struct vmnet_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	struct timespec start, now;
	int r;

	r = vmnet_record_dir(dir, sizeof(dir), state_dir, network);
	if (r < 0)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, -r, "stateDir %s", state_dir);
	r = mkdir_p(dir, 0700);
	if (r < 0)
		return vmnet_err_set(err, CNI_ERR_IO, -r, "creating state directory %s", dir);
	snprintf(path, sizeof(path), "%s/.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return vmnet_err_set(err, CNI_ERR_IO, errno, "opening lock %s", path);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long waited;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return vmnet_err_set(err, CNI_ERR_IO, errno, "locking %s", path);
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (waited >= timeout_ms)
			return vmnet_err_set(err, CNI_ERR_TRY_AGAIN, EWOULDBLOCK,
					     "network %s is busy (lock %s held for %d ms)", network,
					     path, timeout_ms);
		usleep(waited < 20 ? 200 : 2000);
	}
	*ret_fd = steal_fd(fd);
	return 0;
}

static const char *mode_str(enum vmnet_mode m)
{
	return m == VMNET_MODE_ISOLATED ? "isolated" : "shared";
}

static const char *proto_str(uint8_t p)
{
	return p == IPPROTO_UDP ? "udp" : p == IPPROTO_SCTP ? "sctp" : "tcp";
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
	TRY(vmnet_json_set(v, "mtu", json_integer(rec->mtu)));
	TRY(vmnet_json_set(v, "ipMasq", json_boolean(rec->ip_masq)));
	TRY(vmnet_json_set(v, "portIsolation", json_boolean(rec->port_isolation)));
	TRY(vmnet_json_set(v, "multiQueue", json_boolean(rec->multi_queue)));
	TRY(vmnet_json_set(v, "hostAccess", json_boolean(rec->host_access)));
	TRY(vmnet_json_set(v, "localhostPorts", json_boolean(rec->localhost_ports)));
	TRY(vmnet_json_set(v, "owner", json_integer(rec->owner)));
	TRY(vmnet_json_set(v, "group", json_integer(rec->group)));
	TRY(vmnet_json_set(v, "ipamType", json_string(rec->ipam_type)));
	TRY(vmnet_json_set(v, "vmnetGroup", json_string(rec->group_label)));
	a = json_array();
	TRY(vmnet_json_set(v, "ports", a));
	for (unsigned i = 0; i < rec->n_ports; i++) {
		const struct vmnet_port *p = &rec->ports[i];
		json_t *o = json_object();

		TRY(vmnet_json_append(a, o));
		TRY(vmnet_json_set(o, "protocol", json_string(proto_str(p->proto))));
		TRY(vmnet_json_set(o, "hostPort", json_integer(p->host_port)));
		TRY(vmnet_json_set(o, "containerPort", json_integer(p->guest_port)));
		TRY(vmnet_json_set(o, "hostIP", json_string(p->host_ip ? vmnet_ip4_fmt(p->host_ip, buf) : "")));
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

int vmnet_record_from_json(json_t *v, struct vmnet_record *ret, struct vmnet_err *err)
{
	struct vmnet_record rec;
	char buf[VMNET_PREFIXSTRLEN] = "", mode[16] = "", tap[16] = "", mac[18] = "", gw[VMNET_ADDRSTRLEN] = "";
	char state[16] = "";
	int64_t x;
	json_t *a, *it;
	size_t i;
	int r;

	memset(&rec, 0, sizeof(rec));
	rec.owner = rec.group = -1;
	if (!json_is_object(v))
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "record: not an object");
	if ((r = str_field(v, "network", rec.network, sizeof(rec.network), err)) < 0 ||
	    (r = str_field(v, "containerID", rec.cid, sizeof(rec.cid), err)) < 0 ||
	    (r = str_field(v, "ifname", rec.ifname, sizeof(rec.ifname), err)) < 0 ||
	    (r = str_field(v, "mode", mode, sizeof(mode), err)) < 0 ||
	    (r = str_field(v, "tap", tap, sizeof(tap), err)) < 0 ||
	    (r = str_field(v, "netns", rec.netns, sizeof(rec.netns), err)) < 0 ||
	    (r = str_field(v, "hostIf", rec.host_if, sizeof(rec.host_if), err)) < 0 ||
	    (r = str_field(v, "bridge", rec.bridge, sizeof(rec.bridge), err)) < 0 ||
	    (r = str_field(v, "tapName", rec.tap_name, sizeof(rec.tap_name), err)) < 0 ||
	    (r = str_field(v, "guestMac", mac, sizeof(mac), err)) < 0 ||
	    (r = str_field(v, "address", buf, sizeof(buf), err)) < 0 ||
	    (r = str_field(v, "gateway", gw, sizeof(gw), err)) < 0 ||
	    (r = str_field(v, "ipamType", rec.ipam_type, sizeof(rec.ipam_type), err)) < 0 ||
	    (r = str_field(v, "vmnetGroup", rec.group_label, sizeof(rec.group_label), err)) < 0 ||
	    (r = str_field(v, "domain", rec.domain, sizeof(rec.domain), err)) < 0 ||
	    (r = str_field(v, "bootID", rec.boot_id, sizeof(rec.boot_id), err)) < 0 ||
	    (r = str_field(v, "state", state, sizeof(state), err)) < 0)
		return r;
	rec.pending = !strcmp(state, "pending");
	if (!rec.network[0] || !rec.cid[0] || !rec.ifname[0] || !rec.host_if[0])
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "record: network, containerID, ifname or hostIf missing");
	rec.mode = !strcmp(mode, "isolated") ? VMNET_MODE_ISOLATED : VMNET_MODE_SHARED;
	rec.wiring = !strcmp(tap, "host") ? VMNET_TAP_HOST : VMNET_TAP_NETNS;
	if (vmnet_mac_parse(mac, true, rec.guest_mac) < 0 ||
	    vmnet_prefix_parse(buf, false, false, &rec.guest) < 0 ||
	    vmnet_ip4_parse(gw, &rec.gateway) < 0)
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "record: bad guestMac, address or gateway");
	x = 0;
	if ((r = vmnet_json_get_int(v, "record", "mtu", 0, 65535, &x, err)) < 0)
		return r;
	rec.mtu = (unsigned)x;
	if ((r = vmnet_json_get_bool(v, "record", "ipMasq", &rec.ip_masq, err)) < 0 ||
	    (r = vmnet_json_get_bool(v, "record", "portIsolation", &rec.port_isolation, err)) < 0 ||
	    (r = vmnet_json_get_bool(v, "record", "multiQueue", &rec.multi_queue, err)) < 0 ||
	    (r = vmnet_json_get_bool(v, "record", "hostAccess", &rec.host_access, err)) < 0 ||
	    (r = vmnet_json_get_bool(v, "record", "localhostPorts", &rec.localhost_ports, err)) < 0)
		return r;
	x = -1;
	if ((r = vmnet_json_get_int(v, "record", "owner", -1, UINT32_MAX, &x, err)) < 0)
		return r;
	rec.owner = (long)x;
	x = -1;
	if ((r = vmnet_json_get_int(v, "record", "group", -1, UINT32_MAX, &x, err)) < 0)
		return r;
	rec.group = (long)x;
	x = 0;
	if ((r = vmnet_json_get_int(v, "record", "created", 0, INT64_MAX, &x, err)) < 0)
		return r;
	rec.created = x;
	if ((r = vmnet_json_get_bool(v, "record", "routedInbound", &rec.routed_inbound, err)) < 0)
		return r;
	a = json_object_get(v, "ports");
	if (json_is_array(a)) {
		json_array_foreach(a, i, it) {
			struct vmnet_port *p = &rec.ports[rec.n_ports];
			const char *proto = json_string_value(json_object_get(it, "protocol"));
			const char *hip = json_string_value(json_object_get(it, "hostIP"));

			if (rec.n_ports >= VMNET_MAX_PORTS || !proto)
				return vmnet_err_set(err, CNI_ERR_DECODE, 0, "record: bad ports");
			p->proto = !strcmp(proto, "udp") ? IPPROTO_UDP :
				   !strcmp(proto, "sctp") ? IPPROTO_SCTP : IPPROTO_TCP;
			p->host_port = (uint16_t)json_integer_value(json_object_get(it, "hostPort"));
			p->guest_port = (uint16_t)json_integer_value(json_object_get(it, "containerPort"));
			p->host_ip = 0;
			if (hip && *hip && vmnet_ip4_parse(hip, &p->host_ip) < 0)
				return vmnet_err_set(err, CNI_ERR_DECODE, 0, "record: bad hostIP");
			rec.n_ports++;
		}
	}
	rec.n_nameservers = str_list(v, "nameservers", &rec.nameservers[0][0],
				     sizeof(rec.nameservers[0]), ARRAY_SIZE(rec.nameservers));
	rec.n_search = str_list(v, "search", &rec.search[0][0], sizeof(rec.search[0]),
				ARRAY_SIZE(rec.search));
	if ((r = str_field(v, "cniPath", rec.cni_path, sizeof(rec.cni_path), err)) < 0)
		return r;
	if (vmnet_record_cni_path_check(rec.cni_path) < 0)
		return vmnet_err_set(err, CNI_ERR_DECODE, 0,
				     "record.cniPath: must be absolute directories separated by ':'");
	r = netns_id_from_json(v, &rec, err);
	if (r < 0)
		return r;
	it = json_object_get(v, "ipamResult");
	rec.ipam_result = it ? json_incref(it) : NULL;
	it = json_object_get(v, "netconf");
	rec.netconf = it ? json_incref(it) : NULL;
	*ret = rec;
	return 0;
}

uint32_t vmnet_record_group_id(const struct vmnet_record *rec)
{
	uint32_t id;

	if (!rec->group_label[0])
		return 0;
	id = (uint32_t)vmnet_hash(rec->network, rec->group_label, "vmnet-group");
	return id ? id : 1;
}

void vmnet_record_clear(struct vmnet_record *rec)
{
	json_decref(rec->ipam_result);
	json_decref(rec->netconf);
	rec->ipam_result = rec->netconf = NULL;
}

int vmnet_record_write(const char *state_dir, const struct vmnet_record *rec,
		       struct vmnet_err *err)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;
	json_auto_t *v = NULL;
	size_t len, off = 0;
	int r;

	r = vmnet_record_path(path, sizeof(path), state_dir, rec->network, rec->cid, rec->ifname);
	if (r == 0)
		r = tmp_path(tmp, sizeof(tmp), state_dir, rec->network, rec->cid, rec->ifname);
	if (r < 0)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, -r, "record path");
	v = vmnet_record_to_json(rec);
	text = v ? json_dumps(v, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	if (!text)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "encoding record");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return vmnet_err_set(err, CNI_ERR_IO, errno, "writing record %s", tmp);
	len = strlen(text);
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = vmnet_err_set(err, CNI_ERR_IO, errno, "writing record %s", tmp);
			unlink(tmp);
			return r;
		}
		off += (size_t)n;
	}
	/* rename() makes the record appear whole or not at all for every
	 * reader and after a process crash. No fsync: it costs milliseconds
	 * per ADD, and after a power loss netd reconciles anyway (a record
	 * lost or emptied then is treated like one that was never written:
	 * its devices and address are found by name and released). */
	if (rename(tmp, path) < 0) {
		r = vmnet_err_set(err, CNI_ERR_IO, errno, "committing record %s", path);
		unlink(tmp);
		return r;
	}
	return 0;
}

int vmnet_record_read_path(const char *path, struct vmnet_record *ret, struct vmnet_err *err)
{
	_cleanup_free_ char *buf = NULL;
	json_auto_t *v = NULL;
	size_t len;
	FILE *f;
	int fd, r;

	/* A symlink planted in the state folder is not followed. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (e == ENOENT)
			return -ENOENT;
		return vmnet_err_set(err, CNI_ERR_IO, e, "reading record %s", path);
	}
	r = vmnet_json_read_all(f, &buf, &len, err);
	fclose(f);
	if (r < 0)
		return r;
	v = vmnet_json_load(buf, len, err);
	if (!v)
		return vmnet_err_wrap(err, "record %s", path);
	r = vmnet_record_from_json(v, ret, err);
	if (r < 0)
		return vmnet_err_wrap(err, "record %s", path);
	return 0;
}

int vmnet_record_read(const char *state_dir, const char *network, const char *cid,
		      const char *ifname, struct vmnet_record *ret, struct vmnet_err *err)
{
	char path[PATH_MAX];

	if (vmnet_record_path(path, sizeof(path), state_dir, network, cid, ifname) < 0)
		return -ENOENT;
	return vmnet_record_read_path(path, ret, err);
}

int vmnet_record_remove_key(const char *state_dir, const char *network, const char *cid,
			    const char *ifname, struct vmnet_err *err)
{
	char path[PATH_MAX];

	if (tmp_path(path, sizeof(path), state_dir, network, cid, ifname) == 0 && unlink(path) < 0 &&
	    errno != ENOENT)
		return vmnet_err_set(err, CNI_ERR_IO, errno, "removing %s", path);
	if (vmnet_record_path(path, sizeof(path), state_dir, network, cid, ifname) < 0)
		return 0;
	if (unlink(path) < 0 && errno != ENOENT)
		return vmnet_err_set(err, CNI_ERR_IO, errno, "removing record %s", path);
	return 0;
}

int vmnet_record_remove(const char *state_dir, const struct vmnet_record *rec,
			struct vmnet_err *err)
{
	return vmnet_record_remove_key(state_dir, rec->network, rec->cid, rec->ifname, err);
}

static bool is_record_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n >= 6 && !strcmp(name + n - 5, ".json") && strchr(name, '@');
}

int vmnet_record_others(const char *state_dir, const char *network, const char *cid,
			const char *ifname, struct vmnet_err *err)
{
	char dir[PATH_MAX], mine[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int found = 0;

	if (vmnet_record_dir(dir, sizeof(dir), state_dir, network) < 0)
		return 0;
	snprintf(mine, sizeof(mine), "%s@%s.json", cid, ifname);
	d = vmnet_record_opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : vmnet_err_set(err, CNI_ERR_IO, errno, "reading %s", dir);
	while ((de = readdir(d))) {
		if (!is_record_name(de->d_name) || !strcmp(de->d_name, mine))
			continue;
		found = 1;
		break;
	}
	closedir(d);
	return found;
}

/* 1 if a record file in @dir (a network's directory) holds guest @addr. */
static int dir_holds_guest(int dfd, const char *dir, uint32_t addr)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int found = 0;

	if (!d) {
		close(dfd);
		return 0;
	}
	while (!found && (de = readdir(d))) {
		char path[PATH_MAX];
		struct vmnet_record rec;

		if (!is_record_name(de->d_name) ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (vmnet_record_read_path(path, &rec, NULL) < 0)
			continue;
		found = rec.guest.addr == addr;
		vmnet_record_clear(&rec);
	}
	closedir(d);
	return found;
}

int vmnet_record_guest_taken(const char *state_dir, uint32_t addr)
{
	struct dirent *de;
	DIR *d = vmnet_record_opendir(state_dir);
	int found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		char dir[PATH_MAX];
		int dfd;

		if (de->d_name[0] == '.' ||
		    snprintf(dir, sizeof(dir), "%s/%s", state_dir, de->d_name) >= (int)sizeof(dir))
			continue;
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (dfd >= 0)
			found = dir_holds_guest(dfd, dir, addr);
	}
	closedir(d);
	return found;
}

DIR *vmnet_record_opendir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

int vmnet_record_salvage_text(const char *buf, size_t len, struct vmnet_prefix *ret)
{
	static const char key[] = "\"address\"";
	const char *p = buf, *end = buf + len, *q;
	char val[VMNET_PREFIXSTRLEN];
	struct vmnet_prefix a;

	/* The first "address" key: the writer puts the record's own before
	 * the nested objects (ipamResult, netconf) that may hold another. A
	 * string value cannot fake it: its quotes are escaped, and a value is
	 * followed by ',' or '}', never by ':'. */
	for (;;) {
		p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1);
		if (!p)
			return -ENOENT;
		p = skip_ws(p + sizeof(key) - 1, end);
		if (p < end && *p == ':')
			break;
	}
	p = skip_ws(p + 1, end);
	if (p >= end || *p++ != '"')
		return -ENOENT;
	q = memchr(p, '"', (size_t)(end - p));
	if (!q || (size_t)(q - p) >= sizeof(val))
		return -ENOENT;
	memcpy(val, p, (size_t)(q - p));
	val[q - p] = '\0';
	if (vmnet_prefix_parse(val, false, false, &a) < 0 || !a.addr)
		return -ENOENT;
	*ret = a;
	return 0;
}

int vmnet_record_salvage_address(const char *state_dir, const char *network, const char *cid,
				 const char *ifname, struct vmnet_prefix *ret)
{
	char path[PATH_MAX], buf[4096];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (vmnet_record_path(path, sizeof(path), state_dir, network, cid, ifname) < 0)
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	/* The address is among the first few hundred bytes a writer puts. */
	n = read(fd, buf, sizeof(buf));
	if (n <= 0)
		return -ENOENT;
	return vmnet_record_salvage_text(buf, (size_t)n, ret);
}
