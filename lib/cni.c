/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmnet/cni.h"
#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/names.h"

static const char *const versions[] = {
	[VMNET_CNI_V030] = "0.3.0", [VMNET_CNI_V031] = "0.3.1", [VMNET_CNI_V040] = "0.4.0",
	[VMNET_CNI_V100] = "1.0.0", [VMNET_CNI_V110] = "1.1.0",
};

static const struct {
	const char *name;
	enum vmnet_cni_cmd cmd;
} commands[] = {
	{"ADD", VMNET_CNI_ADD},		{"DEL", VMNET_CNI_DEL},	      {"CHECK", VMNET_CNI_CHECK},
	{"VERSION", VMNET_CNI_VERSION}, {"STATUS", VMNET_CNI_STATUS}, {"GC", VMNET_CNI_GC},
};

/* getenv() over @envp (the process's environment when NULL); an empty
 * value counts as unset. */
static const char *env(char *const envp[], const char *name)
{
	size_t n = strlen(name);
	const char *v = envp ? NULL : getenv(name);

	for (; envp && *envp && !v; envp++)
		if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
			v = *envp + n + 1;
	return v && *v ? v : NULL;
}

const char *vmnet_cni_env_get(const struct vmnet_cni_env *e, const char *name)
{
	return env(e->envp, name);
}

int vmnet_cni_env_parse(char *const envp[], struct vmnet_cni_env *ret, struct vmnet_err *err)
{
	struct vmnet_cni_env e = { .envp = envp };
	size_t i;

	e.command = env(envp, "CNI_COMMAND");
	if (!e.command)
		return vmnet_err_set(err, CNI_ERR_INVALID_ENV, 0, "CNI_COMMAND is not set");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(e.command, commands[i].name))
			break;
	if (i == ARRAY_SIZE(commands))
		return vmnet_err_set(err, CNI_ERR_INVALID_ENV, 0,
				     "CNI_COMMAND: unknown command \"%.32s\"", e.command);
	e.cmd = commands[i].cmd;
	e.path = env(envp, "CNI_PATH");
	e.args = env(envp, "CNI_ARGS");

	if (e.cmd == VMNET_CNI_ADD || e.cmd == VMNET_CNI_DEL || e.cmd == VMNET_CNI_CHECK) {
		e.containerid = env(envp, "CNI_CONTAINERID");
		e.netns = env(envp, "CNI_NETNS");
		e.ifname = env(envp, "CNI_IFNAME");
		if (!e.containerid)
			return vmnet_err_set(err, CNI_ERR_INVALID_ENV, 0,
					     "CNI_CONTAINERID is not set");
		if (!vmnet_name_valid_containerid(e.containerid))
			return vmnet_err_set(
				err, CNI_ERR_INVALID_ENV, 0,
				"CNI_CONTAINERID: must start with a letter or digit and "
				"hold only letters, digits, '_', '.' and '-' (at most %d)",
				VMNET_CNI_CONTAINERID_MAX);
		if (!e.ifname)
			return vmnet_err_set(err, CNI_ERR_INVALID_ENV, 0, "CNI_IFNAME is not set");
		if (!vmnet_name_valid_ifname(e.ifname))
			return vmnet_err_set(err, CNI_ERR_INVALID_ENV, 0,
					     "CNI_IFNAME: \"%.64s\" is not a valid interface name "
					     "(1-15 bytes, no '/', ':' or whitespace)",
					     e.ifname);
		if (!e.netns && e.cmd != VMNET_CNI_DEL)
			return vmnet_err_set(err, CNI_ERR_INVALID_ENV, 0, "CNI_NETNS is not set");
	}
	*ret = e;
	return 0;
}

int vmnet_cni_version_parse(const char *s, enum vmnet_cni_version *ret)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(versions); i++)
		if (!strcmp(s, versions[i])) {
			*ret = (enum vmnet_cni_version)i;
			return 0;
		}
	return -EINVAL;
}

const char *vmnet_cni_version_str(enum vmnet_cni_version v)
{
	return (unsigned)v < ARRAY_SIZE(versions) ? versions[v] : "1.1.0";
}

