#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Bad input: every malformed config, environment or CNI_ARGS must give its
# exact CNI error code (tests/integ/CONTRACT.md) as error JSON on stdout with
# a non-zero exit, and must leave nothing behind: no new link in the host or
# VM namespace, no nft element, no IPAM reservation, no attachment record.
# Also: range exhaustion, an ifname that already exists, the VERSION verb.
#
#   tests/integ/t_badinput.sh BUILDDIR      (root; TAP on stdout)
. "$(dirname "$0")/lib.sh"

host_world nft
vm_ns vm && VM=$REPLY
vm_ns vm2 && VM2=$REPLY

NET=bad
BR=vmbr-bad
CONF=$(conf_shared "$NET" "$BR" 10.77.0.0/24 10.77.0.1)
NSP=/run/netns/$VM
CID_N=0

# A fresh container ID per case, so no case sees another's leftovers: bad and
# bad_raw replace "@CID" in their arguments with it; new_cid sets C.
new_cid() { CID_N=$((CID_N + 1)); C=${P}c$CID_N; }
fill_cid() {
	local a
	new_cid
	FILLED=()
	for a in "$@"; do FILLED+=("${a//@CID/$C}"); done
}
conf() { jq -c "$1" <<<"$CONF"; }

# ---------------------------------------------------------------- state

links() { ip -n "$1" -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort; }

# snap VMNS...: everything a failed call must not leave behind.
snap() {
	local ns s
	echo "host links: $(links "$HOST_NS" | tr '\n' ' ')"
	for ns in "$@"; do echo "$ns links: $(links "$ns" | tr '\n' ' ')"; done
	for s in guests4 masq4 guests6 masq6; do
		echo "$s: $(ip netns exec "$HOST_NS" nft -j list set inet vmnet $s 2>/dev/null |
			jq -r '[.nftables[].set.elem // empty | .[] | tostring] | sort | join(" ")')"
	done
	# Reservations are <dataDir>/<network>/<ip>; subdirectories (the
	# plugin's own .vmnet index) are bookkeeping, like lock.
	echo "ipam files: $(cd "$W_TMP" && find ipam -mindepth 2 -maxdepth 2 -type f ! -name lock ! -name 'last_reserved_ip.*' 2>/dev/null | sort | tr '\n' ' ')"
	echo "records: $(cd "$W_TMP" && find state -type f ! -name .lock 2>/dev/null | sort | tr '\n' ' ')"
}

# ---------------------------------------------------------------- calls

# raw CONF ENV...: the plugin in HOST_NS with exactly ENV (lib.sh's cni_env).
raw() { cni_env "$HOST_NS" "$@"; }

