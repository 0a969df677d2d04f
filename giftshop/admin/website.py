"""The back office's "Website button" page: the snippet to paste into the practice's site."""
from flask import current_app, render_template, request

from giftshop.admin.blueprint import bp
from giftshop.catalog.service import active_products
from giftshop.embed.snippet import website_snippet


@bp.get("/website")
def website():
    base = current_app.config["SHOP_BASE_URL"]
    return render_template(
        "admin/website.html", snippet=website_snippet(base),
        product_snippets=[(p, website_snippet(base, p.slug)) for p in active_products()],
        embed_origins=current_app.config["EMBED_ORIGINS"],
        # Loaded from the address this page was reached at, so it also works before the
        # shop has its public address.
        preview=website_snippet(request.host_url),
    )
