"""The shop's own pages (flat pages staff edit), and what search engines and shared links
read: meta descriptions, canonical URLs, Open Graph, schema.org Product data, sitemap.xml
and robots.txt."""

import html
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.contrib.flatpages.models import FlatPage
from django.core.management import call_command
from django.test import Client

from catalog.models import Product
from catalog.services import product_delist
from tests.factories import SYSTEM, ProductFactory, add_to_cart

pytestmark = pytest.mark.django_db

PAGES = {
    "/contact/": "Contact us",
    "/shipping-and-returns/": "Shipping and returns",
    "/privacy/": "Privacy",
    "/terms/": "Terms and conditions",
}


@pytest.fixture
def demo():
    call_command("seed_demo", "--no-pictures", verbosity=0)


def meta(page: str, attribute: str, name: str) -> list[str]:
    return [
        html.unescape(value)
        for value in re.findall(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)"', page)
    ]


def canonical(page: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'<link rel="canonical" href="([^"]*)"', page)]


class TestShopPages:
    def test_the_footer_links_the_pages_instead_of_the_event_log_sentence(self, client, demo):
        page = client.get("/").content.decode()
        footer = page.split('<footer class="site-footer">')[1]
        for url in PAGES:
            assert f'href="{url}"' in footer
        assert "append-only log" not in page

    @pytest.mark.parametrize("url", PAGES)
    def test_each_page_answers_with_its_demo_text(self, client, demo, url):
        response = client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        assert f"<h1>{html.escape(PAGES[url])}</h1>" in page
        assert len(re.sub(r"<[^>]+>", "", page.split("<h1>")[1])) > 200  # some real text

    def test_staff_edit_a_page_in_the_admin(self, demo, admin_user):
        staff = Client()
        staff.force_login(admin_user)
        page = FlatPage.objects.get(url="/contact/")
        form = staff.get(f"/admin/flatpages/flatpage/{page.pk}/change/")
        assert form.status_code == 200
        response = staff.post(
            f"/admin/flatpages/flatpage/{page.pk}/change/",
            {
                "url": "/contact/",
                "title": "Talk to us",
                "content": "<p>Ring the bell at the roastery.</p>",
                "sites": [1],
                "template_name": "",
            },
        )
        assert response.status_code == 302
        shown = Client().get("/contact/").content.decode()
        assert "<h1>Talk to us</h1>" in shown and "Ring the bell at the roastery." in shown

    def test_seeding_again_keeps_what_staff_wrote(self, client, demo):
        FlatPage.objects.filter(url="/terms/").update(content="<p>Our own terms.</p>")
        call_command("seed_demo", "--no-pictures", verbosity=0)
        assert FlatPage.objects.filter(url__in=list(PAGES)).count() == 4
        assert "Our own terms." in client.get("/terms/").content.decode()

    def test_a_missing_page_is_a_404(self, client):
        assert client.get("/privacy/").status_code == 404  # not seeded


class TestMetaAndCanonical:
    def pages(self, client):
        kenya = Product.objects.get(slug="kenya-aa")
        add_to_cart(client, kenya, 1)
        return [
            "/",
            "/?category=tea",
            "/?q=tea",
            "/products/kenya-aa/",
            "/cart/",
            "/checkout/",
            "/orders/",
            "/accounts/login/",
            "/accounts/signup/",
            *PAGES,
        ]

    def test_every_page_has_one_description_canonical_and_open_graph(self, client, demo):
        for url in self.pages(client):
            page = client.get(url).content.decode()
            (description,) = meta(page, "name", "description")
            assert 40 <= len(description) <= 200, (url, description)
            (link,) = canonical(page)
            assert link.startswith("http://testserver/"), url
            for tag in ("og:title", "og:description", "og:url", "og:type", "og:site_name"):
                assert len(meta(page, "property", tag)) == 1, (url, tag)

    def test_descriptions_differ_per_page(self, client, demo):
        descriptions = {
            url: meta(client.get(url).content.decode(), "name", "description")[0]
            for url in [
                "/",
                "/?category=tea",
                "/products/kenya-aa/",
                "/contact/",
                "/terms/",
                "/accounts/login/",
                "/accounts/signup/",
                "/orders/",
            ]
        }
        assert len(set(descriptions.values())) == len(descriptions)
        assert "Kenya AA" in descriptions["/products/kenya-aa/"]

    def test_canonical_keeps_only_what_makes_another_page(self, client, demo):
        page = client.get("/", {"category": "tea", "page": 1, "utm_source": "x"}).content
        assert canonical(page.decode()) == ["http://testserver/?category=tea"]
        page = client.get("/products/kenya-aa/", {"ref": "mail"}).content.decode()
        assert canonical(page) == ["http://testserver/products/kenya-aa/"]
        assert meta(page, "property", "og:url") == ["http://testserver/products/kenya-aa/"]

    def test_search_results_are_not_indexed_but_followed(self, client, demo):
        assert meta(client.get("/?q=tea").content.decode(), "name", "robots") == ["noindex, follow"]
        assert meta(client.get("/").content.decode(), "name", "robots") == []


