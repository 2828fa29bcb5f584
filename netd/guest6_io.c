/* SPDX-License-Identifier: MIT */
/*
 * The IPv6 guest service's sockets (see guest6.h for which and why) and
 * what it does with each packet. The packets themselves are ra_*.c's and
 * dhcp6_*.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dhcp6.h"
#include "guest6_int.h"
#include "ra.h"
#include "vmnet/clock.h"
#include "vmnet/log.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* Bound the work of one call, as dhcp.c does: epoll calls us again. */
#define HANDLE_BUDGET 256
#define RX_BUF 2048
/* Hosts solicit at most every 4 s (RFC 4861 RTR_SOLICITATION_INTERVAL). */
#define RS_UNICAST_GAP_MS 500

int g6_icmp_open(int *ret, struct vmnet_err *err)
{
	_cleanup_close_ int fd = -1;
	struct icmp6_filter f;
	int one = 1, hops = 255, zero = 0;

	fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "opening the ICMPv6 socket");
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, &f);
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) < 0 ||
	    /* RFC 4861 6.1.2: a host drops an RA whose hop limit is not 255. */
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero, sizeof(zero)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "setting up the ICMPv6 socket");
	*ret = steal_fd(fd);
	return 0;
}

/*
 * Incoming IPv6/UDP to port 547, no extension header. On a SOCK_DGRAM
 * packet socket the filter sees the packet from its IPv6 header.
 */
static struct sock_filter pkt_filter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 4, 0),
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 2),
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 40 + 2),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DHCP6_SERVER_PORT, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, 0),
	BPF_STMT(BPF_RET | BPF_K, 0x40000),
};

int g6_pkt_open(int *ret, struct vmnet_err *err)
{
	struct sock_fprog prog = {.len = ARRAY_SIZE(pkt_filter), .filter = pkt_filter};
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IPV6)};
	_cleanup_close_ int fd = -1;
	int one = 1;

	/* Protocol 0 receives nothing before bind(): no unfiltered packet. */
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno,
				     "opening the DHCPv6 packet socket");
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "attaching the DHCPv6 filter");
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno,
				     "binding the DHCPv6 packet socket");
	*ret = steal_fd(fd);
	return 0;
}

int g6_udp_open(int ifindex, int *ret, struct vmnet_err *err)
{
	static struct sock_filter drop[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
	struct sock_fprog prog = {.len = 1, .filter = drop};
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(DHCP6_SERVER_PORT)};
	_cleanup_close_ int fd = -1;
	char dev[IF_NAMESIZE];
	int one = 1;

	if (!if_indextoname((unsigned)ifindex, dev))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "ifindex %d", ifindex);
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "opening a DHCPv6 socket");
	/* Requests are read from the packet socket, which knows the MAC. */
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev) + 1) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno,
				     "setting up the DHCPv6 socket of %s", dev);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "binding UDP port 547 on %s",
				     dev);
	if (g6_membership(fd, ifindex, "ff02::1:2", true) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "joining ff02::1:2 on %s", dev);
	*ret = steal_fd(fd);
	return 0;
}

int g6_membership(int fd, int ifindex, const char *group, bool join)
{
	struct ipv6_mreq m = {.ipv6mr_interface = (unsigned)ifindex};

	inet_pton(AF_INET6, group, &m.ipv6mr_multiaddr);
	if (setsockopt(fd, IPPROTO_IPV6, join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, &m,
		       sizeof(m)) < 0)
		return -errno;
	return 0;
}

int g6_send_ra(struct netd_guest6 *g, const struct netd_link6 *l, uint16_t lifetime,
	       const struct in6_addr *dst)
{
	uint8_t buf[NETD_RA_MAX];
	union {
		struct cmsghdr c;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} ctl = {0};
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)l->ifindex};
	struct iovec iov = {.iov_base = buf};
	struct msghdr mh = {.msg_name = &to,
			    .msg_namelen = sizeof(to),
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b)};
	struct in6_pktinfo *pi;
	int n = netd_ra_build(l, lifetime, buf, sizeof(buf));

	if (n < 0)
		return n;
	iov.iov_len = (size_t)n;
	if (dst)
		to.sin6_addr = *dst;
	else
		inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
	/* The source is left to the kernel: for a link-scope destination it
	 * picks the link's link-local address, as RFC 4861 6.1.2 wants. */
	ctl.c.cmsg_level = IPPROTO_IPV6;
	ctl.c.cmsg_type = IPV6_PKTINFO;
	ctl.c.cmsg_len = CMSG_LEN(sizeof(*pi));
	pi = (struct in6_pktinfo *)CMSG_DATA(&ctl.c);
	pi->ipi6_ifindex = (unsigned)l->ifindex;
	if (sendmsg(g->icmp_fd, &mh, 0) < 0) {
		g->stats.send_errors++;
		log_debug("ra: sending on ifindex %d: %s", l->ifindex, strerror(errno));
		return -errno;
	}
	g->stats.ra_tx++;
	return 0;
}

/* One solicitation: answered to its link-local source at once (RFC 4861
 * 6.2.6 allows it, and it spares the other guests of a bridge), at most
 * every RS_UNICAST_GAP_MS per link so a flood of solicitations is not a
 * flood of answers; else by the next multicast RA the rate limit allows. */
