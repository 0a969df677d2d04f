"""`flask --app giftshop report ...`: the owner's reports on the command line."""
import click
from flask.cli import AppGroup

from giftshop import reports
from giftshop.localtime import today_local

report_cli = AppGroup("report", help="Owner reports.")


@report_cli.command("liability")
@click.option("--csv", "as_csv", is_flag=True,
              help="Print CSV (dollars; sessions in a column of their own) instead of text.")
def liability(as_csv: bool):
    """Outstanding liability: money balances plus remaining sessions at the price paid."""
    figures = reports.liability()
    if as_csv:
        click.echo(reports.to_csv(figures.rows()), nl=False)
    else:
        click.echo(reports.liability_text(figures, today_local()))
