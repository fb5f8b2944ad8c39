#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tap.sh - TAP output for the shell tests (sourced).
#
# ok STATUS DESCRIPTION: "ok N - DESCRIPTION" when STATUS is 0, else
# "not ok N - DESCRIPTION" and one more in $failed. $n counts the checks,
# so a test ends with `echo "1..$n"` and its exit status from $failed.
# diag: the standard input as TAP comments.
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
diag() { sed 's/^/# /'; }
