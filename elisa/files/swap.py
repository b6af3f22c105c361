"""Replace an output folder as a whole: written beside it, then swapped in with one rename.

`elisa run` owns its output folder. The new outputs are written into a hidden sibling folder
(``.NAME.elisa-staging-PID-XXXX``, same file system, so renames are atomic), flushed to disk, and
then exchanged with the old folder in one system call (Linux ``renameat2(RENAME_EXCHANGE)``,
macOS ``renamex_np(RENAME_SWAP)``): after a kill at any moment the folder is the old one or the
new one, never a mix. The old contents, left under the staging name, are deleted last. Where the
system has no exchange, the old folder is renamed aside first and the new one into place; a kill
between the two renames leaves no folder, and the next run puts the old one back.

Staging folders of processes that no longer exist are removed by the next run into the same
folder. A folder holding files that `elisa run` did not write is refused rather than swapped
away, so ``--out`` never takes a user's files (or the store) with it.
"""

from __future__ import annotations

import ctypes
import errno
import fnmatch
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from elisa.errors import ElisaError

STAGING_TAG = ".elisa-staging-"
ASIDE_TAG = ".elisa-old-"
#: Files flushed to disk at once (`sync_files`): the waits overlap on the disk.
SYNC_THREADS = 8
#: Staging folders of the earlier file-by-file writer, left inside the folder by killed runs.
LEGACY_STAGING_PREFIX = ".staging-"


class OutputError(ElisaError):
    """The outputs cannot be written (a full disk, no permission, a folder holding other files)."""


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _owner_pid(name: str, tag: str) -> int | None:
    """The process id in a staging or aside folder's name, None when the name has none."""
    try:
        return int(name.split(tag, 1)[1].split("-", 1)[0])
    except (IndexError, ValueError):
        return None


def _siblings(target: Path, tag: str) -> list[Path]:
    prefix = f".{target.name}{tag}"
    if not target.parent.is_dir():
        return []
    return sorted(p for p in target.parent.iterdir() if p.name.startswith(prefix))


def clean_stale(target: Path) -> None:
    """Remove what killed runs left beside ``target``: staging folders of dead processes, and
    (after a kill between the two renames of the fallback swap) put the old folder back."""
    target = target.resolve()
    asides = [p for p in _siblings(target, ASIDE_TAG) if not _alive(p, ASIDE_TAG)]
    if asides and not target.exists():
        newest = max(asides, key=lambda p: p.stat().st_mtime)
        os.rename(newest, target)
        asides.remove(newest)
    for path in [*asides, *(p for p in _siblings(target, STAGING_TAG) if not _alive(p))]:
        shutil.rmtree(path, ignore_errors=True)


def _alive(path: Path, tag: str = STAGING_TAG) -> bool:
    pid = _owner_pid(path.name, tag)
    return pid is not None and _process_alive(pid)


def _foreign(folder: Path, patterns: list[str], under: str = "") -> list[str]:
    """The paths in ``folder`` that match none of ``patterns`` (glob patterns of paths
    relative to the output folder; a subfolder is allowed when some pattern reaches into it
    and everything in it matches)."""
    foreign = []
    for path in sorted(folder.iterdir()):
        name = under + path.name
        if not under and path.name.startswith(LEGACY_STAGING_PREFIX):
            continue
        if path.is_dir() and not path.is_symlink():
            if any(p.startswith(name + "/") for p in patterns):
                foreign += _foreign(path, patterns, name + "/")
            else:
                foreign.append(name)
        elif not any(fnmatch.fnmatchcase(name, p) for p in patterns):
            foreign.append(name)
    return foreign


