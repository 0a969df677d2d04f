"""The certificate as a picture, for emails: the voucher's own PDF page rasterized by PDFium,
so what the email shows is exactly what prints.

Pictures are kept in the PDF cache (`pdf_cache.py`), named by a hash of the PDF
they come from and how it is cut, so a receipt and the voucher's delivery email
rasterize it once, and a changed certificate gets a new picture.
"""
import hashlib
import importlib.metadata
import io
import os
import threading

import pypdfium2
from flask import current_app

from giftshop.models import Voucher
from giftshop.vouchers import pdf_cache
from giftshop.vouchers.pdf import voucher_pdf

WIDTH_PX = 600  # an email column; phones scale it down to fit
MAX_PICTURES = 10  # per email: a receipt for many vouchers shows the first ten
LETTER_WIDTH_PT = 612
# Most of the page margin (0.7in sides, 0.6in top and bottom) is cut away: the picture
# is the certificate's border and what is inside it. Left, bottom, right, top, in points.
CROP_PT = (42, 35, 42, 35)
# PDFium is not thread-safe: one rendering at a time per process.
_pdfium_lock = threading.Lock()
# In the cache key: another PDFium or Pillow may draw or encode the picture differently.
_RENDERER = " ".join(importlib.metadata.version(p) for p in ("pypdfium2", "pillow"))


def picture_cid(code: str) -> str:
    """The Content-ID an email's HTML names (`cid:…`) for this voucher's picture."""
    return f"certificate-{code}@giftshop"


def voucher_png(voucher: Voucher, *, use_cache: bool = True) -> bytes:
    """The voucher's one-page PDF as a PNG, WIDTH_PX wide."""
    data = voucher_pdf(voucher, use_cache=use_cache)
    path = _cache_path(data) if use_cache else None
    if path is not None and (cached := pdf_cache.read(path)) is not None:
        return cached
    png = pdf_to_png(data)
    if path is not None:
        pdf_cache.write(path, png, max_bytes=int(current_app.config["PDF_CACHE_MAX_MB"] * 1024 * 1024))
    return png


def pdf_to_png(data: bytes) -> bytes:
    """The first page of a PDF, cropped to the certificate, as PNG bytes.

    zlib at its default level: `optimize=True` took ~80 ms a picture for 2% fewer bytes.
    """
    with _pdfium_lock:
        document = pypdfium2.PdfDocument(data)
        try:
            scale = WIDTH_PX / (LETTER_WIDTH_PT - CROP_PT[0] - CROP_PT[2])
            image = document[0].render(scale=scale, crop=CROP_PT).to_pil()
        finally:
            document.close()
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG")
    return out.getvalue()


def _cache_path(pdf: bytes) -> str:
    digest = hashlib.sha256(f"png {WIDTH_PX} {CROP_PT} {_RENDERER}\0".encode())
    digest.update(pdf)
    key = digest.hexdigest()
    return os.path.join(current_app.config["PDF_CACHE_DIR"], key[:2], key + ".png")
