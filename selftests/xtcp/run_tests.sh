#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs XTCP's selftests inside the test guest (scripts/vm-run starts it) and
# prints KTAP, the way the kernel's run_kselftest.sh does: each program's
# own TAP output indented behind "# ", then one "ok"/"not ok" line for it.
# The last line sums the test cases: "xtcp-selftests: pass:P fail:F skip:S".
#
# Usage: run_tests.sh [PROGRAM...]: the named programs only (default: all
# of them); XTCP_REPEAT=N runs the list N times (scripts/repeat-test).
#
# Environment: XTCP_KO and XTCP_SQUATTER_KO (the modules built for the
# running kernel; XTCP_DIAG_KO defaults to xtcp_diag.ko beside XTCP_KO),
# XTCP_TESTS (directory of the test programs), XTCP_TOOLS (of tools/'s
# programs, default build/tools), XTCP_TEST_TIMEOUT (seconds per program,
# default 300), XTCP_KMEMLEAK (0: no kmemleak scan at the end).
set -u

tests_dir=${XTCP_TESTS:-build/selftests}
timeout_s=${XTCP_TEST_TIMEOUT:-300}
export XTCP_KO=${XTCP_KO:-module/xtcp.ko}
export XTCP_SQUATTER_KO=${XTCP_SQUATTER_KO:-build/squatter/xtcp_squatter.ko}
export XTCP_DIAG_KO=${XTCP_DIAG_KO:-$(dirname "$XTCP_KO")/xtcp_diag.ko}
export XTCP_TOOLS=${XTCP_TOOLS:-build/tools}

# module_test loads and unloads xtcp.ko itself; the others load it on use.
programs=(module_test socket_test input_test peer_selftest handshake_test close_test timewait_test tos_ttl_test syncookie_test connect_test scale_test veth_test.sh flood_test stream_test flow_test transfer_test.sh recv_test netem_test.sh window_test deadpeer_test.sh epoll_test hostile_test ofo_test forward_test.sh gro_test.sh pmtu_test.sh info_test conform_test timer_test icmp_test urgent_test sockopt_test rfc9293_test ipopt_test zerownd_test defer_test xtcp_run_test.sh trace_test.sh diag_test stress_test.sh fuzz_test)
# Under a kernel with fault injection (make check-debug's), its test too;
# fuzz_test stays last.
if [ -w /sys/kernel/debug/failslab/probability ]; then
	unset 'programs[-1]'
	programs+=(faultinj_test fuzz_test)
fi
[ $# -eq 0 ] || programs=("$@")
repeat=${XTCP_REPEAT:-1}
list=()
for _ in $(seq "$repeat"); do
	list+=("${programs[@]}")
done
programs=("${list[@]}")

pass=0 fail=0 skip=0 n=0
echo "TAP version 13"
# Plus the unload check, and kmemleak's where the kernel has it (below).
extra=1
[ ! -w /sys/kernel/debug/kmemleak ] || [ "${XTCP_KMEMLEAK:-1}" = 0 ] || extra=2
echo "1..$((${#programs[@]} + extra))"

# Adds one program's "# Totals: pass:P fail:F ..." line to the sums; a
# program that died before printing it counts as one failure.
add_totals() {
	local out=$1 line p f x s e
	line=$(grep -E '^# Totals: pass:' "$out" | tail -1)
	if [ -z "$line" ]; then
		fail=$((fail + 1))
		return
	fi
	read -r p f x s e < <(sed -E \
		's/.*pass:([0-9]+) fail:([0-9]+) xfail:([0-9]+) xpass:([0-9]+) skip:([0-9]+) error:([0-9]+).*/\1 \2 \3 \5 \6/' \
		<<<"$line")
	pass=$((pass + p + x))
	fail=$((fail + f + e))
	skip=$((skip + s))
}

# failed_cases OUT PROG: each failed case's own lines (at most the last 40
# since the case before it), or the program's last 40 when it failed
# without a "not ok" (a crash, a timeout), so that they can be repeated
# at the end, where a log cut to its tail still shows why.
failed_cases() {
	awk -v prog="$2" '
		function tail(head) {
			print "# ---- " prog ": " head
			for (i = (n > 40 ? n - 40 : 0); i < n; i++)
				print buf[i % 40]
		}
		/^(# )?(ok|not ok) [0-9]+ / {
			if ($0 ~ /not ok/) {
				tail($0)
				failed = 1
			}
			n = 0
			next
		}
		{ buf[n % 40] = $0; n++ }
		END { if (!failed) tail("its last lines") }' "$1"
}

failures=$(mktemp)
for prog in "${programs[@]}"; do
	n=$((n + 1))
	out=$(mktemp)
	echo "# selftests: xtcp: $prog"
	# In the kernel log too: a crash's report then says what ran.
	echo "xtcp-selftests: $prog starts" >/dev/kmsg 2>/dev/null
	case $prog in
	*.sh) path=$(dirname "$0")/$prog ;;	# shell tests run from the tree
	*) path=$tests_dir/$prog ;;
	esac
	timeout --foreground -k 5 "$timeout_s" "$path" >"$out" 2>&1
	rc=$?
	sed 's/^/# /' "$out"
	add_totals "$out"
	[ "$rc" -eq 0 ] || failed_cases "$out" "$prog" >>"$failures"
	rm -f "$out"
	if [ "$rc" -eq 0 ]; then
		echo "ok $n selftests: xtcp: $prog"
	else
		[ "$rc" -eq 124 ] && echo "# $prog: timed out after ${timeout_s}s"
		echo "not ok $n selftests: xtcp: $prog # exit=$rc"
	fi
