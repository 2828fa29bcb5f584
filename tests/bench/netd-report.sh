#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/bench/netd-report.sh OUTDIR — netd's pass cost at the N each netd
# held at the end of compare.sh (netd-pass.csv): the median of the full
# passes (every record read, proven and checked) against the median of the
# incremental ones (an event about one attachment: only it is checked).
f=$1/netd-pass.csv
[ -s "$f" ] || { echo "netd-report.sh: no $f" >&2; exit 0; }
echo "netd: one reconcile pass, median, at the N each netd holds (full: every attachment; incremental: one event, one attachment)"
awk -F, 'NR > 1 && $5 != "" { k = $1 "," $2 "," $3; v[k] = v[k] " " $5; c[k] = $6; impls[$1 "," $2] = 1 }
function median(s,   a, m, i, j, x) {
	m = split(substr(s, 2), a, " ")
	for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > x + 0; j--) a[j + 1] = a[j]; a[j + 1] = x }
	return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
END {
	printf "%-22s %7s %12s %9s %14s %9s %8s\n", "impl", "N", "full ms", "checked", "incremental ms", "checked", "ratio"
	for (x in impls) {
		split(x, p, ",")
		f = median(v[x ",full"]); i = median(v[x ",incremental"])
		printf "%-22s %7d %12.2f %9s %14.3f %9s %7.0fx\n", p[1], p[2], f / 1000, c[x ",full"],
			i / 1000, c[x ",incremental"], (i > 0 ? f / i : 0)
	}
}' "$f" | { read -r h; echo "$h"; sort; }
