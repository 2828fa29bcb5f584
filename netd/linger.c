/* SPDX-License-Identifier: MIT */
/* Netfilter sockets closed once nf_tables is quiet (linger.h says why). */
#include <sys/resource.h>
#include <unistd.h>

#include "linger.h"
#include "vmnet/clock.h"
#include "vmnet/handoff.h"
#include "vmnet/log.h"
#include "vmnet/nft.h"

/* Read the generation; false if it cannot be read (no socket, an error). */
static bool look(struct netd_linger *l, int64_t now)
{
	uint32_t gen;

	if (!l->gen_nft && vmnet_nft_open(-1, &l->gen_nft, NULL) < 0)
		return false;
	if (vmnet_nft_genid(l->gen_nft, &gen) < 0)
		return false;
	if (!l->gen_at || gen != l->gen) {
		l->gen = gen;
		l->gen_at = now;
	}
	return true;
}

/* No commit for NETD_LINGER_QUIET_MS, as far as the looks tell (the
 * generation's change is dated by the look that first saw it: late, never
 * early). What cannot be told counts as quiet: the close then happens as it
 * would without the look. */
static bool quiet(struct netd_linger *l, int64_t now)
{
	return !look(l, now) || now - l->gen_at >= NETD_LINGER_QUIET_MS;
}

static void close_all(struct netd_linger *l)
{
	for (size_t i = 0; i < l->n; i++)
		close(l->fd[i]);
	l->released += l->n_handed;
	l->n = l->n_handed = 0;
}

void netd_linger_init(struct netd_linger *l)
{
	struct rlimit rl;

	l->cap = 128;
	/* Open now: a descriptor for as long as netd runs, not one more later. */
	(void)vmnet_nft_open(-1, &l->gen_nft, NULL);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < NETD_LINGER_NOFILE && rl.rlim_max > rl.rlim_cur) {
		rl.rlim_cur = rl.rlim_max < NETD_LINGER_NOFILE ? rl.rlim_max : NETD_LINGER_NOFILE;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	l->cap = rl.rlim_cur / 4 < NETD_LINGER_MAX ? rl.rlim_cur / 4 : NETD_LINGER_MAX;
}

void netd_linger_add(struct netd_linger *l, int fd, bool handed)
{
	int64_t now = vmnet_mono_ms();

	if (l->n >= (l->cap ? l->cap : 128)) {
		log_debug("linger: %zu descriptors and nf_tables never quiet: closing them now",
			  l->n);
		l->forced++;
		close_all(l);
	}
	if (!l->n) {
		l->at = now + NETD_LINGER_MS;
		/* Dated now, so that a quiet namespace closes at l->at. */
		look(l, now);
	}
	l->fd[l->n++] = fd;
	l->n_handed += handed;
}

bool netd_linger_keep(int fd, void *data)
{
	netd_linger_add(data, fd, false);
	return true;
}

void netd_linger_tend(struct netd_linger *l, int64_t now, bool all)
{
	if (!l->n || (!all && now < l->at))
		return;
	if (!all && !quiet(l, now)) {
		l->waited++;
		l->at = now + NETD_LINGER_QUIET_MS;
		return;
	}
	close_all(l);
}

int64_t netd_linger_due(const struct netd_linger *l)
{
	return l->n ? l->at : 0;
}

void netd_linger_end(struct netd_linger *l)
{
	/* Closes from now on are plain ones, this socket's first. */
	vmnet_handoff_sink(NULL, NULL);
	l->gen_nft = vmnet_nft_close(l->gen_nft);
	close_all(l);
}
