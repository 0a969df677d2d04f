"""Health checks and request logs for the host."""
import logging
from datetime import timedelta

import pytest

from giftshop.extensions import db
from giftshop.models import OutboxMessage, utcnow
from giftshop.ops.request_log import log as request_log
from tests.conftest import make_app
from tests.support.databases import BACKEND
from tests.support.factories import demo_paid_order


@pytest.fixture
def log_lines():
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    handler = Collect()
    request_log.addHandler(handler)
    yield lines
    request_log.removeHandler(handler)


def test_healthz_reports_the_database_and_how_old_the_outbox_backlog_is(app, client):
    body = client.get("/healthz").get_json()
    assert body == {"status": "ok", "database": "ok",
                    "outbox": {"due": 0, "oldest_due_age_seconds": 0}}
    with app.app_context():
        demo_paid_order()
        for message in db.session.query(OutboxMessage):
            message.send_after = utcnow() - timedelta(minutes=30)
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    outbox = response.get_json()["outbox"]
    assert outbox["due"] >= 1 and 30 * 60 <= outbox["oldest_due_age_seconds"] < 31 * 60


def test_healthz_answers_503_when_the_database_is_down(tmp_path):
    url = ("postgresql+psycopg://postgres@127.0.0.1:1/nowhere" if BACKEND == "postgresql"
           else f"sqlite:///{tmp_path}/missing-dir/shop.sqlite3")
    response = make_app(url, tmp_path).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}


def test_each_request_logs_one_line_with_an_id_and_no_voucher_code(app, client, log_lines):
    with app.app_context():
        public_id, (code,) = demo_paid_order()
    response = client.get(f"/v/{code}", headers={"X-Request-ID": "lb-req-12345678"})
    assert response.headers["X-Request-ID"] == "lb-req-12345678"
    client.get(f"/v/{code.lower()}.pdf?token=hunter2")
    client.get(f"/orders/{public_id}")
    client.get("/balance", query_string={"code": code})
    client.get("/v/WHM-ZZZZ-ZZZZ-ZZZZ")
    assert len(log_lines) == 5
    assert log_lines[0].startswith("request_id=lb-req-12345678 method=GET path=/v/…")
    assert f"/v/…{code[-4:]} status=200" in log_lines[0]
    assert f"/v/…{code.lower()[-4:]}.pdf status=200" in log_lines[1]
    assert f"/orders/…{public_id[-4:]} " in log_lines[2]
    assert "ZZZZ-ZZZZ" not in log_lines[4]
    ids = [line.split()[0] for line in log_lines[1:]]
    assert len(set(ids)) == 4 and all(len(i) == len("request_id=") + 32 for i in ids)
    everything = "\n".join(log_lines)
    for secret in (code, code[:8], code.lower()[:8], public_id, public_id[:10], "hunter2"):
        assert secret not in everything


def test_a_forged_request_id_is_replaced(client, log_lines):
    response = client.get("/healthz", headers={"X-Request-ID": "bad id status=200 ip=1.2.3.4"})
    assert response.headers["X-Request-ID"] != "bad id status=200 ip=1.2.3.4"
    assert len(log_lines) == 1 and "bad id" not in log_lines[0]
