"""The PDF cache stays under PDF_CACHE_MAX_MB, evicting the least recently used files."""
import os
import time

import pytest

from giftshop.vouchers import pdf, pdf_cache
from tests.support.factories import printable_voucher

LIMIT_MB = 0.15


@pytest.fixture
def app_config():
    return {"PDF_CACHE_MAX_MB": LIMIT_MB}


def _cached_files(cache_dir):
    return {os.path.join(root, name) for root, _, files in os.walk(cache_dir)
            for name in files if name.endswith(".pdf")}


def test_the_pdf_cache_evicts_least_recently_used_files_past_its_limit(app):
    with app.app_context():
        cache_dir = app.config["PDF_CACHE_DIR"]
        limit = int(LIMIT_MB * 1024 * 1024)
        # Someone else's stale files already fill the cache past the limit.
        os.makedirs(os.path.join(cache_dir, "00"))
        stale = []
        for n in range(4):
            path = os.path.join(cache_dir, "00", f"{n:064x}.pdf")
            with open(path, "wb") as handle:
                handle.write(b"%PDF" + bytes(limit // 3))
            os.utime(path, (time.time() - 3600 + n, time.time() - 3600 + n))
            stale.append(path)
        assert pdf_cache.size_of(cache_dir) > limit

        favourite = printable_voucher(recipient_name="Read Often")
        favourite_pdf = pdf.voucher_pdf(favourite)
        assert pdf_cache.size_of(cache_dir) <= limit
        kept = [os.path.exists(p) for p in stale]
        assert kept == sorted(kept) and kept[:2] == [False, False]  # oldest went first

        (favourite_path,) = _cached_files(cache_dir) - set(stale)
        for n in range(12):
            os.utime(favourite_path, (time.time() - 600, time.time() - 600))
            pdf.voucher_pdf(printable_voucher(recipient_name=f"Holder {n}"))
            # Reading it again marks it used, so the newer but idle files go before it.
            assert pdf.voucher_pdf(favourite) == favourite_pdf
            assert pdf_cache.size_of(cache_dir) <= limit
        assert os.path.exists(favourite_path)
        assert len(_cached_files(cache_dir)) < 13  # older renders were evicted


def test_one_pdf_larger_than_the_limit_is_still_served_and_kept(app):
    with app.app_context():
        app.config["PDF_CACHE_MAX_MB"] = 0.000001
        voucher = printable_voucher()
        data = pdf.voucher_pdf(voucher)
        assert data.startswith(b"%PDF")
        assert len(_cached_files(app.config["PDF_CACHE_DIR"])) == 1


def test_an_email_picture_is_rasterized_once_and_counts_toward_the_limit(app):
    from giftshop.vouchers import picture

    with app.app_context():
        app.config["PDF_CACHE_MAX_MB"] = 50
        cache_dir = app.config["PDF_CACHE_DIR"]
        voucher = printable_voucher(recipient_name="Picture Once")
        png = picture.voucher_png(voucher)
        assert png.startswith(b"\x89PNG")
        (path,) = [os.path.join(root, name) for root, _, files in os.walk(cache_dir)
                   for name in files if name.endswith(".png")]
        with open(path, "rb") as handle:
            assert handle.read() == png
        assert pdf_cache.size_of(cache_dir) == sum(os.path.getsize(p) for p in
                                                   _cached_files(cache_dir) | {path})
        # The second email with this voucher reads the picture back: changed on disk,
        # the changed bytes come back, so nothing was rasterized again.
        with open(path, "wb") as handle:
            handle.write(b"\x89PNG cached")
        assert picture.voucher_png(voucher) == b"\x89PNG cached"
        assert picture.voucher_png(voucher, use_cache=False) == png
        # A different certificate gets its own picture.
        other = printable_voucher(recipient_name="Someone Else")
        assert picture.voucher_png(other) != png
        # Past the limit, pictures are evicted like PDFs.
        app.config["PDF_CACHE_MAX_MB"] = LIMIT_MB
        pdf_cache.evict(cache_dir, int(LIMIT_MB * 1024 * 1024))
        assert pdf_cache.size_of(cache_dir) <= int(LIMIT_MB * 1024 * 1024)
