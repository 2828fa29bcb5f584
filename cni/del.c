/* SPDX-License-Identifier: MIT */
/*
 * DEL. Best effort and idempotent: it works from the record (no netns,
 * no prevResult needed), keeps going after failures and treats "already
 * gone" as success.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "plugin.h"
#include "vmnet/attach.h"
#include "vmnet/err.h"
#include "vmnet/inet.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "vmnet/netns.h"
#include "vmnet/nft.h"
#include "vmnet/teardown.h"

/* What a prevResult says about this attachment: the guest pseudo-interface
 * (named CNI_IFNAME, sandbox = the container ID; README "Results") gives the
 * MAC and the address ADD used; without it, the first address. */
static void from_prev(const struct vmnet_conf *cf, struct vmnet_record *rec)
{
	struct vmnet_result prev;
	int guest = -1;

	if (!cf->prev_result || vmnet_result_parse(cf->prev_result, &prev, NULL) < 0)
		return;
	for (unsigned i = 0; i < prev.n_ifaces; i++)
		if (!strcmp(prev.ifaces[i].name, rec->ifname) &&
		    !strcmp(prev.ifaces[i].sandbox, rec->cid))
			guest = (int)i;
	if (guest >= 0)
		(void)vmnet_mac_parse(prev.ifaces[guest].mac, true, rec->guest_mac);
	for (unsigned i = 0; i < prev.n_ips; i++) {
		const struct vmnet_result_ip *ip = &prev.ips[i];

		if (ip->iface != guest && guest >= 0)
			continue;
		if (ip->family == 4 && !rec->guest.addr)
			rec->guest = ip->addr;
		if (ip->family == 6 && !vmnet_record_has6(rec)) {
			rec->guest6 = ip->addr6;
			rec->gateway6 = ip->gateway6;
		}
	}
}

/* The guest address of an attachment without a readable record: from
 * prevResult, else from what a damaged record (@damaged) still shows. Only
 * an address no readable record of any attachment holds: a prevResult
 * replayed after the address went to another VM must not cut that VM off. */
static void unrecorded_address(const struct vmnet_call *c, struct vmnet_record *rec, bool damaged)
{
	const struct vmnet_conf *cf = c->conf;

	from_prev(cf, rec);
	if (!rec->guest.addr && damaged &&
	    vmnet_record_salvage_address(cf->state_dir, cf->name, rec->cid, rec->ifname,
					 &rec->guest) == 0)
		log_info("the damaged record still names address %s",
			 vmnet_prefix_fmt(&rec->guest, (char[VMNET_PREFIXSTRLEN]){ 0 }));
	if (rec->guest.addr && vmnet_record_guest_taken(cf->state_dir, rec->guest.addr) == 1) {
		log_info("address of %s/%s belongs to another attachment: not touching it",
			 rec->cid, rec->ifname);
		memset(&rec->guest, 0, sizeof(rec->guest));
	}
	if (vmnet_record_has6(rec) &&
	    vmnet_record_guest6_taken(cf->state_dir, &rec->guest6.addr) == 1) {
		log_info("IPv6 address of %s/%s belongs to another attachment: not touching it",
			 rec->cid, rec->ifname);
		memset(&rec->guest6, 0, sizeof(rec->guest6));
	}
}

/* A record a crash emptied names no address: the elements keyed by this
 * attachment's device @host_if still pair it with the guest's (spoof4,
 * port_ip4 and their IPv6 twins), and so lead to those keyed by the address and to the port
 * mappings to it. The address counts only while no readable record holds
 * it; else only the device's own elements go. */
static int forget_unrecorded(const char *state_dir, const char *host_if, uint32_t ip,
			     struct in6_addr ip6, struct vmnet_err *err)
{
	_cleanup_(vmnet_nft_closep) struct vmnet_nft *nft = NULL;
	int r = vmnet_nft_open(-1, &nft, err);