# expect_err NAME CODE: the last call failed with error JSON carrying CODE.
expect_err() {
	local name=$1 want=$2 shape
	# cniVersion must be a version, not just any string (garbage from a
	# dangling pointer can be valid UTF-8).
	shape=$(jq -r 'if type == "object" and (.cniVersion | type) == "string" and
		(.cniVersion | test("^[0-9]+\\.[0-9]+\\.[0-9]+$")) and
		(.code | type) == "number" and (.msg | type) == "string" and
		(.details | type) == "string" then "ok" else "bad" end' <<<"$CNI_OUT" 2>/dev/null)
	if [ "$CNI_RC" -eq 0 ]; then
		not_ok "$name: code $want" "succeeded" "$(cni_report)"
	elif [ "$shape" != ok ]; then
		not_ok "$name: code $want" "stdout is not error JSON {cniVersion,code,msg,details}" "$(cni_report)"
	elif [ "$(json_get "$CNI_OUT" .code)" != "$want" ]; then
		not_ok "$name: code $want" "wrong code" "$(cni_report)"
	else
		ok "$name: code $want"
		diag "$(json_get "$CNI_OUT" .details)"
	fi
}

# A live attachment on another network for the whole run: no DEL of a
# failed ADD may touch it, not even one whose prevResult names its address
# (runtimes replay the cached result on every DEL).
vm_ns live && VML=$REPLY
LCONF=$(conf_shared live vmbr-live 10.76.0.0/24 10.76.0.1)
LCID=${P}live
plugin ADD id="$LCID" ns="$VML" conf="$LCONF" || bail "ADD of the live attachment"
LIVE=$CNI_OUT
LIVE_IP=$(json_get "$LIVE" '.ips[0].address' | cut -d/ -f1)

# live_intact: the live attachment's CHECK passes (devices, address, nft).
live_intact() {
	plugin CHECK id="$LCID" \
		ns="$VML" conf="$(jq -c --argjson r "$LIVE" '.prevResult = $r' <<<"$LCONF")" >/dev/null
}

# DEL_WANT: what a DEL of the case's input gets. Unset: the input is as
# invalid for DEL as for ADD (config, container ID, ifname, CNI_ARGS key,
# version), so DEL refuses it with the ADD's code; 0: DEL must succeed
# (what was wrong only matters to ADD: the netns, the ipam section, a MAC);
# "none": no DEL runs (the container is attached: its DEL is tested below).
DEL_WANT=

# del_status: "0" for a successful call, else its error code.
del_status() { if [ "$CNI_RC" -eq 0 ]; then echo 0; else json_get "$CNI_OUT" .code; fi; }

# dels NAME CALL ARGS...: the DELs a runtime sends after a failed ADD, with
# the ADD's inputs (ARGS as CALL takes them, "@CMD" for the command): twice
# without prevResult, twice with one (the live attachment's result, naming
# an address another VM holds). Each exits 0 (or with DEL_WANT); afterwards
# nothing is left and the live attachment is intact.
dels() {
	local name=$1 call=$2 want=$DEL_WANT before a v
	local -a args
	shift 2
	before=$(snap "$VM")
	for v in "" "" prev prev; do
		args=()
		for a in "$@"; do
			a=${a//@CMD/DEL}
			# An undecodable config (code 6) cannot carry a prevResult:
			# jq would repair it (duplicate keys) on the way.
			if [ "$v" = prev ] && [ "$want" != 6 ] &&
				jq -e 'type == "object"' <<<"$a" >/dev/null 2>&1; then
				a=$(jq -c --argjson r "$LIVE" '.prevResult = $r' <<<"$a")
			fi
			args+=("$a")
		done
		"$call" "${args[@]}" >/dev/null
		t_eq "$name: DEL ${v:+with prevResult }after it: $want" "$(del_status)" "$want"
	done
	t_eq "$name: after the DELs nothing is left" "$(snap "$VM")" "$before"
	t_ok "$name: ... and the live attachment is intact" live_intact
}

# bad NAME CODE CMD CID IFNAME NETNS CONF [CNI_ARGS]: via lib.sh's cni.
bad() {
	local name=$1 want=$2 before
	shift 2
	before=$(snap "$VM")
	fill_cid "$@"
	cni "$HOST_NS" "${FILLED[@]}"
	expect_err "$name" "$want"
	t_eq "$name: nothing left behind" "$(snap "$VM")" "$before"
	if [ "${FILLED[0]}" = ADD ] && [ "$DEL_WANT" != none ]; then
		FILLED[0]=@CMD
		DEL_WANT=${DEL_WANT:-$want} dels "$name" cni_host "${FILLED[@]}"
	fi
	DEL_WANT=
}
cni_host() { cni "$HOST_NS" "$@"; }

# bad_raw NAME CODE CONF ENV...: via raw (for missing variables).
bad_raw() {
	local name=$1 want=$2 before
	shift 2
	before=$(snap "$VM")
	fill_cid "$@"
	raw "${FILLED[@]}"
	expect_err "$name" "$want"
	t_eq "$name: nothing left behind" "$(snap "$VM")" "$before"
	case " ${FILLED[*]} " in
	*" CNI_COMMAND=ADD "*)
		FILLED=("${FILLED[@]/#CNI_COMMAND=ADD/CNI_COMMAND=@CMD}")
		DEL_WANT=${DEL_WANT:-$want} dels "$name" raw "${FILLED[@]}"
		;;
	esac
	DEL_WANT=
}

EMPTY=$(snap "$VM")
EMPTY2=$(snap "$VM" "$VM2")

# ---------------------------------------------------------------- decode (6)

bad "malformed JSON" 6 ADD @CID eth0 "$NSP" '{"cniVersion": "1.0.0", "name": '
bad_raw "empty stdin" 6 "<empty>" CNI_COMMAND=ADD CNI_CONTAINERID=@CID CNI_IFNAME=eth0 CNI_NETNS="$NSP"
bad "whitespace-only stdin" 6 ADD @CID eth0 "$NSP" '   '
bad "duplicate keys (name twice)" 6 ADD @CID eth0 "$NSP" "{\"name\": \"other\", ${CONF#\{}"
bad "duplicate keys in ipam (subnet twice)" 6 ADD @CID eth0 "$NSP" \
	"$(sed 's/"subnet":/"subnet":"10.78.0.0\/24","subnet":/' <<<"$CONF")"
bad "JSON array instead of an object" 6 ADD @CID eth0 "$NSP" '[1, 2]'

# ---------------------------------------------------------------- config (7)

bad 'wrong type: "mtu": "1500"' 7 ADD @CID eth0 "$NSP" "$(conf '.mtu = "1500"')"
bad 'wrong type: "ipMasq": "yes"' 7 ADD @CID eth0 "$NSP" "$(conf '.ipMasq = "yes"')"
bad 'unknown mode "bogus"' 7 ADD @CID eth0 "$NSP" "$(conf '.mode = "bogus"')"
bad 'unknown tap value "bogus"' 7 ADD @CID eth0 "$NSP" "$(conf '.tap = "bogus"')"
bad 'bad CIDR in ipam subnet (10.77.0.0/33, from vmnet-ipam)' 7 ADD @CID eth0 "$NSP" \
	"$(conf '.ipam.ranges[0][0].subnet = "10.77.0.0/33"')"
bad 'bad CIDR in ipam subnet (not an address)' 7 ADD @CID eth0 "$NSP" \
	"$(conf '.ipam.ranges[0][0].subnet = "10.77.0/24x"')"
# IPv6 beside the IPv4 range (dual stack): vmnet-ipam's refusals reach the runtime unchanged.
dual() { conf ".ipam.ranges += [[$1]]"; }
bad 'IPv6 subnet /129 (dual stack)' 7 ADD @CID eth0 "$NSP" "$(dual '{subnet: "fd77::/129"}')"
bad 'IPv6 subnet that is not an address (dual stack)' 7 ADD @CID eth0 "$NSP" "$(dual '{subnet: "fd77::g/64"}')"
bad 'IPv6 subnet with host bits (dual stack)' 7 ADD @CID eth0 "$NSP" "$(dual '{subnet: "fd77::5/64"}')"
bad 'IPv6 gateway outside its subnet (dual stack)' 7 ADD @CID eth0 "$NSP" \
	"$(dual '{subnet: "fd77::/64", gateway: "fd78::1"}')"
bad 'IPv4-mapped IPv6 subnet (dual stack)' 7 ADD @CID eth0 "$NSP" "$(dual '{subnet: "::ffff:10.0.0.0/120"}')"
bad 'blockSize6 longer than 127' 7 ADD @CID eth0 "$NSP" \
	"$(conf '.ipam.ranges += [[{subnet: "fd77::/64"}]] | .ipam.blockSize6 = 128')"
bad 'blockSize6 shorter than its subnet' 7 ADD @CID eth0 "$NSP" \
	"$(conf '.ipam.ranges += [[{subnet: "fd77::/64"}]] | .ipam.blockSize6 = 56')"
bad 'clusterCIDRs not an array' 7 ADD @CID eth0 "$NSP" "$(conf '.clusterCIDRs = "10.100.0.0/16"')"
bad 'clusterCIDRs entry not a string' 7 ADD @CID eth0 "$NSP" "$(conf '.clusterCIDRs = [16]')"
bad 'clusterCIDRs entry not a prefix' 7 ADD @CID eth0 "$NSP" "$(conf '.clusterCIDRs = ["cluster"]')"
bad 'clusterCIDRs bare address' 7 ADD @CID eth0 "$NSP" "$(conf '.clusterCIDRs = ["10.100.0.1"]')"
bad 'clusterCIDRs with host bits' 7 ADD @CID eth0 "$NSP" "$(conf '.clusterCIDRs = ["10.100.0.1/16"]')"
bad 'clusterCIDRs IPv6 with host bits' 7 ADD @CID eth0 "$NSP" "$(conf '.clusterCIDRs = ["fd00:100::1/48"]')"
bad 'clusterCIDRs /33' 7 ADD @CID eth0 "$NSP" "$(conf '.clusterCIDRs = ["10.100.0.0/33"]')"
bad 'clusterCIDRs overlapping' 7 ADD @CID eth0 "$NSP" \
	"$(conf '.clusterCIDRs = ["10.100.0.0/16", "10.100.7.0/24"]')"
bad 'clusterCIDRs of 17 IPv4 prefixes' 7 ADD @CID eth0 "$NSP" \
	"$(conf '.clusterCIDRs = [range(17) | "10.\(.).0.0/16"]')"
# The same input on an IPv6-only network (no IPv4 range): the same codes.
only6() { conf ".ipam.ranges = [[$1]]"; }
bad 'IPv6 subnet /129 (IPv6-only)' 7 ADD @CID eth0 "$NSP" "$(only6 '{subnet: "fd77::/129"}')"
bad 'IPv6 subnet with host bits (IPv6-only)' 7 ADD @CID eth0 "$NSP" "$(only6 '{subnet: "fd77::5/64"}')"
bad 'IPv6 gateway outside its subnet (IPv6-only)' 7 ADD @CID eth0 "$NSP" \
	"$(only6 '{subnet: "fd77::/64", gateway: "fd78::1"}')"
bad 'blockSize6 shorter than its subnet (IPv6-only)' 7 ADD @CID eth0 "$NSP" \
	"$(only6 '{subnet: "fd77::/64"}' | jq -c '.ipam.blockSize6 = 56')"
bad 'bridge name of 16 characters' 7 ADD @CID eth0 "$NSP" "$(conf '.bridge = "vmbr-0123456789a"')"
bad 'bridge name with "/"' 7 ADD @CID eth0 "$NSP" "$(conf '.bridge = "vm/br"')"
bad 'tapName with a space' 7 ADD @CID eth0 "$NSP" "$(conf '.tapName = "tap 0"')"
bad 'tapName of 16 characters' 7 ADD @CID eth0 "$NSP" "$(conf '.tapName = "tap0123456789abc"')"
bad 'mtu 67 (below 68)' 7 ADD @CID eth0 "$NSP" "$(conf '.mtu = 67')"
bad 'mtu 65536 (above 65535)' 7 ADD @CID eth0 "$NSP" "$(conf '.mtu = 65536')"
DEL_WANT=0 bad 'missing ipam' 7 ADD @CID eth0 "$NSP" "$(conf 'del(.ipam)')"
bad 'missing ipam.type' 7 ADD @CID eth0 "$NSP" "$(conf 'del(.ipam.type)')"
bad 'ipam type not found in CNI_PATH' 7 ADD @CID eth0 "$NSP" "$(conf '.ipam.type = "no-such-ipam"')"
bad 'missing name' 7 ADD @CID eth0 "$NSP" "$(conf 'del(.name)')"
bad 'invalid network name "a/b"' 7 ADD @CID eth0 "$NSP" "$(conf '.name = "a/b"')"
bad 'runtimeConfig.mac "zz:zz:zz:zz:zz:zz"' 7 ADD @CID eth0 "$NSP" \
	"$(conf '.capabilities = {mac: true} | .runtimeConfig = {mac: "zz:zz:zz:zz:zz:zz"}')"
bad 'owner -1' 7 ADD @CID eth0 "$NSP" "$(conf '.owner = -1')"
for pm in '{hostPort: 0, containerPort: 80, protocol: "tcp"}' \
	'{hostPort: 70000, containerPort: 80, protocol: "tcp"}' \
	'{hostPort: 8080, containerPort: 80, protocol: "icmp"}'; do
	bad "portMappings $pm" 7 ADD @CID eth0 "$NSP" \
		"$(conf ".capabilities = {portMappings: true} | .runtimeConfig = {portMappings: [$pm]}")"
done

# ---------------------------------------------------------------- environment (4, 3)

bad_raw "missing CNI_COMMAND" 4 "$CONF" CNI_CONTAINERID=@CID CNI_IFNAME=eth0 CNI_NETNS="$NSP"
bad "unknown CNI_COMMAND FROB" 4 FROB @CID eth0 "$NSP" "$CONF"
bad "lower-case CNI_COMMAND add" 4 add @CID eth0 "$NSP" "$CONF"
bad_raw "missing CNI_CONTAINERID" 4 "$CONF" CNI_COMMAND=ADD CNI_IFNAME=eth0 CNI_NETNS="$NSP"
bad "container ID with bad characters" 4 ADD "${P}bad id;x" eth0 "$NSP" "$CONF"
bad "container ID with '/'" 4 ADD "../${P}x" eth0 "$NSP" "$CONF"
bad_raw "missing CNI_IFNAME" 4 "$CONF" CNI_COMMAND=ADD CNI_CONTAINERID=@CID CNI_NETNS="$NSP"
bad "CNI_IFNAME of 16 characters" 4 ADD @CID eth0123456789abc "$NSP" "$CONF"
bad "CNI_IFNAME with '/'" 4 ADD @CID "et/h0" "$NSP" "$CONF"
bad "CNI_IFNAME with ':'" 4 ADD @CID "eth0:1" "$NSP" "$CONF"
bad "CNI_IFNAME with a space" 4 ADD @CID "eth 0" "$NSP" "$CONF"
DEL_WANT=0 bad "missing CNI_NETNS on ADD" 4 ADD @CID eth0 "" "$CONF"
echo "not a namespace" >"$W_TMP/regular"
DEL_WANT=0 bad "CNI_NETNS is a regular file, not a netns" 4 ADD @CID eth0 "$W_TMP/regular" "$CONF"
DEL_WANT=0 bad "CNI_NETNS path that does not exist" 3 ADD @CID eth0 "/run/netns/${P}no-such-ns" "$CONF"

# ---------------------------------------------------------------- versions (1)

bad 'unsupported cniVersion "0.2.0"' 1 ADD @CID eth0 "$NSP" "$(conf '.cniVersion = "0.2.0"')"
bad 'unsupported cniVersion "2.0.0"' 1 ADD @CID eth0 "$NSP" "$(conf '.cniVersion = "2.0.0"')"
PREV='{"cniVersion": "0.3.1", "interfaces": [], "ips": []}'
bad "CHECK with cniVersion 0.3.1" 1 CHECK @CID eth0 "$NSP" \
	"$(conf ".cniVersion = \"0.3.1\" | .prevResult = $PREV")"
