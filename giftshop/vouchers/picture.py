"""The certificate as a picture, for emails: the voucher's own PDF page rasterized by PDFium,
so what the email shows is exactly what prints."""
import io
import threading

import pypdfium2

from giftshop.models import Voucher
from giftshop.vouchers.pdf import voucher_pdf

WIDTH_PX = 600  # an email column; phones scale it down to fit
MAX_PICTURES = 10  # per email: a receipt for many vouchers shows the first ten
LETTER_WIDTH_PT = 612
# Most of the page margin (0.7in sides, 0.6in top and bottom) is cut away: the picture
# is the certificate's border and what is inside it. Left, bottom, right, top, in points.
CROP_PT = (42, 35, 42, 35)
# PDFium is not thread-safe: one rendering at a time per process.
_pdfium_lock = threading.Lock()


def picture_cid(code: str) -> str:
    """The Content-ID an email's HTML names (`cid:…`) for this voucher's picture."""
    return f"certificate-{code}@giftshop"


def voucher_png(voucher: Voucher, *, use_cache: bool = True) -> bytes:
    """The voucher's one-page PDF as a PNG, WIDTH_PX wide."""
    data = voucher_pdf(voucher, use_cache=use_cache)
    with _pdfium_lock:
        document = pypdfium2.PdfDocument(data)
        try:
            scale = WIDTH_PX / (LETTER_WIDTH_PT - CROP_PT[0] - CROP_PT[2])
            image = document[0].render(scale=scale, crop=CROP_PT).to_pil()
        finally:
            document.close()
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()
