/* SPDX-License-Identifier: MIT */
/*
 * CNI protocol pieces: environment validation, CNI_ARGS, versions, result
 * rendering for every version and parsing back, error JSON. No root.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "vmnet/cni.h"
#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/names.h"
#include "vmnet/result.h"

static int env_code(const char *cmd, const char *cid, const char *netns, const char *ifname)
{
	struct vmnet_cni_env e;
	struct vmnet_err err = { 0 };

	unsetenv("CNI_COMMAND");
	unsetenv("CNI_CONTAINERID");
	unsetenv("CNI_NETNS");
	unsetenv("CNI_IFNAME");
	if (cmd)
		setenv("CNI_COMMAND", cmd, 1);
	if (cid)
		setenv("CNI_CONTAINERID", cid, 1);
	if (netns)
		setenv("CNI_NETNS", netns, 1);
	if (ifname)
		setenv("CNI_IFNAME", ifname, 1);
	return vmnet_cni_env_parse(NULL, &e, &err) < 0 ? err.code : 0;
}

static void test_env(void)
{
	ok(env_code("ADD", "c1", "/run/netns/x", "eth0") == 0, "env: valid ADD");
	ok(env_code(NULL, "c1", "/x", "eth0") == 4, "env: missing CNI_COMMAND is 4");
	ok(env_code("FOO", "c1", "/x", "eth0") == 4, "env: unknown command is 4");
	ok(env_code("ADD", NULL, "/x", "eth0") == 4, "env: missing container ID is 4");
	ok(env_code("ADD", "c 1", "/x", "eth0") == 4, "env: container ID with space is 4");
	ok(env_code("ADD", "_c1", "/x", "eth0") == 4, "env: container ID starting with _ is 4");
	ok(env_code("ADD", "c1", NULL, "eth0") == 4, "env: ADD without CNI_NETNS is 4");
	ok(env_code("DEL", "c1", NULL, "eth0") == 0, "env: DEL without CNI_NETNS is fine");
	ok(env_code("ADD", "c1", "/x", "eth0123456789012") == 4, "env: 16-byte ifname is 4");
	ok(env_code("ADD", "c1", "/x", "eth0:1") == 4, "env: ifname with ':' is 4");
	ok(env_code("ADD", "c1", "/x", "a/b") == 4, "env: ifname with '/' is 4");
	ok(env_code("ADD", "c1", "/x", "..") == 4, "env: ifname '..' is 4");
	ok(env_code("ADD", "c1", "/x", NULL) == 4, "env: missing ifname is 4");
	ok(env_code("VERSION", NULL, NULL, NULL) == 0, "env: VERSION needs nothing else");
	ok(env_code("GC", NULL, NULL, NULL) == 0, "env: GC needs no container");
}

static void test_args(void)
{
	struct vmnet_cni_args a;
	struct vmnet_err err = { 0 };

	ok(vmnet_cni_args_parse("IP=10.0.0.5;MAC=02:00:00:00:00:01;VMNET_GROUP=blue", &a, &err) == 0 &&
		   !strcmp(a.ip, "10.0.0.5") && !strcmp(a.mac, "02:00:00:00:00:01") &&
		   !strcmp(a.iso_label, "blue"),
	   "args: IP, MAC, VMNET_GROUP");
	memset(&err, 0, sizeof(err));
	ok(vmnet_cni_args_parse("K8S_POD_NAME=x", &a, &err) < 0 && err.code == 2 &&
		   strstr(err.msg, "K8S_POD_NAME"),
	   "args: unknown key without IgnoreUnknown is 2 and named");
	memset(&err, 0, sizeof(err));
	ok(vmnet_cni_args_parse("K8S_POD_NAME=x;IgnoreUnknown=1", &a, &err) == 0,
	   "args: IgnoreUnknown anywhere in the list");
	ok(vmnet_cni_args_parse("IgnoreUnknown=true;;K=v;", &a, &err) == 0, "args: empty pairs");
	memset(&err, 0, sizeof(err));
	ok(vmnet_cni_args_parse("novalue", &a, &err) < 0 && err.code == 4, "args: no '=' is 4");
	ok(vmnet_cni_args_parse(NULL, &a, &err) == 0 && !a.ip[0], "args: absent");
}

static void test_inet6(void)
{
	struct vmnet_prefix6 p, q;
	struct in6_addr a;
	char buf[VMNET_PREFIXSTRLEN];

	ok(vmnet_prefix6_parse("fd88::5/64", false, false, &p) == 0 && p.len == 64 &&
		   !strcmp(vmnet_prefix6_fmt(&p, buf), "fd88::5/64"),
	   "inet6: address/prefix parses and formats back");
	ok(vmnet_prefix6_parse("fd88::5/64", true, false, &q) < 0, "inet6: strict wants host bits 0");
	ok(vmnet_prefix6_parse("fd88::/129", false, false, &q) < 0 &&
		   vmnet_prefix6_parse("fd88::/0064", false, false, &q) < 0 &&
		   vmnet_prefix6_parse("fd88::/", false, false, &q) < 0 &&
		   vmnet_prefix6_parse("fd88::", false, false, &q) < 0,
	   "inet6: /129, 4 digits, empty or missing length refused");
	ok(vmnet_prefix6_parse("fd88::5", false, true, &q) == 0 && q.len == 128,
	   "inet6: a bare address is /128 where allowed");
	ok(vmnet_ip6_parse("::ffff:10.0.0.1", &a) < 0 && vmnet_ip6_parse("10.0.0.1", &a) < 0,
	   "inet6: IPv4 and IPv4-mapped text are not IPv6 addresses");
	ok(vmnet_ip6_parse("fd88::ffff:1", &a) == 0 && vmnet_prefix6_contains(&p, &a) &&
		   vmnet_ip6_parse("fd89::1", &a) == 0 && !vmnet_prefix6_contains(&p, &a),
	   "inet6: contains");
	q = vmnet_prefix6_net(&p);
	ok(!strcmp(vmnet_prefix6_fmt(&q, buf), "fd88::/64"), "inet6: the network of a prefix");
	ok(vmnet_ip_text_family("10.0.0.0/8") == 4 && vmnet_ip_text_family("fd00::1") == 6 &&
		   vmnet_ip_text_family("x") == 0,
	   "inet6: family of address text");
}

static void test_result(void)
{
	static const char *vers[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };
	struct vmnet_result r, back;
	struct vmnet_err err = { 0 };

	memset(&r, 0, sizeof(r));
	vmnet_result_add_iface(&r, "vmbr0", "02:00:00:00:00:01", NULL, 1500);
	vmnet_result_add_iface(&r, "eth0", "02:00:00:00:00:02", "c1", 1500);
	r.n_ips = 1;
	vmnet_prefix_parse("10.1.0.5/24", false, false, &r.ips[0].addr);
	vmnet_ip4_parse("10.1.0.1", &r.ips[0].gateway);
	r.ips[0].iface = 1;
	r.n_routes = 1;
	vmnet_prefix_parse("0.0.0.0/0", true, false, &r.routes[0].dst);
	r.dns.n_nameservers = 1;
	strcpy(r.dns.nameservers[0], "192.0.2.53");

	for (size_t i = 0; i < ARRAY_SIZE(vers); i++) {
		enum vmnet_cni_version v;
		json_auto_t *j = NULL;
		json_t *ip;

		vmnet_cni_version_parse(vers[i], &v);
		j = vmnet_result_render(&r, v);
		ip = j ? json_array_get(json_object_get(j, "ips"), 0) : NULL;
		ok(j && !strcmp(json_string_value(json_object_get(j, "cniVersion")), vers[i]),
		   "result %s: cniVersion echoed", vers[i]);
		ok(ip && (v < VMNET_CNI_V100) == (json_object_get(ip, "version") != NULL),
		   "result %s: ips[].version only before 1.0.0", vers[i]);
		ok(ip && json_integer_value(json_object_get(ip, "interface")) == 1,
		   "result %s: ips[].interface set", vers[i]);
		ok((v >= VMNET_CNI_V110) ==
			   (json_object_get(json_array_get(json_object_get(j, "interfaces"), 0),
					    "mtu") != NULL),
		   "result %s: interfaces[].mtu only in 1.1.0", vers[i]);
		memset(&err, 0, sizeof(err));
		ok(j && vmnet_result_parse(j, &back, &err) == 0 && back.n_ips == 1 &&
			   back.ips[0].addr.addr == r.ips[0].addr.addr && back.ips[0].iface == 1 &&
			   back.n_routes == 1 && back.dns.n_nameservers == 1 &&
			   !strcmp(back.ifaces[1].sandbox, "c1"),
		   "result %s: parses back (%s)", vers[i], err.msg);
	}
	{
		const char *bad = "{\"ips\":[{\"address\":\"10.1.0.5\"}]}";
		json_auto_t *j = vmnet_json_load(bad, strlen(bad), NULL);

		memset(&err, 0, sizeof(err));
		ok(vmnet_result_parse(j, &back, &err) < 0 && err.code == 6, "result: address without prefix is 6");
	}
	{
		const char *v6 = "{\"ips\":[{\"version\":\"6\",\"address\":\"2001:db8::5/64\","
				 "\"gateway\":\"2001:db8::1\"},{\"address\":\"10.1.0.5/24\"}],"
				 "\"routes\":[{\"dst\":\"::/0\"},{\"dst\":\"0.0.0.0/0\"}]}";
		json_auto_t *j = vmnet_json_load(v6, strlen(v6), NULL);
		json_auto_t *out = NULL;
		char buf[VMNET_PREFIXSTRLEN];
		json_t *ip;

		memset(&err, 0, sizeof(err));
		ok(vmnet_result_parse(j, &back, &err) == 0 && back.n_ips == 2 &&
			   back.ips[0].family == 6 && back.ips[1].family == 4 &&
			   !strcmp(vmnet_prefix6_fmt(&back.ips[0].addr6, buf), "2001:db8::5/64") &&
			   !strcmp(vmnet_ip6_fmt(&back.ips[0].gateway6, buf), "2001:db8::1") &&
			   back.routes[0].family == 6 && back.routes[0].dst6.len == 0 &&
			   back.routes[1].family == 4,
		   "result: a dual-stack result parses, each entry in its family (%s)", err.msg);
		ok(vmnet_result_first_ip(&back, 4) == &back.ips[1] &&
			   vmnet_result_first_ip(&back, 6) == &back.ips[0],
		   "result: the first entry of each family");
		out = vmnet_result_render(&back, VMNET_CNI_V040);
		ip = out ? json_array_get(json_object_get(out, "ips"), 0) : NULL;
		ok(ip && !strcmp(json_string_value(json_object_get(ip, "version")), "6") &&
			   !strcmp(json_string_value(json_object_get(ip, "address")), "2001:db8::5/64") &&
			   !strcmp(json_string_value(json_object_get(ip, "gateway")), "2001:db8::1"),
		   "result: an IPv6 entry renders with version 6 in 0.4.0");
	}
	{
		static const char *const bad6[] = {
			"{\"ips\":[{\"address\":\"2001:db8::5/129\"}]}",
			"{\"ips\":[{\"address\":\"2001:db8::5/64\",\"gateway\":\"10.0.0.1\"}]}",
			"{\"ips\":[{\"version\":\"4\",\"address\":\"2001:db8::5/64\"}]}",
			"{\"ips\":[{\"address\":\"::ffff:10.0.0.5/120\"}]}",
			"{\"routes\":[{\"dst\":\"::/0\",\"gw\":\"10.0.0.1\"}]}",
		};

		for (size_t i = 0; i < ARRAY_SIZE(bad6); i++) {
			json_auto_t *j = vmnet_json_load(bad6[i], strlen(bad6[i]), NULL);

			memset(&err, 0, sizeof(err));
			ok(vmnet_result_parse(j, &back, &err) < 0 && err.code == 6,
			   "result: malformed IPv6 entry %zu is 6 (%s)", i, err.msg);
		}
	}
	{
		const char *bi = "{\"interfaces\":[],\"ips\":[{\"address\":\"10.1.0.5/24\",\"interface\":3}]}";
		json_auto_t *j = vmnet_json_load(bi, strlen(bi), NULL);

		memset(&err, 0, sizeof(err));
		ok(vmnet_result_parse(j, &back, &err) < 0 && err.code == 6, "result: interface index out of range is 6");
	}
}

static void test_error_json(void)
{
	struct vmnet_err err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_auto_t *j = NULL;

	vmnet_err_set(&err, CNI_ERR_INVALID_CONFIG, 0, "mtu: bad \x01\xff value");
	vmnet_cni_print_error(f, "1.0.0", &err);
	fclose(f);
	j = vmnet_json_load(buf, len, NULL);
	ok(j && json_integer_value(json_object_get(j, "code")) == 7 &&
		   !strcmp(json_string_value(json_object_get(j, "cniVersion")), "1.0.0") &&
		   json_string_value(json_object_get(j, "msg")) &&
		   strstr(json_string_value(json_object_get(j, "details")), "mtu: bad"),
	   "error JSON has cniVersion, code, msg, details, valid even with odd bytes");
	free(buf);
}

/* Every byte of stdin whatever its size (around the buffer's steps, from a
 * file, through a pipe that hands it over in pieces), and a bound that is
 * code 6. */
