/* SPDX-License-Identifier: MIT */
/*
 * One attachment's kernel side, driven by its record: the bridge, the host
 * end (bridge port or routed link), host wiring's tap, the nftables
 * elements; the whole of ADD and DEL. The VM-namespace side of netns
 * wiring is attach_vm.c, CHECK attach_check.c, the IPAM result's routes
 * attach_routes.c, the IPv6 steps of the host side attach6.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "attach_priv.h"
#include "vmnet/addr.h"
#include "vmnet/conntrack.h"
#include "vmnet/handoff.h"
#include "vmnet/err.h"
#include "vmnet/link.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "vmnet/netns.h"
#include "vmnet/nft.h"
#include "vmnet/nl.h"
#include "vmnet/park.h"
#include "vmnet/result.h"
#include "vmnet/sysctl.h"
#include "vmnet/tc.h"

static void bridge_alias(const struct vmnet_record *rec, char *buf, size_t size)
{
	snprintf(buf, size, VMNET_ALIAS_PREFIX "%s", rec->network);
}

static void temp_bridge(const struct vmnet_record *rec, char buf[IFNAMSIZ])
{
	vmnet_name_host_if(buf, VMNET_PREFIX_TEMP, rec->network, NULL, NULL);
}

void vmnet_attach_nft_att(const struct vmnet_record *rec, struct vmnet_nft_att *a)
{
	memset(a, 0, sizeof(*a));
	a->host_if = rec->host_if;
	a->isolated = rec->mode == VMNET_MODE_ISOLATED;
	a->guest_ip = rec->guest.addr;
	memcpy(a->guest_mac, rec->guest_mac, 6);
	a->masq = rec->ip_masq;
	a->guest_ip6 = vmnet_record_has6(rec) ? rec->guest6.addr : in6addr_any;
	a->masq6 = vmnet_record_has6(rec) && rec->ip_masq6;
	a->routed_inbound = rec->routed_inbound;
	a->host_access = rec->host_access;
	a->iso_id = rec->mode == VMNET_MODE_ISOLATED ? vmnet_record_iso_id(rec) : 0;
	a->bridge = rec->mode == VMNET_MODE_SHARED && rec->bridge[0] ? rec->bridge : NULL;
	a->ports = rec->ports;
	a->n_ports = rec->n_ports;
	a->cluster = vmnet_cluster_any(&rec->cluster) ? &rec->cluster : NULL;
}

/* A bridge belongs to one network: a second one on it would reach the
 * first one's guests, and the first one's last DEL would take the bridge
 * from under it. A bridge vmnet created names its network in its alias; on
 * one it did not create, the ports' aliases name the networks of its VMs. */
static int check_owner(struct vmnet_nl *nl, const struct vmnet_record *rec,
		       const struct vmnet_link_info *br, struct vmnet_err *err)
{
	const size_t np = strlen(VMNET_ALIAS_PREFIX);
	char mine[256], ports[260], other[256];
	int r;

	bridge_alias(rec, mine, sizeof(mine));
	if (!strcmp(br->alias, mine))
		return 0;
	if (!strncmp(br->alias, VMNET_ALIAS_PREFIX, np))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "bridge: %s belongs to network \"%s\"; a bridge serves one "
				     "network", rec->bridge, br->alias + np);
	snprintf(ports, sizeof(ports), "%s/", mine);
	r = vmnet_link_find_port(nl, br->ifindex, VMNET_ALIAS_PREFIX, ports, other, err);
	if (r <= 0)
		return r;
	other[np + strcspn(other + np, "/")] = '\0';
	return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
			     "bridge: %s carries VMs of network \"%s\"; a bridge serves one network",
			     rec->bridge, other + np);
}

/* The bridge with the gateway address, up. Creating it is the only step
 * that is shared between attachments; *created tells the caller whether
 * an undo may remove it. */
