/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "vmnet/nft.h"
#include "vmnet/inet.h"

int vmnet_port_host_parse(const char *s, struct vmnet_port *p)
{
	p->host_ip = 0;
	memset(&p->host_ip6, 0, sizeof(p->host_ip6));
	p->family = 0;
	if (!s || !*s)
		return 0;
	if (vmnet_ip4_parse(s, &p->host_ip) == 0) {
		p->family = 4;
		return 0;
	}
	if (vmnet_ip6_parse(s, &p->host_ip6) == 0) {
		p->family = 6;
		return 0;
	}
	return -EINVAL;
}

const char *vmnet_port_host_fmt(const struct vmnet_port *p, char *buf)
{
	if (p->family == 4)
		return vmnet_ip4_fmt(p->host_ip, buf);
	if (p->family == 6)
		return vmnet_ip6_fmt(&p->host_ip6, buf);
	buf[0] = '\0';
	return buf;
}

bool vmnet_port_same_host(const struct vmnet_port *a, const struct vmnet_port *b)
{
	return a->proto == b->proto && a->host_port == b->host_port && a->family == b->family &&
	       a->host_ip == b->host_ip && vmnet_ip6_eq(&a->host_ip6, &b->host_ip6);
}
