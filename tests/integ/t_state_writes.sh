#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# State writes that do not grow with N (issue 15, decision 3): one ADD, traced
# with strace, allocates exactly the inodes that stay (the record, the IPAM
# reservation in host-local's format, the IPAM owner index entry) and frees
# none: no unlink, no rename over an existing file, every O_TMPFILE linked.
# A DEL gives those inodes to the inode pools (renamed, never unlinked), and
# the next ADD takes them: with filled pools an ADD allocates no inode.
# On ext4 without a journal each inode freed in the last seconds is skipped
# (and looked up) by every later allocation, so freed temporary files made
# each ADD of a busy network slower than the one before.
# Both wirings, a network that already has an attachment (the usual case).
#
#   tests/integ/t_state_writes.sh BUILDDIR      (root; TAP on stdout)
# shellcheck source=tests/integ/lib.sh disable=SC2317 # helpers run through t_ok
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq strace
need_bins "$VMNET" "$B/vmnet-ipam"
world_init
host_ns

REAL=$VMNET
TRACE=$W_TMP/trace
# The plugin under strace (file system calls only), as the runtime starts it.
cat >"$W_TMP/vmnet-traced" <<EOF
#!/bin/sh
exec strace -f -qq -o "$TRACE" -e trace=%file,unlink,unlinkat,rename,renameat,renameat2,linkat,link,openat "$REAL"
EOF
chmod +x "$W_TMP/vmnet-traced"

# inodes: every inode under the state and IPAM folders, "INODE PATH" sorted.
inodes() { find "$W_TMP/state" "$W_TMP/ipam" -printf '%i %p\n' 2>/dev/null | sed "s|$W_TMP/||" | sort; }
# new_inodes BEFORE AFTER: the paths of inodes in AFTER that BEFORE did not have.
new_inodes() {
	join -v2 <(cut -d' ' -f1 <<<"$1" | sort -u) <(sort <<<"$2") | cut -d' ' -f2- | sort
}
# succeeded REGEX: the traced calls matching REGEX that did not fail.
succeeded() { grep -E "$1" "$TRACE" | grep -v ' = -1 ' || true; }

traced() {
	local verb=$1
	shift
	VMNET=$W_TMP/vmnet-traced
	plugin "$verb" "$@"
	local rc=$?
	VMNET=$REAL
	return $rc
}

