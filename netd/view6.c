/* SPDX-License-Identifier: MIT */
/* IPv6 in netd's answers (view6.h). */
#include <string.h>

#include "daemon.h"
#include "feed6.h"
#include "guest6.h"
#include "view6.h"
#include "vmnet/inet.h"
#include "vmnet/record.h"

void netd_view6_entry(const struct netd_daemon *d, const struct vmnet_record *rec, json_t *o)
{
	char p[VMNET_PREFIXSTRLEN] = "", gw[VMNET_ADDRSTRLEN] = "";

	if (!o)
		return;
	if (vmnet_record_has6(rec))
		vmnet_prefix6_fmt(&rec->guest6, p);
	if (!vmnet_ip6_is_zero(&rec->gateway6))
		vmnet_ip6_fmt(&rec->gateway6, gw);
	json_object_set_new(o, "guest6", json_string(p));
	json_object_set_new(o, "gateway6", json_string(gw));
	json_object_set_new(o, "ipv6_served", json_boolean(netd_feed6_served(d->feed6, rec, NULL)));
}

void netd_view6_lease(const struct netd_daemon *d, const struct vmnet_record *rec, json_t *o)
{
	/* Any valid link: only what the record makes of it is shown. */
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 1};
	char a[VMNET_ADDRSTRLEN] = "";
	json_t *dns, *search;
	struct netd_link6 l;

	if (!o)
		return;
	netd_view6_entry(d, rec, o);
	if (netd_feed6_link(rec, 1, mac, &l) < 0) {
		memset(&l, 0, sizeof(l));
		l.addr = rec->guest6.addr;
		l.prefix_len = rec->guest6.len;
	}
	if (vmnet_record_has6(rec))
		vmnet_ip6_fmt(&l.addr, a);
	dns = json_array();
	for (unsigned i = 0; dns && i < l.n_dns; i++) {
		char s[VMNET_ADDRSTRLEN];

		json_array_append_new(dns, json_string(vmnet_ip6_fmt(&l.dns[i], s)));
	}
	search = json_array();
	for (unsigned i = 0; search && i < l.n_search; i++)
		json_array_append_new(search, json_string(l.search[i]));
	json_object_set_new(o, "ip6", json_string(a));
	json_object_set_new(o, "prefix_len6", json_integer(l.prefix_len));
	json_object_set_new(o, "dns6", dns);
	json_object_set_new(o, "search6", search);
}

json_t *netd_view6_status(const struct netd_daemon *d)
{
	struct netd_guest6_stats s;

	if (!d->guest6)
		return json_pack("{s:b}", "enabled", 0);
	netd_guest6_stats(d->guest6, &s);
	return json_pack("{s:b,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "enabled", 1, "guests",
			 (int)netd_feed6_count(d->feed6), "rs_rx", (json_int_t)s.rs_rx, "ra_tx",
			 (json_int_t)s.ra_tx, "dhcp6_rx", (json_int_t)s.dhcp6_rx, "dhcp6_tx",
			 (json_int_t)s.dhcp6_tx, "ignored_unknown", (json_int_t)s.ignored_unknown,
			 "ignored_malformed", (json_int_t)s.ignored_malformed, "send_errors",
			 (json_int_t)s.send_errors);
}
