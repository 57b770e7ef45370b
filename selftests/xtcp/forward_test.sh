#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# XTCP through a router namespace: a GSO skb (many segments under one
# header) is checked against the router's egress MTU with XTCP's real
# header length, so no segment larger than the MTU is forwarded.  The core's arithmetic takes an SKB_GSO_SCTP skb's
# header for SCTP's 12 bytes; XTCP's gso_size carries the difference
# (module/offload.c).  The egress veth segments in software
# (tx-sctp-segmentation off), as a NIC would have the stack do.
#
#   +--------------+        +---------------------+        +--------------+
#   | ns xf-a      |  veth  | ns xf-r (forwards)  |  veth  | ns xf-b      |
#   | 10.78.1.1    |<------>| 10.78.1.2 10.78.2.2 |<------>| 10.78.2.1    |
#   +--------------+        +---------------------+        +--------------+
#
# Every case is bounded in time; the last line is a kselftest Totals line.
set -u

xfer=${XTCP_TESTS:-build/selftests}/xtcp_xfer
A=xf-a
R=xf-r
B=xf-b
NAMESPACES="$A $R $B"
. "$(dirname "$0")/lib.sh"
trap ns_cleanup EXIT

setup() {
	ns_cleanup
	load_xtcp &&
	router_ns $A $R $B 10.78
}

# transfer SECONDS BYTES: A sends to B; the client's status.
transfer() {
	local port=$((7000 + n)) out rc
	out=$(mktemp)
	timeout "$1" ip netns exec $B "$xfer" server $port >"$out" 2>/dev/null &
	local srv=$!
	for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.05; done
	timeout "$1" ip netns exec $A "$xfer" client 10.78.2.1 $port "$2" \
		>/dev/null 2>&1
	rc=$?
	wait $srv || rc=1
	rm -f "$out"
	return $rc
}

# The packets the router refused to forward for the MTU (DF: FragFails).
frag_fails() {
	# shellcheck disable=SC2016 # awk's fields, not the shell's
	ip netns exec $R awk '$1 == "Ip:" && !h { for (i = 2; i <= NF; i++)
		if ($i == "FragFails") f = i; h = 1; next }
		$1 == "Ip:" { print $f }' /proc/net/snmp
}

echo "TAP version 13"
echo "1..3"
[ -x "$xfer" ] || { echo "Bail out! $xfer not built"; exit 1; }

setup
result $? "three namespaces, the middle one routing, rb segmenting in software"

# Both MTUs 1500: the router cuts XTCP's GSO skbs itself, byte-exact.
transfer 60 4M
result $? "4 MiB through the router's software segmentation arrive byte-exact"

# rb's MTU 1480, fb's 1500: B offers MSS 1460, so full-sized segments
# (1500 bytes) cannot leave the router, alone or as a GSO skb of them.
# The router must refuse every such packet (FragFails) and say so with
# an ICMP Fragmentation Needed, from which A learns the path MTU
# (pmtu_test.sh) and sends smaller segments.  Before, the check took
# 20 + 12 + 1448 = 1480 bytes for each segment of a GSO skb and let it
# through, to be cut into frames 20 bytes over rb's MTU: then nothing was
# refused, and A never lowered its MSS.
ip -n $R link set rb mtu 1480
red=$(xtcp_stat $A PmtuReduced) fails=$(frag_fails)
transfer 60 1M
rc=$?
red=$(($(xtcp_stat $A PmtuReduced) - red)) fails=$(($(frag_fails) - fails))
echo "# the router refused $fails packets, A lowered its MSS $red times"
[ $rc -eq 0 ] && [ "$fails" -gt 0 ] && [ "$red" -ge 1 ]
result $? "no segment over the router's egress MTU is forwarded"

totals
