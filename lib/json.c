/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "vmnet/err.h"
#include "vmnet/json.h"

void vmnet_json_seed(void)
{
	uint32_t seed = 0;

	/* Left at 0, jansson seeds itself on its first object (or, failing
	 * that, from the time and pid). */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		json_object_seed(seed);
}

/* jansson bounds recursion itself (JSON_PARSER_MAX_DEPTH 2048); we want a far
 * smaller bound, checked before anything walks the tree. */
static int depth_ok(const char *buf, size_t len)
{
	int depth = 0;
	bool in_str = false, esc = false;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '{' || c == '[') {
			if (++depth > VMNET_JSON_MAX_DEPTH)
				return 0;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return 1;
}

json_t *vmnet_json_load(const char *buf, size_t len, struct vmnet_err *err)
{
	json_error_t je;
	json_t *v;

	if (len > VMNET_JSON_MAX_SIZE) {
		vmnet_err_set(err, CNI_ERR_DECODE, 0, "input is %zu bytes, more than the %u allowed",
			      len, VMNET_JSON_MAX_SIZE);
		return NULL;
	}
	if (!depth_ok(buf, len)) {
		vmnet_err_set(err, CNI_ERR_DECODE, 0, "input nests deeper than %d levels",
			      VMNET_JSON_MAX_DEPTH);
		return NULL;
	}
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!v) {
		vmnet_err_set(err, CNI_ERR_DECODE, 0, "line %d, column %d: %s", je.line, je.column,
			      je.text);
		return NULL;
	}
	return v;
}

int vmnet_json_read_all(int fd, char **ret_buf, size_t *ret_len, struct vmnet_err *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t n;

		if (len + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb)
				return vmnet_err_set(err, CNI_ERR_IO, ENOMEM, "reading input");
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vmnet_err_set(err, CNI_ERR_IO, errno, "reading input");
		if (n == 0)
			break;
		len += (size_t)n;
		/* Too much to decode, not an I/O failure. */
		if (len > VMNET_JSON_MAX_SIZE)
			return vmnet_err_set(err, CNI_ERR_DECODE, 0,
					     "input is larger than the %u bytes allowed",
					     VMNET_JSON_MAX_SIZE);
	}
	buf[len] = '\0';
	*ret_len = len;
	*ret_buf = steal_ptr(buf);
	return 0;
}

static const char *dot(const char *path)
{
	return path && *path ? "." : "";
}

static int wrong(struct vmnet_err *err, const char *path, const char *key, const char *want)
{
	return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "%s%s%s: must be %s", path ? path : "",
			     dot(path), key, want);
}

static json_t *lookup(json_t *obj, const char *path, const char *key, bool required, int *r,
		      struct vmnet_err *err)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	*r = 0;
	if (!v || json_is_null(v)) {
		if (required)
			*r = vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "%s%s%s: missing",
					   path ? path : "", dot(path), key);
		return NULL;
	}
	return v;
}

int vmnet_json_get_string(json_t *obj, const char *path, const char *key, bool required,
			  const char **ret, struct vmnet_err *err)
{
	int r;
	json_t *v = lookup(obj, path, key, required, &r, err);

	if (!v)
		return r;
	if (!json_is_string(v))
		return wrong(err, path, key, "a string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return wrong(err, path, key, "a string without NUL characters");
	*ret = json_string_value(v);
	return 0;
}

int vmnet_json_get_bool(json_t *obj, const char *path, const char *key, bool *ret,
			struct vmnet_err *err)
{
	int r;
	json_t *v = lookup(obj, path, key, false, &r, err);

	if (!v)
		return r;
	if (!json_is_boolean(v))
		return wrong(err, path, key, "true or false");
	*ret = json_is_true(v);
	return 0;
}

int vmnet_json_get_int(json_t *obj, const char *path, const char *key, int64_t min, int64_t max,
		       int64_t *ret, struct vmnet_err *err)
{
	int r;
	json_t *v = lookup(obj, path, key, false, &r, err);
	int64_t x;

	if (!v)
		return r;
	if (!json_is_integer(v))
		return wrong(err, path, key, "an integer");
	x = json_integer_value(v);
	if (x < min || x > max)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "%s%s%s: %lld is out of range %lld..%lld", path ? path : "",
				     dot(path), key, (long long)x, (long long)min, (long long)max);
	*ret = x;
	return 0;
}

int vmnet_json_get_object(json_t *obj, const char *path, const char *key, bool required,
			  json_t **ret, struct vmnet_err *err)
{
	int r;
	json_t *v = lookup(obj, path, key, required, &r, err);

	if (!v)
		return r;
	if (!json_is_object(v))
		return wrong(err, path, key, "an object");
	*ret = v;
	return 0;
}

int vmnet_json_get_array(json_t *obj, const char *path, const char *key, bool required,
			 json_t **ret, struct vmnet_err *err)
{
	int r;
	json_t *v = lookup(obj, path, key, required, &r, err);

	if (!v)
		return r;
	if (!json_is_array(v))
		return wrong(err, path, key, "an array");
	*ret = v;
	return 0;
}

json_t *vmnet_json_string_safe(const char *s)
{
	_cleanup_free_ char *copy = strdup(s ? s : "");

	if (!copy)
		return NULL;
	for (char *c = copy; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	return json_string(copy);
}

char *vmnet_json_dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

int vmnet_json_set(json_t *obj, const char *key, json_t *value)
{
	if (!value)
		return -ENOMEM;
	return json_object_set_new(obj, key, value) ? -ENOMEM : 0;
}

int vmnet_json_append(json_t *arr, json_t *value)
{
	if (!value)
		return -ENOMEM;
	return json_array_append_new(arr, value) ? -ENOMEM : 0;
}
