#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# An ADD that dies half way (VMNET_FAILPOINT makes the plugin _exit at a
# chosen step, as SIGKILL or a power cut would) loses no address and leaks no
# device, element or record: the runtime's DEL cleans up, and so does netd
# when nobody calls DEL.
#
#   tests/integ/t_crash.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq nft
NETD=$B/netd
need_bins "$VMNET" "$B/vmnet-ipam" "$NETD"
world_init
host_ns

NET=crash1
CONF=$(conf_shared "$NET" vmbrcr$$ 10.81.0.0/24 10.81.0.1 \
	'.runtimeConfig = {portMappings: [{hostPort: 8090, containerPort: 80, protocol: "tcp"}]}')

ipam_files() { find "$W_TMP/ipam/$NET" -maxdepth 1 -name '10.*' 2>/dev/null | wc -l; }
our_links() { ip -n "$HOST_NS" -o link show | grep -cE ': (vmv|vmt|vmbr)' ; }
records() { find "$W_TMP/state/$NET" -name '*.json' 2>/dev/null | wc -l; }
elements() { ip netns exec "$HOST_NS" nft list set inet vmnet guests4 2>/dev/null | grep -c '10\.81\.'; }

# crash POINT CID VMNS: an ADD that dies at POINT (exit 99, no output).
crash() {
	ip netns exec "$HOST_NS" env -i PATH="$PATH" VMNET_FAILPOINT="$1" CNI_COMMAND=ADD \
		CNI_CONTAINERID="$2" CNI_IFNAME=eth0 CNI_NETNS="/run/netns/$3" CNI_PATH="$B" \
		"$VMNET" <<<"$CONF" >"$W_TMP/crash.out" 2>&1
	local rc=$?
	[ "$rc" = 99 ] && ! [ -s "$W_TMP/crash.out" ] || { echo "exit $rc: $(cat "$W_TMP/crash.out")"; return 1; }
}

clean() {
	[ "$(ipam_files)" = 0 ] && [ "$(our_links)" = 0 ] && [ "$(records)" = 0 ] &&
		[ -z "$(parked_bad "$HOST_NS")" ] &&
		[ "$(elements)" = 0 ] && ! ip -n "$1" -o link show | grep -qv ': lo:'
}
state() { echo "ipam=$(ipam_files) links=$(our_links) records=$(records) elements=$(elements) vm: $(ip -n "$1" -o link show | grep -v ': lo:' | cut -d: -f2 | tr -d '\n')"; }

# 1. Dies after IPAM, before anything else: DEL releases the address.
vm_ns a
A=$REPLY
t_ok "ADD dies after IPAM" crash add-after-ipam ca "$A"
t_eq "the address is still held" "$(ipam_files)" 1
t_plugin "DEL after the crash" DEL id=ca ns="$A"
t_ok "nothing left: $(state "$A")" clean "$A"

# 2. Dies after the kernel work, before the record is ready: DEL finds it
# all from the pending record (no prevResult exists for a failed ADD).
t_ok "ADD dies after the kernel work" crash add-after-attach cb "$A"
t_ok "devices, elements, a pending record and the address exist" \
	sh -c "[ $(our_links) -ge 2 ] && [ $(elements) = 1 ] && [ $(ipam_files) = 1 ] && grep -q '\"pending\"' $W_TMP/state/$NET/cb@eth0.json"
t_plugin_code "CHECK reports the unfinished ADD" 110 CHECK id=cb ns="$A"
t_plugin "DEL after the crash" DEL id=cb ns="$A"
t_ok "nothing left: $(state "$A")" clean "$A"
t_ok "the port can be published again" plugin ADD id=cc ns="$A"
t_plugin "DEL" DEL id=cc ns="$A"

# 2b. The same crash, then the runtime retries ADD without a DEL between:
# the retry undoes the unfinished ADD (tap0 in the VM namespace, the host
# device, the address) and succeeds, in both wirings.
for tap in netns host; do
	conf=$(jq -c --arg t "$tap" '.tap = $t' <<<"$CONF")
	CONF=$conf t_ok "[$tap] ADD dies after the kernel work" crash add-after-attach cr "$A"
	t_ok "[$tap] the retried ADD succeeds" plugin ADD id=cr ns="$A" conf="$conf"
	t_eq "[$tap] the retry's record is ready" "$(jq -r .state "$W_TMP/state/$NET/cr@eth0.json")" ready
	t_eq "[$tap] one address is held" "$(ipam_files)" 1
	t_plugin "[$tap] DEL" DEL id=cr ns="$A" conf="$conf"
	t_ok "[$tap] nothing left: $(state "$A")" clean "$A"
done

# 3. The same crash and nobody calls DEL: netd undoes the ADD.
t_ok "ADD dies after the kernel work (no DEL follows)" crash add-after-attach cd "$A"
ip netns exec "$HOST_NS" "$NETD" --state-dir "$W_TMP/state" --socket "$W_TMP/netd.sock" \
	--cni-path "$B" </dev/null >>"$W_TMP/netd.log" 2>&1 &
NETD_PID=$!
track_pid $NETD_PID
for _ in $(seq 100); do clean "$A" && break; sleep 0.05; done
t_ok "netd removed the crashed ADD's devices, elements, record and address" clean "$A"
diag "$(grep -m1 'did not finish' "$W_TMP/netd.log")"
kill_pid $NETD_PID
t_done
