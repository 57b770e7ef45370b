#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# GRO for XTCP (module/gro.c): a veth with GRO on hands XTCP's input one
# aggregate for a run of segments; with GRO off, each segment.  The
# senders' veths have TSO and XTCP's GSO (tx-sctp-segmentation) off, so
# segments leave one by one and the receiving veth's NAPI (which it has
# only with GRO on) sees them as a NIC's driver would.
#
#   +-------------------+            +-------------------+
#   | ns xtcp-gro-c     |    veth    | ns xtcp-gro-s     |
#   | gc 10.82.0.1      |<---------->| gs 10.82.0.2      |
#   +-------------------+            +-------------------+
#     byte-exact transfers both ways at once, GRO on and off at both
#     ends; a lossy, reordering, corrupting netem on gc
#
#   +-------------------+            +-------------------+
#   | ns xtcp-gro-p     |    veth    | ns xtcp-gro-r     |
#   | gp (no address)   |----------->| gr 10.0.0.1       |
#   | plug qdisc        |            | MTU 9000          |
#   +-------------------+            +-------------------+
#     gro_peer: a scripted peer's bursts, wrong in one way each
#
#   +------------+     +---------------------+     +------------+
#   | xtcp-gro-a |---->| xtcp-gro-m: ra, rb  |---->| xtcp-gro-b |
#   | fa 10.83.1.1     | 10.83.1.2 10.83.2.2 |     fb 10.83.2.1 |
#   +------------+     +---------------------+     +------------+
#     a router with GRO on at ra: its aggregates cut again in software
#     at rb, or passed whole, or refused for rb's MTU
#
# A command costs a few hundred ms in the TCG guest, so the setup goes
# through "ip -batch" and the counters are read through a process that
# waits in each namespace.  Every case is bounded in time; the last line
# is a kselftest Totals line.
set -u

tests=${XTCP_TESTS:-build/selftests}
xfer=$tests/xtcp_xfer
peer=$tests/gro_peer
C=xtcp-gro-c
S=xtcp-gro-s
P=xtcp-gro-p
R=xtcp-gro-r
A=xtcp-gro-a
M=xtcp-gro-m
B=xtcp-gro-b
sizes=(1 100K 16M)
peer_cases=(merge frags limit badcsum malformed options fin cwr window sizes ip)
NAMESPACES="$C $S $P $R $A $M $B"
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
declare -A holder

