#!/bin/sh
# bench/lb_profile.sh - where a proxy's time goes on large bodies: system
# calls per MiB (strace -c) and the profile (perf record), for HAProxy and
# brace lb under the same load.
#
# One nginx backend (as in bench/lb_bodies.sh) serves a 64 KiB and a 1 MiB
# file and takes 1 MiB uploads. For each workload and each proxy in turn,
# wrk -t1 -c$CONNS runs three times for DURATION seconds: with perf stat
# counting the proxy's system calls (syscall tracepoints), context switches
# (each one a wake-up from epoll_wait) and CPU time, which disturbs it
# little; with strace -c -f attached (which slows it down: only its counts
# per MiB are meant); and with perf record attached. Reported per run: MiB
# moved, system calls per MiB in all and by kind, wake-ups and CPU ms per
# MiB, strace's count per MiB by name, and the profile's share of copying
# (copy_*_iter, memcpy), of the rest of the kernel, and of the proxy's own
# code, with its top symbols.
#
#   bench/lb_profile.sh [DURATION]      default 5 s
#
# Environment: CONNS (50), WORKLOADS ("64k 1m up1m"), BRACE (build/brace),
# CONTENDERS ("haproxy brace brace-nosplice"; "brace-before" adds the
# binary named by BEFORE), TOP (symbols listed, 8).
set -eu
cd "$(dirname "$0")/.."
DURATION=${1:-5}
CONNS=${CONNS:-50}
WORKLOADS=${WORKLOADS:-64k 1m up1m}
CONTENDERS=${CONTENDERS:-haproxy brace brace-nosplice}
TOP=${TOP:-8}
B=${BRACE:-$PWD/build/brace}
. bench/lb_common.sh
bench_start lb_profile nginx haproxy wrk strace perf python3 awk
BE=$(port)
files_backend "$BE"

start() { # contender port: sets PID
	case $1 in
	haproxy)
		haproxy_config "$T/haproxy.cfg" "$2" 60s "" "127.0.0.1:$BE"
		haproxy -f "$T/haproxy.cfg" -db >"$T/haproxy.log" 2>&1 &
		PID=$! ;;
	brace)
		"$B" lb --threads 1 -l 127.0.0.1:$2 -b 127.0.0.1:$BE --no-journal 2>"$T/brace.log" &
		PID=$! ;;
	brace-nosplice)
		"$B" lb --threads 1 -l 127.0.0.1:$2 -b 127.0.0.1:$BE --no-journal --no-splice \
		    2>"$T/brace.log" &
		PID=$! ;;
	brace-before)
		"${BEFORE:?brace-before needs BEFORE=path}" lb --threads 1 -l 127.0.0.1:$2 \
		    -b 127.0.0.1:$BE --no-journal 2>"$T/brace.log" &
		PID=$! ;;
	esac
	pids="$pids $PID"
	sleep 1
}

wrk_run() { # workload port: prints requests completed
	case $1 in
	64k) set -- /64k.bin "$2" "" ;;
	1m) set -- /1m.bin "$2" "" ;;
	up1m) set -- /upload "$2" "-s $T/upload.lua" ;;
	esac
	# shellcheck disable=SC2086
	wrk -t1 -c"$CONNS" -d"${DURATION}s" $3 "http://127.0.0.1:$2$1" 2>&1 |
	    awk '/requests in/ {print $1}'
}

mib() { # workload requests
	case $1 in
	64k) echo "$2" | awk '{printf "%.1f", $1 / 16}' ;;
	*) echo "$2" ;;
	esac
}

echo "brace lb profile: wrk -t1 -c$CONNS, ${DURATION}s per run, $(nproc) CPUs, $(uname -r)"
for w in $WORKLOADS; do
	for c in $CONTENDERS; do
		p=$(port)
		start "$c" "$p"
		ev=raw_syscalls:sys_enter,context-switches,task-clock
		for s in read recvfrom readv writev sendto sendmsg write splice epoll_wait epoll_ctl; do
			ev="$ev,syscalls:sys_enter_$s"
		done
		perf stat -x, -e "$ev" -p "$PID" -o "$T/stat.txt" -- sleep "$DURATION" &
		ppid=$!
		reqs=$(wrk_run "$w" "$p")
		wait $ppid 2>/dev/null || true
		m=$(mib "$w" "$reqs")
		echo
		echo "== $w through $c: perf stat, $reqs requests, $m MiB"
		awk -F, -v m="$m" '
		$3 != "" { v[$3] = $1 }
		END {
			if (m <= 0) exit
			rd = v["syscalls:sys_enter_read"] + v["syscalls:sys_enter_recvfrom"] + v["syscalls:sys_enter_readv"]
			wr = v["syscalls:sys_enter_writev"] + v["syscalls:sys_enter_sendto"] + v["syscalls:sys_enter_sendmsg"] + v["syscalls:sys_enter_write"]
			printf "   system calls %.1f per MiB: reads %.1f, writes %.1f, splice %.1f, epoll_wait %.1f, epoll_ctl %.1f\n",
			    v["raw_syscalls:sys_enter"] / m, rd / m, wr / m, v["syscalls:sys_enter_splice"] / m,
			    v["syscalls:sys_enter_epoll_wait"] / m, v["syscalls:sys_enter_epoll_ctl"] / m
			printf "   context switches (wake-ups) %.1f per MiB; CPU %.2f ms per MiB\n",
			    v["context-switches"] / m, v["task-clock"] / m
		}' "$T/stat.txt"

		strace -c -f -p "$PID" -o "$T/strace.txt" &
		spid=$!
		sleep 0.5
		reqs=$(wrk_run "$w" "$p")
		kill -INT $spid; wait $spid 2>/dev/null || true
		m=$(mib "$w" "$reqs")
		echo "== $w through $c: strace -c, $reqs requests, $m MiB"
		awk -v m="$m" '
		$1 ~ /^[0-9.]+$/ && NF >= 5 {
			name = $NF; calls = $4
			if (calls > 0 && m > 0) printf "   %-16s %9.1f per MiB\n", name, calls / m
		}' "$T/strace.txt" | sort -k2 -rn | head -12

		perf record -g -p "$PID" -o "$T/perf.data" -- sleep "$DURATION" >/dev/null 2>&1 &
		ppid=$!
		reqs=$(wrk_run "$w" "$p")
		wait $ppid 2>/dev/null || true
		echo "== $w through $c: perf, $reqs requests"
		perf report -i "$T/perf.data" --no-children --sort sym --stdio -g none 2>/dev/null |
		    awk -v top="$TOP" '
		/^ +[0-9.]+%/ {
			pct = $1; sub(/%/, "", pct); sym = $0; sub(/^ +[0-9.]+% +/, "", sym)
			if (sym ~ /copy_user|rep_movs|memcpy|memmove|copy_to_iter|copy_from_iter|copy_page_to_iter|copy_page_from_iter/) cp += pct
			else if (sym ~ /^\[k\]/) k += pct
			else u += pct
			if (++n <= top) printf "   %6.2f%%  %s\n", pct, sym
		}
		END { printf "   copying %.1f%%, rest of the kernel %.1f%%, user space %.1f%%\n", cp, k, u }'
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	done
done
