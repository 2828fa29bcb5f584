/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "dhcp.h"
#include "firewalld.h"
#include "server.h"
#include "view6.h"
#include "vmnet/attach.h"
#include "vmnet/clock.h"
#include "vmnet/docker.h"
#include "vmnet/err.h"
#include "vmnet/foreign.h"
#include "vmnet/inet.h"
#include "vmnet/log.h"
#include "vmnet/nft.h"

int netd_server_open(const char *path, int *ret_fd, struct vmnet_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[PATH_MAX], *slash;
	_cleanup_close_ int fd = -1;
	struct stat s;

	if (strlen(path) >= sizeof(sa.sun_path))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, ENAMETOOLONG,
				     "socket path %s is too long", path);
	strcpy(sa.sun_path, path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return vmnet_err_set(err, CNI_ERR_IO, errno, "creating %s", dir);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "socket");
	if (lstat(path, &s) == 0) {
		_cleanup_close_ int probe = -1;

		if (!S_ISSOCK(s.st_mode))
			return vmnet_err_set(err, CNI_ERR_IO, EEXIST,
					     "%s exists and is not a socket", path);
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return vmnet_err_set(err, CNI_ERR_IO, EADDRINUSE,
					     "another netd is serving %s", path);
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "binding %s", path);
	/* SO_PEERCRED is the real gate; the mode keeps others from even
	 * connecting on systems that honour it. */
	chmod(path, 0600);
	/* The plugins connect without waiting and send what they hand over
	 * at once; a pass over 1,000 attachments keeps netd from accepting
	 * for a second or more, and with a short backlog the calls meanwhile
	 * found it full and deleted their devices themselves (20 ms per DEL).
	 * The kernel caps this at net.core.somaxconn (4096 by default). */
	if (listen(fd, SOMAXCONN) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "listening on %s", path);
	*ret_fd = steal_fd(fd);
	return 0;
}

static json_t *entry_json(const struct netd_entry *e)
{
	const struct vmnet_record *r = &e->rec;
	char ip[VMNET_PREFIXSTRLEN] = "", gw[VMNET_ADDRSTRLEN] = "", mac[18];

	/* "" without IPv4 (IPv6-only, or IPAM not called yet) */
	if (r->gateway)
		vmnet_ip4_fmt(r->gateway, gw);
	if (vmnet_record_has4(r))
		vmnet_prefix_fmt(&r->guest, ip);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:I}", "network",
			 r->network, "cid", r->cid, "ifname", r->ifname, "mode",
			 r->mode == VMNET_MODE_SHARED ? "shared" : "isolated", "tap",
			 r->wiring == VMNET_TAP_NETNS ? "netns" : "host", "host_if", r->host_if,
			 "bridge", r->bridge, "guest", ip, "gateway",
			 gw, "mac", vmnet_mac_fmt(r->guest_mac, mac), "netns", r->netns, "mtu",
			 (int)r->mtu, "status", e->status, "created", (json_int_t)r->created);
}

#define UNVERIFIED "unverified: "

/* Attachments whose namespace netd could not prove, with the reason: left
 * alone (neither repaired nor torn down) until it can. */
static json_t *unverified_json(struct netd_daemon *d, unsigned *ret_n)
{
	json_t *a = json_array();

	*ret_n = 0;
	for (size_t i = 0; a && i < d->st.n; i++) {
		const struct netd_entry *e = d->st.v[i];

		if (strncmp(e->status, UNVERIFIED, strlen(UNVERIFIED)))
			continue;
		(*ret_n)++;
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:s}", "network",
						   e->rec.network, "cid", e->rec.cid, "ifname",
						   e->rec.ifname, "netns", e->rec.netns, "reason",
						   e->status + strlen(UNVERIFIED)));
	}
	return a;
}

