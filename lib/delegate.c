/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmnet/cni.h"
#include "vmnet/delegate.h"
#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/record.h"

extern char **environ;

static int find_plugin(const char *cni_path, const char *type, char *buf, size_t size)
{
	const char *p = cni_path;

	if (!*type || strchr(type, '/') || !strcmp(type, ".") || !strcmp(type, ".."))
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

/* Our environment with CNI_COMMAND replaced; only the new entry is owned. */
static char **inherit_env(const char *command, char **ret_own)
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
	if (asprintf(ret_own, "CNI_COMMAND=%s", command) < 0) {
		free(env);
		return NULL;
	}
	env[j] = *ret_own;
	return env;
}

/* stdin as a memfd: the child reads it at its pace, so there is no pump and
 * no deadlock however large the config and the result are. */
static int stdin_fd(const char *buf, size_t len)
{
	int fd = memfd_create("vmnet-delegate", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return (int)n;
		}
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Read the child's stdout to EOF, bounded in size and time. */
static int read_output(int fd, pid_t pid, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *out = NULL;
	size_t len = 0, cap = 0;
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += VMNET_DELEGATE_TIMEOUT_MS / 1000;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long left = ms_left(&deadline);
		ssize_t n;
		int r;

		if (left <= 0) {
			kill(pid, SIGKILL);
			return -ETIMEDOUT;
		}
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			continue;
		if (len + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 16384;
			if (cap > VMNET_JSON_MAX_SIZE * 2) {
				kill(pid, SIGKILL);
				return -EMSGSIZE;
			}
			nb = realloc(out, cap);
			if (!nb)
				return -ENOMEM;
			out = nb;
		}
		n = read(fd, out + len, cap - len - 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!out && !(out = malloc(1)))
		return -ENOMEM;
	out[len] = '\0';
	*ret = steal_ptr(out);
	*ret_len = len;
	return 0;
}

/* What a plugin printed and how it exited, read as the spec says: its
 * result, or its error JSON made our error with its code and message. */
static int reply(const char *type, const char *command, int status, const char *output,
		 size_t olen, json_t **ret_result, struct vmnet_err *err)
{
	json_auto_t *res = olen ? vmnet_json_load(output, olen, NULL) : NULL;

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		json_t *code = res ? json_object_get(res, "code") : NULL;
		const char *msg = res ? json_string_value(json_object_get(res, "msg")) : NULL;
		const char *det = res ? json_string_value(json_object_get(res, "details")) : NULL;
		int c = json_is_integer(code) ? (int)json_integer_value(code) : VMNET_ERR_SYSTEM;

		if (c <= 0 || c > 999)
			c = VMNET_ERR_SYSTEM;
		if (msg || det)
			return vmnet_err_set(err, c, 0, "ipam %s %s: %s%s%s", type, command,
					     msg ? msg : "", msg && det ? ": " : "", det ? det : "");
		return vmnet_err_set(err, c, 0, "ipam %s %s failed (status %d): %.200s", type,
				     command, WIFEXITED(status) ? WEXITSTATUS(status) : -1, output);
	}
	if (olen && !res)
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "ipam %s %s: output is not JSON", type,
				     command);
	if (ret_result)
		*ret_result = steal_ptr(res);
	return 0;
}

static int spawn(const char *path, const char *type, const char *command, char *const envp[],
		 const char *stdin_buf, size_t stdin_len, json_t **ret_result,
		 struct vmnet_err *err)
{
	_cleanup_free_ char *output = NULL;
	_cleanup_close_ int in = -1, rd = -1;
	posix_spawn_file_actions_t fa;
	int pipefd[2], r, status;
	size_t olen = 0;
	pid_t pid;

	in = stdin_fd(stdin_buf, stdin_len);
	if (in < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, -in, "ipam: stdin");
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "ipam: pipe");
	rd = pipefd[0];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	{
		char *argv[] = { (char *)type, NULL };

		/* posix_spawn uses vfork: cheap even for a large parent. */
		r = posix_spawn(&pid, path, &fa, NULL, argv, envp);
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (r)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, r, "ipam: running %s", path);
	r = read_output(rd, pid, &output, &olen);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return vmnet_err_set(err, r == -ETIMEDOUT ? CNI_ERR_TRY_AGAIN : VMNET_ERR_SYSTEM, -r,
				     "ipam: %s %s", type, command);
	return reply(type, command, status, output, olen, ret_result, err);
}

