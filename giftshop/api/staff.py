"""Staff JSON API (bearer token): look up, redeem, reverse, void.

A retried `POST /vouchers/<code>/redemptions` with the same `Idempotency-Key` answers
201 with the first redemption's id and the voucher's *current* remaining value, and
the header `Idempotent-Replayed: true`; nothing is written twice.
"""
from flask import Blueprint, request

from giftshop.api import openapi
from giftshop.desk import ledger
from giftshop.desk.auth import (api_owner_required, api_staff_cached, api_staff_required,
                                 current_api_staff, note_token_use)
from giftshop.errors import ValidationFailed
from giftshop.extensions import csrf, db
from giftshop.models.vocab import GratuityStatus, Kind, LedgerKind, VoucherState, values
from giftshop.vouchers.lookup import find_with_history
from giftshop.vouchers.search import MAX_QUERY, MAX_RESULTS, search_vouchers

bp = Blueprint("api_staff", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.after_request(note_token_use)


@bp.before_request
def _reads_in_autocommit():
    """A staff GET reads with single statements and writes at most the token's
    last-used time, so on PostgreSQL it runs without a transaction: no BEGIN and
    ROLLBACK round trips. The pool restores the isolation level on check-in."""
    if request.method == "GET" and db.session.get_bind().dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _json_object() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed({"body": "Send a JSON object (Content-Type: application/json)."})
    return data


def _idempotency_key(required: bool) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key and required:
        raise ValidationFailed({"Idempotency-Key": "Send an Idempotency-Key header (a UUID) "
                                "so a retried request cannot redeem twice."},
                               "The Idempotency-Key header is required.")
    if len(key) > 255:
        raise ValidationFailed({"Idempotency-Key": "Use at most 255 characters."})
    return key or None


def _created(outcome: ledger.Outcome, **extra):
    body = {"id": outcome.entry.id, "remaining": outcome.voucher.remaining, **extra}
    headers = {} if outcome.created else {"Idempotent-Replayed": "true"}
    return body, 201, headers


@bp.get("/vouchers")
@api_staff_required
def search():
    query = request.args.get("q", "")
    if not query.strip():
        raise ValidationFailed({"q": "Send ?q= with part of a code, a name or an email."})
    if len(query) > MAX_QUERY:
        raise ValidationFailed({"q": f"Use at most {MAX_QUERY} characters."})
    return {"vouchers": [
        {"code": v.code, "kind": v.kind, "remaining": v.remaining, "status": v.display_status,
         "recipient_name": v.recipient_name, "purchaser_name": v.purchaser_name}
        for v in search_vouchers(query)]}


@bp.get("/vouchers/<code>")
@api_staff_cached
def get_voucher(code: str):
    # One statement: the voucher, its history and whether the (cached) token still works.
    voucher, rows = find_with_history(code, token_id=current_api_staff().token_id)
    return {"code": voucher.code, "kind": voucher.kind, "status": voucher.display_status,
            "initial": voucher.initial, "remaining": voucher.remaining,
            "gratuity": gratuity_json(voucher),
            "history": [{"id": r.entry_id, "kind": r.entry_kind, "delta": r.delta,
                         "balance_after": r.balance_after, "at": r.created_at.isoformat(),
                         "staff": r.staff_email, "note": r.note, "reverses": r.reverses_id}
                        for r in rows]}


def gratuity_json(voucher) -> dict:
    """The prepaid gratuity, apart from the value: cents, and whether it is still held
    for the first session, paid out (when) or refunded to the buyer."""
    paid_at = voucher.gratuity_paid_at
    return {"cents": voucher.gratuity_cents, "status": voucher.gratuity_status,
            "paid_at": paid_at.isoformat() if paid_at else None}


@bp.post("/vouchers/<code>/redemptions")
@api_staff_cached
def redeem(code: str):
    key = _idempotency_key(required=True)
    data = _json_object()
    unknown = set(data) - {"amount_cents", "sessions", "note"}
    if unknown or ("amount_cents" in data) == ("sessions" in data):
        raise ValidationFailed({"body": 'Send exactly one of {"amount_cents": N} or '
                                '{"sessions": N} (and optionally "note").'})
    note = data.get("note", "")
    if not isinstance(note, str):
        raise ValidationFailed({"note": "The note must be a string."})
    staff = current_api_staff()
    outcome = ledger.redeem(code, staff=staff, amount_cents=data.get("amount_cents"),
                            sessions=data.get("sessions"), idempotency_key=key, note=note,
                            token_id=staff.token_id)
    return _created(outcome)


@bp.post("/redemptions/<int:entry_id>/reversal")
@api_staff_required
def reverse(entry_id: int):
    data = request.get_json(silent=True) or {}
    note = data.get("note", "") if isinstance(data, dict) else ""
    if not isinstance(note, str):
        raise ValidationFailed({"note": "The note must be a string."})
    outcome = ledger.reverse(entry_id, staff=current_api_staff(),
                             idempotency_key=_idempotency_key(required=False), note=note)
    return _created(outcome, reverses=entry_id)


@bp.post("/vouchers/<code>/void")
@api_owner_required
def void(code: str):
    data = _json_object()
    reason = data.get("reason")
    if not isinstance(reason, str):
        raise ValidationFailed({"reason": "Say why the voucher is being voided."})
    outcome = ledger.void_voucher(code, staff=current_api_staff(), reason=reason,
                                  idempotency_key=_idempotency_key(required=False))
    return _created(outcome)


def _path_param(name: str, schema: dict) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema}


