#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The broker's journal catalog (wdbrokerd/warpdrive.catalog) parses: journalctl
# --update-catalog builds a database from it in a scratch root and
# --list-catalog lists every entry with its subject. Its entries and the
# MESSAGE_IDs of wdbrokerd/msgid.h are the same set, each id is logged
# somewhere in the broker, every @FIELD@ an entry shows is a field log.c
# writes, and every man page an entry points to is one we ship.
set -u
src=${WD_SOURCE_ROOT:?run me from meson test}
cat=$src/wdbrokerd/warpdrive.catalog
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/common/tap.sh"
command -v journalctl >/dev/null || { echo "1..0 # SKIP journalctl not installed"; exit 0; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

sed -n 's/^#define WD_MSGID_[A-Z_]*[[:space:]]*"\([0-9a-f]*\)".*/\1/p' "$src/wdbrokerd/msgid.h" | sort > "$tmp/ids.h"
sed -n 's/^-- \([0-9a-f]*\)$/\1/p' "$cat" | sort > "$tmp/ids.cat"
[ "$(wc -l < "$tmp/ids.h")" -ge 12 ]
ok $? "msgid.h defines $(wc -l < "$tmp/ids.h") MESSAGE_IDs"
cmp -s "$tmp/ids.h" "$tmp/ids.cat" && [ -z "$(uniq -d "$tmp/ids.cat")" ]
ok $? "the catalog has one entry per MESSAGE_ID, no more, no fewer"
awk 'length($0) != 32' "$tmp/ids.h" | grep -q . && r=1 || r=0
ok $r "every id is 128 bits in 32 hex digits"

r=0
for name in $(sed -n 's/^#define \(WD_MSGID_[A-Z_]*\).*/\1/p' "$src/wdbrokerd/msgid.h"); do
	grep -q "$name" "$src"/wdbrokerd/*.c || { echo "# $name is never logged"; r=1; }
done
ok $r "every MESSAGE_ID is logged by the broker"

mkdir -p "$tmp/root/usr/lib/systemd/catalog"
cp "$cat" "$tmp/root/usr/lib/systemd/catalog/"
journalctl --root="$tmp/root" --update-catalog > "$tmp/update.log" 2>&1 && [ ! -s "$tmp/update.log" ]
ok $? "journalctl --update-catalog accepts it without a message"
sed 's/^/# /' "$tmp/update.log"
journalctl --root="$tmp/root" --list-catalog > "$tmp/list" 2>&1
r=0
while read -r id; do
	grep -q "^$id warpdrive: ." "$tmp/list" || { echo "# $id not listed with a subject"; r=1; }
done < "$tmp/ids.h"
ok $r "journalctl --list-catalog lists every entry as warpdrive's, with a subject"

# Each entry: Subject, Defined-By, Documentation, then a text.
awk '/^-- / { if (id) check(); id = $2; s = d = doc = body = 0; hdr = 1; next }
     !id || /^#/ { next }
     hdr && /^Subject: ./ { s = 1; next }
     hdr && /^Defined-By: warpdrive$/ { d = 1; next }
     hdr && /^Documentation: man:/ { doc = 1; next }
     hdr && /^$/ { hdr = 0; next }
     !hdr && /./ { body++ }
     function check() { if (!(s && d && doc && body)) { print "# " id ": missing header or text"; bad = 1 } }
     END { if (id) check(); exit bad }' "$cat"
ok $? "every entry has Subject, Defined-By, Documentation and a text"

fields=$(grep -o '"\(MESSAGE_ID\|WD_[A-Z_]*\)=' "$src/wdbrokerd/log.c" | tr -d '"=' | sort -u)
r=0
for f in $(grep -o '@[A-Z_]*@' "$cat" | tr -d @ | sort -u); do
	echo "$fields" | grep -qx "$f" || { echo "# @$f@ is not a field the broker writes"; r=1; }
done
ok $r "every @FIELD@ in the texts is a field log.c writes"

r=0
for p in $(grep -o 'man:[a-z-]*([0-9])' "$cat" | sort -u); do
	page=${p#man:} name=${page%(*} sec=${page#*(}
	sec=${sec%)}
	find "$src" -path "$src/build*" -prune -o \( -name "$name.$sec" -o -name "$name.$sec.in" \) -print |
		grep -q . ||
		{ echo "# $p: no such page in the tree"; r=1; }
done
ok $r "every man page the catalog names is in the tree"

echo "# report: broker-catalog: $(wc -l < "$tmp/ids.cat") catalog entries, $(echo "$fields" | wc -w) journal fields"
echo "1..$n"
[ $failed = 0 ]
