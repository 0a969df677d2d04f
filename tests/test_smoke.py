"""Start the shop the way the README does (migrate, seed, serve) and fetch its pages."""
import os
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_shop_starts_as_the_readme_says_and_serves_home_and_product(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/shop.sqlite3",
           "STRIPE_SECRET_KEY": "", "GIFTSHOP_ENV": "development",
           "GIFTSHOP_INSTANCE_DIR": str(tmp_path)}
    flask = [sys.executable, "-m", "flask", "--app", "giftshop"]
    for step in (["db", "upgrade"], ["seed"]):
        done = subprocess.run(flask + step, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
    port = free_port()
    server = subprocess.Popen(flask + ["run", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                home = urllib.request.urlopen(base + "/", timeout=5).read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "the shop did not start"
                time.sleep(0.2)
        assert "West Hills Massage" in home and "Pain Management 6-pack" in home
        product = urllib.request.urlopen(base + "/p/pain-management-4-pack", timeout=5).read().decode()
        assert "$400" in product and 'name="csrf_token"' in product
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_production_refuses_demo_payments_and_default_secret(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite3",
           "GIFTSHOP_ENV": "production", "STRIPE_SECRET_KEY": "", "SECRET_KEY": "x" * 40}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "giftshop", "routes"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "Demo payments are refused in production" in done.stderr
    env.update(STRIPE_SECRET_KEY="sk_live_x", STRIPE_WEBHOOK_SECRET="whsec_x", SECRET_KEY="")
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "giftshop", "routes"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "SECRET_KEY" in done.stderr
