/* SPDX-License-Identifier: MIT */
/* vmnet-ipam in-process against vmnet-ipam exec'd (BUILDDIR/vmnet-ipam,
 * found next to this test's directory), through the one delegation call
 * the plugin and netd use: one sequence of verbs and bad inputs runs twice,
 * each time on a fresh data dir; every step must give the same result JSON
 * or the same code and message, and the two stores must end up
 * byte-identical. No root; under ASan this also checks the in-process path
 * for leaks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmnet/delegate.h"
#include "vmnet/err.h"
#include "vmnet/ipam.h"
#include "vmnet/json.h"
#include "tap.h"

static char tmp[] = "/tmp/vmnet-ipam-inproc.XXXXXX";
static char bindir[PATH_MAX];

/* What one call answered: the result JSON (compact) or "code: message". */
struct answer {
	char text[1024];
};

struct step {
	const char *what;
	const char *cmd, *cid;
	const char *version, *subnet, *extra; /* extra: top-level JSON members */
	const char *env;		      /* one more "K=V", or NULL */
	const char *raw;		      /* stdin as is, instead of the config */
};

static void call(const char *dir, const struct step *s, struct answer *a)
{
	char conf[1024], e_cmd[64], e_cid[300], e_path[PATH_MAX + 16];
	char *envp[] = { e_cmd, e_cid, "CNI_IFNAME=eth0", "CNI_NETNS=/proc/self/ns/net", e_path,
			 (char *)s->env, NULL };
	struct vmnet_err err = { 0 };
	json_t *res = NULL;
	const char *in = conf;

	snprintf(conf, sizeof(conf),
		 "{\"cniVersion\":\"%s\",\"name\":\"n\",\"type\":\"vmnet\",%s"
		 "\"ipam\":{\"type\":\"vmnet-ipam\",\"dataDir\":\"%s\","
		 "\"ranges\":[[{\"subnet\":\"%s\"}]]}}",
		 s->version ? s->version : "1.0.0", s->extra ? s->extra : "", dir,
		 s->subnet ? s->subnet : "10.9.0.0/29");
	if (s->raw)
		in = s->raw;
	snprintf(e_cmd, sizeof(e_cmd), "CNI_COMMAND=%s", s->cmd);
	snprintf(e_cid, sizeof(e_cid), "CNI_CONTAINERID=%s", s->cid);
	snprintf(e_path, sizeof(e_path), "CNI_PATH=%s", bindir);
	if (vmnet_delegate_env(bindir, "vmnet-ipam", s->cmd, envp, in, strlen(in), &res,
			       &err) < 0) {
		snprintf(a->text, sizeof(a->text), "%d: %s", err.code, err.msg);
	} else {
		char *d = res ? json_dumps(res, JSON_COMPACT) : NULL;

		snprintf(a->text, sizeof(a->text), "ok %s", d ? d : "");
		free(d);
	}
	json_decref(res);
}

/* Every file under @dir (relative name and contents), sorted, as one text. */
static void listing(const char *dir, const char *rel, char *buf, size_t size)
{
	struct dirent **ents;
	char path[PATH_MAX];
	int n;

	snprintf(path, sizeof(path), "%s%s", dir, rel);
	n = scandir(path, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char sub[PATH_MAX], data[512] = "";
		struct stat st;
		size_t len = strlen(buf);

		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, "..")) {
			snprintf(sub, sizeof(sub), "%s/%s", rel, ents[i]->d_name);
			snprintf(path, sizeof(path), "%s%s", dir, sub);
			if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
				listing(dir, sub, buf, size);
			} else {
				FILE *f = fopen(path, "r");
				size_t k = f ? fread(data, 1, sizeof(data) - 1, f) : 0;

				data[k] = '\0';
				if (f)
					fclose(f);
				/* The stamp holds the directory's times, not ours. */
				if (!strcmp(ents[i]->d_name, "stamp"))
					data[0] = '\0';
				snprintf(buf + len, size - len, "%s %o [%s]\n", sub,
					 st.st_mode & 07777, data);
			}
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

