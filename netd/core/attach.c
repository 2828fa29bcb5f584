/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmnet/addr.h"
#include "vmnet/conntrack.h"
#include "vmnet/attach.h"
#include "vmnet/err.h"
#include "vmnet/link.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "vmnet/netns.h"
#include "vmnet/nft.h"
#include "vmnet/nl.h"
#include "vmnet/result.h"
#include "vmnet/sysctl.h"
#include "vmnet/tc.h"

static void alias_of(const struct vmnet_record *rec, char *buf, size_t size)
{
	vmnet_name_alias(buf, size, rec->network, rec->cid, rec->ifname);
}

/* Device group of the VM-netns devices of @rec (tap and veth peer), so DEL
 * removes both (and the host end with the peer) in one kernel batch. */
static uint32_t vm_group(const struct vmnet_record *rec)
{
	return (uint32_t)vmnet_hash(rec->network, rec->cid, rec->ifname) | 0x80000000u;
}

static void bridge_alias(const struct vmnet_record *rec, char *buf, size_t size)
{
	snprintf(buf, size, VMNET_ALIAS_PREFIX "%s", rec->network);
}

void vmnet_attach_nft_att(const struct vmnet_record *rec, struct vmnet_nft_port *ports,
			  struct vmnet_nft_att *a)
{
	memset(a, 0, sizeof(*a));
	a->host_if = rec->host_if;
	a->isolated = rec->mode == VMNET_MODE_ISOLATED;
	a->guest_ip = rec->guest.addr;
	memcpy(a->guest_mac, rec->guest_mac, 6);
	a->masq = rec->ip_masq;
	a->routed_inbound = rec->routed_inbound;
	a->host_access = rec->host_access;
	a->group = rec->mode == VMNET_MODE_ISOLATED ? vmnet_record_group_id(rec) : 0;
	a->bridge = rec->mode == VMNET_MODE_SHARED && rec->bridge[0] ? rec->bridge : NULL;
	for (unsigned i = 0; i < rec->n_ports; i++) {
		ports[i].proto = rec->ports[i].proto;
		ports[i].host_port = rec->ports[i].host_port;
		ports[i].host_ip = rec->ports[i].host_ip;
		ports[i].guest_port = rec->ports[i].guest_port;
	}
	a->ports = ports;
	a->n_ports = rec->n_ports;
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
		vmnet_name_mac(mac, "bridge", rec->network, NULL, NULL);
		r = vmnet_link_add_bridge(nl, rec->bridge, rec->mtu, mac, &idx, err);
		if (r < 0)
			return r;
		created = true;
		bridge_alias(rec, alias, sizeof(alias));
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
	r = vmnet_addr_ensure(nl, idx, &gw, err);
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
 * attachment's (then we refuse). */
static int clear_stale(struct vmnet_nl *nl, const struct vmnet_record *rec,
		       struct vmnet_err *err)
{
	struct vmnet_link_info info;
	char alias[256];
	int r;

