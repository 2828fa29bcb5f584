/* SPDX-License-Identifier: MIT */
/*
 * nftctl: drive the nftables engine (lib/nft*.c) from shell tests (tests/integ/t_nft.sh).
 *
 *   nftctl [-N netns-path] attach|detach|check SPEC
 *   nftctl [-N netns-path] sync [SPEC [-- SPEC]...]
 *   nftctl [-N netns-path] exists|version|delete
 *   nftctl [-N netns-path] bench N REPS   median attach time with N ports present
 *   nftctl [-N netns-path] bench-atts N REPS   ... with N attachments present
 *
 * SPEC: ip=A.B.C.D [ip6=X::Y] [masq] [masq6] [routed] [if=NAME mac=XX:XX:XX:XX:XX:XX]
 *       [cluster=PREFIX]... (clusterCIDRs, either family)
 *       [br=BRIDGE] [iso] [group=N] [hostaccess] [port=tcp/8080:80[@HOSTIP|@4|@6]]...
 *       (@4, @6: the wildcard of one family; HOSTIP of either family)
 * Failures print "nftctl: error code=C errno=E: message" and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmnet/inet.h"
#include "vmnet/nft.h"

#define MAX_PORTS 64

struct spec {
	struct vmnet_nft_att att;
	struct vmnet_port ports[MAX_PORTS];
	struct vmnet_cluster cluster;
};

static int fail(const struct vmnet_err *e, int r)
{
	fprintf(stderr, "nftctl: error code=%d errno=%d: %s\n", e->code, -r, e->msg);
	return 1;
}

static int parse_port(const char *s, struct vmnet_port *p)
{
	char proto[8], host[32] = "";
	unsigned hp, gp;

	memset(p, 0, sizeof(*p));
	if (sscanf(s, "%7[a-z]/%u:%u@%31s", proto, &hp, &gp, host) < 3 || hp > 65535 || gp > 65535)
		return -EINVAL;
	if (vmnet_proto_parse(proto, &p->proto) < 0)
		return -EINVAL;
	p->host_port = hp;
	p->guest_port = gp;
	if (!strcmp(host, "4") || !strcmp(host, "6")) {
		p->family = *host - '0';
		return 0;
	}
	return vmnet_port_host_parse(host, p);
}

/* Parse words until "--" or the end; returns how many were used. */
static int parse_spec(int argc, char **argv, struct spec *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->att.ports = s->ports;
	for (i = 0; i < argc && strcmp(argv[i], "--"); i++) {
		const char *w = argv[i];

		if (!strncmp(w, "ip=", 3)) {
			if (vmnet_ip4_parse(w + 3, &s->att.guest_ip) < 0)
				return -EINVAL;
		} else if (!strncmp(w, "ip6=", 4)) {
			if (vmnet_ip6_parse(w + 4, &s->att.guest_ip6) < 0)
				return -EINVAL;
		} else if (!strcmp(w, "masq")) {
			s->att.masq = true;
		} else if (!strcmp(w, "masq6")) {
			s->att.masq6 = true;
		} else if (!strcmp(w, "routed")) {
			s->att.routed_inbound = true;
		} else if (!strncmp(w, "if=", 3)) {
			s->att.host_if = w + 3;
		} else if (!strncmp(w, "br=", 3)) {
			s->att.bridge = w + 3;
		} else if (!strncmp(w, "mac=", 4)) {
			uint8_t *m = s->att.guest_mac;

			if (sscanf(w + 4, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3],
				   &m[4], &m[5]) != 6)
				return -EINVAL;
		} else if (!strcmp(w, "iso")) {
			s->att.isolated = true;
		} else if (!strncmp(w, "group=", 6)) {
			s->att.iso_id = strtoul(w + 6, NULL, 0);
		} else if (!strncmp(w, "cluster=", 8)) {
			struct vmnet_cluster *c = &s->cluster;

			s->att.cluster = c;
			if (c->n4 < VMNET_MAX_CLUSTER && vmnet_prefix_parse(w + 8, true, false, &c->v4[c->n4]) == 0)
				c->n4++;
			else if (c->n6 >= VMNET_MAX_CLUSTER ||
				 vmnet_prefix6_parse(w + 8, true, false, &c->v6[c->n6++]) < 0)
				return -EINVAL;
		} else if (!strcmp(w, "hostaccess")) {
			s->att.host_access = true;
		} else if (!strncmp(w, "port=", 5) && s->att.n_ports < MAX_PORTS) {
			if (parse_port(w + 5, &s->ports[s->att.n_ports++]) < 0)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	}
	return i;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One timed attach of @a (its time in *@t, in µs), then its detach: 0, or 1
 * with the error on stderr. */
static int attach_detach(struct vmnet_nft *n, const struct vmnet_nft_att *a, double *t)
{
	struct vmnet_err e = {0};
	double t0 = now_us();
	int r = vmnet_nft_attach(n, a, &e);

	*t = now_us() - t0;
	if (r < 0)
		return fail(&e, r);
	r = vmnet_nft_detach(n, a, &e);
	return r < 0 ? fail(&e, r) : 0;
}

/* The line of a bench: WHAT=@count, the @reps attach times @t (sorted here). */
static void report(const char *what, int count, int reps, double *t)
{
	qsort(t, reps, sizeof(*t), cmp_double);
	printf("%s=%d reps=%d attach_median_us=%.0f min_us=%.0f max_us=%.0f\n", what, count, reps,
	       t[reps / 2], t[0], t[reps - 1]);
}

/* One attachment holding @nports ports (filled by one sync), then @reps
 * attach/detach pairs of a fresh attachment with two ports. */
static int bench(struct vmnet_nft *n, int nports, int reps)
{
	struct vmnet_port *ports = calloc(nports ? nports : 1, sizeof(*ports));
	struct vmnet_nft_att big = {
		.guest_ip = 0x0a630001, .masq = true, .ports = ports, .n_ports = nports};
	double *t = calloc(reps, sizeof(*t));
	struct vmnet_err e = {0};
	int r;

	if (!ports || !t)
		return 1;
	for (int i = 0; i < nports; i++)
		ports[i] = (struct vmnet_port){.proto = IPPROTO_TCP, .host_port = 10000 + i, .guest_port = 80};
	r = vmnet_nft_sync(n, &big, 1, &e);
	if (r < 0)
		return fail(&e, r);
	for (int i = 0; i < reps; i++) {
		struct vmnet_port p[2] = {
			{.proto = IPPROTO_TCP, .host_port = 2000, .guest_port = 80},
			{.proto = IPPROTO_UDP, .host_port = 2000, .guest_port = 53,
			 .host_ip = 0x0a000001, .family = 4}};
		struct vmnet_nft_att a = {
			.guest_ip = 0x0a640000 + i + 1, .masq = true, .ports = p, .n_ports = 2};

		if (attach_detach(n, &a, &t[i]))
			return 1;
	}
	report("ports", nports, reps, t);
	free(t);
	free(ports);
	return 0;
}

/* @natts attachments (half isolated with a group, half shared, each with its
 * interface elements; filled by one sync), then @reps attach/detach pairs of
 * a fresh isolated attachment with a group and a port. */
static int bench_atts(struct vmnet_nft *n, int natts, int reps)
{
	struct vmnet_nft_att *atts = calloc(natts ? natts : 1, sizeof(*atts));
	char (*names)[16] = calloc(natts ? natts : 1, sizeof(*names));
	double *t = calloc(reps, sizeof(*t));
	struct vmnet_err e = {0};
	int r;

	if (!atts || !names || !t)
		return 1;
	for (int i = 0; i < natts; i++) {
		snprintf(names[i], sizeof(names[i]), "vmb%06d", i);
		atts[i] = (struct vmnet_nft_att){.host_if = names[i],
						 .isolated = i % 2,
						 .guest_ip = 0x0a800000 + i + 1,
						 .guest_mac = {2, 0, 0, i >> 16, i >> 8, i},
						 .masq = true,
						 .iso_id = i % 2 ? 1 + i % 7 : 0};
	}
	r = vmnet_nft_sync(n, atts, natts, &e);
	if (r < 0)
		return fail(&e, r);
	for (int i = 0; i < reps; i++) {
		struct vmnet_port p = {.proto = IPPROTO_TCP, .host_port = 2000, .guest_port = 80};
		struct vmnet_nft_att a = {.host_if = "vmbench",
					  .isolated = true,
					  .guest_ip = 0x0a640000 + i + 1,
					  .guest_mac = {2, 1, 0, 0, 0, 1},
					  .masq = true,
					  .iso_id = 3,
					  .ports = &p,
					  .n_ports = 1};

		if (attach_detach(n, &a, &t[i]))
			return 1;
	}
	report("atts", natts, reps, t);
	free(t);
	free(names);
	free(atts);
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_(vmnet_nft_closep) struct vmnet_nft *n = NULL;
	struct vmnet_err e = {0};
	_cleanup_close_ int nsfd = -1;
	const char *cmd;
	struct spec s;
	int r;

	if (argc > 2 && !strcmp(argv[1], "-N")) {
		nsfd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (nsfd < 0) {
			perror(argv[2]);
			return 1;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: nftctl [-N netns] attach|detach|check|sync|exists|version|"
				"delete|bench|bench-atts ...\n");
		return 2;
	}
	cmd = argv[1];
	r = vmnet_nft_open(nsfd, &n, &e);
	if (r < 0)
		return fail(&e, r);

	if (!strcmp(cmd, "exists") || !strcmp(cmd, "version")) {
		int v = 0;

		r = vmnet_nft_table_version(n, &v, &e);
		if (r < 0)
			return fail(&e, r);
		printf("%d\n", cmd[0] == 'e' ? r : v);
		return 0;
	}
	if (!strcmp(cmd, "delete")) {
		r = vmnet_nft_delete_table(n, &e);
		return r < 0 ? fail(&e, r) : 0;
	}
	if (!strcmp(cmd, "bench"))
		return argc < 4 ? 2 : bench(n, atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(cmd, "bench-atts"))
		return argc < 4 ? 2 : bench_atts(n, atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(cmd, "sync")) {
		struct spec *specs = calloc(argc, sizeof(*specs));
		struct vmnet_nft_att *atts = calloc(argc, sizeof(*atts));
		size_t k = 0;

		if (!specs || !atts)
			return 1;
		for (int i = 2; i < argc;) {
			int used = parse_spec(argc - i, argv + i, &specs[k]);

			if (used < 0) {
				fprintf(stderr, "nftctl: bad spec\n");
				return 2;
			}
			specs[k].att.ports = specs[k].ports;
			atts[k] = specs[k].att;
			k++;
			i += used + 1;
		}
		r = vmnet_nft_sync(n, atts, k, &e);
		free(specs);
		free(atts);
		return r < 0 ? fail(&e, r) : 0;
	}
	if (parse_spec(argc - 2, argv + 2, &s) < 0) {
		fprintf(stderr, "nftctl: bad spec\n");
		return 2;
	}
	if (!strcmp(cmd, "attach"))
		r = vmnet_nft_attach(n, &s.att, &e);
	else if (!strcmp(cmd, "detach"))
		r = vmnet_nft_detach(n, &s.att, &e);
	else if (!strcmp(cmd, "check"))
		r = vmnet_nft_check(n, &s.att, &e);
	else
		return 2;
	return r < 0 ? fail(&e, r) : 0;
}
