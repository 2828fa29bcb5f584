/* SPDX-License-Identifier: MIT */
/*
 * Hand-off of slow-to-close descriptors and slow-to-delete devices to netd
 * (include/vmnet/handoff.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vmnet/attach.h"
#include "vmnet/common.h"
#include "vmnet/err.h"
#include "vmnet/handoff.h"
#include "vmnet/link.h"
#include "vmnet/log.h"
#include "vmnet/names.h"
#include "vmnet/record.h"

struct doomed {
	char network[129], cid[257], ifname[IFNAMSIZ], tap[IFNAMSIZ];
	int fd; /* index into kept.fd: the VM namespace */
};

static struct {
	bool enabled;
	int sock; /* connected to netd (vmnet_handoff_netd), else -1 */
	bool tried;
	int n;
	int fd[VMNET_HANDOFF_MAX];
	int n_doomed;
	struct doomed doomed[VMNET_HANDOFF_MAX];
} kept = { .sock = -1 };

static struct {
	bool (*keep)(int fd, void *data);
	void *data;
} sink;

void vmnet_handoff_enable(void)
{
	kept.enabled = true;
}

bool vmnet_handoff_enabled(void)
{
	return kept.enabled || sink.keep;
}

/* Not kept.enabled: that is a plugin call's, whose devices go to netd. */
void vmnet_handoff_sink(bool (*keep)(int fd, void *data), void *data)
{
	sink.keep = keep;
	sink.data = data;
}

bool vmnet_handoff_keep(int fd)
{
	if (sink.keep && fd >= 0)
		return sink.keep(fd, sink.data);
	if (!kept.enabled || fd < 0 || kept.n == VMNET_HANDOFF_MAX)
		return false;
	kept.fd[kept.n++] = fd;
	return true;
}

int vmnet_netd_connect(bool nonblock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = getenv("VMNET_NETD_SOCKET");
	int fd, flags = SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0);

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s",
		     path && *path ? path : VMNET_NETD_SOCK) >= (int)sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, flags, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

bool vmnet_handoff_netd(void)
{
	if (!kept.enabled)
		return false;
	if (!kept.tried) {
		kept.tried = true;
		kept.sock = vmnet_netd_connect(true);
	}
	return kept.sock >= 0;
}

bool vmnet_handoff_doom(const struct vmnet_record *rec, int nsfd, const char *tap)
{
	struct doomed *d = &kept.doomed[kept.n_doomed];
	int fd;

	if (!vmnet_handoff_netd() || kept.n_doomed == VMNET_HANDOFF_MAX ||
	    kept.n == VMNET_HANDOFF_MAX)
		return false;
	fd = fcntl(nsfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return false;
	snprintf(d->network, sizeof(d->network), "%s", rec->network);
	snprintf(d->cid, sizeof(d->cid), "%s", rec->cid);
	snprintf(d->ifname, sizeof(d->ifname), "%s", rec->ifname);
	snprintf(d->tap, sizeof(d->tap), "%s", tap);
	d->fd = kept.n;
	kept.fd[kept.n++] = fd;
	kept.n_doomed++;
	return true;
}

/* netd's "release" request (netd/proto.h): the doomed devices, each with
 * the index of its namespace among the descriptors. */
static char *release_request(void)
{
	json_auto_t *v = json_pack("{s:i,s:s}", "version", 1, "command", "release");
	json_t *arr = json_array();
	char *s, *line = NULL;

	if (!v || !arr)
		return json_decref(arr), NULL;
	for (int i = 0; i < kept.n_doomed; i++) {
		const struct doomed *d = &kept.doomed[i];

		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:i}", "network", d->network,
						     "cid", d->cid, "ifname", d->ifname, "tap",
						     d->tap, "fd", d->fd));
	}
	json_object_set_new(v, "doomed", arr);
	s = json_dumps(v, JSON_COMPACT);
	if (s && asprintf(&line, "%s\n", s) < 0)
		line = NULL;
	free(s);
	return line;
}

