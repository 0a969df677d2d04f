"""QR codes for vouchers: the URL `{SHOP_BASE_URL}/v/{CODE}`, as SVG.

Error correction M (15 % of the symbol may be smudged or folded away) and the full
4-module quiet zone the QR spec asks for, so phone cameras and desk scanners read
a printed voucher reliably. The QR holds only the URL: no personal data.
"""
import base64
from functools import lru_cache

import qrcode
import qrcode.image.svg
from flask import current_app

ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QUIET_ZONE = 4


def voucher_url(code: str, base_url: str | None = None) -> str:
    """The holder's page for a stored (normalized) code: what the QR encodes."""
    base = (base_url or current_app.config["SHOP_BASE_URL"]).rstrip("/")
    return f"{base}/v/{code}"


@lru_cache(maxsize=512)
def _svg_for(data: str) -> str:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE,
                       image_factory=qrcode.image.svg.SvgPathFillImage)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.make_image().to_string(encoding="unicode")


def qr_svg(code: str, base_url: str | None = None) -> str:
    """An `<svg>` element (no XML declaration) to inline in a page; white background."""
    svg = _svg_for(voucher_url(code, base_url))
    if svg.startswith("<?xml"):
        svg = svg.split("?>", 1)[1].lstrip()
    return svg


def qr_data_uri(code: str, base_url: str | None = None) -> str:
    """The same SVG as a `data:` URI, for the PDF renderer's `<img>`."""
    svg = _svg_for(voucher_url(code, base_url)).encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
