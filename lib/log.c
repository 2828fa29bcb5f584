/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmnet/log.h"

static enum vmnet_log_level level = VMNET_LOG_WARN;
static const char *ident = "vmnet";
static const char *const names[] = { "error", "warning", "info", "debug" };

void vmnet_log_init(const char *id)
{
	const char *env = getenv("VMNET_LOG_LEVEL");

	ident = id;
	if (!env)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(env, names[i]) || (env[0] == names[i][0] && env[1] == '\0'))
			level = (enum vmnet_log_level)i;
	if (!strcmp(env, "err"))
		level = VMNET_LOG_ERR;
	else if (!strcmp(env, "warn"))
		level = VMNET_LOG_WARN;
}

void vmnet_log_set_level(enum vmnet_log_level l)
{
	level = l;
}

enum vmnet_log_level vmnet_log_get_level(void)
{
	return level;
}

void vmnet_log(enum vmnet_log_level l, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (l > level)
		return;
	n = snprintf(line, sizeof(line), "%s[%d]: %s: ", ident, (int)getpid(), names[l]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line so concurrent plugin calls do not interleave. */
	fprintf(stderr, "%s\n", line);
}
