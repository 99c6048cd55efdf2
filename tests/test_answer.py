"""The extractive answerer, composition and verification, on hand-made passages (no index, no model)."""

from dataclasses import replace

from assistant.compose import compose, refuse
from assistant.extractive import ExtractiveAnswerer
from assistant.question import analyze
from assistant.verify import quote_verified, verify
from core.types import Passage

ARTICLE = (
    "Olivier J.P. Nduhungirehe, Rwanda’s foreign minister, confirmed that the talks were in their early stages. "
    "“It is true that we are in discussions with the United States,” said Nduhungirehe during an interview. "
    "He emphasized that negotiations are “ongoing.” "
    "The U.S. State Department has not issued any statements. "
    "In April, Secretary of State Marco Rubio revoked visas for South Sudanese nationals."
)
OTHER = "The storm closed schools in three districts on Friday. Crews restored power to 4,000 homes."


def passage(text: str, article_id: str, chunk_id: str, offset: int = 0) -> Passage:
    return Passage(
        chunk_id=chunk_id,
        article_id=article_id,
        text=text,
        start=offset,
        end=offset + len(text),
        title=article_id.title(),
        url=f"https://example.org/{article_id}",
        source="Example",
        published="2025-05-01",
        score=1.0,
    )


PASSAGES = [passage(ARTICLE, "rwanda", "c1", offset=100), passage(OTHER, "storm", "c2")]
answerer = ExtractiveAnswerer(idf=lambda term: 1.0)


def answer(question: str, passages=PASSAGES, exclude=()):
    draft = answerer.draft(analyze(question), passages, exclude=exclude)
    return (
        verify(compose(draft.sentences, passages))
        if draft.sentences
        else refuse(draft.refusal_reason, passages)
    )


def test_what_did_x_say_gives_his_statements_and_the_continuation_verbatim():
    result = answer("What did Nduhungirehe say?")
    assert not result.refused
    assert "It is true that we are in discussions with the United States" in result.answer
    assert "early stages" in result.answer and "ongoing" in result.answer
    assert "State Department" not in result.answer and "Rubio" not in result.answer
    assert [c.n for c in result.citations] == [1] and result.answer.endswith("[1]")
    cited = result.citations[0]
    assert ARTICLE[cited.start - 100 : cited.end - 100] == cited.quote


def test_a_role_resolves_to_the_named_speaker():
    result = answer("What did Rwanda's foreign minister say?")
    assert "It is true that we are in discussions" in result.answer


def test_someone_who_said_nothing_gets_a_refusal_with_related_reading():
    result = answer("What did Marco Rubio say?")
    assert result.refused and "Marco Rubio" in result.answer
    assert "[" not in result.answer
    assert result.citations and all(quote_verified(c) for c in result.citations)


def test_when_needs_a_date_and_who_finds_the_name():
    assert "April" in answer("When did Rubio revoke visas for South Sudanese nationals?").answer
    assert "Marco Rubio" in answer("Who revoked visas for South Sudanese nationals?").answer
    assert answer("When will the agreement be signed?").refused


def test_how_many_needs_a_number_in_a_relevant_sentence():
    assert "4,000" in answer("How many homes got power back after the storm?").answer
    assert answer("How many migrants will Rwanda accept?").refused


def test_off_topic_questions_are_refused():
    assert answer("Who won the 2024 Olympic marathon?").refused


def test_sentences_already_given_are_left_out():
    first = answer("What did Nduhungirehe say?")
    given = {s for s in first.citations[0].quote.split(". ")}
    from core.normalize import normalize_for_match
    from core.sentences import split_sentences

    exclude = {
        normalize_for_match(first.citations[0].quote[a:b])
        for a, b in split_sentences(first.citations[0].quote)
    }
    again = answer("What did Nduhungirehe say?", exclude=exclude)
    assert given and again.refused and "nothing else" in again.answer


def test_each_passage_text_is_cited_once_even_when_retrieved_twice():
    twice = [PASSAGES[0], replace(PASSAGES[0], chunk_id="c1-copy", article_id="rwanda-copy")]
    result = answer("What did Nduhungirehe say?", passages=twice)
    quotes = [c.quote for c in result.citations]
    assert len(quotes) == len(set(quotes)) == 1


def test_verify_drops_a_citation_whose_quote_is_not_in_its_passage_and_renumbers():
    storm = answerer.draft(analyze("How many homes got power back after the storm?"), PASSAGES).sentences[:1]
    said = answerer.draft(analyze("What did Nduhungirehe say?"), PASSAGES).sentences
    both = compose((*storm, *said), PASSAGES)
    assert [c.n for c in both.citations] == [1, 2]
    forged = replace(both.citations[0], quote="Crews restored power to a million homes.")
    checked = verify(replace(both, citations=(forged, both.citations[1])))
    assert [c.n for c in checked.citations] == [1]
    assert "4,000" not in checked.answer and checked.answer.endswith("[1]")
    assert checked.citations[0].quote == both.citations[1].quote


def test_verify_drops_a_claim_that_is_not_in_the_cited_passage():
    base = answer("Who revoked visas for South Sudanese nationals?")
    forged = replace(base, answer="Rwanda will accept 10,000 migrants. [1]")
    checked = verify(forged)
    assert checked.citations == () and checked.answer == ""


def test_a_marker_without_a_citation_is_dropped():
    base = answer("Who revoked visas for South Sudanese nationals?")
    checked = verify(replace(base, answer=base.answer + " Something else entirely. [7]"))
    assert "[7]" not in checked.answer and "Something else" not in checked.answer
