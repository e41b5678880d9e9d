# kunit.py --qemu_config file: x86_64 with SMP, two vCPUs, serial console,
# qboot. The accelerator (TCG with one host thread per vCPU, or KVM where
# a probe boot works) is added by tools/pcl with --qemu_args.
#
# What a guest with a serial console and virtio disks has no use for is
# left out, to keep the build (run twice by make test: the series and the
# stock base) short: power management, machine-check handling, HID.
# ACPI stays (and with it CPU idle and the IOMMU core): without it the
# guest hangs probing its virtio-pci disks.
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SMP=y
CONFIG_NR_CPUS=8
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
# CONFIG_PM is not set
# CONFIG_SUSPEND is not set
# CONFIG_HIBERNATION is not set
# CONFIG_X86_MCE is not set
# CONFIG_HID is not set''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='console=ttyS0',
			   extra_qemu_params=['-bios', 'qboot.rom', '-smp', '2'])
