#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Compare one D-Bus interface of a live introspection with its shipped XML.

usage: dbus-xml-diff.py LIVE.xml SHIPPED.xml INTERFACE

LIVE.xml is what the running broker answered to Introspect (busctl
introspect --xml-interface, gdbus introspect --xml); SHIPPED.xml is the
interface file we install under /usr/share/dbus-1/interfaces/. They agree
when they have the same methods (name, and each argument's name, type and
direction), signals (name, arguments), properties (name, type, access) and
the same org.freedesktop.DBus.Property.EmitsChangedSignal of each property
(sd-bus leaves out the default, "true"). The shipped file must also document
the interface and each member (org.gtk.GDBus.DocString).

Prints the number of members on success; otherwise one line per difference
on stdout, and exits 1.
"""
import sys
import xml.etree.ElementTree as ET

EMITS = "org.freedesktop.DBus.Property.EmitsChangedSignal"
DOC = "org.gtk.GDBus.DocString"


def interface(path, name):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"{path}: cannot read it: {e}")
        sys.exit(1)
    found = [e for e in root.iter("interface") if e.get("name") == name]
    if not found:
        print(f"{path}: no interface {name}")
        sys.exit(1)
    return found[0]


def annotation(elem, name, default=None):
    for a in elem.findall("annotation"):
        if a.get("name") == name:
            return a.get("value")
    return default


def members(iface):
    out = {}
    for m in iface:
        if m.tag == "method":
            args = tuple((a.get("name"), a.get("type"), a.get("direction", "in"))
                         for a in m.findall("arg"))
            out[("method", m.get("name"))] = args
        elif m.tag == "signal":
            args = tuple((a.get("name"), a.get("type")) for a in m.findall("arg"))
            out[("signal", m.get("name"))] = args
        elif m.tag == "property":
            out[("property", m.get("name"))] = (m.get("type"), m.get("access"),
                                                annotation(m, EMITS, "true"))
    return out


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[2])
        return 2
    live_path, shipped_path, name = sys.argv[1:]
    live_if, shipped_if = interface(live_path, name), interface(shipped_path, name)
    live, shipped = members(live_if), members(shipped_if)
    bad = []
    for key in sorted(set(live) | set(shipped)):
        kind, member = key
        if key not in shipped:
            bad.append(f"{kind} {member}: served but not in {shipped_path}: {live[key]}")
        elif key not in live:
            bad.append(f"{kind} {member}: in {shipped_path} but not served")
        elif live[key] != shipped[key]:
            bad.append(f"{kind} {member}: served {live[key]}, shipped {shipped[key]}")
    if not annotation(shipped_if, DOC):
        bad.append(f"interface {name}: no {DOC} in {shipped_path}")
    for m in shipped_if:
        if m.tag in ("method", "signal", "property") and not annotation(m, DOC):
            bad.append(f"{m.tag} {m.get('name')}: no {DOC} in {shipped_path}")
    if bad:
        print("\n".join(bad))
        return 1
    print(len(live))
    return 0


if __name__ == "__main__":
    sys.exit(main())