static json_t *finding_json(const struct vmnet_fw_finding *f)
{
	static const char *const verdict[] = { [VMNET_FW_POLICY] = "policy drop",
					       [VMNET_FW_DROPS] = "drop",
					       [VMNET_FW_REJECTS] = "reject",
					       [VMNET_FW_MAY_ANY] = "unknown" };

	return json_pack("{s:s,s:s,s:s,s:i,s:s,s:I,s:s,s:b}", "family",
			 vmnet_fw_family_name(f->family), "table", f->table, "base", f->base,
			 "priority", f->priority, "chain", f->chain, "handle", (json_int_t)f->handle,
			 "verdict", verdict[f->what], "certain", f->certain);
}

/* Is @f about traffic firewalld's zone for vmnet no longer lets it meet?
 * Once firewalld has every vmnet device in NETD_FWD_ZONE (target ACCEPT),
 * what guests send ends in that zone's chain with an accept; another zone's
 * chains (and the base chain's final reject behind them) then only see new
 * connections from outside to a guest, after firewalld's own accepts of
 * replies and published (DNAT'd) ports: vmnet's table drops those itself
 * (inbound_drop), unless a network is open to routed connections. A zone's
 * own rules for vmnet and policies stay findings. */
static bool fwd_covers(const struct netd_daemon *d, const struct vmnet_fw_finding *f)
{
	static const char zone_chain[] = "filter_FWD_" NETD_FWD_ZONE;
	struct netd_fwd_status s;

	if (strcmp(vmnet_fw_family_name(f->family), "inet") || strcmp(f->table, "firewalld") ||
	    (strcmp(f->chain, "filter_FORWARD") && strncmp(f->chain, "filter_FWD_", 11)) ||
	    !strncmp(f->chain, zone_chain, sizeof(zone_chain) - 1) ||
	    !strncmp(f->chain, "filter_FWD_policy_", 18))
		return false;
	netd_fwd_get_status(d->fwd, &s);
	if (!s.running || !s.want || s.bound != s.want)
		return false;
	for (size_t i = 0; i < d->st.n; i++)
		if (d->st.v[i]->rec.routed_inbound)
			return false;
	return true;
}

/* Ports of live attachments that another DNAT owner published afterwards
 * (an ADD refuses those published before): one warning and one object each. */
static void port_conflicts(struct netd_daemon *d, const struct vmnet_fw_ruleset *rs, json_t *warn,
			   json_t *conflicts)
{
	char owner[2 * VMNET_FW_NAME + 64], w[1024];

	for (size_t i = 0; i < d->st.n; i++) {
		const struct vmnet_record *rec = &d->st.v[i]->rec;

		for (unsigned k = 0; k < rec->n_ports; k++) {
			const struct vmnet_port *pt = &rec->ports[k];
			const char *proto = vmnet_proto_name(pt->proto);
			ssize_t ri = vmnet_fw_dnat_owner(rs, pt->proto, pt->host_port, pt->host_ip);

			if (ri < 0)
				continue;
			vmnet_fw_owner_fmt(rs, (size_t)ri, owner, sizeof(owner));
			snprintf(w, sizeof(w),
				 "port conflict: host port %s/%u of %.64s/%.64s@%s is also published "
				 "by %s; which one a connection reaches depends on the order of the "
				 "two nat chains",
				 proto ? proto : "?", pt->host_port, rec->network, rec->cid,
				 rec->ifname, owner);
			json_array_append_new(warn, json_string(w));
			json_array_append_new(conflicts,
					      json_pack("{s:s,s:s,s:s,s:s,s:i,s:s}", "network",
							rec->network, "cid", rec->cid, "ifname",
							rec->ifname, "protocol", proto ? proto : "?",
							"host_port", (int)pt->host_port, "owner", owner));
		}
	}
}

/* Docker's FORWARD policy, when vmnet's accepts in DOCKER-USER (which
 * FORWARD jumps to first) cover every attachment's device: not a finding. */
static bool docker_covered(struct netd_daemon *d, struct vmnet_nft *nft,
			   const struct vmnet_fw_finding *f)
{
	_cleanup_free_ struct vmnet_docker_dev *devs = NULL;

	if (f->what != VMNET_FW_POLICY || strcmp(vmnet_fw_family_name(f->family), "ip") ||
	    strcmp(f->table, VMNET_DOCKER_TABLE) || strcmp(f->base, "FORWARD") || !d->st.n)
		return false;
	devs = calloc(d->st.n, sizeof(*devs));
	if (!devs)
		return false;
	for (size_t i = 0; i < d->st.n; i++)
		vmnet_docker_dev_of(&d->st.v[i]->rec, &devs[i]);
	return vmnet_docker_covers(nft, devs, d->st.n) == 1;
}

