/* SPDX-License-Identifier: MIT */
/*
 * CNI delegation: run a plugin (IPAM) found in CNI_PATH with a command, a
 * config on stdin and the CNI environment, and read its result. The plugin
 * delegates as the spec says; netd uses the same code to release the
 * address of an attachment whose namespace vanished. A plugin linked into
 * the binary (vmnet-ipam) runs in this process instead of being exec'd,
 * with the same environment, input, result and error.
 */
#ifndef VMNET_DELEGATE_H
#define VMNET_DELEGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct vmnet_err;
struct vmnet_record;

/* How long a delegated plugin may run before it is killed. */
#define VMNET_DELEGATE_TIMEOUT_MS 60000

/* Run @type from @cni_path with CNI_COMMAND=@command and @stdin_buf on
 * stdin: in this process when @type is registered (unless our environment
 * sets VMNET_IPAM_EXEC to anything but 0), else exec'd; it must be in
 * @cni_path either way. @envp is the plugin's whole environment
 * (NULL-terminated "K=V" strings, CNI_COMMAND among them), or NULL for ours
 * with CNI_COMMAND replaced. On success *ret_result (if non-NULL) is its parsed stdout
 * (NULL when it printed nothing). A failing plugin's error JSON becomes
 * @err with its code and message; a plugin that is not found is code 7. */
int vmnet_delegate_env(const char *cni_path, const char *type, const char *command,
		       char *const envp[], const char *stdin_buf, size_t stdin_len,
		       json_t **ret_result, struct vmnet_err *err);

static inline int vmnet_delegate(const char *cni_path, const char *type, const char *command,
				 const char *stdin_buf, size_t stdin_len, json_t **ret_result,
				 struct vmnet_err *err)
{
	return vmnet_delegate_env(cni_path, type, command, NULL, stdin_buf, stdin_len, ret_result,
				  err);
}

/* A plugin this binary links: @call is run instead of exec'ing @type. It
 * gets the environment and stdin the exec'd plugin would get, and returns
 * what that plugin's skeleton would print: a result (NULL for none) or an
 * error (code and message), which delegation then reads exactly as it
 * reads the exec'd plugin's output. */
struct vmnet_delegate_inproc {
	const char *type;
	int (*call)(char *const envp[], const char *stdin_buf, size_t stdin_len,
		    json_t **ret_result, struct vmnet_err *err);
};

/* Run @ip in-process from now on (one plugin; a later call replaces it).
 * @ip must outlive its use. The binaries call this first thing in main. */
void vmnet_delegate_register(const struct vmnet_delegate_inproc *ip);

/* How an attachment's address is released (IPAM DEL). */
struct vmnet_release {
	const char *cni_path;	/* where the plugin is looked for */
	const char *type;	/* the plugin when the record names none (NULL: none) */
	const char *conf;	/* the config when the record holds none (NULL: code 7) */
	size_t conf_len;
	bool own_env;		/* netd: a clean environment made from the record (no
				   CNI_NETNS), the record's CNI_PATH searched before
				   @cni_path; else ours (the runtime's) with
				   CNI_COMMAND=DEL */
};

/* Release the address of @rec the way its ADD got it: IPAM DEL with the
 * network config that ADD used (rec->netconf), so a changed config still
 * releases what it handed out. 0 when released or there is no plugin to
 * ask; else as vmnet_delegate_env. */
int vmnet_delegate_release(const struct vmnet_record *rec, const struct vmnet_release *how,
			   struct vmnet_err *err);

#endif