int vmnet_attach_bridge(struct vmnet_nl *nl, const struct vmnet_record *rec, int *ret_ifindex,
			bool *ret_created, uint8_t ret_mac[6], struct vmnet_err *err)
{
	struct vmnet_prefix gw = { .addr = rec->gateway, .len = rec->guest.len };
	struct vmnet_link_change ch = VMNET_LINK_CHANGE_INIT;
	struct vmnet_link_info info;
	char alias[256];
	uint8_t mac[6];
	bool created = false;
	int r, idx;

	r = vmnet_link_get(nl, rec->bridge, &info, NULL);
	if (r == -ENODEV) {
		char tmp[IFNAMSIZ];

		/* Born under the network's temporary name, renamed with its
		 * alias in one request: a crash in between leaves a bridge
		 * whose name proves it this network's (and the next ADD or
		 * DEL of the network removes it). */
		temp_bridge(rec, tmp);
		vmnet_link_del(nl, tmp, NULL);
		vmnet_name_mac(mac, "bridge", rec->network, NULL, NULL);
		r = vmnet_link_add_bridge(nl, tmp, rec->mtu, mac, &idx, err);
		if (r < 0)
			return r;
		created = true;
		bridge_alias(rec, alias, sizeof(alias));
		ch.name = rec->bridge;
		ch.alias = alias;
		ch.up = 1;
		r = vmnet_link_set(nl, idx, &ch, err);
		if (r < 0)
			goto undo;
		r = vmnet_link_get_index(nl, idx, &info, err);
		if (r < 0)
			goto undo;
	} else if (r < 0) {
		return vmnet_link_get(nl, rec->bridge, &info, err);
	} else {
		if (strcmp(info.kind, "bridge"))
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "bridge: %s exists and is a %s device, not a bridge",
					     rec->bridge, info.kind[0] ? info.kind : "plain");
		r = check_owner(nl, rec, &info, err);
		if (r < 0)
			return r;
		idx = info.ifindex;
		if (!info.up) {
			ch.up = 1;
			r = vmnet_link_set(nl, idx, &ch, err);
			if (r < 0)
				return r;
		}
	}
	r = vmnet_record_has4(rec) ? vmnet_addr_ensure(nl, idx, &gw, err) : 0;
	if (r < 0)
		goto undo;
	/* A bridge of the user's may be the host's uplink: its sysctls stay. */
	bridge_alias(rec, alias, sizeof(alias));
	r = vmnet_attach6_dev(nl, idx, strcmp(info.alias, alias) ? NULL : rec->bridge, rec, true,
			      err);
	if (r < 0)
		goto undo;
	if (rec->localhost_ports) {
		char key[64];

		/* DNAT of 127.0.0.1 towards the guests: the kernel routes
		 * loopback sources out of this bridge only with this on. */
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/route_localnet", rec->bridge);
		r = vmnet_sysctl_write(key, "1", err);
		if (r < 0)
			goto undo;
	}
	*ret_ifindex = idx;
	*ret_created = created;
	memcpy(ret_mac, info.mac, 6);
	return 0;
undo:
	if (created)
		vmnet_link_del_index(nl, idx, NULL);
	return r;
}

/* A host device named like ours may be a leftover of a crashed ADD of the
 * same attachment (then it goes) or, after a hash collision, another
 * attachment's (then we refuse). One under our temporary name is always
 * a crashed ADD's: its name proves it. */
int vmnet_attach_clear_stale(struct vmnet_nl *nl, const struct vmnet_record *rec,
			     struct vmnet_err *err)
{
	struct vmnet_link_info info;
	char alias[256], tmp[IFNAMSIZ];
	int r;

	attach_temp_name(rec, tmp);
	r = vmnet_link_del(nl, tmp, err);
	if (r < 0)
		return r;
	r = vmnet_link_get(nl, rec->host_if, &info, NULL);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return vmnet_link_get(nl, rec->host_if, &info, err);
	attach_alias(rec, alias, sizeof(alias));
	if (strcmp(info.alias, alias))
		return vmnet_err_set(err, VMNET_ERR_CONFLICT, EEXIST,
				     "host device %s already exists for \"%s\"", rec->host_if,
				     info.alias);
	log_debug("removing stale %s of an earlier attempt", rec->host_if);
	return vmnet_link_del_index(nl, info.ifindex, err);
}

