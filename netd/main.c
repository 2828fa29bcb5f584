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
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "daemon.h"
#include "docker_user.h"
#include "pool.h"
#include "reap.h"
#include "dhcp.h"
#include "feed6.h"
#include "guest6.h"
#include "firewalld.h"
#include "server.h"
#include "vmnet/clock.h"
#include "vmnet/handoff.h"
#include "vmnet/delegate.h"
#include "vmnet/err.h"
#include "vmnet/ipam.h"
#include "vmnet/json.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "vmnet/nl.h"
#include "vmnet/park.h"
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
		"  --config FILE     KEY=VALUE defaults: STATE_DIR SOCKET CNI_PATH INTERVAL\n"
		"                    LOG_LEVEL DHCP (command-line options win)\n"
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

/* DHCP: the lease of the record whose guest MAC is @mac and whose host
 * side the packet arrived on (a shared network's bridge or the VM's port,
 * an isolated VM's host device). */
static int dhcp_lookup(void *ctx, const uint8_t mac[6], int ifindex, struct netd_lease *ret)
{
	struct netd_daemon *d = ctx;
	char dev[IF_NAMESIZE];
	struct netd_entry *e;

	if (!if_indextoname((unsigned)ifindex, dev))
		return -ENOENT;
	/* Records written since the last inotify read count too. */
	netd_state_handle_events(&d->st);
	e = netd_state_find_mac(&d->st, mac, dev);
	/* No IPv4 address: a pending record written before IPAM answered, or
	 * an IPv6-only guest (never a lease of 0.0.0.0). */
	if (!e || !vmnet_record_has4(&e->rec))
		return -ENOENT;
	netd_lease_from_record(&e->rec, d->host_dns, d->n_host_dns, ret);
	return 0;
}

static int add_fd(int ep, int fd)
{
	struct epoll_event e = { .events = EPOLLIN, .data.fd = fd };

	return fd < 0 ? 0 : epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

/* Every signal read: 1 after a SIGHUP (a pass now), -1 to exit, 0 if none. */
static int read_signals(int sfd)
{
	struct signalfd_siginfo si;
	int want = 0;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: reconciling now");
			want = 1;
			continue;
		}
		log_info("%s: exiting", strsignal((int)si.ssi_signo));
		return -1;
	}
	return want;
}

/* One ready fd: 1 if a pass is due, 0 if not, -1 to exit. */
static int dispatch(struct netd_daemon *d, int sfd, const struct epoll_event *ev)
{
	int fd = ev->data.fd;

	if (fd == sfd) {
		int r = read_signals(sfd);

		d->targets.all |= r > 0;
		return r;
	}
	if (fd == d->listen_fd)
		netd_conns_accept(&d->conns, d);
	else if (fd == d->st.ino_fd)
		/* Noted, read at the pass (DEBOUNCE_MS later) or by a reader
		 * before: an ADD's three rewrites of its record, one read. */
		return netd_state_note_events(&d->st) > 0;
	else if (fd == d->ev.link_fd || fd == d->ev.nft_fd)
		return vmnet_events_handle(&d->ev, fd) > 0;
	else if (fd >= 0 && fd == netd_fwd_fd(d->fwd))
		return netd_fwd_handle(d->fwd);
	else if (d->dhcp && fd == netd_dhcp_fd(d->dhcp))
		netd_dhcp_handle(d->dhcp);
	else if (d->guest6 && fd == netd_guest6_fd(d->guest6))
		netd_guest6_handle(d->guest6);
	else
		netd_conns_handle(&d->conns, d, fd, ev->events);
	return 0;
}

/* vmnet's host-side devices into firewalld's zone: the bridge of each
 * shared attachment, the host device of each isolated one. */
static void fwd_sync(struct netd_daemon *d)
{
	_cleanup_free_ const char **devs = calloc(d->st.n + 1, sizeof(*devs));
	size_t i;

	/* A bus that came (back) after netd started: its fd joins the loop. */
	if (netd_fwd_reconnect(d->fwd) > 0 && add_fd(d->conns.ep, netd_fwd_fd(d->fwd)) < 0)
		log_warn("firewalld: epoll: %s", strerror(errno));
	if (!devs) {
		d->fwd_retry = true;
		return;
	}
	for (i = 0; i < d->st.n; i++) {
		const struct vmnet_record *r = &d->st.v[i]->rec;

		devs[i] = r->mode == VMNET_MODE_SHARED ? r->bridge : r->host_if;
	}
	d->fwd_retry = netd_fwd_sync(d->fwd, devs, d->st.n) > 0;
}

/* A full pass when d->targets.all is set (the interval, SIGHUP, `netd
 * reconcile`, what events cannot narrow down), else one over what the
 * events and record changes since the last pass name. */
