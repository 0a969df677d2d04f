"""Printable vouchers: one US-Letter page per voucher, rendered by WeasyPrint.

The renderer may load nothing the template did not name: its URL fetcher admits
only files inside the app's static folder and the `data:` URIs this module made
(the QR codes); every other request is refused and recorded. User text reaches
the page only through Jinja's autoescaping, so a message can never add a tag.

Each voucher is one US-Letter page whatever the accepted input: the page is rendered at
the normal sizes and, if a voucher ran over, again with that voucher's text one step
smaller (`fit-N` in voucher.css), until every voucher is one page. Short text costs one
rendering; the longest accepted input a few.

Rendered PDFs are cached on disk under `PDF_CACHE_DIR`, keyed by a hash of the
HTML (which holds everything printed), the stylesheet and the WeasyPrint version:
any edit to what is printed gives a new key, and stale files are never served.
The cache stays under `PDF_CACHE_MAX_MB` (see `pdf_cache.py`).
"""
import base64
import hashlib
import mimetypes
import os
import threading
from urllib.parse import unquote_to_bytes
from urllib.request import url2pathname

import weasyprint
from flask import Flask, current_app, render_template
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

from giftshop.practice import practice_info
from giftshop.models import Order, Voucher
from giftshop.vouchers import pdf_cache
from giftshop.vouchers.qr import qr_data_uri, voucher_url

TEMPLATE = "vouchers/voucher_pdf.html"
MAX_FIT = 4  # the last fit-N step in voucher.css
STYLESHEET = os.path.join("css", "voucher.css")
# One font configuration per process: building it scans the system fonts. Renders
# are serialized: Pango and fontconfig state is shared, and a render is ~60 ms.
_render_lock = threading.Lock()
_font_config: FontConfiguration | None = None


class RefusedURL(ValueError):
    """The PDF renderer asked for something outside the static folder."""


class StaticOnlyFetcher(URLFetcher):
    """Serves `file:` URLs inside `static_dir` and registered `data:` URIs; refuses the rest.

    `requested` lists every URL asked for, `refused` the ones turned away, so tests
    (and logs) can see exactly what a rendering tried to load.
    """

    def __init__(self, static_dir: str, **kwargs):
        super().__init__(allowed_protocols=("file", "data"), **kwargs)
        self.static_dir = os.path.realpath(static_dir)
        self.requested: list[str] = []
        self.refused: list[str] = []
        self._data_uris: set[str] = set()

    def allow(self, data_uri: str) -> None:
        """Admit one `data:` URI that this program generated."""
        self._data_uris.add(data_uri)

    def fetch(self, url, headers=None):
        self.requested.append(url)
        if url in self._data_uris:
            return self._data_response(url)
        path = self._static_path(url)
        if path is not None:
            with open(path, "rb") as handle:
                body = handle.read()
            content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": content_type})
        self.refused.append(url)
        raise RefusedURL(f"The voucher renderer loads only the shop's static files: {url!r}")

    def _static_path(self, url: str) -> str | None:
        if not url.startswith("file:"):
            return None
        path = os.path.realpath(url2pathname(url.split("?", 1)[0].split("#", 1)[0][5:]))
        inside = os.path.commonpath([path, self.static_dir]) == self.static_dir
        return path if inside and os.path.isfile(path) else None

    @staticmethod
    def _data_response(url: str) -> URLFetcherResponse:
        header, _, payload = url[5:].partition(",")
        media_type, *params = header.split(";")
        body = base64.b64decode(payload) if "base64" in params else unquote_to_bytes(payload)
        return URLFetcherResponse(url, body, {"Content-Type": media_type or "text/plain"})


def new_fetcher(app: Flask | None = None) -> StaticOnlyFetcher:
    return StaticOnlyFetcher((app or current_app).static_folder)


def voucher_html(vouchers: list[Voucher], fits: dict[str, int] | None = None) -> str:
    """The voucher page(s) as HTML (needs an app context, not a request).

    `fits` gives each voucher's text-size step by code (0, the normal sizes, by default).
    """
    config = current_app.config
    fits = fits or {}
    return render_template(
        TEMPLATE, vouchers=vouchers, practice=practice_info(config),
        fits={v.code: fits.get(v.code, 0) for v in vouchers},
        qr={v.code: qr_data_uri(v.code) for v in vouchers},
        urls={v.code: voucher_url(v.code) for v in vouchers},
    )


