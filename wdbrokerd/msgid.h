/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * msgid.h - the journal MESSAGE_IDs of the broker's significant events.
 *
 * Each one has an entry in wdbrokerd/warpdrive.catalog (installed under
 * /usr/lib/systemd/catalog/) that says what happened and what to do, shown
 * by `journalctl -x`. An id never changes meaning once released; a new kind
 * of event gets a new id (systemd-id128 new). test-broker-catalog checks
 * that this list and the catalog agree.
 */
#ifndef WDBROKERD_MSGID_H
#define WDBROKERD_MSGID_H

#define WD_MSGID_READY			"4d1c189f337746c49633d5b8b4e4d4d2"
#define WD_MSGID_POLICY_LOADED		"b168cdd462894284aedeb6e7f7b4647e"
#define WD_MSGID_POLICY_REJECTED	"22a55db70e0a4c3b8c1cdeb7929ea6ac"
#define WD_MSGID_LEASE_GRANTED		"ee0155f84ef2421c970057c2b8c5eac3"
#define WD_MSGID_LEASE_RELEASED		"05af1d95cd544268a974038a1561f9f7"
#define WD_MSGID_LEASE_REVOKED		"09e2bbf2e5694a9b931e080be41269d6"
#define WD_MSGID_QUOTA_REFUSED		"22bc77a53f2c40c3b4c11d921836ae02"
#define WD_MSGID_DEVICE_ADDED		"00379bcf47e84dd69f72f02c3d0217c6"
#define WD_MSGID_DEVICE_REMOVED		"86a9316a17d545dcaada4f732b2b232d"
#define WD_MSGID_DEVICE_ISOLATED	"5276b48c91354f4e92376419b403e8dd"
#define WD_MSGID_FDSTORE_FULL		"d9db83bd69a94077b90b43e785d9492e"
#define WD_MSGID_CONNECTION_REFUSED	"7ca98dddbd6b4ddc841405288d310c8e"

#endif