done

# A kernel with kmemleak (the debug kernel, make check-debug): scan twice,
# a few seconds apart (an object is reported only once it has stayed
# unreferenced through a scan), and fail on any leak whose backtrace has
# a frame in xtcp.ko or xtcp_diag.ko, while their symbols still resolve
# (before the unload below).  Those reports go to the kernel log as well,
# for vm-run's splat check; the rest (the kernel's own) are only counted.
kmemleak=/sys/kernel/debug/kmemleak
if [ -w "$kmemleak" ] && [ "${XTCP_KMEMLEAK:-1}" != 0 ]; then
	n=$((n + 1))
	sleep 5
	echo scan >"$kmemleak"
	sleep 5
	echo scan >"$kmemleak"
	leaks=$(mktemp)
	# One report per block, from "unreferenced object" to the next.
	awk '/^unreferenced object/ { if (b ~ /\[xtcp(_diag)?\]/) printf "%s", b; b = "" }
	     { b = b $0 "\n" } END { if (b ~ /\[xtcp(_diag)?\]/) printf "%s", b }' \
		"$kmemleak" >"$leaks"
	others=$(grep -c '^unreferenced object' "$kmemleak")
	echo "# kmemleak: $others unreferenced objects in all"
	if [ -s "$leaks" ]; then
		fail=$((fail + 1))
		sed 's/^/# /' "$leaks"
		# One write per line: /dev/kmsg takes a record per write.
		while IFS= read -r line; do
			echo "xtcp kmemleak: $line" >/dev/kmsg
		done <"$leaks"
		echo "not ok $n selftests: xtcp: kmemleak finds no leak in XTCP"
	else
		pass=$((pass + 1))
		echo "ok $n selftests: xtcp: kmemleak finds no leak in XTCP"
	fi
	rm -f "$leaks"
fi

# Whatever the tests did, the module must unload: a leaked socket or
# reference keeps it pinned, and a leaked object makes its slab complain.
n=$((n + 1))
# Connections the tests closed may still be finishing (FIN_WAIT, LAST_ACK
# and RCU-deferred frees; after a failed ASSERT the harness skips the
# teardown, leaving orphans to finish their FIN retransmissions): wait.
# xtcp_diag.ko (diag_test loads it) uses xtcp.ko's symbols: it goes first.
for _ in $(seq 150); do
	[ -d /sys/module/xtcp ] || break
	[ ! -d /sys/module/xtcp_diag ] || rmmod xtcp_diag 2>/dev/null
	rmmod xtcp 2>/dev/null && break
	sleep 0.2
done
if [ ! -d /sys/module/xtcp ]; then
	pass=$((pass + 1))
	echo "ok $n selftests: xtcp: module unloads after the tests"
else
	fail=$((fail + 1))
	echo "not ok $n selftests: xtcp: module unloads after the tests"
fi

if [ -s "$failures" ]; then
	echo "# ==== the failed cases again, with their output:"
	sed 's/^/# /' "$failures"
fi
rm -f "$failures"
echo "xtcp-selftests: pass:$pass fail:$fail skip:$skip"
[ "$fail" -eq 0 ]