static const struct vmnet_delegate_inproc *inproc;

void vmnet_delegate_register(const struct vmnet_delegate_inproc *ip)
{
	inproc = ip;
}

static bool in_process(const char *type)
{
	const char *force = getenv("VMNET_IPAM_EXEC");

	return inproc && !strcmp(type, inproc->type) && !(force && *force && strcmp(force, "0"));
}

/* The linked plugin, answering as its exec'd twin would: a failure is
 * printed as the error JSON the skeleton prints on exit 1 and read back by
 * reply(), so both paths give one code and one message. */
static int call(const char *type, const char *command, char *const envp[], const char *stdin_buf,
		size_t stdin_len, json_t **ret_result, struct vmnet_err *err)
{
	struct vmnet_err perr = { 0 };
	_cleanup_free_ char *out = NULL;
	json_t *res = NULL;
	size_t olen = 0;
	FILE *f;

	if (inproc->call(envp, stdin_buf, stdin_len, &res, &perr) >= 0) {
		if (ret_result)
			*ret_result = res;
		else
			json_decref(res);
		return 0;
	}
	if (!(f = open_memstream(&out, &olen)))
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "ipam: %s %s", type, command);
	vmnet_cni_print_error(f, NULL, &perr);
	if (fclose(f) != 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "ipam: %s %s", type, command);
	return reply(type, command, W_EXITCODE(1, 0), out, olen, NULL, err);
}

int vmnet_delegate_env(const char *cni_path, const char *type, const char *command,
		       char *const envp[], const char *stdin_buf, size_t stdin_len,
		       json_t **ret_result, struct vmnet_err *err)
{
	char path[PATH_MAX];
	_cleanup_free_ char *own = NULL;
	_cleanup_free_ char **env = NULL;

	/* Looked for either way: a missing plugin is the same error. */
	if (find_plugin(cni_path, type, path, sizeof(path)) < 0)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "ipam: plugin \"%.64s\" not found in CNI_PATH \"%.200s\"", type,
				     cni_path ? cni_path : "");
	if (!envp) {
		env = inherit_env(command, &own);
		if (!env)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "ipam: environment");
		envp = env;
	}
	if (in_process(type))
		return call(type, command, envp, stdin_buf, stdin_len, ret_result, err);
	return spawn(path, type, command, envp, stdin_buf, stdin_len, ret_result, err);
}

/* IPAM DEL from netd: a clean environment (netd's own is not the
 * runtime's), and no CNI_NETNS: the namespace is gone or being let go. The
 * plugin the runtime's ADD used first (the record's CNI_PATH, checked when
 * the record was read), then netd's own. */
static int release_own_env(const struct vmnet_record *rec, const char *type,
			   const char *cni_path, const char *conf, size_t len,
			   struct vmnet_err *err)
{
	char e_cmd[] = "CNI_COMMAND=DEL", e_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	_cleanup_free_ char *e_cid = NULL, *e_if = NULL, *e_cni = NULL, *path = NULL;

	if (asprintf(&path, "%s%s%s", rec->cni_path, rec->cni_path[0] ? ":" : "", cni_path) < 0 ||
	    asprintf(&e_cid, "CNI_CONTAINERID=%s", rec->cid) < 0 ||
	    asprintf(&e_if, "CNI_IFNAME=%s", rec->ifname) < 0 ||
	    asprintf(&e_cni, "CNI_PATH=%s", path) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "ipam");
	{
		char *envp[] = { e_cmd, e_cid, e_if, e_cni, e_path, NULL };

		return vmnet_delegate_env(path, type, "DEL", envp, conf, len, NULL, err);
	}
}

int vmnet_delegate_release(const struct vmnet_record *rec, const struct vmnet_release *how,
			   struct vmnet_err *err)
{
	_cleanup_free_ char *buf = NULL;
	const char *type = rec->ipam_type[0] ? rec->ipam_type : how->type;
	const char *conf = how->conf;
	size_t len = how->conf_len;

	if (!type)
		return 0;
	if (rec->netconf && (buf = vmnet_json_dump(rec->netconf))) {
		conf = buf;
		len = strlen(buf);
	}
	if (!conf)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, EINVAL,
				     "ipam: the record has no network config to release with");
	if (how->own_env)
		return release_own_env(rec, type, how->cni_path, conf, len, err);
	return vmnet_delegate(how->cni_path, type, "DEL", conf, len, NULL, err);
}
