/* SPDX-License-Identifier: MIT */
/*
 * What a guest is told about its address, from its record: the same view
 * feeds `netd lease` (JSON and the kernel's ip= argument) and the DHCP
 * answers, so the three ways a guest learns its address agree
 * (doc/how-it-works.md, "What the guest learns").
 */
#ifndef NETD_LEASE_H
#define NETD_LEASE_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "dhcp.h"

struct vmnet_record;

/* struct netd_lease is declared in dhcp.h, whose replies carry it. */

/* As many resolvers as a record holds. */
#define NETD_LEASE_MAX_DNS NETD_DHCP_MAX_DNS
#define NETD_LEASE_SECS 86400

/* Non-loopback IPv4 nameservers of a resolv.conf text, at most @max, in
 * order. Returns how many. Pure. */
unsigned netd_resolv_parse(const char *text, uint32_t *ret, unsigned max);
/* The same from a file; 0 if it cannot be read. */
unsigned netd_resolv_read(const char *path, uint32_t *ret, unsigned max);

/* Fill @ret from @rec: resolvers from the record (loopback and IPv6
 * skipped), else @host_dns. Domain and search from the record, each name
 * only if it is a valid host name; the domain only if it fits its 127
 * bytes; search names in order while domain and search fit
 * NETD_DHCP_NAMES_ROOM (the first that does not ends the list), so a DHCP
 * reply always carries all of it. Hostname: the first 12 characters of the
 * container ID. Lease time: NETD_LEASE_SECS. */
void netd_lease_from_record(const struct vmnet_record *rec, const uint32_t *host_dns,
			    unsigned n_host_dns, struct netd_lease *ret);

/* "ip=<ip>::<gw>:<mask>:<host>:<if>:off:<dns0>:<dns1>" into @buf;
 * -ENOBUFS if it does not fit, -EADDRNOTAVAIL for a lease without an IPv4
 * address (an IPv6-only guest). */
int netd_lease_kernel_arg(const struct netd_lease *l, char *buf, size_t size);

/* A new JSON object describing @l (with "kernel_arg"); NULL on OOM. */
json_t *netd_lease_to_json(const struct netd_lease *l);

#endif