bad_raw "GC with cniVersion 1.0.0" 1 "$CONF" CNI_COMMAND=GC
bad_raw "STATUS with cniVersion 1.0.0" 1 "$CONF" CNI_COMMAND=STATUS

# ---------------------------------------------------------------- CNI_ARGS (2, 4)

bad "unknown CNI_ARGS key without IgnoreUnknown" 2 ADD @CID eth0 "$NSP" "$CONF" "FOO=bar"
# An IPv6-only range was refused (code 2) before IPv6-only networks: now an
# ADD that gives the guest only its IPv6 address, and a DEL that leaves nothing.
new_cid && c=$C
V6ONLY=$(conf '.ipam.ranges = [[{subnet: "fd00:77::/64"}]]')
if t_plugin "IPv6-only range: ADD succeeds" ADD id="$c" netns="$NSP" conf="$V6ONLY"; then
	r=$CNI_OUT
	t_eq "... with only its IPv6 address in the result" \
		"$(json_get "$r" '[.ips[] | .address] | join(" ")')" "fd00:77::2/64"
	t_plugin "... and its DEL (with prevResult) succeeds" DEL id="$c" \
		netns="$NSP" conf="$(with_prev "$V6ONLY" "$r")"
	t_eq "... and leaves nothing behind" "$(snap "$VM")" "$EMPTY"
