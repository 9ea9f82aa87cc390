"""Clean: furniture out by the three general methods (patterns, repetition within an outlet, position), never
article text; metadata recovered (title, outlet, author, date); text normalised with paragraph breaks kept.

Articles here are crafted; the demo is checked only for properties (removed lines are short furniture, no
sentence removed, every body kept), never for its exact strings.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossread.config import Config
from crossread.model import RawArticle
from crossread.stages import clean, ingest

P1 = "The regional water board said on Thursday that reservoir levels had fallen to 41 percent of capacity."
P2 = "Farmers in the southern districts will face limits on irrigation from next month, the board said."
P3 = "\u201cWe have asked everyone to cut their use by a fifth,\u201d said the board\u2019s chair, Hanna Virtanen."


def _one(text: str, config: Config | None = None, **meta: str) -> object:
    [doc] = clean.clean([RawArticle(source="t.txt", text=text, **meta)], config or Config())
    return doc


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _accounted(raw: str, doc) -> None:  # noqa: ANN001
    """Every line of the input is in the text, in removed, or is the title: nothing is lost."""
    body = set(doc.text.split("\n\n"))
    for line in _lines(unicodedata.normalize("NFC", raw)):
        assert line in body or line in doc.removed or doc.title and doc.title in line \
            or any(line in p for p in body), line


def test_patterns_remove_furniture_anywhere_but_never_prose() -> None:
    raw = "\n\n".join(["Share this:", P1, "Advertisement", "Related Stories", P2,
                       "Share prices of water companies fell sharply after the announcement.",
                       "Leave a comment", P3, "Sign up for our newsletter", "Photo: Water Board",
                       "Your email address will not be published. Required fields are marked *"])
    doc = _one(raw)
    assert list(doc.removed) == ["Share this:", "Advertisement", "Related Stories", "Leave a comment",
                                 "Sign up for our newsletter", "Photo: Water Board",
                                 "Your email address will not be published. Required fields are marked *"]
    assert doc.text.split("\n\n") == [P1, P2, "Share prices of water companies fell sharply after the announcement.",
                                      P3]
    _accounted(raw, doc)


def test_sentence_in_the_middle_is_never_removed_even_if_a_pattern_matches(tmp_path: Path) -> None:
    user = tmp_path / "mine.txt"
    user.write_text("# my site\nthe board said .*\n")
    cfg = Config(extra={"boilerplate_file": str(user)})
    middle = "The board said it would review the limits in the spring."
    doc = _one("\n\n".join([P1, middle, P2]), cfg)
    assert middle in doc.text  # a sentence-like line in the body is prose
    tail = _one("\n\n".join([P1, P2, "The board said subscribe to alerts"]), cfg)
    assert tail.removed == ("The board said subscribe to alerts",)


def test_user_pattern_file_extends_the_list(tmp_path: Path) -> None:
    raw = "\n\n".join([P1, "Brought to you by Acme Pumps", P2])
    assert "Brought to you by Acme Pumps" in _one(raw).text  # a short line mid-article could be a subheading
    user = tmp_path / "extra.txt"
    user.write_text("brought to you by .{1,40}\n")
    doc = _one(raw, Config(extra={"boilerplate_file": str(user)}))
    assert doc.removed == ("Brought to you by Acme Pumps",)


def test_bad_user_pattern_is_a_clear_config_error(tmp_path: Path) -> None:
    from crossread.errors import ConfigError

    user = tmp_path / "bad.txt"
    user.write_text("(unclosed\n")
    with pytest.raises(ConfigError, match="bad.txt line 1"):
        _one(P1, Config(extra={"boilerplate_file": str(user)}))


def test_lines_repeated_across_an_outlets_articles_are_template() -> None:
    promo = "Download the Valley app for alerts"
    sub = "Regional Roundup"
    raws = [RawArticle(source=f"{i}", text="\n\n".join([f"{P1} ({i})", sub, promo, f"{P2} ({i})"]),
                       outlet="Valley Herald") for i in range(3)]
    other = RawArticle(source="x", text="\n\n".join([f"{P1} (x)", sub, promo, f"{P2} (x)"]), outlet="Other Post")
    docs = clean.clean(raws + [other], Config())
    for d in docs[:3]:
        assert sub in d.removed and sub not in d.text
    assert sub in docs[3].text  # one article of another outlet: not repeated there
    assert promo in docs[3].removed  # ... but the pattern list still knows app prompts
    two = clean.clean(raws[:2], Config())
    assert all(sub in d.text for d in two)  # two articles are not enough evidence


def test_repeated_sentences_in_the_body_are_kept() -> None:
    shared = "The board meets again on the first Monday of every month to review the figures."
    raws = [RawArticle(source=str(i), text="\n\n".join([f"{P1} {i}", shared, f"{P2} {i}"]), outlet="Herald")
            for i in range(4)]
    assert all(shared in d.text for d in clean.clean(raws, Config()))


def test_position_short_lines_at_head_and_tail_go_subheadings_stay() -> None:
    raw = "\n".join(["World", "Reservoirs Fall to Record Low as Drought Deepens", P1, "Irrigation limits", P2, P3,
                     "Resource hyperlink", "12 Views"])
    doc = _one(raw)
    assert doc.title == "Reservoirs Fall to Record Low as Drought Deepens"
    assert doc.removed == ("World", "Resource hyperlink", "12 Views")
    assert doc.text.split("\n\n") == [P1, "Irrigation limits", P2, P3]
    _accounted(raw, doc)


def test_a_final_short_sentence_and_a_credit_line_are_kept() -> None:
    raw = "\n\n".join([P1, P2, "Talks resume Monday.", "Additional reporting by Omar Haddad."])
    doc = _one(raw)
    assert doc.removed == () and doc.text.endswith("Talks resume Monday.\n\nAdditional reporting by Omar Haddad.")


@pytest.mark.parametrize("line,title,outlet", [
    ("Reservoirs Fall to Record Low — Valley Herald", "Reservoirs Fall to Record Low", "Valley Herald"),
    ("Reservoirs Fall to Record Low | Politics | The Daily Post", "Reservoirs Fall to Record Low", "The Daily Post"),
    ("Reservoirs Fall to Record Low - Lakeside Courier", "Reservoirs Fall to Record Low", "Lakeside Courier"),
    ("Reservoirs Fall to Record Low - news.example.com", "Reservoirs Fall to Record Low", "news.example.com"),
    ("Drought - what it means for farmers", "Drought - what it means for farmers", None),
    ("Ukraine war: Kyiv says drones hit depot", "Ukraine war: Kyiv says drones hit depot", None),
])
def test_title_suffix_outlet(line: str, title: str, outlet: str | None) -> None:
    doc = _one("\n\n".join([line, P1, P2]))
    assert (doc.title, doc.outlet) == (title, outlet)
    assert line not in doc.text  # the headline line leaves the body (it is the title)


def test_container_metadata_wins_and_matching_headline_leaves_the_body() -> None:
    doc = _one("\n\n".join(["Reservoirs Fall to Record Low", P1, P2]), title="Reservoirs Fall to Record Low | Herald",
               outlet="The Herald", author="Jo Kim", published="Thu, 06 Mar 2025 08:00:00 GMT",
               url="https://www.herald.example/x")
    assert (doc.title, doc.outlet, doc.author) == ("Reservoirs Fall to Record Low", "The Herald", "Jo Kim")
    assert doc.published.startswith("2025-03-06T08:00") and doc.text.startswith(P1)


def test_outlet_from_url_host() -> None:
    assert _one(P1 + "\n\n" + P2, url="https://www.herald.example/a/b").outlet == "herald.example"
    assert clean.host_outlet("https://amp.news.example:8080/x") == "news.example"


@pytest.mark.parametrize("line,author,date", [
    ("By Ana Ortiz", "Ana Ortiz", None),
    ("By Ana Ortiz and Li Wei, Reuters", "Ana Ortiz and Li Wei, Reuters", None),
    ("By Ana Ortiz | March 3, 2025", "Ana Ortiz", "2025-03-03"),
    ("Written by: Ana Ortiz • Published 3 March 2025", "Ana Ortiz", "2025-03-03"),
])
def test_bylines(line: str, author: str, date: str | None) -> None:
    doc = _one("\n\n".join(["Reservoirs Fall to Record Low", line, P1, P2]))
    assert (doc.author, doc.published) == (author, date)
    assert line in doc.removed and line not in doc.text


def test_sentence_starting_with_by_is_not_a_byline() -> None:
    line = "By Thursday evening the board had received more than 2,000 complaints from residents."
    doc = _one("\n\n".join([line, P1]))
    assert doc.author is None and doc.text.startswith(line)


@pytest.mark.parametrize("line,iso", [
    ("Published: Feb. 27, 2024 10:31 am ET", "2024-02-27"),
    ("Updated 27 February 2024", "2024-02-27"),
    ("2024-02-27", "2024-02-27"),
    ("Tuesday, February 27th, 2024", "2024-02-27"),
])
def test_date_lines_become_iso_published(line: str, iso: str) -> None:
    doc = _one("\n\n".join(["Reservoirs Fall to Record Low", line, P1, P2]))
    assert doc.published == iso and line in doc.removed


def test_dateline_in_first_paragraph() -> None:
    first = "HELSINKI, March 5, 2025 (Valley Wire) — " + P1
    doc = _one("\n\n".join([first, P2]))
    assert doc.published == "2025-03-05" and doc.text.startswith("HELSINKI, March 5")


def test_normalise_dates() -> None:
    assert clean.normalise_date("2025-03-06T08:00:00Z") == "2025-03-06T08:00:00+00:00"
    assert clean.normalise_date("6 Mar 2025") == "2025-03-06"
    assert clean.normalise_date("sometime soon") is None and clean.normalise_date("Feb 30, 2024") is None


def test_whitespace_unicode_and_paragraphs() -> None:
    raw = ("  Cafe\u0301 owners\u00a0 said\t\tthe\u200b new rules on opening\r\nhours were unclear, according to the "
           "guild.  \r\n\r\n\r\n" + P2)
    doc = _one(raw)
    assert doc.text == "Café owners said the new rules on opening hours were unclear, according to the guild.\n\n" + P2
    assert unicodedata.is_normalized("NFC", doc.text)


def test_hard_wrapped_block_is_one_paragraph_but_line_per_paragraph_text_is_not() -> None:
    wrapped = ("The regional water board said on Thursday that reservoir\nlevels had fallen to 41 percent of "
               "capacity, the lowest\nreading since records began in 1961.")
    assert _one(wrapped + "\n\n" + P2).text.split("\n\n")[0] == " ".join(wrapped.split())
    per_line = "\n".join([P1, "Irrigation limits", P2, P3])
    assert _one(per_line).text.split("\n\n") == [P1, "Irrigation limits", P2, P3]


def test_content_id_is_stable_and_whitespace_insensitive() -> None:
    assert clean.content_id("a  b\n\nc") == clean.content_id("a b c")
    assert clean.content_id("a b c") != clean.content_id("a b d")
    a = _one("\n\n".join(["Share this:", P1, P2]))
    b = _one("\n".join([P1, P2, "Source link"]))
    assert a.id == b.id  # same article, different furniture: one id


def test_html_raw_article_is_extracted() -> None:
    html = f"<html><head><title>Drought Deepens</title></head><body><article><p>{P1}</p><p>{P2}</p></article></body></html>"
    [doc] = clean.clean([RawArticle(source="x.html", html=html)], Config())
    assert doc.title == "Drought Deepens" and doc.text == P1 + "\n\n" + P2


def test_headline_only_text_keeps_the_headline() -> None:
    doc = _one("Reservoirs Fall to Record Low")
    assert doc.text == "Reservoirs Fall to Record Low"


# -- the demo (properties only) -------------------------------------------------------------------------------------

def test_demo_removed_lines_are_furniture_and_every_body_kept(demo_dir: Path) -> None:
    config = Config()
    for src in ingest.discover([demo_dir], config):
        [doc] = clean.clean(ingest.read(src, config), config)
        raw = Path(src.name).read_text(encoding="utf-8")
        for line in doc.removed:
            assert len(line.split()) <= 12, line
            assert not (clean._body_line(line)), line  # no real sentence was removed
        _accounted(raw, doc)
        assert len(doc.text.split()) > 200
        # every paragraph of the body is a line of the file (no paragraph merged or rewritten)
        lines = set(_lines(raw))
        assert all(p in lines for p in doc.text.split("\n\n"))


def test_demo_metadata_is_recovered(demo_dir: Path) -> None:
    config = Config()
    docs = [clean.clean(ingest.read(s, config), config)[0] for s in ingest.discover([demo_dir], config)]
    titled = [d for d in docs if d.title]
    assert len(titled) >= 3 and all(d.title not in d.text.split("\n\n")[0] for d in titled)
    assert any(d.outlet for d in docs) and any(d.author for d in docs)
    assert sum(len(d.removed) for d in docs) >= 8


# -- property: nothing is ever lost ------------------------------------------------------------------------------------

_line = st.one_of(
    st.sampled_from(["Share this:", "Related Articles", "Advertisement", "By Jo Kim", "Back to top", "World",
                     "Updated March 3, 2025", P1, P2, P3, "Irrigation limits", "Source link", "", "   "]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_line, max_size=14), st.sampled_from(["\n", "\n\n", "\r\n"]))
def test_property_every_line_is_kept_removed_or_title(lines: list[str], sep: str) -> None:
    raw = sep.join(lines)
    doc = _one(raw)
    assert doc.id == clean.content_id(doc.text)
    assert "\n\n\n" not in doc.text and doc.text == doc.text.strip()
    norm = clean.normalise(raw)
    body = doc.text.split("\n\n") if doc.text else []
    kept_or_gone = body + list(doc.removed) + ([doc.title] if doc.title else [])
    for para in norm:
        assert para in kept_or_gone or any(para in k for k in kept_or_gone) or \
            (doc.title and doc.title in para), (para, doc)
    for para in body:  # nothing invented
        assert any(para == p or para in p or p in para for p in norm) or para == doc.title
