/* SPDX-License-Identifier: MIT */
/*
 * The DHCP server's socket: one AF_PACKET/SOCK_DGRAM socket for ETH_P_IP on
 * every interface of the netns. A packet socket rather than UDP port 67
 * because clients without an address cannot be answered through the IP
 * stack (no ARP entry for a yiaddr that is not configured yet), and because
 * we must know the interface and MAC each request came from. SOCK_DGRAM
 * lets the kernel write the Ethernet header with the interface's own MAC
 * as source, so nothing is cached per interface.
 *
 * Bound to ETH_P_IP (not ETH_P_ALL), the socket is a protocol handler: on
 * a bridge port the bridge consumes the frame first and it is delivered
 * again on the bridge device, so a request from behind a bridge is seen
 * once, with the bridge's ifindex (Linux 2.6 onwards). Point-to-point
 * links deliver it on the link itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dhcp.h"
#include "vmnet/log.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* Bound the work of one call so a flood cannot starve the daemon's other
 * events; epoll is level-triggered and calls us again. */
#define HANDLE_BUDGET 256
#define RX_BUF 4096

struct netd_dhcp {
	int fd;
	netd_dhcp_lookup_fn fn;
	void *ctx;
	struct netd_dhcp_stats stats;
};

/*
 * Accept only incoming IPv4/UDP to port 67 that is not a fragment. On a
 * SOCK_DGRAM socket the filter sees the packet from its IP header.
 *   ld   pkttype;  jeq OUTGOING -> drop    (our own and bridge-flooded copies)
 *   ldb  [9];      jne 17 -> drop
 *   ldh  [6];      jset 0x3fff -> drop
 *   ldxb 4*([0]&0xf); ldh [x+2]; jne 67 -> drop
 *   ret  all
 */
static struct sock_filter filter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 7, 0),
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 5),
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 3, 0),
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
	BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DHCP_SERVER_PORT, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, 0),
	BPF_STMT(BPF_RET | BPF_K, 0x40000),
};

int netd_dhcp_open(netd_dhcp_lookup_fn fn, void *ctx, struct netd_dhcp **ret, struct vmnet_err *err)
{
	struct sock_fprog prog = {.len = ARRAY_SIZE(filter), .filter = filter};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
	};
	_cleanup_close_ int fd = -1;
	struct netd_dhcp *d;
	int one = 1;

	/* Protocol 0 receives nothing until bind(), so no unfiltered packet
	 * can be queued before the filter is attached. */
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno,
				     "opening the DHCP packet socket");
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "attaching the DHCP filter");
	/* Since Linux 4.20; the filter drops outgoing copies anyway, this only
	 * saves the kernel cloning them for us. */
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno,
				     "binding the DHCP packet socket");

	d = calloc(1, sizeof(*d));
	if (!d)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "allocating the DHCP server");
	d->fn = fn;
	d->ctx = ctx;
	d->fd = steal_fd(fd);
	*ret = d;
	return 0;
}

int netd_dhcp_fd(const struct netd_dhcp *d)
{
	return d->fd;
}

struct netd_dhcp *netd_dhcp_close(struct netd_dhcp *d)
{
	if (!d)
		return NULL;
	if (d->fd >= 0)
		close(d->fd);
	free(d);
	return NULL;
}

void netd_dhcp_stats(const struct netd_dhcp *d, struct netd_dhcp_stats *ret)
{
	*ret = d->stats;
}

