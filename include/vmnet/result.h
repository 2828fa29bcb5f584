/* SPDX-License-Identifier: MIT */
/*
 * CNI results as plain data: parsed from any supported version (IPAM
 * results, prevResult) and rendered for the requested version (0.3.x and
 * 0.4.0 carry ips[].version; 1.1.0 adds interfaces[].mtu).
 */
#ifndef VMNET_RESULT_H
#define VMNET_RESULT_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "cni.h"
#include "inet.h"

struct vmnet_err;

#define VMNET_RESULT_MAX_IFACES 8
#define VMNET_RESULT_MAX_IPS 8
#define VMNET_RESULT_MAX_ROUTES 16
#define VMNET_RESULT_MAX_DNS 8

struct vmnet_result_iface {
	char name[64];
	char mac[18];	 /* "" when unknown */
	char sandbox[512];   /* netns path, container ID, or "" */
	uint32_t mtu;	 /* 0 = not reported */
	char socket_path[108];
};

/* An entry is of one family: @family 4 uses addr/gateway (dst/gw), 6 uses
 * addr6/gateway6 (dst6/gw6). */
struct vmnet_result_ip {
	uint8_t family;		   /* 4 or 6 */
	struct vmnet_prefix addr;  /* address with its prefix length */
	uint32_t gateway;	   /* 0 = none */
	struct vmnet_prefix6 addr6;
	struct in6_addr gateway6;  /* :: = none */
	int iface;		   /* index into ifaces, -1 = none */
};

struct vmnet_result_route {
	uint8_t family; /* 4 or 6 */
	struct vmnet_prefix dst;
	uint32_t gw; /* 0 = none */
	struct vmnet_prefix6 dst6;
	struct in6_addr gw6; /* :: = none */
};

struct vmnet_result_dns {
	char nameservers[VMNET_RESULT_MAX_DNS][VMNET_ADDRSTRLEN];
	unsigned n_nameservers;
	char domain[256];
	char search[VMNET_RESULT_MAX_DNS][256];
	unsigned n_search;
	char options[VMNET_RESULT_MAX_DNS][64];
	unsigned n_options;
};

struct vmnet_result {
	struct vmnet_result_iface ifaces[VMNET_RESULT_MAX_IFACES];
	unsigned n_ifaces;
	struct vmnet_result_ip ips[VMNET_RESULT_MAX_IPS];
	unsigned n_ips;
	struct vmnet_result_route routes[VMNET_RESULT_MAX_ROUTES];
	unsigned n_routes;
	struct vmnet_result_dns dns;
};

/* Parse a result object of any version 0.3.0..1.1.0, entries of either
 * family (a gateway of another family than its address is malformed).
 * Code 6 for malformed input (with the JSON path), code 7 for values out
 * of range. */
int vmnet_result_parse(json_t *v, struct vmnet_result *ret, struct vmnet_err *err);

/* Render for @version. New reference, NULL on OOM. */
json_t *vmnet_result_render(const struct vmnet_result *res, enum vmnet_cni_version version);

/* The first entry of family @family (4 or 6), NULL if none. */
const struct vmnet_result_ip *vmnet_result_first_ip(const struct vmnet_result *res, int family);

/* Append an interface; returns its index or -ENOSPC. */
int vmnet_result_add_iface(struct vmnet_result *res, const char *name, const char *mac,
			   const char *sandbox, uint32_t mtu);

#endif
