#!/usr/bin/env bash
# Fuzzes every fuzz target of the repository for FUZZTIME each (default 30s):
#
#   hack/fuzz.sh            # make fuzz
#   FUZZTIME=3s hack/fuzz.sh  # .ci/run
#
# The targets are found by reading the source (every `func FuzzX(` in a
# _test.go file outside bin/ and testdata/), so a new target is fuzzed
# without being listed anywhere. The script then checks it missed none:
# each package's test binary must list (-test.list) exactly the targets the
# source scan found, and
# every target's run must have fuzzed (go test printed its "fuzz: elapsed"
# lines), so a target that `-fuzz` did not select fails the script instead
# of passing silently. Failing inputs are written to the
# package's testdata/fuzz/FuzzX directory; commit them with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-30s}
module=$(go list -m)

# "<package dir> <target>" for every fuzz target in the source.
mapfile -t found < <(
	grep -rEo --include='*_test.go' --exclude-dir=bin --exclude-dir=testdata --exclude-dir=.git \
		'^func Fuzz[A-Za-z0-9_]*\(' . |
		sed -E 's#^\./(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\($#\1 \2#' | sort -u
)
if [ "${#found[@]}" -eq 0 ]; then
	echo "fuzz.sh: no fuzz targets found" >&2
	exit 1
fi

mapfile -t dirs < <(printf '%s\n' "${found[@]}" | cut -d' ' -f1 | sort -u)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log="$work/log"
cache=$(go env GOCACHE)/fuzz
ran=0
failed=()
start=$SECONDS
# One instrumented test binary per package, built once (go test -fuzz would
# link it again for every target), run from the package's directory so that
# testdata/ resolves and a failing input lands in its testdata/fuzz/.
for dir in "${dirs[@]}"; do
	bin="$work/$(echo "$dir" | tr / _).test"
	if ! go test -c -fuzz=. -o "$bin" "./$dir"; then
		failed+=("$dir (build)")
		continue
	fi
	# What the test binary itself lists must be what the source scan found.
	if ! diff <(printf '%s\n' "${found[@]}" | grep "^$dir " | cut -d' ' -f2 | sort) \
		<(cd "$dir" && "$bin" -test.list '^Fuzz' | grep '^Fuzz' | sort) >&2; then
		echo "fuzz.sh: the source scan (<) and the test binary of $dir (>) disagree on its fuzz targets" >&2
		failed+=("$dir (target list)")
		continue
	fi
	for entry in "${found[@]}"; do
		[ "${entry% *}" = "$dir" ] || continue
		target=${entry#* }
		echo "== $module/$dir $target for $fuzztime"
		crashers="$dir/testdata/fuzz/$target"
		before=$( (find "$crashers" -type f 2>/dev/null || true) | wc -l)
		if ! (cd "$dir" && "$bin" -test.run='^$' -test.fuzz="^${target}\$" -test.fuzztime="$fuzztime" \
			-test.fuzzcachedir="$cache/$module/$dir") 2>&1 | tee "$log"; then
			after=$( (find "$crashers" -type f 2>/dev/null || true) | wc -l)
			# Go's coordinator can report a bare "context deadline exceeded"
			# at the end of -fuzztime on a loaded machine, with no failing
			# input (go.dev/issue/75804, fixed in Go 1.27). Only that is
			# let through; any written input or other failure fails.
			if [ "$after" -eq "$before" ] && grep -q '^    context deadline exceeded$' "$log" &&
				! grep -qE '^(panic|Failing input written| +[A-Za-z0-9_]+_test\.go:[0-9]+:)' "$log"; then
				echo "fuzz.sh: $dir $target: the fuzzing deadline race of go.dev/issue/75804, no failing input" >&2
			else
				failed+=("$dir $target")
				continue
			fi
		fi
		if ! grep -q '^fuzz: elapsed' "$log"; then
			echo "fuzz.sh: $dir $target was not fuzzed" >&2
			failed+=("$dir $target (not fuzzed)")
			continue
		fi
		ran=$((ran + 1))
	done
done
echo "fuzz.sh: fuzzed $ran of ${#found[@]} targets in $((SECONDS - start))s"
if [ "${#failed[@]}" -gt 0 ]; then
	printf 'fuzz.sh: FAILED %s\n' "${failed[@]}" >&2
	exit 1
fi
