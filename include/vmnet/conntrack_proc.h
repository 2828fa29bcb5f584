/* SPDX-License-Identifier: MIT */
/*
 * The text of /proc/net/nf_conntrack (kernel CONFIG_NF_CONNTRACK_PROCFS), read
 * as outside input: one entry a line, as net/netfilter/nf_conntrack_standalone.c
 * prints it,
 *
 *   ipv6     10 tcp      6 431999 ESTABLISHED src=… dst=… sport=… dport=…
 *     [UNREPLIED] src=… dst=… sport=… dport=… [ASSURED] mark=0 zone=3 use=2
 *
 * (one line). The parser keeps the two tuples and the zone and skips what it
 * does not need (timeout, state, flags, counters, mark, secctx, labels). A
 * line it cannot turn into two complete tuples is an error, never skipped:
 * the caller cannot know whether it wanted that entry.
 */
#ifndef VMNET_CONNTRACK_PROC_H
#define VMNET_CONNTRACK_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line taken: the kernel's longest (two IPv6 tuples, counters,
 * labels, a long secctx) stays well below. */
#define VMNET_CT_LINE_MAX 1024

/* Which fields the protocol's tuple has, as the kernel printed them. */
enum vmnet_ct_l4 {
	VMNET_CT_L4_NONE,  /* "unknown": addresses and protocol number only */
	VMNET_CT_L4_PORTS, /* tcp, udp, udplite, sctp, dccp: sport/dport; gre: keys */
	VMNET_CT_L4_ICMP,  /* icmp, icmpv6: type/code/id */
};

struct vmnet_ct_tuple {
	uint8_t src[16], dst[16]; /* network order; IPv4 uses 4 bytes */
	uint16_t sport, dport;	  /* network order; GRE keys sit here too */
	uint16_t icmp_id;	  /* network order */
	uint8_t icmp_type, icmp_code;
};

struct vmnet_ct_line {
	uint8_t af; /* AF_INET or AF_INET6 */
	uint8_t proto;
	enum vmnet_ct_l4 l4;
	bool has_zone;
	uint16_t zone; /* host order: "zone=" or "zone-orig=" */
	struct vmnet_ct_tuple orig, reply;
};

/* One line of @len bytes (no '\n', need not be NUL-terminated). 0 with
 * *ret filled, or -EINVAL. */
int vmnet_ctproc_parse_line(const char *line, size_t len, struct vmnet_ct_line *ret);

/* Called for each entry; a negative return stops the walk and is returned. */
typedef int (*vmnet_ctproc_cb)(const struct vmnet_ct_line *l, void *data);

/* The complete lines at the start of @buf (@len bytes): *ret_used is set to
 * the bytes they take (the tail after the last '\n' is left). 0, -EINVAL for
 * a bad line or a tail longer than VMNET_CT_LINE_MAX, or @cb's -errno. */
int vmnet_ctproc_parse(const char *buf, size_t len, size_t *ret_used, vmnet_ctproc_cb cb,
		       void *data);

/* The conntrack table's text of the netns @nsfd (borrowed; -1: the calling
 * thread's), which the thread enters only to open it: an fd the caller
 * owns, or -errno (-ENOENT without CONFIG_NF_CONNTRACK_PROCFS). */
int vmnet_ctproc_open(int nsfd);

/* Read @fd (borrowed) to its end and parse it: 0, -EINVAL (a bad line, or
 * a last line without '\n'), -ENOMEM, read's -errno, or @cb's. */
int vmnet_ctproc_read(int fd, vmnet_ctproc_cb cb, void *data);

/* Room vmnet_ctproc_orig needs: two IPv6 addresses and the protocol's
 * fields, each a netlink attribute, in two nests. */
#define VMNET_CT_ORIG_MAX 128

/* The payload of a CTA_TUPLE_ORIG attribute (ctnetlink's nests CTA_TUPLE_IP
 * and CTA_TUPLE_PROTO) naming @l's entry, written to @buf: its length, or 0
 * if @size is too small. */
size_t vmnet_ctproc_orig(const struct vmnet_ct_line *l, void *buf, size_t size);

#endif
