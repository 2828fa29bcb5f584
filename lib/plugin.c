/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/log.h"
#include "vmnet/plugin.h"

/* VERSION echoes the caller's cniVersion (1.1.0 without one) and lists
 * every version we speak. */
static int version(const struct vmnet_plugin_call *c, json_t **ret, struct vmnet_err *err)
{
	json_auto_t *in = c->stdin_len ? vmnet_json_load(c->stdin_buf, c->stdin_len, NULL) : NULL;
	json_auto_t *out = json_object();
	const char *v = in ? json_string_value(json_object_get(in, "cniVersion")) : NULL;

	if (!out || vmnet_json_set(out, "cniVersion", json_string(v ? v : "1.1.0")) < 0 ||
	    vmnet_json_set(out, "supportedVersions", vmnet_cni_supported_versions()) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "building the version reply");
	*ret = steal_ptr(out);
	return 0;
}

/* Every verb but VERSION: the plugin's parse, then its verb. */
static int dispatch(const struct vmnet_plugin *p, struct vmnet_plugin_call *c, json_t **ret,
		    struct vmnet_err *err)
{
	int r;

	if (c->env.cmd == VMNET_CNI_VERSION)
		return version(c, ret, err);
	if ((r = p->parse(c, err)) < 0)
		return r;
	if (!p->verbs[c->env.cmd])
		return vmnet_err_set(err, CNI_ERR_INVALID_ENV, 0, "CNI_COMMAND: unsupported");
	return p->verbs[c->env.cmd](c, ret, err);
}

static int run(const struct vmnet_plugin *p, struct vmnet_plugin_call *c, json_t **ret,
	       struct vmnet_err *err)
{
	_cleanup_free_ char *buf = NULL;
	int r;

	if ((r = vmnet_cni_env_parse(NULL, &c->env, err)) < 0) {
		if (p->about && !getenv("CNI_COMMAND"))
			fprintf(stderr, "%s: %s\n", p->name, p->about);
		return r;
	}
	if ((r = vmnet_json_read_all(STDIN_FILENO, &buf, &c->stdin_len, err)) < 0)
		return r;
	c->stdin_buf = buf;
	r = dispatch(p, c, ret, err);
	c->stdin_buf = NULL;
	return r;
}

int vmnet_plugin_call(const struct vmnet_plugin *p, void *data, char *const envp[],
		      const char *stdin_buf, size_t stdin_len, json_t **ret_result,
		      struct vmnet_err *err)
{
	struct vmnet_plugin_call c = { .data = data, .stdin_buf = stdin_buf,
				       .stdin_len = stdin_len };
	json_t *result = NULL;
	int r;

	if ((r = vmnet_cni_env_parse(envp, &c.env, err)) < 0)
		return r;
	/* The bound vmnet_json_read_all puts on the exec'd plugin's stdin. */
	if (stdin_len > VMNET_JSON_MAX_SIZE)
		return vmnet_err_set(err, CNI_ERR_DECODE, 0, "input is larger than the %u bytes allowed",
				     VMNET_JSON_MAX_SIZE);
	if ((r = dispatch(p, &c, &result, err)) < 0) {
		json_decref(result);
		return r;
	}
	*ret_result = result;
	return 0;
}

int vmnet_plugin_main(const struct vmnet_plugin *p, void *data)
{
	struct vmnet_plugin_call c = { .data = data };
	struct vmnet_err err = { 0 };
	json_auto_t *result = NULL;

	vmnet_log_init(p->name);
	vmnet_json_seed();
	if (run(p, &c, &result, &err) >= 0) {
		if (!result || vmnet_cni_print(stdout, result) >= 0)
			return 0;
		vmnet_err_set(&err, CNI_ERR_IO, EIO, "writing the result");
	}
	log_err("%s", err.msg);
	vmnet_cni_print_error(stdout, c.version[0] ? c.version : NULL, &err);
	return 1;
}
