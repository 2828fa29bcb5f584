/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin.h"
#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/log.h"

extern char **environ;

static int find_plugin(const char *cni_path, const char *type, char *buf, size_t size)
{
	const char *p = cni_path;

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

/* The child's environment: ours with CNI_COMMAND replaced. */
static char **child_env(const char *command)
{
	size_t n = 0, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "CNI_COMMAND=", 12))
			env[j++] = environ[i];
	if (asprintf(&env[j], "CNI_COMMAND=%s", command) < 0) {
		free(env);
		return NULL;
	}
	return env;
}

static void free_env(char **env)
{
	size_t n = 0;

	if (!env)
		return;
	while (env[n])
		n++;
	free(env[n - 1]); /* only CNI_COMMAND is ours */
	free(env);
}

static int pump(int in_fd, const char *buf, size_t len, int out_fd, char **ret_out, size_t *ret_len)
{
	_cleanup_free_ char *out = NULL;
	size_t off = 0, olen = 0, cap = 0;

	for (;;) {
		struct pollfd p[2] = { { in_fd, POLLOUT, 0 }, { out_fd, POLLIN, 0 } };
		int np = 0;

		if (in_fd >= 0)
			np++;
		if (poll(in_fd >= 0 ? p : p + 1, in_fd >= 0 ? 2 : 1, 60000) <= 0) {
			if (errno == EINTR)
				continue;
			return -ETIMEDOUT;
		}
		if (in_fd >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(in_fd, buf + off, len - off);

			if (n > 0)
				off += (size_t)n;
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				off = len; /* the child stopped reading: fine */
			if (off >= len) {
				close(in_fd);
				in_fd = -1;
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n;

			if (olen + 4096 > cap) {
				char *nb;

				cap = cap ? cap * 2 : 16384;
				if (cap > VMNET_JSON_MAX_SIZE * 2)
					return -EMSGSIZE;
				nb = realloc(out, cap);
				if (!nb)
					return -ENOMEM;
				out = nb;
			}
			n = read(out_fd, out + olen, cap - olen - 1);
			if (n == 0)
				break;
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				return -errno;
			if (n > 0)
				olen += (size_t)n;
		}
		(void)np;
	}
	if (in_fd >= 0)
		close(in_fd);
	if (!out && !(out = malloc(1)))
		return -ENOMEM;
	out[olen] = '\0';
	*ret_out = steal_ptr(out);
	*ret_len = olen;
	return 0;
}

int vmnet_delegate(const char *cni_path, const char *type, const char *command,
		   const char *stdin_buf, size_t stdin_len, json_t **ret_result,
		   struct vmnet_err *err)
{
	char path[PATH_MAX];
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	_cleanup_free_ char *output = NULL;
	json_auto_t *res = NULL;
	size_t olen = 0;
	char **env = NULL;
	pid_t pid;
	int r, status;

	if (find_plugin(cni_path, type, path, sizeof(path)) < 0)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam: plugin \"%s\" not found in CNI_PATH \"%.200s\"", type,
				     cni_path ? cni_path : "");
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		r = vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "ipam: pipe");
		goto out;
	}
	env = child_env(command);
	if (!env) {
		r = vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "ipam: environment");
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	{
		char *argv[] = { (char *)type, NULL };

		/* posix_spawn uses vfork: cheap even for a large parent. */
		r = posix_spawn(&pid, path, &fa, NULL, argv, env);
	}
	posix_spawn_file_actions_destroy(&fa);
	if (r) {
		r = vmnet_err_set(err, VMNET_ERR_SYSTEM, r, "ipam: running %s", path);
		goto out;
	}
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	signal(SIGPIPE, SIG_IGN);
	r = pump(in[1], stdin_buf, stdin_len, out[0], &output, &olen);
	in[1] = -1; /* pump closed it */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0) {
		r = vmnet_err_set(err, VMNET_ERR_SYSTEM, -r, "ipam: talking to %s %s", type, command);
		goto out;
	}
	if (olen) {
		struct vmnet_err jerr = { 0 };

		res = vmnet_json_load(output, olen, &jerr);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		json_t *code = res ? json_object_get(res, "code") : NULL;
		const char *msg = res ? json_string_value(json_object_get(res, "msg")) : NULL;
		const char *det = res ? json_string_value(json_object_get(res, "details")) : NULL;
		int c = json_is_integer(code) ? (int)json_integer_value(code) : VMNET_ERR_SYSTEM;

		if (c <= 0 || c > 999)
			c = VMNET_ERR_SYSTEM;
		if (msg || det)
			r = vmnet_err_set(err, c, 0, "ipam %s %s: %s%s%s", type, command,
					  msg ? msg : "", msg && det ? ": " : "", det ? det : "");
		else
			r = vmnet_err_set(err, c, 0, "ipam %s %s failed (status %d): %.200s", type,
					  command, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
					  output ? output : "");
		goto out;
	}
	if (olen && !res) {
		r = vmnet_err_set(err, CNI_ERR_DECODE, 0, "ipam %s %s: output is not JSON", type,
				  command);
		goto out;
	}
	if (ret_result)
		*ret_result = steal_ptr(res);
	r = 0;
out:
	free_env(env);
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return r;
}
