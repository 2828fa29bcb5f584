/* SPDX-License-Identifier: MIT */
/*
 * CNI delegation: run a plugin (IPAM) found in CNI_PATH with a command, a
 * config on stdin and the CNI environment, and read its result. The plugin
 * delegates as the spec says; netd uses the same code to release the
 * address of an attachment whose namespace vanished.
 */
#ifndef VMNET_DELEGATE_H
#define VMNET_DELEGATE_H

#include <stddef.h>
#include <jansson.h>

struct vmnet_err;

/* How long a delegated plugin may run before it is killed. */
#define VMNET_DELEGATE_TIMEOUT_MS 60000

/* Run @type from @cni_path with CNI_COMMAND=@command and @stdin_buf on
 * stdin. @envp is the child's whole environment (NULL-terminated "K=V"
 * strings, CNI_COMMAND among them), or NULL for ours with CNI_COMMAND
 * replaced. On success *ret_result (if non-NULL) is its parsed stdout
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

#endif
