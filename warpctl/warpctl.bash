# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for warpctl(1): its commands, options and their values,
# device names (from sysfs, or the --sysfs-root given), lease numbers (from
# `warpctl leases`, asking the same broker) and policy directories.
# Installed in bash-completion's completionsdir as "warpctl".

_warpctl()
{
	local cur prev words cword
	_init_completion -n = || return

	local cmds='devices leases stats revoke reload check-policy bench cdi'
	local opts='--help --version --json= --no-legend --user --no-ask-password --sysfs-root='
	local bench_opts='--op= --size= --depth= --seconds= --path='
	local cdi_opts='--kind= --output='
	local stats_opts='--clients'
	local verb='' nargs=0 root=/sys user='' i

	# What the line says so far: the verb, its arguments, the options that
	# change where devices and leases come from.
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--sysfs-root=*) root=${words[i]#*=} ;;
		--sysfs-root) root=${words[i + 1]}; ((i++)) ;;
		--user) user=--user ;;
		-*) ;;
		*) if [[ -z $verb ]]; then verb=${words[i]}; else ((nargs++)); fi ;;
		esac
	done

	if [[ $prev == --sysfs-root ]]; then
		_filedir -d
		return
	fi
	case $cur in
	--json=*)
		COMPREPLY=($(compgen -P --json= -W 'short pretty' -- "${cur#*=}"))
		return ;;
	--op=*)
		COMPREPLY=($(compgen -P --op= -W 'memcpy crc32c sha256 deflate' -- "${cur#*=}"))
		return ;;
	--path=*)
		COMPREPLY=($(compgen -P --path= -W 'libwd libwd-batch libwd-idle afalg uring-sqpoll syscall inline' \
			-- "${cur#*=}"))
		return ;;
	--sysfs-root=*)
		local IFS=$'\n'
		COMPREPLY=($(compgen -P --sysfs-root= -S / -d -- "${cur#*=}"))
		compopt -o nospace
		return ;;
	--kind=*)
		COMPREPLY=($(compgen -P --kind= -W 'broker uacce' -- "${cur#*=}"))
		return ;;
	--output=*)
		local IFS=$'\n'
		COMPREPLY=($(compgen -P --output= -f -- "${cur#*=}"))
		return ;;
	--size=* | --depth=* | --seconds=*)
		return ;;
	-*)
		[[ -z $verb || $verb == bench ]] && opts="$opts $bench_opts"
		[[ -z $verb || $verb == cdi ]] && opts="$opts $cdi_opts"
		[[ -z $verb || $verb == stats ]] && opts="$opts $stats_opts"
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		[[ ${COMPREPLY[0]-} == *= ]] && compopt -o nospace
		return ;;
	esac

	if [[ -z $verb ]]; then
		COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
		return
	fi
	case $verb in
	devices | stats)
		local devs=() d
		for d in "$root"/class/uacce/*; do
			[[ -e $d ]] && devs+=("${d##*/}")
		done
		COMPREPLY=($(compgen -W "${devs[*]}" -- "$cur"))
		;;
	revoke)
		((nargs == 0)) || return
		local leases
		leases=$("${words[0]}" $user --json=short leases 2>/dev/null |
			grep -o '"lease": *[0-9]*' | grep -o '[0-9]*$')
		COMPREPLY=($(compgen -W "$leases" -- "$cur"))
		;;
	check-policy)
		((nargs == 0)) && _filedir -d
		;;
	cdi)
		((nargs == 0)) && COMPREPLY=($(compgen -W 'generate' -- "$cur"))
		;;
	esac
} &&
	complete -F _warpctl warpctl