for w in netns host; do
	t="[$w]"
	net=sw-$w
	k=2
	[ $w = netns ] && k=1
	CONF=$(conf_shared "$net" "vmbrw$w" "10.97.$k.0/24" "10.97.$k.1" ".tap = \"$w\"")
	vm_ns a$w
	vma=$REPLY
	vm_ns b$w
	vmb=$REPLY
	t_plugin "$t ADD of a first attachment" ADD id=a$w ns="$vma"

	before=$(inodes)
	traced ADD id=b$w ns="$vmb"
	t_status "$t ADD under strace" $? "$(cni_report)"
	after=$(inodes)
	ip=$(guest_ip "$CNI_OUT")
	added=$(new_inodes "$before" "$after")
	t_eq "$t ADD freed no inode: no unlink" "$(succeeded 'unlink(at)?\(')" ""
	t_eq "$t ... no rename that can replace a file (only RENAME_EXCHANGE / RENAME_NOREPLACE)" \
		"$(succeeded '(^|[ (])rename(at)?\(|renameat2\(.*, 0\)')" ""
	t_eq "$t ... every O_TMPFILE got its name" "$(succeeded 'O_TMPFILE' | wc -l)" \
		"$(succeeded 'linkat\(.*/proc/self/fd/' | wc -l)"
	# The record's own inode may be the network's spare now (it was
	# swapped in): one inode in the network's state folder either way.
	t_eq "$t ADD allocated three inodes, all kept: record, reservation, owner index" \
		"$(sed -e 's|/[0-9a-f]\{16\}$|/OWNER|' -e "s%^state/$net/\(\.spare\|b$w@eth0\.json\)\$%state/$net/RECORD%" <<<"$added")" \
		"$(printf '%s\n' "ipam/$net/$ip" "ipam/$net/.vmnet/o/OWNER" "state/$net/RECORD" | sort)"
	t_eq "$t ... the record's contents are whole and final" \
		"$(jq -r '.pending // false' "$(record_path "$net" "b$w" eth0)")" false
	t_eq "$t ... the reservation is host-local's" "$(tr '\r\n' '|~' <"$(ipam_path "$net" "$ip")")" "b$w|~eth0"

	# DEL gives the three inodes to the pools (include/vmnet/pool.h):
	# renamed, not unlinked. The record pool's folder is made by the
	# network's first DEL.
	before=$(inodes)
	traced DEL id=b$w ns="$vmb"
	t_status "$t DEL under strace" $? "$(cni_report)"
	t_eq "$t DEL created no inode but the record pool's folder" \
		"$(new_inodes "$before" "$(inodes)"; succeeded 'O_TMPFILE|O_EXCL')" "state/$net/.pool"
	t_eq "$t ... and freed none: no unlink" "$(succeeded 'unlink(at)?\(')" ""
	t_eq "$t ... the pools hold the three inodes, each one newline" \
		"$(find "$W_TMP/state/$net/.pool" "$W_TMP/ipam/$net/.vmnet/pool" -type f -exec cat {} + | od -An -c | tr -s ' ')" \
		" \n \n \n"
	pooled=$(find "$W_TMP/state/$net/.pool" "$W_TMP/ipam/$net/.vmnet/pool" -type f -printf '%i\n' | sort)

	before=$(inodes)
	traced ADD id=b$w ns="$vmb"
	t_status "$t ADD again under strace" $? "$(cni_report)"
	ip=$(guest_ip "$CNI_OUT")
	t_eq "$t ADD with filled pools allocated no inode" \
		"$(new_inodes "$before" "$(inodes)"; succeeded 'O_TMPFILE|O_EXCL')" ""
	t_eq "$t ... and freed none" "$(succeeded 'unlink(at)?\(')" ""
	t_eq "$t ... its record, reservation and owner index are the pooled inodes" \
		"$(find "$W_TMP/state/$net" "$W_TMP/ipam/$net" -type f \
			\( -name "b$w@eth0.json" -o -name .spare -o -name "$ip" -o -path '*/.vmnet/o/*' \) \
			-printf '%i\n' | sort | comm -12 - <(echo "$pooled") | wc -l)" 3
	t_eq "$t ... the reservation is host-local's" "$(tr '\r\n' '|~' <"$(ipam_path "$net" "$ip")")" "b$w|~eth0"
	t_eq "$t ... the record is whole and final" \
		"$(jq -r '.pending // false' "$(record_path "$net" "b$w" eth0)")" false
	t_plugin "$t DEL again" DEL id=b$w ns="$vmb"
	t_plugin "$t DEL of the first attachment" DEL id=a$w ns="$vma"
	t_eq "$t the network's folder holds only its lock: the last DEL took the spare and the pool" \
		"$(ls -A "$W_TMP/state/$net")" .lock
done

# netd keeps the pools filled (netd/pool.c): after a network's first ADD it
# puts VMNET_POOL_FILL (16) spare inodes in the record pool and in the IPAM
# store's pool, so a burst of ADDs with no DEL between them allocates no
# inode either (the plugin creates no file: no O_EXCL, no O_TMPFILE).
SOCK=$W_TMP/netd.sock
netd_start || bail "netd did not start"
net=sw-netd
CONF=$(conf_shared "$net" vmbrwd 10.97.3.0/24 10.97.3.1 '.tap = "host"')
pools() {
	echo "$(find "$W_TMP/state/$net/.pool" -type f 2>/dev/null | wc -l)" \
		"$(find "$W_TMP/ipam/$net/.vmnet/pool" -type f 2>/dev/null | wc -l)"
}
declare -a VMS
vm_ns c0
VMS[0]=$REPLY
t_plugin "[netd] ADD of the network's first attachment" ADD id=c0 ns="${VMS[0]}"
for _ in $(seq 100); do [ "$(pools)" = "16 16" ] && break; sleep 0.05; done
t_eq "[netd] netd filled the record pool and the IPAM pool" "$(pools)" "16 16"
for k in 1 2 3 4 5 6; do
	vm_ns c$k
	VMS[k]=$REPLY
	traced ADD id=c$k ns="${VMS[k]}"
	t_status "[netd] ADD $k of a burst under strace" $? "$(cni_report)"
	t_eq "[netd] ... created no file" "$(succeeded 'O_TMPFILE|O_EXCL')" ""
done
t_ok "[netd] netd status counts the inodes it made" \
	test "$(nc_ status --json | jq .pooled_inodes)" -ge 32
says_pools() { nc_ status | grep -q '^inode pools: *[0-9][0-9]* spare inodes made for ADDs$'; }
t_ok "[netd] ... and says so" says_pools
for k in 0 1 2 3 4 5 6; do
	t_plugin "[netd] DEL $k" DEL id=c$k ns="${VMS[k]}"
done
sleep 0.5
t_eq "[netd] with netd running, the last DEL still leaves only the lock" "$(ls -A "$W_TMP/state/$net")" .lock

t_done
