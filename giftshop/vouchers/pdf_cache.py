"""The rendered-PDF disk cache, kept under `PDF_CACHE_MAX_MB` by evicting least-recently-used files.

It also holds the certificate pictures the emails show (`.png`, see `picture.py`),
so a receipt and the delivery of the same voucher rasterize it once.

Files are named by a hash of everything printed (see `pdf.py`), so a hit is always
current. A hit refreshes the file's modification time: the mtime is the "last
used" clock, which survives restarts and is shared by every worker process.
After each write the cache is measured and the oldest files are removed until
it fits again; a file another process removes first is simply skipped. Losing a
cache file costs one re-render (~60 ms), never a voucher.
"""
import os
import tempfile

SUFFIXES = (".pdf", ".png")


def read(path: str) -> bytes | None:
    """The cached bytes at `path`, marking them used now; None on a miss."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    try:
        os.utime(path)
    except FileNotFoundError:
        pass  # evicted by another process between the read and the touch
    return data


def write(path: str, data: bytes, max_bytes: int) -> None:
    """Store `data` at `path` atomically (temporary name, then rename), then evict to fit."""
    _write_atomically(path, data)
    evict(os.path.dirname(os.path.dirname(path)), max_bytes, keep=path)


def evict(cache_dir: str, max_bytes: int, keep: str | None = None) -> list[str]:
    """Remove least-recently-used files until the cache holds at most `max_bytes`.

    `keep` (the file just written) is never removed, even if alone it exceeds
    the limit. Returns the paths removed.
    """
    entries = []
    for root, _dirs, files in os.walk(cache_dir):
        for name in files:
            if not name.endswith(SUFFIXES):
                continue
            path = os.path.join(root, name)
            try:
                stat = os.stat(path)
            except FileNotFoundError:
                continue
            entries.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in entries)
    removed = []
    for _mtime, size, path in sorted(entries):
        if total <= max_bytes:
            break
        if path == keep:
            continue
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        total -= size
        removed.append(path)
    return removed


def size_of(cache_dir: str) -> int:
    """Bytes held by the cached PDFs and pictures."""
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _dirs, files in os.walk(cache_dir)
               for name in files if name.endswith(SUFFIXES))


def _write_atomically(path: str, data: bytes) -> None:
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