fi
DEL_WANT=0 bad "CNI_ARGS MAC=zz" 4 ADD @CID eth0 "$NSP" "$CONF" "MAC=zz"
bad "CNI_ARGS IP=10.77.0.300" 4 ADD @CID eth0 "$NSP" "$CONF" "IP=10.77.0.300"

# again_dels NAME CID NETNS CONF RESULT [CNI_ARGS]: after a DEL, the same DEL
# twice without and twice with prevResult (RESULT, as libcni sends it on
# every DEL): each exits 0, and nothing comes back.
again_dels() {
	local name=$1 cid=$2 ns=$3 conf=$4 res=$5 cargs=${6:-} before v
	before=$(snap "$VM" "$VM2")
	for v in "" "" prev prev; do
		if [ -n "$v" ]; then
			plugin DEL id="$cid" netns="$ns" conf="$(with_prev "$conf" "$res")" args="$cargs"
		else
			plugin DEL id="$cid" netns="$ns" conf="$conf" args="$cargs"
		fi
		t_eq "$name: DEL again ${v:+with prevResult }exits 0" "$(del_status)" 0
	done
	t_eq "$name: ... and nothing is left (devices, nft, IPAM, records)" "$(snap "$VM" "$VM2")" "$before"
}

new_cid && c=$C
if t_plugin "unknown CNI_ARGS key WITH IgnoreUnknown=1: ADD succeeds" ADD id="$c" \
	netns="$NSP" args="IgnoreUnknown=1;FOO=bar"; then
	r=$CNI_OUT
	t_plugin "... and its DEL (with prevResult) succeeds" DEL id="$c" \
		netns="$NSP" conf="$(with_prev "$CONF" "$r")" args="IgnoreUnknown=1;FOO=bar"
	t_eq "... and leaves nothing behind (bridge, tap, veth removed)" "$(snap "$VM")" "$EMPTY"
	again_dels "IgnoreUnknown=1" "$c" "$NSP" "$CONF" "$r" "IgnoreUnknown=1;FOO=bar"
