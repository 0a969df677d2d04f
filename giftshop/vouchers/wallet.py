"""Apple Wallet store-card passes for vouchers (`/v/<code>.pkpass`).

A pass is a zip of `pass.json`, its images, `manifest.json` (the SHA-1 of every other
file) and `signature`: a detached PKCS#7 signature of the manifest by the pass type
certificate (`PASSKIT_CERT`/`PASSKIT_KEY`), carrying Apple's WWDR intermediate
(`PASSKIT_WWDR`). The barcode is the voucher URL, like the printed QR.

The pass is built from the voucher as it is now, so every ledger entry (a redemption, a
reversal...) changes its content: the balance, and "Updated" with the entry's time. Passes
already in a phone refresh only when the holder downloads again: Apple's push web service
(`webServiceURL`, device registrations, APNs) is not built yet.
"""
import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from datetime import datetime, time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from flask import current_app
from sqlalchemy import func, select

from config import PASSKIT_SETTINGS
from giftshop.practice import practice_info
from giftshop.errors import DomainError
from giftshop.extensions import db
from giftshop.models import LedgerEntry, Voucher
from giftshop.vouchers.codes import format_code
from giftshop.vouchers.lookup import gratuity_text, remaining_text, status_text
from giftshop.vouchers.qr import voucher_url
from giftshop.localtime import LOCAL_TZ, local_date
from giftshop.money import money
from giftshop.models.vocab import CLOSED_VOUCHER_STATUSES, GratuityStatus

MIMETYPE = "application/vnd.apple.pkpass"
IMAGES = ("icon.png", "icon@2x.png", "icon@3x.png", "logo.png", "logo@2x.png")


class WalletUnavailable(DomainError):
    code, status = "wallet_unavailable", 503


@dataclass(frozen=True)
class Signer:
    certificate: x509.Certificate
    key: object
    wwdr: x509.Certificate


def missing_settings(config) -> list[str]:
    """The PASSKIT_* settings still unset when some are set (all or none make sense)."""
    unset = [name for name in PASSKIT_SETTINGS if not config.get(name)]
    return unset if len(unset) < len(PASSKIT_SETTINGS) else []


def is_configured(config=None) -> bool:
    config = config if config is not None else current_app.config
    return all(config.get(name) for name in PASSKIT_SETTINGS)


def pass_url(code: str) -> str | None:
    """Where the holder gets the pass; None when passes are not set up (no button then)."""
    return voucher_url(code) + ".pkpass" if is_configured() else None


def last_change(voucher: Voucher) -> datetime:
    """When the voucher's value or state last changed: its latest ledger entry."""
    latest = db.session.scalar(
        select(func.max(LedgerEntry.created_at)).where(LedgerEntry.voucher_id == voucher.id))
    return latest or voucher.created_at


def pass_json(voucher: Voucher, config, updated: datetime) -> dict:
    """The pass's content: what the holder's phone shows, front and back."""
    practice = practice_info(config)
    expires = voucher.promotional and voucher.expires_on
    url = voucher_url(voucher.code, config["SHOP_BASE_URL"])
    barcode = {"format": "PKBarcodeFormatQR", "message": url, "messageEncoding": "iso-8859-1",
               "altText": format_code(voucher.code)}
    content = {
        "formatVersion": 1,
        "passTypeIdentifier": config["PASSKIT_PASS_TYPE_ID"],
        "teamIdentifier": config["PASSKIT_TEAM_ID"],
        "serialNumber": voucher.code,
        "organizationName": practice["name"],
        "description": f"{practice['name']}: {voucher.title}",
        "logoText": practice["name"],
        "foregroundColor": "rgb(255, 255, 255)",
        "backgroundColor": "rgb(47, 93, 80)",
        "labelColor": "rgb(214, 232, 225)",
        "barcodes": [barcode],
        "barcode": barcode,  # iOS 8 and older read only this one
        "storeCard": {
            "primaryFields": [{
                "key": "remaining", "label": "BALANCE" if voucher.is_money else "SESSIONS LEFT",
                "value": _primary_value(voucher), "changeMessage": "Now %@",
            }],
            "secondaryFields": [{"key": "title", "label": "VOUCHER", "value": voucher.title}],
            "auxiliaryFields": [
                {"key": "status", "label": "STATUS", "value": status_text(voucher)},
                {"key": "expires", "label": "EXPIRES ON" if expires else "EXPIRY",
                 "value": local_date(voucher.expires_on).upper() if expires
                 else "No expiration · no fees"},
            ],
            "backFields": [
                {"key": "remaining_full", "label": "Remaining", "value": remaining_text(voucher)},
                *([{"key": "gratuity", "label": "Gratuity",
                    "value": _gratuity_value(voucher)}] if voucher.gratuity_cents else []),
                {"key": "code", "label": "Code", "value": format_code(voucher.code)},
                {"key": "book", "label": "Book", "value": practice["phone"]},
                {"key": "address", "label": "Address", "value": practice["address"]},
                {"key": "hours", "label": "Hours", "value": practice["hours"]},
                {"key": "check", "label": "Balance and history", "value": url},
                # A date field: Wallet shows it in the phone's own locale.
                {"key": "updated", "label": "Updated", "value": pass_time(updated),
                 "dateStyle": "PKDateStyleMedium", "timeStyle": "PKDateStyleShort",
                 "changeMessage": "Voucher updated %@"},
                {"key": "license", "label": "License", "value": practice["license"]},
            ],
        },
    }
    if expires:
        # The end of the printed day, in the practice's time zone.
        content["expirationDate"] = datetime.combine(
            voucher.expires_on, time(23, 59, 59), LOCAL_TZ).isoformat()
    if voucher.status in CLOSED_VOUCHER_STATUSES:
        content["voided"] = True
    return content


