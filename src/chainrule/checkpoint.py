"""Checkpoints: named arrays plus a little JSON, in one ``.npz`` file, never pickled, read within bounds.

A pickle can run any code when it is loaded, so a checkpoint received from
someone else would be a program. Here a checkpoint is a plain numpy
``.npz`` (a zip of ``.npy`` arrays) read with ``allow_pickle=False``; the
metadata (settings, epoch, history) is JSON text stored as a byte array
under the reserved name ``__meta__``.

Reading is bounded by what the file can honestly hold, in the spirit of
safetensors, which checks its header and every offset against the file
length before it reads anything. ``CheckpointReader`` looks only at the
zip's directory and each member's ``.npy`` header before it inflates a
single array:

* only a regular file is opened (``files.open_regular``, the rule every file
  a person names meets: a named pipe would block forever, a device never
  ends); at most ``MAX_MEMBERS`` members, each named once, none
  encrypted, each stored or deflated;
* every member's bytes lie inside the file, before the directory, and no
  two members share bytes (an "overlapping" zip bomb reuses one compressed
  stream for many members);
* a member's uncompressed size (from the directory) is exactly its ``.npy``
  header plus shape × itemsize, and a deflated member claims at most
  ``MAX_DEFLATE_RATIO`` times its compressed size (deflate cannot do
  better), so the arrays of a file of S bytes inflate to at most
  1032 · S bytes, and to at most S bytes when stored (as chainrule writes
  them);
* the caller then states what the declared network needs (``expect``) and
  each member is capped by that before it is inflated;
* the metadata member is at most ``MAX_META_BYTES``.

Writing is atomic: the file is written under a temporary name in the same
folder, flushed to disk, then renamed over the target. A crash half-way
leaves the old checkpoint intact, never a truncated one. The writer holds
an exclusive lock (``flock``) on its temporary file while it writes; after a
successful save, the temporaries of the same checkpoint that nobody holds
(left by a killed save) are removed.
"""

from __future__ import annotations

import json
import os
import re
import stat
import struct
import tempfile
import zipfile
from dataclasses import dataclass

import numpy as np

from .errors import InvalidValueError
from .files import open_regular

try:  # POSIX; elsewhere temporaries are not locked and stale ones are left alone
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

__all__ = ["save_checkpoint", "load_checkpoint", "CheckpointReader", "Member", "FORMAT", "VERSION",
           "MAX_MEMBERS", "MAX_META_BYTES", "MAX_DEFLATE_RATIO", "DEFAULT_MAX_BYTES"]

FORMAT = "chainrule-checkpoint"
VERSION = 2          # 2: the learning-rate schedule, the weight average and each epoch's lr (1 is still read)
READS_VERSIONS = (1, 2)
_META = "__meta__"

MAX_MEMBERS = 1024               # arrays in one checkpoint (a training run has fewer than 100)
MAX_META_BYTES = 32 * 2**20      # the JSON metadata (100,000 epochs of history take about 20 MB)
MAX_DEFLATE_RATIO = 1032         # deflate's best: 258 bytes from 2 bits; a larger claim is a lie
DEFAULT_MAX_BYTES = 2**30        # load_checkpoint's cap on all arrays together, when the caller knows no better
_MAX_NPY_HEADER = 10_000         # numpy's own limit on a .npy header
_EOCD = struct.Struct("<4s4H2LH")  # the zip's end-of-central-directory record
_LOCAL = struct.Struct("<4s5H3L2H")  # a member's local header


# ---------------------------------------------------------------- writing
def _temporaries(folder: str, base: str):
    pattern = re.compile(r"\." + re.escape(base) + r"\.[A-Za-z0-9_]{8}\.tmp")  # tempfile.mkstemp's names below
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if pattern.fullmatch(name):
            yield os.path.join(folder, name)


def _remove_stale_temporaries(folder: str, base: str, keep: str | None = None) -> None:
    """Remove ``.BASE.XXXXXXXX.tmp`` files that no live save holds (a killed save's debris)."""
    if fcntl is None:
        return
    for tmp in _temporaries(folder, base):
        if tmp == keep:
            continue
        try:
            fd = os.open(tmp, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue  # gone already, or a symbolic link: not ours
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a save in progress holds it
            try:
                os.unlink(tmp)
            except OSError:
                pass
        finally:
            os.close(fd)


def _locked_temporary(folder: str, base: str) -> tuple[int, str]:
    """A new temporary file beside the target, created and locked by us (retried if a cleaner got there first)."""
    for _ in range(100):
        fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + base + ".", suffix=".tmp")
        if fcntl is None:
            return fd, tmp
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:  # between mkstemp and flock another save's cleanup may have removed it: then make another
            if os.stat(tmp).st_ino == os.fstat(fd).st_ino:
                return fd, tmp
        except FileNotFoundError:
            pass
        os.close(fd)
    raise OSError(f"cannot create a temporary file in {folder!r}")  # pragma: no cover


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
    base = os.path.basename(path)
    fd, tmp = _locked_temporary(folder, base)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **payload)
            f.flush()
            os.fsync(f.fileno())
            os.replace(tmp, path)  # still locked: no cleanup can take it for debris
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _remove_stale_temporaries(folder, base)


