/* SPDX-License-Identifier: MIT */
/*
 * DHCPv4 for guests: one AF_PACKET socket in the current netns answers
 * DISCOVER, REQUEST, INFORM (and takes RELEASE/DECLINE) on every interface,
 * but only for MACs the caller's lookup knows on the interface the request
 * arrived on. The daemon adds netd_dhcp_fd() to its epoll set (EPOLLIN) and
 * calls netd_dhcp_handle() when it is readable.
 *
 * dhcp_parse.c and dhcp_build.c are the pure half (no I/O, fuzzed); dhcp.c
 * owns the socket.
 */
#ifndef NETD_DHCP_H
#define NETD_DHCP_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmnet/err.h"

#define NETD_DHCP_MAX_DNS 8
#define NETD_DHCP_MAX_SEARCH 8
/* A domain name as text: 253 characters at most (RFC 1035's 255 octets on
 * the wire), and the NUL. */
#define NETD_DHCP_NAME_SIZE 254
/* Bytes left for options 15 (domain) and 119 (search), code and length
 * bytes included, when everything else in a reply is as large as it can be:
 * 576 - 20 (IP) - 8 (UDP) - 240 (BOOTP, cookie) - 1 (END) = 307 for
 * options, less 49 for type, server id, lease, T1, T2, mask, router,
 * broadcast and MTU, 34 for 8 resolvers and 65 for a 63-byte hostname. A
 * lease whose domain and search stay within it always gets its whole reply
 * within 576 bytes; see netd_dhcp_names_size(). */
#define NETD_DHCP_NAMES_ROOM 159

/* What a guest is told about its address: one struct serves the DHCP
 * replies and `netd lease` (lease.h fills it from a record). */
struct netd_lease {
	uint8_t mac[6];	    /* the only client MAC that gets this lease */
	uint32_t ip;	    /* host byte order, like every address here */
	uint8_t prefix_len; /* subnet mask length, 1..32 */
	uint32_t router;    /* gateway, also the server identifier (option 54) */
	uint32_t dns[NETD_DHCP_MAX_DNS]; /* 127/8 and 0.0.0.0 entries are skipped */
	unsigned n_dns;
	char domain[128];    /* option 15, "" for none */
	unsigned mtu;	     /* option 26, 0 for none (68..65535 otherwise) */
	uint32_t lease_secs; /* option 51; 0 means NETD_DHCP_DEFAULT_LEASE */
	char hostname[64];   /* option 12, "" for none */
	/* option 119 (RFC 3397), in order; names that are not valid host
	 * names are left out */
	char search[NETD_DHCP_MAX_SEARCH][NETD_DHCP_NAME_SIZE];
	unsigned n_search;
	char ifname[IFNAMSIZ]; /* the guest NIC's name (CNI_IFNAME); not sent */
};

#define NETD_DHCP_DEFAULT_LEASE 86400u

/* Called for every well-formed request: fill *ret for (mac, ifindex it
 * arrived on) and return 0, or -ENOENT if this MAC has no lease on that
 * interface (the packet is then ignored). Any other negative value is
 * treated like -ENOENT. */
typedef int (*netd_dhcp_lookup_fn)(void *ctx, const uint8_t mac[6], int ifindex,
				   struct netd_lease *ret);

struct netd_dhcp;

/* Open the packet socket in the current netns (needs CAP_NET_RAW). @fn and
 * @ctx must outlive the returned object. */
int netd_dhcp_open(netd_dhcp_lookup_fn fn, void *ctx, struct netd_dhcp **ret,
		   struct vmnet_err *err);
/* The socket, for epoll (EPOLLIN, level-triggered). Owned by @d. */
int netd_dhcp_fd(const struct netd_dhcp *d);
/* Drain pending packets and answer them. Returns the number of replies sent
 * (>= 0); bad packets, unknown MACs and send failures are counted and logged
 * at debug level, never returned. */
int netd_dhcp_handle(struct netd_dhcp *d);
/* Close the socket and free @d; NULL-safe; returns NULL. */
struct netd_dhcp *netd_dhcp_close(struct netd_dhcp *d);

struct netd_dhcp_stats {
	unsigned long rx, offers, acks, naks, ignored_unknown, ignored_malformed;
};
void netd_dhcp_stats(const struct netd_dhcp *d, struct netd_dhcp_stats *ret);

/* ---- dhcp_parse.c, dhcp_build.c: packets, no I/O -------------------- */

enum {
	DHCP_BOOTREQUEST = 1,
	DHCP_BOOTREPLY = 2,
};

enum netd_dhcp_type {
	DHCPDISCOVER = 1,
	DHCPOFFER = 2,
	DHCPREQUEST = 3,
	DHCPDECLINE = 4,
	DHCPACK = 5,
	DHCPNAK = 6,
	DHCPRELEASE = 7,
	DHCPINFORM = 8,
};

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_FLAG_BROADCAST 0x8000
/* RFC 2131: every client accepts this much; our replies never exceed it. */
#define DHCP_MIN_MAX_SIZE 576

