"""Reading a file a person made (answers, a class list, a key): bounded in size, UTF-8, one clear line if not."""

from __future__ import annotations

import os

from ..errors import InvalidValueError

__all__ = ["read_text"]


def read_text(path: str, max_bytes: int) -> str:
    """The text of ``path``; ``InvalidValueError`` naming it if it is missing, larger than ``max_bytes`` or not UTF-8.

    A byte-order mark (as spreadsheets write) is dropped.
    """
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            raise InvalidValueError(f"{path!r} is {size} bytes; allowed: at most {max_bytes}")
        with open(path, encoding="utf-8-sig", newline="") as f:
            return f.read()
    except UnicodeDecodeError:
        raise InvalidValueError(f"{path!r} is not UTF-8 text") from None
    except IsADirectoryError:
        raise InvalidValueError(f"cannot read {path!r}: it is a folder") from None
    except OSError as exc:
        raise InvalidValueError(f"cannot read {path!r}: {exc.strerror or exc}") from None
