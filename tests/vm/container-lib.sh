#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared by the container vm tests (test-container-*.sh), sourced after
# test-system-lib.sh.
#
# build_rootfs DIR: a container root file system built offline, no image:
# busybox-static for the shell and its tools, the test client
# (tests/vm/helper-container-client) at /usr/bin/wd-client with the shared
# libraries ldd says it needs, and a passwd naming uid 1000 "app".
build_rootfs() {
	r=$1 client=$WD_BUILD_ROOT/tests/helper-container-client
	[ -x "$client" ] || { echo "# $client not built"; return 1; }
	mkdir -p "$r/bin" "$r/usr/bin" "$r/etc" "$r/proc" "$r/sys" "$r/dev" "$r/run" "$r/tmp" \
		"$r/lib64" "$r/lib/x86_64-linux-gnu" || return 1
	cp /bin/busybox "$r/bin/busybox" || return 1
	for a in sh ls cat echo id grep sleep readlink wc; do
		ln -sf busybox "$r/bin/$a" || return 1
	done
	cp "$client" "$r/usr/bin/wd-client" || return 1
	# "libwd.so.1 => /path (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
	for l in $(ldd "$client" | sed -n 's|.*=> \(/[^ ]*\) .*|\1|p; s|^[[:space:]]*\(/[^ ]*\) .*|\1|p'); do
		case $l in
		*/ld-linux*) cp -L "$l" "$r/lib64/" ;;
		*) cp -L "$l" "$r/lib/x86_64-linux-gnu/" ;;
		esac || return 1
	done
	# systemd-nspawn wants an OS tree: /usr and an os-release.
	mkdir -p "$r/usr/lib" && printf 'ID=wdtest\nNAME="WarpDrive test"\n' > "$r/usr/lib/os-release" || return 1
	# systemd-nspawn --user=NAME runs getent passwd and getent initgroups
	# inside the container; busybox has none, so a small one over /etc.
	cat > "$r/usr/bin/getent" <<-'EOF' || return 1
	#!/bin/sh
	case $1 in
	passwd|group) grep -E "^$2:|^[^:]*:[^:]*:$2:" "/etc/$1" || exit 2 ;;
	initgroups)
		IFS=: read -r name x uid gid rest <<-END || exit 2
		$(grep "^$2:" /etc/passwd)
		END
		[ -n "$gid" ] || exit 2
		echo "$name $gid" ;;
	*) exit 1 ;;
	esac
	EOF
	chmod 755 "$r/usr/bin/getent" || return 1
	printf 'root:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n' > "$r/etc/passwd"
	printf 'root:x:0:\napp:x:1000:\n' > "$r/etc/group"
}

# The broker's policy directory, from its installed unit (--policy DIR).
policy_dir() {
	systemctl cat wdbroker.service | sed -n 's/^ExecStart=.* --policy \([^ ]*\).*/\1/p'
}

# lease_cgroups: "ID CGROUP" for every lease, from the Lease1 objects.
lease_cgroups() {
	busctl --list tree org.warpdrive 2>/dev/null | sed -n 's|^/org/warpdrive/lease/||p' |
		while read -r id; do
			echo "$id $(busctl get-property org.warpdrive /org/warpdrive/lease/$id \
				org.warpdrive.Lease1 Cgroup | sed 's/^s "\(.*\)"$/\1/')"
		done
}