cleanup() {
	local pid

	for pid in "${holder[@]}"; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	ns_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT

# gro NS DEV on|off
gro() {
	ip netns exec "$1" ethtool -K "$2" gro "$3" >/dev/null
}

# Segments leave DEV one by one: no TSO (veth then uses its peer's NAPI),
# no XTCP GSO (cut in software before the device).
one_by_one() {
	ip netns exec "$1" ethtool -K "$2" tso off tx-sctp-segmentation off \
		>/dev/null
}

setup() {
	local ns comm

	ns_cleanup
	load_xtcp &&
	{ [ -d /sys/module/sch_netem ] || modprobe sch_netem; } &&
	{ [ -d /sys/module/sch_plug ] || modprobe sch_plug; } &&
	for ns in $NAMESPACES; do echo "netns add $ns"; done | ip -b - &&
	ip -b - <<-EOF &&
	link add gc netns $C type veth peer name gs netns $S
	link add gp netns $P mtu 9000 type veth peer name gr netns $R mtu 9000
	link add fa netns $A type veth peer name ra netns $M
	link add rb netns $M type veth peer name fb netns $B
	EOF
	ip -n $C -b - <<-EOF &&
	addr add 10.82.0.1/24 dev gc
	link set lo up
	link set gc up
	EOF
	ip -n $S -b - <<-EOF &&
	addr add 10.82.0.2/24 dev gs
	link set lo up
	link set gs up
	EOF
	ip -n $P link set gp up &&
	ip -n $R -b - <<-EOF &&
	addr add 10.0.0.1/24 dev gr
	link set lo up
	link set gr up
	neigh replace 10.0.0.2 dev gr nud permanent lladdr $(ip netns exec $P cat /sys/class/net/gp/address)
	EOF
	ip -n $A -b - <<-EOF &&
	addr add 10.83.1.1/24 dev fa
	link set lo up
	link set fa up
	route add default via 10.83.1.2
	EOF
	ip -n $M -b - <<-EOF &&
	addr add 10.83.1.2/24 dev ra
	addr add 10.83.2.2/24 dev rb
	link set lo up
	link set ra up
	link set rb up
	EOF
	ip -n $B -b - <<-EOF &&
	addr add 10.83.2.1/24 dev fb
	link set lo up
	link set fb up
	route add default via 10.83.2.2
	EOF
	ip netns exec $C sh -c 'cd /proc/sys/net/xtcp &&
		echo 300 > msl_ms && echo 200 > rto_initial_ms' &&
	ip netns exec $S sh -c 'cd /proc/sys/net/xtcp &&
		echo 300 > msl_ms && echo 200 > rto_initial_ms' &&
	ip netns exec $M sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward' &&
	one_by_one $C gc && one_by_one $S gs && one_by_one $A fa &&
	ip netns exec $P ethtool -K gp tso off >/dev/null &&
	ip netns exec $M ethtool -K ra gro on >/dev/null &&
	ip netns exec $M ethtool -K rb tx-sctp-segmentation off >/dev/null &&
	tc -n $P qdisc add dev gp root plug &&
	tc -n $P qdisc change dev gp root plug release_indefinite &&
	for ns in $C $S $A $M; do
		ip netns exec "$ns" sleep 100000 &
		holder[$ns]=$!
	done &&
	for ns in $C $S $A $M; do
		# In the namespace once "ip netns exec" became sleep.
		for _ in $(seq 100); do
			read -r comm <"/proc/${holder[$ns]}/comm"
			[ "$comm" = sleep ] && break
			sleep 0.05
		done
		[ "$comm" = sleep ] || return 1
	done
}

# ctr NS NAME: one counter of the namespace's /proc/net/xtcp_stat, read
# through the process that waits there (no command to start).
ctr() {
	local k v

	while read -r k v; do
		[ "$k" = "$2" ] && { echo "$v"; return; }
	done <"/proc/${holder[$1]}/net/xtcp_stat"
}

# xfer SNS CNS ADDR SIZE LIMIT [duplex]: one connection, the server in
# SNS, the client in CNS sending SIZE bytes to ADDR (with "duplex", both
# send SIZE bytes at once, and each must get exactly what the other
# sent); both bounded by LIMIT seconds.
xfer() {
	local sns=$1 cns=$2 addr=$3 size=$4 limit=$5 port=$((7400 + n))
	local sm=server cm=client sout=$tmp/s cout=$tmp/c srv rc t0 line f
	local -a sargs

	[ "${6:-}" = duplex ] && sm=duplex-server cm=duplex-client
	sargs=("$sm" "$port")
	[ $sm = server ] || sargs+=("$size")
	t0=${EPOCHREALTIME/[.,]/}
	: >"$sout"
	timeout "$limit" ip netns exec "$sns" "$xfer" "${sargs[@]}" \
		>"$sout" 2>&1 &
	srv=$!
	for _ in $(seq 100); do
		read -r line <"$sout"
		[ "$line" = listening ] && break
		sleep 0.05
	done
	timeout "$limit" ip netns exec "$cns" "$xfer" $cm "$addr" $port \
		"$size" >"$cout" 2>&1
	rc=$?
	wait $srv || rc=1
	for f in "$sout" "$cout"; do
		while read -r line; do
			case $line in
			listening | connected) ;;
			*) echo "# $line" ;;
			esac
		done <"$f"
	done
	echo "# $size bytes: $(((${EPOCHREALTIME/[.,]/} - t0) / 1000)) ms"
	# Both ways: what each end sent is what the other end got.
	if [ $sm = duplex-server ] && [ $rc -eq 0 ]; then
		[ -n "$(field "$cout" sent)" ] &&
		[ "$(field "$cout" sent)" = "$(field "$sout" got)" ] &&
		[ "$(field "$sout" sent)" = "$(field "$cout" got)" ] || rc=1
	fi
	return $rc
}

# The count and hash after WORD in a duplex end's summary line.
field() {	# field FILE WORD
	local line

	while read -r line; do
		[[ $line =~ $2\ ([0-9]+\ [0-9a-f]+) ]] &&
			{ echo "${BASH_REMATCH[1]}"; return; }
	done <"$1"
}

limit_for() {
	case $1 in
	16M) echo 60 ;;
	*) echo 20 ;;
	esac
}

echo "TAP version 13"
echo "1..$((1 + 2 * ${#sizes[@]} + 2 + 1 + 2 * ${#peer_cases[@]} + 3))"
for prog in "$xfer" "$peer"; do
	[ -x "$prog" ] || { echo "Bail out! $prog not built"; exit 1; }
done

start=$SECONDS
setup
result $? "namespaces, veths and a router; segments leave the senders one by one"
echo "# setup: $((SECONDS - start)) s"

