/* SPDX-License-Identifier: GPL-2.0-or-later */
/* peer.h - who is on the other end of a client socket. */
#ifndef WDBROKERD_PEER_H
#define WDBROKERD_PEER_H

#include "policy.h"

/*
 * Fill @id from the kernel: SO_PEERCRED (uid, gid, pid), SO_PEERGROUPS
 * (supplementary groups as of connect()), user and group names through NSS
 * (numbers when unknown), the peer's cgroup path and its systemd unit.
 */
int peer_identify(int fd, struct identity *id);
/* Name of a uid/gid, its number if it has no entry; -errno if the lookup fails. */
int peer_name_of_uid(uid_t uid, char **out);
int peer_name_of_gid(gid_t gid, char **out);

/* The CPU @pid last ran on (from /proc/PID/stat), or -errno. */
int peer_cpu(pid_t pid);

#endif
