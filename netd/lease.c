/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lease.h"
#include "vmnet/inet.h"
#include "vmnet/record.h"

static bool loopback(uint32_t a)
{
	return (a >> 24) == 127 || a == 0;
}

unsigned netd_resolv_parse(const char *text, uint32_t *ret, unsigned max)
{
	unsigned n = 0;

	while (text && *text && n < max) {
		const char *end = strchr(text, '\n');
		size_t len = end ? (size_t)(end - text) : strlen(text);
		char ln[256], word[64];
		uint32_t a;

		if (len < sizeof(ln)) {
			memcpy(ln, text, len);
			ln[len] = '\0';
			if (sscanf(ln, " nameserver %63s", word) == 1 &&
			    vmnet_ip4_parse(word, &a) == 0 && !loopback(a))
				ret[n++] = a;
		}
		text = end ? end + 1 : text + len;
	}
	return n;
}

unsigned netd_resolv_read(const char *path, uint32_t *ret, unsigned max)
{
	char buf[8192];
	size_t n;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return netd_resolv_parse(buf, ret, max);
}

static bool host_name(const char *s)
{
	uint8_t wire[255];

	return netd_dhcp_name_encode(s, wire, sizeof(wire)) > 0;
}

/* A name cut short is another name: what does not fit is left out whole. */
static void lease_names(const struct vmnet_record *rec, struct netd_lease *l)
{
	if (strlen(rec->domain) < sizeof(l->domain) && host_name(rec->domain))
		strcpy(l->domain, rec->domain);
	for (unsigned i = 0; i < rec->n_search && i < ARRAY_SIZE(rec->search) &&
			     l->n_search < ARRAY_SIZE(l->search); i++) {
		if (strlen(rec->search[i]) >= sizeof(l->search[0]) || !host_name(rec->search[i]))
			continue;
		strcpy(l->search[l->n_search], rec->search[i]);
		if (netd_dhcp_names_size(l->domain, l->search, l->n_search + 1) >
		    NETD_DHCP_NAMES_ROOM) {
			l->search[l->n_search][0] = '\0';
			break;
		}
		l->n_search++;
	}
}

void netd_lease_from_record(const struct vmnet_record *rec, const uint32_t *host_dns,
			    unsigned n_host_dns, struct netd_lease *ret)
{
	struct netd_lease l;

	memset(&l, 0, sizeof(l));
	memcpy(l.mac, rec->guest_mac, 6);
	l.ip = rec->guest.addr;
	l.prefix_len = rec->guest.len;
	l.router = rec->gateway;
	l.mtu = rec->mtu;
	_Static_assert(NETD_LEASE_MAX_DNS >= ARRAY_SIZE(rec->nameservers),
		       "a lease holds every resolver of a record");
	for (unsigned i = 0; i < rec->n_nameservers && i < ARRAY_SIZE(rec->nameservers); i++) {
		uint32_t a;

		/* Never hand a loopback resolver to a guest (doc/how-it-works.md). */
		if (vmnet_ip4_parse(rec->nameservers[i], &a) == 0 && !loopback(a))
			l.dns[l.n_dns++] = a;
	}
	if (!l.n_dns)
		for (unsigned i = 0; i < n_host_dns && l.n_dns < NETD_LEASE_MAX_DNS; i++)
			if (!loopback(host_dns[i]))
				l.dns[l.n_dns++] = host_dns[i];
	lease_names(rec, &l);
	snprintf(l.hostname, sizeof(l.hostname), "%.12s", rec->cid);
	snprintf(l.ifname, sizeof(l.ifname), "%s", rec->ifname);
	l.lease_secs = NETD_LEASE_SECS;
	*ret = l;
}

int netd_lease_kernel_arg(const struct netd_lease *l, char *buf, size_t size)
{
	char ip[VMNET_ADDRSTRLEN], gw[VMNET_ADDRSTRLEN] = "", mask[VMNET_ADDRSTRLEN];
	char d0[VMNET_ADDRSTRLEN] = "", d1[VMNET_ADDRSTRLEN] = "";
	int n;

	if (!l->ip)
		return -EADDRNOTAVAIL;
	vmnet_ip4_fmt(l->ip, ip);
	if (l->router)
		vmnet_ip4_fmt(l->router, gw);
	vmnet_ip4_fmt(vmnet_mask(l->prefix_len), mask);
	if (l->n_dns > 0)
		vmnet_ip4_fmt(l->dns[0], d0);
	if (l->n_dns > 1)
		vmnet_ip4_fmt(l->dns[1], d1);
	n = snprintf(buf, size, "ip=%s::%s:%s:%s:%s:off:%s:%s", ip, gw, mask, l->hostname,
		     l->ifname, d0, d1);
	return n < 0 || (size_t)n >= size ? -ENOBUFS : 0;
}

json_t *netd_lease_to_json(const struct netd_lease *l)
{
	char ip[VMNET_ADDRSTRLEN] = "", gw[VMNET_ADDRSTRLEN] = "", mask[VMNET_ADDRSTRLEN] = "";
	char karg[512], mac[18];
	json_t *dns = json_array(), *search = json_array(), *v;

	if (!dns || !search) {
		json_decref(dns);
		json_decref(search);
		return NULL;
	}
	for (unsigned i = 0; i < l->n_search; i++)
		json_array_append_new(search, json_string(l->search[i]));
	for (unsigned i = 0; i < l->n_dns; i++) {
		char a[VMNET_ADDRSTRLEN];

		json_array_append_new(dns, json_string(vmnet_ip4_fmt(l->dns[i], a)));
	}
	if (l->router)
		vmnet_ip4_fmt(l->router, gw);
	/* An IPv6-only guest: "" for its IPv4 address, netmask, ip= */
	if (l->ip) {
		vmnet_ip4_fmt(l->ip, ip);
		vmnet_ip4_fmt(vmnet_mask(l->prefix_len), mask);
	}
	if (netd_lease_kernel_arg(l, karg, sizeof(karg)) < 0)
		karg[0] = '\0';
	v = json_pack("{s:s,s:s,s:i,s:s,s:s,s:o,s:s,s:i,s:s,s:s,s:i,s:s,s:o}", "mac",
		      vmnet_mac_fmt(l->mac, mac), "ip", ip, "prefix_len", (int)l->prefix_len,
		      "gateway", gw, "netmask", mask, "dns", dns, "domain",
		      l->domain, "mtu", (int)l->mtu, "hostname", l->hostname, "ifname", l->ifname,
		      "lease_secs", (int)l->lease_secs, "kernel_arg", karg, "search", search);
	return v;
}