def pass_time(moment: datetime) -> str:
    """A stored UTC time as Wallet's W3C date-time, in the practice's time zone."""
    return moment.astimezone(LOCAL_TZ).isoformat(timespec="seconds")


def _gratuity_value(voucher: Voucher) -> str:
    """Prepaid with the gift, outside its balance: given to the therapist at the first
    session (or returned with a refund)."""
    line = gratuity_text(voucher.gratuity_cents)
    match voucher.gratuity_status:
        case GratuityStatus.PAID:
            return f"{line}. Given to your therapist at your first visit."
        case GratuityStatus.REFUNDED:
            return f"{line}. Refunded to the buyer."
        case _:
            return f"{line}. It goes to your therapist at your first visit and is not part " \
                "of the balance."


def _primary_value(voucher: Voucher) -> str:
    if voucher.is_money:
        return money(voucher.remaining)
    return f"{voucher.remaining} of {voucher.initial}"


def load_signer(config) -> Signer:
    """The configured certificate, key and WWDR intermediate, read from their PEM files.

    Raises WalletUnavailable (logged with the cause) when a file is missing or unreadable,
    or the key does not belong to the certificate.
    """
    try:
        with open(config["PASSKIT_CERT"], "rb") as f:
            certificate = x509.load_pem_x509_certificate(f.read())
        with open(config["PASSKIT_WWDR"], "rb") as f:
            wwdr = x509.load_pem_x509_certificate(f.read())
        with open(config["PASSKIT_KEY"], "rb") as f:
            password = config.get("PASSKIT_KEY_PASSWORD") or None
            key = serialization.load_pem_private_key(
                f.read(), password=password.encode() if password else None)
    except (OSError, ValueError, TypeError) as exc:
        current_app.logger.error("Apple Wallet signing files unusable: %s", exc)
        raise WalletUnavailable("Wallet passes are briefly unavailable.") from exc
    if certificate.public_key() != key.public_key():
        current_app.logger.error("PASSKIT_KEY does not belong to PASSKIT_CERT")
        raise WalletUnavailable("Wallet passes are briefly unavailable.")
    return Signer(certificate, key, wwdr)


def sign_manifest(manifest: bytes, signer: Signer) -> bytes:
    """Detached PKCS#7 (DER) of the manifest, with the signing time and the WWDR chain."""
    return (pkcs7.PKCS7SignatureBuilder()
            .set_data(manifest)
            .add_signer(signer.certificate, signer.key, hashes.SHA256())
            .add_certificate(signer.wwdr)
            .sign(serialization.Encoding.DER,
                  [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]))


def build_pass(voucher: Voucher) -> tuple[bytes, datetime]:
    """The signed .pkpass for the voucher as it is now, and when it last changed.

    Reads only; raises WalletUnavailable when passes are not set up or cannot be signed.
    """
    config = current_app.config
    if not is_configured(config):
        raise WalletUnavailable("Wallet passes are not set up.", status=404, code="not_found")
    signer = load_signer(config)
    updated = last_change(voucher)
    files = {"pass.json": json.dumps(pass_json(voucher, config, updated), indent=2).encode()}
    image_dir = os.path.join(current_app.static_folder, "wallet")
    for name in IMAGES:
        with open(os.path.join(image_dir, name), "rb") as f:
            files[name] = f.read()
    manifest = json.dumps({name: hashlib.sha1(data).hexdigest()
                           for name, data in files.items()}, indent=2).encode()
    files["manifest.json"] = manifest
    files["signature"] = sign_manifest(manifest, signer)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue(), updated
