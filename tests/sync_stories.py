"""Stories for the web-source tests: a handful of local news articles, published on the test site."""

from __future__ import annotations

from devtools.news_site import Site, Story, article_page

TOPICS = [
    ("harbour", "The harbour bridge repairs will finish in June, the council said on Monday."),
    ("library", "The city library reopens after a two-year renovation paid for by a local trust."),
    ("tram", "A new tram line to the airport was approved by regional ministers last night."),
    ("school", "Teachers at the riverside school voted to accept the revised pay offer."),
    ("market", "The covered market will open on Sundays from next month, traders announced."),
]


def story(i: int, **changes: object) -> Story:
    slug, lead = TOPICS[i]
    paragraphs = [
        lead,
        f"Officials said the {slug} plan had been discussed for years before the final vote was taken.",
        f"Residents interviewed near the {slug} site were divided, with some welcoming the decision.",
        f"A spokesperson added that further details about the {slug} project would follow next week.",
    ]
    base = Story(slug, f"{slug.title()} plan approved", paragraphs)
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def corrected_story() -> Story:
    """The first story with its date corrected, and the correction note a newsroom appends."""
    corrected = story(0)
    corrected.paragraphs[0] = "The harbour bridge repairs will finish in July, the council said on Monday."
    corrected.paragraphs.append("Correction: An earlier version of this article said the works end in June.")
    return corrected


def publish(site: Site, stories: list[Story]) -> None:
    for s in stories:
        site.html(f"/news/{s.slug}", article_page(s, site.base))