static const char *fmt_mac(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

static const char *fmt_ip(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
	return buf;
}

/* One received packet: 1 if answered, 0 if not. */
static int handle_one(struct netd_dhcp *d, const uint8_t *pkt, size_t len,
		      const struct sockaddr_ll *from)
{
	struct netd_lease lease = {0};
	struct netd_dhcp_msg req;
	struct netd_dhcp_ip ip;
	struct sockaddr_ll to;
	uint8_t out[NETD_DHCP_REPLY_MAX];
	char mac[18], a[16], b[16];
	int type, r, n;

	if (netd_dhcp_parse_ip(pkt, len, &ip) < 0 || ip.dport != DHCP_SERVER_PORT ||
	    netd_dhcp_parse_request(pkt + ip.off, ip.len, &req) < 0) {
		d->stats.ignored_malformed++;
		log_debug("dhcp: malformed packet on ifindex %d ignored", from->sll_ifindex);
		return 0;
	}
	fmt_mac(req.chaddr, mac);
	/* Answers go to chaddr: only the owner of that MAC may ask for its
	 * lease, and relays (giaddr) are not part of our links. */
	if (from->sll_halen != 6 || memcmp(from->sll_addr, req.chaddr, 6) || req.giaddr) {
		d->stats.ignored_malformed++;
		log_debug("dhcp: %s for %s on ifindex %d: chaddr is not the sender or relayed, "
			  "ignored",
			  netd_dhcp_type_name(req.type), mac, from->sll_ifindex);
		return 0;
	}
	r = d->fn(d->ctx, req.chaddr, from->sll_ifindex, &lease);
	if (r == 0 && (memcmp(lease.mac, req.chaddr, 6) || !netd_dhcp_lease_valid(&lease))) {
		log_debug("dhcp: lease for %s on ifindex %d is unusable", mac, from->sll_ifindex);
		r = -EINVAL;
	}
	if (r < 0) {
		d->stats.ignored_unknown++;
		log_debug("dhcp: %s from %s on ifindex %d: no lease, ignored",
			  netd_dhcp_type_name(req.type), mac, from->sll_ifindex);
		return 0;
	}

	type = netd_dhcp_decide(&req, &lease);
	if (type == 0) {
		log_debug("dhcp: %s from %s (ciaddr %s, server id %s) needs no answer",
			  netd_dhcp_type_name(req.type), mac, fmt_ip(req.ciaddr, a),
			  fmt_ip(req.server_id, b));
		return 0;
	}
	n = netd_dhcp_build_reply(&req, &lease, type, out, sizeof(out));
	if (n < 0) {
		log_debug("dhcp: building a %s for %s: %s", netd_dhcp_type_name(type), mac,
			  strerror(-n));
		return 0;
	}
	to = (struct sockaddr_ll){
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = from->sll_ifindex,
		.sll_halen = 6,
	};
	memcpy(to.sll_addr, req.chaddr, 6);
	if (sendto(d->fd, out, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		/* The interface may have gone meanwhile; the client retries. */
		log_debug("dhcp: sending %s to %s on ifindex %d: %s", netd_dhcp_type_name(type),
			  mac, from->sll_ifindex, strerror(errno));
		return 0;
	}
	if (type == DHCPOFFER)
		d->stats.offers++;
	else if (type == DHCPACK)
		d->stats.acks++;
	else
		d->stats.naks++;
	log_debug("dhcp: %s from %s on ifindex %d: %s %s", netd_dhcp_type_name(req.type), mac,
		  from->sll_ifindex, netd_dhcp_type_name(type),
		  fmt_ip(type == DHCPNAK ? req.requested_ip : lease.ip, a));
	return 1;
}

int netd_dhcp_handle(struct netd_dhcp *d)
{
	uint8_t buf[RX_BUF];
	int answered = 0;

	for (int i = 0; i < HANDLE_BUDGET; i++) {
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		ssize_t n;

		n = recvfrom(d->fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT,
			     (struct sockaddr *)&from, &flen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_debug("dhcp: receiving: %s", strerror(errno));
			break;
		}
		/* Outgoing copies are filtered in the kernel as well; other
		 * hosts' unicast, seen when the device is promiscuous, is not
		 * for us. */
		if (from.sll_pkttype != PACKET_HOST && from.sll_pkttype != PACKET_BROADCAST)
			continue;
		d->stats.rx++;
		if ((size_t)n > sizeof(buf) || from.sll_hatype != ARPHRD_ETHER) {
			d->stats.ignored_malformed++;
			log_debug("dhcp: oversized or non-Ethernet packet on ifindex %d ignored",
				  from.sll_ifindex);
			continue;
		}
		answered += handle_one(d, buf, (size_t)n, &from);
	}
	return answered;
}
