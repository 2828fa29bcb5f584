/* SPDX-License-Identifier: MIT */
/*
 * Attachment records (lib/record.c) without root: the DNS and the
 * CNI_PATH an ADD records survive the JSON round trip, and a recorded
 * CNI_PATH netd could not trust makes the record unreadable; the address a
 * record cut short still shows (the salvage DEL applies).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmnet/err.h"
#include "vmnet/record.h"
#include "tap.h"

static void base(struct vmnet_record *rec)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0x09, 0x01};

	memset(rec, 0, sizeof(*rec));
	rec->tap_uid = rec->tap_gid = -1;
	strcpy(rec->network, "n1");
	strcpy(rec->cid, "c1");
	strcpy(rec->ifname, "eth0");
	strcpy(rec->host_if, "vmv0123");
	memcpy(rec->guest_mac, mac, 6);
	rec->guest.addr = 0x0a4d0005;
	rec->guest.len = 24;
	rec->gateway = 0x0a4d0001;
}

/* @rec through JSON and back into @ret; 0 or the parser's error. */
static int round_trip(const struct vmnet_record *rec, struct vmnet_record *ret,
		      struct vmnet_err *err)
{
	json_t *v = vmnet_record_to_json(rec);
	int r = v ? vmnet_record_from_json(v, ret, err) : -ENOMEM;

	json_decref(v);
	return r;
}

static void test_dns(void)
{
	struct vmnet_record rec, got;
	struct vmnet_err err = {0};

	base(&rec);
	for (unsigned i = 0; i < ARRAY_SIZE(rec.nameservers); i++)
		sprintf(rec.nameservers[i], "203.0.113.%u", i + 1);
	rec.n_nameservers = ARRAY_SIZE(rec.nameservers);
	strcpy(rec.domain, "corp.example");
	strcpy(rec.search[0], "corp.example");
	strcpy(rec.search[1], "svc.corp.example");
	rec.n_search = 2;
	ok(round_trip(&rec, &got, &err) == 0 && got.n_nameservers == ARRAY_SIZE(rec.nameservers) &&
		   !strcmp(got.nameservers[7], "203.0.113.8") && !strcmp(got.domain, "corp.example") &&
		   got.n_search == 2 && !strcmp(got.search[1], "svc.corp.example"),
	   "every nameserver, the domain and the search list survive the round trip");
	vmnet_record_clear(&got);
}

