"""`flask --app giftshop outbox run [--once]`: the email sender as a worker process;
`reminders queue [--dry-run]`: queue the reminder emails due now (cron, or by hand)."""
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from giftshop.vouchers import outbox, reminders

outbox_cli = AppGroup("outbox", help="Send queued emails.")
reminders_cli = AppGroup("reminders", help="Reminder emails to holders with value left.")


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


@reminders_cli.command("queue")
@click.option("--dry-run", is_flag=True, help="List the vouchers due, queue nothing.")
@click.option("--limit", default=100, show_default=True, help="Reminders at most.")
def queue(dry_run: bool, limit: int):
    """Queue the reminders due now (the outbox sends them); safe to run twice."""
    if not reminders.enabled():
        raise click.ClickException("Reminders are off: set REMINDER_AFTER_DAYS (days unused "
                                   "before a reminder) to turn them on.")
    if dry_run:
        due = reminders.due_vouchers(reminders.utcnow(), limit)
        for voucher in due:
            click.echo(f"{voucher.code}  {reminders.holder_email(voucher)}  "
                       f"{reminders.left_text(voucher)}")
        click.echo(f"{len(due)} reminder(s) due.")
        return
    queued = reminders.queue_due_reminders(limit=limit)
    click.echo(f"Queued {len(queued)} reminder(s).")
