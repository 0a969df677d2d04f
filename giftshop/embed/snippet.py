"""The copy-paste snippet the back office shows for the practice's website."""
from markupsafe import escape

BUTTON_TEXT = "Buy a gift certificate"


def website_snippet(shop_base_url: str, product_slug: str | None = None) -> str:
    """HTML for another site: a plain link to the shop (works without JavaScript) that
    button.js turns into a styled button opening the purchase dialog."""
    base = shop_base_url.rstrip("/")
    product = f' data-product="{escape(product_slug)}"' if product_slug else ""
    return (f'<a href="{escape(base)}/" data-giftshop-button{product}>{BUTTON_TEXT}</a>\n'
            f'<script src="{escape(base)}/embed/button.js" async></script>')