/* Other tables' chains that drop or reject VM traffic (include/vmnet/foreign.h):
 * one string each, or one saying why they could not be read; *ret_fw gets
 * the same findings as objects. */
/* What to add for @f: accepts of vmnet's devices (bridges by name, host
 * links by prefix) at the top of the base chain, in and out, as nft
 * commands. */
static json_t *fix_for(const struct netd_daemon *d, const struct vmnet_fw_finding *f)
{
	struct vmnet_docker_dev devs[8];
	size_t n = 0;
	json_t *fix = json_array();
	char cmd[512];

	for (size_t i = 0; i < d->st.n && n < ARRAY_SIZE(devs); i++) {
		struct vmnet_docker_dev dv;
		size_t k;

		vmnet_docker_dev_of(&d->st.v[i]->rec, &dv);
		for (k = 0; k < n && strcmp(devs[k].name, dv.name); k++)
			;
		if (k == n)
			devs[n++] = dv;
	}
	for (size_t k = 0; fix && k < n; k++)
		for (int out = 0; out < 2; out++) {
			snprintf(cmd, sizeof(cmd), "nft insert rule %s %s %s %s \"%s%s\" accept",
				 vmnet_fw_family_name(f->family), f->table, f->base,
				 out ? "oifname" : "iifname", devs[k].name, devs[k].prefix ? "*" : "");
			json_array_append_new(fix, json_string(cmd));
		}
	return fix;
}

/* The finding, and what to add, as one warning line. */
static void warn_line(const struct vmnet_fw_finding *f, json_t *fix, char *w, size_t size)
{
	size_t len;

	vmnet_fw_finding_fmt(f, w, size);
	len = strlen(w);
	if (!json_array_size(fix) || len + 40 >= size)
		return;
	snprintf(w + len, size - len, "; to let vmnet's traffic through, add: %s",
		 json_string_value(json_array_get(fix, 0)));
	for (size_t i = 1; i < json_array_size(fix); i++) {
		len = strlen(w);
		snprintf(w + len, size - len, "; %s", json_string_value(json_array_get(fix, i)));
	}
}

static json_t *fw_warnings(struct netd_daemon *d, struct vmnet_nft *nft, json_t **ret_fw,
			   json_t *conflicts)
{
	_cleanup_free_ const char **names = calloc(2 * d->st.n + 1, sizeof(*names));
	struct vmnet_fw_ruleset rs = { 0 };
	struct vmnet_fw_finding f[16];
	struct vmnet_fw_ours ours = { .names = names };
	struct vmnet_err e = { 0 };
	json_t *warn = json_array();
	size_t n = 0;
	bool complete;
	char w[2048];

	if (!names || !warn)
		goto fail;
	if (vmnet_fw_read(nft, &rs, &e) < 0) {
		snprintf(w, sizeof(w), "other tables' forward chains not checked: %s", e.msg);
		json_array_append_new(warn, json_string(w));
		goto out;
	}
	for (size_t i = 0; i < d->st.n; i++) {
		names[ours.n++] = d->st.v[i]->rec.host_if;
		if (d->st.v[i]->rec.bridge[0])
			names[ours.n++] = d->st.v[i]->rec.bridge;
	}
	complete = vmnet_fw_scan(&rs, &ours, f, ARRAY_SIZE(f), &n);
	*ret_fw = json_array();
	for (size_t i = 0; i < n && i < ARRAY_SIZE(f); i++) {
		if (docker_covered(d, nft, &f[i]) || fwd_covers(d, &f[i]))
			continue;
		json_t *fix = fix_for(d, &f[i]), *fj = finding_json(&f[i]);

		warn_line(&f[i], fix, w, sizeof(w));
		json_array_append_new(warn, json_string(w));
		if (fj && fix)
			json_object_set(fj, "fix", fix);
		json_decref(fix);
		json_array_append_new(*ret_fw, fj);
	}
	port_conflicts(d, &rs, warn, conflicts);
	if (n > ARRAY_SIZE(f) || rs.truncated || !complete) {
		snprintf(w, sizeof(w), "%zu findings in other tables' forward chains, %zu shown%s%s",
			 n, n < ARRAY_SIZE(f) ? n : ARRAY_SIZE(f),
			 rs.truncated ? "; some rules could not be read" : "",
			 complete ? "" : "; some jumps were not followed");
		json_array_append_new(warn, json_string(w));
	}
out:
	vmnet_fw_free(&rs);
	return warn;
fail:
	json_decref(warn);
	return NULL;
}

