#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-broker-fuzz: libFuzzer on the broker protocol decoder and the policy
# parser, WD_FUZZ_SECONDS (default 10) each, with ASan+UBSan. Skips when
# clang or its -fsanitize=fuzzer runtime is missing (apt-get install clang).
set -u
src=${WD_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
secs=${WD_FUZZ_SECONDS:-10}
cc=${WD_FUZZ_CC:-clang}
out=$(mktemp -d /tmp/wdbroker-fuzz.XXXXXX)
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

echo "1..4"
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }

flags="-g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined
 -fno-sanitize-recover=undefined -I$src/common -I$src/wdbrokerd
 -I$src/kernel/include/uapi"

# shellcheck disable=SC2086
if "$cc" $flags "$src/tests/unit/test-broker-fuzz-decoder.c" "$src/common/wdproto.c" \
	-o "$out/fuzz-decoder" 2>"$out/cc1.log"; then
	ok "decoder fuzzer builds"
else
	notok "decoder fuzzer builds"; sed 's/^/# /' "$out/cc1.log"
fi
# shellcheck disable=SC2086
if "$cc" $flags "$src/tests/unit/test-broker-fuzz-policy.c" "$src/wdbrokerd/policy.c" \
	"$src/wdbrokerd/util.c" -linih -o "$out/fuzz-policy" 2>"$out/cc2.log"; then
	ok "policy fuzzer builds"
else
	notok "policy fuzzer builds"; sed 's/^/# /' "$out/cc2.log"
fi

run() {
	name=$1; shift
	mkdir -p "$out/corpus-$name"
	# seeds
	for f in "$@"; do [ -f "$f" ] && cp "$f" "$out/corpus-$name/"; done
	if [ -x "$out/fuzz-$name" ] &&
	   "$out/fuzz-$name" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=5 \
		"$out/corpus-$name" >"$out/$name.log" 2>&1; then
		ok "$name fuzzer ran ${secs}s clean ($(grep -o 'cov: [0-9]*' "$out/$name.log" | tail -1))"
	else
		notok "$name fuzzer ran ${secs}s clean"
		tail -40 "$out/$name.log" | sed 's/^/# /'
	fi
}
# Seeds: one valid message of each type, so the fuzzer starts past the header.
mkdir -p "$out/seeds"
python3 - "$out/seeds" <<'PY' || true
import struct, sys, os
d = sys.argv[1]
def hdr(t, body, seq=1):
    return struct.pack('<IHHII', 0x42504457, 1, t, 16 + len(body), seq) + body
def name(s): return s.encode().ljust(64, b'\0')
lease = struct.pack('<Q', 7) + name('wdsoft-0') + name('wdsoft_v1') + name('zlib') + struct.pack('<iI', 0, 4)
msgs = {
  'queue': hdr(1, name('zlib') + name('wdsoft-0') + struct.pack('<iI', -1, 1)),
  'release': hdr(2, struct.pack('<Q', 7)),
  'list': hdr(3, b''),
  'grant': hdr(0x81, lease),
  'refuse': hdr(0x82, struct.pack('<II', 6, 0) + b'quota reached'.ljust(256, b'\0')),
  'released': hdr(0x83, struct.pack('<Q', 7)),
  'leases': hdr(0x84, struct.pack('<II', 2, 3) + lease + lease),
  'revoked': hdr(0xc1, struct.pack('<Q', 7), seq=0),
}
for k, v in msgs.items():
    open(os.path.join(d, k), 'wb').write(v)
PY
run decoder "$out"/seeds/*
run policy "$src/policy/policy.conf"
