#!/bin/sh
# logs.sh - speed of brace logs against GoAccess and grep on a generated
# combined access log, and template mining speed on syslog text.
#
#   bench/logs.sh [SIZE]        (default 200M; RUNS=5 runs each, GA_RUNS=3)
#
# Needs hyperfine and goaccess (scripts/install-deps --bench). Files go to
# build/bench/ and are generated once (bench/gen-logs.py, fixed seed). The
# file is read once before timing so every tool reads from the page cache.
# Times are medians of the runs; the machine may be shared, so compare the
# ratios, which are measured back to back.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-200M}
runs=${RUNS:-5}
ga_runs=${GA_RUNS:-3}
dir=$root/build/bench
brace=$root/build/brace
access=$dir/access-$size.log
sys=$dir/syslog-$size.log
mkdir -p "$dir"
make -C "$root" --no-print-directory build/brace >/dev/null
for t in hyperfine goaccess; do
	command -v $t >/dev/null || { echo "logs.sh: $t is missing (scripts/install-deps --bench)"; exit 1; }
done
[ -s "$access" ] || /usr/bin/python3 "$root/bench/gen-logs.py" access "$size" "$access"
[ -s "$sys" ] || /usr/bin/python3 "$root/bench/gen-logs.py" syslog "$size" "$sys"
cat "$access" "$sys" >/dev/null

echo "== $(wc -l <"$access") lines, $(du -h "$access" | cut -f1) of combined access log; $(nproc) CPUs"
hyperfine --output=pipe --warmup 1 --runs "$runs" --export-json "$dir/fast.json" \
	-n brace "$brace logs --json $access" \
	-n "brace-1thread" "$brace logs --json --threads 0 $access" \
	-n "grep-c-500" "grep -c ' 500 ' $access" \
	-n "grep-c-all" "grep -c '' $access" >/dev/null 2>&1 || true
hyperfine --output=pipe --warmup 0 --runs "$ga_runs" --export-json "$dir/goaccess.json" \
	-n goaccess "goaccess $access --log-format=COMBINED --no-global-config -o $dir/goaccess-report.json" \
	>/dev/null 2>&1
hyperfine --output=pipe --warmup 1 --runs "$runs" --export-json "$dir/syslog.json" \
	-n brace-syslog "$brace logs --json $sys" >/dev/null 2>&1
mem_access=$(/usr/bin/time -f %M "$brace" logs --json "$access" 2>&1 >/dev/null | tail -1)
mem_sys=$(/usr/bin/time -f %M "$brace" logs --json "$sys" 2>&1 >/dev/null | tail -1)
/usr/bin/python3 - "$dir" "$(wc -l <"$sys")" "$mem_access" "$mem_sys" <<'PY'
import json, sys, statistics
d, syslines, mem_a, mem_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
med, cpu = {}, {}
for f in ("fast", "goaccess", "syslog"):
    for r in json.load(open("%s/%s.json" % (d, f)))["results"]:
        med[r["command"]] = statistics.median(r["times"])
        cpu[r["command"]] = r["user"] + r["system"]
for k, v in med.items():
    print("%-14s median %8.3f s   (CPU %.3f s)" % (k, v, cpu[k]))
b = med["brace"]
print("GoAccess / brace       %6.1fx   (required >= 50x)" % (med["goaccess"] / b))
print("brace / grep -c ' 500 ' %5.2fx   (required <= 5x)" % (b / med["grep-c-500"]))
print("brace / grep -c ''     %6.2fx" % (b / med["grep-c-all"]))
print("CPU time: GoAccess / brace %.1fx, brace / grep -c ' 500 ' %.2fx" % (
    cpu["goaccess"] / cpu["brace"], cpu["brace"] / cpu["grep-c-500"]))
print("syslog mining: %.0f lines/s (%d lines in %.3f s)" % (syslines / med["brace-syslog"], syslines, med["brace-syslog"]))
print("peak RSS: %d MB on the access log (the mapped file counts), %d MB on syslog" % (mem_a // 1024, mem_s // 1024))
PY
