#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# XTCP between two network namespaces joined by a veth pair: the normal
# path, with real devices and routing, and byte-exact transfers.
#
#   +-------------------+            +-------------------+
#   | ns xtcp-client    |    veth    | ns xtcp-server    |
#   | veth-c 10.77.0.1  |<---------->| veth-s 10.77.0.2  |
#   +-------------------+            +-------------------+
#
# Every case is bounded in time; the last line is a kselftest Totals line.
set -u

xfer=${XTCP_TESTS:-build/selftests}/xtcp_xfer
C=xtcp-client
S=xtcp-server
NAMESPACES="$C $S"
. "$(dirname "$0")/lib.sh"
trap ns_cleanup EXIT

setup() {
	ns_cleanup
	load_xtcp && veth_pair $C veth-c 10.77.0.1 $S veth-s 10.77.0.2 &&
	xtcp_sysctls $C msl_ms=1000 && xtcp_sysctls $S msl_ms=1000
}

# transfer BYTES: one connection, client to server, checked end to end.
transfer() {
	local port=$((7000 + n)) out
	out=$(mktemp)
	timeout 60 ip netns exec $S "$xfer" server $port >"$out" &
	local srv=$!
	for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.05; done
	timeout 60 ip netns exec $C "$xfer" client 10.77.0.2 $port "$1"
	local rc=$?
	wait $srv || rc=1
	rm -f "$out"
	return $rc
}

# count_state NS STATE: lines of the namespace's /proc/net/xtcp in STATE.
count_state() {
	# shellcheck disable=SC2016 # awk's $3, not the shell's
	ip netns exec "$1" awk -v st="$2" 'NR > 1 && $3 == st' /proc/net/xtcp | wc -l
}

echo "TAP version 13"
echo "1..10"
[ -x "$xfer" ] || { echo "Bail out! $xfer not built"; exit 1; }

setup
result $? "veth topology with xtcp in both namespaces"

for bytes in 1 1459 1460 1461 1048576 8388608; do
	transfer $bytes
	result $? "transfer of $bytes bytes over veth arrives byte-exact"
done

# The client closed first (its half-close), so it alone holds TIME_WAIT
# (state 06) for 2*MSL = 2 s (long enough to be seen on a loaded
# machine), and then nothing is left on either side.
tw=$(count_state $C 06)
[ "$tw" -ge 1 ] && [ "$(count_state $S 06)" -eq 0 ]
result $? "the active closer alone keeps TIME_WAIT ($tw entries)"
sleep 2.5
[ "$(count_state $C 06)" -eq 0 ] &&
	[ "$(ip netns exec $C awk 'NR > 1' /proc/net/xtcp | wc -l)" -eq 0 ] &&
	[ "$(ip netns exec $S awk 'NR > 1' /proc/net/xtcp | wc -l)" -eq 0 ]
result $? "after 2*MSL neither namespace holds an entry"

# Without checksum offload (and so without scatter-gather) on the
# client's veth, as on a NIC that knows no protocol 253: the stack cuts
# XTCP's GSO skbs in software, summing each segment's payload as it copies
# it, and XTCP adds the header.  A wrong sum is dropped and counted.
errs=$(xtcp_stat $S InCsumErrors)
ip netns exec $C ethtool -K veth-c tx off >/dev/null &&
	transfer 8388608 && [ "$(xtcp_stat $S InCsumErrors)" -eq "$errs" ]
result $? "8388608 bytes byte-exact with no checksum offload on the sender's veth, no checksum errors"

totals
