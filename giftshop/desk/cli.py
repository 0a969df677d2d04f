"""`flask --app giftshop staff ...`: staff accounts and API tokens. Thin: parse, call, print."""
import sys

import click
from flask.cli import AppGroup

from giftshop.errors import DomainError, ValidationFailed


def _read_password() -> str:
    # A person at a terminal types it twice, hidden; a script pipes it on stdin.
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


def _fail(exc: DomainError) -> click.ClickException:
    details = ""
    if isinstance(exc, ValidationFailed):
        details = " " + " ".join(f"{field}: {msg}" for field, msg in exc.errors.items())
    return click.ClickException(f"{exc.message}{details}")


@click.group("staff", cls=AppGroup)  # runs its commands in an app context
def staff_cli():
    """Front-desk staff accounts and API tokens."""


@staff_cli.command("create")
@click.argument("email")
@click.option("--owner", is_flag=True, help="Give the owner role (back office, voids).")
@click.option("--name", default="", help="Shown in voucher histories.")
def create(email: str, owner: bool, name: str):
    """Create a staff account; the password comes from a prompt or stdin."""
    from giftshop.desk.staff import create_staff

    try:
        staff = create_staff(email, _read_password(), role="owner" if owner else "staff",
                             name=name)
    except DomainError as exc:
        raise _fail(exc) from None
    click.echo(f"Created {staff.role} account {staff.email}.", err=True)


@staff_cli.command("token")
@click.argument("email")
def token(email: str):
    """Issue a new API token and print it alone on stdout (it is shown only once)."""
    from giftshop.desk.staff import issue_token

    try:
        click.echo(issue_token(email))
    except DomainError as exc:
        raise _fail(exc) from None


@staff_cli.command("revoke-tokens")
@click.argument("email")
def revoke_tokens(email: str):
    """Revoke every API token of the staff member."""
    from giftshop.desk.staff import revoke

    try:
        count = revoke(email)
    except DomainError as exc:
        raise _fail(exc) from None
    click.echo(f"Revoked {count} token(s) for {email}.")


def _change(change, email: str, *args, done: str):
    try:
        staff = change(email, *args)
    except DomainError as exc:
        raise _fail(exc) from None
    click.echo(done.format(email=staff.email, role=staff.role), err=True)


@staff_cli.command("disable")
@click.argument("email")
def disable(email: str):
    """Disable an account: ends its sessions and revokes its API tokens."""
    from giftshop.desk.accounts import set_active

    _change(set_active, email, False, done="Disabled {email}; its sessions and tokens ended.")


@staff_cli.command("enable")
@click.argument("email")
def enable(email: str):
    """Enable a disabled account again (its old tokens stay revoked)."""
    from giftshop.desk.accounts import set_active

    _change(set_active, email, True, done="Enabled {email}.")


@staff_cli.command("set-password")
@click.argument("email")
def set_password(email: str):
    """Set a new password from a prompt or stdin; ends the member's sessions."""
    from giftshop.desk.accounts import set_password as change

    _change(change, email, _read_password(), done="New password set for {email}; "
                                                    "its sessions ended.")


@staff_cli.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(["owner", "staff"]))
def role(email: str, role: str):
    """Make the member owner or staff."""
    from giftshop.desk.accounts import set_role

    _change(set_role, email, role, done="{email} is now {role}.")
