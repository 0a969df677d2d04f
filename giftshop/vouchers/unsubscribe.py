"""The reminder emails' unsubscribe link: `/unsubscribe/<token>` (RFC 8058).

GET shows a confirm page (link checkers and mail scanners open links: a GET must not
unsubscribe); POST unsubscribes, from the page's button or from a mail client's
one-click `List-Unsubscribe-Post`. The signed token is the credential, so the POST
carries no CSRF token (a mail client has none to send) and needs no sign-in.
"""
from flask import Blueprint, render_template, request

from giftshop.errors import NotFound
from giftshop.extensions import csrf
from giftshop.vouchers import reminders
from giftshop.web import keep_private

bp = Blueprint("reminders", __name__)


def _address(token: str) -> str:
    email = reminders.email_for_token(token)
    if email is None:
        raise NotFound("This unsubscribe link is not valid. Call us and we will stop the "
                       "reminders for you.", code="bad_unsubscribe_link")
    return email


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    email = _address(token)
    return keep_private(render_template("vouchers/unsubscribe.html", email=email, done=False,
                                        already=reminders.is_opted_out(email)))


@bp.post("/unsubscribe/<token>")
@csrf.exempt
def unsubscribe_now(token: str):
    email = _address(token)
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    reminders.opt_out(email, source="one_click" if one_click else "page")
    return keep_private(render_template("vouchers/unsubscribe.html", email=email, done=True,
                                        already=False))
