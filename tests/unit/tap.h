/* SPDX-License-Identifier: MIT */
/* A tiny TAP producer for unit tests and the root test tools:
 * [plan(n)], ok(cond, fmt...), then done() (or the tool's own plan check).
 * Without plan(), done() prints the plan from the count; with it, the plan
 * comes first and done() fails when the count differs. */
#ifndef VMNET_TEST_TAP_H
#define VMNET_TEST_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed, tap_planned = -1;

__attribute__((format(printf, 2, 3), unused)) static int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	/* Root test tools fork and exec helpers: keep the TAP stream ordered. */
	fflush(stdout);
	return cond;
}

__attribute__((unused)) static void plan(int n)
{
	printf("1..%d\n", n);
	tap_planned = n;
}

__attribute__((unused)) static int done(void)
{
	if (tap_planned < 0) {
		printf("1..%d\n", tap_n);
	} else if (tap_n != tap_planned) {
		printf("# planned %d tests, ran %d\n", tap_planned, tap_n);
		return 1;
	}
	return tap_failed ? 1 : 0;
}

#endif
