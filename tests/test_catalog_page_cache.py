"""The catalog page is rendered once per catalog version and served from memory; any
catalog edit, made by any worker, ends that page (PostgreSQL LISTEN/NOTIFY)."""
import time

import pytest
from sqlalchemy import event, select

from giftshop.admin.catalog_service import set_active, update_product
from giftshop.extensions import db
from giftshop.models import Product
from tests.conftest import make_app

pytestmark = pytest.mark.postgresql_only


@pytest.fixture
def workers(app, tmp_path):
    """Two apps with the page cache on the same database, as two gunicorn workers are."""
    apps = [make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / f"w{i}",
                     CATALOG_PAGE_CACHE=True) for i in range(2)]
    yield apps
    for worker in apps:
        worker.extensions["catalog_page"].stop()
        with worker.app_context():
            db.engine.dispose()


def statements_for(worker, path="/") -> tuple[int, str]:
    """(SQL statements the request sent, its body)."""
    with worker.app_context():
        engine = db.engine
    seen = []

    def count(*args, **kwargs):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = worker.test_client().get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(seen), response.get_data(as_text=True)


def listening(worker, timeout=10.0) -> None:
    worker.test_client().get("/")  # starts the listener
    cache = worker.extensions["catalog_page"]
    deadline = time.monotonic() + timeout
    while not cache.listening and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache.listening


def page_once(worker, wanted, timeout=5.0) -> str:
    """The page, as soon as `wanted(page)` holds (or the last one after `timeout`): the
    NOTIFY reaches another worker a moment after the commit, not at the same instant."""
    deadline = time.monotonic() + timeout
    while True:
        _, body = statements_for(worker)
        if wanted(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def product_id(worker, slug):
    with worker.app_context():
        return db.session.scalar(select(Product.id).where(Product.slug == slug))


def test_catalog_page_is_served_from_memory_without_touching_the_database(workers):
    first, _ = workers
    listening(first)
    _, page = statements_for(first)
    cached, again = statements_for(first)
    assert cached == 0 and again == page
    assert "Pain Management 4-pack" in page


def test_an_edit_in_one_worker_reaches_the_other_workers_page(workers):
    editor, reader = workers
    listening(editor)
    listening(reader)
    statements_for(reader)
    assert statements_for(reader)[0] == 0  # cached
    with editor.app_context():
        update_product(product_id(editor, "pain-management-4-pack"), {
            "name": "Pain Management 4-pack (spring price)", "slug": "pain-management-4-pack",
            "description": "Four treatments.", "price_cents": 38_000, "sessions": 4,
            "service": "60-min Pain Management Massage"})
    page = page_once(reader, lambda body: "Pain Management 4-pack (spring price)" in body)
    assert "Pain Management 4-pack (spring price)" in page and "$380" in page


def test_a_product_taken_off_sale_leaves_every_workers_page(workers):
    editor, reader = workers
    listening(reader)
    assert "Pain Management 6-pack" in statements_for(reader)[1]
    with editor.app_context():
        set_active(product_id(editor, "pain-management-6-pack"), False)
    page = page_once(reader, lambda body: "Pain Management 6-pack" not in body)
    assert "Pain Management 6-pack" not in page and "Pain Management 4-pack" in page


def test_an_edit_rolled_back_changes_no_page(workers):
    editor, reader = workers
    listening(reader)
    before = statements_for(reader)[1]
    with editor.app_context():
        product = db.session.get(Product, product_id(editor, "pain-management-90"))
        product.name = "Never committed"
        db.session.flush()
        db.session.rollback()
    time.sleep(0.3)
    after = statements_for(reader)[1]
    assert "Never committed" not in after and after == before


def test_without_a_listener_every_request_renders_from_the_database(app, tmp_path):
    worker = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "off",
                      CATALOG_PAGE_CACHE=False)
    assert statements_for(worker)[0] >= 1
    assert statements_for(worker)[0] >= 1
    with worker.app_context():
        db.engine.dispose()


def _withdraw_a_design(editor):
    from giftshop.vouchers.designs import set_design_offered

    set_design_offered("birthday", False, staff=None)


def _start_a_campaign(editor):
    from datetime import date, timedelta

    from giftshop.desk.staff import create_staff
    from giftshop.promotions.campaigns import create_campaign

    owner = create_staff("owner-cache@westhills.test", "a long password", role="owner")
    today = date.today()
    create_campaign({"name": "Spring", "starts_on": today,
                     "ends_on": today + timedelta(days=7),
                     "bonus_expires_on": today + timedelta(days=90),
                     "min_purchase_cents": 10_000, "bonus_cents": 2_000},
                    staff=owner, today=today)


@pytest.mark.parametrize("edit", [_withdraw_a_design, _start_a_campaign],
                         ids=["design", "campaign"])
def test_a_design_or_campaign_change_in_one_worker_ends_the_other_workers_page(workers, edit):
    editor, reader = workers
    listening(reader)
    statements_for(reader)
    assert statements_for(reader)[0] == 0  # cached
    with editor.app_context():
        edit(editor)
    deadline = time.monotonic() + 5
    while statements_for(reader)[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert time.monotonic() < deadline, "the other worker kept its page after the edit"
    assert statements_for(reader)[0] == 0  # rendered once more, then cached again