	r = vmnet_link_get(nl, rec->host_if, &info, NULL);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return vmnet_link_get(nl, rec->host_if, &info, err);
	alias_of(rec, alias, sizeof(alias));
	if (strcmp(info.alias, alias))
		return vmnet_err_set(err, VMNET_ERR_CONFLICT, EEXIST,
				     "host device %s already exists for \"%s\"", rec->host_if,
				     info.alias);
	log_debug("removing stale %s of an earlier attempt", rec->host_if);
	return vmnet_link_del_index(nl, info.ifindex, err);
}

static int absent_in_vm(struct vmnet_nl *vm, const char *name, const char *what,
			struct vmnet_err *err)
{
	struct vmnet_link_info info;
	int r = vmnet_link_get(vm, name, &info, NULL);

	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return vmnet_link_get(vm, name, &info, err);
	return vmnet_err_set(err, CNI_ERR_INVALID_ENV, EEXIST, "%s: %s already exists in CNI_NETNS",
			     what, name);
}

int vmnet_attach_host_side(struct vmnet_nl *host, int idx, int br_idx,
			   const struct vmnet_record *rec, struct vmnet_err *err)
{
	struct vmnet_link_change ch = VMNET_LINK_CHANGE_INIT;
	char key[64];
	int r;

	ch.up = 1;
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
	 * matches oifname . iifgroup against iso_members (see nft.c). */
	ch.group = vmnet_record_group_id(rec);
	r = vmnet_link_set(host, idx, &ch, err);
	if (r < 0)
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

int vmnet_attach_routes(const struct vmnet_record *rec, struct vmnet_result_route *ret,
			unsigned max, struct vmnet_err *err)
{
	struct vmnet_prefix net = { .addr = rec->guest.addr & vmnet_mask(rec->guest.len),
				    .len = rec->guest.len };
	struct vmnet_result res;
	unsigned n = 0;
	int r;

	if (!rec->ipam_result)
		return 0;
	r = vmnet_result_parse(rec->ipam_result, &res, err);
	if (r < 0)
		return vmnet_err_wrap(err, "ipam result");
	for (unsigned i = 0; i < res.n_routes; i++) {
		struct vmnet_result_route rt = res.routes[i];
		char d[VMNET_PREFIXSTRLEN], g[VMNET_ADDRSTRLEN];

		rt.dst.addr &= vmnet_mask(rt.dst.len);
		/* The kernel's connected route of the guest address. */
		if (rt.dst.addr == net.addr && rt.dst.len == net.len)
			continue;
		if (!rt.gw)
			rt.gw = rec->gateway;
		if (rt.gw == rec->guest.addr || !vmnet_prefix_contains(&net, rt.gw))
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "ipam route %s via %s: the gateway is not another "
					     "address of the guest's subnet",
					     vmnet_prefix_fmt(&rt.dst, d), vmnet_ip4_fmt(rt.gw, g));
		if (n == max)
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "ipam returned more than %u routes", max);
		ret[n++] = rt;
	}
	return (int)n;
}

int vmnet_attach_vm_side(struct vmnet_nl *vm, int peer_idx, int tap_idx,
			 const struct vmnet_record *rec, struct vmnet_err *err)
{
	struct vmnet_link_change ch = VMNET_LINK_CHANGE_INIT;
	struct vmnet_result_route routes[VMNET_RESULT_MAX_ROUTES];
	char alias[256];
	int r, n;

	n = vmnet_attach_routes(rec, routes, ARRAY_SIZE(routes), err);
	if (n < 0)
		return n;
	alias_of(rec, alias, sizeof(alias));
	ch.mtu = rec->mtu;
	ch.up = 1;
	ch.alias = alias;
	ch.group = vm_group(rec);
	r = vmnet_link_set(vm, tap_idx, &ch, err);
	if (r < 0)
		return r;
	ch.alias = NULL;
	r = vmnet_link_set(vm, peer_idx, &ch, err);
	if (r < 0)
		return r;
	/* The guest's address and routes on the peer: runtimes that scan the
	 * netns (kata) build the guest's configuration from them. tc steals
	 * every frame at ingress, so this namespace's own stack never answers
	 * for the guest. */
	r = vmnet_addr_ensure(vm, peer_idx, &rec->guest, err);
	if (r < 0)
		return r;
	for (int i = 0; i < n; i++) {
		r = vmnet_route_ensure(vm, peer_idx, &routes[i].dst, routes[i].gw, err);
		if (r < 0)
			return vmnet_err_wrap(err, "%s in CNI_NETNS", rec->ifname);
	}
	r = vmnet_tc_redirect(vm, peer_idx, tap_idx, err);
	if (r < 0)
		return r;
	return vmnet_tc_redirect(vm, tap_idx, peer_idx, err);
}

/* netns wiring: veth host end on the bridge, peer = the guest's identity in
 * the VM netns, tap beside it, tc mirred both ways between peer and tap. */