fi

# The address of a deleted attachment goes to another VM; the first one's
# DEL is repeated with its old prevResult: the new owner keeps everything.
new_cid && c=$C
new_cid && d=$C
if t_plugin "reuse: ADD of the first VM" ADD id="$c" netns="$NSP"; then
	r=$CNI_OUT
	ip1=$(json_get "$r" '.ips[0].address' | cut -d/ -f1)
	t_plugin "reuse: DEL of the first VM (with prevResult)" DEL id="$c" \
		netns="$NSP" conf="$(with_prev "$CONF" "$r")"
	if t_plugin "reuse: a second VM gets the same address $ip1" ADD id="$d" \
		ns="$VM2" args="IP=$ip1"; then
		r2=$CNI_OUT
		again_dels "reuse: the first VM's DEL, repeated," "$c" "$NSP" "$CONF" "$r"
		t_plugin "reuse: the second VM is intact (CHECK)" CHECK id="$d" \
			ns="$VM2" conf="$(with_prev "$CONF" "$r2")"
		t_ok "reuse: ... guests4 still holds $ip1" nft_has_elem guests4 "$ip1"
		t_ok "reuse: ... masq4 still holds $ip1" nft_has_elem masq4 "$ip1"
		t_plugin "reuse: DEL of the second VM" DEL id="$d" \
			ns="$VM2" conf="$(with_prev "$CONF" "$r2")"
		again_dels "reuse: the second VM" "$d" "/run/netns/$VM2" "$CONF" "$r2"
	fi
	t_eq "reuse: nothing left" "$(snap "$VM" "$VM2")" "$EMPTY2"
