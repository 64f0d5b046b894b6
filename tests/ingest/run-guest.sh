#!/usr/bin/env bash
# Boot Debian's cloud kernel under QEMU TCG with an emulated NVMe controller
# whose namespace holds DISK (a known pattern), run nvme-gpu-ingest's
# registered and passthrough paths inside the guest and print the console.
# Usage: run-guest.sh BINARY DISK CACHE_DIR
# Exit 77 (skip) with the reason on stderr when QEMU or the kernel package
# cannot be had.
set -eu
bin=$1 disk=$2 cache=$3
here=$(cd "$(dirname "$0")" && pwd)
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 missing (apt-get install qemu-system-x86)" >&2; exit 77; }
command -v cpio >/dev/null || { echo "cpio missing" >&2; exit 77; }
mkdir -p "$cache"
cd "$cache"

# Kernel: the image package linux-image-cloud-amd64 depends on.
vmlinuz=$(ls kernel/boot/vmlinuz-* 2>/dev/null | head -1 || true)
if [ -z "$vmlinuz" ]; then
	pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
	[ -n "$pkg" ] || { echo "apt-cache knows no linux-image-cloud-amd64" >&2; exit 77; }
	rm -f ./*.deb
	apt-get download "$pkg" >/dev/null 2>&1 || { echo "apt-get download $pkg failed (no network?)" >&2; exit 77; }
	dpkg-deb -x ./"$pkg"_*.deb kernel
	rm -f ./*.deb
	vmlinuz=$(ls kernel/boot/vmlinuz-* | head -1)
fi

# busybox-static: the installed one, else the package.
bb=/bin/busybox
if ! file -L "$bb" 2>/dev/null | grep -q 'statically linked'; then
	bb=$cache/bb/bin/busybox
	if [ ! -x "$bb" ]; then
		apt-get download busybox-static >/dev/null 2>&1 || { echo "apt-get download busybox-static failed" >&2; exit 77; }
		dpkg-deb -x ./busybox-static_*.deb bb
		rm -f ./busybox-static_*.deb
	fi
fi

# initramfs: busybox, the binary and the shared libraries ldd names.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,proc,sys,dev,tmp}
cp "$bb" "$root/bin/busybox"
cp "$bin" "$root/nvme-gpu-ingest"
for lib in $(ldd "$bin" | grep -oE '/[^ ]+'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
cp "$here/guest-init.sh" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >initramfs.gz

timeout 540 qemu-system-x86_64 -accel tcg -cpu max -m 512 -nographic -no-reboot \
	-kernel "$vmlinuz" -initrd initramfs.gz \
	-append "console=ttyS0 panic=-1 quiet" \
	-drive file="$disk",if=none,id=nvm,format=raw \
	-device nvme,serial=telkit,drive=nvm </dev/null 2>&1 | tr -d '\r'
