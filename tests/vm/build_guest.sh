#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the test guest for tests/ns/qemu_guest.sh out of Debian's own
# packages: a Debian kernel (the vmlinuz of the linux-image-*-amd64 package
# that linux-image-amd64 points to) and a small initramfs holding static
# busybox (busybox-static), the kernel's virtio-net modules with their
# dependencies (resolved from modules.dep, which depmod makes from the
# package) and the /init below. Nothing is installed on this machine: the
# packages are fetched with "apt-get download" and unpacked with dpkg-deb.
#
#   tests/vm/build_guest.sh [-f]     -f: rebuild even when up to date
#
# Output in build/guest/ (XV_GUEST_DIR): vmlinuz, initrd.gz, and "stamp",
# which names the inputs (package versions, this script's hash); a build
# whose stamp matches is kept as it is. The packages stay in build/guest/debs.
# XV_GUEST_KERNEL=linux-image-VERSION-amd64 picks another kernel package.
# The last line printed is "guest: KERNEL INITRD".
#
# The guest's protocol. QEMU boots it with "-kernel vmlinuz -initrd
# initrd.gz -append '... console=ttyS0 WORDS'"; /init loads virtio_net,
# brings eth0 up (offloads left at their defaults: no ethtool here), takes a
# DHCP lease with udhcpc (which sends the host name "xvguest"), then runs the
# "xv.*" words of the kernel command line, in order (each may be repeated):
#
#   xv.ping=IP                 three echo requests to IP
#   xv.send=IP:PORT:BYTES      BYTES pseudo-random bytes to a TCP listener
#                              (busybox nc; the guest closes its side after
#                              the last byte and waits for the listener to
#                              close)
#   xv.fetch=IP:PORT           read a TCP stream until the server closes it
#   xv.resolve=NAME            look NAME up with the DNS server of the lease
#   xv.wait=SECONDS            time limit of each later action (default 30)
#
# and powers off. It reports on the serial console, one line per event,
# each starting "XV-RESULT " (S is seconds, from the guest's uptime):
#
#   XV-RESULT boot UPTIME
#   XV-RESULT lease IP mask MASK router ROUTER|none dns DNS|none secs S
#   XV-RESULT lease none secs S
#   XV-RESULT ping IP ok|fail RECEIVED/3 secs S
#   XV-RESULT sent IP:PORT bytes N md5 HEX secs S
#   XV-RESULT send-fail IP:PORT bytes N md5 HEX exit RC secs S
#   XV-RESULT fetched IP:PORT bytes N md5 HEX exit RC secs S
#   XV-RESULT resolve NAME ADDRESS|fail
#   XV-RESULT done UPTIME
#
# Lines starting "XV-INFO " are diagnostics (eth0's line of /proc/net/dev,
# the TCP counters of /proc/net/snmp, which show checksum errors).

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${XV_GUEST_DIR:-$TOP/build/guest}
SELF=${BASH_SOURCE[0]}
FORCE=0
[ "${1:-}" = -f ] && FORCE=1

say() { echo "build_guest: $*" >&2; }
die() { say "$*"; exit 1; }

for t in apt-get apt-cache dpkg-deb depmod cpio gzip sha256sum flock; do
	command -v "$t" >/dev/null || die "$t is missing (make deps)"
done

mkdir -p "$OUT/debs"
exec 9>"$OUT/.lock"
flock -w 600 9 || die "another build holds $OUT/.lock"

# candidate PKG: the version apt would install ("" if it knows none).
candidate() {
	apt-cache policy "$1" 2>/dev/null | sed -n 's/^  Candidate: //p' | grep -v '(none)' || true
}

# The kernel package that linux-image-amd64 depends on.
kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1
}

resolve() {
	KPKG=${XV_GUEST_KERNEL:-$(kernel_pkg)}
	KVER=""
	[ -n "$KPKG" ] && KVER=$(candidate "$KPKG")
	BVER=$(candidate busybox-static)
	[ -n "$KPKG" ] && [ -n "$KVER" ] && [ -n "$BVER" ]
}