# ---------------------------------------------------------------- reading
@dataclass(frozen=True)
class Member:
    """One array of the archive as its directory and ``.npy`` header describe it (nothing inflated yet)."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    size: int              # uncompressed bytes, header included (from the zip directory)
    compressed: int        # bytes in the file

    @property
    def count(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


def _unreadable(path: str, reason: str) -> InvalidValueError:
    return InvalidValueError(f"{path!r} is not a readable chainrule checkpoint ({reason})")


def _directory_size(f, path: str, length: int) -> tuple[int, int]:
    """(entries, offset of the central directory) from the end record, refusing archives too big to list."""
    tail = min(length, _EOCD.size + 65535)
    f.seek(length - tail)
    data = f.read(tail)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or len(data) - at < _EOCD.size:
        raise _unreadable(path, "no zip directory")
    _, disk, cd_disk, here, entries, cd_size, cd_offset, _ = _EOCD.unpack_from(data, at)
    if 0xFFFF in (here, entries) or 0xFFFFFFFF in (cd_size, cd_offset):
        raise _unreadable(path, "a zip64 archive; a checkpoint never needs one")
    if disk or cd_disk or here != entries:
        raise _unreadable(path, "a multi-disk zip archive")
    if entries > MAX_MEMBERS + 1:
        raise _unreadable(path, f"{entries} members; at most {MAX_MEMBERS} arrays are read")
    end = length - tail + at
    if cd_offset + cd_size > end:
        raise _unreadable(path, "its zip directory lies outside the file")
    return entries, cd_offset


class CheckpointReader:
    """A checkpoint opened for reading within bounds: its directory and metadata checked, no array inflated yet.

    >>> with CheckpointReader("run.npz") as ck:      # doctest: +SKIP
    ...     ck.meta, ck.members                      # the JSON, and name -> Member (shape, dtype, sizes)
    ...     ck.expect({"w": 1000})                   # refuse unless each member holds at most these elements
    ...     arrays = ck.read_all()

    Any problem is an ``InvalidValueError`` of one line naming the file.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        self._file = open_regular(self.path, "checkpoint")
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "CheckpointReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        z = getattr(self, "_zip", None)
        if z is not None:
            z.close()
        self._file.close()

    # ------------------------------------------------------------ directory
    def _open(self) -> None:
        f, path = self._file, self.path
        length = os.fstat(f.fileno()).st_size
        head = f.read(4)
        if head[:2] != b"PK":  # every .npz is a zip archive; numpy would guess "pickle" for anything else
            if head[:4] == b"\x93NUM":
                raise InvalidValueError(f"{path!r} is not a chainrule checkpoint (a single .npy array, not an .npz archive)")
            raise _unreadable(path, "not an .npz archive")
        _, cd_offset = _directory_size(f, path, length)
        try:
            self._zip = zipfile.ZipFile(f)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError, EOFError,
                struct.error) as exc:
            raise _unreadable(path, _reason(exc)) from None
        names = [i.filename for i in infos]
        seen = set()
        for name in names:
            if name in seen:
                raise _unreadable(path, f"the member {name!r} appears twice; which one is meant is not clear")
            seen.add(name)
        # every member's bytes inside the file, before the directory, sharing no byte with another
        spans = []
        for info in infos:
            if not info.filename.endswith(".npy") or "/" in info.filename[:-4] or not info.filename[:-4]:
                raise _unreadable(path, f"the member {info.filename!r} is not an array (.npy)")
            if info.flag_bits & 0x1:
                raise _unreadable(path, f"the member {info.filename!r} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _unreadable(path, f"the member {info.filename!r} uses compression method {info.compress_type}; "
                                        "only stored and deflated members are read")
            f.seek(info.header_offset)
            local = f.read(_LOCAL.size)
            if len(local) < _LOCAL.size or local[:4] != b"PK\x03\x04":
                raise _unreadable(path, f"the member {info.filename!r} has no local header where the directory says")
            name_len, extra_len = _LOCAL.unpack(local)[-2:]
            start = info.header_offset + _LOCAL.size + name_len + extra_len
            spans.append((start, start + info.compress_size, info.filename))
            if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
                raise _unreadable(path, f"the stored member {info.filename!r} claims {info.file_size} bytes "
                                        f"in {info.compress_size}")
            if info.file_size > MAX_DEFLATE_RATIO * info.compress_size + 64:
                raise _unreadable(path, f"the member {info.filename!r} claims {info.file_size} bytes from "
                                        f"{info.compress_size} compressed; deflate cannot expand that much")
        spans.sort()
        previous_end, previous = 0, None
        for start, end, name in spans:
            if end > cd_offset:
                raise _unreadable(path, f"the member {name!r} runs past the end of the data")
            if start < previous_end:
                raise _unreadable(path, f"the members {previous!r} and {name!r} share bytes")
            previous_end, previous = end, name
        self._infos = {i.filename[:-4]: i for i in infos}
        if _META not in self._infos:
            raise InvalidValueError(f"{path!r} is not a chainrule checkpoint (no {_META} entry)")
        self.members: dict[str, Member] = {name: self._header(name) for name in self._infos}
        self.file_size = length
        meta_member = self.members.pop(_META)
        if meta_member.dtype != np.uint8 or len(meta_member.shape) != 1:
            raise _unreadable(path, f"its {_META} entry is {meta_member.dtype}{list(meta_member.shape)}, not bytes")
        if meta_member.count > MAX_META_BYTES:
            raise _unreadable(path, f"its metadata is {meta_member.count} bytes; at most {MAX_META_BYTES} are read")
        raw = self._inflate(_META)
        try:
            meta = json.loads(raw.tobytes().decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise _unreadable(path, f"its metadata is not JSON: {_reason(exc)}") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise InvalidValueError(
                f"{path!r} is not a chainrule checkpoint (format {meta.get('format') if isinstance(meta, dict) else None!r})")
        if meta.get("version") not in READS_VERSIONS:
            raise InvalidValueError(f"{path!r} is a chainrule checkpoint of version {meta.get('version')!r}; "
                                    f"this chainrule reads versions {', '.join(map(str, READS_VERSIONS))}")
        self.meta = meta

    def _header(self, name: str) -> Member:
        """Read one member's .npy header (a few hundred bytes, however large the array) and check it."""
        info = self._infos[name]
        try:
            with self._zip.open(info) as m:
                version = np.lib.format.read_magic(m)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(m, max_header_size=_MAX_NPY_HEADER)
                elif version in ((2, 0), (3, 0)):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(m, max_header_size=_MAX_NPY_HEADER)
                else:
                    raise ValueError(f"unknown .npy format version {version}")
                offset = m.tell()
        except InvalidValueError:
            raise
        except Exception as exc:  # noqa: BLE001 - zlib.error, BadZipFile, ValueError, SyntaxError from the header ...
            raise _unreadable(self.path, f"the member {name!r}: {_reason(exc)}") from None
        if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None or dtype.kind not in "biuf":
            raise _unreadable(self.path, f"the member {name!r} has dtype {dtype}; only plain numbers are read")
        if dtype.byteorder == ">" or (dtype.byteorder == "=" and not np.little_endian):
            raise _unreadable(self.path, f"the member {name!r} is big-endian ({dtype.str}); checkpoints are little-endian")
        if fortran and len(shape) > 1:
            raise _unreadable(self.path, f"the member {name!r} is stored in Fortran order; chainrule writes C order")
        count = 1
        for d in shape:
            count *= d
        if offset + count * dtype.itemsize != info.file_size:
            raise _unreadable(self.path, f"the member {name!r} declares {list(shape)} {dtype} "
                                         f"({count * dtype.itemsize} bytes) but holds {info.file_size - offset}")
        return Member(name, tuple(shape), np.dtype(dtype).newbyteorder("="), info.file_size, info.compress_size)

    # ---------------------------------------------------------------- reads
    def expect(self, limits: dict[str, int], what: str = "the declared network") -> None:
        """Refuse any member not in ``limits`` (name -> most elements allowed), before anything is inflated.

        The refusal does not name the file: the caller says what it was reading.
        """
        for name, member in self.members.items():
            if name not in limits:
                raise InvalidValueError(f"an unknown member {name!r} (not part of {what})")
            if member.count > limits[name]:
                raise InvalidValueError(f"the member {name!r} holds {member.count:,} numbers; {what} needs at most "
                                        f"{limits[name]:,}")

    def _inflate(self, name: str) -> np.ndarray:
        try:
            with self._zip.open(self._infos[name]) as m:
                array = np.lib.format.read_array(m, allow_pickle=False)
                if m.read(1):  # read to the end: this is where zipfile compares the CRC-32
                    raise ValueError("trailing bytes after the array")
        except Exception as exc:  # noqa: BLE001 - a damaged member raises many kinds (BadZipFile "Bad CRC-32",
            # zlib.error, EOFError, ValueError...): all mean "not readable". Nothing is executed: pickle is off.
            raise _unreadable(self.path, f"the member {name!r}: {_reason(exc)}") from None
        return array

    def read(self, name: str) -> np.ndarray:
        """One array, inflated (its size was checked against the directory when the file was opened)."""
        return self._inflate(name)

    def read_all(self) -> dict[str, np.ndarray]:
        return {name: self._inflate(name) for name in self.members}


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text or type(exc).__name__


def load_checkpoint(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[dict[str, np.ndarray], dict]:
    """Read a checkpoint written by ``save_checkpoint``: (arrays, meta). Refuses anything else with one clear line.

    The arrays together may inflate to at most ``max_bytes``; a training
    run's checkpoint is read by ``Trainer.resume``, which caps each array by
    what the network declared in the metadata needs.
    """
    with CheckpointReader(path) as ck:
        total = sum(m.count * m.dtype.itemsize for m in ck.members.values())
        if total > max_bytes:
            raise _unreadable(ck.path, f"its arrays hold {total} bytes; at most {max_bytes} are read")
        return ck.read_all(), ck.meta