def json_ld(page: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', page, re.S)
    return [json.loads(block) for block in blocks]


class TestProductData:
    def test_a_product_page_describes_the_product_and_its_offer(self, client, demo):
        page = client.get("/products/kenya-aa/").content.decode()
        (data,) = json_ld(page)
        assert data["@context"] == "https://schema.org" and data["@type"] == "Product"
        assert data["name"] == "Kenya AA"
        assert data["category"] == "Coffee"
        assert data["url"] == "http://testserver/products/kenya-aa/"
        assert data["offers"] == {
            "@type": "Offer",
            "url": "http://testserver/products/kenya-aa/",
            "price": "16.20",
            "priceCurrency": "EUR",
            "availability": "https://schema.org/InStock",
        }
        assert meta(page, "property", "og:type") == ["product"]
        assert meta(page, "property", "og:title") == ["Kenya AA"]

    def test_out_of_stock_says_so(self, client, demo):
        (data,) = json_ld(client.get("/products/cold-brew-bottle/").content.decode())
        assert data["offers"]["availability"] == "https://schema.org/OutOfStock"

    def test_the_data_carries_the_pages_csp_nonce(self, client, demo):
        response = client.get("/products/kenya-aa/")
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        assert f'type="application/ld+json" nonce="{nonce}"' in response.content.decode()

    def test_a_hostile_name_cannot_end_the_script(self, client):
        name = "</script><script>alert(1)</script> & Co"
        ProductFactory(name=name, slug="hostile", description="<b>bold</b>")
        page = client.get("/products/hostile/").content.decode()
        assert "</script><script>alert(1)" not in page
        (data,) = json_ld(page)
        assert data["name"] == name and data["description"] == "<b>bold</b>"

    def test_other_pages_carry_no_product_data(self, client, demo):
        assert json_ld(client.get("/").content.decode()) == []


class TestSitemapAndRobots:
    def test_sitemap_lists_home_categories_listed_products_and_pages(self, client, demo):
        delisted = Product.objects.get(slug="latte-glass")
        product_delist(product_id=delisted.id, context=SYSTEM)
        response = client.get("/sitemap.xml")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/xml")
        root = ET.fromstring(response.content)
        ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
        urls = {loc.text for loc in root.findall("s:url/s:loc", ns)}
        assert "http://testserver/" in urls
        assert "http://testserver/?category=tea" in urls
        assert "http://testserver/products/kenya-aa/" in urls
        assert "http://testserver/products/latte-glass/" not in urls
        assert {f"http://testserver{url}" for url in PAGES} <= urls
        assert len(urls) == 1 + 4 + 27 + 4

    def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_out_of_private_pages(self, client):
        response = client.get("/robots.txt")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        text = response.content.decode()
        assert "User-agent: *" in text
        for private in ("/orders/", "/accounts/", "/admin/"):
            assert f"Disallow: {private}" in text
        assert "/cart/" not in text and "/checkout/" not in text  # Lighthouse scores them
        assert "Sitemap: http://testserver/sitemap.xml" in text

    @pytest.mark.parametrize("url", ["/robots.txt", "/sitemap.xml", "/contact/"])
    def test_link_checkers_may_send_head(self, client, demo, url):
        assert client.head(url).status_code == 200
        assert client.post(url).status_code == 405
