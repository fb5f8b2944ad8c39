#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# completion.sh - run warpctl's bash and zsh completion the way the shells
# do, for the shell tests (sourced).
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

# zcomp_run DIR LINE: the candidates zsh offers when tab is pressed after
# LINE, with the completion functions of DIR (tests/common/zsh-complete.zsh).
zcomp_run() {
	zsh -f "$WD_SOURCE_ROOT/tests/common/zsh-complete.zsh" "$@"
}

# comp_is WHAT EXPECTED COMMAND...: COMMAND (comp_run or zcomp_run and its
# arguments) prints the candidates EXPECTED (space separated, sorted) and
# nothing on stderr; a TAP line (ok from the test) says so. Needs $tmp.
comp_is() {
	what=$1 want=$2
	shift 2
	got=$("$@" 2>"$tmp/comp.err" | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$want" ] && [ ! -s "$tmp/comp.err" ]
	ok $? "$what"
	[ "$got" = "$want" ] || echo "$*: got \"$got\", want \"$want\"" | diag
	diag < "$tmp/comp.err"
}
