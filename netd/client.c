/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "vmnet/err.h"
#include "vmnet/json.h"

#define REPLY_MAX (64u << 20)

static int talk(const char *path, const char *line, char **ret, size_t *ret_len,
		struct vmnet_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 60 };
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0, off = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, ENAMETOOLONG, "socket path too long");
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno,
				     "connecting to %s (is netd running?)", path);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (off < strlen(line)) {
		ssize_t n = send(fd, line + off, strlen(line) - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* refused peers are cut off: their reply is still there */
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n;

		if (len + 4096 > cap) {
			char *nb;

			if (cap >= REPLY_MAX)
				return vmnet_err_set(err, NETD_E_DECODE, EMSGSIZE, "reply too large");
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb)
				return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "reply");
			buf = nb;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, errno, "reading from netd");
		if (n == 0)
			break;
		len += (size_t)n;
		if (memchr(buf, '\n', len))
			break;
	}
	if (!len)
		return vmnet_err_set(err, NETD_E_DECODE, EBADMSG, "netd closed without a reply");
	buf[len] = '\0';
	*ret = steal_ptr(buf);
	*ret_len = len;
	return 0;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static long long num(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void print_firewalld(json_t *f)
{
	if (!json_is_true(json_object_get(f, "bus")))
		printf("%-14s not managed: %s\n", "firewalld:", str(f, "error"));
	else if (!json_is_true(json_object_get(f, "running")))
		printf("%-14s not running\n", "firewalld:");
	else
		printf("%-14s running, zone %s applied to %lld of %lld devices%s%s\n", "firewalld:",
		       str(f, "zone"), num(f, "devices"), num(f, "wanted"),
		       *str(f, "error") ? "; " : "", str(f, "error"));
}

static void print_ipv6(json_t *v)
{
	if (!json_is_true(json_object_get(v, "enabled"))) {
		printf("%-14s off\n", "ra/dhcpv6:");
		return;
	}
	printf("%-14s on: %lld guests served; %lld solicitations, %lld RAs sent; DHCPv6 %lld "
	       "received, %lld answered; %lld unknown, %lld malformed, %lld send errors\n",
	       "ra/dhcpv6:", num(v, "guests"), num(v, "rs_rx"), num(v, "ra_tx"), num(v, "dhcp6_rx"),
	       num(v, "dhcp6_tx"), num(v, "ignored_unknown"), num(v, "ignored_malformed"),
	       num(v, "send_errors"));
}

static void print_status(json_t *d)
{
	json_t *nft = json_object_get(d, "nftables"), *rc = json_object_get(d, "reconcile");
	json_t *dh = json_object_get(d, "dhcp");

	printf("%-14s %lld\n", "pid:", num(d, "pid"));
	printf("%-14s %s\n", "state dir:", str(d, "state_dir"));
	printf("%-14s %s\n", "socket:", str(d, "socket"));
	printf("%-14s %lld s\n", "uptime:", num(d, "uptime_secs"));
	printf("%-14s %lld (%lld ok, %lld broken, %lld unverified)\n", "attachments:",
	       num(d, "attachments"), num(d, "ok"), num(d, "broken"), num(d, "unverified"));
	printf("%-14s %s (version %lld, expected %lld)\n", "nftables:",
	       json_is_true(json_object_get(nft, "table")) ? "inet vmnet present" : "inet vmnet MISSING",
	       num(nft, "version"), num(nft, "expected_version"));
	printf("%-14s %lld passes, every %lld s; last took %lld ms; %lld repaired, %lld removed, "
	       "%lld table restores in all\n",
	       "reconcile:", num(rc, "passes"), num(d, "full_every_secs"), num(rc, "last_ms"),
	       num(rc, "repaired"), num(rc, "removed"), num(rc, "table_restores"));
	printf("%-14s %lld full (last %lld us, %lld checked), %lld incremental (last %lld us, "
	       "%lld checked); the last was %s, %lld checked; the last full one in %lld steps "
	       "(the longest %lld us)%s\n",
	       "passes:", num(rc, "full_passes"), num(rc, "last_full_us"),
	       num(rc, "last_full_checked"), num(rc, "incremental_passes"),
	       num(rc, "last_incremental_us"), num(rc, "last_incremental_checked"),
	       str(rc, "last_kind"), num(rc, "last_checked"), num(rc, "last_full_steps"),
	       num(rc, "last_full_longest_step_us"), json_is_true(json_object_get(rc, "full_pass_running")) ? ", one under way" : "");
	printf("%-14s %lld taps waiting for reuse or removal\n", "parked:", num(d, "parked"));
	printf("%-14s %lld spare inodes made for ADDs\n", "inode pools:", num(d, "pooled_inodes"));
	if (*str(rc, "last_error"))
		printf("%-14s %s\n", "last error:", str(rc, "last_error"));
	if (json_is_true(json_object_get(dh, "enabled")))
		printf("%-14s on: %lld received, %lld offers, %lld acks, %lld naks, %lld unknown, "
		       "%lld malformed\n",
		       "dhcp:", num(dh, "rx"), num(dh, "offers"), num(dh, "acks"), num(dh, "naks"),
		       num(dh, "ignored_unknown"), num(dh, "ignored_malformed"));
	else
		printf("%-14s off %s\n", "dhcp:", str(dh, "error"));
	print_ipv6(json_object_get(d, "ipv6"));
	print_firewalld(json_object_get(d, "firewalld"));
	{
		json_t *w = json_object_get(d, "warnings"), *it;
		size_t i;

		json_array_foreach(w, i, it)
			printf("%-14s %s\n", "WARNING:", json_string_value(it));
		w = json_object_get(d, "unverified_attachments");
		json_array_foreach(w, i, it)
			printf("%-14s %s/%s@%s (%s): %s\n", "UNVERIFIED:", str(it, "network"),
			       str(it, "cid"), str(it, "ifname"), str(it, "netns"), str(it, "reason"));
	}
}

static void print_list(json_t *d)
{
	static const char *const cols[] = { "network", "cid",  "ifname", "mode", "host_if",
					    "guest",   "guest6", "mac", "status" };
	static const char *const heads[] = { "NETWORK", "CONTAINER", "IFNAME", "MODE", "HOST-IF",
					     "GUEST",   "GUEST6",    "MAC", "STATUS" };
	json_t *arr = json_object_get(d, "attachments"), *e;
	int w[ARRAY_SIZE(cols)];
	size_t i;

	for (size_t c = 0; c < ARRAY_SIZE(cols); c++)
		w[c] = (int)strlen(heads[c]);
	json_array_foreach(arr, i, e)
		for (size_t c = 0; c + 1 < ARRAY_SIZE(cols); c++) {
			int l = (int)strlen(str(e, cols[c]));

			if (!strcmp(cols[c], "cid") && l > 12)
				l = 12;
			if (l > w[c])
				w[c] = l;
		}
	for (size_t c = 0; c < ARRAY_SIZE(cols); c++)
		if (c + 1 < ARRAY_SIZE(cols))
			printf("%-*s  ", w[c], heads[c]);
		else
			printf("%s\n", heads[c]);
	json_array_foreach(arr, i, e)
		for (size_t c = 0; c < ARRAY_SIZE(cols); c++) {
			const char *s = str(e, cols[c]);

			if (c + 1 == ARRAY_SIZE(cols))
				printf("%s\n", s);
			else if (!strcmp(cols[c], "cid"))
				printf("%-*.12s  ", w[c], s);
			else
				printf("%-*s  ", w[c], s);
		}
}

static void print_lease(json_t *d)
{
	json_t *dns = json_object_get(d, "dns"), *x;
	size_t i;

	printf("%-10s %s\n", "network:", str(d, "network"));
	printf("%-10s %s\n", "container:", str(d, "cid"));
	printf("%-10s %s\n", "ifname:", str(d, "ifname"));
	printf("%-10s %s\n", "mac:", str(d, "mac"));
	if (*str(d, "ip"))
		printf("%-10s %s/%lld\n", "address:", str(d, "ip"), num(d, "prefix_len"));
	else
		printf("%-10s %s\n", "address:", "none (IPv6-only)");
	printf("%-10s %s\n", "gateway:", str(d, "gateway"));
	printf("%-10s %lld\n", "mtu:", num(d, "mtu"));
	printf("%-10s", "dns:");
	json_array_foreach(dns, i, x)
		printf(" %s", json_string_value(x));
	printf("\n%-10s %s\n", "domain:", str(d, "domain"));
	printf("%-10s %s\n", "kernel:", str(d, "kernel_arg"));
	if (!*str(d, "ip6"))
		return;
	printf("%-10s %s/%lld (%s)\n", "address6:", str(d, "ip6"), num(d, "prefix_len6"),
	       json_is_true(json_object_get(d, "ipv6_served")) ? "served by RA and DHCPv6"
							     : "not served now");
	printf("%-10s %s\n", "gateway6:", str(d, "gateway6"));
	printf("%-10s", "dns6:");
	json_array_foreach(json_object_get(d, "dns6"), i, x)
		printf(" %s", json_string_value(x));
	printf("\n%-10s", "search6:");
	json_array_foreach(json_object_get(d, "search6"), i, x)
		printf(" %s", json_string_value(x));
	printf("\n");
}

int netd_client_run(const struct netd_opts *o, const struct netd_request *req)
{
	_cleanup_free_ char *line = netd_proto_encode_request(req), *reply = NULL;
	struct vmnet_err err = { 0 };
	json_auto_t *data = NULL;
	size_t len = 0;
	int r;

	if (!line) {
		fprintf(stderr, "netd: out of memory\n");
		return 1;
	}
	r = talk(o->socket, line, &reply, &len, &err);
	if (r == 0)
		r = netd_proto_decode_reply(reply, len, &data, &err);
	if (r < 0) {
		if (o->json) {
			json_auto_t *e = json_pack("{s:b,s:i,s:s}", "ok", 0, "code", err.code,
						   "message", err.msg);
			char *s = e ? json_dumps(e, JSON_COMPACT) : NULL;

			if (s)
				printf("%s\n", s);
			free(s);
		}
		fprintf(stderr, "netd: %s\n", err.msg);
		return 1;
	}
	if (o->json) {
		char *s = json_dumps(data, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		printf("%s\n", s ? s : "{}");
		free(s);
		return 0;
	}
	switch (req->cmd) {
	case NETD_CMD_STATUS:
		print_status(data);
		break;
	case NETD_CMD_LIST:
		print_list(data);
		break;
	case NETD_CMD_LEASE:
		if (o->kernel_arg && !*str(data, "kernel_arg")) {
			fprintf(stderr,
				"netd: %s has no IPv4 address (IPv6-only network): no ip= kernel "
				"argument; the guest takes its IPv6 address by RA and DHCPv6\n",
				req->cid);
			return 1;
		} else if (o->kernel_arg) {
			printf("%s\n", str(data, "kernel_arg"));
		} else
			print_lease(data);
		break;
	case NETD_CMD_RELEASE:
		printf("%lld descriptors released since netd started\n", num(data, "released"));
		break;
	case NETD_CMD_RECONCILE:
		printf("%lld records: %lld repaired, %lld removed, table %s, %lld errors (%lld ms)%s%s\n",
		       num(data, "records"), num(data, "repaired"), num(data, "removed"),
		       num(data, "table_restored") ? "restored" : "in place", num(data, "errors"),
		       num(data, "ms"), *str(data, "last_error") ? "; last: " : "",
		       str(data, "last_error"));
		break;
	}
	return 0;
}
