"""`flask --app giftshop outbox run [--once]`: the email sender as a worker process."""
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from giftshop.vouchers import outbox

outbox_cli = AppGroup("outbox", help="Send queued emails.")


@outbox_cli.command("run")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--limit", default=20, show_default=True, help="Messages per pass.")
@click.option("--interval", default=15.0, show_default=True, help="Seconds between passes.")
def run(once: bool, limit: int, interval: float):
    """Send due emails over SMTP; several workers may run at once (PostgreSQL)."""
    if not current_app.config["MAIL_SERVER"]:
        raise click.ClickException("MAIL_SERVER is not set: nowhere to send email.")
    if once:
        report = outbox.run_pass(limit=limit)
        click.echo(f"sent {len(report.sent)}, retrying {len(report.retrying)}, "
                   f"failed {len(report.failed)}")
        return
    click.echo(f"Sending due emails every {interval:g}s; Ctrl-C stops.")
    stop = threading.Event()
    try:
        outbox.run_forever(current_app._get_current_object(), interval=interval, stop=stop,
                           limit=limit)
    except KeyboardInterrupt:
        stop.set()
