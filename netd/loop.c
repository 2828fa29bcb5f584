/* SPDX-License-Identifier: MIT */
/*
 * netd's loop (daemon.h): one thread, one epoll set. Signals, the control
 * socket and its clients, inotify on the records, the kernel's link and
 * nftables events, firewalld's bus, DHCP and RA/DHCPv6 sockets; and the
 * passes: an incremental one DEBOUNCE_MS after events, a full one at the
 * interval (or when events cannot be narrowed down). A full pass runs in
 * steps (full.c) with everything else served between them; while the
 * plugin's calls come meanwhile, a step waits as long as the last took.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "daemon.h"
#include "dhcp.h"
#include "docker_user.h"
#include "feed6.h"
#include "firewalld.h"
#include "guest6.h"
#include "lease.h"
#include "linger.h"
#include "loop.h"
#include "pool.h"
#include "reap.h"
#include "server.h"
#include "vmnet/clock.h"
#include "vmnet/common.h"
#include "vmnet/handoff.h"
#include "vmnet/log.h"
#include "vmnet/park.h"
#include "vmnet/record.h"

#define DEBOUNCE_MS 100
#define BUSY_RETRY_MS 500

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

/* The start of every pass: what events and record changes since the last
 * one name, into d->targets. */
static void pass_targets(struct netd_daemon *d)
{
	d->n_host_dns = netd_resolv_read("/etc/resolv.conf", d->host_dns, NETD_LEASE_MAX_DNS);
	/* Records written since the last inotify read count too. */
	netd_state_handle_events(&d->st);
	netd_targets_add_events(&d->targets, &d->st, &d->ev);
	netd_reap_note(d, &d->ev);
	vmnet_events_reset(&d->ev);
	netd_targets_add_changes(&d->targets, &d->st);
	netd_state_forget_changes(&d->st);
}

/* After reconcile: IPv6 guests, firewalld, parked taps and doomed host
 * ends, Docker's chain; then the pass's cost and the next one's schedule.
 * @us: what the pass cost before (in reconcile). */
static void pass_done(struct netd_daemon *d, int64_t us)
{
	struct netd_reconcile_stats *p = &d->last_pass;
	int64_t t1 = netd_now_us();

	netd_feed6_sync(d->feed6, d->guest6, &d->st);
	fwd_sync(d);
	netd_reap(d, p->last_full);
	netd_docker_sync(d);
	log_debug("pass: reconcile %lld us, the rest %lld us", (long long)us,
		  (long long)(netd_now_us() - t1));
	/* The whole pass is what a pass costs. */
	us += netd_now_us() - t1;
	*(p->last_full ? &p->last_full_us : &p->last_incr_us) = (unsigned)us;
	if (p->last_full) /* one in steps: full_step says */
		p->last_full_step_us = (unsigned)us;
	p->duration_ms = (unsigned)(us / 1000);
	/* After the timing: spare inodes for the next ADDs (netd/pool.h). */
	p->pooled += netd_pools_tend(&d->st);
	d->last_pass_end = vmnet_mono_ms();
	d->due_pass = after_pass_due(d);
	/* Only a full pass restarts the clock of the next: events every few
	 * seconds (a busy host's calls) must not put the periodic full pass
	 * off forever. */
	if (p->last_full)
		d->due_periodic = vmnet_mono_ms() + netd_full_every_ms(p, d->o->interval_s);
}

/* One step of the full pass under way: some of its records read or
 * checked, or its end, or the rest of the pass (pass_done), each a step
 * the loop serves clients, DHCP and events after. While events come (the
 * plugin's calls), the next step waits as long as this one took: the pass
 * then takes at most half a CPU from them. */
