"""Apple Wallet store cards: signed per Apple's format with the configured certificate,
the voucher's QR inside, shown only when set up, and following every ledger change."""
import hashlib
import io
import json
import zipfile

import pytest
import qrcode
import zxingcpp
from cryptography.exceptions import InvalidSignature
from sqlalchemy import select

from config import TestConfig
from giftshop import create_app
from giftshop.desk import ledger
from giftshop.extensions import db
from giftshop.models import LedgerEntry, OutboxMessage
from giftshop.vouchers.codes import format_code
from giftshop.vouchers.delivery import queue_delivery
from giftshop.vouchers.wallet import pass_time
from tests.support.auth import OWNER_EMAIL, make_staff
from tests.support.factories import make_voucher
from tests.support.passkit import (PASS_TYPE_ID, TEAM_ID, make_chain, passkit_settings,
                                   verify_detached_signature)

IMAGES = {"icon.png", "icon@2x.png", "icon@3x.png", "logo.png", "logo@2x.png"}


@pytest.fixture(scope="session")
def chain(tmp_path_factory):
    return make_chain(tmp_path_factory.mktemp("passkit"))


@pytest.fixture
def app_config(chain):
    return passkit_settings(chain)


def fetch_pass(client, code) -> dict[str, bytes]:
    response = client.get(f"/v/{code}.pkpass")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/vnd.apple.pkpass"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{code}.pkpass"'
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def field(content: dict, key: str) -> dict:
    card = content["storeCard"]
    fields = [f for group in ("primaryFields", "secondaryFields", "auxiliaryFields", "backFields")
              for f in card.get(group, [])]
    (found,) = [f for f in fields if f["key"] == key]
    return found


def test_pass_manifest_lists_the_sha1_of_every_file(app, client):
    files = fetch_pass(client, make_voucher(app=app))
    manifest = json.loads(files["manifest.json"])
    assert set(files) == {"pass.json", "manifest.json", "signature"} | IMAGES
    assert set(manifest) == set(files) - {"manifest.json", "signature"}
    for name, digest in manifest.items():
        assert hashlib.sha1(files[name]).hexdigest() == digest, name


def test_pass_is_signed_detached_by_the_pass_certificate_with_the_wwdr_chain(app, client, chain):
    files = fetch_pass(client, make_voucher(app=app))
    signer = verify_detached_signature(files["signature"], files["manifest.json"], chain)
    assert signer == chain["leaf"]


def test_a_tampered_manifest_fails_the_signature_check(app, client, chain):
    files = fetch_pass(client, make_voucher(app=app))
    tampered = files["manifest.json"].replace(b'"pass.json": "', b'"pass.json": "0', 1)
    with pytest.raises(AssertionError):
        verify_detached_signature(files["signature"], tampered, chain)
    with pytest.raises(InvalidSignature):  # the signature itself, not only the digest
        verify_detached_signature(files["signature"][:-8] + bytes(8), files["manifest.json"],
                                  chain)


def test_pass_qr_decodes_to_the_voucher_page(app, client):
    code = make_voucher(app=app)
    content = json.loads(fetch_pass(client, code)["pass.json"])
    (barcode,) = content["barcodes"]
    assert barcode["format"] == "PKBarcodeFormatQR"
    assert barcode["altText"] == format_code(code)
    # Drawn and read back the way a scanner would see the phone's screen.
    image = qrcode.make(barcode["message"], border=4).get_image().convert("L")
    (decoded,) = zxingcpp.read_barcodes(image)
    assert decoded.text == f"http://shop.test/v/{code}"
    holder = client.get(decoded.text.removeprefix("http://shop.test"))
    assert holder.status_code == 200 and "$100.00 of $100.00" in holder.get_data(as_text=True)


def test_pass_shows_the_balance_and_the_practice(app, client):
    code = make_voucher("sessions", 4, value_cents=40_000, app=app)
    content = json.loads(fetch_pass(client, code)["pass.json"])
    assert (content["passTypeIdentifier"], content["teamIdentifier"]) == (PASS_TYPE_ID, TEAM_ID)
    assert content["serialNumber"] == code and content["formatVersion"] == 1
    assert field(content, "remaining") == {"key": "remaining", "label": "SESSIONS LEFT",
                                           "value": "4 of 4", "changeMessage": "Now %@"}
    assert field(content, "address")["value"] == \
        "1675 SW Marlow Ave, Suite 210F, Portland, OR 97225"
    assert field(content, "book")["value"] == "(971) 336-6028"
    assert field(content, "expires")["value"] == "No expiration · no fees"
    assert "expirationDate" not in content and "voided" not in content


def test_a_promotional_pass_carries_its_expiry(app, client):
    from datetime import date

    code = make_voucher(value_cents=0, promotional=True, expires_on=date(2031, 7, 1), app=app)
    content = json.loads(fetch_pass(client, code)["pass.json"])
    assert field(content, "expires") == {"key": "expires", "label": "EXPIRES ON",
                                         "value": "JULY 1, 2031"}
    assert content["expirationDate"] == "2031-07-01T23:59:59-07:00"  # Pacific daylight time


