"""schemathesis generates requests from /api/v1/openapi.json: no 5xx, every response
documented and matching its schema (staff endpoints with a real bearer token).

Schema-valid requests may still be refused with 422 by business rules the schema cannot
express (a product's amount bounds, a delivery date in the past), so the
"positive data acceptance" check is left out; malformed requests must be refused.
"""
import schemathesis
from schemathesis.checks import (
    content_type_conformance, negative_data_rejection, not_a_server_error,
    response_schema_conformance, status_code_conformance)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from giftshop.extensions import db


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]


def test_api_never_errors_and_matches_its_schema(app):
    from giftshop.desk.staff import create_staff, issue_token
    from giftshop.vouchers.service import issue_voucher

    with app.app_context():
        create_staff("desk@example.com", "a long enough password", role="staff")
        db.session.commit()
        token = issue_token("desk@example.com")
        issue_voucher(kind="money", initial=10_000, value_cents=10_000)
        db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3
    headers = {"Authorization": f"Bearer {token}"}
    seen = []

    @given(data=st.data())
    @settings(max_examples=60 * len(operations), deadline=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(data):
        operation = data.draw(st.sampled_from(operations))
        case = data.draw(operation.as_strategy())
        seen.append(operation.label)
        case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()
    assert len(set(seen)) == len(operations), "every operation was exercised"