static void run_pass(struct netd_daemon *d)
{
	struct netd_reconcile_stats *p = &d->last_pass;
	int64_t t0 = netd_now_us(), t1;
	unsigned us;

	d->n_host_dns = netd_resolv_read("/etc/resolv.conf", d->host_dns, NETD_LEASE_MAX_DNS);
	/* Records written since the last inotify read count too. */
	netd_state_handle_events(&d->st);
	netd_targets_add_events(&d->targets, &d->st, &d->ev);
	netd_reap_note(d, &d->ev);
	vmnet_events_reset(&d->ev);
	netd_targets_add_changes(&d->targets, &d->st);
	netd_state_forget_changes(&d->st);
	netd_reconcile_targets(&d->st, d->o->cni_path, &d->targets, p);
	t1 = netd_now_us();
	netd_feed6_sync(d->feed6, d->guest6, &d->st);
	fwd_sync(d);
	netd_reap(d, p->last_full);
	netd_docker_sync(d);
	/* The whole pass is what a pass costs. */
	us = (unsigned)(netd_now_us() - t0);
	log_debug("pass: reconcile %lld us, the rest %lld us", (long long)(t1 - t0),
		  (long long)(netd_now_us() - t1));
	*(p->last_full ? &p->last_full_us : &p->last_incr_us) = us;
	p->duration_ms = us / 1000;
	/* After the timing: spare inodes for the next ADDs (netd/pool.h). */
	p->pooled += netd_pools_tend(&d->st);
}

/* A pass that took P ms waits 2P after the last one, P of its own kind: an
 * incremental pass does not wait for the length of a full one. */
static int64_t event_due(const struct netd_daemon *d)
{
	const struct netd_reconcile_stats *p = &d->last_pass;
	bool full = d->targets.all || d->ev.all || d->st.changed_all;
	int64_t due = vmnet_mono_ms() + DEBOUNCE_MS;
	int64_t spaced = d->last_pass_end + 2 * (int64_t)(full ? p->last_full_us : p->last_incr_us) / 1000;

	return spaced > due ? spaced : due;
}

/* The loop, until a signal ends it (0) or epoll fails (1). */
/* When the pass just made wants the next one: soon when a lock was busy, a
 * namespace must be looked for again or firewalld failed; when the parked
 * taps age out, or a skipped look for them is due; else only on events or
 * the interval (0). */
static int64_t after_pass_due(const struct netd_daemon *d)
{
	int64_t due = 0;

	if (d->last_pass.busy || d->last_pass.recheck || d->fwd_retry)
		due = vmnet_mono_ms() + BUSY_RETRY_MS;
	else if (d->last_pass.doomed)
		due = vmnet_mono_ms() + VMNET_DOOMED_AGE_S * 1000 + 100;
	else if (d->last_pass.parked)
		due = vmnet_mono_ms() + VMNET_PARK_AGE_S * 1000 + 100;
	/* A look for parked taps the pass skipped (netd/reap.h). */
	if (netd_reap_due(d) && (!due || netd_reap_due(d) < due))
		due = netd_reap_due(d);
	return due;
}

static int serve(struct netd_daemon *d, int ep, int sfd)
{
	/* Two reasons for a pass besides the interval: events (due_ev) and
	 * what the last pass asked for (due_pass, e.g. parked taps aging
	 * out): an event must not wait for a later timer. The first pass (in
	 * setup) may want the next one soon too. The schedule lives in the
	 * daemon, where netd status reads it (server.c). */
	d->due_ev = 0;
	d->due_pass = after_pass_due(d);
	d->due_periodic = vmnet_mono_ms() + netd_full_every_ms(&d->last_pass, d->o->interval_s);

	for (;;) {
		struct epoll_event evs[16];
		int64_t now = vmnet_mono_ms(), wake = d->due_periodic;
		int n, timeout;

		if (d->due_ev && d->due_ev < wake)
			wake = d->due_ev;
		if (d->due_pass && d->due_pass < wake)
			wake = d->due_pass;
		if (netd_conns_next_deadline(&d->conns) && netd_conns_next_deadline(&d->conns) < wake)
			wake = netd_conns_next_deadline(&d->conns);
		if (netd_doomed_due(&d->doomed) && netd_doomed_due(&d->doomed) < wake)
			wake = netd_doomed_due(&d->doomed);
		timeout = wake > now ? (int)(wake - now) : 0;
		n = epoll_wait(ep, evs, ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n; i++) {
			int r = dispatch(d, sfd, &evs[i]);

			if (r < 0)
				return 0;
			/* Debounced, but never postponed past DEBOUNCE_MS after
			 * the first event: a storm cannot starve the pass. Nor
			 * can it keep netd busy: a pass that took P ms waits
			 * 2P after the last one (at most a third of a CPU; a
			 * pass over 1,000 attachments takes ~0.5 s). */
			if (r > 0 && !d->due_ev)
				d->due_ev = event_due(d);
		}
		now = vmnet_mono_ms();
		netd_conns_expire(&d->conns, now);
		netd_doomed_tend(&d->doomed, now, false);
		if ((d->due_ev && now >= d->due_ev) || (d->due_pass && now >= d->due_pass) ||
		    now >= d->due_periodic) {
			d->targets.all |= now >= d->due_periodic;
			run_pass(d);
			d->last_pass_end = vmnet_mono_ms();
			d->due_ev = 0;
			d->due_pass = after_pass_due(d);
			/* Only a full pass restarts the clock of the next:
			 * events every few seconds (a busy host's calls)
			 * must not put the periodic full pass off forever. */
			if (d->last_pass.last_full)
				d->due_periodic = vmnet_mono_ms() +
						  netd_full_every_ms(&d->last_pass,
								     d->o->interval_s);
		}
	}
}

