#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-bench-quick: the benchmark suite cannot rot. Runs `tools/bench
# --quick` (a few cells of every path, the broker at 1 and 16 clients, the
# AF_ALG phase after reloading wdsoft with uacce_mode=0) and checks the
# results are complete and sane: every cell ran with ops > 0 and
# p50 <= p99, libwd cells ran co-located with the engine and separated from
# it and say so, every target has a ratio, the table and the plot exist, the
# modules were unloaded. Then checks that the benchmark fails, saying why,
# when it should: an op a path does not do, AF_ALG without wdsoft's crypto
# front end, and an engine whose completions report errors (fault
# injection through wdsoft's debugfs fail_next).
set -u
if [ "${WDVM:-}" != 1 ]; then
	echo "1..0 # SKIP needs the WarpDrive VM (run it with tools/wdvm)"
	exit 0
fi
src=${WD_SOURCE_ROOT:?}
build=${WD_BUILD_ROOT:?}
kmod=${WD_KMOD_DIR:-$build/kernel}
wdbench=$build/bench/wdbench
out=$(mktemp -d /tmp/bench-quick.XXXXXX)
trap 'rm -rf "$out"; rmmod wdsoft 2>/dev/null; rmmod uacce 2>/dev/null' EXIT

echo "1..12"
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() {	# description, command...
	d=$1
	shift
	if "$@" >"$out/check.log" 2>&1; then ok "$d"; else notok "$d"; sed 's/^/# /' "$out/check.log"; fi
}

start=$(date +%s)
"$src/tools/bench" --quick --build "$build" --out "$out/res" >"$out/bench.out" 2>"$out/bench.err"
rc=$?
secs=$(($(date +%s) - start))
sed 's/^/# /' "$out/bench.err"
if [ $rc = 0 ]; then ok "tools/bench --quick ran every cell and made the plot ($secs s)"; else
	notok "tools/bench --quick exited $rc"; sed 's/^/# /' "$out/bench.out"; fi

check "results.json: every cell ran, ops > 0, p50 <= p99, checked outputs" python3 - "$out/res/results.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
bad = []
paths = set()
for c in r["cells"]:
    if "error" in c or c["ops"] <= 0 or not (0 < c["p50_ns"] <= c["p99_ns"]) \
            or c["checked"] <= 0 or c["cpu_ns_per_op"] <= 0:
        bad.append(c)
    paths.add(c.get("path"))
want = {"libwd", "libwd-batch", "libwd-idle", "afalg", "uring-sqpoll", "syscall", "inline"}
if want - paths:
    bad.append("paths missing: %s" % sorted(want - paths))
for b in bad:
    print(b)
sys.exit(1 if bad or len(r["cells"]) < 15 else 0)
EOF

check "results.json: every libwd cell records where client and engine ran, as placed" python3 - "$out/res/results.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
bad, seen = [], set()
for c in r["cells"]:
    if c.get("path") != "libwd" or "error" in c:
        continue
    seen.add(c["place"])
    cc, ec = c["client_cpu"], c["engine_cpu"]
    if cc < 0 or ec < 0 or (c["place"] == "colocated") != (cc == ec):
        bad.append(c)
for b in bad:
    print(b)
sys.exit(1 if bad or seen != {"colocated", "separated"} else 0)
EOF

check "results.json: broker at 1 and 16 clients with grants, direct opens and RSS" python3 - "$out/res/results.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
got = sorted(b.get("clients") for b in r["broker"] if "error" not in b
             and b["grants"] > 0 and b["direct"] > 0 and 0 < b["grant_p50_ns"] <= b["grant_p99_ns"]
             and b["rss_kb_one"] > 0 and b["rss_kb_all"] > 0)
print("broker runs:", r["broker"])
sys.exit(0 if got == [1, 16] else 1)
EOF

check "results.json: every target has a ratio and a verdict" python3 - "$out/res/results.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["targets"]
bad = [x for x in t if x["ratio"] is None or x["result"] not in ("PASS", "MISS")]
for x in bad:
    print(x)
sys.exit(1 if bad or len(t) < 8 else 0)
EOF

# At depth 1 the engine runs one descriptor at a time and the window spans
# whole ops, each of them inside it: its engine busy time can't exceed its
# wall time. A window that opened or closed halfway through an op (ops of
# 100 ms in a 0.2 s window) broke this by up to a third.
check "deflate 64 KiB depth 1: engine busy per op <= wall time per op (whole ops measured)" \
	python3 - "$out/res/results.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
c = [c for c in r["cells"] if (c["path"], c["op"], c["size"], c["depth"]) ==
     ("libwd", "deflate", 65536, 1) and "error" not in c]
if not c:
    sys.exit("no libwd deflate 64 KiB depth 1 cell")
c = c[0]
# From seconds (0.1 ms resolution) rather than the rounded ops/s; 0.1%
# covers that resolution and nothing more.
wall = c["seconds"] * 1e9 / c["ops"]
print("ops %d, wall %.0f ns/op, engine busy %.0f ns/op" % (c["ops"], wall, c["engine_busy_ns_per_op"]))
sys.exit(0 if c["engine_busy_ns_per_op"] <= wall * 1.001 else 1)
EOF

check "results.json names the drivers the engine hashed on" python3 - "$out/res/results.json" <<'EOF'
import json, sys
impl = json.load(open(sys.argv[1]))["meta"].get("engine_impl") or {}
print("engine_impl:", impl)
sys.exit(0 if impl.get("crc32c") and impl.get("sha256") else 1)
EOF

report_files() {
	grep -q '^| target | ratio' "$out/res/results.md" &&
		grep -Eq '\*\*(PASS|MISS)\*\*' "$out/res/results.md" &&
		[ "$(head -c 4 "$out/res/results.png" | od -An -tx1 | tr -d ' ')" = 89504e47 ]
}
check "results.md has the targets table and results.png is a PNG" report_files

check "the modules were unloaded after the run" sh -c "! [ -d /sys/module/wdsoft ] && ! [ -d /sys/module/uacce ]"

# Failure paths, on freshly loaded modules.
insmod "$kmod/uacce.ko" && insmod "$kmod/wdsoft.ko" && udevadm settle -t 10
export WD_BROKER_SOCKET=/nonexistent/bench.sock

fails_with() {	# expected text, wdbench args...
	want=$1
	shift
	if "$wdbench" "$@" >"$out/f.json" 2>&1; then
		echo "wdbench $* succeeded"; cat "$out/f.json"; return 1
	fi
	grep -q "$want" "$out/f.json" || { echo "no \"$want\" in:"; cat "$out/f.json"; return 1; }
}

check "a path asked for an op it does not do fails and says why" \
	fails_with "has no compression interface" cell --path syscall --op deflate --size 4096 --seconds 0.1
check "afalg without wdsoft's crypto front end fails and says to load uacce_mode=0" \
	fails_with "uacce_mode=0" cell --path afalg --op crc32c --size 4096 --seconds 0.1

devs=$(cd /sys/kernel/debug/wdsoft && for d in */; do printf '%s ' "${d%/}"; done)
inject() { for dv in $devs; do echo "$1" > "/sys/kernel/debug/wdsoft/$dv/fail_next" || return 1; done; }
failed_ops() { inject 1000000 &&
	fails_with "status -5" cell --path libwd --op crc32c --size 4096 --depth 4 --seconds 0.1; }
check "a libwd run whose engine reports errors fails (fail_next on $devs)" failed_ops
inject 0

grep '^# report:' "$out/bench.out"
grep -v '^# report:' "$out/bench.out" | sed 's/^/# /'
exit 0
