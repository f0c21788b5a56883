#!/bin/sh
# run_overhead.sh - what wrapping a job in `brace run` costs per start,
# against the bare command and flock(1), with hyperfine.
#
#   bench/run_overhead.sh [BRACE]      (default build/brace)
#
# Uses a throwaway journal and lock directory, so nothing of the machine's
# own is touched.
set -eu
BRACE=${1:-build/brace}
command -v hyperfine >/dev/null || { echo "needs hyperfine (scripts/install-deps --bench)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export BRACE_JOURNAL="$tmp/journal.db" BRACE_LOCK_DIR="$tmp/locks"
"$BRACE" run -- true	# create the journal outside the measurement
hyperfine -N -w 10 -r 200 \
	'true' \
	"flock $tmp/f true" \
	"$BRACE --version" \
	"$BRACE journal note x" \
	"$BRACE run --journal /proc/none/journal.db -- true" \
	"$BRACE run -- true" \
	"$BRACE run --lock bench --timeout 10s --quiet -- true"
