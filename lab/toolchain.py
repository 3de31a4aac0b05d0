"""The host's toolchain, checked by the Vagrantfile before any machine is touched: a
Vagrant too old for the lab or for the installed VirtualBox, or libvirt without the
vagrant-libvirt plugin, is refused in words instead of failing halfway.

    python3 -m lab.toolchain --provider virtualbox --vagrant 2.3.4 --virtualbox 7.1.4r165100
    # exit 1: "VirtualBox 7.1 needs Vagrant 2.4.2 or newer; this is Vagrant 2.3.4. …"
"""

import argparse
import re
import sys

VAGRANT = (2, 3, 0)  # the oldest Vagrant the Vagrantfile runs on (triggers, disks)
# VirtualBox release -> the first Vagrant that supports it (Vagrant's changelog).
VAGRANT_FOR_VIRTUALBOX = {(7, 0): (2, 3, 2), (7, 1): (2, 4, 2), (7, 2): (2, 4, 9)}
VIRTUALBOX = (7, 0)  # the oldest VirtualBox the lab's disks were written for


def version(text: str) -> tuple[int, ...]:
    """The leading numbers of a version string.

    >>> version("7.1.4r165100"), version("2.3.4"), version("Vagrant 2.4.9")
    ((7, 1, 4), (2, 3, 4), (2, 4, 9))
    """
    found = re.search(r"\d+(?:\.\d+)*", text)
    return tuple(int(part) for part in found.group().split(".")) if found else ()


def dotted(numbers: tuple[int, ...]) -> str:
    return ".".join(map(str, numbers))


def refusals(provider: str, vagrant: str, virtualbox: str | None = None,
             libvirt_plugin: bool = True) -> list[str]:
    """What stops the lab on this host: one sentence per problem, with what to install.

    >>> refusals("libvirt", "2.3.4")
    []
    >>> for problem in refusals("libvirt", "2.2.19", libvirt_plugin=False):
    ...     print(problem)
    The lab needs Vagrant 2.3.0 or newer; this is Vagrant 2.2.19. Install ...
    provider libvirt needs the vagrant-libvirt plugin: `vagrant plugin install ...
    """
    found = []
    if version(vagrant) < VAGRANT:
        found.append(f"The lab needs Vagrant {dotted(VAGRANT)} or newer; this is Vagrant "
                     f"{vagrant}. Install HashiCorp's package (developer.hashicorp.com/"
                     "vagrant/install), not an older distribution's.")
    if provider == "libvirt" and not libvirt_plugin:
        found.append("provider libvirt needs the vagrant-libvirt plugin: `vagrant plugin "
                     "install vagrant-libvirt` (Debian/Ubuntu: the vagrant-libvirt package), "
                     "or LAB_PROVIDER=virtualbox.")
    if provider == "virtualbox":
        if virtualbox is None:
            found.append("provider virtualbox, but VBoxManage was not found: install "
                         f"VirtualBox {dotted(VIRTUALBOX)} or newer, or LAB_PROVIDER=libvirt.")
        else:
            release = version(virtualbox)[:2]
            needed = VAGRANT_FOR_VIRTUALBOX.get(release)
            if release < VIRTUALBOX:
                found.append(f"VirtualBox {virtualbox} is older than the lab's "
                             f"{dotted(VIRTUALBOX)}: upgrade VirtualBox.")
            elif needed and version(vagrant) < needed:
                found.append(f"VirtualBox {dotted(release)} needs Vagrant {dotted(needed)} or "
                             f"newer; this is Vagrant {vagrant}. Upgrade Vagrant, or install "
                             "the VirtualBox release your Vagrant supports.")
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Refuse a host toolchain the lab cannot use.")
    parser.add_argument("--provider", required=True)
    parser.add_argument("--vagrant", required=True)
    parser.add_argument("--virtualbox", default=None, help="VBoxManage --version, if any")
    parser.add_argument("--no-libvirt-plugin", action="store_true")
    args = parser.parse_args(argv)
    found = refusals(args.provider, args.vagrant, args.virtualbox, not args.no_libvirt_plugin)
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        print("Nothing was started.", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
