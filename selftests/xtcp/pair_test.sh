#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# XTCP between two kernels over a NIC: runs in both guests of
# scripts/vm-pair (the same script on each side, XTCP_PAIR_SIDE a or b),
# the one the server of a case, the other its client, in step through
# pair-guest's barriers.
#
#   guest a 10.77.0.1 virtio-net ==== wire ==== virtio-net 10.77.0.2 guest b
#
# Each transfer is xtcp_xfer's: the client sends N bytes of its pattern,
# the server checks every byte and answers with its count and hash, and
# the client exits 0 only when they match what it sent (also through 2 %
# loss each way, netem on each NIC's egress, and through a SYN flood).
# Both sides print
# each case's result; the run passes when both do.  Afterwards each side's
# counters: no checksum or header errors, and what one side sent is what
# the other received.
#
# Usage (from the repository): scripts/vm-pair --kernel-a A --kernel-b B --
#   selftests/xtcp/pair_test.sh -- selftests/xtcp/pair_test.sh
set -u

xfer=${XTCP_TESTS:-build/selftests}/xtcp_xfer
pg=$(dirname "$0")/../../scripts/pair-guest
side=${XTCP_PAIR_SIDE:?run me through scripts/vm-pair}
peer=$XTCP_PAIR_PEER
# shellcheck disable=SC2034 # lib.sh's: no namespaces here
NAMESPACES=""
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# Waits until a listener on PORT shows in /proc/net/xtcp.
wait_listen() {
	local hex

	hex=$(printf ':%04X ' "$1")
	for _ in $(seq 100); do
		grep -q "$hex.* 0A " /proc/net/xtcp && return 0
		sleep 0.05
	done
	return 1
}

# xfer_case NAME SERVER_SIDE PORT BYTES: one connection, SERVER_SIDE's
# guest accepting, the other sending BYTES.
xfer_case() {
	local name=$1 srv=$2 port=$3 bytes=$4 st pid

	if [ "$side" = "$srv" ]; then
		timeout 600 "$xfer" server "$port" >/dev/null &
		pid=$!
		wait_listen "$port" && "$pg" signal "$name"
		wait "$pid"
		st=$?
		result "$st" "$name: server on $side"
	else
		"$pg" wait "$name" 60 || { result 1 "$name: no server"; return; }
		timeout 600 "$xfer" client "$peer" "$port" "$bytes"
		st=$?
		result "$st" "$name: client on $side"
	fi
	# Both ends done before the next case.
	"$pg" signal "$name.done"
	"$pg" wait "$name.done" 660 >/dev/null
}

# The counters this guest keeps, one "NAME VALUE" a line.
stats() {
	awk '{ print $1, $2 }' /proc/net/xtcp_stat
}

stat_of() {	# stat_of FILE NAME
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

# Every connection gone (TIME_WAIT included), then the counters swapped:
# no header or checksum errors, and, on a wire that lost nothing, every
# segment one side sent arrived at the other.
counters_agree() {
	local other mine theirs st=0 k

	for _ in $(seq 100); do
		[ "$(wc -l </proc/net/xtcp)" -le 1 ] && break
		sleep 0.1
	done
	"$pg" signal quiet
	"$pg" wait quiet 60
	stats >"$XTCP_PAIR_DIR/$side.counters"
	"$pg" signal counted
	"$pg" wait counted 60
	other=$([ "$side" = a ] && echo b || echo a)
	mine=$XTCP_PAIR_DIR/$side.counters
	theirs=$XTCP_PAIR_DIR/$other.counters
	echo "# counters on $side: $(grep -vE ' 0$' "$mine" | tr '\n' ' ')"
	for k in InErrs InCsumErrors; do
		[ "$(stat_of "$mine" $k)" = 0 ] || st=1
	done
	result $st "no header or checksum errors on $side"
	[ "$(stat_of "$mine" InSegs)" -gt 0 ] &&
		[ "$(stat_of "$mine" InSegs)" = "$(stat_of "$theirs" OutSegs)" ]
	result $? "$side received every segment $other sent ($(stat_of "$mine" InSegs) of $(stat_of "$theirs" OutSegs))"
}

echo "# pair_test: side $side ($(uname -r)), $XTCP_PAIR_ADDR, peer $peer on $XTCP_PAIR_DEV"
load_xtcp || { echo "not ok 1 load xtcp"; exit 1; }
# Short TIME_WAIT, so that the counters settle soon after the last case.
echo 200 >/proc/sys/net/xtcp/msl_ms
echo "# $XTCP_PAIR_DEV: $(ethtool -k "$XTCP_PAIR_DEV" 2>/dev/null |
	grep -E '^(tx-checksumming|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):' |
	tr -s ' \n' ' ')"

xfer_case "handshake and 1 byte, a to b" b 5001 1
xfer_case "1 byte, b to a" a 5002 1
xfer_case "16 MiB, a to b" b 5003 $((16 << 20))
xfer_case "16 MiB, b to a" a 5004 $((16 << 20))
xfer_case "64 MiB, a to b" b 5005 $((64 << 20))
xfer_case "64 MiB, b to a" a 5006 $((64 << 20))
counters_agree

# 2 % of each side's frames lost on the wire, both ways at once: the
# resends, SACK and the timers between two kernels.
modprobe sch_netem 2>/dev/null
if tc qdisc add dev "$XTCP_PAIR_DEV" root netem loss 2%; then
	xfer_case "16 MiB through 2% loss each way, a to b" b 5007 $((16 << 20))
	xfer_case "16 MiB through 2% loss each way, b to a" a 5008 $((16 << 20))
	tc qdisc del dev "$XTCP_PAIR_DEV" root
else
	result 1 "netem on $XTCP_PAIR_DEV"
fi

# A SYN flood from a's side (spoofed sources of the wire's /24, which
# nobody answers for) at b's listener, whose SYN queue it fills: a real
# client's connection still gets through, on a syncookie, and carries
# 4 MiB intact.
flood_case() {
	local name="4 MiB through a SYN flood with cookies, a to b" st pid mac before

	if [ "$side" = b ]; then
		before=$(stat_of <(stats) SyncookiesSent)
		timeout 300 "$xfer" server 5009 >/dev/null &
		pid=$!
		wait_listen 5009 && "$pg" signal flood
		wait "$pid"
		st=$?
		result "$st" "$name: server on b"
		[ "$(stat_of <(stats) SyncookiesSent)" -gt "$before" ]
		result $? "b answered the flood with syncookies ($before, then $(stat_of <(stats) SyncookiesSent))"
	else
		mac=$(ip neigh show "$peer" dev "$XTCP_PAIR_DEV" | awk '{ print $3 }')
		"$pg" wait flood 60 || { result 1 "$name: no server"; return; }
		"${xfer%/*}/pair_flood" "$XTCP_PAIR_DEV" "$mac" "$peer" 5009 20 &
		pid=$!
		sleep 3
		timeout 240 "$xfer" client "$peer" 5009 $((4 << 20))
		st=$?
		wait "$pid"
		result $((st || $?)) "$name: client and flood on a"
	fi
	"$pg" signal flood.done
	"$pg" wait flood.done 330 >/dev/null
}
flood_case

totals
