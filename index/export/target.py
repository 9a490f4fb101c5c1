"""Where an export may be written, checked before any work starts, and written all-or-nothing.

The same checks serve the command line and the UI, whose file names come from a form. Rules:
- the directory must already exist (a typo should not silently create a tree of directories);
- an existing export (data file or its manifest) is replaced only with `force`;
- a relative path may not contain `..`: relative paths are meant inside the working directory, and
  a name from the UI must not climb out of it; to write elsewhere give an absolute path;
- the target and its manifest, when they exist, must be regular files, even with `force`: the
  rename that puts an export in place would replace a device node, a FIFO or a socket with a file.
Data is written to a hidden temporary file beside the target and renamed into place only when
complete, so a failed or interrupted export never leaves a half file or destroys the old one.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from parallax.errors import ExportError

MANIFEST_SUFFIX = ".manifest.json"


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST_SUFFIX)


def check_output_path(path: str | os.PathLike, force: bool = False) -> Path:
    """The resolved target, or `ExportError` saying what is wrong with it and what to do."""
    text = os.fspath(path)
    if not text.strip():
        raise ExportError("the output path is empty; give a file name such as --output results.csv")
    target = Path(text).expanduser()
    if not target.is_absolute() and ".." in target.parts:
        raise ExportError(
            f"the output path {text!r} contains '..'; relative paths must stay inside the current "
            f"directory; give an absolute path to write elsewhere"
        )
    parent = target.parent
    if not parent.exists():
        raise ExportError(
            f"the directory {str(parent)!r} for the output {text!r} does not exist; "
            f"create it first (mkdir -p {parent}) or choose another path"
        )
    if not parent.is_dir():
        raise ExportError(f"{str(parent)!r} is a file, not a directory; choose another output path")
    if target.is_dir():
        raise ExportError(f"the output {text!r} is a directory; give a file name inside it")
    for existing in (target, manifest_path(target)):
        if existing.exists() and not existing.is_file():
            raise ExportError(
                f"{str(existing)!r} is not a regular file (a device, FIFO or socket); an export is "
                "written only as a regular file, even with --force: choose another path, or use "
                "--output - to write to standard output")
    if not force:
        for existing in (target, manifest_path(target)):
            if existing.exists():
                raise ExportError(
                    f"{str(existing)!r} already exists; pass --force to replace it or choose another path"
                )
    return target


@contextmanager
def atomic_file(target: Path, replace: bool = True) -> Iterator[BinaryIO]:
    """A binary file that becomes `target` only if the block completes without error.

    With `replace=False` a file that appeared at `target` meanwhile (another export) is not
    replaced either: the new file is linked into place, which fails if the name is taken.
    """
    try:
        handle = tempfile.NamedTemporaryFile(
            dir=target.parent, prefix=f".{target.name}.", suffix=".partial", delete=False)
    except OSError as exc:
        raise ExportError(f"cannot write in {str(target.parent)!r}: {exc.strerror}; "
                          f"choose a directory you can write to") from None
    try:
        with handle:
            yield handle
        os.chmod(handle.name, 0o644)  # temporary files are private; an export is an ordinary file
        if replace:
            os.replace(handle.name, target)
        else:
            try:
                os.link(handle.name, target)
            except FileExistsError:
                raise ExportError(f"{str(target)!r} appeared while exporting; pass --force to replace "
                                  f"it or choose another path") from None
            Path(handle.name).unlink()
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
