/* SPDX-License-Identifier: MIT */
/*
 * What `netd status`, `netd list` and `netd lease` show of IPv6: the
 * record's address and gateway, whether netd serves the guest now, what
 * the RAs and DHCPv6 tell it, and the service's counters.
 */
#ifndef NETD_VIEW6_H
#define NETD_VIEW6_H

#include <jansson.h>

struct netd_daemon;
struct vmnet_record;

/* "guest6" ("" for none), "gateway6", "ipv6_served" into the object @o of
 * one attachment (list). */
void netd_view6_entry(const struct netd_daemon *d, const struct vmnet_record *rec, json_t *o);
/* The same, and "ip6", "prefix_len6", "dns6", "search6" (exactly what the
 * guest is told), into a lease object @o. */
void netd_view6_lease(const struct netd_daemon *d, const struct vmnet_record *rec, json_t *o);
/* The "ipv6" object of status: enabled, guests served, the counters. A new
 * reference; NULL on OOM. */
json_t *netd_view6_status(const struct netd_daemon *d);

#endif