def _render(html: str, fetcher: StaticOnlyFetcher) -> weasyprint.Document:
    """Lay out HTML with `fetcher` as the only way to load anything; base URL is static/."""
    global _font_config
    base_url = path2url(fetcher.static_dir) + "/"
    with _render_lock:
        if _font_config is None:
            _font_config = FontConfiguration()
        return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
            font_config=_font_config)


def html_to_pdf(html: str, fetcher: StaticOnlyFetcher) -> bytes:
    """Render HTML as it is (no fitting) to PDF bytes."""
    document = _render(html, fetcher)
    with _render_lock:
        return document.write_pdf()


def _overflowing(document: weasyprint.Document, vouchers: list[Voucher]) -> list[str]:
    """Codes of the vouchers that took more than one page (each starts a page, anchored)."""
    first_page = {}
    for number, page in enumerate(document.pages):
        for anchor in page.anchors:
            first_page.setdefault(anchor, number)
    starts = [first_page.get(f"v-{v.code}", 0) for v in vouchers] + [len(document.pages)]
    return [v.code for v, start, end in zip(vouchers, starts, starts[1:]) if end - start > 1]


def fitted_pdf(vouchers: list[Voucher], fetcher: StaticOnlyFetcher) -> bytes:
    """The PDF with each voucher on exactly one page, its text as large as allows that.

    Steps only the vouchers that ran over, so a long message on one voucher leaves the
    others of the order at their normal sizes. At the last step the page is kept
    whatever it holds (the form's limits are tested to fit by then).
    """
    fits = {v.code: 0 for v in vouchers}
    while True:
        document = _render(voucher_html(vouchers, fits), fetcher)
        over = [code for code in _overflowing(document, vouchers) if fits[code] < MAX_FIT]
        if not over:
            break
        for code in over:
            fits[code] += 1
    with _render_lock:
        return document.write_pdf()


def render_pdf(vouchers: list[Voucher], *, fetcher: StaticOnlyFetcher | None = None,
               use_cache: bool = True) -> bytes:
    """The PDF for `vouchers` (one page each), from the disk cache when it is current.

    Pure function of what is printed; safe to call from several threads and
    processes (cache files are written to a temporary name, then renamed).
    """
    if not vouchers:
        raise ValueError("No vouchers to print.")
    html = voucher_html(vouchers)
    path = _cache_path(html) if use_cache else None
    if path is not None:
        cached = pdf_cache.read(path)
        if cached is not None:
            return cached
    fetcher = fetcher or new_fetcher()
    for voucher in vouchers:
        fetcher.allow(qr_data_uri(voucher.code))
    pdf = fitted_pdf(vouchers, fetcher)
    if path is not None:
        pdf_cache.write(path, pdf, max_bytes=int(current_app.config["PDF_CACHE_MAX_MB"] * 1024 * 1024))
    return pdf


def voucher_pdf(voucher: Voucher, **kwargs) -> bytes:
    """The holder's one-page PDF."""
    return render_pdf([voucher], **kwargs)


def order_pdf(order: Order, **kwargs) -> bytes:
    """One PDF with a page for each of the order's vouchers."""
    return render_pdf(list(order.vouchers), **kwargs)


def pdf_filename(voucher: Voucher) -> str:
    from giftshop.vouchers.codes import format_code

    return f"{format_code(voucher.code)}.pdf"


def _cache_path(html: str) -> str:
    digest = hashlib.sha256()
    digest.update(weasyprint.__version__.encode())
    digest.update(b"\0")
    with open(os.path.join(current_app.static_folder, STYLESHEET), "rb") as handle:
        digest.update(handle.read())
    digest.update(b"\0")
    digest.update(html.encode("utf-8"))
    key = digest.hexdigest()
    return os.path.join(current_app.config["PDF_CACHE_DIR"], key[:2], key + ".pdf")

