"""`make bench`: load a throwaway PostgreSQL database, serve it with gunicorn, measure with wrk.

Prints a Markdown report and writes it to bench/RESULTS.md. Exits 1 when a
correctness check under load fails (a missed speed target is reported, not fatal).
Sizes and durations can be scaled down for a quick try: BENCH_DURATION,
BENCH_VOUCHERS, BENCH_ENTRIES (see bench/scenarios.py for the rest). A partial run,
BENCH_ONLY=redeem,catalog (any of lookup, redeem, webhook, single, catalog), measures
only those targets beside their baselines, skips the statement counts and the PDF
figures, and prints its report without writing RESULTS.md; BENCH_CONFIGS=sync (or
gthread) keeps one gunicorn setting. For example:
`BENCH_ONLY=redeem BENCH_CONFIGS=sync BENCH_DURATION=5 BENCH_VOUCHERS=2000
BENCH_ENTRIES=20000 make bench`.
"""
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

from bench import dataset, liability, scenarios
from bench.harness import (BENCH_DIR, ROOT, VENV_BIN, WORKER_CONFIGS, Server, http_get,
                           machine_info, scratch_database)
from bench.report import render
from bench.statements import count_statements

N_VOUCHERS = int(os.environ.get("BENCH_VOUCHERS", "100000"))
N_ENTRIES = int(os.environ.get("BENCH_ENTRIES", "1000000"))
N_REDEEM_VOUCHERS = 1000
STAFF_EMAIL = "bench-desk@westhills.test"


