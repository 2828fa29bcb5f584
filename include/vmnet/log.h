/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr (plugins: stdout carries only JSON). The level comes from
 * VMNET_LOG_LEVEL (err, warn, info, debug) or vmnet_log_set_level().
 * Core code logs at debug level only; binaries report failures.
 */
#ifndef VMNET_LOG_H
#define VMNET_LOG_H

#include "common.h"

enum vmnet_log_level { VMNET_LOG_ERR, VMNET_LOG_WARN, VMNET_LOG_INFO, VMNET_LOG_DEBUG };

void vmnet_log_init(const char *ident);
void vmnet_log_set_level(enum vmnet_log_level level);
enum vmnet_log_level vmnet_log_get_level(void);
void vmnet_log(enum vmnet_log_level level, const char *fmt, ...) _printf_(2, 3);

#define log_err(...) vmnet_log(VMNET_LOG_ERR, __VA_ARGS__)
#define log_warn(...) vmnet_log(VMNET_LOG_WARN, __VA_ARGS__)
#define log_info(...) vmnet_log(VMNET_LOG_INFO, __VA_ARGS__)
#define log_debug(...) vmnet_log(VMNET_LOG_DEBUG, __VA_ARGS__)

#endif
