"""What is measured on one gunicorn setting, each target right beside its baseline."""
import os
import secrets
from contextlib import contextmanager

from bench import dataset
from bench.harness import http_get, run_wrk
from bench.webhook_load import paid_session, verify_fulfilment, write_deliveries

DURATION = float(os.environ.get("BENCH_DURATION", "10"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "2"))
SINGLE_BUDGET = int(os.environ.get("BENCH_SINGLE_BUDGET", "1000"))
# Upper bound on a fixed-count run (it normally ends when its count is reached).
BUDGET_TIME_LIMIT = float(os.environ.get("BENCH_BUDGET_TIME_LIMIT", "120"))
WEBHOOK_ORDERS = int(os.environ.get("BENCH_WEBHOOK_ORDERS", "800"))
# A quick, partial run while working on one path: e.g. BENCH_ONLY=redeem,catalog measures
# only those targets (and their baselines); bench/run.py then leaves RESULTS.md alone.
SCENARIOS = ("lookup", "redeem", "webhook", "single", "catalog")
ONLY = {s.strip() for s in os.environ.get("BENCH_ONLY", "").split(",") if s.strip()}
if ONLY - set(SCENARIOS):
    raise SystemExit(f"BENCH_ONLY: unknown {sorted(ONLY - set(SCENARIOS))}; use {SCENARIOS}")


def selected(name: str) -> bool:
    return not ONLY or name in ONLY


class Context:
    """What the scenarios share: servers, data files, the token, and the results."""

    def __init__(self, *, config, base, shop, db_url, workdir, token, lookup_codes_file,
                 redeem_codes_file, stub, webhook_secret):
        self.config, self.base, self.shop, self.db_url, self.workdir = (
            config, base, shop, db_url, workdir)
        self.token, self.lookup_codes_file, self.redeem_codes_file = (
            token, lookup_codes_file, redeem_codes_file)
        self.stub, self.webhook_secret = stub, webhook_secret
        self.runs: dict[str, dict] = {}
        self.checks: list[dict] = []
        self.notes: list[str] = []

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append({"name": name, "config": self.config, "ok": ok, "detail": detail})
        print(f"  [{self.config}] check {'pass' if ok else 'FAIL'}: {name}: {detail}", flush=True)

    def wrk(self, key, server, clients, script="http.lua", warm=True, **env):
        env = {k.upper(): str(v) for k, v in env.items()}
        if warm and WARMUP > 0:
            run_wrk(server.url, script, connections=clients, duration=WARMUP, env=fresh(env))
        budgeted = "BENCH_BUDGET" in env
        result = run_wrk(server.url, script, connections=clients,
                         duration=BUDGET_TIME_LIMIT if budgeted else DURATION,
                         env=fresh(env), stop_on_signal=budgeted)
        if budgeted and result["counted"] < result["budget"]:
            self.notes.append(f"{self.config} {key}: only {result['counted']} of "
                              f"{result['budget']} answers within {BUDGET_TIME_LIMIT:g} s.")
        result["clients"] = clients
        self.runs[key] = result
        print(f"  [{self.config}] {key}: {result['rps']:.0f} req/s, "
              f"p99 {result['p99_us'] / 1000:.1f} ms, errors {errors_of(result)}"
              + (f" (first: {result['first_error'][:120]})" if result["first_error"] else ""),
              flush=True)
        return result


def fresh(env: dict) -> dict:
    """A new random seed, and Idempotency-Keys no earlier run used (so none is a replay)."""
    env = {**env, "BENCH_SEED": str(secrets.randbelow(1 << 30))}
    if "BENCH_IDEMPOTENCY" in env:
        env["BENCH_IDEMPOTENCY"] += "-" + secrets.token_hex(4)
    return env


def errors_of(result: dict) -> int:
    return result["errors"] + result["socket_errors"] + result["timeouts"]


def staff_api_ready(ctx: Context, code: str) -> bool:
    if not ctx.token:
        return False
    status, _ = http_get(f"{ctx.shop.url}/api/v1/vouchers/{code}",
                         {"Authorization": f"Bearer {ctx.token}"})
    return status == 200


def run_all(ctx: Context, api: bool) -> None:
    """Targets bracketed by their baseline (measured just before and just after them)."""
    select = dict(bench_path="/select")
    update = dict(bench_method="POST", bench_path="/update")
    if selected("lookup"):
        with bracket(ctx, "base_select_10", 10, select):
            if api:
                ctx.wrk("lookup_10", ctx.shop, 10, bench_path="/api/v1/vouchers/{code}",
                        bench_codes=ctx.lookup_codes_file, bench_token=ctx.token)
    if selected("redeem") or selected("webhook"):
        with bracket(ctx, "base_update_10", 10, update):
            if api and selected("redeem"):
                redeem(ctx, "redeem_10", 10)
            if selected("webhook"):
                webhooks(ctx)
    if selected("redeem") or selected("single"):
        with bracket(ctx, "base_update_50", 50, update):
            if api and selected("redeem"):
                redeem(ctx, "redeem_50", 50)
            if api and selected("single"):
                single_voucher(ctx)
    if selected("catalog"):
        with bracket(ctx, "base_page_10", 10, dict(bench_path="/page")):
            ctx.wrk("catalog_10", ctx.shop, 10, bench_path="/")


