/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipam.h"
#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/log.h"
#include "vmnet/record.h"

#define IPAM_TIMEOUT_MS 30000
#define IPAM_OUT_MAX 65536

static int find_plugin(const char *cni_path, const char *type, char *buf, size_t size)
{
	const char *p = cni_path;

	if (strchr(type, '/') || !strcmp(type, ".") || !strcmp(type, ".."))
		return -EINVAL;
	while (p && *p) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n && (size_t)snprintf(buf, size, "%.*s/%s", (int)n, p, type) < size &&
		    access(buf, X_OK) == 0)
			return 0;
		p = end ? end + 1 : p + n;
	}
	return -ENOENT;
}

/* stdin as a sealed-size memfd: no pump, no deadlock on a large config. */
static int stdin_fd(const char *buf, size_t len)
{
	int fd = memfd_create("netd-ipam", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return (int)n;
		}
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

int netd_ipam_release(const char *cni_path, const struct vmnet_record *rec,
		      struct vmnet_err *err)
{
	char path[PATH_MAX], out[IPAM_OUT_MAX + 1], sink[4096];
	char e_cmd[] = "CNI_COMMAND=DEL", e_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	_cleanup_free_ char *conf = NULL, *e_cid = NULL, *e_if = NULL, *e_cni = NULL;
	_cleanup_close_ int in = -1, rd = -1;
	int pipefd[2], status, r;
	posix_spawn_file_actions_t fa;
	size_t olen = 0;
	pid_t pid;

	if (!rec->ipam_type[0])
		return 0;
	if (find_plugin(cni_path, rec->ipam_type, path, sizeof(path)) < 0)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, ENOENT,
				     "ipam: plugin \"%s\" not found in \"%.200s\"", rec->ipam_type,
				     cni_path);
	if (!rec->netconf || !(conf = vmnet_json_dump(rec->netconf)))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, EINVAL,
				     "ipam: the record has no network config to release with");
	if (asprintf(&e_cid, "CNI_CONTAINERID=%s", rec->cid) < 0 ||
	    asprintf(&e_if, "CNI_IFNAME=%s", rec->ifname) < 0 ||
	    asprintf(&e_cni, "CNI_PATH=%s", cni_path) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "ipam");
	in = stdin_fd(conf, strlen(conf));
	if (in < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -in, "ipam: stdin");
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "ipam: pipe");
	rd = pipefd[0];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	{
		/* CNI_NETNS is left out: the namespace is gone (or being let go). */
		char *argv[] = { rec->ipam_type[0] ? (char *)rec->ipam_type : NULL, NULL };
		char *envp[] = { e_cmd, e_cid, e_if, e_cni, e_path, NULL };

		r = posix_spawn(&pid, path, &fa, NULL, argv, envp);
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (r)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, r, "ipam: running %s", path);
	for (;;) {
		struct pollfd p = { rd, POLLIN, 0 };
		ssize_t n;

		r = poll(&p, 1, IPAM_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (olen < IPAM_OUT_MAX)
			n = read(rd, out + olen, IPAM_OUT_MAX - olen);
		else
			n = read(rd, sink, sizeof(sink)); /* keep draining, keep the head */
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (olen < IPAM_OUT_MAX)
			olen += (size_t)n;
	}
	out[olen] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		json_auto_t *res = olen ? vmnet_json_load(out, olen, NULL) : NULL;
		const char *msg = res ? json_string_value(json_object_get(res, "msg")) : NULL;

		return vmnet_err_set(err, VMNET_ERR_SYSTEM, 0, "ipam %s DEL failed: %.300s",
				     rec->ipam_type, msg ? msg : out);
	}
	return 0;
}