static int wire_netns(struct vmnet_nl *host, struct vmnet_nl *vm, int nsfd, int br_idx,
		      const struct vmnet_record *rec, struct vmnet_attach_state *st,
		      struct vmnet_err *err)
{
	struct vmnet_tap_opts topt = { .multi_queue = rec->multi_queue, .vnet_hdr = true,
				       .owner = rec->owner, .group = rec->group };
	struct vmnet_link_info peer, tap, hinfo;
	char alias[256];
	uint8_t host_mac[6];
	int r, host_idx;

	r = absent_in_vm(vm, rec->ifname, "CNI_IFNAME", err);
	if (r < 0)
		return r;
	r = absent_in_vm(vm, rec->tap_name, "tapName", err);
	if (r < 0)
		return r;
	alias_of(rec, alias, sizeof(alias));
	vmnet_name_mac(host_mac, "host", rec->network, rec->cid, rec->ifname);
	r = vmnet_link_add_veth(host, rec->host_if, host_mac, alias, rec->ifname, rec->guest_mac,
				nsfd, rec->mtu, &host_idx, err);
	if (r < 0)
		return r;
	r = vmnet_attach_host_side(host, host_idx, br_idx, rec, err);
	if (r < 0)
		goto undo_veth;
	r = vmnet_link_add_tap(nsfd, rec->tap_name, &topt, err);
	if (r < 0)
		goto undo_veth;
	r = vmnet_link_get(vm, rec->tap_name, &tap, err);
	if (r < 0)
		goto undo_tap;
	r = vmnet_link_get(vm, rec->ifname, &peer, err);
	if (r < 0)
		goto undo_tap;
	r = vmnet_attach_vm_side(vm, peer.ifindex, tap.ifindex, rec, err);
	if (r < 0)
		goto undo_tap;
	if (vmnet_link_get_index(host, host_idx, &hinfo, NULL) == 0)
		memcpy(st->host_mac, hinfo.mac, 6);
	memcpy(st->tap_mac, tap.mac, 6);
	return 0;

undo_tap:
	vmnet_link_del(vm, rec->tap_name, NULL);
undo_veth:
	vmnet_link_del_index(host, host_idx, NULL);
	return r;
}

/* host wiring: the tap itself is the bridge port. */
static int wire_host(struct vmnet_nl *host, int br_idx, const struct vmnet_record *rec,
		     struct vmnet_attach_state *st, struct vmnet_err *err)
{
	struct vmnet_tap_opts topt = { .multi_queue = rec->multi_queue, .vnet_hdr = true,
				       .owner = rec->owner, .group = rec->group };
	struct vmnet_link_change ch = VMNET_LINK_CHANGE_INIT;
	struct vmnet_link_info tap;
	char alias[256];
	uint8_t mac[6];
	int r;

	r = vmnet_link_add_tap(-1, rec->host_if, &topt, err);
	if (r < 0)
		return r;
	r = vmnet_link_get(host, rec->host_if, &tap, err);
	if (r < 0)
		goto undo;
	/* A fixed host-side MAC different from the guest's: the bridge must
	 * learn the guest MAC behind this port, not on it. */
	vmnet_name_mac(mac, "host", rec->network, rec->cid, rec->ifname);
	alias_of(rec, alias, sizeof(alias));
	ch.mtu = rec->mtu;
	ch.mac = mac;
	ch.alias = alias;
	r = vmnet_link_set(host, tap.ifindex, &ch, err);
	if (r < 0)
		goto undo;
	r = vmnet_attach_host_side(host, tap.ifindex, br_idx, rec, err);
	if (r < 0)
		goto undo;
	memcpy(st->host_mac, mac, 6);
	return 0;
undo:
	vmnet_link_del(host, rec->host_if, NULL);
	return r;
}