@contextmanager
def bracket(ctx: Context, key: str, clients: int, env: dict):
    """Run the baseline before and after the body; its figure is the two runs together.

    The machine is shared (PostgreSQL, the load generator, often other jobs), so a
    baseline taken on one side only would drift from the targets it is compared with.
    """
    before = ctx.wrk(key + "_before", ctx.base, clients, **env)
    yield
    after = ctx.wrk(key + "_after", ctx.base, clients, warm=False, **env)
    ctx.runs[key] = merge(before, after)


def merge(a: dict, b: dict) -> dict:
    """Throughput over both runs; latency percentiles averaged (an approximation)."""
    out = dict(a)
    for k in ("requests", "all_requests", "duration_us", "errors", "created", "counted",
              "socket_errors", "timeouts"):
        out[k] = a[k] + b[k]
    for k in ("p50_us", "p90_us", "p99_us", "mean_us"):
        out[k] = (a[k] + b[k]) / 2
    out["max_us"] = max(a["max_us"], b["max_us"])
    out["rps"] = out["requests"] / (out["duration_us"] / 1e6)
    out["rounds"] = [round(a["rps"]), round(b["rps"])]
    return out


def _redeem_env(ctx: Context, **extra) -> dict:
    env = dict(bench_method="POST", bench_path="/api/v1/vouchers/{code}/redemptions",
               bench_body='{"amount_cents": 1}', bench_token=ctx.token,
               bench_idempotency=f"bench-{secrets.token_hex(6)}")
    return {**env, **extra}


def redeem(ctx: Context, key: str, clients: int) -> None:
    ctx.wrk(key, ctx.shop, clients, **_redeem_env(ctx, bench_codes=ctx.redeem_codes_file))


def single_voucher(ctx: Context) -> None:
    """50 clients on one voucher, a fixed number of redemptions; the DB must agree exactly."""
    code = dataset.load_big_vouchers(ctx.db_url, 1)[0]
    initial, before, _ = dataset.voucher_balance(ctx.db_url, code)
    # No warm-up: every redemption of this voucher must be accounted for.
    result = ctx.wrk("single_50", ctx.shop, 50, warm=False, **_redeem_env(
        ctx, bench_path=f"/api/v1/vouchers/{code}/redemptions", bench_budget=SINGLE_BUDGET,
        bench_after_budget_path=f"/api/v1/vouchers/{code}"))
    # wrk stopped only once every budgeted redemption had its answer: none is in flight.
    _, remaining, ledger_sum = dataset.voucher_balance(ctx.db_url, code)
    expected = before - result["created"]
    ok = (remaining == expected == ledger_sum and errors_of(result) == 0
          and result["created"] == SINGLE_BUDGET)
    ctx.check("50 clients on one voucher", ok,
              f"{SINGLE_BUDGET} redemptions sent, {result['created']} × 201, "
              f"{errors_of(result)} errors; remaining {remaining} = initial {initial} "
              f"− {initial - remaining} (expected {expected}; ledger sum {ledger_sum})")


def webhooks(ctx: Context) -> None:
    orders = dataset.load_pending_orders(ctx.db_url, WEBHOOK_ORDERS, ctx.config.split()[-1])
    for order in orders:
        ctx.stub.add_session(paid_session(order))
    path = os.path.join(ctx.workdir, f"deliveries-{ctx.config.split()[-1]}.txt")
    n = write_deliveries(path, orders, ctx.webhook_secret, duplicate_share=0.2,
                         seed=secrets.randbelow(1 << 30))
    result = ctx.wrk("webhook_10", ctx.shop, 10, script="webhook.lua", warm=False,
                     bench_deliveries=path, bench_budget=n)
    state = verify_fulfilment(ctx.db_url, orders)
    ok = state["ok"] and errors_of(result) == 0
    ctx.check(f"{n} webhook deliveries ({n - len(orders)} duplicates), 10 concurrent", ok,
              f"{state['paid']}/{state['orders']} orders paid, "
              f"{state['wrong_voucher_sets']} with a wrong voucher count, "
              f"{state['vouchers']} vouchers; {errors_of(result)} non-2xx; "
              f"outbox {state['outbox']} (no SMTP: nothing sent)")
