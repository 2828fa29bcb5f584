# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# need_missing CMD...: for each program that is not installed, print one line
# "CMD (Debian package PKG)", with the package from tests/commands.txt. A
# program not listed there prints "CMD (not in tests/commands.txt)", which
# tests/integ/t_deps.sh turns into a failure before it reaches a user.
#
# Sourced by tests/integ/lib.sh (need_cmds, a TAP failure), the demo and the
# guest builder (an error): under `make check` a missing program is never a
# skip, since `make deps` installs every package the list names.

NEED_LIST=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/commands.txt

need_pkg() {
	awk -v c="$1" '!/^#/ && $1 == c { print $2; found = 1; exit } END { exit !found }' \
		"$NEED_LIST"
}

need_missing() {
	local c p
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 && continue
		if p=$(need_pkg "$c"); then
			echo "$c (Debian package $p)"
		else
			echo "$c (not in tests/commands.txt)"
		fi
	done
}
