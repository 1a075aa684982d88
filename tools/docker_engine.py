"""A Docker engine and the generated projects' base image, on machines that have no container registry.

The slow tests, `make demo` and `make bench` build and run the generated projects' images. Where a Docker
engine already answers and can pull `python:X.Y-slim`, this module uses it as it is. Otherwise it starts
`dockerd` itself (installing Debian's `docker.io` and `debootstrap` with apt when they are missing) and
builds a stand-in for `python:X.Y-slim` locally: a minimal Debian root file system from debootstrap with
pyenv's CPython X.Y copied in at its own prefix, imported under exactly the tag the Dockerfiles' `FROM`
names, so the builder uses it without pulling. The stand-in is built once per engine and reused.

The generated Dockerfiles pin their base image by digest, which a stand-in (imported, never pulled) cannot
match: a project builds from the stand-in only when told to, with its `DOCKER_BASE_IMAGE` make variable.
`base_image_override` gives that value: the stand-in's tag, or nothing where the registry serves the
pinned image.

Usage, from the repository root (as root, where the engine must be started or installed):

    python tools/docker_engine.py start          # prints the PID of a dockerd it started, else nothing
    python tools/docker_engine.py base-image 3.12   # prints the DOCKER_BASE_IMAGE to build with, or nothing
    python tools/docker_engine.py stop PID
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STATE_DIR = Path(
    os.environ.get("COPIER_MLOPS_DOCKER_STATE", Path(tempfile.gettempdir()) / "copier-mlops-docker")
)
DOCKERD_PID_FILE = Path("/var/run/docker.pid")
START_TIMEOUT_S = 60
# The shared libraries CPython's extension modules link against (ssl, sqlite3, ctypes, bz2, lzma, readline,
# curses, dbm, uuid, expat); tkinter's are left out on purpose.
BASE_PACKAGES = (
    "ca-certificates",
    "libbz2-1.0",
    "libcrypt1",
    "libexpat1",
    "libffi8",
    "libgdbm-compat4",
    "libgdbm6",
    "liblzma5",
    "libncursesw6",
    "libnsl2",
    "libreadline8",
    "libsqlite3-0",
    "libssl3",
    "libtirpc3",
    "libuuid1",
    "zlib1g",
)
# Parts of a CPython installation that no image needs: the test suite, IDLE, Tk, the static library.
PYTHON_TRIM = ("test", "idlelib", "tkinter", "turtledemo", "lib2to3/tests")
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


class EngineError(RuntimeError):
    """The engine or the base image could not be provided; the message says why and what to do."""


def _docker(*args: str, check: bool = True, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout)


def engine_answers() -> bool:
    """Whether a Docker engine answers the CLI."""
    if shutil.which("docker") is None:
        return False
    try:
        return _docker("info", check=False, timeout=20).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def apt_install(*packages: str) -> None:
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise EngineError(
            f"{', '.join(packages)} missing and cannot be installed here (needs root and apt-get): "
            "install Docker (https://docs.docker.com/engine/install/) and start it, then run this again."
        )
    sys.stderr.write(f"Installing {' '.join(packages)} with apt-get\n")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", *packages], check=True, env=env, stdout=subprocess.DEVNULL
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_engine() -> int | None:
    """Start dockerd unless an engine already answers; returns the PID of the one started, else None."""
    if engine_answers():
        return None
    wanted = [
        name
        for name, tool in (("docker.io", "dockerd"), ("docker-compose", "docker-compose"))
        if not shutil.which(tool)
    ]
    if wanted:
        apt_install(*wanted)
    # A killed run leaves its pid file behind, and dockerd refuses to start while it exists.
    if DOCKERD_PID_FILE.exists():
        stale = DOCKERD_PID_FILE.read_text().strip()
        if not (stale.isdigit() and _alive(int(stale))):
            DOCKERD_PID_FILE.unlink()
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    log_path = STATE_DIR / "dockerd.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            ["dockerd"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EngineError(f"dockerd exited with code {process.returncode} at start: see {log_path}")
        if engine_answers():
            return process.pid
        time.sleep(0.5)
    stop_engine(process.pid)
    raise EngineError(f"dockerd did not answer within {START_TIMEOUT_S} s: see {log_path}")


def stop_engine(pid: int) -> None:
    """Stop a dockerd started by start_engine (its containers stop with it)."""
    if not _alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(pid):
        with contextlib.suppress(ChildProcessError):  # reap it when it is this process's child
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.2)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


def _image_exists(tag: str) -> bool:
    return _docker("image", "inspect", tag, check=False).returncode == 0


def ensure_base_image(python_version: str) -> str:
    """Make `python:<version>-slim` available: present, pulled, or built locally; returns the tag."""
    tag = f"python:{python_version}-slim"
    if _image_exists(tag):
        return tag
    try:
        if _docker("pull", "--quiet", tag, check=False, timeout=120).returncode == 0:
            return tag
    except subprocess.TimeoutExpired:
        pass
    build_base_image(python_version, tag)
    return tag


def base_image_override(python_version: str) -> str:
    """Make the base image available; return the `DOCKER_BASE_IMAGE` a generated project builds with here.

    A pulled image (it has a registry digest) means the registry answers: the project's build pulls its
    own pinned digest, so no override (""). A stand-in built here has no digest: its tag is the override.
    """
    tag = ensure_base_image(python_version)
    digests = _docker("image", "inspect", "--format", "{{len .RepoDigests}}", tag).stdout.strip()
    return "" if digests not in ("", "0") else tag


def _pyenv_prefix(python_version: str) -> Path:
    if shutil.which("pyenv") is None:
        raise EngineError(
            f"building {python_version} base image needs pyenv's CPython {python_version}: install pyenv"
        )
    found = subprocess.run(["pyenv", "prefix", python_version], capture_output=True, text=True, check=False)
    if found.returncode != 0:
        raise EngineError(f"pyenv has no CPython {python_version}: run 'pyenv install {python_version}'")
    return Path(found.stdout.strip())


def build_base_image(python_version: str, tag: str) -> None:
    """Build a stand-in for the official slim image with debootstrap and pyenv's CPython, tagged `tag`."""
    prefix = _pyenv_prefix(python_version)
    if shutil.which("debootstrap") is None:
        apt_install("debootstrap")
    sys.stderr.write(f"Building the base image {tag} (debootstrap, CPython from {prefix})\n")
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=STATE_DIR) as work:
        rootfs = Path(work) / "rootfs"
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(BASE_PACKAGES)}",
                "bookworm",
                str(rootfs),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        _install_python(rootfs, prefix, python_version)
        # TLS may go through a re-signing proxy: trust what the host trusts.
        if HOST_CA_BUNDLE.is_file():
            shutil.copyfile(HOST_CA_BUNDLE, rootfs / HOST_CA_BUNDLE.relative_to("/"))
        for trimmed in (
            "usr/share/doc",
            "usr/share/man",
            "usr/share/info",
            "usr/share/locale",
            "var/cache/apt/archives",
        ):
            shutil.rmtree(rootfs / trimmed, ignore_errors=True)
        shutil.rmtree(rootfs / "var/lib/apt/lists", ignore_errors=True)
        (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True)
        changes = [
            # As in the official image, scripts that pip installs into the interpreter are on PATH.
            f"ENV PATH=/usr/local/sbin:/usr/local/bin:{prefix}/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV LANG=C.UTF-8",
            # certifi-based tools (pip, requests) trust the system bundle, as the host's do.
            f"ENV SSL_CERT_FILE={HOST_CA_BUNDLE} REQUESTS_CA_BUNDLE={HOST_CA_BUNDLE} "
            f"PIP_CERT={HOST_CA_BUNDLE}",
            'CMD ["python3"]',
        ]
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        args = [arg for change in changes for arg in ("--change", change)]
        subprocess.run(
            ["docker", "import", *args, "-", tag], stdin=tar.stdout, check=True, stdout=subprocess.DEVNULL
        )
        if tar.stdout is not None:
            tar.stdout.close()
        if tar.wait() != 0:
            raise EngineError(f"packing the root file system of {tag} failed")


