#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the libFuzzer harnesses with clang in build-fuzz/ and runs each for
# SECONDS; prints executions and crashes per harness; exits 1 on any crash.
#
#   scripts/fuzz.sh SECONDS
#
# Needs clang and its sanitizer/libFuzzer runtime (Debian 12: apt-get install
# clang libclang-rt-14-dev) plus the project's build dependencies. No root.
#
# Corpus: the seeds in test/fuzz/seeds/<harness>/, seeds made from pcaps/in by
# fuzz_seedgen, and build-fuzz/fuzz-corpus/<harness>/ where libFuzzer keeps what
# it finds (kept between runs; nothing under build-fuzz/ is committed).
#
# A crash, leak, timeout or OOM is saved by libFuzzer in build-fuzz/fuzz-run/
# and copied to test/fuzz/regressions/<harness>/ unless an input already there
# fails the same way (same invariant or sanitizer SUMMARY line): commit it, and
# ctest's fuzz_regressions replays it in every build from then on.
#
# Environment: CC (a clang; default clang, then clang-14), L2FQ_FUZZ_BUILD
# (build directory), L2FQ_FUZZ_JOBS (harnesses at a time; default nproc),
# L2FQ_FUZZ_NO_SAVE=1 (report crashes but do not copy them into test/).
set -euo pipefail

usage() { echo "usage: $0 SECONDS   (run each fuzz harness for SECONDS)" >&2; exit 2; }
[ $# -eq 1 ] || usage
[[ $1 =~ ^[1-9][0-9]*$ ]] || usage
secs=$1

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${L2FQ_FUZZ_BUILD:-$repo/build-fuzz}
jobs=${L2FQ_FUZZ_JOBS:-$(nproc)}
harnesses=(rewrite linklayer options frame pmtud pcapng capture underlay_probe plpmtud)
fuzzdir=$repo/test/fuzz

die() { echo "scripts/fuzz.sh: $*" >&2; exit 2; }

# ------------------------------------------------------------ compiler
cc=${CC:-}
if [ -z "$cc" ] || ! "$cc" --version 2>/dev/null | grep -q clang; then
	cc=
	for c in clang clang-14; do
		if command -v "$c" >/dev/null; then cc=$(command -v "$c"); break; fi
	done
fi
[ -n "$cc" ] || die "clang not found (Debian 12: apt-get install clang libclang-rt-14-dev)"

# ------------------------------------------------------------ build
echo "== fuzz build ($("$cc" --version | head -n 1)) in $build"
# -U: re-test for libFuzzer, so installing libclang-rt later is noticed.
mkdir -p "$build"
if ! cmake -S "$repo" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DL2FQ_SANITIZE=OFF -DL2FQ_FUZZ=ON -DL2FQ_TESTS=OFF -UL2FQ_HAVE_LIBFUZZER \
	>"$build/configure.log" 2>&1; then
	cat "$build/configure.log" >&2
	die "cmake configure failed"
fi
if ! grep -q '^L2FQ_HAVE_LIBFUZZER:INTERNAL=1$' "$build/CMakeCache.txt"; then
	grep -i -A3 'L2FQ_FUZZ' "$build/configure.log" >&2 || true
	die "$cc cannot link -fsanitize=fuzzer (Debian 12: apt-get install libclang-rt-14-dev)"
fi
targets=()
for h in "${harnesses[@]}"; do targets+=(--target "fuzz_$h"); done
cmake --build "$build" -j "$(nproc)" "${targets[@]}" --target fuzz_seedgen >/dev/null ||
	die "build failed (rerun: cmake --build $build --target fuzz_rewrite)"

# ------------------------------------------------------------ seeds
run=$build/fuzz-run
rm -rf "$run"
mkdir -p "$run"
"$build/fuzz_seedgen" "$run/gen" "$repo"/pcaps/in/* >"$run/seedgen.log" 2>&1 ||
	{ cat "$run/seedgen.log" >&2; die "fuzz_seedgen failed"; }

# ------------------------------------------------------------ fuzz
# The line that identifies how an input fails: our invariant message, else
# the sanitizer's or libFuzzer's SUMMARY line.
signature() {
	local s
	s=$(grep -m1 -o 'invariant failed: .*' "$1" || true)
	[ -n "$s" ] || s=$(grep -m1 '^SUMMARY: ' "$1" | sed 's/ (.*BuildId.*//' || true)
	echo "${s:-unknown failure}"
}