static int answer_rs(struct netd_guest6 *g, const uint8_t *buf, size_t n, int ifindex, int hops,
		     const struct sockaddr_in6 *from)
{
	const struct netd_link6 *l = g6_first_link(g, ifindex);
	struct g6_iface *f = g6_iface_find(g, ifindex);
	int64_t now = vmnet_mono_ms();
	struct netd_rs rs;

	if (!l || !f) {
		g->stats.ignored_unknown++;
		return 0;
	}
	if (netd_rs_parse(buf, n, hops, &from->sin6_addr, &rs) < 0) {
		g->stats.ignored_malformed++;
		log_debug("ra: malformed solicitation on ifindex %d ignored", ifindex);
		return 0;
	}
	if (!IN6_IS_ADDR_LINKLOCAL(&from->sin6_addr) || now - f->last_ucast < RS_UNICAST_GAP_MS) {
		g6_ra_soon(g, f);
		return 0;
	}
	f->last_ucast = now;
	return g6_send_ra(g, l, l->router_lifetime, &from->sin6_addr) == 0;
}

int g6_read_rs(struct netd_guest6 *g)
{
	int sent = 0;

	for (int i = 0; g->icmp_fd >= 0 && i < HANDLE_BUDGET; i++) {
		uint8_t buf[RX_BUF], cbuf[256];
		struct sockaddr_in6 from;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr mh = {.msg_name = &from,
				    .msg_namelen = sizeof(from),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf)};
		int ifindex = 0, hops = -1;
		ssize_t n = recvmsg(g->icmp_fd, &mh, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		g->stats.rs_rx++;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != IPPROTO_IPV6)
				continue;
			if (c->cmsg_type == IPV6_PKTINFO)
				ifindex = (int)((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_ifindex;
			else if (c->cmsg_type == IPV6_HOPLIMIT)
				memcpy(&hops, CMSG_DATA(c), sizeof(hops));
		}
		if (mh.msg_flags & MSG_TRUNC) {
			g->stats.ignored_malformed++;
			continue;
		}
		sent += answer_rs(g, buf, (size_t)n, ifindex, hops, &from);
	}
	return sent;
}

static const char *fmt_mac(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* One DHCPv6 packet from a client: 1 if answered. */
static int answer_dhcp6(struct netd_guest6 *g, const uint8_t *pkt, size_t len,
			const struct sockaddr_ll *from)
{
	const struct netd_link6 *l;
	struct g6_iface *f;
	struct netd_dhcp6_msg req;
	struct netd_dhcp6_ip ip;
	struct sockaddr_in6 to = {.sin6_family = AF_INET6};
	uint8_t out[NETD_DHCP6_REPLY_MAX];
	char mac[18];
	int n;

	/* Clients send from their link-local address (RFC 8415 13.1). */
	if (netd_dhcp6_parse_ip(pkt, len, &ip) < 0 || ip.dport != DHCP6_SERVER_PORT ||
	    !IN6_IS_ADDR_LINKLOCAL(&ip.src) || from->sll_halen != 6 ||
	    netd_dhcp6_parse(pkt + ip.off, ip.len, &req) < 0) {
		g->stats.ignored_malformed++;
		log_debug("dhcp6: malformed packet on ifindex %d ignored", from->sll_ifindex);
		return 0;
	}
	fmt_mac(from->sll_addr, mac);
	l = g6_guest_find(g, from->sll_ifindex, from->sll_addr);
	f = g6_iface_find(g, from->sll_ifindex);
	if (!l || !f) {
		g->stats.ignored_unknown++;
		log_debug("dhcp6: %s from %s on ifindex %d: not our guest, ignored",
			  netd_dhcp6_type_name(req.type), mac, from->sll_ifindex);
		return 0;
	}
	if (req.type == DHCP6_DECLINE)
		log_warn("dhcp6: %s on ifindex %d declines its address: it is in use on the link",
			 mac, from->sll_ifindex);
	n = netd_dhcp6_answer(&req, l, out, sizeof(out));
	if (n <= 0)
		return 0;
	to.sin6_addr = ip.src;
	to.sin6_port = htons(ip.sport);
	to.sin6_scope_id = (uint32_t)from->sll_ifindex;
	if (sendto(f->udp_fd, out, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		g->stats.send_errors++;
		log_debug("dhcp6: answering %s: %s", mac, strerror(errno));
		return 0;
	}
	g->stats.dhcp6_tx++;
	log_debug("dhcp6: %s from %s on ifindex %d answered", netd_dhcp6_type_name(req.type), mac,
		  from->sll_ifindex);
	return 1;
}

int g6_read_dhcp6(struct netd_guest6 *g)
{
	int sent = 0;

	for (int i = 0; g->pkt_fd >= 0 && i < HANDLE_BUDGET; i++) {
		uint8_t buf[RX_BUF];
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(g->pkt_fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT,
				     (struct sockaddr *)&from, &flen);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		/* Multicast from the guest, or unicast to us; never other
		 * hosts' unicast seen in promiscuous mode. */
		if (from.sll_pkttype != PACKET_HOST && from.sll_pkttype != PACKET_MULTICAST)
			continue;
		g->stats.dhcp6_rx++;
		if ((size_t)n > sizeof(buf)) {
			g->stats.ignored_malformed++;
			continue;
		}
		sent += answer_dhcp6(g, buf, (size_t)n, &from);
	}
	return sent;
}
