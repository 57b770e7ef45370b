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

# transfer BYTES [RCVBUF]: one connection, client to server, checked end
# to end (RCVBUF: the server's SO_RCVBUFFORCE).
transfer() {
	local port=$((7000 + n)) out
	out=$(mktemp)
	timeout 60 ip netns exec $S "$xfer" server $port ${2:-} >"$out" &
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
echo "1..14"
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

# Small queues (module/tsq.c): behind a device that drains slowly (a
# token bucket at 50 Mbit/s on the client's veth, which queues 12 MB
# before it drops), with a window and a send buffer of MBs, the sender
# keeps about two skbs below it, not its whole send buffer (4 MB without
# small queues), and the transfer still arrives whole.  The most below
# it after any send() is SO_MEMINFO's SK_MEMINFO_WMEM_ALLOC.
ip netns exec $C ethtool -K veth-c tx on >/dev/null
ip netns exec $C tc qdisc add dev veth-c root tbf rate 50mbit burst 128kb \
	latency 2s &&
	out=$(XTCP_XFER_BELOW=1 transfer 16M 4194304) &&
	below=$(echo "$out" | awk '$1 == "below-max" { print $2 }') &&
	echo "# most bytes below the sender: $below" &&
	[ "$below" -gt 0 ] && [ "$below" -le 524288 ]
result $? "behind a slow qdisc the sender keeps at most 512 KiB below it"
ip netns exec $C tc qdisc del dev veth-c root

# HyStart (module/cong.c): over 20 ms and 20 Mbit/s whose queue never
# drops (netem, 20,000 packets), CUBIC's slow start ends once, before any
# loss (nothing resent): one of HyStart's counters says so, at a window
# of at least 16 segments, and ssthresh is no longer "infinite".  With
# hystart_detect 0 slow start lasts the whole transfer: ssthresh stays
# 2^31 - 1, as no loss came.
hystart_exits() {	# the client's HyStart exits, then the sum of their windows
	echo $(($(xtcp_stat $C HystartTrainDetect) + $(xtcp_stat $C HystartDelayDetect))) \
		$(($(xtcp_stat $C HystartTrainCwnd) + $(xtcp_stat $C HystartDelayCwnd)))
}
hystart_transfer() {	# DETECT: prints "SSTHRESH RETRANS EXITS WINDOWS"
	local n0 w0 n1 w1 out
	xtcp_sysctls $C hystart_detect="$1" &&
		read -r n0 w0 < <(hystart_exits) &&
		out=$(XTCP_XFER_INFO=1 transfer 4M) &&
		read -r n1 w1 < <(hystart_exits) || return 1
	echo "$out" | awk -v n=$((n1 - n0)) -v w=$((w1 - w0)) \
		'$1 == "info" { print $3, $7, n, w }'
}
ip netns exec $C tc qdisc add dev veth-c root netem delay 20ms rate 20mbit \
	limit 20000 &&
	read -r ss retrans exits windows < <(hystart_transfer 3) &&
	echo "# hystart_detect 3: ssthresh $ss, $exits exit at $windows segments, $retrans resent" &&
	[ "$exits" -eq 1 ] && [ "$retrans" -eq 0 ] && [ "$windows" -ge 16 ] &&
	[ "$ss" -ge 16 ] && [ "$ss" -lt 2147483647 ]
result $? "HyStart ends slow start before any loss on a 20 ms, 20 Mbit/s path"
read -r ss retrans exits windows < <(hystart_transfer 0) &&
	echo "# hystart_detect 0: ssthresh $ss, $exits exits, $retrans resent" &&
	[ "$exits" -eq 0 ] && [ "$ss" -eq 2147483647 ]
result $? "with hystart_detect 0 slow start lasts until a loss"
out=$(XTCP_XFER_TCP=1 XTCP_XFER_INFO=1 transfer 4M 2>/dev/null)
echo "# Linux TCP on the same path: $(echo "$out" | grep '^info')"
xtcp_sysctls $C hystart_detect=3
ip netns exec $C tc qdisc del dev veth-c root

# The receive buffer follows what the reader copies a round trip
# (module/buffer.c): over 50 ms of delay, 16 MiB take XTCP at most twice
# Linux TCP's time on the same path.  (With a window stuck at 64 KiB they
# took 3 to 7 times as long.)
ms_of() {	# ms_of CMD...: runs it, prints how many ms it took
	local t0
	t0=$(date +%s%N)
	"$@" >/dev/null || return 1
	echo $((($(date +%s%N) - t0) / 1000000))
}
ip netns exec $C tc qdisc add dev veth-c root netem delay 50ms limit 100000 &&
	tcp_ms=$(XTCP_XFER_TCP=1 ms_of transfer 16M) &&
	xtcp_ms=$(ms_of transfer 16M) &&
	echo "# 16 MiB over 50 ms: XTCP $xtcp_ms ms, Linux TCP $tcp_ms ms" &&
	[ "$xtcp_ms" -le $((2 * tcp_ms)) ]
result $? "over a 50 ms path the receive window grows as TCP's does"
ip netns exec $C tc qdisc del dev veth-c root

totals