/* What the parser keeps of a BOOTP/DHCP message (either direction). */
struct netd_dhcp_msg {
	uint8_t op, type; /* type: option 53, 0 for plain BOOTP */
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[6];
	uint8_t seen[32];		  /* bitmap of option codes present */
	uint32_t requested_ip;		  /* 50 */
	uint32_t server_id;		  /* 54 */
	uint16_t max_size;		  /* 57 */
	uint32_t lease_secs, t1, t2;	  /* 51, 58, 59 */
	uint32_t mask, router, broadcast; /* 1, 3 (first), 28 */
	uint32_t dns[8];		  /* 6 */
	unsigned n_dns;
	uint16_t mtu;	    /* 26 */
	char domain[256];   /* 15 */
	char hostname[256]; /* 12 */
	uint8_t prl[64];    /* 55, parameter request list */
	unsigned n_prl;
	/* 119: the names, decoded from every copy of the option joined
	 * (RFC 3396), compression pointers followed (RFC 3397) */
	char search[NETD_DHCP_MAX_SEARCH][NETD_DHCP_NAME_SIZE];
	unsigned n_search;
	uint8_t search_wire[512];
	size_t search_wire_len;
};

static inline bool netd_dhcp_has(const struct netd_dhcp_msg *m, uint8_t code)
{
	return m->seen[code / 8] & (1u << (code % 8));
}

/* Where the DHCP payload of an IPv4/UDP datagram lies, and who sent it. */
struct netd_dhcp_ip {
	uint32_t src, dst;
	uint16_t sport, dport;
	size_t off, len; /* the UDP payload within the packet */
};

/* Validate an IPv4 packet (from its first header byte) carrying UDP:
 * header checksum, lengths, no fragments. -EBADMSG when malformed. */
int netd_dhcp_parse_ip(const uint8_t *pkt, size_t len, struct netd_dhcp_ip *ret);

/* Parse a BOOTP/DHCP message (the UDP payload): htype 1, hlen 6, the magic
 * cookie, every option within bounds; fixed-size options of the wrong size
 * or repeated are malformed. *ret is written only on success. -EBADMSG when
 * malformed. */
int netd_dhcp_parse_msg(const uint8_t *buf, size_t len, struct netd_dhcp_msg *ret);

/* netd_dhcp_parse_msg() plus what a server needs: a BOOTREQUEST carrying a
 * DHCP client message type (DISCOVER, REQUEST, DECLINE, RELEASE, INFORM). */
int netd_dhcp_parse_request(const uint8_t *buf, size_t len, struct netd_dhcp_msg *ret);

/* The reply RFC 2131 wants for @req given the client's @lease: DHCPOFFER,
 * DHCPACK or DHCPNAK, or 0 for none (RELEASE, DECLINE, a REQUEST meant for
 * another server, a REQUEST naming no address). */
int netd_dhcp_decide(const struct netd_dhcp_msg *req, const struct netd_lease *lease);

/* True when @lease can be handed out (address, prefix, router set). */
bool netd_dhcp_lease_valid(const struct netd_lease *lease);

/* Build the IPv4/UDP packet (67 -> 68, source = lease->router) of a reply of
 * @type (DHCPOFFER, DHCPACK, DHCPNAK) to @req into @buf. Returns its length,
 * -EINVAL for a bad type or lease, -ENOBUFS if @size is too small (a reply
 * needs at most NETD_DHCP_REPLY_MAX bytes) or if the options do not fit 576
 * bytes (they always do when domain and search stay within
 * NETD_DHCP_NAMES_ROOM). */
#define NETD_DHCP_REPLY_MAX DHCP_MIN_MAX_SIZE
int netd_dhcp_build_reply(const struct netd_dhcp_msg *req, const struct netd_lease *lease,
			  int type, uint8_t *buf, size_t size);

const char *netd_dhcp_type_name(int type);

/* @name ("example.com", a final dot allowed) in DNS wire form, uncompressed
 * (RFC 1035 3.1) into @buf. Returns its length; -EINVAL unless it is a host
 * name (labels of 1..63 letters, digits, '-' or '_'; 255 octets in all);
 * -ENOBUFS if @size is too small. */
int netd_dhcp_name_encode(const char *name, uint8_t *buf, size_t size);

/* The bytes options 15 and 119 take in a reply for @domain and the first
 * @n_search names of @search (invalid names count nothing, as they are not
 * sent). Compare with NETD_DHCP_NAMES_ROOM. */
size_t netd_dhcp_names_size(const char *domain, const char (*search)[NETD_DHCP_NAME_SIZE],
			    unsigned n_search);

#endif
