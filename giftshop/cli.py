"""`flask --app giftshop ...` commands. Thin: parse, call one service, print."""
import click
from flask import Flask


def register(app: Flask) -> None:
    from giftshop.desk.cli import staff_cli

    app.cli.add_command(staff_cli)
    from giftshop.vouchers.cli import outbox_cli, reminders_cli

    app.cli.add_command(outbox_cli)
    app.cli.add_command(reminders_cli)

    from giftshop.report_cli import report_cli

    app.cli.add_command(report_cli)

    register_backup(app)

    @app.cli.command("seed")
    def seed():
        """Create the seed catalog (idempotent)."""
        from giftshop.catalog.service import seed_catalog

        created = seed_catalog()
        click.echo(f"Catalog seeded: {created} product(s) created.")


def register_backup(app: Flask) -> None:
    """`db backup FILE` / `db restore FILE`, beside Flask-Migrate's `db upgrade`."""
    from flask_migrate.cli import db as db_group

    @db_group.command("backup")
    @click.argument("file", type=click.Path(dir_okay=False))
    def backup(file):
        """Write a consistent snapshot of the database to FILE (safe while the shop serves)."""
        from flask import current_app

        from giftshop import backup as service
        from giftshop.errors import DomainError

        try:
            service.backup(current_app.config["SQLALCHEMY_DATABASE_URI"], file)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"Backup written to {file}.")

    @db_group.command("restore")
    @click.argument("file", type=click.Path(dir_okay=False))
    def restore(file):
        """Load FILE (made by `db backup`) into this database, which must be empty."""
        from flask import current_app

        from giftshop import backup as service
        from giftshop.errors import DomainError
        from giftshop.extensions import db

        try:
            service.restore(current_app.config["SQLALCHEMY_DATABASE_URI"], file,
                            list(db.metadata.tables))
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"Restored {file}.")