/* State, events, DHCP, signals, the first pass, the socket: 0 or -1. */
static int setup(struct netd_daemon *d, int *ret_sfd, int *ret_ep)
{
	const struct netd_opts *o = d->o;
	struct vmnet_err err = { 0 };
	sigset_t mask;
	int sfd, ep;

	if (netd_state_init(&d->st, o->state_dir, &err) < 0 || vmnet_events_open(&d->ev, &err) < 0) {
		log_err("%s", err.msg);
		return -1;
	}
	if (o->dhcp) {
		vmnet_err_clear(&err);
		if (netd_dhcp_open(dhcp_lookup, d, &d->dhcp, &err) < 0) {
			snprintf(d->dhcp_error, sizeof(d->dhcp_error), "%.250s", err.msg);
			log_warn("DHCP disabled: %s", err.msg);
		}
		/* Inert until a link is added (netd_guest6_link_add). */
		vmnet_err_clear(&err);
		if (netd_guest6_open(&d->guest6, &err) < 0 || netd_feed6_open(&d->feed6) < 0) {
			log_warn("RA and DHCPv6 disabled: %s", err.msg[0] ? err.msg : strerror(ENOMEM));
			d->guest6 = netd_guest6_close(d->guest6);
		}
	} else {
		snprintf(d->dhcp_error, sizeof(d->dhcp_error), "(--no-dhcp)");
	}
	if (netd_fwd_open(&d->fwd) < 0) {
		log_err("firewalld: %s", strerror(ENOMEM));
		return -1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	*ret_sfd = sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	*ret_ep = ep = epoll_create1(EPOLL_CLOEXEC);
	netd_conns_init(&d->conns, ep);
	/* netd's own netfilter sockets linger too (netd/linger.h). */
	netd_linger_init(&d->conns.linger);
	vmnet_handoff_sink(netd_linger_keep, &d->conns.linger);
	if (sfd < 0 || ep < 0) {
		log_err("signalfd/epoll: %s", strerror(errno));
		return -1;
	}
	/* The first pass runs before the socket opens: whoever connects sees
	 * a reconciled state (and the plugin's requireNetd a working netd). */
	d->targets.all = true;
	run_pass(d);
	vmnet_err_clear(&err);
	if (netd_server_open(o->socket, &d->listen_fd, &err) < 0) {
		log_err("%s", err.msg);
		return -1;
	}
	if (add_fd(ep, sfd) < 0 || add_fd(ep, d->listen_fd) < 0 || add_fd(ep, d->st.ino_fd) < 0 ||
	    add_fd(ep, d->ev.link_fd) < 0 || add_fd(ep, d->ev.nft_fd) < 0 ||
	    add_fd(ep, netd_fwd_fd(d->fwd)) < 0 || (d->dhcp && add_fd(ep, netd_dhcp_fd(d->dhcp)) < 0) ||
	    (d->guest6 && add_fd(ep, netd_guest6_fd(d->guest6)) < 0)) {
		log_err("epoll: %s", strerror(errno));
		return -1;
	}
	return 0;
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
	d.run_pass = run_pass;
	lock = take_lock(o->state_dir);
	if (lock < 0)
		return 1;
	if (setup(&d, &sfd, &ep) == 0) {
		log_info("serving %s on %s, %zu attachments, pass every %u s, DHCP %s",
			 o->state_dir, o->socket, d.st.n, o->interval_s, d.dhcp ? "on" : "off");
		rc = serve(&d, ep, sfd);
	}
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "cni-path", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "config", required_argument, NULL, 'C' },
		{ "no-dhcp", no_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "kernel-arg", no_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct netd_opts o = { .state_dir = VMNET_STATE_DIR, .socket = VMNET_NETD_SOCK,
			       .cni_path = DEFAULT_CNI_PATH, .interval_s = 10, .dhcp = true };
	struct netd_opts cli = { 0 };
	const char *config = NULL, *cmd = NULL;
	int c, level = VMNET_LOG_INFO, verbose = 0, quiet = 0, no_dhcp = 0, cli_interval = 0;
	char *end;

	vmnet_log_init("netd");
	vmnet_json_seed();
	vmnet_delegate_register(&vmnet_ipam_inproc);
	while ((c = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
		switch (c) {
		case 's': cli.state_dir = optarg; break;
		case 'S': cli.socket = optarg; break;
		case 'c': cli.cni_path = optarg; break;
		case 'i':
			cli.interval_s = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !cli.interval_s || cli.interval_s > 86400) {
				fprintf(stderr, "netd: --interval wants 1..86400 seconds\n");
				return 2;
			}
			cli_interval = 1;
			break;
		case 'C': config = optarg; break;
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
	if (cli_interval)
		o.interval_s = cli.interval_s;
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
