/* SPDX-License-Identifier: MIT */
/*
 * Removing stale conntrack entries over ctnetlink (no conntrack binary, no
 * libnetfilter_conntrack). A UDP client that kept sending to a host port
 * keeps its old entry, and with it the old DNAT target (or none), for as long
 * as it keeps sending: publishing the port anew changes nothing for it until
 * the entry is gone. Both families: the _6 calls take IPv6 addresses.
 *
 * Both calls work in the calling thread's netns, or in @nsfd (>= 0, borrowed)
 * which the thread enters only to open the socket. They return >= 0 on
 * success: 0 when the kernel deleted the entries itself (one filtered
 * flush, kernels >= 6.8 or so: it reports no count), else the number of
 * entries deleted one by one after reading them: from /proc/net/nf_conntrack
 * for IPv6 addresses (the kernel's filter compares them wrongly), else, or
 * without that file, from a dump (older kernels, protocols other than TCP
 * and UDP by port, or VMNET_CONNTRACK_DUMP=1 in the environment).
 * Entries that vanish on their own meanwhile are not errors and not counted.
 * A failed delete does not stop the others; the first failure is reported
 * at the end.
 */
#ifndef VMNET_CONNTRACK_H
#define VMNET_CONNTRACK_H

#include <netinet/in.h>
#include <stdint.h>

#include "err.h"

/* Delete the entries whose ORIGINAL direction goes to @proto (IPPROTO_TCP,
 * _UDP, _SCTP...) port @dport at @host_ip (host order; 0: any destination
 * address): flows a client started towards a host port that is published
 * now (or no longer). -EINVAL (CNI_ERR_INVALID_CONFIG) if @proto or @dport
 * is 0. */
int vmnet_conntrack_flush_port(int nsfd, uint8_t proto, uint16_t dport, uint32_t host_ip,
			       struct vmnet_err *err);

/* Delete the entries whose REPLY direction comes from @guest_ip (host order):
 * flows DNAT'd (or routed) to a VM that is going away. -EINVAL
 * (CNI_ERR_INVALID_CONFIG) for 0. */
int vmnet_conntrack_flush_guest(int nsfd, uint32_t guest_ip, struct vmnet_err *err);

/* IPv6: as vmnet_conntrack_flush_port (@host_ip NULL or ::: any) and
 * vmnet_conntrack_flush_guest (-EINVAL for ::). */
int vmnet_conntrack_flush_port6(int nsfd, uint8_t proto, uint16_t dport,
				const struct in6_addr *host_ip, struct vmnet_err *err);
int vmnet_conntrack_flush_guest6(int nsfd, const struct in6_addr *guest_ip, struct vmnet_err *err);

#endif