static bool read_back(size_t size, bool pipe_it)
{
	char *in = malloc(size + 1), *out = NULL;
	struct vmnet_err err = { 0 };
	size_t got = 0;
	int fds[2] = { -1, -1 }, fd = -1;
	FILE *tmp = NULL;
	bool same;

	for (size_t i = 0; i < size; i++)
		in[i] = (char)('a' + i % 26);
	if (pipe_it && pipe(fds) == 0 && fork() == 0) {
		close(fds[0]);
		for (size_t off = 0; off < size;) {
			ssize_t w = write(fds[1], in + off, size - off < 1000 ? size - off : 1000);

			if (w <= 0)
				_exit(1);
			off += (size_t)w;
		}
		_exit(0);
	}
	if (pipe_it) {
		close(fds[1]);
		fd = fds[0];
	} else if ((tmp = tmpfile()) && fwrite(in, 1, size, tmp) == size && fflush(tmp) == 0) {
		fd = fileno(tmp);
		lseek(fd, 0, SEEK_SET);
	}
	same = fd >= 0 && vmnet_json_read_all(fd, &out, &got, &err) == 0 && got == size &&
	       !memcmp(in, out, size) && out[size] == '\0';
	if (pipe_it) {
		close(fd);
		wait(NULL);
	} else if (tmp) {
		fclose(tmp);
	}
	free(in);
	free(out);
	return same;
}

