/* SPDX-License-Identifier: MIT */
/*
 * The plugin's config parser against golden cases: every rejection with its
 * exact CNI code and a fragment of its message; accepted configs with their
 * defaults. No root needed.
 */
#include <string.h>

#include "tap.h"
#include "vmnet/err.h"
#include "../../cni/conf.h"

#define H "{\"cniVersion\":\"1.0.0\",\"name\":\"net1\",\"type\":\"vmnet\","
#define IPAM "\"ipam\":{\"type\":\"vmnet-ipam\"}"

static const struct {
	const char *name, *json;
	int code;
	const char *frag;
} bad[] = {
	{ "empty input", "", 6, "no network configuration" },
	{ "malformed JSON", "{\"cniVersion\":", 6, "line 1" },
	{ "not an object", "[1,2]", 6, "not an object" },
	{ "duplicate key", H "\"mtu\":1500,\"mtu\":1400," IPAM "}", 6, "duplicate" },
	{ "unsupported version", "{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"type\":\"vmnet\"}", 1, "0.2.0" },
	{ "future version", "{\"cniVersion\":\"9.9.9\",\"name\":\"n\",\"type\":\"vmnet\"}", 1, "not supported" },
	{ "missing version", "{\"name\":\"n\",\"type\":\"vmnet\"}", 7, "cniVersion: missing" },
	{ "version not a string", "{\"cniVersion\":1,\"name\":\"n\",\"type\":\"vmnet\"}", 7, "cniVersion: must be a string" },
	{ "missing name", "{\"cniVersion\":\"1.0.0\",\"type\":\"vmnet\"}", 7, "name: missing" },
	{ "bad name", "{\"cniVersion\":\"1.0.0\",\"name\":\"-x\",\"type\":\"vmnet\"}", 7, "name:" },
	{ "missing type", "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", 7, "type: missing" },
	{ "unknown mode", H "\"mode\":\"mesh\"," IPAM "}", 7, "mode: \"mesh\"" },
	{ "unknown tap", H "\"tap\":\"vhost\"," IPAM "}", 7, "tap: \"vhost\"" },
	{ "bridge too long", H "\"bridge\":\"abcdefghijklmnop\"," IPAM "}", 7, "bridge:" },
	{ "bridge with slash", H "\"bridge\":\"a/b\"," IPAM "}", 7, "bridge:" },
	{ "tapName with space", H "\"tapName\":\"tap 0\"," IPAM "}", 7, "tapName:" },
	{ "mtu as string", H "\"mtu\":\"1500\"," IPAM "}", 7, "mtu: must be an integer" },
	{ "mtu too small", H "\"mtu\":60," IPAM "}", 7, "mtu: 60 is out of range" },
	{ "mtu too large", H "\"mtu\":70000," IPAM "}", 7, "out of range" },
	{ "ipMasq not bool", H "\"ipMasq\":\"yes\"," IPAM "}", 7, "ipMasq: must be true or false" },
	{ "routedInbound not bool", H "\"routedInbound\":1," IPAM "}", 7,
	  "routedInbound: must be true or false" },
	{ "owner negative", H "\"owner\":-5," IPAM "}", 7, "owner:" },
	{ "parkMax negative", H "\"parkMax\":-1," IPAM "}", 7, "parkMax: -1 is out of range" },
	{ "parkMax too large", H "\"parkMax\":4097," IPAM "}", 7, "parkMax: 4097 is out of range" },
	{ "parkMax as string", H "\"parkMax\":\"2\"," IPAM "}", 7, "parkMax: must be an integer" },
	{ "relative stateDir", H "\"stateDir\":\"var/lib\"," IPAM "}", 7, "stateDir:" },
	{ "ipam without type", H "\"ipam\":{}}", 7, "ipam.type: missing" },
	{ "ipam type path", H "\"ipam\":{\"type\":\"../x\"}}", 7, "ipam.type:" },
	{ "bad runtime mac", H IPAM ",\"runtimeConfig\":{\"mac\":\"zz:00:00:00:00:00\"}}", 7, "mac:" },
	{ "multicast mac", H IPAM ",\"runtimeConfig\":{\"mac\":\"01:00:5e:00:00:01\"}}", 7, "mac:" },
	{ "port 0", H IPAM ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":0,\"containerPort\":80}]}}", 7, "hostPort: 0 is out of range" },
	{ "port too large", H IPAM ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":70000,\"containerPort\":80}]}}", 7, "out of range" },
	{ "unknown protocol", H IPAM ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80,\"containerPort\":80,\"protocol\":\"icmp\"}]}}", 7, "protocol" },
	{ "bad hostIP", H IPAM ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80,\"containerPort\":80,\"hostIP\":\"1.2.3\"}]}}", 7, "hostIP" },
	{ "prevResult not object", H IPAM ",\"prevResult\":[]}", 6, "prevResult" },
	{ "valid-attachments not array", H IPAM ",\"cni.dev/valid-attachments\":{}}", 6, "valid-attachments" },
	{ "deep nesting", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", 6, "deeper" },
};

static struct vmnet_conf *parse(const char *json, struct vmnet_err *err, const char **ver)
{
	struct vmnet_conf *c = NULL;

	memset(err, 0, sizeof(*err));
	if (vmnet_conf_parse(json, strlen(json), &c, ver, err) < 0)
		return NULL;
	return c;
}

int main(void)
{
	struct vmnet_err err;
	struct vmnet_conf *c;
	const char *ver;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		c = parse(bad[i].json, &err, &ver);
		ok(!c && err.code == bad[i].code && strstr(err.msg, bad[i].frag),
		   "rejects %s with code %d (got %d: %s)", bad[i].name, bad[i].code, err.code,
		   err.msg);
		vmnet_conf_free(c);
	}

	c = parse(H IPAM "}", &err, &ver);
	ok(c != NULL, "minimal config parses (%s)", err.msg);
	if (c) {
		ok(c->mode == VMNET_MODE_SHARED && c->wiring == VMNET_TAP_NETNS, "defaults: shared, netns");
		ok(!strcmp(c->tap_name, "tap0") && c->mtu == 1500, "defaults: tap0, mtu 1500");
		ok(!strncmp(c->bridge, "vmbr", 4) && strlen(c->bridge) == 12, "default bridge %s", c->bridge);
		ok(!strcmp(c->state_dir, "/var/lib/vmnet"), "default stateDir");
		ok(c->tap_uid == -1 && c->tap_gid == -1 && !c->has_mac, "no owner, group or mac");
		ok(c->park_max == -1, "no parkMax");
		ok(c->version == VMNET_CNI_V100, "version 1.0.0");
	}
	vmnet_conf_free(c);

	c = parse("{\"cniVersion\":\"0.4.0\",\"cniVersions\":[\"0.3.1\",\"1.1.0\",\"7.0.0\"],"
		  "\"name\":\"n\",\"type\":\"vmnet\"}", &err, &ver);
	ok(c && c->version == VMNET_CNI_V110, "cniVersions: the highest shared version wins");
	vmnet_conf_free(c);

	c = parse(H "\"mode\":\"shared\",\"tap\":\"host\",\"bridge\":\"br-x\",\"mtu\":9000,"
		    "\"ipMasq\":true,\"portIsolation\":true,\"multiQueue\":true,\"owner\":1000,"
		    "\"routedInbound\":true,\"parkMax\":0,"
		    "\"clusterCIDRs\":[\"10.100.0.0/16\",\"fd00:100::/48\",\"10.200.0.0/24\"],"
		    "\"group\":100,\"args\":{\"cni\":{\"mac\":\"02:00:00:00:00:01\"}},"
		    "\"runtimeConfig\":{\"mac\":\"02:00:00:00:00:02\",\"vmnetGroup\":\"blue\","
		    "\"portMappings\":[{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\"},"
		    "{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\"},"
		    "{\"hostPort\":53,\"containerPort\":53,\"protocol\":\"UDP\",\"hostIP\":\"192.0.2.1\"},"
		    "{\"hostPort\":53,\"containerPort\":53,\"protocol\":\"udp\",\"hostIP\":\"::\"}]},"
		    "\"dns\":{\"nameservers\":[\"192.0.2.53\"]}," IPAM "}", &err, &ver);
	ok(c != NULL, "full config parses (%s)", err.msg);
	if (c) {
		ok(c->wiring == VMNET_TAP_HOST && !strcmp(c->bridge, "br-x") && c->mtu == 9000,
		   "tap, bridge, mtu");
		ok(c->ip_masq && c->port_isolation && c->multi_queue && c->tap_uid == 1000 && c->tap_gid == 100,
		   "flags, owner, group");
		ok(c->routed_inbound, "routedInbound");
		ok(c->cluster.n4 == 2 && c->cluster.n6 == 1 && c->cluster.v4[1].addr == 0x0ac80000 &&
			   c->cluster.v4[1].len == 24 && c->cluster.v6[0].len == 48,
		   "clusterCIDRs of both families");
		ok(c->park_max == 0, "parkMax 0");
		ok(c->has_mac && c->mac[5] == 2, "runtimeConfig.mac overrides args.cni.mac");
		ok(!strcmp(c->iso_label, "blue"), "vmnetGroup");
		ok(c->n_ports == 3, "duplicate mapping folded, IPv6 hostIP kept (%u)", c->n_ports);
		ok(c->ports[1].proto == 17 && c->ports[1].host_ip == 0xc0000201, "udp on one host IP");
		ok(c->n_ports == 3 && c->ports[2].family == 6, "udp on :: is IPv6 only");
		ok(c->has_dns && c->dns.n_nameservers == 1, "dns from the config");
	}
	vmnet_conf_free(c);

	/* Runtimes send "0.0.0.0" and "::" twins of a mapping without hostIP. */
	c = parse(H "\"runtimeConfig\":{\"portMappings\":["
		    "{\"hostPort\":80,\"containerPort\":8,\"hostIP\":\"0.0.0.0\"},"
		    "{\"hostPort\":80,\"containerPort\":8,\"hostIP\":\"::\"},"
		    "{\"hostPort\":80,\"containerPort\":8},"
		    "{\"hostPort\":80,\"containerPort\":8,\"hostIP\":\"::\"}]}," IPAM "}",
		  &err, &ver);
	ok(c && c->n_ports == 1 && c->ports[0].family == 0,
	   "wildcard twins fold into the mapping without hostIP (%s)", err.msg);
	vmnet_conf_free(c);
	c = parse(H "\"runtimeConfig\":{\"portMappings\":["
		    "{\"hostPort\":80,\"containerPort\":8},"
		    "{\"hostPort\":80,\"containerPort\":9,\"hostIP\":\"::\"}]}," IPAM "}",
		  &err, &ver);
	ok(!c && strstr(err.msg, "mapped twice"), "a twin to another guest port clashes (%s)",
	   err.msg);
	vmnet_conf_free(c);
	return done();
}
