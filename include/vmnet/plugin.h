/* SPDX-License-Identifier: MIT */
/*
 * The CNI plugin skeleton both plugins run: read the environment and stdin,
 * answer VERSION, let the plugin parse its configuration, dispatch the verb
 * through the plugin's table, print the result or the error JSON once, and
 * return the exit code (0, or 1 after an error JSON).
 */
#ifndef VMNET_PLUGIN_H
#define VMNET_PLUGIN_H

#include <stddef.h>
#include <jansson.h>

#include "vmnet/cni.h"

struct vmnet_err;

/* One invocation. The skeleton fills env and stdin; parse fills version
 * (the cniVersion the error reply echoes) as soon as it knows it. */
struct vmnet_plugin_call {
	struct vmnet_cni_env env;
	const char *stdin_buf;
	size_t stdin_len;
	char version[16];	/* "" until known; the reply then says 1.1.0 */
	void *data;		/* the plugin's own state, owned by its main */
};

struct vmnet_plugin {
	const char *name;	/* for the log */
	const char *about;	/* printed on stderr when CNI_COMMAND is unset; may be NULL */
	/* Parse the configuration for every verb but VERSION. */
	int (*parse)(struct vmnet_plugin_call *c, struct vmnet_err *err);
	/* Indexed by enum vmnet_cni_cmd; a NULL entry answers code 4. A verb
	 * may leave a result in *ret_result (the skeleton prints and frees it). */
	int (*verbs[VMNET_CNI_GC + 1])(struct vmnet_plugin_call *c, json_t **ret_result,
				       struct vmnet_err *err);
};

/* Run one invocation of @p with @data as call.data. Prints on stdout, logs
 * on stderr; returns the process exit code. */
int vmnet_plugin_main(const struct vmnet_plugin *p, void *data);

/* The same invocation inside this process: the environment is @envp
 * (NULL-terminated "K=V" strings, as the exec'd plugin would get it) and
 * stdin is @stdin_buf. Nothing is printed: on success *ret_result is what
 * main would print (NULL for nothing, caller owns); on failure @err holds
 * what main would print as the error JSON. */
int vmnet_plugin_call(const struct vmnet_plugin *p, void *data, char *const envp[],
		      const char *stdin_buf, size_t stdin_len, json_t **ret_result,
		      struct vmnet_err *err);

#endif