json_t *vmnet_cni_supported_versions(void)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < ARRAY_SIZE(versions); i++)
		if (vmnet_json_append(a, json_string(versions[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int copy_val(char *dst, size_t size, const char *key, const char *v, size_t n,
		    struct vmnet_err *err)
{
	if (n >= size)
		return vmnet_err_set(err, CNI_ERR_INVALID_ENV, 0, "CNI_ARGS: %s is too long", key);
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

int vmnet_cni_args_parse(const char *s, struct vmnet_cni_args *ret, struct vmnet_err *err)
{
	struct vmnet_cni_args a = {0};
	const char *p = s, *unknown = NULL;
	size_t unknown_len = 0, count = 0;
	int r;

	while (p && *p) {
		const char *end = strchr(p, ';'), *eq;
		size_t len = end ? (size_t)(end - p) : strlen(p), klen, vlen;

		if (len == 0) {
			p = end ? end + 1 : p + len;
			continue;
		}
		if (++count > VMNET_CNI_ARGS_MAX)
			return vmnet_err_set(err, CNI_ERR_INVALID_ENV, 0,
					     "CNI_ARGS: more than %d pairs", VMNET_CNI_ARGS_MAX);
		eq = memchr(p, '=', len);
		if (!eq || eq == p)
			return vmnet_err_set(err, CNI_ERR_INVALID_ENV, 0,
					     "CNI_ARGS: \"%.*s\" is not KEY=VALUE",
					     (int)(len > 64 ? 64 : len), p);
		klen = (size_t)(eq - p);
		vlen = len - klen - 1;
#define KEY(k) (klen == strlen(k) && !memcmp(p, k, klen))
		if (KEY("IgnoreUnknown")) {
			if (vlen == 1 && eq[1] == '1')
				a.ignore_unknown = true;
			else if (vlen == 4 && !strncasecmp(eq + 1, "true", 4))
				a.ignore_unknown = true;
			else if (!(vlen == 1 && eq[1] == '0') &&
				 !(vlen == 5 && !strncasecmp(eq + 1, "false", 5)))
				return vmnet_err_set(
					err, CNI_ERR_INVALID_ENV, 0,
					"CNI_ARGS: IgnoreUnknown must be 1, 0, true or false");
		} else if (KEY("IP")) {
			r = copy_val(a.ip, sizeof(a.ip), "IP", eq + 1, vlen, err);
			if (r < 0)
				return r;
		} else if (KEY("MAC")) {
			r = copy_val(a.mac, sizeof(a.mac), "MAC", eq + 1, vlen, err);
			if (r < 0)
				return r;
		} else if (KEY("VMNET_GROUP")) {
			r = copy_val(a.iso_label, sizeof(a.iso_label), "VMNET_GROUP", eq + 1, vlen,
				     err);
			if (r < 0)
				return r;
		} else if (!unknown) {
			unknown = p;
			unknown_len = klen;
		}
#undef KEY
		p = end ? end + 1 : p + len;
	}
	/* IgnoreUnknown may come after the unknown key: decide at the end. */
	if (unknown && !a.ignore_unknown)
		return vmnet_err_set(
			err, CNI_ERR_UNSUPPORTED_FIELD, 0,
			"CNI_ARGS: unknown key \"%.*s\" (set IgnoreUnknown=1 to allow)",
			(int)(unknown_len > 64 ? 64 : unknown_len), unknown);
	*ret = a;
	return 0;
}

int vmnet_cni_print(FILE *out, const json_t *v)
{
	if (json_dumpf(v, out, JSON_INDENT(4) | JSON_PRESERVE_ORDER) < 0)
		return -EIO;
	fputc('\n', out);
	return fflush(out) ? -errno : 0;
}

static const char *code_msg(int code)
{
	switch (code) {
	case CNI_ERR_INCOMPATIBLE_VERSION:
		return "incompatible CNI version";
	case CNI_ERR_UNSUPPORTED_FIELD:
		return "unsupported field in network configuration";
	case CNI_ERR_UNKNOWN_CONTAINER:
		return "container unknown or does not exist";
	case CNI_ERR_INVALID_ENV:
		return "invalid environment variables";
	case CNI_ERR_IO:
		return "I/O failure";
	case CNI_ERR_DECODE:
		return "failed to decode content";
	case CNI_ERR_INVALID_CONFIG:
		return "invalid network configuration";
	case CNI_ERR_TRY_AGAIN:
		return "try again later";
	case CNI_ERR_NOT_AVAILABLE:
		return "plugin not available";
	case CNI_ERR_LIMITED:
		return "plugin not available, existing attachments may be limited";
	case VMNET_ERR_RANGE_FULL:
		return "no free address left in the range";
	case VMNET_ERR_PORT_CONFLICT:
		return "host port already published";
	case VMNET_ERR_CONFLICT:
		return "host device name conflict";
	case VMNET_ERR_CHECK:
		return "attachment does not match its record";
	default:
		return "system error";
	}
}

void vmnet_cni_print_error(FILE *out, const char *cni_version, const struct vmnet_err *e)
{
	json_auto_t *v = json_object();
	int code = e && e->code ? e->code : VMNET_ERR_SYSTEM;

	if (v) {
		json_object_set_new(v, "cniVersion",
				    json_string(cni_version ? cni_version : "1.1.0"));
		json_object_set_new(v, "code", json_integer(code));
		json_object_set_new(v, "msg", json_string(code_msg(code)));
		json_object_set_new(
			v, "details",
			vmnet_json_string_safe(e && e->msg[0] ? e->msg : code_msg(code)));
		if (vmnet_cni_print(out, v) == 0)
			return;
	}
	fprintf(out, "{\"code\": %d, \"msg\": \"%s\"}\n", code, code_msg(code));
	fflush(out);
}