static void test_read_all(void)
{
	static const size_t sizes[] = { 0, 1, 4095, 4096, 8191, 8192, 12287, 12288, 100000 };
	struct vmnet_err err = { 0 };
	char *out = NULL;
	size_t got = 0;
	int fd;

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		ok(read_back(sizes[i], false), "read_all: %zu bytes from a file, every one", sizes[i]);
		ok(read_back(sizes[i], true), "read_all: %zu bytes through a pipe, every one", sizes[i]);
	}
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	ok(fd >= 0 && vmnet_json_read_all(fd, &out, &got, &err) < 0 && err.code == CNI_ERR_DECODE,
	   "read_all: more than VMNET_JSON_MAX_SIZE is 6");
	if (fd >= 0)
		close(fd);
	free(out);
	err = (struct vmnet_err){ 0 };
	ok(vmnet_json_read_all(-1, &out, &got, &err) < 0 && err.code == CNI_ERR_IO,
	   "read_all: a read that fails is 5");
}

static void test_names(void)
{
	char a[IFNAMSIZ], b[IFNAMSIZ];
	uint8_t m1[6], m2[6];

	vmnet_name_host_if(a, VMNET_PREFIX_VETH, "net", "c1", "eth0");
	vmnet_name_host_if(b, VMNET_PREFIX_VETH, "net", "c1", "eth1");
	ok(strlen(a) == 15 && !strncmp(a, "vmv", 3) && strcmp(a, b), "host names: 15 bytes, distinct");
	vmnet_name_host_if(b, VMNET_PREFIX_VETH, "net", "c1", "eth0");
	ok(!strcmp(a, b), "host names: deterministic");
	vmnet_name_mac(m1, "guest", "net", "c1", "eth0");
	vmnet_name_mac(m2, "host", "net", "c1", "eth0");
	ok(!(m1[0] & 1) && (m1[0] & 2) && memcmp(m1, m2, 6), "MACs: local unicast, guest != host");
}

int main(void)
{
	test_env();
	test_args();
	test_inet6();
	test_result();
	test_error_json();
	test_read_all();
	test_names();
	return done();
}
