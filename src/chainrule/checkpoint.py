"""Checkpoints: named arrays plus a little JSON, in one ``.npz`` file, never pickled.

A pickle can run any code when it is loaded, so a checkpoint received from
someone else would be a program. Here a checkpoint is a plain numpy
``.npz`` (a zip of ``.npy`` arrays) read with ``allow_pickle=False``; the
metadata (settings, epoch, history) is JSON text stored as a byte array
under the reserved name ``__meta__``.

Writing is atomic: the file is written under a temporary name in the same
folder, flushed to disk, then renamed over the target. A crash half-way
leaves the old checkpoint intact, never a truncated one.
"""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np

from .errors import InvalidValueError

__all__ = ["save_checkpoint", "load_checkpoint", "FORMAT", "VERSION"]

FORMAT = "chainrule-checkpoint"
VERSION = 1
_META = "__meta__"


def save_checkpoint(path: str | os.PathLike, arrays: dict[str, np.ndarray], meta: dict) -> None:
    """Write ``arrays`` (name -> numeric ndarray) and ``meta`` (JSON-able dict) to ``path`` atomically."""
    path = os.fspath(path)
    for name, arr in arrays.items():
        if name.startswith("__") or "/" in name:
            raise InvalidValueError(f"checkpoint: array name {name!r} is reserved or contains '/'")
        if np.asarray(arr).dtype.kind not in "biuf":
            raise InvalidValueError(f"checkpoint: array {name!r} has dtype {np.asarray(arr).dtype}; only numbers are stored")
    header = dict(meta, format=FORMAT, version=VERSION)
    payload = dict(arrays)
    payload[_META] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load_checkpoint(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict]:
    """Read a checkpoint written by ``save_checkpoint``: (arrays, meta). Refuses anything else with one clear line."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise InvalidValueError(f"cannot read checkpoint {path!r}: no such file")
    if os.path.isdir(path):
        raise InvalidValueError(f"cannot read checkpoint {path!r}: it is a folder")
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:2] != b"PK":  # every .npz is a zip archive; numpy would guess "pickle" for anything else
        raise InvalidValueError(f"{path!r} is not a readable chainrule checkpoint (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as z:
            if not isinstance(z, np.lib.npyio.NpzFile):
                raise InvalidValueError(f"{path!r} is not a chainrule checkpoint (a single .npy array, not an .npz archive)")
            if _META not in z.files:
                raise InvalidValueError(f"{path!r} is not a chainrule checkpoint (no {_META} entry)")
            meta = json.loads(bytes(z[_META]).decode("utf-8"))
            arrays = {name: z[name] for name in z.files if name != _META}
    except InvalidValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged zip raises many kinds (BadZipFile, NotImplementedError,
        # RuntimeError "encrypted", zlib.error, MemoryError for a header claiming petabytes, tokenize.TokenError...):
        # all mean "not readable". Nothing is executed either way: pickle is off.
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidValueError(f"{path!r} is not a readable chainrule checkpoint ({reason})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise InvalidValueError(f"{path!r} is not a chainrule checkpoint (format {meta.get('format') if isinstance(meta, dict) else None!r})")
    if meta.get("version") != VERSION:
        raise InvalidValueError(f"{path!r} is a chainrule checkpoint of version {meta.get('version')!r}; this chainrule reads version {VERSION}")
    return arrays, meta
