#!/bin/bash
# Kernel-facing layer (netns, links, addresses, routes, tc, taps, sysctls)
# against the real kernel, in a throwaway network namespace: nothing it
# creates can reach the machine's own, and everything dies with the process.
# Usage: t_kernel.sh [BUILD_DIR]   (default $VMNET_BUILD or build)
set -eu

B=${1:-${VMNET_BUILD:-build}}
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 77
fi
if [ ! -x "$B/tools/ktest" ]; then
	echo "Bail out! $B/tools/ktest not built (make $B/tools/ktest)"
	exit 1
fi
# A private mount namespace too, so /sys can be remounted to show the new
# netns's devices (sysfs follows the netns of its mounter).
exec unshare -n -m --propagation private -- \
	/bin/sh -c 'mount -t sysfs sysfs /sys && exec "$0"' "$B/tools/ktest"
