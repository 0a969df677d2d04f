"""Reading rendered PDFs back the way a person or a scanner would: poppler's text, page
count and page images, zxing for the QR codes; and the longest messages a certificate takes."""
import os
import subprocess

import zxingcpp
from PIL import Image

from giftshop.checkout.validation import MAX_MESSAGE

#: Messages at the length limit, in the widest and the hardest scripts to set.
MESSAGES = {
    "widest-latin": "W" * MAX_MESSAGE,
    "words": ("Happy birthday! Wishing you a relaxing, pain-free year ahead. " * 9)[:MAX_MESSAGE],
    "cjk": "生日快乐祝你健康平安" * (MAX_MESSAGE // 10),
    "emoji": "🎁💆‍♀️🌿" * (MAX_MESSAGE // 6),
    "line-per-character": "\n".join("W" * (MAX_MESSAGE // 2)),
    "hangul-and-arabic": ("생일 축하해요 عيد ميلاد سعيد " * 20)[:MAX_MESSAGE],
}


def pdf_text(data: bytes, tmp_path, *, layout: bool = True) -> str:
    """pdftotext's reading of the PDF (with `-layout` unless `layout` is False)."""
    path = tmp_path / "v.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", *(["-layout"] if layout else []), str(path), "-"],
                          check=True, capture_output=True, text=True).stdout


def page_count(data: bytes, tmp_path) -> int:
    """The number of pages, each checked to be US Letter."""
    path = tmp_path / "count.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    sizes = [line for line in info.splitlines() if line.startswith("Page size")]
    assert sizes and "612 x 792 pts (letter)" in sizes[0]
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def decode_qr_codes(data: bytes, tmp_path) -> list[str]:
    """The text of every QR code on the pages, rendered at 150 dpi."""
    path = tmp_path / "q.pdf"
    path.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(path), str(tmp_path / "page")], check=True)
    texts = []
    for png in sorted(p for p in os.listdir(tmp_path) if p.startswith("page") and p.endswith(".png")):
        texts += [r.text for r in zxingcpp.read_barcodes(Image.open(tmp_path / png))
                  if r.format == zxingcpp.BarcodeFormat.QRCode]
    return texts


def keep_for_a_person(data: bytes, tmp_path, name: str) -> None:
    """PNGs of the PDF in the folder VOUCHER_SCREENSHOTS names, for a person to look at."""
    if shots := os.environ.get("VOUCHER_SCREENSHOTS"):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(data)
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(path),
                        os.path.join(shots, name)], check=True)
