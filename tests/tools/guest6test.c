/* SPDX-License-Identifier: MIT */
/*
 * guest6test: netd's IPv6 guest service (router advertisements and DHCPv6,
 * netd/guest6.h) on links described on the command line, for integration
 * tests (root, run it inside a test namespace).
 *
 *   guest6test [-v] [--stats FILE] --link SPEC [--link SPEC]...
 *   SPEC = dev=IFNAME[,guest=MAC,addr=IP6/PLEN][,prefix=P/LEN[/slaac]]...
 *          [,mtu=N][,dns=IP6]...[,search=D]...[,lifetime=S][,interval=S]
 *          [,valid=S][,preferred=S]
 *
 * addr= makes the link stateful (M flag, DHCPv6 hands out that address).
 * Prints "ready" once every link is served; rewrites FILE with the
 * counters after every batch; on SIGTERM/SIGINT stops every link (final RAs)
 * and exits. Tools link only libvmnet.a, so the engine's sources are
 * compiled in here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>

#include "../../netd/dhcp6_build.c"
#include "../../netd/dhcp6_parse.c"
#include "../../netd/dhcp_build.c"
#include "../../netd/guest6.c"
#include "../../netd/guest6_io.c"
#include "../../netd/link6.c"
#include "../../netd/ra_build.c"
#include "../../netd/ra_parse.c"
#include "serve.h"
#include "vmnet/log.h"

#define MAX_LINKS 16

static struct netd_link6 links[MAX_LINKS];
static unsigned n_links;

static int link_mac(const char *dev, uint8_t ret[6])
{
	struct ifreq ifr = {0};
	_cleanup_close_ int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(ret, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static int parse_mac(const char *s, uint8_t ret[6])
{
	unsigned m[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		ret[i] = (uint8_t)m[i];
	return 0;
}

/* "IP6/LEN" into @a and @len. */
static int parse_net(char *s, struct in6_addr *a, uint8_t *len)
{
	char *slash = strchr(s, '/'), *end;

	if (!slash)
		return -EINVAL;
	*slash = '\0';
	*len = (uint8_t)strtoul(slash + 1, &end, 10);
	return inet_pton(AF_INET6, s, a) == 1 && (*end == '\0' || *end == '/') ? 0 : -EINVAL;
}

static int parse_kv(struct netd_link6 *l, const char *k, char *v)
{
	struct netd_prefix6 *p;

	if (!strcmp(k, "dev")) {
		l->ifindex = (int)if_nametoindex(v);
		return l->ifindex ? link_mac(v, l->mac) : -ENODEV;
	}
	if (!strcmp(k, "guest"))
		return parse_mac(v, l->guest_mac);
	if (!strcmp(k, "addr")) {
		l->managed = true;
		return parse_net(v, &l->addr, &l->prefix_len);
	}
	if (!strcmp(k, "prefix") && l->n_prefixes < NETD_LINK6_MAX_PREFIXES) {
		p = &l->prefixes[l->n_prefixes++];
		p->autonomous = strstr(v, "/slaac") != NULL;
		return parse_net(v, &p->prefix, &p->len);
	}
	if (!strcmp(k, "dns") && l->n_dns < NETD_LINK6_MAX_DNS)
		return inet_pton(AF_INET6, v, &l->dns[l->n_dns++]) == 1 ? 0 : -EINVAL;
	if (!strcmp(k, "search") && l->n_search < NETD_DHCP_MAX_SEARCH) {
		snprintf(l->search[l->n_search++], sizeof(l->search[0]), "%s", v);
		return 0;
	}
	if (!strcmp(k, "mtu"))
		l->mtu = (uint32_t)strtoul(v, NULL, 10);
	else if (!strcmp(k, "lifetime"))
		l->router_lifetime = (uint16_t)strtoul(v, NULL, 10);
	else if (!strcmp(k, "interval"))
		l->ra_interval_s = (unsigned)strtoul(v, NULL, 10);
	else if (!strcmp(k, "valid"))
		l->valid_secs = (uint32_t)strtoul(v, NULL, 10);
	else if (!strcmp(k, "preferred"))
		l->preferred_secs = (uint32_t)strtoul(v, NULL, 10);
	else
		return -EINVAL;
	return 0;
}

static int parse_link(char *spec, struct netd_link6 *l)
{
	char *tok, *save = NULL;

	memset(l, 0, sizeof(*l));
	l->router_lifetime = 1800;
	for (tok = strtok_r(spec, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *v = strchr(tok, '=');
		int r;

		if (!v)
			return -EINVAL;
		*v++ = '\0';
		r = parse_kv(l, tok, v);
		if (r < 0)
			return r;
	}
	return netd_link6_valid(l) ? 0 : -EINVAL;
}

static void print_stats(FILE *f, const void *srv)
{
	struct netd_guest6_stats s;

	netd_guest6_stats(srv, &s);
	fprintf(f, "rs=%lu ra=%lu dhcp6_rx=%lu dhcp6_tx=%lu unknown=%lu malformed=%lu errors=%lu\n",
		s.rs_rx, s.ra_tx, s.dhcp6_rx, s.dhcp6_tx, s.ignored_unknown, s.ignored_malformed,
		s.send_errors);
}

static void handle(void *srv)
{
	netd_guest6_handle(srv);
}

static int usage(void)
{
	fprintf(stderr, "usage: guest6test [-v] [--stats FILE] --link dev=IF[,guest=MAC,"
			"addr=IP6/N][,prefix=P/N[/slaac]][,mtu=N][,dns=IP6][,search=D]"
			"[,lifetime=S][,interval=S]...\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct vmnet_err err = {0};
	struct netd_guest6 *g = NULL;
	const char *stats = NULL;
	int sfd, r;

	vmnet_log_init("guest6test");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v")) {
			vmnet_log_set_level(VMNET_LOG_DEBUG);
		} else if (!strcmp(argv[i], "--stats") && i + 1 < argc) {
			stats = argv[++i];
		} else if (!strcmp(argv[i], "--link") && i + 1 < argc && n_links < MAX_LINKS) {
			r = parse_link(argv[++i], &links[n_links]);
			if (r < 0) {
				fprintf(stderr, "guest6test: bad link %s: %s\n", argv[i],
					strerror(-r));
				return 2;
			}
			n_links++;
		} else {
			return usage();
		}
	}
	sfd = serve_signalfd();
	if (sfd < 0 || netd_guest6_open(&g, &err) < 0) {
		fprintf(stderr, "guest6test: %s\n", sfd < 0 ? strerror(errno) : err.msg);
		return 1;
	}
	for (unsigned i = 0; i < n_links; i++)
		if (netd_guest6_link_add(g, &links[i], &err) < 0) {
			fprintf(stderr, "guest6test: %s\n", err.msg);
			return 1;
		}
	serve_loop("guest6test", netd_guest6_fd(g), sfd, handle, g, stats, print_stats);
	g = netd_guest6_close(g);
	return 0;
}