int vmnet_attach_host_side(struct vmnet_nl *host, int idx, int br_idx,
			   const struct vmnet_record *rec, struct vmnet_err *err)
{
	struct vmnet_link_change ch = VMNET_LINK_CHANGE_INIT;
	char key[64];
	int r;

	ch.up = 1;
	/* IPv6 only where it is routed: a bridge port carries none of its own
	 * (the bridge holds the gateway), nor does the host end of a guest
	 * without IPv6. Off before the device comes up, so it never gets a
	 * link-local address and its fe80::/64 and ff00::/8 routes: with
	 * them every link change of a port walked every IPv6 route of the
	 * namespace, which made ADD and DEL grow with the number of ports
	 * (tests/bench/README.md). Set both ways: a reused tap keeps it. */
	r = vmnet_attach6_enable(rec->host_if,
				 rec->mode != VMNET_MODE_SHARED && vmnet_record_has6(rec), err);
	if (r < 0)
		return r;
	if (rec->mode == VMNET_MODE_SHARED) {
		ch.master = br_idx;
		r = vmnet_link_set(host, idx, &ch, err);
		if (r < 0)
			return r;
		/* Hairpin: with bridge netfilter, a VM's connection to its own
		 * published port is DNAT'd back to itself inside the bridge
		 * and must leave through the port it came in on. */
		return vmnet_link_set_port(host, idx, rec->port_isolation, true, err);
	}
	/* The isolation group travels with the device: the forward rule
	 * matches oifname . iifgroup against iso_members (nft_rules_filter.c). */
	ch.devgroup = vmnet_record_iso_id(rec);
	r = vmnet_link_set(host, idx, &ch, err);
	if (r < 0)
		return r;
	r = vmnet_attach6_dev(host, idx, rec->host_if, rec, true, err);
	if (r < 0 || !vmnet_record_has4(rec))
		return r;
	{
		struct vmnet_prefix gw = { .addr = rec->gateway, .len = rec->guest.len };

		/* The connected route of the gateway's prefix is the route to the
		 * guest's block. */
		r = vmnet_addr_ensure(host, idx, &gw, err);
		if (r < 0)
			return r;
	}
	/* Strict reverse-path filtering: a guest can only source its own block. */
	snprintf(key, sizeof(key), "net/ipv4/conf/%s/rp_filter", rec->host_if);
	r = vmnet_sysctl_write(key, "1", err);
	if (r < 0)
		return r;
	if (rec->localhost_ports) {
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/route_localnet", rec->host_if);
		r = vmnet_sysctl_write(key, "1", err);
	}
	return r;
}

/* host wiring: the tap itself is the bridge port. */
static int wire_host(struct vmnet_nl *host, int br_idx, const struct vmnet_record *rec,
		     struct vmnet_attach_state *st, struct vmnet_err *err)
{
	struct vmnet_tap_opts topt = { .multi_queue = rec->multi_queue, .vnet_hdr = true,
				       .uid = rec->tap_uid, .gid = rec->tap_gid };
	struct vmnet_link_change ch = VMNET_LINK_CHANGE_INIT;
	struct vmnet_link_info tap;
	char alias[256], tmp[IFNAMSIZ];
	uint8_t mac[6];
	bool reused;
	int r;

	/* A fixed host-side MAC different from the guest's: the bridge must
	 * learn the guest MAC behind this port, not on it. */
	vmnet_name_mac(mac, "host", rec->network, rec->cid, rec->ifname);
	attach_alias(rec, alias, sizeof(alias));
	ch.name = rec->host_if;
	ch.mtu = rec->mtu;
	ch.mac = mac;
	ch.alias = alias;
	/* A parked tap is taken back named and aliased in one request; a new
	 * one is opened under the temporary name, then named and aliased in
	 * one request (see VMNET_PREFIX_TEMP). */
	reused = vmnet_park_claim_tap(host, &topt, &ch, &tap.ifindex, NULL) == 1;
	if (!reused) {
		attach_temp_name(rec, tmp);
		r = vmnet_link_add_tap(-1, tmp, &topt, err);
		if (r < 0)
			return r;
		r = vmnet_link_get(host, tmp, &tap, err);
		if (r < 0) {
			vmnet_link_del(host, tmp, NULL);
			return r;
		}
		r = vmnet_link_set(host, tap.ifindex, &ch, err);
		if (r < 0)
			goto undo;
	}
	r = vmnet_attach_host_side(host, tap.ifindex, br_idx, rec, err);
	/* A parked tap keeps its per-device sysctls: route_localnet goes back
	 * to off unless this attachment wants it (rp_filter is set above). */
	if (r == 0 && reused && !rec->localhost_ports) {
		char key[64];

		snprintf(key, sizeof(key), "net/ipv4/conf/%s/route_localnet", rec->host_if);
		r = vmnet_sysctl_write(key, "0", err);
	}
	if (r < 0)
		goto undo;
	memcpy(st->host_mac, mac, 6);
	return 0;
undo:
	vmnet_link_del_index(host, tap.ifindex, NULL);
	return r;
}

