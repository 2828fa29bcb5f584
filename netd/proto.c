/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "proto.h"
#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/names.h"

static const char *const cmd_names[] = {
	[NETD_CMD_STATUS] = "status",
	[NETD_CMD_LIST] = "list",
	[NETD_CMD_LEASE] = "lease",
	[NETD_CMD_RECONCILE] = "reconcile",
	[NETD_CMD_RELEASE] = "release",
};

const char *netd_cmd_name(enum netd_cmd cmd)
{
	if ((unsigned)cmd >= ARRAY_SIZE(cmd_names))
		return NULL;
	return cmd_names[cmd];
}

int netd_cmd_parse(const char *name, enum netd_cmd *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmd_names); i++)
		if (!strcmp(name, cmd_names[i])) {
			*ret = (enum netd_cmd)i;
			return 0;
		}
	return -EINVAL;
}

static int doomed_name(json_t *o, const char *key, char *buf, size_t size,
		       bool (*valid)(const char *), struct vmnet_err *err)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s || strlen(s) >= size || !valid(s))
		return vmnet_err_set(err, NETD_E_INVALID, 0, "doomed: invalid \"%s\"", key);
	strcpy(buf, s);
	return 0;
}

static int parse_doomed(json_t *arr, struct netd_request *req, struct vmnet_err *err)
{
	size_t i;
	json_t *o;

	if (!json_is_array(arr) || json_array_size(arr) > NETD_DOOMED_MAX)
		return vmnet_err_set(err, NETD_E_INVALID, 0,
				     "\"doomed\" must be an array of at most %d", NETD_DOOMED_MAX);
	json_array_foreach(arr, i, o) {
		struct netd_doomed *d = &req->doomed[i];
		json_t *fd = json_object_get(o, "fd");

		if (!json_is_object(o) || json_object_size(o) != 5 || !json_is_integer(fd) ||
		    json_integer_value(fd) < 0 || json_integer_value(fd) >= 64)
			return vmnet_err_set(err, NETD_E_INVALID, 0, "doomed: bad entry");
		d->fd = (int)json_integer_value(fd);
		if (doomed_name(o, "network", d->network, sizeof(d->network),
				vmnet_name_valid_netname, err) < 0 ||
		    doomed_name(o, "cid", d->cid, sizeof(d->cid), vmnet_name_valid_containerid,
				err) < 0 ||
		    doomed_name(o, "ifname", d->ifname, sizeof(d->ifname), vmnet_name_valid_ifname,
				err) < 0 ||
		    doomed_name(o, "tap", d->tap, sizeof(d->tap), vmnet_name_valid_ifname, err) < 0)
			return -EINVAL;
		req->n_doomed++;
	}
	return 0;
}

int netd_proto_decode_request(const char *buf, size_t len, struct netd_request *ret,
			      struct vmnet_err *err)
{
	struct netd_request req = {0};
	json_auto_t *v = NULL;
	struct vmnet_err jerr = {0};
	json_t *ver;
	const char *cmd = NULL, *cid = NULL, *ifname = NULL, *key;
	json_t *val;

	if (len > NETD_PROTO_MAX)
		return vmnet_err_set(err, NETD_E_TOOBIG, 0, "request larger than %d bytes",
				     NETD_PROTO_MAX);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (!len)
		return vmnet_err_set(err, NETD_E_DECODE, 0, "empty request");
	if (memchr(buf, '\0', len))
		return vmnet_err_set(err, NETD_E_DECODE, 0, "request contains a NUL byte");
	v = vmnet_json_load(buf, len, &jerr);
	if (!v)
		return vmnet_err_set(err, NETD_E_DECODE, 0, "request is not JSON: %s", jerr.msg);
	if (!json_is_object(v))
		return vmnet_err_set(err, NETD_E_DECODE, 0, "request is not a JSON object");
	ver = json_object_get(v, "version");
	if (!ver)
		return vmnet_err_set(err, NETD_E_VERSION, 0, "request has no \"version\"");
	if (!json_is_integer(ver) || json_integer_value(ver) != NETD_PROTO_VERSION)
		return vmnet_err_set(err, NETD_E_VERSION, 0,
				     "unsupported protocol version (this netd speaks %d)",
				     NETD_PROTO_VERSION);
	req.version = NETD_PROTO_VERSION;
	json_object_foreach(v, key, val)
	{
		if (!strcmp(key, "version"))
			continue;
		if (!strcmp(key, "doomed"))
			continue;
		if (strcmp(key, "command") && strcmp(key, "cid") && strcmp(key, "ifname"))
			return vmnet_err_set(err, NETD_E_INVALID, 0, "unknown field \"%.64s\"",
					     key);
		if (!json_is_string(val))
			return vmnet_err_set(err, NETD_E_INVALID, 0, "\"%s\" must be a string",
					     key);
	}
	cmd = json_string_value(json_object_get(v, "command"));
	cid = json_string_value(json_object_get(v, "cid"));
	ifname = json_string_value(json_object_get(v, "ifname"));
	if (!cmd)
		return vmnet_err_set(err, NETD_E_INVALID, 0, "request has no \"command\"");
	if (netd_cmd_parse(cmd, &req.cmd) < 0)
		return vmnet_err_set(err, NETD_E_INVALID, 0, "unknown command \"%.64s\"", cmd);
	if (req.cmd == NETD_CMD_LEASE) {
		if (!cid)
			return vmnet_err_set(err, NETD_E_INVALID, 0, "lease needs \"cid\"");
		if (strlen(cid) >= sizeof(req.cid) || !vmnet_name_valid_containerid(cid))
			return vmnet_err_set(err, NETD_E_INVALID, 0, "invalid \"cid\"");
		strcpy(req.cid, cid);
		if (ifname) {
			if (!vmnet_name_valid_ifname(ifname))
				return vmnet_err_set(err, NETD_E_INVALID, 0, "invalid \"ifname\"");
			strcpy(req.ifname, ifname);
		}
	} else if (cid || ifname) {
		return vmnet_err_set(err, NETD_E_INVALID, 0, "%s takes no \"cid\"/\"ifname\"", cmd);
	}
	if (json_object_get(v, "doomed") &&
	    (req.cmd != NETD_CMD_RELEASE || parse_doomed(json_object_get(v, "doomed"), &req, err) < 0))
		return err && err->code ? -EINVAL
			: vmnet_err_set(err, NETD_E_INVALID, 0, "only release takes \"doomed\"");
	*ret = req;
	return 0;
}

