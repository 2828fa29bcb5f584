/* SPDX-License-Identifier: MIT */
/*
 * netd/firewalld.c without a system bus (no root, no dbus-daemon): netd goes
 * on as before. The handle exists, has no fd, syncs nothing and says why;
 * a reconnect is not tried again at once. tests/integ/t_firewalld.sh runs
 * the real firewalld.
 */
#include <stdlib.h>
#include <string.h>

#include "../../netd/firewalld.h"
#include "tap.h"

int main(void)
{
	static const char *const devs[] = {"vmbr0", "vmv0123456789ab", "vmbr0", ""};
	struct netd_fwd *f = NULL;
	struct netd_fwd_status s;

	setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/vmnet-unit-no-bus", 1);
	ok(netd_fwd_open(&f) == 0 && f, "open without a system bus succeeds");
	ok(netd_fwd_fd(f) == -1, "no fd to poll");
	ok(netd_fwd_handle(f) == 0, "nothing to handle");
	ok(netd_fwd_sync(f, devs, 4) == 0, "sync is a no-op, nothing to retry");
	ok(netd_fwd_reconnect(f) == 0, "no second try at once");
	netd_fwd_get_status(f, &s);
	ok(!s.bus && !s.running && !s.bound, "status: no bus, firewalld not seen, nothing bound");
	ok(strstr(s.error, "no system bus") != NULL, "status says why: %s", s.error);
	netd_fwd_close(f);
	netd_fwd_close(NULL);
	ok(netd_fwd_fd(NULL) == -1 && netd_fwd_sync(NULL, devs, 1) == 0, "a NULL handle is inert");
	return done();
}