def check_output_folder(out: str | Path, names: Iterable[str]) -> Path:
    """Check ``out`` can be replaced by a folder of ``names`` (file names, or glob patterns of
    paths such as ``plates/plate-*.html``): absent, or a folder holding only such files (and
    leftovers of killed runs), in a parent that takes new folders. Returns the resolved folder;
    raises OutputError naming the problem."""
    target = Path(out).resolve()
    if target.exists() and not target.is_dir():
        raise OutputError("is not a folder (--out DIR)", file=out)
    if target.is_dir():
        foreign = _foreign(target, list(names))
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise OutputError(
                f"the output folder holds files 'elisa run' did not write ({shown}); it is "
                "replaced as a whole, so give a new or empty folder with --out",
                file=out,
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    Path(tempfile.mkdtemp(prefix=f".{target.name}.probe-", dir=target.parent)).rmdir()
    return target


def _folder_mode(target: Path) -> int:
    """The permissions the new folder takes: the old folder's, else the umask's default."""
    if target.is_dir():
        return target.stat().st_mode & 0o7777
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o777 & ~umask


def _fsync(path: Path) -> None:
    """Flush a file or folder to disk (best effort: some file systems refuse folders)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_new(path: Path, data: bytes) -> None:
    """Write a new file (flushed to disk afterwards, with the others: `sync_files`)."""
    with path.open("wb") as handle:
        handle.write(data)


def _sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_files(paths: list[Path]) -> None:
    """Flush written files to disk, several at once: fsync waits on the disk with the GIL
    released, and a large run writes a thousand pages (one after another, their fsyncs took
    seconds). Raises the first failure in ``paths`` order (a full disk can show only here)."""
    if not paths:
        return
    with ThreadPoolExecutor(min(SYNC_THREADS, len(paths))) as pool:
        failures = list(pool.map(_sync_failure, paths))
    for path, failure in zip(paths, failures, strict=True):
        if failure is not None:
            raise OSError(failure.errno, failure.strerror, str(path))


def _sync_failure(path: Path) -> OSError | None:
    try:
        _sync_file(path)
    except OSError as exc:
        return exc
    return None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one system call; False where the system or file system cannot."""
    libc = ctypes.CDLL(None, use_errno=True)
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        at_fdcwd, rename_exchange = -100, 2
        result = libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    elif sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        result = libc.renamex_np(os.fsencode(a), os.fsencode(b), 0x2)  # RENAME_SWAP
    else:
        return False
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


class StagedFolder:
    """A new output folder beside ``target``, not yet visible under its name: filled by `write`
    and `complete`.

    `swap_in` makes it the folder (the old one keeps the staging name), `undo` puts things back
    as they were, `finish` deletes the old contents. Used as: stage, swap in, commit whatever
    must agree with the folder, then finish — or undo when the commit fails.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        self.names: list[str] = []  # what it holds, once `complete`
        self.staging = Path(
            tempfile.mkdtemp(prefix=f".{target.name}{STAGING_TAG}{os.getpid()}-", dir=target.parent)
        )
        self.staging.chmod(_folder_mode(target))  # mkdtemp makes it private; keep the usual
        self.aside: Path | None = None  # the old folder, renamed aside by the fallback swap
        self.swapped = False
        self.had_old = False

    def write(self, files: dict[str, bytes]) -> list[str]:
        """Write ``files`` into the staged folder, flushed to disk, and return their names; a
        write error raises OutputError naming the file. A process forked from the run may write
        its share of the files too."""
        for name, data in files.items():
            path = self.staging / name
            try:
                if path.parent != self.staging and not path.parent.is_dir():
                    path.parent.mkdir(parents=True, exist_ok=True)
                write_new(path, data)
            except OSError as exc:
                raise _cannot_write(self.target, name, exc) from None
        try:
            sync_files([self.staging / name for name in files])
        except OSError as exc:
            name = Path(exc.filename).relative_to(self.staging).as_posix()
            raise _cannot_write(self.target, name, exc) from None
        return list(files)

    def complete(self, names: list[str]) -> None:
        """Record ``names`` (all `write` wrote, in their order) as the folder's files, and
        flush the folders that hold them."""
        self.names = list(names)
        for folder in {(self.staging / name).parent for name in names}:
            _fsync(folder)

    def swap_in(self) -> None:
        """Make the staged folder the target, in one rename where the system allows."""
        self.had_old = self.target.is_dir()
        if not self.had_old:
            os.rename(self.staging, self.target)
        elif not _exchange(self.staging, self.target):
            self.aside = self.staging.with_name(
                self.staging.name.replace(STAGING_TAG, ASIDE_TAG, 1)
            )
            os.rename(self.target, self.aside)
            os.rename(self.staging, self.target)
        self.swapped = True
        _fsync(self.target.parent)

    def undo(self) -> None:
        """Put the old folder back (or none, if there was none) and drop the staged one."""
        if self.swapped:
            if not self.had_old:
                os.rename(self.target, self.staging)
            elif self.aside is not None:
                os.rename(self.target, self.staging)
                os.rename(self.aside, self.target)
            else:
                _exchange(self.staging, self.target)
            self.swapped = False
        shutil.rmtree(self.staging, ignore_errors=True)

    def put_in_place(self) -> None:
        """`swap_in` then `finish` (`undo` when the swap fails): for a folder that nothing
        else, such as a store's commit, has to agree with."""
        try:
            self.swap_in()
        except BaseException:
            self.undo()
            raise
        self.finish()

    def finish(self) -> None:
        """Delete the old contents (after the swap) or the staged folder (without one)."""
        for path in (self.aside, self.staging):
            if path is not None:
                shutil.rmtree(path, ignore_errors=True)


def _cannot_write(target: Path, name: str, exc: OSError) -> OutputError:
    return OutputError(
        f"cannot write this output ({exc.strerror or exc}); nothing was changed",
        file=target / name,
    )


def open_staged_folder(out: str | Path, allowed: Iterable[str]) -> StagedFolder:
    """Clean what killed runs left beside ``out``, check it (it may hold ``allowed`` names
    only: file names or glob patterns) and make an empty staged folder beside it."""
    clean_stale(Path(out))
    return StagedFolder(check_output_folder(out, allowed))


def stage_folder(
    out: str | Path, files: dict[str, bytes], allowed: Iterable[str] = ()
) -> StagedFolder:
    """`open_staged_folder` with ``files`` written into it, flushed to disk; a write error
    raises OutputError naming the file (and leaves no staged folder)."""
    staged = open_staged_folder(out, [*files, *allowed])
    try:
        staged.complete(staged.write(files))
    except BaseException:
        staged.undo()
        raise
    return staged
