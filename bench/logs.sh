#!/bin/sh
# logs.sh - speed of brace logs against GoAccess and grep on a generated
# combined access log, template mining speed on syslog text, and the cost
# and memory of hostile input (every line a new template).
#
#   bench/logs.sh [SIZE]        (default 50M; RUNS=5 runs each, GA_RUNS=3,
#                                ROUNDS=5 interleaved rounds for the ratios)
#
# Needs hyperfine and goaccess (scripts/install-deps --bench). Files go to
# build/bench/ and are generated once (bench/gen-logs.py, fixed seed). Each
# file is read once before timing so every tool reads from the page cache.
# Times are medians of the runs. The targets (GoAccess / brace >= 50x,
# brace / grep -c GET <= 3x) are judged on the interleaved rounds at the
# end, where the three commands are timed in the same minute: on a shared
# machine the speed drifts from one minute to the next, and the hyperfine
# ratios compare commands timed minutes apart (in one run 42x against 58x
# for the rounds of the same run).
#
# grep writes its count to a file: GNU grep stops at the first match when
# its output is /dev/null, which would flatter it.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-50M}
runs=${RUNS:-5}
ga_runs=${GA_RUNS:-3}
dir=$root/build/bench
brace=$root/build/brace
access=$dir/access-$size.log
sys=$dir/syslog-1M.log
rnd=$dir/random-5M.log
mkdir -p "$dir"
make -C "$root" --no-print-directory build/brace >/dev/null
for t in hyperfine goaccess; do
	command -v $t >/dev/null || { echo "logs.sh: $t is missing (scripts/install-deps --bench)"; exit 1; }
done
[ -s "$access" ] || /usr/bin/python3 "$root/bench/gen-logs.py" access "$size" "$access"
[ -s "$sys" ] || /usr/bin/python3 "$root/bench/gen-logs.py" syslog-lines 1000000 "$sys"
[ -s "$rnd" ] || /usr/bin/python3 "$root/bench/gen-logs.py" random 5000000 "$rnd"
cat "$access" "$sys" "$rnd" >/dev/null

echo "== $(wc -l <"$access") lines, $(du -h "$access" | cut -f1) of combined access log; $(nproc) CPUs"
hyperfine --output=pipe --warmup 1 --runs "$runs" --export-json "$dir/fast.json" \
	-n brace "$brace logs --json $access" \
	-n "brace-1thread" "$brace logs --json --threads 0 $access" \
	-n "grep-c-GET" "grep -c GET $access > $dir/grep.out" \
	-n "grep-c-all" "grep -c '' $access > $dir/grep.out" >/dev/null 2>&1 || true
hyperfine --output=pipe --warmup 0 --runs "$ga_runs" --export-json "$dir/goaccess.json" \
	-n goaccess "goaccess $access --log-format=COMBINED --no-global-config -o $dir/goaccess-report.json" \
	>/dev/null 2>&1
# The ratios again in interleaved rounds: GoAccess once, then brace and grep
# five times each, ROUNDS times; on a shared machine the speed drifts from
# one minute to the next, and commands timed minutes apart do not compare.
/usr/bin/python3 - "$dir/rounds.json" "${ROUNDS:-5}" "$brace" "$access" "$dir" <<'PY'
import json, subprocess, sys, time, statistics
out, rounds, brace, access, d = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def wall(cmd, stdout=subprocess.DEVNULL):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=stdout, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t
res = []
for r in range(rounds):
    ga = wall(["goaccess", access, "--log-format=COMBINED", "--no-global-config",
               "-o", d + "/goaccess-report.json"])
    b = statistics.median(wall([brace, "logs", "--json", access]) for _ in range(5))
    with open(d + "/grep.out", "w") as f:
        g = statistics.median(wall(["grep", "-c", "GET", access], stdout=f) for _ in range(5))
    res.append({"goaccess": ga, "brace": b, "grep": g})
json.dump(res, open(out, "w"))
PY
echo "== $(wc -l <"$sys") lines of syslog (--assign, one thread); $(wc -l <"$rnd") lines of random words"
hyperfine --output=pipe --warmup 1 --runs "$runs" --export-json "$dir/syslog.json" \
	-n assign-syslog "$brace logs --assign --threads 0 $sys > $dir/assign.out" \
	-n brace-syslog "$brace logs --json $sys" >/dev/null 2>&1
hyperfine --output=pipe --warmup 0 --runs 3 --export-json "$dir/random.json" \
	-n random-1thread "$brace logs --json --threads 0 $rnd" \
	-n random "$brace logs --json $rnd" >/dev/null 2>&1
mem_access=$(/usr/bin/time -f %M "$brace" logs --json "$access" 2>&1 >/dev/null | tail -1)
mem_sys=$(/usr/bin/time -f %M "$brace" logs --json "$sys" 2>&1 >/dev/null | tail -1)
mem_rnd=$(/usr/bin/time -f %M "$brace" logs --json "$rnd" 2>"$dir/random.err" >"$dir/random.json.out"; tail -1 "$dir/random.err")
overflow=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["overflow_lines"])' "$dir/random.json.out")
/usr/bin/python3 - "$dir" "$(wc -l <"$sys")" "$(wc -l <"$rnd")" "$mem_access" "$mem_sys" "$mem_rnd" "$overflow" <<'PY'
import json, sys, statistics
d, syslines, rndlines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
mem_a, mem_s, mem_r, overflow = (int(x) for x in sys.argv[4:8])
med, cpu = {}, {}
for f in ("fast", "goaccess", "syslog", "random"):
    for r in json.load(open("%s/%s.json" % (d, f)))["results"]:
        med[r["command"]] = statistics.median(r["times"])
        cpu[r["command"]] = r["user"] + r["system"]
for k, v in med.items():
    print("%-16s median %8.3f s   (CPU %.3f s)" % (k, v, cpu[k]))
b = med["brace"]
print("GoAccess / brace          %6.1fx   (timed minutes apart; the rounds below are the target's)"
      % (med["goaccess"] / b))
print("brace / grep -c GET       %6.2fx   (the same)" % (b / med["grep-c-GET"]))
print("brace / grep -c ''        %6.2fx" % (b / med["grep-c-all"]))
print("CPU time: GoAccess / brace %.1fx, brace / grep -c GET %.2fx" % (
    cpu["goaccess"] / cpu["brace"], cpu["brace"] / cpu["grep-c-GET"]))
for k, n in (("assign-syslog", syslines), ("brace-syslog", syslines),
             ("random-1thread", rndlines), ("random", rndlines)):
    print("%-16s %9.0f lines/s wall, %9.0f lines/s CPU" % (k, n / med[k], n / cpu[k]))
rounds = json.load(open("%s/rounds.json" % d))
print("interleaved rounds (GoAccess once, brace and grep -c GET five times each, medians):")
for r in rounds:
    print("  GoAccess %6.3f s  brace %6.3f s  grep %6.3f s   GoAccess / brace %5.1fx   brace / grep %4.2fx" % (
        r["goaccess"], r["brace"], r["grep"], r["goaccess"] / r["brace"], r["brace"] / r["grep"]))
print("median of the rounds: GoAccess / brace %.1fx (required >= 50x), brace / grep -c GET %.2fx "
      "(required <= 3x)" % (statistics.median(r["goaccess"] / r["brace"] for r in rounds),
                            statistics.median(r["brace"] / r["grep"] for r in rounds)))
print("peak RSS: %d MB on the access log, %d MB on syslog, %d MB on random words "
      "(%d lines fell into the overflow template)" % (mem_a // 1024, mem_s // 1024, mem_r // 1024,
                                                       overflow))
PY
