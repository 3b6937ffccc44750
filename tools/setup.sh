#!/usr/bin/env bash
# Install what zctrace needs to build and to test in QEMU, on Debian 12
# (bookworm), as root. Idempotent: does nothing when all is already there.
#
#   tools/setup.sh [KERNEL...]     KERNEL: 6.1 and/or 6.12 (default: both)
#   ZC_KERNELS="6.1 6.12" tools/setup.sh
#   tools/setup.sh --debug-kernel SERIES
#                                  only what tools/vm/debug-kernel needs to
#                                  build SERIES (6.1 or 6.12) from source
#
# Kernels other than 6.1 come from bookworm-backports, whose apt source is
# derived from the machine's own debian.sources (or sources.list). Quiet
# unless it fails; the full log is in $ZC_SETUP_LOG (default build/setup.log
# in the repository).
# ZC_SETUP_FORCE=1 runs apt even when nothing seems to be missing.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOG=${ZC_SETUP_LOG:-$REPO/build/setup.log}
export DEBIAN_FRONTEND=noninteractive

# The 6.1 kernel must be the plain -amd64 flavour: -cloud-amd64 has no 9p,
# which the VM runner needs to share the host root.
PACKAGES=(
	build-essential make gcc gcc-multilib pkg-config dkms
	libnl-3-dev libnl-genl-3-dev
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	qemu-system-x86 busybox-static
	iproute2 ethtool kmod util-linux procps e2fsprogs dmsetup
	tmux xz-utils zstd cpio
	python3 iperf3 gnuplot-nox
)

# Kconfig's parsers are generated (flex, bison), objtool reads ELF, and the
# build computes constants with bc and signs modules with OpenSSL.
DEBUG_KERNEL_PACKAGES=(bc bison flex libelf-dev libssl-dev)

APT_OPTS=(
	-y -q --no-install-recommends
	-o Acquire::Retries=3
	-o DPkg::Lock::Timeout=300
	-o Dpkg::Options::=--force-confdef
	-o Dpkg::Options::=--force-confold
)

SOURCES_LIST=/etc/apt/sources.list
SOURCES_PARTS=/etc/apt/sources.list.d
DEBIAN_SOURCES=$SOURCES_PARTS/debian.sources
BACKPORTS_SOURCES=$SOURCES_PARTS/zctrace-backports.sources

fail() {
	echo "setup: $*" >&2
	if [[ -s $LOG ]]; then
		echo "setup: last lines of $LOG:" >&2
		tail -n 40 "$LOG" >&2
	fi
	exit 1
}

# Run quietly into the log; on failure show why.
run() {
	echo "+ $*" >>"$LOG"
	"$@" >>"$LOG" 2>&1 || fail "'$*' failed"
}

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

# DPkg::Lock::Timeout does not cover the lists lock, which apt-daily may
# hold on a freshly booted machine: apt-get update then fails at once. So
# retry while that is the reason, for up to 5 minutes like the dpkg lock.
apt_updated=0
apt_update() {
	((apt_updated)) && return 0
	local try out
	for try in {1..30}; do
		echo "+ apt-get update (try $try)" >>"$LOG"
		if out=$(apt-get -q -o Acquire::Retries=3 -o DPkg::Lock::Timeout=300 update 2>&1); then
			echo "$out" >>"$LOG"
			apt_updated=1
			return 0
		fi
		echo "$out" >>"$LOG"
		[[ $out == */lists/lock* ]] || break
		((try < 30)) && sleep 10
	done
	fail "'apt-get update' failed"
}

# An earlier run killed mid-install leaves dpkg interrupted, and apt refuses
# to install anything until it is finished. Checked cheaply (the package
# states, and the journal that apt looks at) so the usual run stays fast.
# dpkg --configure -a may fail on a package whose dependencies were never
# unpacked: apt-get -f install is what completes those.
dpkg_recover() {
	if [[ -z $(dpkg --audit 2>/dev/null) ]] &&
		! compgen -G '/var/lib/dpkg/updates/[0-9]*' >/dev/null; then
		return 0
	fi
	echo "+ dpkg --configure -a" >>"$LOG"
	dpkg --force-confdef --force-confold --configure -a >>"$LOG" 2>&1 ||
		echo "(dpkg --configure -a failed; apt-get -f install next)" >>"$LOG"
	apt_update
	run apt-get "${APT_OPTS[@]}" -f install
}

