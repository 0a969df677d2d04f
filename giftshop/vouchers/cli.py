"""`flask --app giftshop outbox run [--once] [--workers N]`: the email sender as worker processes;
`reminders queue [--dry-run]`: queue the reminder emails due now (cron, or by hand)."""
import logging
import multiprocessing
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from giftshop.vouchers import outbox, reminders

log = logging.getLogger(__name__)

outbox_cli = AppGroup("outbox", help="Send queued emails.")
reminders_cli = AppGroup("reminders", help="Reminder emails to holders with value left.")


@outbox_cli.command("run")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--limit", default=20, show_default=True, help="Messages per pass.")
@click.option("--interval", default=15.0, show_default=True, help="Seconds between passes.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 32),
              help="Sender processes; they never send the same email twice.")
def run(once: bool, limit: int, interval: float, workers: int):
    """Send due emails over SMTP; any number of workers may run at once.

    SIGTERM or Ctrl-C stops after the email being sent; the rest of a claimed
    batch is handed back at once.
    """
    if not current_app.config["MAIL_SERVER"]:
        raise click.ClickException("MAIL_SERVER is not set: nowhere to send email.")
    if once:
        if workers > 1:
            raise click.UsageError("--once sends from this process only; leave out --workers.")
        report = outbox.run_pass(limit=limit)
        click.echo(f"sent {len(report.sent)}, retrying {len(report.retrying)}, "
                   f"failed {len(report.failed)}")
        return
    click.echo(f"Sending due emails every {interval:g}s with {workers} "
               f"worker{'s' if workers > 1 else ''}; Ctrl-C stops.")
    stop = threading.Event()
    _stop_on_signals(stop)
    if workers == 1:
        outbox.run_forever(current_app._get_current_object(), interval=interval, stop=stop,
                           limit=limit)
    else:
        supervise(workers, interval, limit, stop)


def _stop_on_signals(stop: threading.Event) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())


def supervise(workers: int, interval: float, limit: int, stop: threading.Event) -> None:
    """Keep `workers` sender processes running until `stop`; then stop them and wait.

    Each is a fresh interpreter (`spawn`) building the app from the environment,
    as `flask --app giftshop` does; one that dies is started again.
    """
    context = multiprocessing.get_context("spawn")

    def start(n: int):
        process = context.Process(target=worker_process, args=(interval, limit),
                                  name=f"outbox-sender-{n}", daemon=False)
        process.start()
        return process

    processes = [start(n) for n in range(workers)]
    try:
        while not stop.wait(1.0):
            for n, process in enumerate(processes):
                if not process.is_alive():
                    log.warning("outbox sender %s exited (code %s); starting it again",
                                process.name, process.exitcode)
                    processes[n] = start(n)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: the worker finishes its current email
        for process in processes:
            process.join(outbox.SMTP_TIMEOUT + 30)


def worker_process(interval: float, limit: int) -> None:
    """One sender process (the target of `supervise`)."""
    from giftshop import create_app

    stop = threading.Event()
    _stop_on_signals(stop)
    outbox.run_forever(create_app(), interval=interval, stop=stop, limit=limit)


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
