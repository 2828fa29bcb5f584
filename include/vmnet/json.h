/* SPDX-License-Identifier: MIT */
/*
 * jansson helpers. Loading is strict (duplicate keys rejected, size and
 * depth bounded); getters report the JSON path of a bad value with CNI
 * code 7 ("invalid configuration").
 */
#ifndef VMNET_JSON_H
#define VMNET_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

struct vmnet_err;

#define VMNET_JSON_MAX_SIZE (1u << 20)	/* 1 MiB of config is already absurd */
#define VMNET_JSON_MAX_DEPTH 32

/* Seed jansson's hash function (its defence against keys chosen to
 * collide) with one getrandom(2) before the first object is made: jansson
 * would otherwise open and read /dev/urandom itself, three system calls
 * in every plugin call. */
void vmnet_json_seed(void);

/* Parse @len bytes of @buf. Returns a new reference (caller decrefs) or
 * NULL with code 6 (decode failure) and "line L, column C: reason". */
json_t *vmnet_json_load(const char *buf, size_t len, struct vmnet_err *err);

/* Read all of @fd (bounded by VMNET_JSON_MAX_SIZE: code 6 beyond) into a
 * malloc'd, NUL-terminated buffer; code 5 on I/O failure. Plain read(2)s,
 * no stdio: a record read costs no fdopen (fcntl, fstat). */
int vmnet_json_read_all(int fd, char **ret_buf, size_t *ret_len, struct vmnet_err *err);

/* Typed getters. A missing key leaves *ret untouched and returns 0 (or
 * code 7 "missing" when @required). A present key of the wrong type is
 * always code 7, naming @path.key. */
int vmnet_json_get_string(json_t *obj, const char *path, const char *key, bool required,
			  const char **ret, struct vmnet_err *err);
int vmnet_json_get_bool(json_t *obj, const char *path, const char *key, bool *ret,
			struct vmnet_err *err);
int vmnet_json_get_int(json_t *obj, const char *path, const char *key, int64_t min, int64_t max,
		       int64_t *ret, struct vmnet_err *err);
/* Object or array, borrowed reference. */
int vmnet_json_get_object(json_t *obj, const char *path, const char *key, bool required,
			  json_t **ret, struct vmnet_err *err);
int vmnet_json_get_array(json_t *obj, const char *path, const char *key, bool required,
			 json_t **ret, struct vmnet_err *err);

/* A JSON string of @s with control and non-ASCII bytes replaced by '?':
 * for messages that quote outside input (json_string() refuses invalid
 * UTF-8). New reference, NULL on OOM. */
json_t *vmnet_json_string_safe(const char *s);

/* Dump compactly into a malloc'd string; NULL on OOM. */
char *vmnet_json_dump(const json_t *v);

/* Set helpers that steal the new value and report OOM as -ENOMEM. */
int vmnet_json_set(json_t *obj, const char *key, json_t *value);
int vmnet_json_append(json_t *arr, json_t *value);

#endif