/* firewalld: is it there, and how many of vmnet's devices are in its zone. */
static json_t *fwd_json(const struct netd_daemon *d)
{
	struct netd_fwd_status s;

	netd_fwd_get_status(d->fwd, &s);
	return json_pack("{s:b,s:b,s:s,s:s,s:i,s:i,s:s}", "bus", s.bus, "running", s.running,
			 "zone", NETD_FWD_ZONE, "policy", NETD_FWD_POLICY, "devices", (int)s.bound,
			 "wanted", (int)s.want, "error", s.error);
}

/* Full passes (every record) and incremental ones (what events name). */
static json_t *passes_json(const struct netd_reconcile_stats *p)
{
	return json_pack("{s:s,s:i,s:I,s:I,s:i,s:i,s:i,s:i,s:i,s:i,s:I}", "last_kind",
			 p->last_full ? "full" : "incremental", "last_checked", (int)p->checked,
			 "full_passes", (json_int_t)p->full_passes, "incremental_passes",
			 (json_int_t)p->incr_passes, "last_full_us", (int)p->last_full_us,
			 "last_full_checked", (int)p->last_full_checked, "last_incremental_us",
			 (int)p->last_incr_us, "last_incremental_checked", (int)p->last_incr_checked,
			 "last_full_steps", (int)p->last_full_steps, "last_full_longest_step_us",
			 (int)p->last_full_step_us, "full_meanwhile",
			 (json_int_t)p->full_meanwhile);
}

/* When the next passes are due, ms from now: next_pass_in_ms for events or
 * what the last pass asked (-1: none), periodic_in_ms for the periodic one. */
static void sched_json(const struct netd_daemon *d, json_t *r)
{
	int64_t now = vmnet_mono_ms(), next = d->due_ev;

	if (!r)
		return;
	if (d->due_pass && (!next || d->due_pass < next))
		next = d->due_pass;
	json_object_set_new(r, "next_pass_in_ms",
			    json_integer(next ? (json_int_t)(next > now ? next - now : 0) : -1));
	/* A full pass under way in steps (loop.c): status is served between. */
	json_object_set_new(r, "full_pass_running", json_boolean(d->full_stage != NETD_FULL_NONE));
	json_object_set_new(r, "periodic_in_ms",
			    json_integer((json_int_t)(d->due_periodic > now ? d->due_periodic - now : 0)));
}

/* The status socket, opened once (daemon.h), emptied of anything an
 * earlier request left unread. */
static struct vmnet_nft *status_nft(struct netd_daemon *d)
{
	if (!d->status_nft && vmnet_nft_open(-1, &d->status_nft, NULL) < 0)
		return NULL;
	vmnet_nft_drain(d->status_nft);
	return d->status_nft;
}

