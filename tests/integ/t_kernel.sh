#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Kernel-facing layer (netns, links, addresses, routes, tc, taps, sysctls)
# against the real kernel, in a throwaway network namespace: nothing it
# creates can reach the machine's own, and everything dies with the process.
# The TAP comes from tools/ktest (tests/unit/tap.h, with its own plan check).
#
#   tests/integ/t_kernel.sh BUILDDIR      (TAP on stdout)
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

need_root
need_bins "$B/tools/ktest"
# A private mount namespace too, so /sys can be remounted to show the new
# netns's devices (sysfs follows the netns of its mounter).
exec unshare -n -m --propagation private -- \
	/bin/sh -c 'mount -t sysfs sysfs /sys && exec "$0"' "$B/tools/ktest"
