/* SPDX-License-Identifier: MIT */
/*
 * ADD: a pending record, an address from IPAM, then the devices, then the
 * nftables elements, then the record marked ready. Every step is undone in
 * reverse order when a later one fails, so a failed ADD leaves nothing; a
 * killed one leaves only what its pending record lets DEL, GC and netd find.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plugin.h"
#include "vmnet/addr.h"
#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/link.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "vmnet/netns.h"
#include "vmnet/nsid.h"
#include "vmnet/nft.h"
#include "vmnet/nl.h"
#include "vmnet/sysctl.h"
#include "vmnet/tc.h"
#include "vmnet/attach.h"
#include "vmnet/docker.h"

/* Crash tests: VMNET_FAILPOINT=<name> makes ADD die at that point, as a
 * SIGKILL or a power cut would, so tests can check that DEL and netd
 * clean up after any crash. */
static void failpoint(const char *name)
{
	const char *f = getenv("VMNET_FAILPOINT");

	if (f && !strcmp(f, name))
		_exit(99);
}

static int fill_record(struct vmnet_call *c, struct vmnet_record *rec, struct vmnet_err *err)
{
	const struct vmnet_conf *cf = c->conf;
	const struct vmnet_cni_env *env = c->env;

	memset(rec, 0, sizeof(*rec));
	snprintf(rec->network, sizeof(rec->network), "%s", cf->name);
	snprintf(rec->cid, sizeof(rec->cid), "%s", env->containerid);
	snprintf(rec->ifname, sizeof(rec->ifname), "%s", env->ifname);
	rec->mode = cf->mode;
	rec->wiring = cf->wiring;
	snprintf(rec->netns, sizeof(rec->netns), "%s", env->netns ? env->netns : "");
	vmnet_name_host_if(rec->host_if,
			   cf->wiring == VMNET_TAP_HOST ? VMNET_PREFIX_TAP : VMNET_PREFIX_VETH,
			   cf->name, env->containerid, env->ifname);
	if (cf->mode == VMNET_MODE_SHARED)
		snprintf(rec->bridge, sizeof(rec->bridge), "%s", cf->bridge);
	snprintf(rec->tap_name, sizeof(rec->tap_name), "%s",
		 cf->wiring == VMNET_TAP_NETNS ? cf->tap_name : rec->host_if);
	rec->mtu = cf->mtu;
	rec->ip_masq = cf->ip_masq;
	rec->ip_masq6 = cf->ip_masq6;
	rec->port_isolation = cf->port_isolation;
	rec->multi_queue = cf->multi_queue;
	rec->host_access = cf->host_access;
	rec->localhost_ports = cf->localhost_ports;
	rec->routed_inbound = cf->routed_inbound;
	rec->cluster = cf->cluster;
	rec->tap_uid = cf->tap_uid;
	rec->tap_gid = cf->tap_gid;
	snprintf(rec->ipam_type, sizeof(rec->ipam_type), "%s", cf->ipam_type);
	snprintf(rec->iso_label, sizeof(rec->iso_label), "%s",
		 cf->iso_label[0] ? cf->iso_label : c->args.iso_label);
	rec->created = (int64_t)time(NULL);
	/* netd releases an orphan's address with the IPAM plugin this ADD
	 * used; a CNI_PATH it could not trust is not recorded. */
	if (env->path && vmnet_record_cni_path_check(env->path) == 0)
		snprintf(rec->cni_path, sizeof(rec->cni_path), "%s", env->path);
	vmnet_boot_id(rec->boot_id, sizeof(rec->boot_id));
	if (vmnet_record_set_ports(rec, cf->ports, cf->n_ports) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "record");
	return 0;
}

/* The nsid is extra evidence for netd (proof of death where it cannot see
 * every process): without one, netd only leaves more alone. */
static void record_nsid(int nsfd, struct vmnet_record *rec)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *nl = NULL;

	rec->host_nsid = -1;
	if (vmnet_nl_open(-1, &nl, NULL) < 0 || vmnet_nsid_ensure(nl, nsfd, &rec->host_nsid, NULL) < 0)
		rec->host_nsid = -1;
}