/* A UDP client that talked to a host port before keeps hitting its old
 * conntrack entry (and the old destination) until it is gone: each family
 * the port is published on. */
static void flush_udp_ports(const struct vmnet_record *rec)
{
	for (unsigned i = 0; i < rec->n_ports; i++) {
		const struct vmnet_port *p = &rec->ports[i];
		int r = 0;

		if (p->proto != IPPROTO_UDP)
			continue;
		if (p->family != 6 && vmnet_record_has4(rec))
			r = vmnet_conntrack_flush_port(-1, IPPROTO_UDP, p->host_port, p->host_ip,
						       NULL);
		if (r >= 0 && p->family != 4 && vmnet_record_has6(rec))
			r = vmnet_conntrack_flush_port6(-1, IPPROTO_UDP, p->host_port,
							&p->host_ip6, NULL);
		if (r < 0)
			log_warn("flushing conntrack of udp/%u failed, ignoring", p->host_port);
	}
}

int vmnet_attach_forward(const struct vmnet_record *rec, struct vmnet_err *err)
{
	int r = vmnet_record_has4(rec) ? vmnet_sysctl_write("net/ipv4/ip_forward", "1", err) : 0;

	return r < 0 ? r : vmnet_attach6_forward(rec, err);
}

int vmnet_attach(const struct vmnet_record *rec, int nsfd, struct vmnet_attach_state *ret_state,
		 struct vmnet_err *err)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *host = NULL, *vm = NULL;
	_cleanup_(vmnet_nft_closep) struct vmnet_nft *nft = NULL;
	struct vmnet_result_route routes[VMNET_RESULT_MAX_ROUTES];
	struct vmnet_attach_state st;
	struct vmnet_nft_att att;
	int r, br_idx = 0;

	memset(&st, 0, sizeof(st));
	/* Outside input (the IPAM result's routes) is checked before the
	 * kernel is touched. */
	r = vmnet_attach_routes(rec, routes, ARRAY_SIZE(routes), err);
	if (r < 0)
		return r;
	r = vmnet_nl_open(-1, &host, err);
	if (r < 0)
		return r;
	if (rec->wiring == VMNET_TAP_NETNS) {
		r = vmnet_nl_open(nsfd, &vm, err);
		if (r < 0)
			return r;
	}
	r = vmnet_attach_clear_stale(host, rec, err);
	if (r < 0)
		return r;
	if (rec->mode == VMNET_MODE_SHARED) {
		r = vmnet_attach_bridge(host, rec, &br_idx, &st.bridge_created, st.bridge_mac, err);
		if (r < 0)
			return r;
	}
	r = vmnet_attach_forward(rec, err);
	if (r < 0)
		goto undo_bridge;
	if (rec->wiring == VMNET_TAP_NETNS)
		r = vmnet_attach_wire_netns(host, vm, nsfd, br_idx, rec, &st, err);
	else
		r = wire_host(host, br_idx, rec, &st, err);
	if (r < 0)
		goto undo_bridge;

	vmnet_attach_nft_att(rec, &att);
	r = vmnet_nft_open(-1, &nft, err);
	if (r < 0)
		goto undo_devices;
	r = vmnet_nft_attach(nft, &att, err);
	if (r < 0)
		goto undo_devices;
	flush_udp_ports(rec);
	*ret_state = st;
	return 0;

undo_devices:
	if (vm)
		vmnet_link_del(vm, rec->tap_name, NULL);
	vmnet_link_del(host, rec->host_if, NULL);
undo_bridge:
	if (st.bridge_created)
		vmnet_link_del_index(host, br_idx, NULL);
	return r;
}

/* Delete host device @name when @alias proves it ours (NULL: the name
 * alone does, as for our temporary names) and it is of @kind (NULL: any). */
static int del_proven(struct vmnet_nl *nl, const char *name, const char *alias, const char *kind,
		      struct vmnet_err *err)
{
	struct vmnet_link_info info;

	if (vmnet_link_get(nl, name, &info, NULL) < 0 || (alias && strcmp(info.alias, alias)) ||
	    (kind && strcmp(info.kind, kind)))
		return 0;
	return vmnet_link_del_index(nl, info.ifindex, err);
}

