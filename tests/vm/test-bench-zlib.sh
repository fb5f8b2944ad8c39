#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-bench-zlib: the zlib benchmark cannot rot. Runs tools/bench-zlib at a
# tiny size (1 and 4 KiB loops for 0.1 s, pigz on 256 KiB) and checks that
# its results are complete and well formed: every loop cell ran, stock and
# libwdz at both placements for each op and size, the libwdz cells on the
# device (its byte counter moved) with the engine on the co-located CPU and
# the stock cells not; the pigz cells; the savings and crossover; the table;
# the modules unloaded. It judges no figure. Then that bad arguments and a
# build without modules fail saying why.
set -u
if [ "${WDVM:-}" != 1 ]; then
	echo "1..0 # SKIP needs the WarpDrive VM (run it with tools/wdvm)"
	exit 0
fi
src=${WD_SOURCE_ROOT:?}
build=${WD_BUILD_ROOT:?}
out=$(mktemp -d /tmp/bench-zlib.XXXXXX)
trap 'rm -rf "$out"; rmmod wdsoft 2>/dev/null; rmmod uacce 2>/dev/null' EXIT

. "$src/tests/common/tap.sh"
check() {	# description, command...
	d=$1
	shift
	"$@" >"$out/check.log" 2>&1
	r=$?
	ok $r "$d"
	[ $r = 0 ] || diag <"$out/check.log"
}

start=$(date +%s)
"$src/tools/bench-zlib" --build "$build" --out "$out/res" --sizes 1024,4096 --seconds 0.1 \
	--pigz-size 262144 >"$out/bench.out" 2>"$out/bench.err"
rc=$?
secs=$(($(date +%s) - start))
diag <"$out/bench.err"
ok $rc "tools/bench-zlib ran at 1 and 4 KiB and pigz on 256 KiB (exit $rc, $secs s)"
[ $rc = 0 ] || diag <"$out/bench.out"

check "results.json: every loop cell ran, stock and libwdz at both placements" python3 - "$out/res/results.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
bad, seen = [], set()
for c in r["cells"]:
    if c["cell"] != "loop":
        continue
    if c["ops"] <= 0 or c["cpu_ms_per_mb"] <= 0 or c["wall_us_per_op"] <= 0 or c["ratio"] <= 1:
        bad.append(c)
    seen.add((c["op"], c["size"], c["way"], c["placement"] if c["way"] == "libwdz" else "-"))
want = {(op, size, way, place) for op in ("compress", "decompress") for size in (1024, 4096)
        for way, place in (("stock", "-"), ("libwdz", "co-located"), ("libwdz", "separated"))}
if seen != want:
    bad.append("cells missing: %s" % sorted(want - seen))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF

check "results.json: libwdz loops ran on the device, the engine on the co-located CPU; stock did not" \
	python3 - "$out/res/results.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
bad = []
for c in r["cells"]:
    if c["cell"] != "loop":
        continue
    if c["way"] == "stock" and c["device_bytes"] != 0:
        bad.append(c)
    if c["way"] == "libwdz" and (c["device_bytes"] <= 0 or c["engine_cpu"] != r["cpus"]["co-located"]
                                 or c["client_cpu"] != r["cpus"][c["placement"]]):
        bad.append(c)
for b in bad:
    print(b)
sys.exit(1 if bad or r["cpus"]["co-located"] == r["cpus"]["separated"] else 0)
EOF

check "results.json: pigz -c and -d, stock and libwdz, at both placements" python3 - "$out/res/results.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
got = sorted((c["cell"], c["way"], c["placement"]) for c in r["cells"] if c["cell"].startswith("pigz")
             and c["size"] == 262144 and c["seconds"] > 0 and c["cpu_ms_per_mb"] > 0 and c["ratio"] > 1)
want = sorted((op, way, place) for op in ("pigz -c", "pigz -d") for way in ("stock", "libwdz")
              for place in ("co-located", "separated"))
print(got)
sys.exit(0 if got == want else 1)
EOF

check "results.json: a saving per op, placement and size, and the four crossovers" python3 - "$out/res/results.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["savings"]
ok = len(s) == 8 and all(x["stock_cpu_ms_per_mb"] > 0 and x["libwdz_cpu_ms_per_mb"] > 0 for x in s)
ok = ok and sorted(r["crossover"]) == ["compress co-located", "compress separated",
                                      "decompress co-located", "decompress separated"]
ok = ok and all(v in (None, 1024, 4096) for v in r["crossover"].values())
print(s, r["crossover"])
sys.exit(0 if ok else 1)
EOF

report_md() {
	grep -q '^| op | size | way | placement | wall us/op' "$out/res/results.md" &&
		grep -q '^| op | placement | size | stock ms/MB' "$out/res/results.md" &&
		grep -q '^- decompress separated: ' "$out/res/results.md"
}
check "results.md has the cells, the savings and the crossovers" report_md

check "the modules were unloaded after the run" sh -c "! [ -d /sys/module/wdsoft ] && ! [ -d /sys/module/uacce ]"

fails_with() {	# expected text, bench-zlib args...
	want=$1
	shift
	if env -u WD_KMOD_DIR "$src/tools/bench-zlib" "$@" >"$out/f.log" 2>&1; then
		echo "bench-zlib $* succeeded"; cat "$out/f.log"; return 1
	fi
	grep -q -- "$want" "$out/f.log" || { echo "no \"$want\" in:"; cat "$out/f.log"; return 1; }
}
bad_args() {
	fails_with "--sizes wants buffer sizes in bytes" --build "$build" --sizes 4k &&
		fails_with "--seconds wants a positive" --build "$build" --seconds 0 &&
		fails_with "insmod $out/nomod/kernel/uacce.ko failed" --build "$out/nomod" \
			--out "$out/nomod-res" --sizes 1024 --seconds 0.1 --pigz-size 0
}
check "bad --sizes and --seconds, and a build without modules, fail saying why" bad_args

sed -n '/^Client CPU per MB/,$p' "$out/res/results.md" | diag
echo "1..$n"
[ $failed = 0 ]
