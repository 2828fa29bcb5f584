/* SPDX-License-Identifier: MIT */
/*
 * netd's control protocol: one JSON object per line over an AF_UNIX stream
 * socket, every request answered by exactly one reply line.
 *
 *   request  {"version":1,"command":"status"|"list"|"reconcile"}
 *            {"version":1,"command":"lease","cid":"<id>"[,"ifname":"eth0"]}
 *            {"version":1,"command":"release"[,"doomed":[{"network":N,"cid":C,
 *             "ifname":I,"tap":T,"fd":K},...]]}   with descriptors (SCM_RIGHTS)
 *            for netd to close: a plugin's netfilter sockets, whose close
 *            would make it wait (include/vmnet/handoff.h). Descriptors
 *            that come with any request are closed.
 *   reply    {"version":1,"ok":true,"data":{...}}
 *            {"version":1,"ok":false,"error":{"code":N,"message":"..."}}
 *
 * A request is at most NETD_PROTO_MAX bytes. Encoding and decoding are pure
 * (no I/O), so the unit tests and the fuzzer drive them directly.
 */
#ifndef NETD_PROTO_H
#define NETD_PROTO_H

#include <net/if.h>
#include <stddef.h>
#include <jansson.h>

struct vmnet_err;

#define NETD_PROTO_VERSION 1
#define NETD_PROTO_MAX (64 * 1024)

enum netd_cmd {
	NETD_CMD_STATUS,
	NETD_CMD_LIST,
	NETD_CMD_LEASE,
	NETD_CMD_RECONCILE,
	NETD_CMD_RELEASE,
};

/* Error codes of a reply (the CNI codes where one fits). */
enum netd_proto_err {
	NETD_E_VERSION = 1,	/* unsupported protocol version */
	NETD_E_UNKNOWN = 3,	/* lease: no such attachment */
	NETD_E_DECODE = 6,	/* not JSON, not an object, duplicate keys */
	NETD_E_INVALID = 7,	/* unknown command, bad field */
	NETD_E_BUSY = 11,	/* try again later */
	NETD_E_PERM = 13,	/* the peer is not root */
	NETD_E_TOOBIG = 14,	/* request larger than NETD_PROTO_MAX */
	NETD_E_INTERNAL = 100,	/* netd failed (message says why) */
};

/* release: the VM-namespace devices of a netns-wired attachment a DEL made
 * carry nothing (lib/handoff.c), for netd to delete in the namespace that
 * came as descriptor @fd of the request. */
struct netd_doomed {
	char network[129];
	char cid[257];
	char ifname[IFNAMSIZ];
	char tap[IFNAMSIZ];
	int fd;			/* index among the request's descriptors */
};

#define NETD_DOOMED_MAX 8

struct netd_request {
	int version;
	enum netd_cmd cmd;
	char cid[257];		/* lease only */
	char ifname[IFNAMSIZ];	/* lease only, "" = the container's only/first one */
	struct netd_doomed doomed[NETD_DOOMED_MAX];	/* release only */
	unsigned n_doomed;
	int *fds;		/* descriptors that came with it (not encoded): a
				   handler takes one by setting it to -1 */
	size_t n_fds;
};

/* "status", "list", ...; NULL for an unknown value. */
const char *netd_cmd_name(enum netd_cmd cmd);
int netd_cmd_parse(const char *name, enum netd_cmd *ret);

/* Parse one request of @len bytes (a trailing newline is allowed). On
 * failure @err->code is an enum netd_proto_err and the message is fit for
 * the error reply. */
int netd_proto_decode_request(const char *buf, size_t len, struct netd_request *ret,
			      struct vmnet_err *err);

/* The request as one line ending in '\n'; malloc'd, NULL on OOM. */
char *netd_proto_encode_request(const struct netd_request *req);

/* Replies as one line ending in '\n'; malloc'd, NULL on OOM. @data is
 * borrowed and may be NULL (then "data" is {}). */
char *netd_proto_encode_reply(json_t *data);
char *netd_proto_encode_error(int code, const char *message);

/* Parse a reply. ok: 0 and *ret_data (a new reference to "data"). Error
 * reply: -EREMOTEIO with err->code = its code and the message. Anything
 * malformed: -EBADMSG with code NETD_E_DECODE. */
int netd_proto_decode_reply(const char *buf, size_t len, json_t **ret_data,
			    struct vmnet_err *err);

#endif