void vmnet_attach_flush_reached(struct vmnet_nft *nft, uint32_t ip, const struct in6_addr *ip6)
{
	char buf[INET6_ADDRSTRLEN];
	uint32_t be = htonl(ip);

	inet_ntop(ip6 ? AF_INET6 : AF_INET, ip6 ? (const void *)ip6 : &be, buf, sizeof(buf));
	if (!vmnet_nft_reached(nft, ip, ip6)) {
		log_debug("conntrack: guest %s: no flow went to it, nothing to flush", buf);
		return;
	}
	if ((ip6 ? vmnet_conntrack_flush_guest6(-1, ip6, NULL)
		 : vmnet_conntrack_flush_guest(-1, ip, NULL)) < 0)
		log_debug("conntrack: guest %s: the flush failed, ignoring", buf);
	else
		vmnet_nft_unreach(nft, ip, ip6);
}

/* Firewall first: no packet may be DNAT'd towards a device going away.
 * Without an address of either family (an ADD that died before IPAM
 * answered) there are no elements: ADD adds them only after. */
static int detach_nft(const struct vmnet_record *rec, struct vmnet_err *err)
{
	_cleanup_(vmnet_nft_closep) struct vmnet_nft *nft = NULL;
	struct vmnet_nft_att att;
	int r;

	if (!vmnet_record_has_address(rec))
		return 0;
	vmnet_attach_nft_att(rec, &att);
	r = vmnet_nft_open(-1, &nft, err);
	if (r == 0)
		r = vmnet_nft_detach(nft, &att, err);
	/* Flows to this guest, DNAT'd or not, must not outlive it: the
	 * address will be handed to another VM. The flush walks the kernel's
	 * whole conntrack table (~0.4 ms): only for a guest a flow went to
	 * (before, for every guest with published ports, and only for them). */
	if (vmnet_record_has4(rec))
		vmnet_attach_flush_reached(nft, rec->guest.addr, NULL);
	if (vmnet_record_has6(rec))
		vmnet_attach_flush_reached(nft, 0, &rec->guest6.addr);
	return r;
}

/* The VM-namespace devices: handed to netd under a doomed identity once
 * they carry nothing (*handed), else removed here. */
static int detach_vm(struct vmnet_nl *host, struct vmnet_nl *vm, const struct vmnet_record *rec,
		     int nsfd, bool *handed, struct vmnet_err *err)
{
	char tap[IFNAMSIZ];
	int first = vmnet_attach_vm_unforward(vm, rec, err);

	if (vmnet_handoff_netd() && vmnet_attach_vm_quiesce(host, vm, rec, tap, NULL) == 0 &&
	    tap[0] && vmnet_handoff_doom(rec, nsfd, tap)) {
		*handed = true;
		return first;
	}
	attach_keep_first(&first, vmnet_attach_vm_clear(vm, rec, err));
	return first;
}

int vmnet_detach(const struct vmnet_record *rec, int nsfd, bool remove_bridge,
		 struct vmnet_err *err)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *host = NULL, *vm = NULL;
	char alias[256], tmp[IFNAMSIZ];
	bool handed = false;
	int first = 0, r;

	attach_keep_first(&first, detach_nft(rec, err));
	r = vmnet_nl_open(-1, &host, err);
	if (r < 0)
		return r;
	if (rec->wiring == VMNET_TAP_NETNS && nsfd >= 0 && vmnet_nl_open(nsfd, &vm, NULL) == 0)
		attach_keep_first(&first, detach_vm(host, vm, rec, nsfd, &handed, err));
	attach_alias(rec, alias, sizeof(alias));
	/* Host wiring's tap is parked, not deleted (lib/park.c); netns
	 * wiring's host end went with its peer, or goes with it in netd. */
	if (rec->wiring == VMNET_TAP_HOST) {
		attach_keep_first(&first, vmnet_attach6_unwire_tap(host, rec, err));
		attach_keep_first(&first, vmnet_park_tap(host, rec, err));
	} else if (!handed) {
		attach_keep_first(&first, del_proven(host, rec->host_if, alias, NULL, err));
	}
	attach_temp_name(rec, tmp);
	attach_keep_first(&first, del_proven(host, tmp, NULL, NULL, err));
	if (rec->mode != VMNET_MODE_SHARED)
		return first;
	/* A bridge still under the network's temporary name is a crashed
	 * ADD's; none of our ports is on it. */
	temp_bridge(rec, tmp);
	attach_keep_first(&first, del_proven(host, tmp, NULL, "bridge", err));
	if (remove_bridge) {
		bridge_alias(rec, alias, sizeof(alias));
		attach_keep_first(&first, del_proven(host, rec->bridge, alias, NULL, err));
	}
	return first;
}
