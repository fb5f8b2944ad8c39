#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-fuzz: every libFuzzer target in tests/fuzz/ (broker protocol
# decoder, policy parser, libwd's completion parser) through tools/fuzz:
# built with ASan+UBSan, the whole in-tree corpus replayed, then fuzzed for
# WD_FUZZ_SECONDS (default 10) each. Longer runs: tools/fuzz --seconds N
# (docs/fuzzing.md). Skips when clang or its fuzzer runtime is missing
# (apt-get install clang).
set -u
src=${WD_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
secs=${WD_FUZZ_SECONDS:-10}
cc=${WD_FUZZ_CC:-clang}
out=$(mktemp -d /tmp/wd-fuzz-test.XXXXXX)
trap 'rm -rf "$out"' EXIT

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "1..0 # SKIP $cc not installed (apt-get install clang)"
	exit 0
fi
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$out/probe.c"
if ! "$cc" -fsanitize=fuzzer "$out/probe.c" -o "$out/probe" >/dev/null 2>&1; then
	echo "1..0 # SKIP $cc cannot build -fsanitize=fuzzer targets"
	exit 0
fi

targets=$("$src/tools/fuzz" --list)
# shellcheck disable=SC2086 # one word per target
set -- $targets
echo "1..$(($# + 2))"
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }

WD_FUZZ_CC=$cc "$src/tools/fuzz" --seconds "$secs" --results "$out/results" \
	>"$out/summary" 2>"$out/stderr"
rc=$?
sed 's/^/# /' "$out/stderr"

for t in $targets; do
	line=$(grep "^fuzz: $t: " "$out/summary")
	case $line in
	*": ok "*)
		val() { echo "$line" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
		ok "$t: corpus of $(val corpus) replayed and fuzzed $(val seconds) s clean"
		echo "# report: fuzz-$t: $(val runs) executions in $(val seconds) s, $(val replayed) corpus inputs replayed ($(val corpus) seeds, $(val found) new found), 0 crashes"
		;;
	*)
		notok "$t: ${line:-no result from tools/fuzz}"
		echo "# report: fuzz-$t: FAILED: ${line#fuzz: "$t": }"
		;;
	esac
done
if [ "$rc" -eq 0 ]; then
	ok "tools/fuzz exits 0 when every target is clean"
else
	notok "tools/fuzz exits 0 when every target is clean (exit $rc)"
fi

# The failure path: a planted bug must fail tools/fuzz with a reproducer
# that crashes again when run.
mkdir -p "$out/bad/corpus/planted"
printf 'XD' >"$out/bad/corpus/planted/seed"
cat >"$out/bad/fuzz-planted.c" <<'C'
#include <stdint.h>
#include <stdlib.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	if (n >= 2 && d[0] == 'W' && d[1] == 'D')
		abort();
	return 0;
}
C
WD_FUZZ_TARGETS=$out/bad WD_FUZZ_CC=$cc "$src/tools/fuzz" --seconds 30 \
	--results "$out/bad-results" planted >"$out/bad.summary" 2>/dev/null
rc=$?
repro=$(sed -n 's/^fuzz: planted: FAILED (crash) reproduce: [^ ]* //p' "$out/bad.summary")
if [ "$rc" -ne 0 ] && [ -f "$repro" ] &&
   ! "$out/bad-results/bin/fuzz-planted" "$repro" >/dev/null 2>&1; then
	ok "a planted crash fails tools/fuzz (exit $rc) with a reproducer that crashes again"
else
	notok "a planted crash fails tools/fuzz (exit $rc, summary: $(cat "$out/bad.summary"))"
fi
