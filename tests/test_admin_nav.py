"""The back office's navigation: its own links (not the shop's), the open section marked."""
import re

from tests.support.auth import owner_client

CURRENT = re.compile(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>')


def test_each_back_office_section_marks_its_link_and_leaves_out_the_shop_links(app):
    client = owner_client(app)
    for path, section in (("/admin", "Back office"), ("/admin/orders", "Orders"),
                          ("/admin/catalog", "Catalog"), ("/admin/catalog/new", "Catalog"),
                          ("/admin/vouchers", "Vouchers"), ("/admin/staff", "Staff"),
                          ("/admin/promo-codes", "Promo codes")):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        nav = page[page.index('<nav aria-label="Main">'):page.index("</nav>")]
        assert [label for _, label in CURRENT.findall(nav)] == [section], path
        assert "Gifts &amp; packages" not in nav and "Check a voucher" not in nav
        assert "Sign out" in nav and "Front desk" in nav


def test_the_shop_keeps_its_own_links(client):
    page = client.get("/").get_data(as_text=True)
    nav = page[page.index('<nav aria-label="Main">'):page.index("</nav>")]
    assert "Gifts &amp; packages" in nav and "Check a voucher" in nav
    assert "aria-current" not in nav