static void full_step(struct netd_daemon *d, int64_t budget_us)
{
	int64_t t0 = netd_now_us(), took;
	int stage = d->full_stage;

	switch (d->full_stage) {
	case NETD_FULL_NONE:
		return;
	case NETD_FULL_STEPS:
		if (netd_full_step(d->full, budget_us))
			d->full_stage = NETD_FULL_END;
		break;
	case NETD_FULL_END:
		netd_full_end(d->full, d->o->cni_path, &d->targets, &d->full_links);
		d->full = NULL;
		d->full_stage = NETD_FULL_REST;
		break;
	case NETD_FULL_REST:
		d->full_stage = NETD_FULL_NONE;
		pass_done(d, d->pass_us);
		took = netd_now_us() - t0;
		log_debug("full pass: the rest %lld us", (long long)took);
		d->last_pass.last_full_step_us =
			(unsigned)(took > d->step_max_us ? took : d->step_max_us);
		return;
	}
	took = netd_now_us() - t0;
	log_debug("full pass: %s step %lld us", stage == NETD_FULL_END ? "the end" : "a",
		  (long long)took);
	if (took > d->step_max_us)
		d->step_max_us = took;
	d->pass_us += took;
	d->full_due = vmnet_mono_ms() + (d->due_ev ? took / 1000 : 0);
}

/* A pass: a full one when d->targets.all is set (the interval, SIGHUP,
 * `netd reconcile`, what events cannot narrow down), else one over what
 * the events and record changes since the last pass name. @stepped: a full
 * one is begun here and its steps run from the loop. */
static void pass(struct netd_daemon *d, bool stepped)
{
	int64_t t0 = netd_now_us();

	pass_targets(d);
	if (!stepped || !d->targets.all) {
		netd_reconcile_targets(&d->st, d->o->cni_path, &d->targets, &d->last_pass);
		pass_done(d, netd_now_us() - t0);
		return;
	}
	d->targets.n = 0;
	d->targets.all = false;
	if (netd_full_begin(&d->st, &d->last_pass, &d->full) < 0) {
		d->targets.all = true;
		pass_done(d, netd_now_us() - t0);
		return;
	}
	d->pass_us = d->step_max_us = netd_now_us() - t0;
	d->full_due = vmnet_mono_ms();
	d->full_stage = NETD_FULL_STEPS;
}

/* A whole pass now (the first, `netd reconcile`): one under way is ended
 * first, so that what the caller did before is seen. */
void netd_run_pass(struct netd_daemon *d)
{
	while (d->full_stage != NETD_FULL_NONE)
		full_step(d, INT64_MAX);
	pass(d, false);
}

/* When the loop must wake next: the nearest of what is due. While a full
 * pass runs, its next step: nothing else starts meanwhile, and the
 * periodic pass's time, past when that pass is the one running, would make
 * the loop spin between the steps (pass_done sets the next). */
static int64_t next_wake(const struct netd_daemon *d)
{
	int64_t wake = d->due_periodic, conns = netd_conns_next_deadline(&d->conns);

	if (d->full_stage != NETD_FULL_NONE)
		return d->full_due;
	if (d->due_ev && d->due_ev < wake)
		wake = d->due_ev;
	if (d->due_pass && d->due_pass < wake)
		wake = d->due_pass;
	if (conns && conns < wake)
		wake = conns;
	if (netd_doomed_due(&d->doomed) && netd_doomed_due(&d->doomed) < wake)
		wake = netd_doomed_due(&d->doomed);
	return wake;
}

/* The loop, until a signal ends it (0) or epoll fails (1). */
int netd_serve(struct netd_daemon *d, int ep, int sfd)
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
		int64_t now = vmnet_mono_ms(), wake = next_wake(d);
		int n = epoll_wait(ep, evs, ARRAY_SIZE(evs), wake > now ? (int)(wake - now) : 0);

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
		/* No other pass while a full one is under way: what events
		 * name meanwhile waits for the one after (due_ev stays). */
		if (d->full_stage != NETD_FULL_NONE) {
			if (now >= d->full_due)
				full_step(d, (int64_t)d->o->step_ms * 1000);
		} else if ((d->due_ev && now >= d->due_ev) || (d->due_pass && now >= d->due_pass) ||
			   now >= d->due_periodic) {
			d->targets.all |= now >= d->due_periodic;
			d->due_ev = 0;
			pass(d, true);
		}
	}
}

/* State, events, DHCP, signals, the first pass, the socket: 0 or -1. */
int netd_setup(struct netd_daemon *d, int *ret_sfd, int *ret_ep)
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
	netd_run_pass(d);
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