static bool dns_empty(const struct vmnet_result_dns *d)
{
	return !d->n_nameservers && !d->domain[0] && !d->n_search && !d->n_options;
}

/* The DNS ADD reports, and so the DNS netd gives the guest (the record
 * carries it): the plugin's own "dns", else IPAM's, else what a prevResult
 * already said. */
static void effective_dns(const struct vmnet_call *c, const struct vmnet_result *ipam,
			  struct vmnet_result_dns *ret)
{
	struct vmnet_result prev;

	memset(ret, 0, sizeof(*ret));
	if (c->conf->has_dns)
		*ret = c->conf->dns;
	else if (!dns_empty(&ipam->dns))
		*ret = ipam->dns;
	else if (c->conf->prev_result && vmnet_result_parse(c->conf->prev_result, &prev, NULL) == 0)
		*ret = prev.dns;
}

static void record_dns(struct vmnet_record *rec, const struct vmnet_result_dns *dns)
{
	_Static_assert(ARRAY_SIZE(rec->nameservers) == ARRAY_SIZE(dns->nameservers) &&
			       ARRAY_SIZE(rec->search) == ARRAY_SIZE(dns->search) &&
			       sizeof(rec->nameservers[0]) == sizeof(dns->nameservers[0]) &&
			       sizeof(rec->search[0]) == sizeof(dns->search[0]) &&
			       sizeof(rec->domain) == sizeof(dns->domain),
		       "the record holds every DNS setting a result can report");
	memcpy(rec->nameservers, dns->nameservers, sizeof(rec->nameservers));
	rec->n_nameservers = dns->n_nameservers;
	memcpy(rec->domain, dns->domain, sizeof(rec->domain));
	memcpy(rec->search, dns->search, sizeof(rec->search));
	rec->n_search = dns->n_search;
}

/* Build the CNI result from what ADD did (see README "Results"). A
 * prevResult from an earlier plugin in the chain is passed on with ours
 * appended, as the spec asks. */
static json_t *render(struct vmnet_call *c, const struct vmnet_record *rec,
		      const struct vmnet_attach_state *st, const struct vmnet_result *ipam,
		      const struct vmnet_result_dns *dns)
{
	struct vmnet_result res;
	char mac[18];
	int guest;

	memset(&res, 0, sizeof(res));
	if (c->conf->prev_result && vmnet_result_parse(c->conf->prev_result, &res, NULL) < 0)
		memset(&res, 0, sizeof(res));
	if (res.n_ifaces + 5 > VMNET_RESULT_MAX_IFACES || res.n_ips + 2 > VMNET_RESULT_MAX_IPS)
		memset(&res, 0, sizeof(res));
	if (rec->mode == VMNET_MODE_SHARED)
		vmnet_result_add_iface(&res, rec->bridge, vmnet_mac_fmt(st->bridge_mac, mac), NULL,
				       rec->mtu);
	vmnet_result_add_iface(&res, rec->host_if, vmnet_mac_fmt(st->host_mac, mac), NULL, rec->mtu);
	if (rec->wiring == VMNET_TAP_NETNS) {
		vmnet_result_add_iface(&res, rec->ifname, vmnet_mac_fmt(rec->guest_mac, mac),
				       rec->netns, rec->mtu);
		vmnet_result_add_iface(&res, rec->tap_name, vmnet_mac_fmt(st->tap_mac, mac),
				       rec->netns, rec->mtu);
	}
	guest = vmnet_result_add_iface(&res, rec->ifname, vmnet_mac_fmt(rec->guest_mac, mac),
				       rec->cid, rec->mtu);
	if (vmnet_record_has4(rec))
		res.ips[res.n_ips++] = (struct vmnet_result_ip){
			.family = 4, .addr = rec->guest, .gateway = rec->gateway, .iface = guest
		};
	if (vmnet_record_has6(rec))
		res.ips[res.n_ips++] = (struct vmnet_result_ip){
			.family = 6, .addr6 = rec->guest6, .gateway6 = rec->gateway6, .iface = guest
		};
	for (unsigned i = 0; i < ipam->n_routes && res.n_routes < VMNET_RESULT_MAX_ROUTES; i++)
		res.routes[res.n_routes++] = ipam->routes[i];
	res.dns = *dns;
	return vmnet_result_render(&res, c->conf->version);
}