static void test_cni_path(void)
{
	static const char *const good[] = {"", "/opt/cni/bin", "/opt/cni/bin:/usr/lib/cni",
					   "/a::/b", "/a:"};
	static const char *const bad[] = {"bin", "/opt/cni/bin:bin", "/a\n/b", "/a\t",
					  ":relative", "/a\x7f"};
	struct vmnet_record rec, got;
	struct vmnet_err err = {0};
	char *big;
	json_t *v;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		ok(vmnet_record_cni_path_check(good[i]) == 0, "CNI_PATH \"%s\" is fine", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ok(vmnet_record_cni_path_check(bad[i]) == -EINVAL, "CNI_PATH %zu (not absolute, "
		   "control characters) is refused", i);
	big = malloc(VMNET_RECORD_CNI_PATH_MAX + 1);
	if (!big)
		return;
	memset(big, '/', VMNET_RECORD_CNI_PATH_MAX);
	big[VMNET_RECORD_CNI_PATH_MAX] = '\0';
	ok(vmnet_record_cni_path_check(big) == -EINVAL, "an overlong CNI_PATH is refused");
	big[VMNET_RECORD_CNI_PATH_MAX - 1] = '\0';
	ok(vmnet_record_cni_path_check(big) == 0, "the longest CNI_PATH is fine");
	free(big);

	base(&rec);
	strcpy(rec.cni_path, "/opt/cni/bin:/usr/lib/cni");
	ok(round_trip(&rec, &got, &err) == 0 && !strcmp(got.cni_path, rec.cni_path),
	   "cniPath survives the round trip");
	vmnet_record_clear(&got);

	/* As netd would read a tampered or corrupt record. */
	v = vmnet_record_to_json(&rec);
	json_object_set_new(v, "cniPath", json_string("relative/bin"));
	ok(vmnet_record_from_json(v, &got, &err) < 0 && err.code == CNI_ERR_DECODE &&
		   strstr(err.msg, "cniPath"),
	   "a relative cniPath makes the record unreadable: %s", err.msg);
	json_object_set_new(v, "cniPath", json_integer(3));
	ok(vmnet_record_from_json(v, &got, &err) < 0, "a cniPath that is not a string is refused");
	json_object_del(v, "cniPath");
	json_object_del(v, "search");
	ok(vmnet_record_from_json(v, &got, &err) == 0 && !got.cni_path[0] && !got.n_search,
	   "a record of an older layout: no cniPath, no search");
	vmnet_record_clear(&got);
	json_decref(v);
}

/* What DEL reads from a record cut short: the address, wherever the cut
 * falls after it; nothing before it; never a value that only looks like
 * the key; an address-less pending record has none. */
static void test_salvage(void)
{
	struct vmnet_record rec;
	struct vmnet_prefix a;
	json_t *v;
	char *text;
	size_t n, at;
	bool all = true;

	base(&rec);
	strcpy(rec.cid, "address");
	strcpy(rec.network, "\"address\": \"10.9.9.9/24\"");
	v = vmnet_record_to_json(&rec);
	text = v ? json_dumps(v, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	if (!text)
		abort();
	n = strlen(text);
	at = (size_t)(strstr(text, "\"10.77.0.5/24\"") - text) + strlen("\"10.77.0.5/24\"");
	for (size_t cut = at; cut <= n; cut++)
		all = all && vmnet_record_salvage_text(text, cut, &a) == 0 &&
		      a.addr == rec.guest.addr && a.len == 24;
	ok(all, "every cut after the address keeps it");
	all = true;
	for (size_t cut = 0; cut < at; cut++)
		all = all && vmnet_record_salvage_text(text, cut, &a) == -ENOENT;
	ok(all, "no cut before its end yields an address (a name that looks like one neither)");
	free(text);
	json_decref(v);
	rec.guest.addr = 0;
	rec.guest.len = 0;
	v = vmnet_record_to_json(&rec);
	text = v ? json_dumps(v, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	ok(text && vmnet_record_salvage_text(text, strlen(text), &a) == -ENOENT,
	   "a pending record written before IPAM has no address to salvage");
	free(text);
	json_decref(v);
}

/* IPv6: address6/gateway6 and ipMasq6 survive; a record without them (an
 * older vmnet's, an IPv4-only one) reads as no IPv6 with ipMasq6 = ipMasq;
 * ports keep the family of their hostIP. */
static void test_ipv6(void)
{
	struct vmnet_port pv[3];
	struct vmnet_record rec, got;
	struct vmnet_err err = {0};
	char buf[VMNET_PREFIXSTRLEN];

	base(&rec);
	vmnet_prefix6_parse("fd77::5/64", false, false, &rec.guest6);
	vmnet_ip6_parse("fd77::1", &rec.gateway6);
	rec.ip_masq = true;
	rec.ip_masq6 = false;
	pv[0] = (struct vmnet_port){.proto = IPPROTO_TCP, .host_port = 80, .guest_port = 8};
	pv[1] = pv[0];
	vmnet_port_host_parse("::", &pv[1]);
	pv[2] = pv[0];
	vmnet_port_host_parse("0.0.0.0", &pv[2]);
	vmnet_record_set_ports(&rec, pv, 3);
	ok(round_trip(&rec, &got, &err) == 0 && vmnet_record_has6(&got) &&
		   !strcmp(vmnet_prefix6_fmt(&got.guest6, buf), "fd77::5/64") &&
		   vmnet_ip6_eq(&got.gateway6, &rec.gateway6) && got.ip_masq && !got.ip_masq6,
	   "address6, gateway6 and ipMasq6 survive the round trip (%s)", err.msg);
	ok(got.n_ports == 3 && got.ports[0].family == 0 && got.ports[1].family == 6 &&
		   got.ports[2].family == 4 && !vmnet_port_same_host(&got.ports[1], &got.ports[2]),
	   "ports keep the family of their hostIP (none, ::, 0.0.0.0)");
	vmnet_record_clear(&rec);
	vmnet_record_clear(&got);
	base(&rec);
	rec.ip_masq = true;
	rec.ip_masq6 = true;
	ok(round_trip(&rec, &got, &err) == 0 && !vmnet_record_has6(&got) && got.ip_masq6,
	   "an IPv4-only record has no IPv6 address");
	{
		json_t *v = vmnet_record_to_json(&rec);

		json_object_del(v, "ipMasq6");
		rec.ip_masq = false;
		ok(vmnet_record_from_json(v, &got, &err) == 0 && got.ip_masq6 == got.ip_masq,
		   "a record without ipMasq6 (an older vmnet's) takes ipMasq");
		json_object_set_new(v, "address6", json_string("fd77::5/64"));
		ok(vmnet_record_from_json(v, &got, &err) < 0 && err.code == CNI_ERR_DECODE,
		   "address6 without gateway6 is damage");
		json_decref(v);
	}
	base(&rec);
	ok(round_trip(&rec, &got, &err) == 0 && !vmnet_cluster_any(&got.cluster),
	   "a record without clusterCIDRs names none");
	vmnet_prefix_parse("10.100.0.0/16", true, false, &rec.cluster.v4[0]);
	vmnet_prefix6_parse("fd00:100::/48", true, false, &rec.cluster.v6[0]);
	rec.cluster.n4 = rec.cluster.n6 = 1;
	ok(round_trip(&rec, &got, &err) == 0 && got.cluster.n4 == 1 && got.cluster.n6 == 1 &&
		   got.cluster.v4[0].addr == 0x0a640000 && got.cluster.v4[0].len == 16 &&
		   !strcmp(vmnet_prefix6_fmt(&got.cluster.v6[0], buf), "fd00:100::/48"),
	   "clusterCIDRs survive the round trip (%s)", err.msg);
	{
		json_t *v = vmnet_record_to_json(&rec);

		json_object_set_new(v, "clusterCIDRs", json_pack("[s]", "10.100.0.1/16"));
		ok(vmnet_record_from_json(v, &got, &err) < 0 && err.code == CNI_ERR_DECODE,
		   "clusterCIDRs with host bits are damage");
		json_decref(v);
	}
}

int main(void)
{
	test_dns();
	test_ipv6();
	test_cni_path();
	test_salvage();
	return done();
}