static json_t *do_status(struct netd_daemon *d)
{
	const struct netd_reconcile_stats *p = &d->last_pass;
	struct vmnet_nft *nft = status_nft(d);
	json_t *v, *dh;
	int ver = 0, exists = -1;
	unsigned ok = 0, broken = 0, n_unverified;
	json_t *warn = NULL, *fw = NULL, *conflicts = json_array();

	if (nft && conflicts) {
		exists = vmnet_nft_table_version(nft, &ver, NULL);
		warn = fw_warnings(d, nft, &fw, conflicts);
	}
	json_t *unv = unverified_json(d, &n_unverified);

	for (size_t i = 0; i < d->st.n; i++) {
		if (!strncmp(d->st.v[i]->status, "ok", 2))
			ok++;
		else if (strcmp(d->st.v[i]->status, "pending") &&
			 strncmp(d->st.v[i]->status, UNVERIFIED, strlen(UNVERIFIED)))
			broken++;
	}
	if (d->dhcp) {
		struct netd_dhcp_stats s;

		netd_dhcp_stats(d->dhcp, &s);
		dh = json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:I}", "enabled", 1, "rx",
			       (json_int_t)s.rx, "offers", (json_int_t)s.offers, "acks",
			       (json_int_t)s.acks, "naks", (json_int_t)s.naks, "ignored_unknown",
			       (json_int_t)s.ignored_unknown, "ignored_malformed",
			       (json_int_t)s.ignored_malformed);
	} else {
		dh = json_pack("{s:b,s:s}", "enabled", 0, "error", d->dhcp_error);
	}
	v = json_pack("{s:i,s:i,s:s,s:s,s:I,s:i,s:i,s:i,s:i,s:{s:b,s:i,s:i},s:{s:I,s:I,s:i,s:i,s:i,"
		      "s:i,s:I,s:I,s:I,s:s},s:o*,s:o*,s:i,s:o*,s:o*,s:i,s:o*}",
		      "protocol", NETD_PROTO_VERSION, "pid", (int)getpid(), "state_dir",
		      d->o->state_dir, "socket", d->o->socket, "uptime_secs",
		      (json_int_t)(time(NULL) - d->started), "interval_secs", (int)d->o->interval_s,
		      "attachments", (int)d->st.n, "ok", (int)ok, "broken", (int)broken, "nftables",
		      "table", exists > 0, "version", ver, "expected_version", VMNET_NFT_VERSION,
		      "reconcile", "passes", (json_int_t)p->passes, "last_at", (json_int_t)p->at,
		      "last_ms", (int)p->duration_ms, "last_repaired", (int)p->repaired,
		      "last_removed", (int)p->removed, "last_errors", (int)p->errors, "repaired",
		      (json_int_t)p->total_repaired, "removed", (json_int_t)p->total_removed,
		      "table_restores", (json_int_t)p->total_synced, "last_error", p->last_error,
		      "dhcp", dh, "warnings", warn, "unverified", (int)n_unverified,
		      "unverified_attachments", unv, "firewall", fw, "parked",
		      (int)p->parked, "firewalld", fwd_json(d));
	if (v) {
		json_t *kinds = passes_json(p);

		json_object_set_new(v, "released_descriptors",
				    json_integer((json_int_t)d->conns.linger.released));
		json_object_set_new(v, "lingering_descriptors",
				    json_integer((json_int_t)d->conns.linger.n));
		json_object_set_new(v, "linger_waits", json_integer((json_int_t)d->conns.linger.waited));
		json_object_set_new(v, "handed_devices_removed", json_integer((json_int_t)d->doomed.removed));
		json_object_set_new(v, "handed_devices_waiting", json_integer((json_int_t)d->doomed.n));
		json_object_set_new(v, "pooled_inodes", json_integer((json_int_t)p->pooled));
		json_object_set_new(v, "parked_looks", json_integer((json_int_t)d->reap_looks));
		json_object_set_new(v, "parked_looks_by_name",
				    json_integer((json_int_t)d->reap_by_name));
		/* The interval as the last full pass's length stretched it. */
		json_object_set_new(v, "full_every_secs",
				    json_integer(netd_full_every_ms(p, d->o->interval_s) / 1000));
		json_object_set_new(v, "ipv6", netd_view6_status(d));
		json_object_set_new(json_object_get(v, "reconcile"), "locked_passes",
				    json_integer((json_int_t)p->locked));
		sched_json(d, json_object_get(v, "reconcile"));
		json_object_update(json_object_get(v, "reconcile"), kinds);
		json_decref(kinds);
	}
	if (v && conflicts)
		json_object_set_new(v, "port_conflicts", conflicts);
	else
		json_decref(conflicts);
	return v;
}