/* What ADD refuses before it touches anything: each with the code the
 * README gives its kind of input. */
static int input_check(const struct vmnet_call *c, struct vmnet_err *err)
{
	const struct vmnet_conf *cf = c->conf;
	struct vmnet_result prev;

	if (!cf->ipam_type)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam: missing (vmnet needs an address for every VM)");
	/* A prevResult ADD cannot read would be dropped from the result. */
	if (cf->prev_result && vmnet_result_parse(cf->prev_result, &prev, err) < 0)
		return vmnet_err_wrap(err, "prevResult");
	if (cf->wiring == VMNET_TAP_NETNS && !strcmp(c->env->ifname, cf->tap_name))
		return vmnet_err_set(err, CNI_ERR_INVALID_ENV, 0,
				     "CNI_IFNAME: \"%s\" is the name of the tap (tapName) in the VM "
				     "namespace",
				     c->env->ifname);
	return 0;
}

/* CNI_NETNS, opened, with what proves its identity to netd later. */
static int open_netns(const struct vmnet_call *c, struct vmnet_record *rec, int *ret_nsfd,
		      struct vmnet_err *err)
{
	_cleanup_close_ int nsfd = -1;
	int r;

	r = vmnet_netns_open(c->env->netns, &nsfd, err);
	if (r < 0) {
		vmnet_err_recode(err, r == -ENOENT ? CNI_ERR_UNKNOWN_CONTAINER : CNI_ERR_INVALID_ENV);
		return vmnet_err_wrap(err, "CNI_NETNS");
	}
	/* What netd proves before it acts on this namespace again. */
	r = vmnet_netns_identity(nsfd, &rec->netns_id);
	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "CNI_NETNS: fstat");
	record_nsid(nsfd, rec);
	if (c->conf->wiring == VMNET_TAP_NETNS && vmnet_netns_is_current(nsfd) == 1)
		return vmnet_err_set(err, CNI_ERR_INVALID_ENV, 0,
				     "CNI_NETNS is the plugin's own network namespace; "
				     "\"tap\": \"netns\" needs the VM's namespace");
	*ret_nsfd = steal_fd(nsfd);
	return 0;
}

/* Code 4 when (container, ifname) already has a ready record on this
 * network. A pending one (read under the lock: its ADD died) is undone
 * first, as DEL would, so a retried ADD needs no DEL in between. */
static int clear_attached(struct vmnet_call *c, struct vmnet_err *err)
{
	const struct vmnet_cni_env *env = c->env;
	struct vmnet_record old;
	int r;

	if (vmnet_record_read(c->conf->state_dir, c->conf->name, env->containerid, env->ifname,
			      &old, NULL) < 0)
		return 0;
	if (old.pending) {
		log_info("undoing an earlier ADD of %s/%s that did not finish", env->containerid,
			 env->ifname);
		r = vmnet_teardown(c, &old, true, err);
	} else {
		r = vmnet_err_set(err, CNI_ERR_INVALID_ENV, 0,
				  "CNI_IFNAME: %s of container %s is already attached to network "
				  "%s (DEL it first)",
				  env->ifname, env->containerid, c->conf->name);
	}
	vmnet_record_clear(&old);
	return r;
}

