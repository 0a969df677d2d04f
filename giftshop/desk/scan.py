"""Reading QR codes from camera frames the desk page sends (zxing-cpp + Pillow)."""
import io

import zxingcpp
from PIL import Image, UnidentifiedImageError

from giftshop.errors import ValidationFailed

MAX_FRAME_BYTES = 2 * 1024 * 1024
MAX_FRAME_PIXELS = 4096 * 4096


def read_qr_texts(data: bytes) -> list[str]:
    """The texts of the QR codes visible in a JPEG/PNG frame (may be empty). Pure.

    Raises ValidationFailed (422) for anything that is not a small image.
    """
    if not data:
        raise ValidationFailed({"frame": "Send a camera frame (JPEG or PNG)."})
    if len(data) > MAX_FRAME_BYTES:
        raise ValidationFailed({"frame": "That frame is too large; send at most 2 MB."})
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_FRAME_PIXELS:
                raise ValidationFailed({"frame": "That frame has too many pixels."})
            image.load()
            frame = image.convert("L")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationFailed({"frame": "That is not a JPEG or PNG image."}) from None
    results = zxingcpp.read_barcodes(frame, formats=zxingcpp.BarcodeFormat.QRCode)
    return [r.text for r in results if r.valid and r.text]