def prepare_schema(db_url: str) -> None:
    """The committed migrations and the seed catalog, as a deploy would run them."""
    env = {**os.environ, "DATABASE_URL": db_url}
    flask = [os.path.join(VENV_BIN, "flask"), "--app", "giftshop"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    subprocess.run([*flask, "seed"], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=60)


def staff_token(db_url: str, notes: list[str]) -> str | None:
    """An API token from the documented CLI (`staff create`, `staff token`)."""
    env = {**os.environ, "DATABASE_URL": db_url}
    flask = [os.path.join(VENV_BIN, "flask"), "--app", "giftshop"]
    password = secrets.token_urlsafe(16)
    try:
        subprocess.run([*flask, "staff", "create", STAFF_EMAIL, "--owner"], cwd=ROOT, env=env,
                       input=f"{password}\n{password}\n", text=True, check=True,
                       capture_output=True, timeout=60)
        out = subprocess.run([*flask, "staff", "token", STAFF_EMAIL], cwd=ROOT, env=env,
                             text=True, check=True, capture_output=True, timeout=60)
    except subprocess.CalledProcessError as exc:
        notes.append(f"No staff token (`flask staff …` failed: {(exc.stderr or '')[-200:]!r}); "
                     "the staff API figures were not measured.")
        return None
    return out.stdout.strip().splitlines()[-1].strip()


def write_lines(path: str, lines) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def page_template(shop_url: str, workdir: str) -> str:
    """The baseline's template: the shop's own catalog page, byte for byte, as static text."""
    status, body = http_get(shop_url + "/")
    if status != 200:
        raise RuntimeError(f"GET / answered {status}")
    path = os.path.join(workdir, "page.html")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("{% raw %}" + body.decode("utf-8") + "{% endraw %}")
    return path


def shop_env(db_url: str, workdir: str, stub_url: str, webhook_secret: str) -> dict:
    return {
        "DATABASE_URL": db_url, "GIFTSHOP_ENV": "development",
        "SECRET_KEY": secrets.token_urlsafe(32), "STRIPE_SECRET_KEY": "sk_test_x",
        "STRIPE_WEBHOOK_SECRET": webhook_secret, "STRIPE_API_BASE": stub_url,
        "MAIL_SERVER": "", "OUTBOX_THREAD": "0", "REDIS_URL": "",
        "GIFTSHOP_INSTANCE_DIR": workdir, "PDF_CACHE_DIR": os.path.join(workdir, "pdf-cache"),
        "FLASK_DEBUG": "0",
    }


def run_pdf_bench() -> str:
    script = os.path.join(BENCH_DIR, "bench_pdf.py")
    if not os.path.exists(script):
        return "bench/bench_pdf.py is not there yet: no PDF figures."
    try:
        proc = subprocess.run([sys.executable, script], cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "bench/bench_pdf.py did not finish within 300 s."
    if proc.returncode != 0:
        return f"bench/bench_pdf.py failed (exit {proc.returncode}):\n\n```\n" \
               f"{(proc.stdout + proc.stderr)[-1500:]}\n```"
    out = proc.stdout.strip()
    if not out:
        return "bench/bench_pdf.py printed nothing."
    # Its own Markdown stays as is; plain columns are kept aligned in a code block.
    return out if out.lstrip().startswith(("|", "#")) else f"```\n{out}\n```"


def measure(db_url: str, workdir: str, stub, notes: list[str]) -> tuple[list, str, str, str]:
    t0 = time.monotonic()
    codes = dataset.load_lookup_data(db_url, N_VOUCHERS, N_ENTRIES)
    big = dataset.load_big_vouchers(db_url, N_REDEEM_VOUCHERS)
    load = (f"{N_VOUCHERS:,} vouchers with {N_ENTRIES:,} ledger entries (COPY, "
            f"{time.monotonic() - t0:.1f} s), plus {N_REDEEM_VOUCHERS:,} money vouchers with a "
            "$10M balance for the redemption runs and 2 × "
            f"{scenarios.WEBHOOK_ORDERS} pending Stripe orders for the webhook runs.")
    print(load, flush=True)
    dataset.create_counter_table(db_url, 100)
    token = staff_token(db_url, notes)
    report = liability.time_report(db_url)
    print(report, flush=True)
    lookup_file = write_lines(os.path.join(workdir, "lookup-codes.txt"), codes)
    redeem_file = write_lines(os.path.join(workdir, "redeem-codes.txt"), big)
    secret = "whsec_bench_" + secrets.token_hex(16)
    contexts, template = [], None
    wanted = os.environ.get("BENCH_CONFIGS", "")
    for config, worker_args in WORKER_CONFIGS.items():
        if wanted and not any(w.strip() and w.strip() in config for w in wanted.split(",")):
            continue
        print(f"gunicorn {config}:", flush=True)
        shop = Server("giftshop:create_app()", worker_args,
                      shop_env(db_url, workdir, stub.url, secret),
                      os.path.join(workdir, "shop.log"))
        base = None
        try:
            shop.start("/")
            if template is None:
                template = page_template(shop.url, workdir)
                notes.append(f"The catalog page `GET /` is {os.path.getsize(template) - 21:,} "
                             "bytes; the baseline's `/page` renders the same bytes.")
            base = Server("bench.baseline_app:create_app()", worker_args,
                          {"DATABASE_URL": db_url, "BENCH_PAGE_TEMPLATE": template},
                          os.path.join(workdir, "baseline.log")).start("/select")
            ctx = scenarios.Context(
                config=config, base=base, shop=shop, db_url=db_url, workdir=workdir,
                token=token, lookup_codes_file=lookup_file, redeem_codes_file=redeem_file,
                stub=stub, webhook_secret=secret)
            api = scenarios.staff_api_ready(ctx, codes[0])
            if token and not api and config == next(iter(WORKER_CONFIGS)):
                notes.append("The staff API (`GET /api/v1/vouchers/<code>`) did not answer 200; "
                             "redemption and lookup figures were not measured.")
            scenarios.run_all(ctx, api)
            contexts.append(ctx)
            notes.extend(ctx.notes)
        finally:
            if base is not None:
                base.stop()
            shop.stop()
    if scenarios.ONLY:
        return contexts, report, load, "Not counted in a partial (BENCH_ONLY) run."
    statements = count_statements(db_url=db_url, stub=stub, token=token,
                                  lookup_code=codes[0], redeem_code=big[0], template=template)
    return contexts, report, load, statements


def main() -> int:
    from tests.support.stripe_stub import StripeStub

    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")
    t0 = time.monotonic()
    machine = machine_info()
    print(f"Machine: {machine}", flush=True)
    notes: list[str] = []
    workdir = tempfile.mkdtemp(prefix="giftshop-bench-")
    stub = StripeStub().start()
    try:
        with scratch_database() as db_url:
            prepare_schema(db_url)
            contexts, report, load, statements = measure(db_url, workdir, stub, notes)
    except BaseException:
        print(f"Benchmark aborted; server logs are kept in {workdir}", file=sys.stderr)
        raise
    finally:
        stub.stop()
    pdf = "Not measured in a partial (BENCH_ONLY) run." if scenarios.ONLY else run_pdf_bench()
    text, ok = render(machine=machine, started=started, elapsed=time.monotonic() - t0,
                      contexts=contexts, liability=report, load=load, pdf=pdf, notes=notes,
                      statements=statements)
    print(text)
    if scenarios.ONLY:
        shutil.rmtree(workdir, ignore_errors=True)
        return 0 if ok else 1
    with open(os.path.join(BENCH_DIR, "RESULTS.md"), "w", encoding="utf-8") as fh:
        fh.write(text)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