apt_install() {
	local p missing=()
	for p; do
		installed "$p" || missing+=("$p")
	done
	if ((${#missing[@]} == 0)) && [[ ${ZC_SETUP_FORCE:-0} != 1 ]]; then
		return 0
	fi
	apt_update
	run apt-get "${APT_OPTS[@]}" install "$@"
}

# Newest installed plain -amd64 kernel of a version (6.1 must not match 6.12).
newest_kernel() {
	local ver=$1 f rel
	shopt -s nullglob
	for f in /boot/vmlinuz-"$ver".*-amd64; do
		rel=${f#/boot/vmlinuz-}
		case $rel in *-cloud-amd64 | *-rt-amd64) continue ;; esac
		echo "$rel"
	done | sort -V | tail -n1
	shopt -u nullglob
}

# Whether the newest kernel of a version is complete; if not, why, in
# $kernel_problem. The files are all there once dpkg has unpacked the
# packages, but only their configuration runs depmod: so the package states
# and modules.dep are checked too.
kernel_problem=
kernel_ok() {
	local ver=$1 rel
	rel=$(newest_kernel "$ver")
	if [[ -z $rel ]]; then
		kernel_problem="no /boot/vmlinuz-$ver.*-amd64"
	elif ! installed "linux-image-$rel" || ! installed "linux-headers-$rel"; then
		kernel_problem="linux-image-$rel or linux-headers-$rel is not fully installed"
	elif [[ ! -s /lib/modules/$rel/modules.dep ]]; then
		kernel_problem="kernel $rel has no /lib/modules/$rel/modules.dep"
	elif ! compgen -G "/lib/modules/$rel/kernel/fs/9p/9p.ko*" >/dev/null; then
		kernel_problem="kernel $rel has no 9p module (wrong flavour?)"
	elif [[ ! -d /usr/src/linux-headers-$rel ]]; then
		kernel_problem="no headers for $rel (/usr/src/linux-headers-$rel)"
	else
		return 0
	fi
	return 1
}

check_kernel() {
	kernel_ok "$1" || fail "$kernel_problem"
}

# The 6.1 kernel is there but incomplete: reinstall that kernel's own
# packages, which installing the metapackages would leave as they are.
repair_kernel() {
	local rel
	rel=$(newest_kernel "$1")
	[[ -n $rel ]] || return 0 # nothing to reinstall: check_kernel says so
	echo "setup: $kernel_problem: reinstalling it" >>"$LOG"
	apt_update
	run apt-get "${APT_OPTS[@]}" install --reinstall "linux-image-$rel" "linux-headers-$rel"
}

# The first deb822 stanza (in *.sources files) that apt uses for binary
# packages of SUITE: its URIs field and its Signed-By field if any, with
# continuation lines (Signed-By may hold a whole key). Comments and
# stanzas with "Enabled: no" do not count, as for apt.
deb822_entry() {
	local suite=$1
	shift
	(($#)) || return 0
	awk -v suite="$suite" '
	function flush(   t, s) {
		t = " " tolower(f["types"]) " "; s = " " f["suites"] " "
		gsub(/[ \t\n]+/, " ", t); gsub(/[ \t\n]+/, " ", s)
		if (index(t, " deb ") && index(s, " " suite " ") && f["uris"] != "" &&
		    tolower(f["enabled"]) !~ /^(no|false|off|without|disable|0)$/) {
			print raw["uris"]
			if ("signed-by" in raw) print raw["signed-by"]
			found = 1; exit
		}
		split("", f); split("", raw); key = ""
	}
	FNR == 1 && NR > 1 { flush() }
	/^#/ { next }
	/^[ \t]*$/ { flush(); next }
	/^[ \t]/ { if (key != "") { f[key] = f[key] "\n" $0; raw[key] = raw[key] "\n" $0 }; next }
	{
		key = tolower(substr($0, 1, index($0, ":") - 1))
		v = substr($0, index($0, ":") + 1); gsub(/^[ \t]+|[ \t]+$/, "", v)
		f[key] = v; raw[key] = $0
	}
	END { if (!found) flush() }' "$@"
}

# The same for one-line entries ("deb [OPTIONS] URI SUITE COMPONENT...",
# in sources.list and *.list), as deb822 fields. cdrom: entries do not
# count: they are no mirror.
oneline_entry() {
	local suite=$1
	shift
	(($#)) || return 0
	awk -v suite="$suite" '
	{
		sub(/#.*/, "")
		if ($1 != "deb") next
		line = $0; sub(/^[ \t]*deb[ \t]+/, "", line); opts = ""
		if (line ~ /^\[/) {
			opts = substr(line, 2, index(line, "]") - 2)
			line = substr(line, index(line, "]") + 1)
		}
		n = split(line, w, /[ \t]+/); i = (w[1] == "") ? 2 : 1
		if (w[i + 1] != suite || w[i] ~ /^cdrom:/) next
		print "URIs: " w[i]
		n = split(opts, o, /[ \t]+/)
		for (j = 1; j <= n; j++)
			if (o[j] ~ /^signed-by=/) print "Signed-By: " substr(o[j], 11)
		exit
	}' "$@"
}

# The files apt reads, those that exist.
sources_files() {
	local ext=$1 f
	[[ $ext == list && -f $SOURCES_LIST ]] && echo "$SOURCES_LIST"
	for f in "$SOURCES_PARTS"/*."$ext"; do
		[[ -f $f ]] && echo "$f"
	done
	return 0
}

backports_active() {
	local lists sources
	mapfile -t lists < <(sources_files list)
	mapfile -t sources < <(sources_files sources)
	[[ -n $(oneline_entry bookworm-backports "${lists[@]}") ||
		-n $(deb822_entry bookworm-backports "${sources[@]}") ]]
}

# bookworm-backports, on the same mirror the machine already uses: copy the
# URIs line of debian.sources' stanza for the plain "bookworm" suite, or,
# where there is only a one-line sources.list (netinst), its bookworm line's
# URI.
add_backports() {
	local entry=
	backports_active && return 0
	if [[ -f $DEBIAN_SOURCES ]]; then
		entry=$(deb822_entry bookworm "$DEBIAN_SOURCES")
	fi
	if [[ -z $entry && -f $SOURCES_LIST ]]; then
		entry=$(oneline_entry bookworm "$SOURCES_LIST")
	fi
	[[ -n $entry ]] ||
		fail "no bookworm entry in $DEBIAN_SOURCES or $SOURCES_LIST to take the mirror from"
	if ! grep -qi '^Signed-By:' <<<"$entry"; then
		entry+=$'\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg'
	fi
	printf 'Types: deb\nSuites: bookworm-backports\nComponents: main\n%s\n' \
		"$entry" >"$BACKPORTS_SOURCES.tmp"
	mv -f "$BACKPORTS_SOURCES.tmp" "$BACKPORTS_SOURCES"
	apt_updated=0
}

# A newer kernel from backports, installed by its versioned package names so
# that linux-image-amd64 / linux-headers-amd64 stay on 6.1. A kernel that is
# there but incomplete (an install was interrupted) is reinstalled: a plain
# install would leave installed packages as they are.
install_backports_kernel() {
	local ver=$1 img hdr again=()
	if kernel_ok "$ver"; then
		[[ ${ZC_SETUP_FORCE:-0} == 1 ]] || return 0
	elif [[ -n $(newest_kernel "$ver") ]]; then
		echo "setup: $kernel_problem: reinstalling it" >>"$LOG"
		again=(--reinstall)
	fi
	add_backports
	apt_update
	img=$(apt-cache -o APT::Default-Release=bookworm-backports depends linux-image-amd64 |
		awk -v re="^linux-image-${ver//./\\.}[.+-].*-amd64\$" '$1 == "Depends:" && $2 ~ re { print $2; exit }')
	[[ -n $img ]] || fail "bookworm-backports has no linux-image-amd64 for $ver"
	hdr=linux-headers-${img#linux-image-}
	run apt-get "${APT_OPTS[@]}" -t bookworm-backports install "${again[@]}" "$img" "$hdr"
	check_kernel "$ver"
}

# The source of a series comes from where its guest kernel does:
# bookworm for 6.1, backports for later ones (as install_backports_kernel).
install_debug_kernel_deps() {
	local series=$1 source=linux-source-$1
	[[ $series =~ ^[0-9]+\.[0-9]+$ ]] || fail "unknown kernel series '$series' (want e.g. 6.1 or 6.12)"
	apt_install "${DEBUG_KERNEL_PACKAGES[@]}"
	if [[ $series == 6.1 ]]; then
		apt_install "$source"
	elif ! installed "$source" || [[ ${ZC_SETUP_FORCE:-0} == 1 ]]; then
		add_backports
		apt_update
		run apt-get "${APT_OPTS[@]}" -t bookworm-backports install "$source"
	fi
	[[ -f /usr/src/$source.tar.xz ]] ||
		fail "$source has no /usr/src/$source.tar.xz"
}

main() {
	[[ $(id -u) == 0 ]] || { echo "setup: run as root" >&2; exit 1; }
	[[ -r /etc/debian_version ]] || { echo "setup: Debian only" >&2; exit 1; }
	mkdir -p "$(dirname "$LOG")"
	: >"$LOG"
	dpkg_recover
	if [[ ${1:-} == --debug-kernel ]]; then
		(($# == 2)) || { echo "usage: setup.sh --debug-kernel SERIES" >&2; exit 2; }
		install_debug_kernel_deps "$2"
		return
	fi
	local kernels=${*:-${ZC_KERNELS:-6.1 6.12}} k

	apt_install "${PACKAGES[@]}"
	kernel_ok 6.1 || repair_kernel 6.1
	check_kernel 6.1
	[[ -f /usr/src/linux-source-6.1.tar.xz ]] || fail "linux-source-6.1 tarball missing"

	for k in $kernels; do
		case $k in
		6.1) ;;
		[0-9]*.[0-9]*) install_backports_kernel "$k" ;;
		*) fail "unknown kernel '$k' (want e.g. 6.1 or 6.12)" ;;
		esac
	done
}

main "$@"