fi

# ---------------------------------------------------------------- exhaustion (101)

TINY=$(conf_shared tiny vmbr-tiny 10.77.9.0/30 10.77.9.1)
new_cid && c1=$C
new_cid && c2=$C
if t_plugin "/30: first ADD takes the only address" ADD id="$c1" netns="$NSP" conf="$TINY"; then
	r1=$CNI_OUT
	ip1=$(json_get "$r1" '.ips[0].address' | cut -d/ -f1)
	dev1=$(json_get "$r1" '.interfaces[1].name')
	t_eq "/30: the first VM got 10.77.9.2" "$ip1" 10.77.9.2
	before=$(snap "$VM" "$VM2")
	plugin ADD id="$c2" ns="$VM2" conf="$TINY"
	expect_err "/30: second ADD, range exhausted" 101
	t_eq "/30: second ADD leaves nothing of its own" "$(snap "$VM" "$VM2")" "$before"
	t_ok "/30: first VM's host device $dev1 is still a port of vmbr-tiny" \
		sh -c "ip -n $HOST_NS -o link show dev $dev1 | grep -q ' master vmbr-tiny '"
	t_ok "/30: first VM's address still in guests4" nft_has_elem guests4 "$ip1"
	t_ok "/30: first VM's record still there" test -f "$(record_path tiny "$c1" eth0)"
	t_ok "/30: first VM's IPAM reservation still there" test -f "$(ipam_path tiny "$ip1")"
	t_plugin "/30: CHECK of the first VM passes" CHECK id="$c1" netns="$NSP" conf="$(with_prev "$TINY" "$r1")"
	t_plugin "/30: DEL of the failed second VM succeeds" DEL id="$c2" ns="$VM2" conf="$TINY"
	t_ok "/30: ...and did not touch the first VM's device" ip -n "$HOST_NS" link show dev "$dev1"
	again_dels "/30: the failed second VM" "$c2" "/run/netns/$VM2" "$TINY" "$r1"
	t_ok "/30: ...and did not touch the first VM (CHECK)" plugin CHECK id="$c1" \
		netns="$NSP" conf="$(with_prev "$TINY" "$r1")"
	t_plugin "/30: DEL of the first VM" DEL id="$c1" netns="$NSP" conf="$TINY"
	t_eq "/30: nothing left after the DEL (bridge gone, both VM namespaces as at the start)" \
		"$(snap "$VM" "$VM2")" "$EMPTY2"
	again_dels "/30: the first VM" "$c1" "$NSP" "$TINY" "$r1"