int vmnet_attach(const struct vmnet_record *rec, int nsfd, struct vmnet_attach_state *ret_state,
		 struct vmnet_err *err)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *host = NULL, *vm = NULL;
	_cleanup_(vmnet_nft_closep) struct vmnet_nft *nft = NULL;
	struct vmnet_nft_port ports[VMNET_MAX_PORTS];
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
	r = clear_stale(host, rec, err);
	if (r < 0)
		return r;
	if (rec->mode == VMNET_MODE_SHARED) {
		r = vmnet_attach_bridge(host, rec, &br_idx, &st.bridge_created, st.bridge_mac, err);
		if (r < 0)
			return r;
	}
	r = vmnet_sysctl_write("net/ipv4/ip_forward", "1", err);
	if (r < 0)
		goto undo_bridge;
	if (rec->wiring == VMNET_TAP_NETNS)
		r = wire_netns(host, vm, nsfd, br_idx, rec, &st, err);
	else
		r = wire_host(host, br_idx, rec, &st, err);
	if (r < 0)
		goto undo_bridge;

	vmnet_attach_nft_att(rec, ports, &att);
	r = vmnet_nft_open(-1, &nft, err);
	if (r < 0)
		goto undo_devices;
	r = vmnet_nft_attach(nft, &att, err);
	if (r < 0)
		goto undo_devices;
	/* A UDP client that talked to this host port before keeps hitting its
	 * old conntrack entry (and the old destination) until it is gone. */
	for (unsigned i = 0; i < rec->n_ports; i++) {
		if (rec->ports[i].proto != IPPROTO_UDP)
			continue;
		r = vmnet_conntrack_flush_port(-1, IPPROTO_UDP, rec->ports[i].host_port,
					       rec->ports[i].host_ip, NULL);
		if (r < 0)
			log_warn("flushing conntrack of udp/%u failed, ignoring",
				 rec->ports[i].host_port);
	}
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

static void keep_first(int *first, int r)
{
	if (r < 0 && !vmnet_err_is_gone(r) && *first == 0)
		*first = r;
}

int vmnet_detach(const struct vmnet_record *rec, int nsfd, bool remove_bridge,
		 struct vmnet_err *err)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *host = NULL, *vm = NULL;
	_cleanup_(vmnet_nft_closep) struct vmnet_nft *nft = NULL;
	struct vmnet_nft_port ports[VMNET_MAX_PORTS];
	struct vmnet_nft_att att;
	struct vmnet_link_info info;
	char alias[256];
	int first = 0, r;

	/* Firewall first: no packet may be DNAT'd towards a device going away. */
	vmnet_attach_nft_att(rec, ports, &att);
	if (rec->guest.addr || rec->n_ports) {
		r = vmnet_nft_open(-1, &nft, err);
		if (r == 0)
			r = vmnet_nft_detach(nft, &att, err);
		keep_first(&first, r);
		/* Flows DNAT'd to this guest must not outlive it (the address will
		 * be handed to another VM). */
		if (rec->guest.addr && rec->n_ports &&
		    vmnet_conntrack_flush_guest(-1, rec->guest.addr, NULL) < 0)
			log_debug("flushing conntrack of the guest failed, ignoring");
	}

	r = vmnet_nl_open(-1, &host, err);
	if (r < 0)
		return r;
	alias_of(rec, alias, sizeof(alias));
	if (rec->wiring == VMNET_TAP_NETNS && nsfd >= 0 &&
	    vmnet_nl_open(nsfd, &vm, NULL) == 0) {
		/* Tap and veth peer share a device group: one RTM_DELLINK removes
		 * both, and the host end goes with the peer, in one kernel batch
		 * (each separate delete waits for an RCU grace period). Only
		 * when the tap is ours: the group is a hash, the alias proof. */
		r = vmnet_link_get(vm, rec->tap_name, &info, NULL);
		if (r == 0 && !strcmp(info.alias, alias))
			keep_first(&first, vmnet_link_del_group(vm, vm_group(rec), err));
		/* The peer normally died with the host end; not if that was
		 * already gone and the peer survived a reboot-like cleanup. Its
		 * group (a hash of network, container and ifname) proves it is
		 * ours: a MAC may come from a replayed prevResult. */
		r = vmnet_link_get(vm, rec->ifname, &info, NULL);
		if (r == 0 && !strcmp(info.kind, "veth") && !memcmp(info.mac, rec->guest_mac, 6) &&
		    info.group == vm_group(rec))
			keep_first(&first, vmnet_link_del_index(vm, info.ifindex, err));
	}
	r = vmnet_link_get(host, rec->host_if, &info, NULL);
	if (r == 0 && !strcmp(info.alias, alias))
		keep_first(&first, vmnet_link_del_index(host, info.ifindex, err));
	if (remove_bridge && rec->mode == VMNET_MODE_SHARED) {
		char balias[256];

		bridge_alias(rec, balias, sizeof(balias));
		r = vmnet_link_get(host, rec->bridge, &info, NULL);
		if (r == 0 && !strcmp(info.alias, balias))
			keep_first(&first, vmnet_link_del_index(host, info.ifindex, err));
	}
	return first;
}

