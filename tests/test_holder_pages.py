"""Holder pages: the QR target, the balance lookup, the order page's email actions."""
from datetime import timedelta

from sqlalchemy import select

from giftshop.extensions import db
from giftshop.models import AuditLog, LedgerEntry, OutboxMessage, Staff, Voucher
from giftshop.vouchers.codes import format_code
from giftshop.localtime import today_local
from tests.support import factories
from tests.support.auth import sign_in
from tests.support.factories import demo_paid_order
from tests.support.web import post_form


def redeem(code: str, delta: int, staff=None) -> None:
    factories.redeem(code, delta, staff=staff, note="desk note: secret")


def test_the_qr_page_shows_what_remains_status_history_pdf_and_booking(app, client):
    with app.app_context():
        staff = Staff(email="desk@example.com", name="Dana Desk", password_hash="x", role="staff")
        db.session.add(staff)
        db.session.commit()
        _, (code,) = demo_paid_order()
        redeem(code, 3_750, staff=staff)
    page = client.get(f"/v/{code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "$62.50 of $100.00" in html and "Active" in html
    assert "$100 gift certificate" in html and format_code(code) in html
    assert "Issued" in html and "Used" in html and "-$37.50" in html
    assert f'href="/v/{code}.pdf"' in html
    assert 'href="tel:+19713366028"' in html and "Book: (971) 336-6028" in html
    assert "<svg" in html  # the QR, inline
    for private in ("ana@example.com", "Dana Desk", "desk@example.com", "secret"):
        assert private not in html
    assert page.headers["Cache-Control"] == "no-store"


def test_a_sessions_package_shows_sessions_left(app, client):
    with app.app_context():
        _, (code,) = demo_paid_order(slug="pain-management-4-pack", recipient=None)
        redeem(code, 1)
    html = client.get(f"/v/{format_code(code).lower()}").get_data(as_text=True)
    assert "3 of 4 sessions left" in html


def test_signed_in_staff_scanning_the_qr_go_to_the_desk(app, client, staff):
    with app.app_context():
        _, (code,) = demo_paid_order()
    sign_in(client, staff)
    response = client.get(f"/v/{code}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/desk/v/{code}")


def test_balance_form_finds_a_typed_code_in_any_form(app, client):
    with app.app_context():
        _, (code,) = demo_paid_order()
    assert "Voucher code" in client.get("/balance").get_data(as_text=True)
    typed = " ".join(format_code(code).lower().replace("-", " ").split())
    response = client.get("/balance", query_string={"code": typed})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/v/{code}")
    missing = client.get("/balance", query_string={"code": "WHM-0000-0000-0000"})
    assert missing.status_code == 404
    assert "No voucher has that code" in missing.get_data(as_text=True)


def test_unknown_code_lookups_are_rate_limited_but_hits_are_not(app, client):
    with app.app_context():
        _, (code,) = demo_paid_order()
    for _ in range(30):  # successful lookups never count
        assert client.get(f"/v/{code}").status_code == 200
    statuses = [client.get(f"/v/WHM-0000-0000-{i:04d}").status_code for i in range(10)]
    assert statuses == [404] * 10
    assert client.get("/balance", query_string={"code": "nope"}).status_code == 429
    assert client.get("/v/WHM-1111-1111-1111").status_code == 429
    # Another client is not affected.
    other = client.get("/v/WHM-2222-2222-2222", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 404


def test_order_page_lists_vouchers_delivery_status_and_pdf_links(app, client):
    with app.app_context():
        public_id, codes = demo_paid_order(quantity=2, deliver_on=today_local() + timedelta(days=5))
    html = client.get(f"/orders/{public_id}").get_data(as_text=True)
    for code in codes:
        assert f"/v/{code}.pdf" in html and format_code(code) in html
    assert f"/orders/{public_id}/vouchers.pdf" in html
    assert "Will be emailed to ben@example.com on" in html
    # No MAIL_SERVER in tests: the outbox is shown instead.
    assert "No mail server is configured" in html
    assert html.count('data-kind="delivery" data-status="pending"') == 2
    assert 'data-kind="receipt"' in html


def test_buyer_corrects_a_recipient_email_before_delivery(app, client):
    with app.app_context():
        public_id, (code,) = demo_paid_order(deliver_on=today_local() + timedelta(days=3))
    page = f"/orders/{public_id}"
    response = post_form(client, page, f"{page}/vouchers/{code}/recipient",
                         {"recipient_email": "ben.holder@example.org"})
    assert response.status_code == 303
    assert "ben.holder@example.org" in client.get(page).get_data(as_text=True)
    with app.app_context():
        voucher = db.session.scalar(select(Voucher).where(Voucher.code == code))
        assert voucher.recipient_email == "ben.holder@example.org"
        deliveries = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "delivery").order_by(OutboxMessage.id)).all()
        assert [(m.to_email, m.status) for m in deliveries] == [
            ("ben@example.com", "cancelled"), ("ben.holder@example.org", "pending")]
        assert deliveries[0].send_after == deliveries[1].send_after  # same morning
        audit = db.session.scalars(select(AuditLog)).one()
        assert audit.action == "voucher.recipient_email_corrected"
        assert audit.before == {"recipient_email": "ben@example.com"}
        assert audit.after == {"recipient_email": "ben.holder@example.org"}