fuzz_one() { # fuzz_one HARNESS: runs in the background, writes $run/HARNESS.*
	local h=$1 args=()
	local corpus=$build/fuzz-corpus/$h art=$run/artifacts-$h
	mkdir -p "$corpus" "$art"
	[ "$h" = options ] && args+=(-dict="$fuzzdir/options.dict")
	local dirs=("$corpus" "$fuzzdir/seeds/$h")
	[ -d "$run/gen/$h" ] && dirs+=("$run/gen/$h")
	set +e
	UBSAN_OPTIONS=print_stacktrace=1 timeout -k 10 $((secs + 120)) \
		"$build/fuzz_$h" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$art/" "${args[@]}" "${dirs[@]}" \
		>"$run/$h.log" 2>&1
	echo $? >"$run/$h.rc"
	set -e
}

echo "== fuzzing ${harnesses[*]} for $secs s each ($jobs at a time)"
start=$(date +%s)
running=0
for h in "${harnesses[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	fuzz_one "$h" &
	running=$((running + 1))
done
wait

# ------------------------------------------------------------ results
total_crashes=0
report=()
printf '\n%-16s %8s %12s %9s %7s %8s\n' harness seconds executions exec/s corpus crashes
for h in "${harnesses[@]}"; do
	log=$run/$h.log
	rc=$(cat "$run/$h.rc" 2>/dev/null || echo 255)
	execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
	execs=${execs:-0}
	rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
	rate=${rate:-0}
	ncorpus=$(find "$build/fuzz-corpus/$h" -type f | wc -l)
	mapfile -t arts < <(find "$run/artifacts-$h" -type f \
		\( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
	crashes=${#arts[@]}
	if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
		crashes=1
		report+=("$h: exit $rc without an artifact; see $log")
	fi
	[ "$execs" -eq 0 ] && [ "$crashes" -eq 0 ] && {
		crashes=1
		report+=("$h: ran no inputs; see $log")
	}
	total_crashes=$((total_crashes + crashes))
	printf '%-16s %8s %12s %9s %7s %8s\n' "fuzz_$h" "$secs" "$execs" "$rate" "$ncorpus" "$crashes"

	[ ${#arts[@]} -gt 0 ] || continue
	sig=$(signature "$log")
	regdir=$fuzzdir/regressions/$h
	known=
	# Does a committed regression input already fail this way?
	if [ -d "$regdir" ]; then
		for f in "$regdir"/*; do
			[ -f "$f" ] || continue
			case $(basename "$f") in README*) continue ;; esac
			"$build/fuzz_$h" "$f" >"$run/known.log" 2>&1 || true
			if [ "$(signature "$run/known.log")" = "$sig" ]; then
				known=$f
				break
			fi
		done
	fi
	for a in "${arts[@]}"; do
		if [ -n "$known" ]; then
			report+=("$h: $(basename "$a"): $sig -- the same failure as ${known#"$repo"/} (not copied)")
		elif [ -n "${L2FQ_FUZZ_NO_SAVE:-}" ]; then
			report+=("$h: $a: $sig")
		else
			mkdir -p "$regdir"
			cp "$a" "$regdir/"
			report+=("$h: NEW regression input test/fuzz/regressions/$h/$(basename "$a"): $sig -- commit it")
		fi
	done
done
echo
echo "fuzzed for $(($(date +%s) - start)) s; logs and artifacts in $run"
for line in "${report[@]}"; do echo "CRASH $line"; done
if [ "$total_crashes" -ne 0 ]; then
	echo "scripts/fuzz.sh: $total_crashes crash(es)"
	exit 1
fi
echo "scripts/fuzz.sh: no crashes"
