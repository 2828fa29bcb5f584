// SPDX-License-Identifier: MIT
/*
 * drive — a minimal CNI runtime for tests/bench/compare.sh.
 *
 * It calls plugins the way libcni (containerd, podman's CNI backend, CRI-O)
 * does: one exec per plugin of a conflist, CNI_* in the environment, the
 * plugin's config on stdin with "name", "cniVersion", "runtimeConfig" (only
 * the capabilities the plugin declares) and, from the second plugin on and
 * on DEL, "prevResult"; ADD in list order, DEL in reverse order with the
 * cached ADD result as prevResult. It also runs netavark setup/teardown.
 *
 * One long-lived process reads commands on stdin and answers one line each,
 * so the shell driving the benchmark pays no process start per operation.
 * The process enters the given host network namespace with setns() before
 * each operation, like a runtime that lives in the host namespace; only the
 * plugin execs are timed (posix_spawn to reap, CLOCK_MONOTONIC).
 *
 *   add HOSTNS CONFLIST CID IFNAME NETNS HPORT CPORT [NPORTS]
 *   del HOSTNS CONFLIST CID IFNAME NETNS HPORT CPORT [NPORTS]
 *   nv  HOSTNS setup|teardown OPTSFILE NETNS
 *   start HOSTNS BINARY
 *   exec HOSTNS PROGRAM [ARG...]
 *   quit
 * Reply: "ok MICROSECONDS MAXRSS_KB" or "err EXIT_CODE message".
 * NPORTS (default 1) publishes TCP host ports HPORT..HPORT+NPORTS-1, each to
 * CPORT. "@IFNAME@" in CONFLIST is replaced by IFNAME (per-attachment tap
 * names when several attachments share a VM namespace).
 * "start" execs BINARY as a runtime asks a plugin for its version
 * (CNI_COMMAND=VERSION, {"cniVersion":"1.0.0"} on stdin): the plugin's own
 * start, the floor of every call; any BINARY (/bin/true) works. "exec"
 * times PROGRAM with its arguments (e.g. ip enslaving a device to a bridge).
 *
 * Environment: CNI_PATH (plugin directories), DRIVE_NETAVARK (netavark
 * binary), DRIVE_NV_CONFIG (netavark --config dir), DRIVE_LOG (a file for
 * the plugins' stderr; default /dev/null), DRIVE_RESULT_DIR (if set, each
 * ADD result is also written to DIR/CID@IFNAME.json, untimed), DRIVE_RSS
 * (if set, trace every plugin and its children with ptrace and report, as
 * "ok MICROSECONDS MAX_KB SUM_KB PROCS", the largest VmHWM of one process of
 * the call, the sum of the VmHWMs of all its processes and their number
 * (the plugin and every process it started), each read when the
 * process exits: the call's memory including any child, an upper bound of
 * what was resident at once; the time is then not meaningful; without it
 * the RSS is wait4()'s, which includes the pages of this process at fork,
 * so it is only an upper bound), DRIVE_WRAP (a command, split at spaces,
 * that every plugin runs under: "strace -f -c -w -o FILE" for a profile),
 * DRIVE_SMAPS (a directory; with DRIVE_RSS, each traced process's
 * /proc/PID/smaps is copied there as it exits, CALL-PID.smaps with CALL
 * counting the commands: where its resident pages are, mapping by mapping;
 * and CALL-PID.pages, every resident page of a file mapping),
 * DRIVE_NETD_DIR (if set, each CNI plugin gets
 * VMNET_NETD_SOCKET=DIR/<name of the host netns>.sock: the netd of the host
 * namespace it runs in).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <spawn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct cached {
	char *key;
	json_t *result;
};

static struct cached *cache;
static size_t n_cache, cap_cache;
static const char *log_path = "/dev/null";
static int rss_tree; /* DRIVE_RSS: VmHWM of every process of a call */
static long rss_sum; /* the call's sum of VmHWMs (DRIVE_RSS) */
static int rss_procs; /* the call's processes (DRIVE_RSS) */
static const char *smaps_dir; /* DRIVE_SMAPS */
static int n_call; /* commands read, for DRIVE_SMAPS's file names */
static char *wrap[16]; /* DRIVE_WRAP, split */
static int n_wrap;

