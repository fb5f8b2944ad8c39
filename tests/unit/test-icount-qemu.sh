#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tools/icount-qemu with a stand-in apt-cache and cache directory
# ($XDG_CACHE_HOME): a QEMU already unpacked for the version backports
# offers is printed without fetching anything; with no backports source it
# falls back to any QEMU fetched before; with neither it fails, saying to
# add bookworm-backports; a cached binary that does not run is refused
# with the directory to remove. (The download itself needs the network:
# tools/bench --icount exercises it.)
set -u
s=${WD_SOURCE_ROOT:?run me from meson test}
. "$s/tests/common/tap.sh"

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/cache"
# apt-cache madison as bookworm-backports shows it, or nothing ($NO_BPO)
cat >"$tmp/bin/apt-cache" <<'AC'
#!/bin/sh
[ -n "${NO_BPO:-}" ] && exit 0
echo "qemu-system-x86 | 1:10.0.2+ds-2~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main amd64 Packages"
echo "qemu-system-x86 | 1:7.2+dfsg-7 | http://deb.debian.org/debian bookworm/main amd64 Packages"
AC
# apt-get must never be reached when the cache has the QEMU
printf '#!/bin/sh\necho apt-get called >&2\nexit 1\n' >"$tmp/bin/apt-get"
chmod +x "$tmp/bin/apt-cache" "$tmp/bin/apt-get"
fake_qemu() {	# fake_qemu DIR EXIT-STATUS
	mkdir -p "$1/usr/bin"
	printf '#!/bin/sh\nexit %s\n' "$2" >"$1/usr/bin/qemu-system-x86_64"
	chmod +x "$1/usr/bin/qemu-system-x86_64"
}
run() { PATH=$tmp/bin:$PATH XDG_CACHE_HOME=$tmp/cache "$s/tools/icount-qemu" 2>"$tmp/err"; }

dir=$tmp/cache/warpdrive/qemu-1_10.0.2.ds-2_bpo12.1
fake_qemu "$dir" 0
got=$(run)
ok $([ "$got" = "$dir/usr/bin/qemu-system-x86_64" ]; echo $?) "cached QEMU of backports' version: its path, nothing fetched (got '$got')"
ok $(! grep -q "apt-get called" "$tmp/err"; echo $?) "apt-get was not run"

mv "$dir" "$tmp/cache/warpdrive/qemu-1_10.0.1"
got=$(NO_BPO=1 run)
ok $([ "$got" = "$tmp/cache/warpdrive/qemu-1_10.0.1/usr/bin/qemu-system-x86_64" ]; echo $?) \
	"no backports source: a QEMU fetched before (got '$got')"

rm -rf "$tmp/cache/warpdrive"
NO_BPO=1 run >/dev/null
r=$?
ok $([ $r -ne 0 ] && grep -q "bookworm-backports" "$tmp/err"; echo $?) \
	"no backports and nothing cached: fails (exit $r) saying to add bookworm-backports"
diag <"$tmp/err"

fake_qemu "$dir" 1
run >/dev/null
r=$?
ok $([ $r -ne 0 ] && grep -q "remove $dir" "$tmp/err"; echo $?) \
	"a cached QEMU that does not run: refused (exit $r), naming the directory to remove"
diag <"$tmp/err"

echo "1..$n"
[ "$failed" = 0 ]
