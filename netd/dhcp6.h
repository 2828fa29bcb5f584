/* SPDX-License-Identifier: MIT */
/*
 * DHCPv6 for guests (RFC 8415, stateful IA_NA): messages as bytes, no I/O,
 * fuzzed. The server hands out exactly the one address of its link
 * description (link6.h) and answers only that guest; guest6.c owns the
 * sockets.
 */
#ifndef NETD_DHCP6_H
#define NETD_DHCP6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link6.h"

#define DHCP6_CLIENT_PORT 546
#define DHCP6_SERVER_PORT 547

enum netd_dhcp6_type {
	DHCP6_SOLICIT = 1,
	DHCP6_ADVERTISE = 2,
	DHCP6_REQUEST = 3,
	DHCP6_CONFIRM = 4,
	DHCP6_RENEW = 5,
	DHCP6_REBIND = 6,
	DHCP6_REPLY = 7,
	DHCP6_RELEASE = 8,
	DHCP6_DECLINE = 9,
	DHCP6_INFO_REQUEST = 11,
};

enum netd_dhcp6_status {
	DHCP6_SUCCESS = 0,
	DHCP6_UNSPEC_FAIL = 1,
	DHCP6_NO_ADDRS_AVAIL = 2,
	DHCP6_NO_BINDING = 3,
	DHCP6_NOT_ON_LINK = 4,
};

/* RFC 8415 11.1: a DUID is at most 128 octets after its 2-octet type. */
#define NETD_DHCP6_DUID_MAX 130
#define NETD_DHCP6_MAX_IA 4
#define NETD_DHCP6_MAX_IA_ADDRS 4
/* Replies stay within the IPv6 minimum MTU: 1280 - 40 - 8. */
#define NETD_DHCP6_REPLY_MAX 1232
/* No status in a message or an IA. */
#define NETD_DHCP6_NO_STATUS 0xffff

struct netd_dhcp6_ia {
	uint32_t iaid, t1, t2;
	struct in6_addr addrs[NETD_DHCP6_MAX_IA_ADDRS];
	uint32_t preferred[NETD_DHCP6_MAX_IA_ADDRS], valid[NETD_DHCP6_MAX_IA_ADDRS];
	unsigned n_addrs;
	uint16_t status; /* NETD_DHCP6_NO_STATUS if none */
};

/* What the parser keeps of a DHCPv6 message (either direction). IAs past
 * NETD_DHCP6_MAX_IA and addresses past NETD_DHCP6_MAX_IA_ADDRS are checked
 * but not kept. */
struct netd_dhcp6_msg {
	uint8_t type;
	uint32_t xid; /* 24 bits */
	uint8_t clientid[NETD_DHCP6_DUID_MAX], serverid[NETD_DHCP6_DUID_MAX];
	size_t clientid_len, serverid_len; /* 0: absent */
	struct netd_dhcp6_ia ia_na[NETD_DHCP6_MAX_IA];
	unsigned n_ia_na;
	bool has_ia_ta, has_ia_pd, rapid_commit;
	uint16_t status; /* top level; NETD_DHCP6_NO_STATUS if none */
	int preference;	 /* -1 if absent */
	struct in6_addr dns[NETD_LINK6_MAX_DNS];
	unsigned n_dns;
	char search[NETD_DHCP_MAX_SEARCH][NETD_DHCP_NAME_SIZE];
	unsigned n_search;
};

/* Where the DHCPv6 message of an IPv6/UDP packet lies, and who sent it. */
struct netd_dhcp6_ip {
	struct in6_addr src, dst;
	uint16_t sport, dport;
	size_t off, len; /* the UDP payload within the packet */
};

/* Validate an IPv6 packet (from its first header byte, as an AF_PACKET
 * SOCK_DGRAM socket gives it) carrying UDP directly (no extension
 * headers): lengths within @len. -EBADMSG when malformed. */
int netd_dhcp6_parse_ip(const uint8_t *pkt, size_t len, struct netd_dhcp6_ip *ret);

/* Parse a DHCPv6 message (client or server; not relay messages): every
 * option and every option inside IA_NA, IA_TA, IA_PD and IAADDR within its
 * parent, fixed-size options of their size, Client and Server Identifier
 * of 3..130 octets and at most once. *ret is written only on success.
 * -EBADMSG when malformed. */
int netd_dhcp6_parse(const uint8_t *buf, size_t len, struct netd_dhcp6_msg *ret);

/* The answer RFC 8415 18.3 wants from the server of link @l to @req, built
 * into @buf: Advertise for Solicit (Reply with Rapid Commit when asked),
 * Reply for Request, Renew, Rebind, Confirm, Release, Decline and
 * Information-request. Returns its length, 0 when the message gets no
 * answer (not for us, a Server Identifier not ours, a Confirm without
 * addresses, a server message), -EINVAL if @l is not valid, -ENOBUFS if
 * @size is below NETD_DHCP6_REPLY_MAX. */
int netd_dhcp6_answer(const struct netd_dhcp6_msg *req, const struct netd_link6 *l, uint8_t *buf,
		      size_t size);

/* The server's DUID for @l: DUID-LL (type 3, Ethernet) of the link MAC, the
 * same for as long as the link keeps its MAC. Writes 10 bytes. */
void netd_dhcp6_duid(const struct netd_link6 *l, uint8_t ret[10]);

const char *netd_dhcp6_type_name(int type);

#endif