fi

# ---------------------------------------------------------------- existing ifname (4)

new_cid && c=$C
if t_plugin "ADD for the duplicate-ifname case" ADD id="$c" netns="$NSP"; then
	r=$CNI_OUT
	ip1=$(json_get "$r" '.ips[0].address' | cut -d/ -f1)
	dev=$(json_get "$r" '.interfaces[1].name')
	DEL_WANT=none bad "second ADD for the same container and ifname" 4 ADD "$c" eth0 "$NSP" "$CONF"
	t_plugin "the first attachment is intact: CHECK passes" CHECK id="$c" netns="$NSP" conf="$(with_prev "$CONF" "$r")"
	t_ok "the first attachment is intact: record, IPAM, guests4, $dev" sh -c \
		"test -f '$(record_path "$NET" "$c" eth0)' && test -f '$(ipam_path "$NET" "$ip1")' &&
		 ip -n $HOST_NS link show dev $dev >/dev/null"
	t_ok "... guests4 has $ip1" nft_has_elem guests4 "$ip1"
	t_plugin "DEL of the first attachment" DEL id="$c" netns="$NSP"
	t_eq "nothing left after the DEL" "$(snap "$VM")" "$EMPTY"
	again_dels "duplicate ifname" "$c" "$NSP" "$CONF" "$r"
fi

vm_ns vm3 && VM3=$REPLY
ip -n "$VM3" link add eth0 type veth peer name x0 || bail "veth eth0/x0 in $VM3"
idx_before=$(ip -n "$VM3" -j link show dev eth0 | jq -c '.[0] | [.ifindex, .address, .flags]')
before=$(snap "$VM3")
new_cid
plugin ADD id="$C" ns="$VM3"
expect_err "CNI_IFNAME already exists in the VM netns" 4
t_eq "... nothing left behind" "$(snap "$VM3")" "$before"
t_eq "... the pre-existing eth0 is untouched (ifindex, MAC, flags)" \
	"$(ip -n "$VM3" -j link show dev eth0 | jq -c '.[0] | [.ifindex, .address, .flags]')" "$idx_before"
t_ok "... its peer x0 is still there" ip -n "$VM3" link show dev x0
t_fail "... and eth0 has no address" sh -c "ip -n $VM3 -o -4 addr show dev eth0 | grep -q inet"

# The live container's eth0 is another network's: this network's ADD of it
# is refused, and the DELs that follow (one with the live result replayed as
# prevResult, naming that eth0's MAC and address) must leave it alone.
DEL_WANT=0 bad "CNI_IFNAME is another network's attachment in the VM netns" 4 \
	ADD "$LCID" eth0 "/run/netns/$VML" "$CONF"

# ---------------------------------------------------------------- VERSION

raw '{"cniVersion": "1.0.0"}' CNI_COMMAND=VERSION
t_eq "VERSION exits 0" "$CNI_RC" 0
t_eq "VERSION echoes cniVersion 1.0.0" "$(json_get "$CNI_OUT" .cniVersion)" 1.0.0
t_eq "VERSION lists 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0" \
	"$(jq -r '[.supportedVersions[] | select(IN("0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"))] | unique | join(" ")' <<<"$CNI_OUT" 2>/dev/null)" \
	"0.3.0 0.3.1 0.4.0 1.0.0 1.1.0"
t_eq "VERSION does not claim 0.2.0" \
	"$(jq -r '.supportedVersions | index("0.2.0") // "no"' <<<"$CNI_OUT" 2>/dev/null)" no
t_eq "after all the cases: host and VM namespace, nft, IPAM and records as at the start" "$(snap "$VM")" "$EMPTY"
t_ok "the live attachment is intact after all the cases" live_intact
t_plugin "DEL of the live attachment" DEL id="$LCID" ns="$VML" conf="$(with_prev "$LCONF" "$LIVE")"
t_fail "... its address left guests4" nft_has_elem guests4 "$LIVE_IP"

t_done
