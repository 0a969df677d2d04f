"""QR codes for vouchers: the URL `{SHOP_BASE_URL}/v/{CODE}`, as SVG.

Error correction M (15 % of the symbol may be smudged or folded away) and the full
4-module quiet zone the QR spec asks for, so phone cameras and desk scanners read
a printed voucher reliably. The QR holds only the URL: no personal data.
"""
import base64
from functools import lru_cache

import qrcode
from flask import current_app

ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QUIET_ZONE = 4


def voucher_url(code: str, base_url: str | None = None) -> str:
    """The holder's page for a stored (normalized) code: what the QR encodes."""
    base = (base_url or current_app.config["SHOP_BASE_URL"]).rstrip("/")
    return f"{base}/v/{code}"


@lru_cache(maxsize=512)
def _svg_for(data: str) -> str:
    # qrcode does the encoding; the SVG is drawn here with one subpath per horizontal run
    # of dark modules instead of qrcode's one per module: 2-3x fewer path commands,
    # which is most of WeasyPrint's time spent on the QR.
    qr = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE)
    qr.add_data(data)
    qr.make(fit=True)
    matrix = qr.get_matrix()  # includes the quiet zone
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < size and row[x]:
                x += 1
            runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
            f'width="{size * 4}" height="{size * 4}" shape-rendering="crispEdges">'
            f'<rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path d="{"".join(runs)}" fill="#000"/></svg>')


def qr_svg(code: str, base_url: str | None = None) -> str:
    """An `<svg>` element (no XML declaration) to inline in a page; white background."""
    return _svg_for(voucher_url(code, base_url))


def qr_data_uri(code: str, base_url: str | None = None) -> str:
    """The same SVG as a `data:` URI, for the PDF renderer's `<img>`."""
    svg = _svg_for(voucher_url(code, base_url)).encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
