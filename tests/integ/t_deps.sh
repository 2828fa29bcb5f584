#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `make deps` installs every program the tests, the demo and the benchmarks
# run, so on a clean machine nothing is skipped for a missing program. This
# checks that mechanically:
#  - every program a script asks for (need_cmds, need_missing) is listed in
#    tests/commands.txt;
#  - every package that list names is in the Makefile's DEB_PKGS, installed,
#    and really ships the program;
#  - every DEB_PKGS package is installed, every listed program is on PATH;
#  - a missing program is a failure naming its package, never a skip.
#
#   tests/integ/t_deps.sh BUILDDIR      (TAP on stdout)
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

cd "$LIB_ROOT" || bail "no repository at $LIB_ROOT"
world_init
LIST=tests/commands.txt
DEBS=" $(make -s --no-print-directory print-deps) "
[ "$DEBS" != "  " ] || bail "make print-deps printed nothing"

# requested FILE...: "file program" for every program a script asks for.
requested() {
	awk '
		{ sub(/#.*/, "") }
		/(^|[;&|(])[ \t]*need_(cmds|missing) / && !/\(\) *\{/ {
			s = $0; sub(/.*need_(cmds|missing) /, "", s); sub(/\).*/, "", s)
			n = split(s, w, /[ \t]+/)
			for (i = 1; i <= n; i++) if (w[i] ~ /^[a-z0-9][a-z0-9_.+-]*$/) print FILENAME, w[i]
		}' "$@"
}

listed() { awk '!/^#/ && NF { print $1 }' "$LIST"; }

SCRIPTS=$(git ls-files 'tests/*.sh' 'tests/**/*.sh' 2>/dev/null | sort -u)
[ -n "$SCRIPTS" ] || SCRIPTS=$(find tests -name '*.sh' | sort)
# shellcheck disable=SC2086
REQ=$(requested $SCRIPTS | sort -u)
t_match "the scripts ask for programs (the scan sees need_cmds)" "$(wc -l <<<"$REQ")" '^[1-9][0-9]+$'

bad=
while read -r f c; do
	[ -n "$c" ] || continue
	listed | grep -qxF -- "$c" || bad+="$f asks for $c, which tests/commands.txt does not list"$'\n'
done <<<"$REQ"
t_eq "every program a script asks for is in tests/commands.txt" "$bad" ""

bad=
while read -r c pkg owner; do
	case $c in '#'* | '') continue ;; esac
	owner=${owner:-$pkg}
	[[ $DEBS == *" $pkg "* ]] || { bad+="$c: $pkg is not in DEB_PKGS"$'\n'; continue; }
	dpkg-query -W -f='${db:Status-Abbrev}' "$owner" 2>/dev/null | grep -q '^ii' ||
		{ bad+="$c: $owner is not installed (make deps)"$'\n'; continue; }
	command -v "$c" >/dev/null 2>&1 || { bad+="$c is not on PATH"$'\n'; continue; }
	# The package ships bin/$c itself, or (an alternative such as
	# iptables or gnuplot) the program it resolves to.
	dpkg -L "$owner" 2>/dev/null | grep -qE "/s?bin/$c\$" ||
		dpkg -S "$(readlink -f "$(command -v "$c")")" 2>/dev/null | grep -q "^$owner:" ||
		bad+="$c: package $owner ships no bin/$c"$'\n'
done <"$LIST"
t_eq "each listed program comes from its package, which make deps installs" "$bad" ""

bad=
for p in $DEBS; do
	dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || bad+="$p "
done
t_eq "every DEB_PKGS package is installed" "$bad" ""

# The scan itself: an unlisted program in a script is seen.
printf 'need_cmds jq no-such-prog\n' >"$W_TMP/probe.sh"
t_eq "the scan finds a program a script asks for" "$(requested "$W_TMP/probe.sh" | awk '{print $2}' | tr '\n' ' ')" "jq no-such-prog "

# A missing program fails, naming its package; it is never a skip (77).
mkdir "$W_TMP/bin"
for c in dirname awk cat mktemp; do ln -s "$(command -v "$c")" "$W_TMP/bin/$c"; done
t_run env PATH="$W_TMP/bin" /bin/bash -c ". tests/integ/lib.sh; need_cmds arping"
rc=$?
t_eq "need_cmds with arping missing exits 1 (a failure, not a skip)" "$rc" 1
t_match "and names its Debian package" "$T_OUT" 'not ok 1 - not installed: arping \(Debian package iputils-arping\)'

t_done
