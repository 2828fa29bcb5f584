link show lo >/dev/null
link show lo >/dev/null
link show lo >/dev/null
link show lo >/dev/null
link show lo >/dev/null