static char *line(json_t *v)
{
	char *s, *l;
	size_t n;

	if (!v)
		return NULL;
	s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!s)
		return NULL;
	n = strlen(s);
	l = realloc(s, n + 2);
	if (!l) {
		free(s);
		return NULL;
	}
	l[n] = '\n';
	l[n + 1] = '\0';
	return l;
}

char *netd_proto_encode_request(const struct netd_request *req)
{
	json_auto_t *v =
		json_pack("{s:i,s:s}", "version", req->version ? req->version : NETD_PROTO_VERSION,
			  "command", netd_cmd_name(req->cmd) ? netd_cmd_name(req->cmd) : "");

	if (!v)
		return NULL;
	if (req->n_doomed) {
		json_t *arr = json_array();

		if (vmnet_json_set(v, "doomed", arr) < 0)
			return NULL;
		for (unsigned i = 0; i < req->n_doomed; i++) {
			const struct netd_doomed *d = &req->doomed[i];

			if (json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:i}", "network",
								 d->network, "cid", d->cid, "ifname",
								 d->ifname, "tap", d->tap, "fd",
								 d->fd)) < 0)
				return NULL;
		}
	}
	if (req->cmd == NETD_CMD_LEASE) {
		if (vmnet_json_set(v, "cid", json_string(req->cid)) < 0)
			return NULL;
		if (req->ifname[0] && vmnet_json_set(v, "ifname", json_string(req->ifname)) < 0)
			return NULL;
	}
	return line(v);
}

char *netd_proto_encode_reply(json_t *data)
{
	json_auto_t *v = json_pack("{s:i,s:b,s:O}", "version", NETD_PROTO_VERSION, "ok", 1, "data",
				   data ? data : json_object());

	/* json_pack's O took a reference of a fresh json_object() too: drop it. */
	if (v && !data)
		json_decref(json_object_get(v, "data"));
	return line(v);
}

char *netd_proto_encode_error(int code, const char *message)
{
	/* Messages quote the request, which may hold any bytes. */
	json_auto_t *v =
		json_pack("{s:i,s:b,s:{s:i,s:o}}", "version", NETD_PROTO_VERSION, "ok", 0, "error",
			  "code", code, "message", vmnet_json_string_safe(message));

	return line(v);
}

int netd_proto_decode_reply(const char *buf, size_t len, json_t **ret_data, struct vmnet_err *err)
{
	json_auto_t *v = NULL;
	json_t *ok, *ver, *e, *data;

	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	v = len ? vmnet_json_load(buf, len, NULL) : NULL;
	if (!v || !json_is_object(v))
		goto malformed;
	ver = json_object_get(v, "version");
	if (!json_is_integer(ver) || json_integer_value(ver) != NETD_PROTO_VERSION) {
		vmnet_err_set(err, NETD_E_VERSION, 0, "netd speaks another protocol version");
		return -EPROTO;
	}
	ok = json_object_get(v, "ok");
	if (!json_is_boolean(ok))
		goto malformed;
	if (json_is_false(ok)) {
		json_t *code;
		const char *msg;

		e = json_object_get(v, "error");
		code = json_object_get(e, "code");
		msg = json_string_value(json_object_get(e, "message"));
		if (!json_is_integer(code) || !msg)
			goto malformed;
		vmnet_err_set(err, (int)json_integer_value(code), 0, "%s", msg);
		return -EREMOTEIO;
	}
	data = json_object_get(v, "data");
	if (!json_is_object(data))
		goto malformed;
	if (ret_data)
		*ret_data = json_incref(data);
	return 0;
malformed:
	vmnet_err_set(err, NETD_E_DECODE, 0, "netd sent a malformed reply");
	return -EBADMSG;
}
