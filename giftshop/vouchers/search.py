"""Finding vouchers without their code: by recipient or purchaser name or email, or by
part of the code, ignoring case and accents on SQLite and PostgreSQL alike.

Neither database folds accents the same way (SQLite has no unaccent; PostgreSQL's is
an extension), so the folding is done here in Python and stored in
`Voucher.search_text`, which `refresh_search_text` keeps current wherever a name or
email on a voucher is written. A query is folded the same way and matched as a
substring.
"""
import re
import unicodedata

from sqlalchemy import or_, select

from giftshop.extensions import db
from giftshop.models import Voucher
from giftshop.vouchers.codes import PREFIX, normalize_code

#: Desk and API answers are short lists a person reads; narrow the query for more.
MAX_RESULTS = 50
MAX_QUERY = 200
_SPACES = re.compile(r"\s+")
_CODE_CHARS = re.compile(r"[^0-9A-Z]")


def fold(text: str | None) -> str:
    """Lower case without accents or repeated spaces: "  José  ÁLVAREZ" → "jose alvarez"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", bare.casefold()).strip()


def refresh_search_text(voucher: Voucher) -> None:
    """Recompute the folded names and emails a voucher is found by. Call after setting
    any of them; does not flush or commit."""
    purchaser_email = voucher.order.purchaser_email if voucher.order is not None else ""
    parts = (voucher.recipient_name, voucher.recipient_email, voucher.purchaser_name,
             purchaser_email)
    voucher.search_text = " | ".join(fold(p) for p in parts if p)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_vouchers(query: str) -> list[Voucher]:
    """Vouchers whose recipient or purchaser name or email contains the query, or whose
    code contains it (any case, with or without separators); newest first, at most
    MAX_RESULTS. Read-only; an empty query finds nothing."""
    folded = fold(query[:MAX_QUERY])
    if not folded:
        return []
    matches = [Voucher.search_text.like(_like(folded), escape="\\")]
    code_part = _CODE_CHARS.sub("", folded.upper()).removeprefix(PREFIX)
    if len(code_part) >= 4:  # shorter fragments of a random code match at random
        matches.append(Voucher.code.like(_like(code_part), escape="\\"))
    return list(db.session.scalars(
        select(Voucher).where(or_(*matches))
        .order_by(Voucher.created_at.desc(), Voucher.id.desc()).limit(MAX_RESULTS)))


def find_for_desk(text: str) -> Voucher | list[Voucher]:
    """What the desk's one search field means: the voucher itself for a whole code (typed,
    printed or a scanned QR URL), else the vouchers `search_vouchers` finds. Read-only."""
    code = normalize_code(text or "")
    if code is not None:
        exact = db.session.scalar(select(Voucher).where(Voucher.code == code))
        if exact is not None:
            return exact
    return search_vouchers(text or "")