_CODE = _path_param("code", {"type": "string", "description": "Any printed or bare form"})
_KEY_HEADER = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string",
               "maxLength": 255}}
_SECURED = [{"bearer": []}]
_AUTH_ERRORS = {"401": openapi._error("No or a bad bearer token (`unauthorized`)")}
_REFUSALS = {
    "404": openapi._error("`unknown_code` / `unknown_entry`"),
    "409": openapi._error("`insufficient_balance`, `no_sessions_left`, `frozen`, "
                          "`already_reversed`, `not_reversible`"),
    "410": openapi._error("`voided` or `refunded`"),
    "422": openapi._error("Malformed request; `errors` maps fields to messages"),
}
def _body(ref: str) -> dict:
    return {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{ref}"}}}}


SCHEMAS = {
    "LedgerEntry": {
        "type": "object",
        "required": ["id", "kind", "delta", "balance_after", "at", "staff", "note"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"enum": values(LedgerKind)},
            "delta": {"type": "integer"}, "balance_after": {"type": "integer", "minimum": 0},
            "at": {"type": "string", "format": "date-time"},
            "staff": {"type": ["string", "null"]}, "note": {"type": "string"},
            "reverses": {"type": ["integer", "null"]},
        },
    },
    "StaffVoucher": {
        "type": "object",
        "required": ["code", "kind", "status", "initial", "remaining", "history"],
        "properties": {
            "code": {"type": "string"}, "kind": {"enum": values(Kind)},
            "status": {"enum": values(VoucherState)},
            "initial": {"type": "integer"}, "remaining": {"type": "integer", "minimum": 0},
            "gratuity": {"$ref": "#/components/schemas/Gratuity"},
            "history": {"type": "array", "items": {"$ref": "#/components/schemas/LedgerEntry"}},
        },
    },
    "Gratuity": {
        "type": "object", "required": ["cents", "status", "paid_at"],
        "description": "The buyer's prepaid gratuity for the therapist, never part of the "
                       "voucher's value: `held` until the first redemption pays it out "
                       "(`paid`), `refunded` when a refund returned it, `none` without one.",
        "properties": {
            "cents": {"type": "integer", "minimum": 0},
            "status": {"enum": values(GratuityStatus)},
            "paid_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "VoucherMatches": {
        "type": "object", "required": ["vouchers"],
        "properties": {"vouchers": {"type": "array", "maxItems": MAX_RESULTS, "items": {
            "type": "object",
            "required": ["code", "kind", "remaining", "status", "recipient_name",
                         "purchaser_name"],
            "properties": {
                "code": {"type": "string"}, "kind": {"enum": values(Kind)},
                "remaining": {"type": "integer", "minimum": 0},
                "status": {"enum": values(VoucherState)},
                "recipient_name": {"type": ["string", "null"]},
                "purchaser_name": {"type": "string"},
            }}}},
    },
    "RedemptionRequest": {
        "type": "object", "additionalProperties": False,
        "description": "Exactly one of amount_cents (money) or sessions (packages).",
        "properties": {"amount_cents": {"type": "integer", "minimum": 1},
                       "sessions": {"type": "integer", "minimum": 1},
                       "note": {"type": "string", "maxLength": 500}},
    },
    "VoidRequest": {"type": "object", "required": ["reason"],
                    "properties": {"reason": {"type": "string", "minLength": 1,
                                              "maxLength": 500}}},
    "LedgerResult": {
        "type": "object", "required": ["id", "remaining"],
        "properties": {"id": {"type": "integer"}, "remaining": {"type": "integer", "minimum": 0},
                       "reverses": {"type": "integer"}},
    },
}

PATHS = {
    "/vouchers": {"get": {
        "operationId": "searchVouchers",
        "summary": "Find vouchers by part of a code, or a recipient's or purchaser's name "
                   "or email (case- and accent-insensitive; newest first; at most 50)",
        "security": _SECURED,
        "parameters": [{"name": "q", "in": "query", "required": True,
                        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY}}],
        "responses": {"200": openapi._json("Matching vouchers", "VoucherMatches"),
                      **_AUTH_ERRORS, "422": _REFUSALS["422"]},
    }},
    "/vouchers/{code}": {"get": {
        "operationId": "getStaffVoucher", "summary": "A voucher, what remains, its history",
        "security": _SECURED, "parameters": [_CODE],
        "responses": {"200": openapi._json("The voucher", "StaffVoucher"), **_AUTH_ERRORS,
                      "404": _REFUSALS["404"]},
    }},
    "/vouchers/{code}/redemptions": {"post": {
        "operationId": "redeem", "summary": "Redeem an amount or sessions",
        "description": "A retried Idempotency-Key answers 201 with the first redemption's id "
                       "(header `Idempotent-Replayed: true`) and writes nothing.",
        "security": _SECURED, "parameters": [_CODE, {**_KEY_HEADER, "required": True}],
        "requestBody": _body("RedemptionRequest"),
        "responses": {"201": openapi._json("Redeemed (or replayed)", "LedgerResult"),
                      **_AUTH_ERRORS, **_REFUSALS},
    }},
    "/redemptions/{id}/reversal": {"post": {
        "operationId": "reverseRedemption",
        "summary": "Undo a redemption (staff within 24 hours, the owner any time)",
        "security": _SECURED,
        "parameters": [_path_param("id", {"type": "integer"}), _KEY_HEADER],
        "responses": {"201": openapi._json("Reversed", "LedgerResult"), **_AUTH_ERRORS,
                      "403": openapi._error("`reversal_window_passed`"), **_REFUSALS},
    }},
    "/vouchers/{code}/void": {"post": {
        "operationId": "voidVoucher", "summary": "Void a voucher (owner only)",
        "security": _SECURED, "parameters": [_CODE, _KEY_HEADER],
        "requestBody": _body("VoidRequest"),
        "responses": {"201": openapi._json("Voided", "LedgerResult"), **_AUTH_ERRORS,
                      "403": openapi._error("Not the owner (`forbidden`)"), **_REFUSALS},
    }},
}
