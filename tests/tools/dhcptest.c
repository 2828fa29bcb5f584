/* SPDX-License-Identifier: MIT */
/*
 * dhcptest: netd's DHCP server with a static lease table, for integration
 * tests (root, run it inside a test namespace).
 *
 *   dhcptest [-v] [--stats FILE] --lease SPEC [--lease SPEC]...
 *   SPEC = MAC,IP/PREFIX,router=IP[,dns=IP]...[,mtu=N][,domain=D]
 *          [,search=D]...[,hostname=H][,lease=SECS][,dev=IFNAME]
 *
 * Without dev= a lease is served on every interface. Prints "ready" once the
 * socket is open; rewrites FILE with the counters after every batch; exits
 * on SIGTERM/SIGINT printing the counters. Tools link only libvmnet.a, so
 * the server's sources are compiled in here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>

#include "../../netd/dhcp.c"
#include "../../netd/dhcp_build.c"
#include "../../netd/dhcp_parse.c"
#include "serve.h"
#include "vmnet/log.h"

#define MAX_LEASES 32

struct entry {
	struct netd_lease lease;
	int ifindex; /* 0: any */
};

static struct entry table[MAX_LEASES];
static unsigned n_table;

static int lookup(void *ctx, const uint8_t mac[6], int ifindex, struct netd_lease *ret)
{
	for (unsigned i = 0; i < n_table; i++)
		if (!memcmp(table[i].lease.mac, mac, 6) &&
		    (!table[i].ifindex || table[i].ifindex == ifindex)) {
			*ret = table[i].lease;
			return 0;
		}
	return -ENOENT;
}

static int parse_ip(const char *s, uint32_t *ret)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ret = ntohl(a.s_addr);
	return 0;
}

static int parse_lease(char *spec, struct entry *e)
{
	struct netd_lease *l = &e->lease;
	char *tok, *save = NULL, *slash, *end;
	unsigned m[6];
	int first = 1;

	memset(e, 0, sizeof(*e));
	for (tok = strtok_r(spec, ",", &save); tok; tok = strtok_r(NULL, ",", &save), first++) {
		char *v = strchr(tok, '=');

		if (first == 1) {
			if (sscanf(tok, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
				   &m[5]) != 6)
				return -EINVAL;
			for (int i = 0; i < 6; i++)
				l->mac[i] = (uint8_t)m[i];
			continue;
		}
		if (first == 2) {
			slash = strchr(tok, '/');
			if (!slash)
				return -EINVAL;
			*slash = '\0';
			l->prefix_len = (uint8_t)strtoul(slash + 1, &end, 10);
			if (*end || parse_ip(tok, &l->ip) < 0)
				return -EINVAL;
			continue;
		}
		if (!v)
			return -EINVAL;
		*v++ = '\0';
		if (!strcmp(tok, "router")) {
			if (parse_ip(v, &l->router) < 0)
				return -EINVAL;
		} else if (!strcmp(tok, "dns")) {
			if (l->n_dns >= ARRAY_SIZE(l->dns) || parse_ip(v, &l->dns[l->n_dns++]) < 0)
				return -EINVAL;
		} else if (!strcmp(tok, "mtu")) {
			l->mtu = (unsigned)strtoul(v, NULL, 10);
		} else if (!strcmp(tok, "lease")) {
			l->lease_secs = (uint32_t)strtoul(v, NULL, 10);
		} else if (!strcmp(tok, "domain")) {
			snprintf(l->domain, sizeof(l->domain), "%s", v);
		} else if (!strcmp(tok, "search")) {
			if (l->n_search >= ARRAY_SIZE(l->search))
				return -EINVAL;
			snprintf(l->search[l->n_search++], sizeof(l->search[0]), "%s", v);
		} else if (!strcmp(tok, "hostname")) {
			snprintf(l->hostname, sizeof(l->hostname), "%s", v);
		} else if (!strcmp(tok, "dev")) {
			e->ifindex = (int)if_nametoindex(v);
			if (!e->ifindex)
				return -ENODEV;
		} else {
			return -EINVAL;
		}
	}
	return first > 2 && netd_dhcp_lease_valid(l) ? 0 : -EINVAL;
}

static void print_stats(FILE *f, const void *srv)
{
	struct netd_dhcp_stats s;

	netd_dhcp_stats(srv, &s);
	fprintf(f, "rx=%lu offers=%lu acks=%lu naks=%lu unknown=%lu malformed=%lu\n", s.rx,
		s.offers, s.acks, s.naks, s.ignored_unknown, s.ignored_malformed);
}

static void handle(void *srv)
{
	netd_dhcp_handle(srv);
}

int main(int argc, char **argv)
{
	struct vmnet_err err = {0};
	struct netd_dhcp *d = NULL;
	const char *stats = NULL;
	int sfd, r;

	vmnet_log_init("dhcptest");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v")) {
			vmnet_log_set_level(VMNET_LOG_DEBUG);
		} else if (!strcmp(argv[i], "--stats") && i + 1 < argc) {
			stats = argv[++i];
		} else if (!strcmp(argv[i], "--lease") && i + 1 < argc && n_table < MAX_LEASES) {
			r = parse_lease(argv[++i], &table[n_table]);
			if (r < 0) {
				fprintf(stderr, "dhcptest: bad lease %s: %s\n", argv[i],
					strerror(-r));
				return 2;
			}
			n_table++;
		} else {
			fprintf(stderr, "usage: dhcptest [-v] [--stats FILE] --lease "
					"MAC,IP/PREFIX,router=IP[,dns=IP][,mtu=N][,domain=D][,search=D]"
					"[,hostname=H][,lease=S][,dev=IF]...\n");
			return 2;
		}
	}

	sfd = serve_signalfd();
	if (sfd < 0) {
		perror("dhcptest: signalfd");
		return 1;
	}
	if (netd_dhcp_open(lookup, NULL, &d, &err) < 0) {
		fprintf(stderr, "dhcptest: %s\n", err.msg);
		return 1;
	}
	serve_loop("dhcptest", netd_dhcp_fd(d), sfd, handle, d, stats, print_stats);
	print_stats(stdout, d);
	netd_dhcp_close(d);
	close(sfd);
	return 0;
}