static json_t *do_list(struct netd_daemon *d)
{
	json_t *arr = json_array();

	if (!arr)
		return NULL;
	for (size_t i = 0; i < d->st.n; i++) {
		json_t *o = entry_json(d->st.v[i]);

		netd_view6_entry(d, &d->st.v[i]->rec, o);
		if (json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return json_pack("{s:o}", "attachments", arr);
}

static json_t *do_lease(struct netd_daemon *d, const struct netd_request *req,
			struct vmnet_err *err)
{
	struct netd_entry *e = netd_state_find(&d->st, req->cid, req->ifname);
	struct netd_lease l;
	json_t *v;

	if (!e)
		return vmnet_err_set(err, NETD_E_UNKNOWN, 0, "no attachment of %.100s%s%s",
				     req->cid, req->ifname[0] ? " on " : "", req->ifname),
		       NULL;
	netd_lease_from_record(&e->rec, d->host_dns, d->n_host_dns, &l);
	v = netd_lease_to_json(&l);
	if (v) {
		json_object_set_new(v, "network", json_string(e->rec.network));
		json_object_set_new(v, "cid", json_string(e->rec.cid));
		netd_view6_lease(d, &e->rec, v);
	}
	return v;
}

/* A DEL's leftovers (lib/handoff.c): its descriptors are closed by conn.c
 * after this; the devices it made carry nothing are queued for deletion
 * (doomed.h: when no call waits for RTNL meanwhile), in the namespace it
 * proved and passed along, each proven ours by its alias or device group
 * then. The DEL did not wait for the RCU grace periods this costs. */
static json_t *do_release(struct netd_daemon *d, const struct netd_request *req)
{
	int64_t now = vmnet_mono_ms();
	unsigned queued = 0;

	netd_doomed_busy(&d->doomed, now);

	for (unsigned i = 0; i < req->n_doomed; i++) {
		const struct netd_doomed *x = &req->doomed[i];
		char what[400];

		if ((size_t)x->fd >= req->n_fds || req->fds[x->fd] < 0) {
			log_warn("release: no namespace for %s/%s@%s", x->network, x->cid, x->ifname);
			continue;
		}
		snprintf(what, sizeof(what), "%s/%s@%s", x->network, x->cid, x->ifname);
		queued += netd_doomed_defer(&d->doomed, req->fds[x->fd], x->tap, what, now);
	}
	return json_pack("{s:I,s:i}", "released", (json_int_t)d->conns.linger.released, "queued",
			 (int)queued);
}

json_t *netd_server_dispatch(struct netd_daemon *d, const struct netd_request *req,
			     struct vmnet_err *err)
{
	json_t *v = NULL;

	/* What the records say now: the loop only notes what changed (a
	 * release, every call's hand-off, reads no record). */
	if (req->cmd != NETD_CMD_RELEASE)
		netd_state_handle_events(&d->st);
	switch (req->cmd) {
	case NETD_CMD_STATUS:
		v = do_status(d);
		break;
	case NETD_CMD_LIST:
		v = do_list(d);
		break;
	case NETD_CMD_LEASE:
		v = do_lease(d, req, err);
		if (!v && err && err->code)
			return NULL;
		break;
	case NETD_CMD_RELEASE:
		v = do_release(d, req);
		break;
	case NETD_CMD_RECONCILE:
		d->targets.all = true;
		if (d->run_pass)
			d->run_pass(d);
		else
			netd_reconcile(&d->st, d->o->cni_path, &d->last_pass);
		v = json_pack("{s:i,s:i,s:i,s:i,s:i,s:b,s:i,s:s}", "records", (int)d->last_pass.records,
			      "repaired", (int)d->last_pass.repaired, "removed", (int)d->last_pass.removed,
			      "table_restored", (int)d->last_pass.synced, "errors", (int)d->last_pass.errors,
			      "busy", d->last_pass.busy, "ms", (int)d->last_pass.duration_ms, "last_error",
			      d->last_pass.errors ? d->last_pass.last_error : "");
		break;
	}
	if (!v)
		vmnet_err_set(err, NETD_E_INTERNAL, 0, "out of memory");
	return v;
}
