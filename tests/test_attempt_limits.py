"""Sign-in guesses and unknown-code lookups are counted before they are tried, atomically,
so requests sent all at once get no more tries than the limit (memory and Redis stores)."""
import uuid

import pytest
import redis

from tests.support.auth import PASSWORD, make_staff
from tests.support.concurrency import run_concurrently
from tests.support.web import csrf_token

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture(params=["memory", "redis"])
def app_config(request):
    if request.param == "memory":
        return {"RATELIMIT_STORAGE_URI": "memory://"}
    if not _redis_up():
        pytest.skip(f"no Redis at {REDIS_URL}")
    # A key prefix of its own: parallel runs sharing the Redis never meet.
    return {"RATELIMIT_STORAGE_URI": REDIS_URL,
            "RATELIMIT_KEY_PREFIX": f"giftshop-test-{uuid.uuid4().hex}"}


def test_thirty_concurrent_wrong_passwords_get_only_five_password_checks(app):
    make_staff(app, "desk@example.com")

    def guess(client, i):
        token = csrf_token(client, "/desk/login")
        return client.post("/desk/login", data={"csrf_token": token, "email": "desk@example.com",
                                                "password": f"wrong guess {i}"}).status_code

    statuses = run_concurrently(app, 30, guess)
    # 401 is only answered after a password check; 429 before any.
    assert sorted(statuses) == [401] * 5 + [429] * 25
    client = app.test_client()
    token = csrf_token(client, "/desk/login")
    locked = client.post("/desk/login", data={"csrf_token": token, "email": "desk@example.com",
                                              "password": PASSWORD})
    assert locked.status_code == 429 and 1 <= int(locked.headers["Retry-After"]) <= 61


def test_successful_sign_ins_do_not_use_up_the_limit(app):
    make_staff(app, "desk@example.com")
    for _ in range(8):
        client = app.test_client()
        token = csrf_token(client, "/desk/login")
        response = client.post("/desk/login", data={"csrf_token": token,
                                                    "email": "desk@example.com",
                                                    "password": PASSWORD})
        assert response.status_code == 302


def test_thirty_concurrent_unknown_codes_get_only_ten_lookups(app):
    statuses = run_concurrently(
        app, 30, lambda client, i: client.get(f"/v/WHM-0000-0000-{i:04d}").status_code)
    assert sorted(statuses) == [404] * 10 + [429] * 20
    gone = app.test_client().get("/balance", query_string={"code": "WHM-1111-1111-1111"})
    assert gone.status_code == 429 and int(gone.headers["Retry-After"]) >= 1
