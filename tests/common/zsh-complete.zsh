#!/usr/bin/zsh -f
# SPDX-License-Identifier: GPL-2.0-or-later
#
# zsh-complete.zsh DIR LINE: press tab after LINE in an interactive zsh whose
# compinit found the completion functions of DIR first, and print what zsh
# offered, one candidate per line, sorted (for the shell tests).
#
# zsh completes only inside the line editor of an interactive shell, so the
# shell runs on a pseudo-terminal (zsh/zpty). Its compadd, through which
# every completion function offers its candidates, is wrapped to also write
# them to a file; a function in comppostfuncs marks the end of the attempt.
# compinit keeps its index of completion functions in $ZSH_COMPDUMP when set
# (a test's temporary directory: the second run skips the long scan).
# Exit status: 0, or 1 when the attempt did not finish within 60 s.
zmodload zsh/zpty || exit 1
dir=$1 line=$2
out=$(mktemp -d) || exit 1
trap 'zpty -d comp 2>/dev/null; rm -rf $out' EXIT

zpty comp zsh -f -i
setup=(
	"PS1='' PROMPT='' RPROMPT=''"
	"fpath=(${(q)dir} \$fpath)"
	"autoload -Uz compinit && compinit -u -d ${(q)${ZSH_COMPDUMP:-$out/zcompdump}}"
	# tab completes; it never expands the line.
	"bindkey '^I' complete-word"
	"zstyle ':completion:*' insert-tab false"
	"zstyle ':completion:*' list-grouped false"
	"compadd() { if (( \${@[(I)-[OAD]*]} )); then builtin compadd \"\$@\"; return; fi; local -a m; builtin compadd -O m \"\$@\"; (( \$#m )) && print -rl -- \$m >> ${(q)out}/offered; builtin compadd \"\$@\" }"
	"_wdtest_done() { : > ${(q)out}/done }"
	"comppostfuncs=(_wdtest_done)"
)
for s in $setup; do
	zpty -w comp "$s"
done
zpty -w -n comp "$line"$'\t'

for i in {1..600}; do
	[[ -e $out/done ]] && break
	sleep 0.1
done
[[ -e $out/done ]] || { print -u2 "zsh-complete: no completion for \"$line\" within 60 s"; exit 1; }
[[ -e $out/offered ]] && sort -u $out/offered
exit 0