def test_a_redemption_changes_the_pass(app, client):
    code = make_voucher(app=app)
    before = fetch_pass(client, code)
    with app.app_context():
        ledger.redeem(code, staff=None, amount_cents=3_750)
        redeemed_at = db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == "redeem")).one().created_at
    after = fetch_pass(client, code)
    old, new = json.loads(before["pass.json"]), json.loads(after["pass.json"])
    assert (field(old, "remaining")["value"], field(new, "remaining")["value"]) == \
        ("$100.00", "$62.50")
    assert field(new, "updated")["value"] == pass_time(redeemed_at)  # the latest entry's time
    assert json.loads(after["manifest.json"])["pass.json"] != \
        json.loads(before["manifest.json"])["pass.json"]
    response = client.get(f"/v/{code}.pkpass")
    assert response.last_modified == redeemed_at.replace(microsecond=0)


def test_holder_page_and_email_offer_the_pass_when_set_up(app, client):
    code = make_voucher(app=app)
    page = client.get(f"/v/{code}").get_data(as_text=True)
    assert f'href="/v/{code}.pkpass"' in page and "Add to Apple Wallet" in page
    with app.app_context():
        from giftshop.models import Voucher

        message = queue_delivery(db.session.scalars(select(Voucher)).one())
        db.session.commit()
        assert f"http://shop.test/v/{code}.pkpass" in message.body_html
        assert f"Add it to Apple Wallet: http://shop.test/v/{code}.pkpass" in message.body_text


@pytest.mark.parametrize("app_config", [{}])
def test_without_passkit_settings_there_is_no_button_and_no_pass(app, client):
    code = make_voucher(app=app)
    assert "Apple Wallet" not in client.get(f"/v/{code}").get_data(as_text=True)
    assert client.get(f"/v/{code}.pkpass").status_code == 404
    with app.app_context():
        from giftshop.models import Voucher

        queue_delivery(db.session.scalars(select(Voucher)).one())
        db.session.commit()
        message = db.session.scalars(select(OutboxMessage)).one()
        assert "Wallet" not in message.body_html and "Wallet" not in message.body_text


def test_a_voided_voucher_gives_no_pass(app, client):
    code = make_voucher(app=app)
    with app.app_context():
        from giftshop.models import Staff

        owner = db.session.get(Staff, make_staff(app, OWNER_EMAIL, "owner"))
        ledger.void_voucher(code, staff=owner, reason="test")
    response = client.get(f"/v/{code}.pkpass")
    assert response.status_code == 410
    assert "Apple Wallet" not in client.get(f"/v/{code}").get_data(as_text=True)


@pytest.mark.parametrize("broken", ["missing file", "wrong key"])
def test_unusable_signing_files_give_a_503_not_a_500(app, client, chain, tmp_path, broken):
    code = make_voucher(app=app)
    if broken == "missing file":
        app.config["PASSKIT_CERT"] = str(tmp_path / "nowhere.pem")
    else:
        app.config["PASSKIT_CERT"] = str(chain["paths"]["wwdr.pem"])  # not the key's cert
    response = client.get(f"/v/{code}.pkpass")
    assert response.status_code == 503
    assert "Wallet passes are briefly unavailable" in response.get_data(as_text=True)


def test_half_set_passkit_settings_stop_the_shop(database_url):
    with pytest.raises(RuntimeError, match="missing: PASSKIT_KEY, PASSKIT_WWDR"):
        create_app(TestConfig(SQLALCHEMY_DATABASE_URI=database_url, PASSKIT_CERT="/x.pem",
                              PASSKIT_PASS_TYPE_ID=PASS_TYPE_ID, PASSKIT_TEAM_ID=TEAM_ID))


def test_the_pass_shows_a_prepaid_gratuity_until_and_after_the_first_visit(app, client):
    code = make_voucher("sessions", 4, value_cents=40_000, gratuity_cents=8_000, app=app)
    held = json.loads(fetch_pass(client, code)["pass.json"])
    assert field(held, "gratuity") == {
        "key": "gratuity", "label": "Gratuity",
        "value": "Gratuity of $80.00 included for your therapist. It goes to your therapist "
                 "at your first visit and is not part of the balance."}
    assert field(held, "remaining")["value"] == "4 of 4"  # the gratuity is not in the balance
    with app.app_context():
        ledger.redeem(code, staff=None, sessions=1)
    given = json.loads(fetch_pass(client, code)["pass.json"])
    assert field(given, "gratuity")["value"] == ("Gratuity of $80.00 included for your "
                                                 "therapist. Given to your therapist at your "
                                                 "first visit.")
    assert field(given, "remaining")["value"] == "3 of 4"


def test_a_pass_without_a_gratuity_has_no_gratuity_field(app, client):
    content = json.loads(fetch_pass(client, make_voucher(app=app))["pass.json"])
    with pytest.raises(ValueError):
        field(content, "gratuity")  # no such field: unpacking finds none