static json_t **cache_slot(const char *key, int create)
{
	for (size_t i = 0; i < n_cache; i++)
		if (!strcmp(cache[i].key, key))
			return &cache[i].result;
	if (!create)
		return NULL;
	if (n_cache == cap_cache) {
		cap_cache = cap_cache ? 2 * cap_cache : 256;
		cache = realloc(cache, cap_cache * sizeof(*cache));
		if (!cache)
			abort();
	}
	cache[n_cache].key = strdup(key);
	cache[n_cache].result = NULL;
	return &cache[n_cache++].result;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int enter_ns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = setns(fd, CLONE_NEWNET);
	close(fd);
	return r;
}

/* VmHWM of PID in KiB; *leader: PID is its thread group's leader. */
static long hwm_kb(pid_t pid, int *leader)
{
	char path[64], line[256];
	long kb = 0, tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	*leader = 0;
	if (!(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %ld", &tgid) != 1)
			(void)sscanf(line, "VmHWM: %ld", &kb);
	fclose(f);
	*leader = tgid == pid;
	return kb;
}

/* DRIVE_SMAPS: copy PID's /proc/PID/smaps (it is exiting, its memory still
 * mapped) to DIR/CALL-PID.smaps. */
static void save_smaps(pid_t pid)
{
	char path[64], dst[4200], buf[8192];
	int in, out;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	snprintf(dst, sizeof(dst), "%s/%d-%d.smaps", smaps_dir, n_call, (int)pid);
	if ((in = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) >= 0) {
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, n) != n)
				break;
		close(out);
	}
	close(in);
}

/* DRIVE_SMAPS: the resident pages of PID's file mappings, one line each
 * ("FILE OFFSET", hex; the heap and the stack too), from /proc/PID/maps and /proc/PID/pagemap, to
 * DIR/CALL-PID.pages: which pages of a library a call touched (with the
 * kernel's fault-around, 64 KiB around each touched page). */
static void save_pages(pid_t pid)
{
	char path[64], dst[4200], line[4400], file[4096];
	unsigned long lo, hi, off;
	FILE *maps, *out;
	int pm;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	snprintf(dst, sizeof(dst), "%s/%d-%d.pages", smaps_dir, n_call, (int)pid);
	if (!(maps = fopen(path, "r")))
		return;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	pm = open(path, O_RDONLY | O_CLOEXEC);
	out = fopen(dst, "w");
	while (pm >= 0 && out && fgets(line, sizeof(line), maps)) {
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %4095s", &lo, &hi, &off, file) != 4 ||
		    (file[0] != '/' && strcmp(file, "[heap]") && strcmp(file, "[stack]")))
			continue;
		for (unsigned long a = lo; a < hi; a += 4096) {
			unsigned long long e;

			if (pread(pm, &e, sizeof(e), (off_t)(a / 4096 * 8)) == sizeof(e) && e >> 63)
				fprintf(out, "%s %lx\n", file, off + (a - lo));
		}
	}
	if (out)
		fclose(out);
	if (pm >= 0)
		close(pm);
	fclose(maps);
}

/* Follow PID (stopped by PTRACE_TRACEME + SIGSTOP) and every process it
 * starts until all have exited; each process's VmHWM at its exit goes into
 * *max_kb (the largest) and *sum_kb. Returns PID's wait status. */
static int trace_tree(pid_t pid, long *max_kb, long *sum_kb)
{
	int st, status = 0, leader;
	long kb;
	pid_t w;

	if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st))
		return st;
	ptrace(PTRACE_SETOPTIONS, pid, 0,
	       PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC |
		       PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL);
	ptrace(PTRACE_CONT, pid, 0, 0);
	while ((w = waitpid(-1, &st, __WALL)) > 0) {
		int sig = 0;

		if (!WIFSTOPPED(st)) {
			if (w == pid)
				status = st;
			continue;
		}
		if (st >> 16 == PTRACE_EVENT_EXIT) {
			kb = hwm_kb(w, &leader);
			if (leader) {
				rss_procs++;
				if (smaps_dir) {
					save_smaps(w);
					save_pages(w);
				}
				*sum_kb += kb;
				if (kb > *max_kb)
					*max_kb = kb;
			}
		} else if (!(st >> 16) && WSTOPSIG(st) != SIGSTOP) {
			sig = WSTOPSIG(st); /* a real signal: deliver it */
		}
		ptrace(PTRACE_CONT, w, 0, sig);
	}
	return status;
}

static int collect(int status, int ifd, int ofd, char **out);

/* Run ARGV with ENVP, IN (len bytes) on stdin; stdout returned in *out
 * (malloc'd, NUL-terminated). Adds the wall time to *us, keeps the largest
 * max RSS in *rss. Returns the exit status (or 128+signal). */
