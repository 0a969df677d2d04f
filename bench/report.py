"""Turns the measured runs into the Markdown that `make bench` prints and saves."""
from bench.scenarios import DURATION, errors_of

# (label, target run, baseline run, baseline label, min throughput share, max p99 factor)
TARGETS = [
    ("Redemption API, 1,000 vouchers", "redeem_10", "base_update_10", "bare UPDATE", 0.50, 2.0),
    ("Redemption API, 1,000 vouchers", "redeem_50", "base_update_50", "bare UPDATE", 0.50, 2.0),
    ("Redemption API, one voucher", "single_50", "base_update_50", "bare UPDATE", None, None),
    ("Voucher lookup (100k vouchers, 1M entries)", "lookup_10", "base_select_10", "bare SELECT",
     0.60, None),
    ("Webhook fulfilment (1,000 deliveries)", "webhook_10", "base_update_10", "bare UPDATE",
     0.35, None),
    ("Catalog page `GET /`", "catalog_10", "base_page_10", "bare same-size template", 0.50,
     None),
]
BASELINES = [
    ("bare `GET /select` (SELECT 1)", "base_select_10"),
    ("bare `POST /update` (UPDATE … RETURNING)", "base_update_10"),
    ("bare `POST /update` (UPDATE … RETURNING)", "base_update_50"),
    ("bare `GET /page` (template, no DB)", "base_page_10"),
]


def _ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def _goal(share, p99_factor) -> str:
    parts = []
    if share is not None:
        parts.append(f"≥ {share:.0%} req/s")
    if p99_factor is not None:
        parts.append(f"p99 ≤ {p99_factor:g}×")
    parts.append("0 errors")
    return ", ".join(parts)


def target_rows(contexts) -> tuple[list[str], list[bool]]:
    lines = ["| Scenario | Workers | Clients | req/s | p99 ms | Errors | Baseline | "
             "Baseline req/s | Baseline p99 ms | Share | p99 × | Goal | Met |",
             "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|"]
    verdicts = []
    for label, key, base_key, base_label, share, p99_factor in TARGETS:
        for ctx in contexts:
            run, base = ctx.runs.get(key), ctx.runs.get(base_key)
            if run is None or base is None:
                lines.append(f"| {label} | {ctx.config} | | not measured | | | {base_label} "
                             f"| | | | | {_goal(share, p99_factor)} | — |")
                continue
            ratio = run["rps"] / base["rps"]
            p99x = run["p99_us"] / max(base["p99_us"], 1)
            ok = errors_of(run) == 0
            if share is not None:
                ok = ok and ratio >= share
            if p99_factor is not None:
                ok = ok and p99x <= p99_factor
            verdicts.append(ok)
            lines.append(
                f"| {label} | {ctx.config} | {run['clients']} | {run['rps']:.0f} | "
                f"{_ms(run['p99_us'])} | {errors_of(run)} | {base_label} | {base['rps']:.0f} | "
                f"{_ms(base['p99_us'])} | {ratio:.0%} | {p99x:.2f} | {_goal(share, p99_factor)} "
                f"| {'yes' if ok else '**no**'} |")
    return lines, verdicts


def baseline_rows(contexts) -> list[str]:
    lines = ["| Baseline route | Workers | Clients | req/s | before / after | p50 ms | p99 ms "
             "| Errors |",
             "|---|---|---:|---:|---|---:|---:|---:|"]
    for label, key in BASELINES:
        for ctx in contexts:
            run = ctx.runs.get(key)
            if run:
                rounds = " / ".join(str(r) for r in run.get("rounds", []))
                lines.append(f"| {label} | {ctx.config} | {run['clients']} | {run['rps']:.0f} | "
                             f"{rounds} | {_ms(run['p50_us'])} | {_ms(run['p99_us'])} | "
                             f"{errors_of(run)} |")
    return lines


def render(*, machine, started, elapsed, contexts, liability, load, pdf, notes,
           statements) -> tuple[str, bool]:
    """The Markdown report, and whether every correctness check passed."""
    targets, verdicts = target_rows(contexts)
    checks = [c for ctx in contexts for c in ctx.checks]
    out = [
        "# Benchmark results",
        "",
        f"Run {started} UTC by `make bench` in {elapsed:.0f} s. Machine: {machine['nproc']} CPUs "
        f"({machine['cpu']}), PostgreSQL {machine['postgresql']} ({machine['pg_settings']}), "
        f"Python {machine['python']}, "
        f"{machine['wrk']}, Linux {machine['kernel']}. Load generator, gunicorn and PostgreSQL "
        "share the machine.",
        "",
        f"Each figure is a {DURATION:g} s `wrk -t1` run (after a short warm-up) beside its "
        "baseline in the same run, on the same gunicorn settings: 2 sync workers, and 2 "
        "workers × 4 gthreads. Errors are non-2xx answers counted by the Lua scripts plus "
        "socket errors. The webhook and one-voucher runs are fixed-count runs (no warm-up). "
        "Each baseline is run just before and just after the targets compared with it; its "
        "figure is both runs together (req/s over both, p50/p99 averaged).",
        "",
        "## Targets",
        "",
        *targets,
        "",
        f"{sum(verdicts)} of {len(verdicts)} target figures met.",
        "",
        "## Correctness under load",
        "",
        "| Check | Workers | Result | Detail |",
        "|---|---|---|---|",
        *[f"| {c['name']} | {c['config']} | {'pass' if c['ok'] else '**FAIL**'} | "
          f"{c['detail']} |" for c in checks],
        "",
        "## Liability report",
        "",
        liability,
        "",
        "## Baselines (bare Flask + Flask-SQLAlchemy)",
        "",
        *baseline_rows(contexts),
        "",
        "## SQL statements per request",
        "",
        "Counted in-process (Flask test client, SQLAlchemy `before_cursor_execute`) after "
        "one warm-up call; each transaction's BEGIN/COMMIT (and a connection pre-ping, if "
        "the engine options ask for one) are round trips on top, except for the staff "
        "API's lookup and redemption, which run outside a transaction on PostgreSQL (one "
        "statement each, committed by itself). The webhook also re-reads the Checkout "
        "Session from Stripe over HTTP.",
        "",
        statements,
        "",
        "## Data set",
        "",
        load,
        "",
        "## PDF",
        "",
        pdf,
    ]
    if notes:
        out += ["", "## Notes", "", *[f"- {n}" for n in notes]]
    return "\n".join(out) + "\n", all(c["ok"] for c in checks)