if ! resolve; then
	say "apt does not know the packages yet: apt-get update"
	apt-get update -qq || true
	if ! resolve; then
		if [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.gz" ]; then
			say "cannot resolve the packages; keeping the guest built before"
			echo "guest: $OUT/vmlinuz $OUT/initrd.gz"
			exit 0
		fi
		die "cannot resolve linux-image-amd64 / busybox-static with apt-cache"
	fi
fi

STAMP="kernel $KPKG $KVER
busybox-static $BVER
script $(sha256sum "$SELF" | cut -d' ' -f1)"

if [ $FORCE = 0 ] && [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.gz" ] &&
	[ "$(cat "$OUT/stamp" 2>/dev/null)" = "$STAMP" ]; then
	say "up to date ($KPKG $KVER)"
	echo "guest: $OUT/vmlinuz $OUT/initrd.gz"
	exit 0
fi

# fetch PKG VERSION: the .deb's path in $OUT/debs (downloaded if missing).
fetch() {
	local pkg=$1 ver=$2 f
	for f in "$OUT/debs/${pkg}"_*.deb; do
		[ -e "$f" ] || continue
		if [ "$(dpkg-deb -f "$f" Version)" = "$ver" ]; then
			echo "$f"
			return 0
		fi
		rm -f "$f"
	done
	say "downloading $pkg $ver"
	(cd "$OUT/debs" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$ver") >&2 ||
		return 1
	for f in "$OUT/debs/${pkg}"_*.deb; do
		[ -e "$f" ] && echo "$f" && return 0
	done
	return 1
}

KDEB=$(fetch "$KPKG" "$KVER") || die "cannot download $KPKG $KVER"
BDEB=$(fetch busybox-static "$BVER") || die "cannot download busybox-static $BVER"

WORK=$OUT/.work
rm -rf "$WORK"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/kernel" "$WORK/busybox" "$WORK/root"

say "unpacking $(basename "$KDEB")"
dpkg-deb -x "$KDEB" "$WORK/kernel"
dpkg-deb -x "$BDEB" "$WORK/busybox"

MODDIRS=("$WORK"/kernel/lib/modules/*/)
[ -d "${MODDIRS[0]}" ] || die "no /lib/modules in $KDEB"
UNAME=$(basename "${MODDIRS[0]}")
VMLINUZ=$WORK/kernel/boot/vmlinuz-$UNAME
[ -s "$VMLINUZ" ] || die "no /boot/vmlinuz-$UNAME in $KDEB"
MODDIR=$WORK/kernel/lib/modules/$UNAME
# Debian makes modules.dep at install time (depmod in the postinst).
[ -s "$MODDIR/modules.dep" ] || depmod -b "$WORK/kernel" "$UNAME"

# The modules to load, dependencies first (depth-first over modules.dep);
# the ones built into this kernel are skipped.
ORDER=()
declare -A SEEN=()
mod_path() {	# NAME -> path relative to $MODDIR ("" if built in or unknown)
	local n=${1//-/_}
	awk -F: -v n="$n" '{ m = $1; sub(/.*\//, "", m); sub(/\.ko(\.[a-z]+)?$/, "", m);
		gsub(/-/, "_", m); if (m == n) { print $1; exit } }' "$MODDIR/modules.dep"
}
visit() {	# PATH (relative, as modules.dep spells it)
	local p=$1 d
	[ -n "${SEEN[$p]:-}" ] && return 0
	SEEN[$p]=1
	# shellcheck disable=SC2013 # module paths have no spaces
	for d in $(awk -F: -v p="$p" '$1 == p { print $2; exit }' "$MODDIR/modules.dep"); do
		visit "$d"
	done
	ORDER+=("$p")
}
for m in virtio virtio_ring virtio_pci failover net_failover virtio_net; do
	p=$(mod_path "$m")
	if [ -z "$p" ]; then
		grep -qE "/${m}\.ko" "$MODDIR/modules.builtin" 2>/dev/null ||
			grep -qE "/${m//_/[-_]}\.ko" "$MODDIR/modules.builtin" 2>/dev/null ||
			die "module $m is neither in modules.dep nor built in"
		continue
	fi
	visit "$p"
done

R=$WORK/root
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,modules}
cp "$WORK/busybox/bin/busybox" "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
# The kernel opens /dev/console before /init runs (which mounts devtmpfs).
if [ "$(id -u)" = 0 ]; then
	mknod -m 600 "$R/dev/console" c 5 1
	mknod -m 666 "$R/dev/null" c 1 3
fi

: >"$R/modules/order"
for p in "${ORDER[@]}"; do
	b=$(basename "$p")
	case $b in
	*.ko.xz) xz -dc "$MODDIR/$p" >"$R/modules/${b%.xz}" ;;
	*.ko.zst) zstd -qdc "$MODDIR/$p" >"$R/modules/${b%.zst}" ;;
	*.ko.gz) gzip -dc "$MODDIR/$p" >"$R/modules/${b%.gz}" ;;
	*.ko) cp "$MODDIR/$p" "$R/modules/$b" ;;
	*) die "unexpected module file $p" ;;
	esac
	echo "${b%.ko*}.ko" >>"$R/modules/order"
done

cat >"$R/etc/udhcpc.script" <<'EOF'
#!/bin/sh
# udhcpc's event script: configure the interface, remember the lease.
case $1 in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound|renew)
	ip -4 addr flush dev "$interface"
	ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}"
	for r in $router; do
		route add default gw "$r" dev "$interface"
		break
	done
	: >/etc/resolv.conf
	for d in $dns; do
		echo "nameserver $d" >>/etc/resolv.conf
	done
	set -- $router
	gw=${1:-none}
	set -- $dns
	echo "$ip ${subnet:-?} $gw ${1:-none}" >/tmp/lease
	;;
esac
exit 0
EOF

cat >"$R/init" <<'EOF'
#!/bin/busybox sh
# The xvnet test guest's init (made by tests/vm/build_guest.sh, which
# documents the xv.* words of the kernel command line it obeys).
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
exec </dev/null >/dev/console 2>&1

r() { echo "XV-RESULT $*"; }
info() { echo "XV-INFO $*"; }
now() { read -r u _ </proc/uptime; echo "$u"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
md5() { set -- $(md5sum "$1"); echo "$1"; }
size() { wc -c <"$1" | tr -d ' '; }
WAIT=30

echo	# the firmware may have left the cursor mid-line
r boot "$(now)"
for m in $(cat /modules/order); do
	insmod "/modules/$m" || info "insmod $m failed"
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
ip link set lo up
ip link set eth0 up

t=$(now)
udhcpc -i eth0 -s /etc/udhcpc.script -t 20 -T 1 -n -q -x hostname:xvguest >/tmp/udhcpc.log 2>&1
sed "s/^/XV-INFO udhcpc: /" /tmp/udhcpc.log
if [ -s /tmp/lease ]; then
	read -r ip mask gw dns </tmp/lease
	r lease "$ip" mask "$mask" router "$gw" dns "$dns" secs "$(since "$t")"
else
	r lease none secs "$(since "$t")"
fi

do_ping() {
	local t n
	t=$(now)
	n=$(timeout "$WAIT" ping -c 3 -i 0.3 -W 2 "$1" 2>&1 |
		sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
	n=${n:-0}
	if [ "$n" = 3 ]; then
		r ping "$1" ok "$n/3" secs "$(since "$t")"
	else
		r ping "$1" fail "$n/3" secs "$(since "$t")"
	fi
}

do_send() {	# IP:PORT:BYTES
	local ip=${1%%:*} rest=${1#*:} port bytes sum t rc
	port=${rest%%:*} bytes=${rest#*:}
	head -c "$bytes" /dev/urandom >/tmp/payload
	sum=$(md5 /tmp/payload)
	t=$(now)
	timeout "$WAIT" nc -w 5 "$ip" "$port" </tmp/payload >/dev/null
	rc=$?
	if [ $rc = 0 ]; then
		r sent "$ip:$port" bytes "$(size /tmp/payload)" md5 "$sum" secs "$(since "$t")"
	else
		r send-fail "$ip:$port" bytes "$(size /tmp/payload)" md5 "$sum" exit $rc secs "$(since "$t")"
	fi
	rm -f /tmp/payload
}

do_fetch() {	# IP:PORT
	local t rc
	t=$(now)
	timeout "$WAIT" nc -w 5 "${1%:*}" "${1##*:}" </dev/null >/tmp/fetched
	rc=$?
	r fetched "$1" bytes "$(size /tmp/fetched)" md5 "$(md5 /tmp/fetched)" exit $rc secs "$(since "$t")"
	rm -f /tmp/fetched
}

do_resolve() {	# NAME
	local a
	a=$(timeout "$WAIT" nslookup "$1" 2>/dev/null |
		awk '/^Name:/ { n = 1 } n && /^Address/ { a = $NF } END { print a }')
	r resolve "$1" "${a:-fail}"
}

for w in $(cat /proc/cmdline); do
	case $w in
	xv.ping=*) do_ping "${w#*=}" ;;
	xv.send=*) do_send "${w#*=}" ;;
	xv.fetch=*) do_fetch "${w#*=}" ;;
	xv.resolve=*) do_resolve "${w#*=}" ;;
	xv.wait=*) WAIT=${w#*=} ;;
	xv.*) info "unknown word $w" ;;
	esac
done

grep 'eth0:' /proc/net/dev | sed 's/^ */XV-INFO dev /'
grep '^Tcp:' /proc/net/snmp | sed 's/^/XV-INFO /'
r done "$(now)"
sync
poweroff -f
EOF
chmod 755 "$R/init" "$R/etc/udhcpc.script"

say "initramfs: busybox $BVER, modules: $(tr '\n' ' ' <"$R/modules/order")"
(cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -9n >"$WORK/initrd.gz"
cp "$VMLINUZ" "$WORK/vmlinuz"
mv -f "$WORK/vmlinuz" "$OUT/vmlinuz"
mv -f "$WORK/initrd.gz" "$OUT/initrd.gz"
printf '%s\n' "$STAMP" >"$OUT/stamp"
say "built $KPKG $KVER ($UNAME), initrd $(stat -c %s "$OUT/initrd.gz") bytes"
echo "guest: $OUT/vmlinuz $OUT/initrd.gz"