static int run(char *const argv[], char *const envp[], const char *in, size_t len, char **out,
	       double *us, long *rss)
{
	int ifd = memfd_create("stdin", MFD_CLOEXEC), ofd = memfd_create("stdout", MFD_CLOEXEC);
	long max = 0, sum = 0;
	struct rusage ru;
	int status = 0;
	double t0;
	pid_t pid;

	char *wrapped[64];

	if (n_wrap) {
		int k = 0;

		for (; k < n_wrap; k++)
			wrapped[k] = wrap[k];
		for (int j = 0; argv[j] && k < 63; j++)
			wrapped[k++] = argv[j];
		wrapped[k] = NULL;
		argv = wrapped;
	}
	if (ifd < 0 || ofd < 0 || write(ifd, in, len) != (ssize_t)len || lseek(ifd, 0, SEEK_SET)) {
		if (ifd >= 0)
			close(ifd);
		if (ofd >= 0)
			close(ofd);
		return 127;
	}
	if (!rss_tree) {
		/* posix_spawn (vfork + exec, as Go runtimes start plugins): the
		 * time does not grow with this process's size as fork's would
		 * (its page tables grow with the cached results). */
		posix_spawn_file_actions_t fa;

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, ifd, 0);
		posix_spawn_file_actions_adddup2(&fa, ofd, 1);
		posix_spawn_file_actions_addopen(&fa, 2, log_path, O_WRONLY | O_APPEND | O_CREAT, 0644);
		t0 = now_us();
		if (posix_spawn(&pid, argv[0], &fa, NULL, argv, envp))
			pid = -1;
		posix_spawn_file_actions_destroy(&fa);
		if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
			return collect(127 << 8, ifd, ofd, out);
		*us += now_us() - t0;
		if (ru.ru_maxrss > *rss)
			*rss = ru.ru_maxrss;
		return collect(status, ifd, ofd, out);
	}
	t0 = now_us();
	pid = fork();
	if (pid == 0) {
		int efd = open(log_path, O_WRONLY | O_APPEND | O_CREAT, 0644);

		dup2(ifd, 0);
		dup2(ofd, 1);
		if (efd >= 0)
			dup2(efd, 2);
		if (rss_tree && (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0 || raise(SIGSTOP)))
			_exit(127);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	if (pid < 0)
		return collect(127 << 8, ifd, ofd, out);
	/* exec resets VmHWM, so none of our pages count */
	status = trace_tree(pid, &max, &sum);
	if (max > *rss)
		*rss = max;
	if (sum > rss_sum)
		rss_sum = sum;
	*us += now_us() - t0;
	return collect(status, ifd, ofd, out);
}

/* The child's stdout into *out; closes IFD and OFD; the exit code (or
 * 128+signal) from STATUS. */
static int collect(int status, int ifd, int ofd, char **out)
{
	off_t n = lseek(ofd, 0, SEEK_END);

	*out = calloc(1, n + 1);
	if (n > 0 && pread(ofd, *out, n, 0) != n)
		n = 0;
	close(ifd);
	close(ofd);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static char *find_plugin(const char *type)
{
	const char *p = getenv("CNI_PATH");
	static char buf[4096];

	while (p && *p) {
		size_t l = strcspn(p, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)l, p, type);
		if (access(buf, X_OK) == 0)
			return buf;
		p += l + (p[l] == ':');
	}
	return NULL;
}

