#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build the kernel modules out of the source tree: Kbuild of 6.1 writes its
# objects next to the sources, so mirror kernel/ into the build directory and
# run make there. Usage: build.sh SRCDIR OUTDIR KDIR [make args...]
set -eu
src=$1 out=$2 kdir=$3
shift 3
mkdir -p "$out"
# Copy only what changed, keeping timestamps, so make stays incremental.
(cd "$src" && find . -type d -name .tmp_versions -prune -o \
	\( -name '*.c' -o -name '*.h' -o -name Kbuild -o -name Makefile \) -print) |
while read -r f; do
	if ! cmp -s "$src/$f" "$out/$f" 2>/dev/null; then
		mkdir -p "$out/$(dirname "$f")"
		cp -p "$src/$f" "$out/$f"
	fi
done
# No vmlinux in a headers package, so no BTF for modules either.
exec make -s -C "$kdir" M="$out" W=1 CONFIG_DEBUG_INFO_BTF_MODULES= "$@" modules
