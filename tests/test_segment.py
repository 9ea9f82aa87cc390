from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crossread.model import Document
from crossread.stages.segment import segment


def _doc(text: str) -> Document:
    return segment(Document(id="d", source="t", text=text))


def test_sentences_and_paragraphs_with_exact_offsets() -> None:
    text = ("Mr. Smith went to Washington on Monday. He met U.S. officials at 3 p.m. to talk.\n\n"
            "“We will not go,” Dmitri S. Peskov said. The talks ended.\nA new paragraph starts here.")
    doc = _doc(text)
    got = [s.text for s in doc.sentences]
    assert got == ["Mr. Smith went to Washington on Monday.", "He met U.S. officials at 3 p.m. to talk.",
                   "“We will not go,” Dmitri S. Peskov said.", "The talks ended.", "A new paragraph starts here."]
    assert [s.paragraph for s in doc.sentences] == [0, 0, 1, 1, 2]
    for s in doc.sentences:
        assert text[s.start:s.end] == s.text


def test_closing_quote_stays_with_its_sentence() -> None:
    doc = _doc("He said: “It is over.” Then he left!")
    assert [s.text for s in doc.sentences] == ["He said: “It is over.”", "Then he left!"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab. ?!\n“”\"AZ9")), max_size=200))
def test_offsets_always_exact(text: str) -> None:
    doc = _doc(text)
    previous_end = 0
    for i, s in enumerate(doc.sentences):
        assert s.index == i
        assert text[s.start:s.end] == s.text
        assert s.text.strip() == s.text and s.text
        assert s.start >= previous_end
        previous_end = s.end


@given(st.text(alphabet=st.sampled_from(list("ab.U S Mrxyz9\n_é")), max_size=120))
@settings(max_examples=300, deadline=None)
def test_abbreviation_read_from_the_tail_as_from_the_whole(before: str) -> None:
    """``_is_abbreviation`` looks for the last token in the text's tail only: the answer is the one a search of the
    whole text gives, also for tokens longer than the tail."""
    import re

    from crossread.stages import segment as seg

    m = re.search(r"([\w.]+)$", before)
    token = m.group(1).lower().rstrip(".") if m else ""
    expected = bool(m) and (token in seg.ABBREVIATIONS or len(token) == 1 and token.isalpha()
                            or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", token)))
    assert seg._is_abbreviation(before) == expected
    assert seg._is_abbreviation("x " * 50 + before) == expected  # a long sentence before it changes nothing
    long_initials = "a." * 30 + "b"  # a 61-character token: longer than the tail
    assert seg._is_abbreviation(before + " " + long_initials) and not seg._is_abbreviation("a" * 60 + ".b")
