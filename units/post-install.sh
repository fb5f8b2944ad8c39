#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# meson install hook of WarpDrive's system integration:
#   1. install the kernel modules into KMODDIR (under $DESTDIR);
#   2. when installing to / (no DESTDIR) and SETUP is "true", make the
#      running system use what was just installed, as a distribution
#      package's postinst would: depmod, ldconfig, systemd-sysusers (the broker's
#      user and group, before udev needs the group), systemd-tmpfiles,
#      journalctl --update-catalog, systemctl daemon-reload, udev and
#      D-Bus reloads.
# A package build (DESTDIR set) gets the files only; its scripts do step 2.
#
# Usage: post-install.sh SETUP SYSUSERS_CONF TMPFILES_CONF [KVER KMODDIR MODULE.ko...]
set -eu
setup=$1 sysusers=$2 tmpfiles=$3
shift 3
kver= kmoddir=
if [ $# -ge 2 ]; then
	kver=$1 kmoddir=$2
	shift 2
fi
destdir=${DESTDIR:-}
say() { [ -n "${MESON_INSTALL_QUIET:-}" ] || echo "$*"; }
warn() { echo "warpdrive post-install: $*" >&2; }

if [ -n "$kmoddir" ]; then
	for m in "$@"; do
		case $m in /*) ;; *) m=${MESON_BUILD_ROOT:-.}/$m ;; esac
		say "Installing $m to $destdir$kmoddir"
		install -D -m 0644 "$m" "$destdir$kmoddir/$(basename "$m")"
	done
fi

if [ -n "$destdir" ] || [ "$setup" != true ]; then
	[ -z "$kmoddir" ] || say "Not running depmod for $kver: installing into DESTDIR (or -Dsystem_setup=false)"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	warn "not root: skipping depmod, systemd-sysusers, systemd-tmpfiles and reloads"
	exit 0
fi

if [ -n "$kver" ]; then
	say "Running depmod $kver"
	depmod -a "$kver"
fi
# libwd may land in a directory the loader caches (/usr/local/lib/...):
# programs and the OpenSSL provider module must find it at once.
say "Updating the shared library cache: ldconfig"
ldconfig
say "Creating the broker user: systemd-sysusers $sysusers"
systemd-sysusers "$sysusers"
say "Creating directories: systemd-tmpfiles --create $tmpfiles"
systemd-tmpfiles --create "$tmpfiles"

# The rest only concerns a running system; failures there are not fatal.
say "Updating the journal catalog: journalctl --update-catalog"
journalctl --update-catalog || warn "journalctl --update-catalog failed"
if [ -d /run/systemd/system ]; then
	say "Reloading systemd"
	systemctl daemon-reload || warn "systemctl daemon-reload failed"
fi
if [ -d /run/systemd/system ]; then
	say "Writing the CDI specs for containers: systemctl start warpdrive-cdi.service"
	systemctl start warpdrive-cdi.service || warn "warpdrive-cdi.service failed"
fi
if udevadm control --ping >/dev/null 2>&1; then
	say "Reloading udev rules (apply them with: udevadm trigger --subsystem-match=uacce)"
	udevadm control --reload || warn "udevadm control --reload failed"
fi
if [ -S /run/dbus/system_bus_socket ] && command -v dbus-send >/dev/null; then
	say "Reloading the D-Bus system bus configuration"
	dbus-send --system --print-reply --dest=org.freedesktop.DBus / \
		org.freedesktop.DBus.ReloadConfig >/dev/null ||
		warn "D-Bus ReloadConfig failed"
fi
exit 0
