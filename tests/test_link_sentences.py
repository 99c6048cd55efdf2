"""A link to another story that scraped text kept ("More:…", "Read more: …") is never cited as what the
article says (core.links.links_elsewhere), through the production Assistant on hand-made passages."""

from core.links import links_elsewhere
from tests.passages import assistant_over, passage


def test_link_labels_are_told_from_sentences():
    for link in (
        "More:Jennifer Lopez, Ben Affleck show PDA inside the Met Gala",
        "Read more: Senate candidates change tactics.",
        "RELATED:Tennessee Republicans want to withhold funding.",
        "SPORTS NEWSLETTER:Sign up to get daily headlines.",
        "Read the rest here:The US is out of Afghanistan.",
    ):
        assert links_elsewhere(link), link
    for sentence in (
        "More than 100 people were evacuated on Monday.",
        "Salem:The state’s iconic Douglas firs are declining.",
        "Also, the plan was delayed.",
    ):
        assert not links_elsewhere(sentence), sentence


def test_a_link_to_another_story_is_not_cited_as_the_articles_own_words():
    text = (
        "More:Jennifer Lopez and Ben Affleck go on honeymoon in Paris after Las Vegas wedding. "
        "Jennifer Lopez and Ben Affleck married in Las Vegas on Saturday, a source told CNN."
    )
    bot = assistant_over([passage(text, "wedding", "w1")])
    result = bot.ask("Where did Jennifer Lopez and Ben Affleck go on honeymoon?", [])
    assert "More:" not in result.answer and "Paris" not in result.answer
    linked_only = passage(
        "Read more: Lopez and Affleck honeymoon in Paris after their wedding.", "links", "l1"
    )
    refusal = assistant_over([linked_only]).ask("Where did Lopez and Affleck honeymoon?", [])
    assert refusal.refused and "only links to other stories" in refusal.answer


def test_a_kicker_glued_to_another_storys_headline_is_a_link():
    assert links_elsewhere("The queen of corgis:Photos show Queen Elizabeth's love of dogs")
    assert links_elsewhere("Meta layoffs:Facebook parent company to lay off 11,000 employees")
    # A dateline glued to its sentence is the article's own text.
    assert not links_elsewhere("El Paso:A group of 14 soldiers was detained on Saturday.")
    assert not links_elsewhere("Salem:The state’s iconic Douglas firs are declining.")
    assert not links_elsewhere("Rio de Janeiro:Police said on Monday that the suspect fled.")
    # A kicker before a quoted headline is a link; a speaker before a quotation is not.
    assert links_elsewhere("US withdrawal:'Egregiously mishandled' or inevitably 'messy'?")
    assert links_elsewhere("'Best night of our lives':Jennifer Lopez shares details from the wedding")
    assert not links_elsewhere(
        'A statement from the club explaining the decision read:"We want to be clear."'
    )


def test_a_link_is_never_a_speakers_words():
    from ingest.quotes import extract_quotes

    text = "More:Biden says the Taliban are not good guys. Biden said the talks in Doha went well."
    quotes = extract_quotes(text)
    assert [text[q.start : q.end] for q in quotes] == ["Biden said the talks in Doha went well."]
    linked = passage(
        "More:Nduhungirehe says the talks with Washington collapsed. "
        "Nduhungirehe said the talks were in their early stages.",
        "rwanda",
        "r1",
    )
    result = assistant_over([linked]).ask("What did Nduhungirehe say?", [])
    assert "collapsed" not in result.answer and "early stages" in result.answer
