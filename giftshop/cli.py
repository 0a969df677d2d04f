"""`flask --app giftshop ...` commands. Thin: parse, call one service, print."""
import click
from flask import Flask


def register(app: Flask) -> None:
    from giftshop.desk.cli import staff_cli

    app.cli.add_command(staff_cli)
    from giftshop.vouchers.cli import outbox_cli

    app.cli.add_command(outbox_cli)

    from giftshop.report_cli import report_cli

    app.cli.add_command(report_cli)

    @app.cli.command("seed")
    def seed():
        """Create the seed catalog (idempotent)."""
        from giftshop.catalog.service import seed_catalog

        created = seed_catalog()
        click.echo(f"Catalog seeded: {created} product(s) created.")
