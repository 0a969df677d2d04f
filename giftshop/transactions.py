"""Who rolls back: a service that raises leaves the session clean.

Every service function that writes is decorated with `rolls_back_on_error`: when it
raises (a DomainError a view will show, a Stripe error, anything else) its transaction
is rolled back before the exception leaves it, so row locks are released at once and
the caller (a view rendering the refusal beside a form, a CLI printing it, a test)
finds nothing half-written in the session. Views and commands never roll back; the
app's error handlers still do, for code that raises outside a service.
"""
from functools import wraps

from giftshop.extensions import db


def rolls_back_on_error(service):
    @wraps(service)
    def run(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
    return run
