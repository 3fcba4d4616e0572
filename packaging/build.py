"""Build the VMSC desktop bundle, and on Linux its .tar.gz and .deb.

    pip install -e '.[package]'    # once: the app and PyInstaller
    python packaging/build.py

writes dist/VMSC/ (one folder; run dist/VMSC/VMSC) from packaging/vmsc.spec, and on Linux also
dist/VMSC-<version>-linux-<arch>.tar.gz (the folder as VMSC/) and dist/vmsc_<version>_<arch>.deb
(/opt/vmsc, /usr/bin/vmsc, menu entry, icons). Before packaging it checks with ldd which libraries
the bundle takes from the system: those, and only those, become the .deb's Depends.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DIST = ROOT / "dist"
WORK = ROOT / "build"
BUNDLE = DIST / "VMSC"
ICONS = WORK / "vmsc" / "icons"  # the spec renders them into its workpath, build/vmsc/
DEB_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
MAINTAINER = "VMSC for Kick <vmsc@example.invalid>"

# Libraries the bundle loads from the system (PyInstaller leaves glibc, zlib for its bootloader,
# the GL stack, libxcb and wayland to the machine, whose drivers they must match) -> Debian
# package. Any other library found outside the bundle stops the build: bundle it (install it on
# the build machine) or add it here.
DEPENDS = {
    **dict.fromkeys(
        ["libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libutil.so.1"],
        "libc6",
    ),
    "libz.so.1": "zlib1g",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    "libEGL.so.1": "libegl1",
    "libxcb.so.1": "libxcb1",
}
# Only the Wayland platform plugin needs these; without them Qt uses xcb (XWayland).
RECOMMENDS = {
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}
# Not a library: the bundled libfontconfig reads /etc/fonts, and this package brings a font too.
ALWAYS_DEPENDS = ["fontconfig-config"]


def run_pyinstaller() -> None:
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level=WARN",
         "--distpath", str(DIST), "--workpath", str(WORK), str(HERE / "vmsc.spec")],
        check=True,
    )  # fmt: skip


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink())


def report(path: Path, started: float) -> None:
    elapsed = time.monotonic() - started
    megabytes = size_of(path) / 1e6
    print(f"{path.relative_to(ROOT)}: {megabytes:.1f} MB (at {elapsed:.0f} s)", flush=True)


def system_libraries(bundle: Path) -> set[str]:
    """Sonames the bundle's binaries resolve outside it or not at all, per ldd as they run: the
    bootloader with the system's library path, everything else with _internal first."""
    internal = bundle / "_internal"
    env = {**os.environ, "LD_LIBRARY_PATH": str(internal)}
    outside: set[str] = set()
    for binary in [bundle / "VMSC", *internal.rglob("*.so*")]:
        if binary.is_symlink() or not binary.is_file():
            continue
        ldd = subprocess.run(
            ["ldd", str(binary)], capture_output=True, text=True,
            env=env if binary.parent != bundle else None,
        )  # fmt: skip
        for soname, target in re.findall(r"^\s*(\S+) => (\S+)", ldd.stdout, re.M):
            if not target.startswith(str(internal)):  # a system path, or "not found"
                outside.add(soname)
    return outside


def package_relations(bundle: Path) -> tuple[list[str], list[str]]:
    """The .deb's Depends and Recommends, from what the bundle needs of the system."""
    libs = system_libraries(bundle)
    unknown = sorted(libs - set(DEPENDS) - set(RECOMMENDS))
    if unknown:
        raise SystemExit(
            f"build.py: the bundle needs {unknown} from the system: install them on the build "
            "machine (PyInstaller then bundles them) or add them to DEPENDS in packaging/build.py"
        )
    glibc = platform.libc_ver()[1]  # bundled libraries come from this machine: need its glibc
    packages = {DEPENDS[lib] for lib in libs if lib in DEPENDS} | set(ALWAYS_DEPENDS)
    depends = [f"libc6 (>= {glibc})" if dep == "libc6" else dep for dep in sorted(packages)]
    return depends, sorted({RECOMMENDS[lib] for lib in libs if lib in RECOMMENDS})


def make_tarball(version: str, arch: str) -> Path:
    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    tarball = DIST / f"VMSC-{version}-linux-{arch}.tar.gz"
    with tarfile.open(tarball, "w:gz", compresslevel=6) as tar:
        tar.add(BUNDLE, arcname="VMSC", filter=owned_by_root)
    return tarball


def make_deb(version: str, arch: str, depends: list[str], recommends: list[str]) -> Path:
    root = WORK / "deb"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(BUNDLE, root / "opt" / "vmsc", symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / "vmsc").symlink_to("/opt/vmsc/VMSC")
    (root / "usr" / "share" / "applications").mkdir(parents=True)
    shutil.copyfile(HERE / "vmsc.desktop", root / "usr" / "share" / "applications" / "vmsc.desktop")
    shutil.copytree(ICONS / "hicolor", root / "usr" / "share" / "icons" / "hicolor")
    installed_kb = size_of(root) // 1024
    (root / "DEBIAN").mkdir()
    relations = f"Depends: {', '.join(depends)}\n"
    if recommends:
        relations += f"Recommends: {', '.join(recommends)}\n"
    (root / "DEBIAN" / "control").write_text(
        f"Package: vmsc\nVersion: {version}\nArchitecture: {arch}\nMaintainer: {MAINTAINER}\n"
        f"Installed-Size: {installed_kb}\n{relations}Section: net\nPriority: optional\n"
        "Description: VMSC for Kick: watch a Kick channel's public events live\n"
        " A desktop app that connects to one Kick channel and shows its connection\n"
        " state, live status, event count and events as they happen.\n",
        encoding="utf-8",
    )
    for path in [root, *root.rglob("*")]:  # whatever the umask: 0755 dirs/programs, 0644 data
        if not path.is_symlink():
            executable = path.is_dir() or path.stat().st_mode & 0o111
            path.chmod(0o755 if executable else 0o644)
    deb = DIST / f"vmsc_{version}_{arch}.deb"
    subprocess.run(
        ["dpkg-deb", "--build", "--root-owner-group", "-Zxz", str(root), str(deb)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return deb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python packaging/build.py",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Run from anywhere; needs `pip install -e '.[package]'` (and on Linux binutils).",
    )
    parser.add_argument("--bundle-only", action="store_true", help="skip the .tar.gz and .deb")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("PyInstaller") is None:
        raise SystemExit(
            f"build.py: {sys.executable} has no PyInstaller: pip install -e '.[package]'"
        )
    sys.path.insert(0, str(ROOT))
    from app import __version__

    started = time.monotonic()
    run_pyinstaller()
    report(BUNDLE, started)
    if args.bundle_only or not sys.platform.startswith("linux"):
        return 0
    arch = platform.machine()
    depends, recommends = package_relations(BUNDLE)
    print(f"from the system: Depends: {', '.join(depends)}", flush=True)
    print(f"from the system: Recommends: {', '.join(recommends)}", flush=True)
    report(make_tarball(__version__, arch), started)
    if shutil.which("dpkg-deb") is None:
        print("dpkg-deb not found: no .deb")
        return 0
    report(make_deb(__version__, DEB_ARCH.get(arch, arch), depends, recommends), started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