/* One sendmsg: the request with every kept descriptor. */
static int send_kept(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VMNET_HANDOFF_MAX)] = { 0 };
	_cleanup_free_ char *req = release_request();
	struct iovec iov = { .iov_base = req, .iov_len = req ? strlen(req) : 0 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)kept.n) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	if (!req)
		return -ENOMEM;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)kept.n);
	memcpy(CMSG_DATA(c), kept.fd, sizeof(int) * (size_t)kept.n);
	if (sendmsg(sock, &m, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)iov.iov_len)
		return -errno;
	return 0;
}

int vmnet_handoff_release(void)
{
	int handed = 0;

	if (kept.n && vmnet_handoff_netd() && send_kept(kept.sock) == 0)
		handed = kept.n;
	if (kept.n)
		log_debug("%d descriptor(s) %s", kept.n,
			  handed ? "handed to netd" : "closed here (netd did not take them)");
	/* What netd did not take is removed here, as without hand-off. */
	for (int i = 0; i < kept.n_doomed && !handed; i++) {
		const struct doomed *d = &kept.doomed[i];
		struct vmnet_err e = { 0 };

		if (vmnet_attach_doomed_remove(kept.fd[d->fd], d->tap, &e) < 0)
			log_warn("removing the devices of %s/%s@%s: %s", d->network, d->cid,
				 d->ifname, e.msg);
	}
	for (int i = 0; i < kept.n; i++)
		close(kept.fd[i]);
	if (kept.sock >= 0)
		close(kept.sock);
	kept.sock = -1;
	kept.tried = false;
	kept.n = kept.n_doomed = 0;
	return handed;
}

#define REAP_MAX 256

struct reap {
	int64_t now;
	unsigned min_age_s, left;
	size_t n;
	int idx[REAP_MAX];	/* deleted after the dump: not on its socket meanwhile */
};

static int reap_one(const struct vmnet_link_info *li, void *arg)
{
	struct reap *p = arg;
	size_t n = strlen(VMNET_ALIAS_DOOMED);
	char *end;
	long long since;

	if (strncmp(li->name, VMNET_PREFIX_DOOMED, strlen(VMNET_PREFIX_DOOMED)) ||
	    strncmp(li->alias, VMNET_ALIAS_DOOMED, n))
		return 0;
	since = strtoll(li->alias + n, &end, 10);
	if (*end || end == li->alias + n)
		return 0;
	if (p->now - since < (int64_t)p->min_age_s || p->n == REAP_MAX)
		p->left++;
	else
		p->idx[p->n++] = li->ifindex;
	return 0;
}

/* From snapshot @s: its doomed veths, each looked up again by index before
 * it goes (the snapshot is older than a dump would be: the device may be
 * gone, or another by now). */
static int reap_snap(struct vmnet_nl *nl, const struct vmnet_link_snap *s, struct reap *p,
		     struct vmnet_err *err)
{
	struct reap seen = { .now = p->now, .min_age_s = p->min_age_s };

	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].kind, "veth"))
			reap_one(&s->v[i], &seen);
	p->left = seen.left;
	for (size_t i = 0; i < seen.n; i++) {
		struct vmnet_link_info li;
		int r = vmnet_link_get_index(nl, seen.idx[i], &li, NULL);

		if (vmnet_err_is_gone(r))
			continue;
		if (r < 0)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "looking up a doomed device");
		if (!strcmp(li.kind, "veth"))
			reap_one(&li, p);
	}
	return 0;
}

int vmnet_handoff_reap(struct vmnet_nl *nl, const struct vmnet_link_snap *s, unsigned min_age_s,
		       unsigned *ret_left, struct vmnet_err *err)
{
	struct reap p = { .min_age_s = min_age_s };
	struct timespec ts;
	int r, first = 0;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	p.now = (int64_t)ts.tv_sec;
	r = s ? reap_snap(nl, s, &p, err) : vmnet_link_walk(nl, "veth", -1, reap_one, &p, err);
	if (ret_left)
		*ret_left = p.left;
	if (r < 0)
		return r;
	/* Each with its peer (and so the VM side's veth). */
	for (size_t i = 0; i < p.n; i++) {
		r = vmnet_link_del_index(nl, p.idx[i], NULL);
		if (r < 0 && !vmnet_err_is_gone(r) && !first)
			first = r;
	}
	if (first)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -first, "deleting a doomed device");
	return 0;
}
