# Sourced by image/build.sh: the x86_64 boot files on the ESP.
# GRUB for UEFI, made from the image's own grub-efi-amd64-bin (Debian's, in the image's version) as
# one EFI binary at the removable-media path, so no NVRAM boot entry is needed; grub.cfg and the
# A/B environment (grubenv) beside it.
board_boot_files() {
    local esp=$2
    in_root grub-mkimage --format=x86_64-efi --prefix=/EFI/BOOT --output=/tmp/BOOTX64.EFI \
        part_gpt fat ext2 normal linux configfile search regexp echo test loadenv serial terminal \
        efi_gop efi_uga all_video gzio boot reboot halt sleep cat ls
    mkdir -p "$esp/EFI/BOOT"
    mv "$root/tmp/BOOTX64.EFI" "$esp/EFI/BOOT/BOOTX64.EFI"
    cp "$repo/board/x86_64/grub.cfg" "$esp/EFI/BOOT/grub.cfg"
    in_root grub-editenv /tmp/grubenv set ORDER="A B" A_OK=1 B_OK=0 A_TRY=0 B_TRY=0
    mv "$root/tmp/grubenv" "$esp/EFI/BOOT/grubenv"
}
