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
# derived from the machine's own debian.sources. Quiet unless it fails;
# the full log is in $ZC_SETUP_LOG (default /tmp/zctrace-setup.log).
# ZC_SETUP_FORCE=1 runs apt even when nothing seems to be missing.
set -euo pipefail

LOG=${ZC_SETUP_LOG:-/tmp/zctrace-setup.log}
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

BACKPORTS_SOURCES=/etc/apt/sources.list.d/zctrace-backports.sources

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

apt_updated=0
apt_update() {
	((apt_updated)) && return 0
	run apt-get -q -o Acquire::Retries=3 -o DPkg::Lock::Timeout=300 update
	apt_updated=1
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

check_kernel() {
	local ver=$1 rel
	rel=$(newest_kernel "$ver")
	[[ -n $rel ]] || fail "no /boot/vmlinuz-$ver.*-amd64 after install"
	[[ -d /lib/modules/$rel ]] || fail "kernel $rel has no /lib/modules/$rel"
	compgen -G "/lib/modules/$rel/kernel/fs/9p/9p.ko*" >/dev/null ||
		fail "kernel $rel has no 9p module (wrong flavour?)"
	[[ -d /usr/src/linux-headers-$rel ]] || fail "no headers for $rel (/usr/src/linux-headers-$rel)"
}

# bookworm-backports, on the same mirror the machine already uses: copy the
# URIs: line of the stanza that carries the plain "bookworm" suite.
add_backports() {
	local src=/etc/apt/sources.list.d/debian.sources stanza uris signed
	if grep -rqs --include='*.list' --include='*.sources' -w 'bookworm-backports' \
		/etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 0
	fi
	[[ -r $src ]] || fail "no $src to take the mirror from"
	stanza=$(awk 'BEGIN { RS = ""; FS = "\n" }
		{ for (i = 1; i <= NF; i++)
			if ($i ~ /^Suites:/ && (" " $i " ") ~ /[ \t]bookworm[ \t]/) { print; exit } }' "$src")
	uris=$(grep -m1 '^URIs:' <<<"$stanza" || true)
	[[ -n $uris ]] || fail "no URIs: line for suite bookworm in $src"
	signed=$(grep -m1 '^Signed-By:' <<<"$stanza" ||
		echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg")
	printf 'Types: deb\n%s\nSuites: bookworm-backports\nComponents: main\n%s\n' \
		"$uris" "$signed" >"$BACKPORTS_SOURCES.tmp"
	mv -f "$BACKPORTS_SOURCES.tmp" "$BACKPORTS_SOURCES"
	apt_updated=0
}

# A newer kernel from backports, installed by its versioned package names so
# that linux-image-amd64 / linux-headers-amd64 stay on 6.1.
install_backports_kernel() {
	local ver=$1 img hdr
	if [[ -n $(newest_kernel "$ver") && ${ZC_SETUP_FORCE:-0} != 1 ]]; then
		check_kernel "$ver"
		return 0
	fi
	add_backports
	apt_update
	img=$(apt-cache -o APT::Default-Release=bookworm-backports depends linux-image-amd64 |
		awk -v re="^linux-image-${ver//./\\.}[.+-].*-amd64\$" '$1 == "Depends:" && $2 ~ re { print $2; exit }')
	[[ -n $img ]] || fail "bookworm-backports has no linux-image-amd64 for $ver"
	hdr=linux-headers-${img#linux-image-}
	run apt-get "${APT_OPTS[@]}" -t bookworm-backports install "$img" "$hdr"
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
	: >"$LOG"
	if [[ ${1:-} == --debug-kernel ]]; then
		(($# == 2)) || { echo "usage: setup.sh --debug-kernel SERIES" >&2; exit 2; }
		install_debug_kernel_deps "$2"
		return
	fi
	local kernels=${*:-${ZC_KERNELS:-6.1 6.12}} k

	apt_install "${PACKAGES[@]}"
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