# 1. Transfers both ways at once, GRO on at both ends, then off: the
# bytes arrive exact either way; GROAggregated counts merges only with
# GRO on, in each namespace that received.
segs=$((((16 << 20) + (100 << 10) + 1 + 1447) / 1448))
for mode in on off; do
	gro $C gc $mode && gro $S gs $mode
	s0=$(ctr $S GROAggregated) c0=$(ctr $C GROAggregated)
	for size in "${sizes[@]}"; do
		xfer $S $C 10.82.0.2 "$size" "$(limit_for "$size")" duplex
		result $? "GRO $mode: $size bytes each way at once arrive byte-exact"
	done
	s1=$(($(ctr $S GROAggregated) - s0))
	c1=$(($(ctr $C GROAggregated) - c0))
	echo "# GRO $mode: GROAggregated +$s1 at s, +$c1 at c, of $segs segments each received"
	if [ $mode = on ]; then
		# Each GSO skb a sender cut into segments arrives as one
		# burst, and its segments merge: most of them (88 % in the
		# runs that made this test).
		[ "$s1" -ge $((segs / 4)) ] && [ "$c1" -ge $((segs / 4)) ]
		result $? "GRO on: GROAggregated rises at each receiving end, by a quarter of the segments at least"
	else
		[ "$s1" -eq 0 ] && [ "$c1" -eq 0 ]
		result $? "GRO off: GROAggregated stays put"
	fi
done

# 2. netem on the sender's veth: loss, reordering, duplication and
# corruption (a corrupted segment must fail GRO's checksum check and be
# dropped, never merged into an aggregate whose sum is then trusted).
gro $S gs on
tc -n $C qdisc add dev gc root netem delay 1ms reorder 25% 50% loss 1% \
	duplicate 1% corrupt 1%
s0=$(ctr $S GROAggregated) e0=$(ctr $S InCsumErrors) r0=$(ctr $C RetransSegs)
xfer $S $C 10.82.0.2 4M 60
rc=$?
echo "# netem: GROAggregated +$(($(ctr $S GROAggregated) - s0)), InCsumErrors +$(($(ctr $S InCsumErrors) - e0)) at s; RetransSegs +$(($(ctr $C RetransSegs) - r0)) at c"
tc -n $C qdisc del dev gc root
result $rc "GRO on, netem loss, reordering, duplication, corruption: 4 MiB byte-exact"

# 3. The scripted peer's bursts (gro_peer.c says what each case sends and
# expects): with GRO on, exactly the merges that may happen; with GRO
# off, none; the bytes, InErrs and InCsumErrors the same either way.
start=$SECONDS
for mode in on off; do
	gro $R gr $mode
	timeout 60 ip netns exec $R "$peer" $P gp gr $mode "${peer_cases[@]}" \
		>"$tmp/peer" 2>&1
	declare -A verdict=()
	while read -r line; do
		case $line in
		"case "*) line=${line#case }; verdict[${line% *}]=${line##* } ;;
		"#"*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done <"$tmp/peer"
	for c in "${peer_cases[@]}"; do
		[ "${verdict[$c]:-}" = ok ]
		result $? "GRO $mode, scripted peer: $c"
	done
	unset verdict
done
echo "# scripted peer: $((SECONDS - start)) s"

# 4. Through a router whose ingress (ra) does GRO.  rb cuts its
# aggregates in software (frag_list and all) and B gets them byte-exact.
m0=$(ctr $M GROAggregated)
xfer $B $A 10.83.2.1 4M 60
rc=$?
m1=$(($(ctr $M GROAggregated) - m0))
echo "# the router merged $m1 segments"
[ $rc -eq 0 ] && [ $m1 -gt 0 ]
result $? "router with GRO: aggregates cut again in software, 4 MiB byte-exact"

# rb takes them whole: B's input reads the aggregates as they are.
ip netns exec $M ethtool -K rb tx-sctp-segmentation on >/dev/null
xfer $B $A 10.83.2.1 4M 60
result $? "router with GRO: aggregates forwarded whole, 4 MiB byte-exact"
ip netns exec $M ethtool -K rb tx-sctp-segmentation off >/dev/null

# rb's MTU 1480 under B's MSS 1460: an aggregate of full segments must be
# refused as each of them would be (its gso_size carries XTCP's header,
# offload.c), and A learn the path MTU from the router's ICMP.  Frames
# over 1480 bytes that reached rb would be dropped there (tx_dropped).
ip -n $M link set rb mtu 1480
drop=$(ip netns exec $M cat /sys/class/net/rb/statistics/tx_dropped)
red=$(ctr $A PmtuReduced)
xfer $B $A 10.83.2.1 1M 60
rc=$?
red=$(($(ctr $A PmtuReduced) - red))
drop=$(($(ip netns exec $M cat /sys/class/net/rb/statistics/tx_dropped) - drop))
echo "# A lowered its MSS $red times; rb dropped $drop frames"
[ $rc -eq 0 ] && [ "$red" -ge 1 ] && [ "$drop" -eq 0 ]
result $? "router with GRO: no aggregate over rb's MTU is forwarded"

totals
