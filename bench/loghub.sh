#!/bin/sh
# loghub.sh - accuracy of brace logs on the Loghub-2k benchmark (corrected
# ground truth): grouping accuracy and template accuracy per system and on
# average, with only each system's header format and the default settings.
#
#   bench/loghub.sh [SYSTEM...]
#
# The data is read in place from $LOGHUB_DIR, else ../shared/data/loghub-2k
# relative to the repository root; it is research-use data and is never
# copied into the repository. Exits 0 with a note when it is absent.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
data=${LOGHUB_DIR:-$root/../shared/data/loghub-2k}
if [ ! -d "$data" ]; then
	echo "loghub.sh: no Loghub-2k data at $data (set LOGHUB_DIR); skipped"
	exit 0
fi
make -C "$root" --no-print-directory build/brace >/dev/null
exec /usr/bin/python3 "$root/bench/loghub_eval.py" "$root/build/brace" "$data" "$@"
