#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# completion.sh - run warpctl's bash completion the way bash does, for the
# shell tests (sourced).
#
# comp_run FILE WORD...: source bash-completion and FILE, then complete the
# command line WORD... (the first is the command, the last the word under
# the cursor, "" for a new one) and print the candidates, one per line,
# sorted. Like bash, the line reaches the function split at '=' (a
# COMP_WORDBREAKS character): --json=sh arrives as --json, =, sh.
comp_run() {
	bash --norc --noprofile -c '
		. /usr/share/bash-completion/bash_completion || exit 1
		f=$1
		shift
		. "$f" || exit 1
		# Outside a real completion compopt refuses to run; what it sets
		# (no space after "--json=") is not a candidate anyway.
		compopt() { :; }
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMP_WORDS=()
		for w in "$@"; do
			case $w in
			*=*)
				COMP_WORDS+=("${w%%=*}" "=")
				[ -n "${w#*=}" ] && COMP_WORDS+=("${w#*=}")
				;;
			*) COMP_WORDS+=("$w") ;;
			esac
		done
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		# Bash looks the command up by its path, then by its name.
		cmd=$( (complete -p "$1" || complete -p "${1##*/}") 2>/dev/null |
			sed -n "s/.* -F \([^ ]*\) .*/\1/p")
		[ -n "$cmd" ] || { echo "no completion for $1" >&2; exit 1; }
		"$cmd" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sed "/^$/d" | sort' - "$@"
}