/* Two range sets through the one "subnet" slot of the config. */
#define DS "10.8.0.0/29\"}],[{\"subnet\":\"fd99::/126"
#define S(w, c, id, ...) { .what = w, .cmd = c, .cid = id, __VA_ARGS__ }
static const struct step steps[] = {
	S("ADD 1.0.0", "ADD", "c1"),
	S("ADD 0.3.1", "ADD", "c2", .version = "0.3.1"),
	S("ADD again: the same address", "ADD", "c1"),
	S("CHECK 0.4.0 of a held address", "CHECK", "c1", .version = "0.4.0"),
	S("CHECK of an unknown attachment (110)", "CHECK", "nobody", .version = "0.4.0"),
	S("CHECK below 0.4.0 (1)", "CHECK", "c1", .version = "0.3.1"),
	S("CNI_ARGS IP= of a taken address (7)", "ADD", "c3", .env = "CNI_ARGS=IP=10.9.0.2"),
	S("an unknown CNI_ARGS key (2)", "ADD", "c3", .env = "CNI_ARGS=NOPE=1"),
	S("runtimeConfig.ips", "ADD", "c4",
	  .extra = "\"runtimeConfig\":{\"ips\":[\"10.9.0.6/29\"]},"),
	S("a bad subnet (7)", "ADD", "c5", .subnet = "10.9.0.0/33"),
	S("malformed JSON (6)", "ADD", "c5", .raw = "{\"cniVersion\":"),
	S("an invalid container ID (4)", "ADD", "-x"),
	S("STATUS 1.1.0", "STATUS", "", .version = "1.1.0"),
	S("STATUS below 1.1.0 (1)", "STATUS", "", .version = "1.0.0"),
	S("ADD", "ADD", "c6"),
	S("ADD of the last free address", "ADD", "c7"),
	S("an exhausted range (101)", "ADD", "c8"),
	S("STATUS of a full range (50)", "STATUS", "", .version = "1.1.0"),
	S("DEL", "DEL", "c1"),
	S("DEL again", "DEL", "c1"),
	S("GC of what is not valid", "GC", "", .version = "1.1.0",
	  .extra = "\"cni.dev/valid-attachments\":[{\"containerID\":\"c2\",\"ifname\":\"eth0\"}],"),
	/* dual stack: IPv4 and IPv6 range sets, a /126 that fills up */
	S("dual stack ADD 1.0.0", "ADD", "d1", .subnet = DS),
	S("dual stack ADD 0.3.1 (version 6)", "ADD", "d2", .version = "0.3.1", .subnet = DS),
	S("dual stack ADD, the IPv6 range full (101)", "ADD", "d3", .subnet = DS),
	S("dual stack CHECK", "CHECK", "d1", .version = "0.4.0", .subnet = DS),
	S("dual stack DEL", "DEL", "d1", .subnet = DS),
	S("dual stack ADD after the DEL", "ADD", "d3", .subnet = DS),
	S("dual stack STATUS of a full range (50)", "STATUS", "", .version = "1.1.0", .subnet = DS),
	S("dual stack GC", "GC", "", .version = "1.1.0", .subnet = DS,
	  .extra = "\"cni.dev/valid-attachments\":[{\"containerID\":\"d3\",\"ifname\":\"eth0\"}],"),
	S("an IPv6 /129 (7)", "ADD", "d4", .subnet = "fd99::/129"),
	S("isolated: a /64 block in a /126 (7)", "ADD", "d4", .subnet = DS,
	  .extra = "\"mode\":\"isolated\","),
	S("IPv6-only isolated network, /64 blocks", "ADD", "d5", .subnet = "fd98::/60",
	  .extra = "\"mode\":\"isolated\","),
	S("VERSION", "VERSION", ""),
	S("an unknown command (4)", "NOPE", "c1"),
};

static size_t ds_add(void)
{
	size_t i = 0;

	while (i < ARRAY_SIZE(steps) - 1 && strcmp(steps[i].what, "dual stack ADD 1.0.0"))
		i++;
	return i;
}

