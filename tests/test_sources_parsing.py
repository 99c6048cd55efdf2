"""What a response is and what it lists, what a page says about itself, and which paragraph is a
correction: the parsing behind web sources, on small hand-written inputs."""

from __future__ import annotations

import gzip
import json

import pytest

from ingest.web_corrections import find_correction
from ingest.web_fetch import Fetched
from ingest.web_listings import FEED, PAGE, SITEMAP, WORDPRESS, NotAListing, read_listing
from ingest.web_pages import NoArticle, extract_page

CAP = 2**20


def response(body: bytes, content_type: str = "", headers: dict[str, str] | None = None) -> Fetched:
    return Fetched(
        url="http://news.example/x", status=200, body=body, content_type=content_type, headers=headers or {}
    )


def test_atom_feed_items_with_ids_and_updated_dates() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
    <entry><id>tag:news.example,2024:1</id><title>One</title><link href="/news/one"/>
    <published>2024-05-01T09:00:00Z</published><updated>2024-05-02T10:30:00Z</updated></entry></feed>"""
    listing = read_listing(response(atom, "application/atom+xml"), max_bytes=CAP)
    [item] = listing.items
    assert (listing.kind, listing.complete) == (FEED, False)
    assert item.url == "http://news.example/news/one" and item.title == "One"
    assert item.published == "2024-05-01T09:00:00+00:00" and item.modified == "2024-05-02T10:30:00+00:00"
    assert item.marker == "tag:news.example,2024:1|2024-05-02T10:30:00+00:00"


def test_google_news_sitemap_gzipped_and_sitemap_index() -> None:
    news = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
    xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>http://news.example/a</loc>
    <news:news><news:publication><news:name>Daily</news:name><news:language>en</news:language></news:publication>
    <news:publication_date>2024-05-01T08:00:00Z</news:publication_date><news:title>Storm &amp; flood</news:title>
    </news:news></url></urlset>"""
    listing = read_listing(response(gzip.compress(news), "application/gzip"), max_bytes=CAP)
    [item] = listing.items
    assert (listing.kind, listing.complete, item.title) == (SITEMAP, True, "Storm & flood")
    assert item.published == item.marker == "2024-05-01T08:00:00Z"

    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>/s1.xml</loc>
    </sitemap><sitemap><loc>http://news.example/s2.xml.gz</loc></sitemap></sitemapindex>"""
    listing = read_listing(response(index, "text/xml"), max_bytes=CAP)
    assert listing.children == ["http://news.example/s1.xml", "http://news.example/s2.xml.gz"]


def test_wordpress_listing_and_json_that_is_not_one() -> None:
    posts = [
        {
            "link": "http://news.example/?p=7",
            "modified_gmt": "2024-05-03T10:00:00",
            "date_gmt": "2024-05-01T09:00:00",
            "title": {"rendered": "Rates &#8216;on hold&#8217;"},
            "content": {"rendered": "<p>The bank held rates.</p>"},
            "_embedded": {"author": [{"name": "Ann Writer"}]},
        }
    ]
    listing = read_listing(
        response(json.dumps(posts).encode(), "application/json", {"x-wp-totalpages": "4"}), max_bytes=CAP
    )
    [item] = listing.items
    assert (listing.kind, listing.total_pages, listing.complete) == (WORDPRESS, 4, True)
    assert (item.title, item.author, item.marker) == ("Rates ‘on hold’", "Ann Writer", "2024-05-03T10:00:00")
    with pytest.raises(NotAListing, match="not a WordPress posts listing"):
        read_listing(response(b'{"code": "rest_no_route"}', "application/json"), max_bytes=CAP)
    with pytest.raises(NotAListing, match="malformed JSON"):
        read_listing(response(b"[{", "application/json"), max_bytes=CAP)


def test_xml_entity_expansion_is_refused() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
    <urlset><url><loc>&lol2;</loc></url></urlset>"""
    with pytest.raises(NotAListing, match="malformed XML"):
        read_listing(response(bomb, "application/xml"), max_bytes=CAP)


def test_html_is_a_page() -> None:
    assert (
        read_listing(response(b"<!DOCTYPE html><html><p>x</p></html>", "text/html"), max_bytes=CAP).kind
        == PAGE
    )


def test_page_metadata_from_its_own_markup() -> None:
    body = " ".join(f"Sentence {i} of a long enough article body about the budget vote." for i in range(12))
    html = f"""<html lang="fr-FR"><head><title>Vote - Site</title>
    <link rel="canonical" href="https://www.news.example/politique/vote/">
    <meta property="og:title" content="Le vote du budget"><meta name="author" content="Marie Curie">
    <meta property="article:published_time" content="2024-03-01T10:00:00Z">
    <meta property="article:modified_time" content="2024-03-04T12:00:00Z"></head>
    <body><article><h1>Le vote du budget</h1><p>{body}</p><p>{body}</p></article></body></html>"""
    page = extract_page(html, url="https://news.example/politique/vote?utm_source=x")
    assert (page.title, page.author, page.language) == ("Le vote du budget", "Marie Curie", "fr")
    assert (page.published, page.modified) == ("2024-03-01", "2024-03-04")
    assert page.canonical_url == "https://www.news.example/politique/vote/"
    assert page.text.startswith("Sentence 0") and "Le vote du budget" not in page.text
    with pytest.raises(NoArticle):
        extract_page("<html><body><nav><a href='/'>Home</a></nav><script>x()</script></body></html>")


@pytest.mark.parametrize(
    ("text", "note"),
    [
        (
            "Body.\n\nCorrection: The minister's name was misspelled.",
            "Correction: The minister's name was misspelled.",
        ),
        (
            "Body.\n\nAn earlier version of this article said 40%; it is 14%.",
            "An earlier version of this article said 40%; it is 14%.",
        ),
        (
            "This story has been updated with the council's response.\n\nBody.",
            "This story has been updated with the council's response.",
        ),
        ("Body.\n\nEditor’s note: names were changed.", "Editor’s note: names were changed."),
        ("The correction to the market came on Monday, analysts said.\n\nPrices fell.", ""),
        ("He said the article was updated by staff.", ""),
    ],
)
def test_corrections_and_editors_notes(text: str, note: str) -> None:
    assert find_correction(text) == note


def test_a_short_brief_keeps_its_paragraphs_without_headline_or_byline() -> None:
    from devtools.news_site import Story, article_page

    brief = Story(
        "brief", "Bridge shut", ["The old bridge is shut until Friday.", "Buses will divert via Mill Road."]
    )
    for template in range(3):
        page = extract_page(article_page(brief, "http://news.example", template=template))
        assert page.text == "The old bridge is shut until Friday.\n\nBuses will divert via Mill Road.", (
            template
        )
