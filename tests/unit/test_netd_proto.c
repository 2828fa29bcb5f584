/* SPDX-License-Identifier: MIT */
/* netd's control protocol and lease rendering: round trips and bad input. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../netd/lease.h"
#include "../../netd/proto.h"
#include "tap.h"
#include "vmnet/err.h"
#include "vmnet/record.h"

static int dec(const char *s, struct netd_request *r, struct vmnet_err *e)
{
	memset(e, 0, sizeof(*e));
	return netd_proto_decode_request(s, strlen(s), r, e);
}

static void round_trips(void)
{
	for (int c = NETD_CMD_STATUS; c <= NETD_CMD_RECONCILE; c++) {
		struct netd_request in = { .version = 1, .cmd = (enum netd_cmd)c }, out;
		struct vmnet_err e;
		char *l;

		if (c == NETD_CMD_LEASE) {
			strcpy(in.cid, "abc123");
			strcpy(in.ifname, "eth0");
		}
		l = netd_proto_encode_request(&in);
		ok(l && l[strlen(l) - 1] == '\n', "%s: encoded as one line", netd_cmd_name(in.cmd));
		ok(l && dec(l, &out, &e) == 0 && out.cmd == in.cmd && !strcmp(out.cid, in.cid) &&
			   !strcmp(out.ifname, in.ifname),
		   "%s: decodes back", netd_cmd_name(in.cmd));
		free(l);
	}
	{
		json_t *d = json_pack("{s:i}", "x", 42), *got = NULL;
		char *l = netd_proto_encode_reply(d);
		struct vmnet_err e = { 0 };

		ok(l && netd_proto_decode_reply(l, strlen(l), &got, &e) == 0 &&
			   json_integer_value(json_object_get(got, "x")) == 42,
		   "reply round trip");
		json_decref(got);
		json_decref(d);
		free(l);
		l = netd_proto_encode_reply(NULL);
		got = NULL;
		ok(l && netd_proto_decode_reply(l, strlen(l), &got, &e) == 0 && json_is_object(got),
		   "reply without data has {}");
		json_decref(got);
		free(l);
		l = netd_proto_encode_error(NETD_E_PERM, "no \"way\"");
		memset(&e, 0, sizeof(e));
		ok(l && netd_proto_decode_reply(l, strlen(l), NULL, &e) == -EREMOTEIO &&
			   e.code == NETD_E_PERM && !strcmp(e.msg, "no \"way\""),
		   "error reply round trip keeps code and message");
		free(l);
	}
}

static void bad_requests(void)
{
	static const struct {
		const char *in;
		int code;
	} cases[] = {
		{ "", NETD_E_DECODE },
		{ "\n", NETD_E_DECODE },
		{ "garbage", NETD_E_DECODE },
		{ "{\"version\":1,\"command\":\"sta", NETD_E_DECODE },
		{ "[1,2]", NETD_E_DECODE },
		{ "{\"version\":1,\"command\":\"status\",\"command\":\"list\"}", NETD_E_DECODE },
		{ "{\"command\":\"status\"}", NETD_E_VERSION },
		{ "{\"version\":2,\"command\":\"status\"}", NETD_E_VERSION },
		{ "{\"version\":\"1\",\"command\":\"status\"}", NETD_E_VERSION },
		{ "{\"version\":1}", NETD_E_INVALID },
		{ "{\"version\":1,\"command\":\"reboot\"}", NETD_E_INVALID },
		{ "{\"version\":1,\"command\":7}", NETD_E_INVALID },
		{ "{\"version\":1,\"command\":\"status\",\"extra\":1}", NETD_E_INVALID },
		{ "{\"version\":1,\"command\":\"status\",\"cid\":\"x\"}", NETD_E_INVALID },
		{ "{\"version\":1,\"command\":\"lease\"}", NETD_E_INVALID },
		{ "{\"version\":1,\"command\":\"lease\",\"cid\":\"a/b\"}", NETD_E_INVALID },
		{ "{\"version\":1,\"command\":\"lease\",\"cid\":\"a@b\"}", NETD_E_INVALID },
		{ "{\"version\":1,\"command\":\"lease\",\"cid\":\"a\",\"ifname\":\"0123456789abcdef\"}",
		  NETD_E_INVALID },
	};
	struct netd_request r;
	struct vmnet_err e;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		ok(dec(cases[i].in, &r, &e) < 0 && e.code == cases[i].code && e.msg[0],
		   "bad request %zu gets code %d (got %d: %s)", i, cases[i].code, e.code, e.msg);
	{
		size_t n = NETD_PROTO_MAX + 10;
		char *big = malloc(n);

		memset(big, ' ', n);
		memcpy(big, "{\"version\":1,\"command\":\"status\"}", 33);
		memset(&e, 0, sizeof(e));
		ok(netd_proto_decode_request(big, n, &r, &e) < 0 && e.code == NETD_E_TOOBIG,
		   "oversized request: code %d", NETD_E_TOOBIG);
		free(big);
	}
	memset(&e, 0, sizeof(e));
	ok(netd_proto_decode_request("{\"version\":1,\0}", 15, &r, &e) < 0 && e.code == NETD_E_DECODE,
	   "NUL byte rejected");
	ok(netd_proto_decode_reply("nope", 4, NULL, &e) == -EBADMSG, "garbage reply rejected");
	ok(netd_proto_decode_reply("{\"version\":1,\"ok\":true}", 23, NULL, &e) == -EBADMSG,
	   "reply without data rejected");
}

static void leases(void)
{
	struct vmnet_record rec;
	struct netd_lease l;
	uint32_t host[3];
	unsigned n;
	char buf[256];

	n = netd_resolv_parse("# x\nnameserver 127.0.0.53\nnameserver 192.0.2.53\n"
			      "search example\nnameserver 2001:db8::1\nnameserver 198.51.100.1\n",
			      host, 3);
	ok(n == 2 && host[0] == 0xc0000235 && host[1] == 0xc6336401,
	   "resolv.conf: loopback and IPv6 skipped");
	memset(&rec, 0, sizeof(rec));
	strcpy(rec.cid, "0123456789abcdef");
	strcpy(rec.ifname, "eth0");
	rec.guest.addr = 0x0a4d0005;
	rec.guest.len = 24;
	rec.gateway = 0x0a4d0001;
	rec.mtu = 1400;
	strcpy(rec.nameservers[0], "127.0.0.1");
	strcpy(rec.nameservers[1], "10.0.0.53");
	rec.n_nameservers = 2;
	netd_lease_from_record(&rec, host, n, &l);
	ok(l.n_dns == 1 && l.dns[0] == 0x0a000035, "record DNS used, loopback skipped");
	ok(netd_lease_kernel_arg(&l, buf, sizeof(buf)) == 0 &&
		   !strcmp(buf, "ip=10.77.0.5::10.77.0.1:255.255.255.0:0123456789ab:eth0:off:10.0.0.53:"),
	   "kernel arg: %s", buf);
	rec.n_nameservers = 0;
	netd_lease_from_record(&rec, host, n, &l);
	ok(l.n_dns == 2 && l.dns[0] == host[0], "host resolvers when the record has none");
	ok(netd_lease_kernel_arg(&l, buf, 10) == -ENOBUFS, "kernel arg: short buffer");
}

int main(void)
{
	round_trips();
	bad_requests();
	leases();
	return done();
}