	if (r == 0 && !ip)
		r = vmnet_nft_if_guest(nft, host_if, &ip, err);
	if (r == 0 && vmnet_ip6_is_zero(&ip6))
		r = vmnet_nft_if_guest6(nft, host_if, &ip6, err);
	if (r < 0)
		return r;
	if (ip && vmnet_record_guest_taken(state_dir, ip) != 0)
		ip = 0;
	if (!vmnet_ip6_is_zero(&ip6) && vmnet_record_guest6_taken(state_dir, &ip6) != 0)
		memset(&ip6, 0, sizeof(ip6));
	/* Its flows too, as a DEL with the record flushes them. */
	if (ip)
		vmnet_attach_flush_reached(nft, ip, NULL);
	if (!vmnet_ip6_is_zero(&ip6))
		vmnet_attach_flush_reached(nft, 0, &ip6);
	return vmnet_nft_forget6(nft, ip, &ip6, host_if, err);
}

/* No readable record (a DEL after a failed or foreign ADD, a repeated DEL,
 * a record a crash left damaged): remove whatever carries this
 * attachment's deterministic names, and release the address, so nothing is
 * left in any case. Devices are removed only under our alias or temporary
 * names (vmnet_detach); elements keyed by the guest address only for an
 * address unrecorded_address found, ports only while they map to it (with
 * the ports of this call's runtimeConfig, as the runtime passes them to DEL
 * as to ADD). */
static int teardown_unrecorded(struct vmnet_call *c, bool damaged, struct vmnet_err *err)
{
	const struct vmnet_conf *cf = c->conf;
	_cleanup_(vmnet_record_clear) struct vmnet_record rec = { 0 };
	int first = 0, r;

	snprintf(rec.network, sizeof(rec.network), "%s", cf->name);
	snprintf(rec.cid, sizeof(rec.cid), "%s", c->env->containerid);
	snprintf(rec.ifname, sizeof(rec.ifname), "%s", c->env->ifname);
	snprintf(rec.bridge, sizeof(rec.bridge), "%s", cf->bridge);
	snprintf(rec.netns, sizeof(rec.netns), "%s", c->env->netns ? c->env->netns : "");
	snprintf(rec.tap_name, sizeof(rec.tap_name), "%s", cf->tap_name);
	rec.mode = cf->mode;
	rec.ip_masq = cf->ip_masq;
	rec.ip_masq6 = cf->ip_masq6;
	r = vmnet_record_set_ports(&rec, cf->ports, cf->n_ports);
	if (r < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "record");
	/* The MAC as ADD chose it (a bad CNI_ARGS MAC failed that ADD: then
	 * the derived one is as good as any). */
	if (vmnet_call_guest_mac(c, rec.guest_mac, NULL) < 0)
		vmnet_name_mac(rec.guest_mac, "guest", cf->name, rec.cid, rec.ifname);
	unrecorded_address(c, &rec, damaged);
	for (int w = 0; w < 2; w++) {
		rec.wiring = w ? VMNET_TAP_HOST : VMNET_TAP_NETNS;
		vmnet_name_host_if(rec.host_if, w ? VMNET_PREFIX_TAP : VMNET_PREFIX_VETH, cf->name,
				   rec.cid, rec.ifname);
		/* A damaged record may have named ports this call does not:
		 * every element of the address and the device goes. */
		if (damaged) {
			r = forget_unrecorded(cf->state_dir, rec.host_if, rec.guest.addr,
					      rec.guest6.addr, first ? NULL : err);
			if (r < 0 && !first)
				first = r;
		}
		r = vmnet_teardown(c, &rec, w == 1, first ? NULL : err);
		if (r < 0 && !first)
			first = r;
	}
	return first;
}

int vmnet_cmd_del(struct vmnet_call *c, struct vmnet_err *err)
{
	const struct vmnet_conf *cf = c->conf;
	_cleanup_close_ int lock = -1;
	struct vmnet_record rec;
	int r;

	r = vmnet_call_read_record(c, &lock, &rec, err);
	if (r == -ENOENT)
		return teardown_unrecorded(c, false, err);
	if (r < 0) {
		/* An unreadable record must not block DEL forever. */
		log_warn("%s, removing by name instead", err->msg);
		vmnet_err_clear(err);
		r = teardown_unrecorded(c, true, err);
		if (r == 0)
			r = vmnet_record_remove_key(cf->state_dir, cf->name, c->env->containerid,
						    c->env->ifname, err);
		return r;
	}
	r = vmnet_teardown(c, &rec, true, err);
	vmnet_record_clear(&rec);
	return r;
}
