/* SPDX-License-Identifier: MIT */
/*
 * The CNI protocol pieces both plugins share: the CNI_* environment,
 * versions, CNI_ARGS, and printing results and errors on stdout.
 */
#ifndef VMNET_CNI_H
#define VMNET_CNI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <net/if.h>
#include <jansson.h>

struct vmnet_err;

enum vmnet_cni_cmd {
	VMNET_CNI_ADD,
	VMNET_CNI_DEL,
	VMNET_CNI_CHECK,
	VMNET_CNI_VERSION,
	VMNET_CNI_STATUS,
	VMNET_CNI_GC,
};

/* Spec versions, ordered. */
enum vmnet_cni_version {
	VMNET_CNI_V030,
	VMNET_CNI_V031,
	VMNET_CNI_V040,
	VMNET_CNI_V100,
	VMNET_CNI_V110,
	_VMNET_CNI_VERSION_MAX,
};

#define VMNET_CNI_CONTAINERID_MAX 256
#define VMNET_CNI_ARGS_MAX 32

struct vmnet_cni_env {
	enum vmnet_cni_cmd cmd;
	const char *command;	 /* as given */
	const char *containerid; /* NULL for VERSION/STATUS/GC */
	const char *netns;	 /* NULL or "" when absent (DEL) */
	const char *ifname;
	const char *args;	 /* raw CNI_ARGS, may be NULL */
	const char *path;	 /* CNI_PATH, may be NULL */
	char *const *envp;	 /* where these came from; NULL: the process's environment */
};

/* Read and validate, from @envp ("K=V" strings, NULL-terminated; NULL for
 * the process's environment), CNI_COMMAND and the variables that command
 * needs, as libcni's skel does: container ID [A-Za-z0-9][A-Za-z0-9_.-]*,
 * ifname 1..15 bytes without '/', ':' or whitespace and not "." or "..",
 * CNI_NETNS required except for DEL (the rules: vmnet/names.h). Code 4
 * naming the variable on failure. Strings point into @envp. */
int vmnet_cni_env_parse(char *const envp[], struct vmnet_cni_env *env, struct vmnet_err *err);

/* Variable @name of the environment @env was parsed from; NULL when unset
 * or empty. */
const char *vmnet_cni_env_get(const struct vmnet_cni_env *env, const char *name);

/* "1.0.0" -> VMNET_CNI_V100; -EINVAL for versions we do not speak. */
int vmnet_cni_version_parse(const char *s, enum vmnet_cni_version *ret);
const char *vmnet_cni_version_str(enum vmnet_cni_version v);
/* The supportedVersions array, new reference. */
json_t *vmnet_cni_supported_versions(void);

/* Well-known CNI_ARGS: K=V pairs separated by ';'. Unknown keys are an
 * error (code 2, naming the key) unless IgnoreUnknown is 1/true, as the
 * reference plugins behave. Values are copied. */
struct vmnet_cni_args {
	bool ignore_unknown;
	char ip[64];		/* IP=a.b.c.d[/len], may hold several joined by ',' */
	char mac[32];		/* MAC=aa:bb:cc:dd:ee:ff */
	char iso_label[64];		/* VMNET_GROUP=<label> */
};
int vmnet_cni_args_parse(const char *s, struct vmnet_cni_args *ret, struct vmnet_err *err);

/* Print @v as the result (pretty, trailing newline). */
int vmnet_cni_print(FILE *out, const json_t *v);

/* Print the error JSON {"cniVersion","code","msg","details"}: msg is a
 * short text for the code, details the message of @e. */
void vmnet_cni_print_error(FILE *out, const char *cni_version, const struct vmnet_err *e);

#endif