def test_a_bad_corrected_email_is_refused_with_nothing_written(app, client):
    with app.app_context():
        public_id, (code,) = demo_paid_order(deliver_on=today_local() + timedelta(days=3))
    page = f"/orders/{public_id}"
    response = post_form(client, page, f"{page}/vouchers/{code}/recipient",
                         {"recipient_email": "not an email"})
    assert response.status_code == 422
    assert "Enter a valid email address." in response.get_data(as_text=True)
    no_token = client.post(f"{page}/vouchers/{code}/recipient", data={"recipient_email": "a@b.co"})
    assert no_token.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Voucher.recipient_email)) == "ben@example.com"
        assert db.session.scalars(select(AuditLog)).all() == []
        assert [m.status for m in db.session.scalars(select(OutboxMessage)
                                                     .where(OutboxMessage.kind == "delivery"))] \
            == ["pending"]


def test_a_delivered_voucher_can_be_resent_but_not_redirected(app, client):
    from giftshop.models import utcnow

    with app.app_context():
        public_id, (code,) = demo_paid_order()
        voucher = db.session.scalar(select(Voucher).where(Voucher.code == code))
        voucher.delivered_at = utcnow()
        db.session.execute(OutboxMessage.__table__.update().values(status="sent"))
        db.session.commit()
    page = f"/orders/{public_id}"
    refused = post_form(client, page, f"{page}/vouchers/{code}/recipient",
                        {"recipient_email": "other@example.com"})
    assert refused.status_code == 409 and "already delivered" in refused.get_data(as_text=True)
    first = post_form(client, page, f"{page}/vouchers/{code}/resend", {})
    again = post_form(client, page, f"{page}/vouchers/{code}/resend", {})
    assert first.status_code == again.status_code == 303
    with app.app_context():
        resends = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "resend")).all()
        assert [(m.to_email, m.status) for m in resends] == [("ben@example.com", "pending")]


def test_a_scheduled_voucher_cannot_be_resent_early(app, client):
    with app.app_context():
        public_id, (code,) = demo_paid_order(deliver_on=today_local() + timedelta(days=3))
    page = f"/orders/{public_id}"
    response = post_form(client, page, f"{page}/vouchers/{code}/resend", {})
    assert response.status_code == 409
    assert "still scheduled" in response.get_data(as_text=True)


def test_history_lists_each_entry_with_its_date(app, client):
    with app.app_context():
        _, (code,) = demo_paid_order(slug="pain-management-4-pack", recipient=None)
        redeem(code, 1)
        redeem(code, 1)
        kinds = [e.kind for e in db.session.scalars(select(LedgerEntry))]
    assert kinds == ["issue", "redeem", "redeem"]
    html = client.get(f"/v/{code}").get_data(as_text=True)
    assert html.count('<tr><td data-label="Date">') == 3 and "2 of 4 sessions left" in html
