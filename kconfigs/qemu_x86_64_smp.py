# kunit.py --qemu_config file: x86_64 with SMP, two vCPUs, serial console,
# qboot. The accelerator (TCG with one host thread per vCPU, or KVM where
# a probe boot works) is added by tools/pcl with --qemu_args.
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SMP=y
CONFIG_NR_CPUS=8
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='console=ttyS0',
			   extra_qemu_params=['-bios', 'qboot.rom', '-smp', '2'])