static int mismatch(struct vmnet_err *err, const char *fmt, ...) _printf_(2, 3);
static int mismatch(struct vmnet_err *err, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vmnet_err_set(err, VMNET_ERR_CHECK, 0, "%s", msg);
}

/* What kata's scan of the VM netns reads besides address and MAC: the
 * result's routes and the MTU. */
static int check_vm_routes(struct vmnet_nl *vm, const struct vmnet_link_info *peer,
			   const struct vmnet_record *rec, struct vmnet_err *err)
{
	struct vmnet_result_route routes[VMNET_RESULT_MAX_ROUTES];
	int n, r;

	if (peer->mtu != rec->mtu)
		return mismatch(err, "%s in %s has MTU %u, not %u", rec->ifname, rec->netns,
				peer->mtu, rec->mtu);
	if (!peer->up)
		return mismatch(err, "%s in %s is down", rec->ifname, rec->netns);
	n = vmnet_attach_routes(rec, routes, ARRAY_SIZE(routes), err);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		char d[VMNET_PREFIXSTRLEN], g[VMNET_ADDRSTRLEN];

		r = vmnet_route_has(vm, peer->ifindex, &routes[i].dst, routes[i].gw, err);
		if (r < 0)
			return r;
		if (r == 0)
			return mismatch(err, "%s in %s lacks the route %s via %s", rec->ifname,
					rec->netns, vmnet_prefix_fmt(&routes[i].dst, d),
					vmnet_ip4_fmt(routes[i].gw, g));
	}
	return 0;
}

/* The VM-netns side of netns wiring: the veth with the guest's MAC, address,
 * routes and MTU, the tap, the tc redirects both ways. */
static int check_vm(const struct vmnet_record *rec, int nsfd, struct vmnet_err *err)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *vm = NULL;
	struct vmnet_link_info peer, tap;
	int r;

	if (nsfd < 0)
		return mismatch(err, "the VM network namespace %s is gone", rec->netns);
	r = vmnet_nl_open(nsfd, &vm, err);
	if (r < 0)
		return r;
	if (vmnet_link_get(vm, rec->ifname, &peer, NULL) < 0)
		return mismatch(err, "%s is missing in %s", rec->ifname, rec->netns);
	if (memcmp(peer.mac, rec->guest_mac, 6)) {
		char m[18];

		return mismatch(err, "%s does not carry the guest MAC %s", rec->ifname,
				vmnet_mac_fmt(rec->guest_mac, m));
	}
	r = vmnet_addr_has(vm, peer.ifindex, &rec->guest, err);
	if (r < 0)
		return r;
	if (r == 0)
		return mismatch(err, "%s lacks the guest address in %s", rec->ifname, rec->netns);
	r = check_vm_routes(vm, &peer, rec, err);
	if (r < 0)
		return r;
	if (vmnet_link_get(vm, rec->tap_name, &tap, NULL) < 0)
		return mismatch(err, "tap %s is missing in %s", rec->tap_name, rec->netns);
	if (strcmp(tap.kind, "tun"))
		return mismatch(err, "%s in %s is not a tap", rec->tap_name, rec->netns);
	r = vmnet_tc_redirect_check(vm, peer.ifindex, tap.ifindex, err);
	if (r < 0)
		return vmnet_err_wrap(err, "tc redirect %s -> %s", rec->ifname, rec->tap_name);
	r = vmnet_tc_redirect_check(vm, tap.ifindex, peer.ifindex, err);
	if (r < 0)
		return vmnet_err_wrap(err, "tc redirect %s -> %s", rec->tap_name, rec->ifname);
	return 0;
}