static void run_all(const char *dir, struct answer *a)
{
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
		call(dir, &steps[i], &a[i]);
}

/* The store's lock held by another process (flock, as host-local holds it):
 * both paths time out with the same code 11 and message. */
static void locked(const char *dir, struct answer *a)
{
	const struct step s = S("lock", "ADD", "c9", .env = "VMNET_IPAM_LOCK_TIMEOUT_MS=200");
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/n/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		snprintf(a->text, sizeof(a->text), "cannot lock: %s", strerror(errno));
		return;
	}
	/* flock() locks conflict between open files, even in one process. */
	call(dir, &s, a);
	close(fd);
}

/* More stdin than a plugin reads (code 6). */
static void big(const char *dir, struct answer *a)
{
	size_t len = VMNET_JSON_MAX_SIZE + 2;
	char *buf = malloc(len + 1);
	struct step s = S("big", "ADD", "c9");

	if (!buf)
		return;
	memset(buf, ' ', len);
	buf[0] = '{';
	buf[len - 1] = '}';
	buf[len] = '\0';
	s.raw = buf;
	call(dir, &s, a);
	free(buf);
}

static void rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

/* The sequence on a fresh store, then the store's files. */
static void pass(const char *dir, struct answer *a, char *files, size_t size)
{
	run_all(dir, a);
	locked(dir, &a[ARRAY_SIZE(steps)]);
	big(dir, &a[ARRAY_SIZE(steps) + 1]);
	listing(dir, "", files, size);
	rm_rf(dir);
}

int main(void)
{
	static struct answer in[ARRAY_SIZE(steps) + 2], ex[ARRAY_SIZE(steps) + 2];
	static char lin[65536], lex[65536];
	char self[PATH_MAX], dir[PATH_MAX + 8];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0 || !mkdtemp(tmp))
		return 1;
	self[n] = '\0';
	snprintf(bindir, sizeof(bindir), "%s/..", dirname(self));
	snprintf(dir, sizeof(dir), "%s/data", tmp);
	vmnet_delegate_register(&vmnet_ipam_inproc);

	setenv("VMNET_IPAM_EXEC", "1", 1);
	pass(dir, ex, lex, sizeof(lex));
	unsetenv("VMNET_IPAM_EXEC");
	pass(dir, in, lin, sizeof(lin));

	ok(!strncmp(ex[0].text, "ok {", 4), "the exec'd plugin ran: %s", ex[0].text);
	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		const char *what = i < ARRAY_SIZE(steps)      ? steps[i].what
				   : i == ARRAY_SIZE(steps) ? "the lock held (11)"
							    : "more than 1 MiB of stdin (6)";

		if (!ok(!strcmp(in[i].text, ex[i].text), "%s: the same answer", what))
			printf("# in-process: %s\n# exec'd:     %s\n", in[i].text, ex[i].text);
		else
			printf("# %s\n", in[i].text);
	}
	ok(strstr(ex[ds_add()].text, "\"address\":\"fd99::2/126\",\"gateway\":\"fd99::1\"") &&
	   strstr(ex[ds_add()].text, "\"address\":\"10.8.0.2/29\""),
	   "dual stack ADD: 10.8.0.2/29 and fd99::2/126 via fd99::1");
	if (!ok(lin[0] && !strcmp(lin, lex), "both stores hold the same files, modes and bytes"))
		printf("# in-process:\n%s# exec'd:\n%s", lin, lex);
	{
		struct answer a;
		const struct step s = S("absent", "ADD", "c1");

		/* A plugin missing from CNI_PATH is missing for both paths. */
		snprintf(bindir, sizeof(bindir), "%s", tmp);
		call(dir, &s, &a);
		ok(!strncmp(a.text, "7: ipam: plugin \"vmnet-ipam\" not found", 38),
		   "not in CNI_PATH: code 7 in-process too (%s)", a.text);
	}
	rm_rf(tmp);
	return done();
}