/* The IPAM plugin's ADD, its result checked: the guest address into @rec. */
static int get_address(struct vmnet_call *c, struct vmnet_record *rec, struct vmnet_result *ipam,
		       json_t **ret_json, bool *answered, struct vmnet_err *err)
{
	json_auto_t *res = NULL;
	int r;

	r = vmnet_delegate(c->env->path, c->conf->ipam_type, "ADD", c->stdin_buf, c->stdin_len,
			   &res, err);
	if (r < 0)
		return r;
	/* IPAM succeeded: whatever we refuse in its result, it holds it. */
	*answered = true;
	r = res ? vmnet_result_parse(res, ipam, err)
		: vmnet_err_set(err, CNI_ERR_DECODE, 0, "ipam printed no result");
	if (r < 0)
		return vmnet_err_wrap(err, "ipam result");
	r = vmnet_pick_address(ipam, rec, err);
	if (r < 0)
		return r;
	*ret_json = steal_ptr(res);
	return 0;
}

/* Everything ADD checks and learns before it takes the lock. */
static int prepare(struct vmnet_call *c, struct vmnet_record *rec, int *ret_nsfd,
		   struct vmnet_err *err)
{
	int r;

	r = input_check(c, err);
	if (r < 0)
		return r;
	r = fill_record(c, rec, err);
	if (r < 0)
		return r;
	r = vmnet_call_guest_mac(c, rec->guest_mac, err);
	if (r < 0)
		return r;
	return open_netns(c, rec, ret_nsfd, err);
}

/* Elements a lost record left behind (a record deleted by hand, one a
 * crash emptied before its DEL) may still point at the address IPAM just
 * handed out or carry this attachment's device name: a stale port mapping
 * would DNAT to the new guest, a stale spoof4 pair let another source pass.
 * Removed only while no readable record of any network holds the address
 * (checked before ours names it), so a live attachment is never touched. */
static int forget_stale(const char *state_dir, const struct vmnet_record *rec,
			struct vmnet_err *err)
{
	_cleanup_(vmnet_nft_closep) struct vmnet_nft *nft = NULL;
	int r;

	/* One lookup on the common path, so ADD's cost does not grow with
	 * the number of VMs: only an address the table still holds (left by
	 * a lost or damaged record) costs the record scan and the dumps. */
	r = vmnet_nft_open(-1, &nft, err);
	if (r < 0)
		return r;
	/* An IPv6-only guest: the same, with guests6 and the IPv6 records. */
	if (!vmnet_record_has4(rec)) {
		if (vmnet_nft_guest6_present(nft, &rec->guest6.addr) != 1 ||
		    vmnet_record_guest6_taken(state_dir, &rec->guest6.addr) != 0)
			return 0;
		vmnet_attach_flush_reached(nft, 0, &rec->guest6.addr);
		return vmnet_nft_forget6(nft, 0, &rec->guest6.addr, rec->host_if, err);
	}
	if (vmnet_nft_guest_present(nft, rec->guest.addr) != 1 ||
	    vmnet_record_guest_taken(state_dir, rec->guest.addr) != 0)
		return 0;
	/* The lost owner's flows go as its DEL would have flushed them. */
	vmnet_attach_flush_reached(nft, rec->guest.addr, NULL);
	/* Stale elements at the new IPv6 address go too, unless a record
	 * holds it (looked for only when the IPv4 lookup shows a lost record,
	 * so the common ADD stays one lookup). */
	if (vmnet_record_has6(rec) && vmnet_record_guest6_taken(state_dir, &rec->guest6.addr) == 0) {
		vmnet_attach_flush_reached(nft, 0, &rec->guest6.addr);
		return vmnet_nft_forget6(nft, rec->guest.addr, &rec->guest6.addr, rec->host_if, err);
	}
	return vmnet_nft_forget(nft, rec->guest.addr, rec->host_if, err);
}

/* Step 2 of ADD: IPAM's address, stale elements of it forgotten, DNS, all
 * in the pending record. @reserved tells, even on failure, whether IPAM may
 * hold an address for this attachment. */
static int record_address(struct vmnet_call *c, struct vmnet_record *rec,
			  struct vmnet_result *ipam, json_t **ipam_json,
			  struct vmnet_result_dns *dns, bool *reserved, struct vmnet_err *err)
{
	const struct vmnet_conf *cf = c->conf;
	bool answered = false;
	int r = get_address(c, rec, ipam, ipam_json, &answered, err);

