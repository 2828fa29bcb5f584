/* SPDX-License-Identifier: MIT */
/*
 * sysctls through /proc/sys. The net/ subtree shows the netns of the
 * thread that opens the file, so these act on the calling thread's netns.
 *
 * Keys are "net/ipv4/ip_forward" (authoritative: interface names may hold
 * dots) or the dotted "net.ipv4.conf.br0.route_localnet". In the dotted
 * form, keys under net.ipv{4,6}.{conf,neigh} split as
 * net.ipvN.conf.<interface>.<name>, the interface keeping its dots.
 */
#ifndef VMNET_SYSCTL_H
#define VMNET_SYSCTL_H

#include <stddef.h>

#include "err.h"

/* Write @value unless the file already holds it (saves a write that can be
 * costly, e.g. forwarding toggles reset per-device settings). */
int vmnet_sysctl_write(const char *key, const char *value, struct vmnet_err *err);

/* Read into @buf of @size, trailing newline stripped. -ENOBUFS if it does
 * not fit. */
int vmnet_sysctl_read(const char *key, char *buf, size_t size, struct vmnet_err *err);

/* IPv6 forwarding on in the calling thread's netns (all/forwarding=1),
 * but first every interface there (and "default") with accept_ra=1 gets
 * accept_ra=2, so a host configured by router advertisements keeps its
 * default route. Nothing is done when forwarding is on already. */
int vmnet_sysctl_forward6(struct vmnet_err *err);

#endif
