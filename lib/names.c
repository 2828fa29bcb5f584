/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "vmnet/cni.h"
#include "vmnet/names.h"

static bool id_chars(const char *s, size_t max)
{
	size_t n;

	if (!s || !isalnum((unsigned char)s[0]))
		return false;
	for (n = 0; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '_' && s[n] != '.' && s[n] != '-')
			return false;
	return n <= max;
}

bool vmnet_name_valid_containerid(const char *s)
{
	return id_chars(s, VMNET_CNI_CONTAINERID_MAX);
}

bool vmnet_name_valid_netname(const char *s)
{
	return id_chars(s, VMNET_NETNAME_MAX);
}

bool vmnet_name_valid_ifname(const char *s)
{
	size_t n;

	if (!s || !*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (n = 0; s[n]; n++)
		if (s[n] == '/' || s[n] == ':' || !isgraph((unsigned char)s[n]))
			return false;
	return n < IFNAMSIZ;
}

static uint64_t fnv(uint64_t h, const char *s)
{
	/* Include the terminating NUL so ("ab","c") and ("a","bc") differ. */
	do {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ULL;
	} while (*s++);
	return h;
}

uint64_t vmnet_hash(const char *a, const char *b, const char *c)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	h = fnv(h, a ? a : "");
	h = fnv(h, b ? b : "");
	h = fnv(h, c ? c : "");
	/* Final avalanche (splitmix64) so the low digits we print are mixed. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

void vmnet_name_host_if(char buf[IFNAMSIZ], const char *prefix, const char *net, const char *cid,
			const char *ifname)
{
	uint64_t h = vmnet_hash(net, cid, ifname);

	snprintf(buf, IFNAMSIZ, "%.3s%012llx", prefix, (unsigned long long)(h & 0xffffffffffffULL));
}

void vmnet_name_mac(uint8_t mac[6], const char *salt, const char *net, const char *cid,
		    const char *ifname)
{
	char key[512];
	uint64_t h;

	snprintf(key, sizeof(key), "%s|%s", salt, net);
	h = vmnet_hash(key, cid, ifname);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02); /* locally administered, unicast */
}

int vmnet_name_alias(char *buf, size_t size, const char *net, const char *cid, const char *ifname)
{
	int n = snprintf(buf, size, VMNET_ALIAS_PREFIX "%s/%s/%s", net, cid, ifname);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}