	/* A plugin that answered with an error undid its own work; one that
	 * died (no answer) may hold a reservation; one that succeeded with a
	 * result we refuse holds one. */
	*reserved = r == 0 || answered || !err || err->code == VMNET_ERR_SYSTEM;
	if (r < 0)
		return r;
	failpoint("add-after-ipam");
	r = forget_stale(cf->state_dir, rec, err);
	if (r < 0)
		return r;
	effective_dns(c, ipam, dns);
	record_dns(rec, dns);
	rec->ipam_result = json_incref(*ipam_json);
	return vmnet_record_write(cf->state_dir, rec, err);
}

int vmnet_cmd_add(struct vmnet_call *c, json_t **ret_result, struct vmnet_err *err)
{
	const struct vmnet_conf *cf = c->conf;
	_cleanup_close_ int nsfd = -1, lock = -1;
	struct vmnet_attach_state st;
	_cleanup_(vmnet_record_clear) struct vmnet_record rec = { 0 };
	struct vmnet_result ipam;
	struct vmnet_result_dns dns;
	json_auto_t *ipam_json = NULL, *result = NULL;
	struct vmnet_err de = { 0 };
	bool reserved;
	int r;

	r = prepare(c, &rec, &nsfd, err);
	if (r < 0)
		return r;
	r = vmnet_record_lock(cf->state_dir, cf->name, VMNET_LOCK_TIMEOUT_MS, &lock, err);
	if (r < 0)
		return r;
	r = clear_attached(c, err);
	if (r < 0)
		return r;
	/* Ports another manager (Docker) already publishes: refused before
	 * anything is reserved. Our own table's are refused by its batch. */
	r = vmnet_docker_ports_check(cf->ports, cf->n_ports, err);
	if (r < 0)
		return r;

	/* 1. A pending record first: if this process dies from here on, DEL,
	 * GC and netd find what it may have created from it (the address by
	 * its owner through IPAM DEL, devices by names and aliases). */
	rec.netconf = json_incref(cf->root);
	rec.pending = true;
	r = vmnet_record_write(cf->state_dir, &rec, err);
	if (r < 0)
		goto out;

	/* 2. An address, recorded before the kernel is touched. */
	r = record_address(c, &rec, &ipam, &ipam_json, &dns, &reserved, err);
	if (r < 0)
		goto undo_ipam;

	/* 3. Devices, addresses, tc, nftables (attach.c, shared with netd). */
	r = vmnet_attach(&rec, nsfd, &st, err);
	if (r < 0)
		goto undo_ipam;
	failpoint("add-after-attach");
	/* Docker's FORWARD policy would drop the guest's routed traffic: its
	 * accepts in DOCKER-USER, if Docker is there. Not fatal: netd adds them
	 * on its next pass, and the message says why the guest is cut off. */
	vmnet_err_clear(&de);
	if (vmnet_docker_attach(&rec, &de) < 0)
		log_warn("%s", de.msg);

	/* 4. The record, ready: "fully attached". */
	rec.pending = false;
	r = vmnet_record_write(cf->state_dir, &rec, err);
	if (r < 0)
		goto undo_attach;

	result = render(c, &rec, &st, &ipam, &dns);
	if (!result) {
		r = vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "rendering result");
		goto undo_attach;
	}
	vmnet_record_clear(&rec);
	*ret_result = steal_ptr(result);
	return 0;

undo_attach:
	vmnet_detach(&rec, nsfd, st.bridge_created, NULL);
undo_ipam:
	/* While IPAM may hold an address it could not release, the pending
	 * record stays for DEL or netd. */
	if (!reserved || vmnet_delegate(c->env->path, cf->ipam_type, "DEL", c->stdin_buf,
					c->stdin_len, NULL, NULL) == 0)
		vmnet_record_remove(cf->state_dir, &rec, NULL);
	else
		log_warn("ipam DEL failed: the pending record stays for DEL or netd");
out:
	vmnet_record_clear(&rec);
	return r;
}
