/* SPDX-License-Identifier: MIT */
/*
 * netd: the reconciling daemon beside the vmnet plugin (doc/how-it-works.md,
 * "Components"), and its own client. `netd [options]` runs the daemon in the foreground;
 * `netd status|list|lease ID [IFNAME]|reconcile [options]` asks a running one.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "daemon.h"
#include "dhcp.h"
#include "feed6.h"
#include "guest6.h"
#include "firewalld.h"
#include "loop.h"
#include "server.h"
#include "vmnet/delegate.h"
#include "vmnet/err.h"
#include "vmnet/ipam.h"
#include "vmnet/json.h"
#include "vmnet/link.h"
#include "vmnet/log.h"
#include "vmnet/record.h"

#define DEBOUNCE_MS 100
#define BUSY_RETRY_MS 500
#define DEFAULT_CNI_PATH "/opt/cni/bin:/usr/lib/cni:/usr/libexec/cni"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: netd [OPTIONS]                      run the daemon (foreground)\n"
		"       netd status|list|reconcile [OPTIONS]\n"
		"       netd lease CONTAINER-ID [IFNAME] [--kernel-arg] [OPTIONS]\n"
		"options:\n"
		"  --state-dir DIR   attachment records (default " VMNET_STATE_DIR ")\n"
		"  --socket PATH     control socket (default " VMNET_NETD_SOCK ")\n"
		"  --cni-path PATH   where IPAM plugins are (default " DEFAULT_CNI_PATH ")\n"
		"  --interval SECS   periodic reconcile pass (default 10; longer when a full\n"
		"                    pass takes over 2%% of it: every 50 times its length)\n"
		"  --step-ms MS      a full pass checks records for this long at a time, then\n"
		"                    serves DHCP, clients and events (default 10; 0: 16 records)\n"
		"  --config FILE     KEY=VALUE defaults: STATE_DIR SOCKET CNI_PATH INTERVAL\n"
		"                    STEP_MS LOG_LEVEL DHCP (command-line options win)\n"
		"  --no-dhcp         no DHCP, and no RA or DHCPv6 for IPv6 guests\n"
		"  -v, --verbose     more logs (info is the default; -v debug); -q warnings only\n"
		"  --json            clients: machine-readable output\n"
		"  --kernel-arg      lease: print only the ip= kernel argument (IPv4 only: a\n"
		"                    guest learns IPv6 by RA and DHCPv6)\n");
}

/* KEY=VALUE lines; '#' comments. Values are kept for the process's life. */
static int read_config(const char *path, struct netd_opts *o, int *level)
{
	char line[1024];
	FILE *f = fopen(path, "re");
	int ln = 0;

	if (!f) {
		fprintf(stderr, "netd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *k = line, *v, *e;

		ln++;
		while (*k == ' ' || *k == '\t')
			k++;
		if (*k == '#' || *k == '\n' || !*k)
			continue;
		v = strchr(k, '=');
		if (!v) {
			fprintf(stderr, "netd: %s:%d: expected KEY=VALUE\n", path, ln);
			fclose(f);
			return -1;
		}
		*v++ = '\0';
		e = v + strlen(v);
		while (e > v && (e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t' || e[-1] == '"'))
			*--e = '\0';
		if (*v == '"')
			v++;
		if (!strcmp(k, "STATE_DIR"))
			o->state_dir = strdup(v);
		else if (!strcmp(k, "SOCKET"))
			o->socket = strdup(v);
		else if (!strcmp(k, "CNI_PATH"))
			o->cni_path = strdup(v);
		else if (!strcmp(k, "INTERVAL"))
			o->interval_s = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(k, "STEP_MS"))
			o->step_ms = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(k, "DHCP"))
			o->dhcp = !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "true");
		else if (!strcmp(k, "LOG_LEVEL"))
			*level = !strcmp(v, "debug") ? VMNET_LOG_DEBUG
				 : !strcmp(v, "warn") || !strcmp(v, "warning") ? VMNET_LOG_WARN
				 : !strcmp(v, "error") ? VMNET_LOG_ERR : VMNET_LOG_INFO;
		else {
			fprintf(stderr, "netd: %s:%d: unknown key %s\n", path, ln, k);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/* <stateDir>/.netd.lock, flock'd for the daemon's life: one netd per state
 * directory. Holds our PID for people. A network name cannot start with a
 * dot, so no network's folder can take this name. */
static int take_lock(const char *state_dir)
{
	char path[PATH_MAX], pid[32] = "";
	int fd;

	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST) {
		log_err("creating %s: %s", state_dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/.netd.lock", state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_err("opening %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);

		if (n > 0)
			pid[strcspn(pid, "\n")] = '\0';
		log_err("another netd (pid %s) already runs on %s", pid[0] ? pid : "?", state_dir);
		close(fd);
		return -1;
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, strlen(pid), 0) < 0)
		log_debug("writing the pid to %s failed", path);
	return fd;
}

static int run_daemon(struct netd_opts *o)
{
	struct netd_daemon d;
	_cleanup_close_ int lock = -1, ep = -1, sfd = -1;
	int rc = 1;

	memset(&d, 0, sizeof(d));
	d.o = o;
	d.listen_fd = -1;
	d.ev.link_fd = d.ev.nft_fd = -1;
	d.st.ino_fd = -1;
	d.started = (int64_t)time(NULL);
	d.run_pass = netd_run_pass;
	lock = take_lock(o->state_dir);
	if (lock < 0)
		return 1;
	if (netd_setup(&d, &sfd, &ep) == 0) {
		log_info("serving %s on %s, %zu attachments, pass every %u s, DHCP %s",
			 o->state_dir, o->socket, d.st.n, o->interval_s, d.dhcp ? "on" : "off");
		rc = netd_serve(&d, ep, sfd);
	}
	d.full = netd_full_free(d.full);
	d.full_links = vmnet_link_snap_free(d.full_links);
	netd_doomed_tend(&d.doomed, 0, true);
	d.status_nft = vmnet_nft_close(d.status_nft);
	netd_conns_close_all(&d.conns);
	if (d.listen_fd >= 0) {
		close(d.listen_fd);
		unlink(o->socket);
	}
	netd_dhcp_close(d.dhcp);
	netd_feed6_close(d.feed6, d.guest6);
	netd_guest6_close(d.guest6);
	netd_fwd_close(d.fwd);
	vmnet_events_close(&d.ev);
	netd_targets_free(&d.targets);
	netd_state_free(&d.st);
	return rc;
}

/* `netd COMMAND [ARGS]`: ask the running daemon; argv[optind] on is ARGS. */
static int client(const struct netd_opts *o, const char *cmd, int argc, char **argv)
{
	struct netd_request req = { .version = NETD_PROTO_VERSION };

	if (netd_cmd_parse(cmd, &req.cmd) < 0) {
		fprintf(stderr, "netd: unknown command \"%s\"\n", cmd);
		usage(stderr);
		return 2;
	}
	if (req.cmd == NETD_CMD_LEASE) {
		if (optind >= argc || strlen(argv[optind]) >= sizeof(req.cid)) {
			fprintf(stderr, "netd: lease needs a container ID\n");
			return 2;
		}
		snprintf(req.cid, sizeof(req.cid), "%s", argv[optind++]);
		if (optind < argc) {
			if (strlen(argv[optind]) >= sizeof(req.ifname)) {
				fprintf(stderr, "netd: interface name too long\n");
				return 2;
			}
			snprintf(req.ifname, sizeof(req.ifname), "%s", argv[optind++]);
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	return netd_client_run(o, &req);
}

/* optarg as a number of @unit in @min..@max into *@ret: 0, or -1 (said). */
static int opt_num(const char *opt, unsigned min, unsigned max, const char *unit, unsigned *ret)
{
	char *end;
	unsigned long v = strtoul(optarg, &end, 10);

	if (!*optarg || *end || v < min || v > max) {
		fprintf(stderr, "netd: %s wants %u..%u %s\n", opt, min, max, unit);
		return -1;
	}
	*ret = (unsigned)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "cni-path", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "config", required_argument, NULL, 'C' },
		{ "step-ms", required_argument, NULL, 'T' },
		{ "no-dhcp", no_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "kernel-arg", no_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct netd_opts o = { .state_dir = VMNET_STATE_DIR, .socket = VMNET_NETD_SOCK,
			       .cni_path = DEFAULT_CNI_PATH, .interval_s = 10, .step_ms = 10, .dhcp = true };
	struct netd_opts cli = { .step_ms = UINT_MAX }; /* UINT_MAX: not given */
	const char *config = NULL, *cmd = NULL;
	int c, level = VMNET_LOG_INFO, verbose = 0, quiet = 0, no_dhcp = 0;

	vmnet_log_init("netd");
	vmnet_json_seed();
	vmnet_delegate_register(&vmnet_ipam_inproc);
	while ((c = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
		switch (c) {
		case 's': cli.state_dir = optarg; break;
		case 'S': cli.socket = optarg; break;
		case 'c': cli.cni_path = optarg; break;
		case 'i':
			if (opt_num("--interval", 1, 86400, "seconds", &cli.interval_s) < 0)
				return 2;
			break;
		case 'C': config = optarg; break;
		case 'T':
			if (opt_num("--step-ms", 0, 1000, "milliseconds", &cli.step_ms) < 0)
				return 2;
			break;
		case 'D': no_dhcp = 1; break;
		case 'j': o.json = true; break;
		case 'k': o.kernel_arg = true; break;
		case 'v': verbose++; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (config && read_config(config, &o, &level) < 0)
		return 2;
	if (cli.state_dir)
		o.state_dir = cli.state_dir;
	if (cli.socket)
		o.socket = cli.socket;
	if (cli.cni_path)
		o.cni_path = cli.cni_path;
	if (cli.interval_s) /* 0 is no interval */
		o.interval_s = cli.interval_s;
	if (cli.step_ms != UINT_MAX)
		o.step_ms = cli.step_ms;
	if (no_dhcp)
		o.dhcp = false;
	if (!o.interval_s)
		o.interval_s = 10;
	if (verbose)
		level = VMNET_LOG_DEBUG;
	if (quiet)
		level = VMNET_LOG_WARN;
	vmnet_log_set_level((enum vmnet_log_level)level);

	if (optind < argc)
		cmd = argv[optind++];
	if (!cmd || !strcmp(cmd, "run")) {
		if (optind < argc) {
			usage(stderr);
			return 2;
		}
		return run_daemon(&o);
	}
	return client(&o, cmd, argc, argv);
}