def _strip_debug_symbols(prefix: Path) -> None:
    """Strip the debug symbols of CPython's binaries, as the official images do (when `strip` exists).

    pyenv keeps them (30 MB in libpython alone); without them the base image weighs about what
    Docker Hub's `python:X.Y-slim` does, so the measured image sizes are those users get.
    """
    strip = shutil.which("strip")
    if strip is None:
        return
    binaries = [
        path
        for pattern in ("bin/python3.*", "lib/libpython3*.so*", "lib/python3.*/lib-dynload/*.so")
        for path in prefix.glob(pattern)
        if path.is_file() and not path.is_symlink() and _is_elf(path)
    ]
    if binaries:
        subprocess.run([strip, "--strip-unneeded", *map(str, binaries)], check=True)


def _is_elf(path: Path) -> bool:
    """Whether `path` is an ELF binary (not a script such as `python3.X-config`), by its first bytes."""
    with path.open("rb") as file:
        return file.read(4) == b"\x7fELF"


def _install_python(rootfs: Path, prefix: Path, python_version: str) -> None:
    """Copy the CPython installation at `prefix` into the root file system, at the same path.

    pyenv's builds find libpython through an RPATH to their own prefix, so the path must not change;
    its parent directories are made traversable for the images' unprivileged users.
    """
    target = rootfs / prefix.relative_to("/")
    # Without the static library and the optimised bytecode (-O, -OO: the images never use them).
    ignored = shutil.ignore_patterns("*.a", "*.opt-1.pyc", "*.opt-2.pyc")
    shutil.copytree(prefix, target, symlinks=True, ignore=ignored)
    stdlib = target / "lib" / f"python{python_version}"
    for trimmed in PYTHON_TRIM:
        shutil.rmtree(stdlib / trimmed, ignore_errors=True)
    _strip_debug_symbols(target)
    # Host-specific start-up hooks (.pth files) stay on the host; pip stays, so venvs and pip work.
    for pth in (stdlib / "site-packages").glob("*.pth"):
        pth.unlink()
    parent = target
    while parent != rootfs:
        parent.chmod(parent.stat().st_mode | 0o755)
        parent = parent.parent
    bin_dir = rootfs / "usr/local/bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in ("python", "python3", f"python{python_version}", "pip", "pip3"):
        source = (
            prefix
            / "bin"
            / (f"python{python_version}" if name.startswith("python") else f"pip{python_version}")
        )
        link = bin_dir / name
        link.unlink(missing_ok=True)
        link.symlink_to(source)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("start", help="start dockerd unless an engine answers; print the PID if started")
    stop = commands.add_parser("stop", help="stop the dockerd with this PID")
    stop.add_argument("pid", type=int)
    base = commands.add_parser(
        "base-image",
        help="make python:<version>-slim available; print the DOCKER_BASE_IMAGE to build with (or nothing)",
    )
    base.add_argument("python_version")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            pid = start_engine()
            if pid is not None:
                sys.stdout.write(f"{pid}\n")
        elif args.command == "stop":
            stop_engine(args.pid)
        else:
            sys.stdout.write(f"{base_image_override(args.python_version)}\n")
    except (EngineError, subprocess.CalledProcessError) as error:
        sys.stderr.write(f"error: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
