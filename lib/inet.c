/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmnet/inet.h"

int vmnet_ip4_parse(const char *s, uint32_t *ret_addr)
{
	struct in_addr a;
	struct in6_addr a6;

	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &a) == 1) {
		*ret_addr = ntohl(a.s_addr);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1)
		return -EAFNOSUPPORT;
	return -EINVAL;
}

int vmnet_prefix_split(const char *s, char *addr, size_t size, unsigned max, bool allow_bare,
		       unsigned *ret_len)
{
	const char *slash;
	unsigned long len = max;
	char *end;
	size_t n;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= size)
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (!slash) {
		if (!allow_bare)
			return -EINVAL;
	} else {
		if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > (max >= 100 ? 3u : 2u))
			return -EINVAL;
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || *end || len > max)
			return -EINVAL;
	}
	*ret_len = (unsigned)len;
	return 0;
}

int vmnet_prefix_parse(const char *s, bool strict, bool allow_bare, struct vmnet_prefix *ret)
{
	char buf[VMNET_PREFIXSTRLEN];
	unsigned len;
	uint32_t addr;
	int r;

	r = vmnet_prefix_split(s, buf, sizeof(buf), 32, allow_bare, &len);
	if (r < 0)
		return r;
	r = vmnet_ip4_parse(buf, &addr);
	if (r < 0)
		return r;
	if (strict && (addr & ~vmnet_mask((uint8_t)len)))
		return -EINVAL;
	ret->addr = addr;
	ret->len = (uint8_t)len;
	return 0;
}

const char *vmnet_ip4_fmt(uint32_t addr, char *buf)
{
	struct in_addr a = { .s_addr = htonl(addr) };

	return inet_ntop(AF_INET, &a, buf, VMNET_ADDRSTRLEN);
}

const char *vmnet_prefix_fmt(const struct vmnet_prefix *p, char *buf)
{
	char a[VMNET_ADDRSTRLEN];

	snprintf(buf, VMNET_PREFIXSTRLEN, "%s/%u", vmnet_ip4_fmt(p->addr, a), p->len);
	return buf;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vmnet_mac_parse(const char *s, bool unicast, uint8_t ret_mac[6])
{
	uint8_t mac[6];

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (unicast) {
		static const uint8_t zero[6];

		if ((mac[0] & 1) || !memcmp(mac, zero, 6))
			return -EINVAL;
	}
	memcpy(ret_mac, mac, 6);
	return 0;
}

const char *vmnet_mac_fmt(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

static const struct {
	uint8_t proto;
	const char *name;
} protos[] = { { IPPROTO_TCP, "tcp" }, { IPPROTO_UDP, "udp" }, { IPPROTO_SCTP, "sctp" } };

const char *vmnet_proto_name(uint8_t proto)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

int vmnet_proto_parse(const char *s, uint8_t *ret)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcasecmp(s, protos[i].name)) {
			*ret = protos[i].proto;
			return 0;
		}
	return -EINVAL;
}
