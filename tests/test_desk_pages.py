"""The front-desk pages: forms with CSRF tokens and idempotency keys, one-tap redeem and
undo, messages that say what is left, the voucher screen, lookup and search, and the
camera-frame scan endpoint."""
import io
import re
from datetime import timedelta

import pytest
import qrcode
from PIL import Image

from giftshop.vouchers.lookup import find_by_code
from giftshop.desk import ledger
from giftshop.extensions import db
from giftshop.localtime import local_time
from tests.support.auth import owner_client, staff_client
from tests.support.factories import entry_count, make_voucher


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html) or \
        re.search(rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', html)
    assert match, f"no {name} on the page"
    return match.group(1)


def page_form(client, url: str, prefix: str, **fields) -> dict:
    """The form as the page renders it: CSRF token, its idempotency key, plus `fields`."""
    html = client.get(url).get_data(as_text=True)
    data = {"csrf_token": _hidden(html, "csrf_token"),
            f"{prefix}-idempotency_key": _hidden(html, f"{prefix}-idempotency_key")}
    data.update({f"{prefix}-{k}": v for k, v in fields.items()})
    return data


@pytest.fixture
def pages(app):
    """Signed-in page clients for a staff member and the owner, and a voucher maker."""
    def make(kind="money", initial=10_000):
        return make_voucher(kind, initial, app=app)

    return staff_client(app), owner_client(app), make


def test_double_submitting_the_redeem_form_redeems_once(app, pages):
    desk, _, make = pages
    code = make("money", 10_000)
    url = f"/desk/v/{code}"
    form = page_form(desk, url, "redeem", amount="$37.50")
    first = desk.post(f"{url}/redeem", data=form)
    second = desk.post(f"{url}/redeem", data=form)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    done = desk.get(first.headers["Location"]).get_data(as_text=True)
    assert "$62.50 of $100.00" in done and "Redeemed $37.50" in done
    with app.app_context():
        assert entry_count(code) == 2 and find_by_code(code).remaining == 6_250


def test_the_redeem_form_refuses_bad_amounts_and_overdrafts_clearly(app, pages):
    desk, _, make = pages
    code = make("money", 2_000)
    url = f"/desk/v/{code}"
    bad = desk.post(f"{url}/redeem", data=page_form(desk, url, "redeem", amount="ten"))
    assert bad.status_code == 422 and "like 62.50" in bad.get_data(as_text=True)
    over = desk.post(f"{url}/redeem", data=page_form(desk, url, "redeem", amount="20.01"))
    assert over.status_code == 409
    assert "Only $20.00 left." in over.get_data(as_text=True)
    with app.app_context():
        assert entry_count(code) == 1


def test_the_voucher_screen_shows_what_remains_and_the_history_in_pacific_time(app, pages):
    desk, _, make = pages
    code = make("sessions", 6)
    url = f"/desk/v/{code}"
    desk.post(f"{url}/redeem", data=page_form(desk, url, "redeem", sessions="2"))
    html = desk.get(url).get_data(as_text=True)
    assert "4 of 6 sessions left" in html and "Rosa Holder" in html
    with app.app_context():
        entry = ledger.history(find_by_code(code))[-1]
        assert local_time(entry.created_at) in html
    assert "Redeemed 2 sessions" in html and "desk@westhillsmassage.test" in html


def test_the_redeem_button_says_what_one_tap_takes_and_there_is_no_tick_box(app, pages):
    desk, _, make = pages
    html = desk.get(f"/desk/v/{make('sessions', 6)}").get_data(as_text=True)
    assert re.search(r'id="redeem-submit"[^>]*value="Redeem 1 session"', html) or \
        re.search(r'value="Redeem 1 session"[^>]*id="redeem-submit"', html)
    assert "redeem-confirm" not in html and "Tick the box" not in html


def test_the_success_screen_undoes_a_redemption_in_one_tap_once(app, pages):
    desk, _, make = pages
    code = make("sessions", 6)
    url = f"/desk/v/{code}"
    redeemed = desk.post(f"{url}/redeem", data=page_form(desk, url, "redeem", sessions="1"))
    done_url = redeemed.headers["Location"]
    with app.app_context():
        entry_id = ledger.history(find_by_code(code))[-1].id
    done_html = desk.get(done_url).get_data(as_text=True)
    assert "5 of 6 sessions left" in done_html and "Undo: give back 1 session" in done_html
    undo_url = f"/desk/entries/{entry_id}/reverse"
    undone = desk.post(undo_url, data=page_form(desk, done_url, "reverse"))
    assert undone.status_code == 302
    after = desk.get(undone.headers["Location"]).get_data(as_text=True)
    assert "6 of 6 sessions left" in after and "Reversed 1 session" in after
    assert "Undo: give back" not in desk.get(done_url).get_data(as_text=True)
    again = desk.post(undo_url, data=page_form(desk, undo_url, "reverse"))
    assert again.status_code == 409 and "already been reversed" in again.get_data(as_text=True)


def test_a_redemption_past_what_remains_says_what_is_left(app, pages):
    desk, _, make = pages
    code = make("sessions", 3)
    url = f"/desk/v/{code}"
    over = desk.post(f"{url}/redeem", data=page_form(desk, url, "redeem", sessions="5"))
    assert over.status_code == 409 and "Only 3 sessions left." in over.get_data(as_text=True)
    desk.post(f"{url}/redeem", data=page_form(desk, url, "redeem", sessions="2"))
    over = desk.post(f"{url}/redeem", data=page_form(desk, url, "redeem", sessions="2"))
    assert "Only 1 session left." in over.get_data(as_text=True)


def test_staff_cannot_undo_from_the_success_screen_after_the_window(app, pages):
    desk, owner, make = pages
    code = make("money", 5_000)
    url = f"/desk/v/{code}"
    done_url = desk.post(f"{url}/redeem",
                         data=page_form(desk, url, "redeem", amount="10")).headers["Location"]
    assert "Undo: give back $10.00" in desk.get(done_url).get_data(as_text=True)
    with app.app_context():
        entry = ledger.history(find_by_code(code))[-1]
        entry.created_at -= ledger.STAFF_REVERSAL_WINDOW + timedelta(minutes=1)
        db.session.commit()
    assert "Undo: give back" not in desk.get(done_url).get_data(as_text=True)
    assert "Undo: give back $10.00" in owner.get(done_url).get_data(as_text=True)


def test_cash_out_is_offered_only_for_a_small_used_balance(app, pages):
    desk, _, make = pages
    code = make("money", 5_000)
    url = f"/desk/v/{code}"
    assert "Cash out" not in desk.get(url).get_data(as_text=True)
    refused_form = {"csrf_token": _hidden(desk.get(url).get_data(as_text=True), "csrf_token"),
                    "cashout-idempotency_key": "12345678-abcd", "cashout-confirm": "y"}
    refused = desk.post(f"{url}/cashout", data=refused_form)
    assert refused.status_code == 409 and "under $5.00" in refused.get_data(as_text=True)
    desk.post(f"{url}/redeem", data=page_form(desk, url, "redeem", amount="45.01"))
    assert "Cash out $4.99" in desk.get(url).get_data(as_text=True)
    done = desk.post(f"{url}/cashout", data=page_form(desk, url, "cashout", confirm="y"))
    assert "$0.00 of $50.00" in desk.get(done.headers["Location"]).get_data(as_text=True)


def test_the_owner_voids_with_a_reason_from_the_voucher_screen(app, pages):
    desk, owner, make = pages
    code = make("money", 10_000)
    url = f"/desk/v/{code}"
    assert "Void this voucher" not in desk.get(url).get_data(as_text=True)
    no_reason = owner.post(f"{url}/void", data=page_form(owner, url, "void", confirm="y"))
    assert no_reason.status_code == 422 and "Say why" in no_reason.get_data(as_text=True)
    done = owner.post(f"{url}/void", data=page_form(owner, url, "void", confirm="y",
                                                    reason="Bought twice by mistake"))
    assert done.status_code == 302
    html = desk.get(url).get_data(as_text=True)
    assert "voided" in html and "Bought twice by mistake" in html
    assert 'id="redeem-submit"' not in html


def test_lookup_accepts_codes_and_qr_urls_and_explains_misses(app, pages):
    desk, _, make = pages
    code = make("sessions", 4)
    printed = f"WHM-{code[:4]}-{code[4:8]}-{code[8:]}"
    for query in (printed.lower(), f"http://shop.test/v/{printed}", code):
        response = desk.get("/desk/lookup", query_string={"code": query})
        assert response.headers["Location"] == f"/desk/v/{code}", query
    unknown = desk.get("/desk/lookup", query_string={"code": "WHM-0000-0000-0000"})
    page = unknown.get_data(as_text=True)
    assert unknown.status_code == 404 and "No voucher has that code" in page
    assert 'Read: <span class="code">WHM-0000-0000-0000</span>' in page
    assert 'id="code" name="code" type="text" value=""' in page  # the next scan starts afresh
    nonsense = desk.get("/desk/lookup", query_string={"code": "hello"})
    assert nonsense.status_code == 404
    assert "No voucher matches “hello”" in nonsense.get_data(as_text=True)
    assert desk.get(f"/desk/v/{printed}").headers["Location"] == f"/desk/v/{code}"
    assert desk.get("/desk/v/WHM-0000-0000-0000").status_code == 404


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_scan_endpoint_reads_a_voucher_qr_from_a_camera_frame(app, pages):
    desk, _, make = pages
    code = make("sessions", 4)
    token = _hidden(desk.get("/desk").get_data(as_text=True), "csrf_token")
    headers = {"X-CSRFToken": token, "Content-Type": "image/png"}
    frame = qrcode.make(f"http://shop.test/v/WHM-{code[:4]}-{code[4:8]}-{code[8:]}")
    found = desk.post("/desk/scan", data=_png(frame), headers=headers)
    assert found.get_json() == {"code": code, "url": f"/desk/v/{code}"}
    blank = desk.post("/desk/scan", data=_png(Image.new("L", (320, 240), 255)), headers=headers)
    assert blank.get_json() == {"code": None, "message": None}
    other = desk.post("/desk/scan", data=_png(qrcode.make("https://example.com/menu")),
                      headers=headers)
    assert other.get_json()["code"] is None and "not a voucher" in other.get_json()["message"]
    junk = desk.post("/desk/scan", data=b"not an image", headers=headers)
    assert junk.status_code == 422 and junk.get_json()["error"] == "invalid"
    huge = desk.post("/desk/scan", data=b"x" * (3 * 1024 * 1024), headers=headers)
    assert huge.status_code == 413
    # A frame bigger than the app-wide MAX_CONTENT_LENGTH (1 MB) but within 2 MB is read.
    large = desk.post("/desk/scan", data=b"x" * (1536 * 1024), headers=headers)
    assert large.status_code == 422 and large.get_json()["error"] == "invalid"
    assert desk.post("/desk/scan", data=_png(frame)).status_code == 400  # no CSRF header