int vmnet_attach_check(const struct vmnet_record *rec, int nsfd, struct vmnet_err *err)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *host = NULL;
	_cleanup_(vmnet_nft_closep) struct vmnet_nft *nft = NULL;
	struct vmnet_nft_port ports[VMNET_MAX_PORTS];
	struct vmnet_prefix gw = { .addr = rec->gateway, .len = rec->guest.len };
	struct vmnet_link_info br, hif;
	struct vmnet_nft_att att;
	char alias[256];
	bool iso;
	int r;

	if (rec->pending)
		return mismatch(err, "the ADD of %s/%s did not complete", rec->cid, rec->ifname);
	r = vmnet_nl_open(-1, &host, err);
	if (r < 0)
		return r;
	if (rec->mode == VMNET_MODE_SHARED) {
		if (vmnet_link_get(host, rec->bridge, &br, NULL) < 0)
			return mismatch(err, "bridge %s is missing", rec->bridge);
		if (!br.up)
			return mismatch(err, "bridge %s is down", rec->bridge);
		r = vmnet_addr_has(host, br.ifindex, &gw, err);
		if (r < 0)
			return r;
		if (r == 0) {
			char a[VMNET_PREFIXSTRLEN];

			return mismatch(err, "bridge %s lacks the gateway address %s", rec->bridge,
					vmnet_prefix_fmt(&gw, a));
		}
	}
	if (vmnet_link_get(host, rec->host_if, &hif, NULL) < 0)
		return mismatch(err, "host device %s is missing", rec->host_if);
	alias_of(rec, alias, sizeof(alias));
	if (strcmp(hif.alias, alias))
		return mismatch(err, "host device %s belongs to \"%s\"", rec->host_if, hif.alias);
	if (!hif.up)
		return mismatch(err, "host device %s is down", rec->host_if);
	if (rec->mode == VMNET_MODE_ISOLATED) {
		if (hif.master)
			return mismatch(err, "host device %s of an isolated VM is a bridge port",
					rec->host_if);
		if (vmnet_record_group_id(rec) && hif.group != vmnet_record_group_id(rec))
			return mismatch(err, "host device %s is in device group %u, expected %u",
					rec->host_if, hif.group, vmnet_record_group_id(rec));
		r = vmnet_addr_has(host, hif.ifindex, &gw, err);
		if (r < 0)
			return r;
		if (r == 0) {
			char a[VMNET_PREFIXSTRLEN];

			return mismatch(err, "host device %s lacks the gateway address %s",
					rec->host_if, vmnet_prefix_fmt(&gw, a));
		}
		goto vm_side;
	}
	if (hif.master != br.ifindex)
		return mismatch(err, "host device %s is not a port of bridge %s", rec->host_if,
				rec->bridge);
	r = vmnet_link_get_port_isolated(host, hif.ifindex, &iso, err);
	if (r < 0)
		return r;
	if (iso != rec->port_isolation)
		return mismatch(err, "bridge port %s: isolation is %s", rec->host_if,
				iso ? "on, expected off" : "off, expected on");
vm_side:
	if (rec->wiring == VMNET_TAP_NETNS) {
		r = check_vm(rec, nsfd, err);
		if (r < 0)
			return r;
	} else if (strcmp(hif.kind, "tun")) {
		return mismatch(err, "host device %s is a %s, not a tap", rec->host_if, hif.kind);
	}

	vmnet_attach_nft_att(rec, ports, &att);
	r = vmnet_nft_open(-1, &nft, err);
	if (r < 0)
		return r;
	return vmnet_nft_check(nft, &att, err);
}