static char *read_subst(const char *path, const char *ifname)
{
	FILE *f = fopen(path, "r");
	char *text = NULL, *res, *q;
	size_t size = 0, il = strlen(ifname);
	const char *s;

	if (!f)
		return NULL;
	if (getdelim(&text, &size, '\0', f) < 0) {
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	res = malloc(strlen(text) * (il + 1) + 1);
	for (s = text, q = res; *s;) {
		if (!strncmp(s, "@IFNAME@", 8)) {
			memcpy(q, ifname, il);
			q += il;
			s += 8;
		} else {
			*q++ = *s++;
		}
	}
	*q = 0;
	free(text);
	return res;
}

static void reply_ok(double us, long rss)
{
	if (rss_tree)
		printf("ok %.0f %ld %ld %d\n", us, rss, rss_sum, rss_procs);
	else
		printf("ok %.0f %ld\n", us, rss);
	rss_sum = 0;
	rss_procs = 0;
}

static void reply_err(int rc, const char *fmt, const char *arg)
{
	printf("err %d ", rc);
	printf(fmt, arg);
	printf("\n");
}

/* The host namespace the current command runs in (its /run/netns path). */
static const char *cur_hostns = "";

static void cni(int add, char **a, int na)
{
	const char *conflist = a[1], *cid = a[2], *ifname = a[3], *netns = a[4];
	int hport = atoi(a[5]), cport = atoi(a[6]), nports = na > 7 ? atoi(a[7]) : 1;
	char key[1024], *text, *out = NULL;
	json_t *list, *plugins, *ports, **slot;
	double us = 0;
	long rss = 0;
	size_t np;

	snprintf(key, sizeof(key), "%s/%s/%s", conflist, cid, ifname);
	text = read_subst(conflist, ifname);
	list = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	plugins = json_object_get(list, "plugins");
	if (!json_is_array(plugins)) {
		reply_err(7, "cannot read conflist %s", conflist);
		json_decref(list);
		return;
	}
	ports = json_array();
	for (int i = 0; i < nports; i++)
		json_array_append_new(ports, json_pack("{s:i,s:i,s:s}", "hostPort", hport + i,
						       "containerPort", cport, "protocol", "tcp"));
	slot = cache_slot(key, add);
	np = json_array_size(plugins);
	for (size_t k = 0; k < np; k++) {
		json_t *p = json_deep_copy(json_array_get(plugins, add ? k : np - 1 - k));
		json_t *caps = json_object_get(p, "capabilities"), *prev;
		const char *t = json_string_value(json_object_get(p, "type"));
		char type[256], *path, *conf, env[7][1100];
		char *envp[9], *argv[2];
		const char *nd = getenv("DRIVE_NETD_DIR"), *hb = strrchr(cur_hostns, '/');
		int rc;

		/* a copy: TYPE is printed after P is freed */
		snprintf(type, sizeof(type), "%s", t ? t : "(no type)");
		path = t ? find_plugin(type) : NULL;
		if (!path) {
			reply_err(7, "plugin %s not in CNI_PATH", type);
			json_decref(p);
			goto done;
		}
		json_object_set(p, "name", json_object_get(list, "name"));
		json_object_set(p, "cniVersion", json_object_get(list, "cniVersion"));
		if (json_is_true(json_object_get(caps, "portMappings")))
			json_object_set_new(p, "runtimeConfig",
					    json_pack("{s:O}", "portMappings", ports));
		prev = add ? (k ? *slot : NULL) : (slot ? *slot : NULL);
		if (prev)
			json_object_set(p, "prevResult", prev);
		conf = json_dumps(p, JSON_COMPACT);
		json_decref(p);
		snprintf(env[0], sizeof(env[0]), "CNI_COMMAND=%s", add ? "ADD" : "DEL");
		snprintf(env[1], sizeof(env[1]), "CNI_CONTAINERID=%s", cid);
		snprintf(env[2], sizeof(env[2]), "CNI_NETNS=%s", netns);
		snprintf(env[3], sizeof(env[3]), "CNI_IFNAME=%s", ifname);
		snprintf(env[4], sizeof(env[4]), "CNI_PATH=%s", getenv("CNI_PATH"));
		snprintf(env[5], sizeof(env[5]), "PATH=%s", getenv("PATH"));
		snprintf(env[6], sizeof(env[6]), "VMNET_NETD_SOCKET=%s/%s.sock", nd ? nd : "",
			 hb ? hb + 1 : cur_hostns);
		for (int e = 0; e < 7; e++)
			envp[e] = env[e];
		envp[7] = "CNI_ARGS=IgnoreUnknown=1";
		envp[8] = NULL;
		if (!nd)
			envp[6] = envp[7], envp[7] = NULL;
		argv[0] = path;
		argv[1] = NULL;
		free(out);
		out = NULL;
		rc = run(argv, envp, conf, strlen(conf), &out, &us, &rss);
		free(conf);
		if (rc) {
			char *nl;

			while ((nl = strchr(out ? out : "", '\n')))
				*nl = ' ';
			printf("err %d %s: %s\n", rc, type, out ? out : "");
			goto done;
		}
		if (add) {
			json_t *r = json_loads(out, 0, NULL);

			if (!r) {
				reply_err(6, "%s: result is not JSON", type);
				goto done;
			}
			json_decref(*slot);
			*slot = r;
		}
	}
	if (add && getenv("DRIVE_RESULT_DIR") && *getenv("DRIVE_RESULT_DIR")) {
		char path[1200];

		snprintf(path, sizeof(path), "%s/%s@%s.json", getenv("DRIVE_RESULT_DIR"), cid, ifname);
		json_dump_file(*slot, path, JSON_COMPACT);
	}
	if (!add && slot) {
		json_decref(*slot);
		*slot = NULL;
	}
	reply_ok(us, rss);
done:
	free(out);
	json_decref(ports);
	json_decref(list);
}

static void nv(char **a)
{
	const char *verb = a[1], *opts = a[2], *netns = a[3];
	const char *bin = getenv("DRIVE_NETAVARK") ? getenv("DRIVE_NETAVARK") : "/usr/lib/podman/netavark";
	const char *cfg = getenv("DRIVE_NV_CONFIG") ? getenv("DRIVE_NV_CONFIG") : "/run/netavark";
	char *text = read_subst(opts, ""), *out = NULL, pathenv[4200];
	char *argv[] = { (char *)bin, "--config", (char *)cfg, (char *)verb, (char *)netns, NULL };
	char *envp[] = { pathenv, NULL };
	double us = 0;
	long rss = 0;
	int rc;

	if (!text) {
		reply_err(5, "cannot read %s", opts);
		return;
	}
	snprintf(pathenv, sizeof(pathenv), "PATH=%s", getenv("PATH"));
	rc = run(argv, envp, text, strlen(text), &out, &us, &rss);
	if (rc) {
		for (char *nl; out && (nl = strchr(out, '\n'));)
			*nl = ' ';
		printf("err %d netavark %s: %s\n", rc, verb, out ? out : "");
	} else {
		reply_ok(us, rss);
	}
	free(out);
	free(text);
}

/* The plugin's own start: BINARY answering VERSION, timed like a call. */
static void start(char **a)
{
	static const char in[] = "{\"cniVersion\":\"1.0.0\"}";
	char pathenv[4200], *out = NULL;
	char *argv[] = { a[1], NULL };
	char *envp[] = { "CNI_COMMAND=VERSION", pathenv, NULL };
	double us = 0;
	long rss = 0;
	int rc;

	snprintf(pathenv, sizeof(pathenv), "PATH=%s", getenv("PATH"));
	rc = run(argv, envp, in, strlen(in), &out, &us, &rss);
	if (rc)
		printf("err %d %s exited %d\n", rc, a[1], rc);
	else
		reply_ok(us, rss);
	free(out);
}

/* Any program with its arguments, timed like a call (A: NULL-terminated). */
static void exec_cmd(char **a)
{
	char pathenv[4200], *out = NULL;
	char *envp[] = { pathenv, NULL };
	double us = 0;
	long rss = 0;
	int rc;

	snprintf(pathenv, sizeof(pathenv), "PATH=%s", getenv("PATH"));
	rc = run(a + 1, envp, "", 0, &out, &us, &rss);
	if (rc)
		printf("err %d %s exited %d\n", rc, a[1], rc);
	else
		reply_ok(us, rss);
	free(out);
}

int main(void)
{
	char *line = NULL, *a[16];
	size_t size = 0;

	if (getenv("DRIVE_LOG"))
		log_path = getenv("DRIVE_LOG");
	rss_tree = getenv("DRIVE_RSS") && *getenv("DRIVE_RSS");
	if (getenv("DRIVE_SMAPS") && *getenv("DRIVE_SMAPS"))
		smaps_dir = getenv("DRIVE_SMAPS");
	if (getenv("DRIVE_WRAP")) {
		char *w = strdup(getenv("DRIVE_WRAP"));

		for (char *t = strtok(w, " "); t && n_wrap < 15; t = strtok(NULL, " "))
			wrap[n_wrap++] = t;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (getline(&line, &size, stdin) > 0) {
		int na = 0;

		for (char *t = strtok(line, " \t\n"); t && na < 15; t = strtok(NULL, " \t\n"))
			a[na++] = t;
		a[na] = NULL;
		if (!na)
			continue;
		rss_sum = 0;
		rss_procs = 0;
		n_call++;
		if (!strcmp(a[0], "quit"))
			break;
		if (na < 2 || enter_ns(a[1]) < 0) {
			reply_err(4, "cannot enter %s", na > 1 ? a[1] : "(no netns)");
			continue;
		}
		/* a[1] is consumed: shift so the handlers see their own arguments
		 * at a[1]... */
		cur_hostns = a[1];
		a[1] = a[0];
		if ((!strcmp(a[0], "add") || !strcmp(a[0], "del")) && na >= 8)
			cni(a[0][0] == 'a', a + 1, na - 1);
		else if (!strcmp(a[0], "nv") && na == 5)
			nv(a + 1);
		else if (!strcmp(a[0], "start") && na == 3)
			start(a + 1);
		else if (!strcmp(a[0], "exec") && na >= 3)
			exec_cmd(a + 1);
		else
			reply_err(2, "bad command %s", a[0]);
	}
	free(line);
	return 0;
}
