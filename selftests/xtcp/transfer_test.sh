#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The byte stream end to end: one connection per case moves 1 byte, an
# MSS less one, an MSS, an MSS and one (TCP_MAXSEG of the connection),
# 10 MiB and 100 MiB, one way and both ways at once, over loopback and
# over veth; then GSO through veth, and cut in software.  Every receiver
# checks each byte against the sender's pattern and the hash of the whole
# against the sender's (xtcp_xfer).
#
#   ns xtcp-xf-lo: lo 127.0.0.1, client and server in one namespace
#
#   +-------------------+            +-------------------+
#   | ns xtcp-xf-c      |    veth    | ns xtcp-xf-s      |
#   | xf-c 10.78.0.1    |<---------->| xf-s 10.78.0.2    |
#   +-------------------+            +-------------------+
#
# Every case is bounded in time; the last line is a kselftest Totals line.
set -u

xfer=${XTCP_TESTS:-build/selftests}/xtcp_xfer
L=xtcp-xf-lo
C=xtcp-xf-c
S=xtcp-xf-s
sizes=(1 mss-1 mss mss+1 10M 100M)
NAMESPACES="$L $C $S"
. "$(dirname "$0")/lib.sh"
trap ns_cleanup EXIT

setup() {
	ns_cleanup
	load_xtcp && ip netns add $L && ip -n $L link set lo up &&
	veth_pair $C xf-c 10.78.0.1 $S xf-s 10.78.0.2 &&
	xtcp_sysctls $L msl_ms=300 && xtcp_sysctls $C msl_ms=300 &&
	xtcp_sysctls $S msl_ms=300
}

# The field after WORD in a duplex end's summary line.
field() {	# field FILE WORD
	sed -nE "s/.*$2 ([0-9]+ [0-9a-f]+).*/\1/p" "$1"
}

# xfer PATH MODE SIZE LIMIT: one connection, server first, each end of it
# bounded by LIMIT seconds; prints both ends' output as comments.
xfer() {
	local path=$1 mode=$2 size=$3 limit=$4 port=$((7100 + n))
	local sns cns addr srv rc t0 sout cout
	local -a sargs cargs

	case $path in
	loopback) sns=$L cns=$L addr=127.0.0.1 ;;
	veth) sns=$S cns=$C addr=10.78.0.2 ;;
	esac
	if [ "$mode" = one-way ]; then
		sargs=(server $port) cargs=(client $addr $port "$size")
	else
		sargs=(duplex-server $port "$size")
		cargs=(duplex-client $addr $port "$size")
	fi
	sout=$(mktemp) cout=$(mktemp)
	t0=$(date +%s%N)
	timeout "$limit" ip netns exec $sns "$xfer" "${sargs[@]}" >"$sout" 2>&1 &
	srv=$!
	for _ in $(seq 100); do grep -q listening "$sout" && break; sleep 0.05; done
	timeout "$limit" ip netns exec $cns "$xfer" "${cargs[@]}" >"$cout" 2>&1
	rc=$?
	wait $srv || rc=1
	grep -hv -e '^listening$' -e '^connected$' "$sout" "$cout" | sed 's/^/# /'
	echo "# $path $mode $size: $((($(date +%s%N) - t0) / 1000000)) ms"
	# Both ways: what each end sent is what the other end got.
	if [ "$mode" = both-ways ] && [ $rc -eq 0 ]; then
		[ -n "$(field "$cout" sent)" ] &&
		[ "$(field "$cout" sent)" = "$(field "$sout" got)" ] &&
		[ "$(field "$sout" sent)" = "$(field "$cout" got)" ] || rc=1
	fi
	last_client_out=$(cat "$cout")
	rm -f "$sout" "$cout"
	return $rc
}

echo "TAP version 13"
echo "1..$((5 + 2 * 2 * ${#sizes[@]}))"
[ -x "$xfer" ] || { echo "Bail out! $xfer not built"; exit 1; }

setup
result $? "loopback namespace and veth topology with xtcp in each"

for path in loopback veth; do
	for mode in one-way both-ways; do
		for size in "${sizes[@]}"; do
			case $size in
			100M) limit=120 ;;
			10M) limit=60 ;;
			*) limit=20 ;;
			esac
			xfer $path $mode "$size" $limit
			result $? "$path $mode $size bytes arrive byte-exact"
		done
	done
done

# The MSS the last veth case used: the link's MTU less the two headers,
# at most (options would take some of it).
mss=$(sed -nE 's/.*mss ([0-9]+).*/\1/p' <<<"$last_client_out")
echo "# veth TCP_MAXSEG: ${mss:-none}"
[ -n "$mss" ] && [ "$mss" -ge 1400 ] && [ "$mss" -le 1460 ]
result $? "TCP_MAXSEG over veth (MTU 1500) is at most 1460 and near it"

# Segmentation offload (module/offload.c).  veth takes XTCP's GSO skbs
# whole, so 10 MiB cross it in far fewer packets than segments; a device
# without GSO for them gets segments cut in software, none above the MTU
# (veth drops those), and with checksum offload off too, each segment's
# checksum computed there.  Bytes arrive exact and no checksum fails.
rx_packets() {
	ip netns exec $S cat /sys/class/net/xf-s/statistics/rx_packets
}

csum_errors() {
	xtcp_stat $S InCsumErrors
}

# gso_case NAME MIN MAX: 10 MiB one way; the packets xf-s received must
# be within [MIN, MAX].
gso_case() {
	local p0 e0 p rc
	p0=$(rx_packets) e0=$(csum_errors)
	xfer veth one-way 10M 60
	rc=$?
	p=$(($(rx_packets) - p0))
	echo "# $1: $p packets for 10 MiB, $(($(csum_errors) - e0)) checksum errors"
	[ $rc -eq 0 ] && [ $p -ge "$2" ] && [ $p -le "$3" ] &&
		[ "$(csum_errors)" = "$e0" ]
}

segs=$(((10 << 20) / 1460))
gso_case "GSO through veth" 1 $((segs / 4))
result $? "veth carries XTCP's GSO skbs whole (fewer packets than segments/4)"

ip netns exec $C ethtool -K xf-c tx-sctp-segmentation off >/dev/null &&
	gso_case "software GSO" "$segs" $((segs * 2))
result $? "without GSO on the device, segments are cut in software, byte-exact"

ip netns exec $C ethtool -K xf-c tx off >/dev/null &&
	gso_case "software GSO and checksums" "$segs" $((segs * 2))
result $? "without checksum offload either, segments carry software checksums"

totals
