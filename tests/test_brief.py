"""The cited brief, the optional LLM rewriter (against a local fake OpenAI-compatible server) and the outlet table.

Every brief sentence must cite existing spans of the story's articles; article text is untrusted, so the rendered
report must escape it; the rewriter must never lose a citation or invent a number.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from story_support import make_docs, story

import crossread
from crossread.config import Config
from crossread.errors import ConfigError
from crossread.model import BriefSentence, Citation
from crossread.models import Models
from crossread.outlets import OutletTable, load_outlets, parse_csv, parse_yaml

DATA = Path(__file__).with_name("data") / "claims"


def _texts() -> list[tuple[str, str]]:
    return [(p.stem[0], p.read_text(encoding="utf-8")) for p in sorted(DATA.glob("*.txt"))]


@pytest.fixture(scope="module")
def dam():
    docs = make_docs(_texts(), outlets={"d": "RT"})  # the default table marks RT state-affiliated
    analysis, _ = story(docs, Models(use_models=False), [["b", "c"]])
    return analysis, {d.id: d for d in docs}


def test_every_sentence_cites_existing_spans(dam) -> None:
    analysis, docs = dam
    assert analysis.brief is not None and analysis.brief.sentences
    for s in analysis.brief.sentences:
        assert s.citations, s.text
        for c in s.citations:
            assert c.doc_id in docs and 0 <= c.start < c.end <= len(docs[c.doc_id].text)


def test_sections_reflect_claim_status(dam) -> None:
    analysis, docs = dam
    by_section: dict[str, list[BriefSentence]] = {}
    for s in analysis.brief.sentences:
        by_section.setdefault(s.section, []).append(s)
    core = by_section["core"]
    for s in core:  # the counts in a core line are the claim's own
        claim = next(c for c in analysis.claims if c.status == "corroborated" and c.text[:40] in s.text)
        assert f"from {claim.independent_origins} independent sources" in s.text
        assert {c.doc_id for c in s.citations} == {x.doc_id for x in claim.sources if x.stance == "supports"}
    disputed = " ".join(s.text for s in by_section["disputed"])
    assert "4,000" in disputed and "1,500" in disputed
    sources = {s.citations[0].doc_id: s.text for s in by_section["sources"]}
    assert set(sources) == set(docs)
    assert "state-affiliated" in sources["d"] and "state-affiliated" not in sources["a"]
    assert "shares one origin" in sources["b"] and "shares one origin" in sources["c"]


def test_single_source_lines_quote_the_article(dam) -> None:
    analysis, docs = dam
    single = [s for s in analysis.brief.sentences if s.section == "single_source"]
    assert single
    for s in single:
        cited = [docs[c.doc_id].text[c.start:c.end] for c in s.citations]
        assert any(" ".join(t.split()) in s.text for t in cited)  # the line carries the cited sentence verbatim


def test_rendered_report_escapes_article_text(tmp_path) -> None:
    hostile = "<script>alert('x')</script>"
    for i in range(2):
        (tmp_path / f"{i}.txt").write_text(
            f"Storm Closes Harbor {hostile}\n\nThe harbor of Linden was closed on Sunday after a storm damaged "
            f"{i + 3} piers {hostile}, port officials said. \"We will reopen soon {hostile},\" harbor master Ian "
            f"Moss said. The storm caused damage worth $2 million to the port.\n", encoding="utf-8")
    report = crossread.analyze([tmp_path], out=tmp_path / "out", config=Config(db=tmp_path / "x.duckdb",
                                                                              use_models=False))
    assert any(hostile in s["text"] for b in report.data["briefs"] for s in b["sentences"])  # kept verbatim
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;" in html


# -- the optional LLM rewriter -----------------------------------------------------------------------------------

class _FakeLLM(BaseHTTPRequestHandler):
    answer: dict = {}
    seen: list = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append(body)
        out = json.dumps({"choices": [{"message": {"content": "```json\n" + json.dumps(self.answer) + "\n```"}}]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(out.encode())

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def fake_llm(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _FakeLLM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("CROSSREAD_LLM_URL", f"http://127.0.0.1:{server.server_port}/v1")
    _FakeLLM.seen = []
    yield _FakeLLM
    server.shutdown()


def test_rewriter_keeps_citations_and_numbers(fake_llm) -> None:
    from crossread import brief_llm
    from crossread.model import Brief

    cite = (Citation("a", 0, 5), Citation("b", 3, 9))
    brief = Brief("s", (BriefSentence("Officials evacuated 1,500 residents.", cite),
                        BriefSentence("The dam has three cracks.", cite[:1]),
                        BriefSentence("The governor spoke.", cite[1:])))
    fake_llm.answer = {"lines": [
        {"n": 1, "text": "Some 1,500 residents were evacuated [1] [2]."},  # keeps both markers: accepted
        {"n": 2, "text": "The dam has 7 cracks [1]."},  # invents a number: rejected
        {"n": 3, "text": "The governor gave a statement."},  # drops its marker: rejected
    ]}
    out = brief_llm.rewrite(brief)
    assert fake_llm.seen and "[2]" in fake_llm.seen[0]["messages"][1]["content"]
    assert out.sentences[0].text == "Some 1,500 residents were evacuated." and out.sentences[0].citations == cite
    assert out.sentences[1] == brief.sentences[1] and out.sentences[2] == brief.sentences[2]


def test_rewriter_off_or_failing_keeps_the_brief(monkeypatch) -> None:
    from crossread import brief_llm
    from crossread.model import Brief

    brief = Brief("s", (BriefSentence("Officials evacuated 1,500 residents.", (Citation("a", 0, 5),)),))
    monkeypatch.delenv("CROSSREAD_LLM_URL", raising=False)
    assert not brief_llm.configured() and brief_llm.rewrite(brief) is brief
    monkeypatch.setenv("CROSSREAD_LLM_URL", "http://127.0.0.1:9/v1")  # nothing listens on the discard port
    assert brief_llm.rewrite(brief) == brief


# -- outlet table ------------------------------------------------------------------------------------------------

def test_default_outlet_table_matches_and_flags() -> None:
    table = load_outlets()
    assert len(table) >= 10
    rt = table.by_url("https://www.rt.com/news/123-x/")
    assert rt is not None and rt.state_affiliated and rt.flags == ("state_affiliated",)
    assert table.by_name("the associated press").name == "Associated Press"
    reuters = table.by_name("Reuters")
    assert not reuters.state_affiliated and not reuters.flags
    assert [o.name for _, _, o in table.attributions("Ten died, according to Reuters and the AP.")] == [
        "Reuters", "Associated Press"]
    assert table.attributions("The rap group performed.") == []  # "AP"/"RT" need their written case


def test_user_tables_csv_and_yaml() -> None:
    rows = parse_csv("# comment\nname,domains,country,ownership,state_affiliated,notes\n"
                     "Daily Example,example.com;ex.org,NL,Example Media,no,\nState Wire,wire.gov,XX,state,yes,\n")
    table = OutletTable(rows)
    assert table.by_url("http://news.ex.org/a").name == "Daily Example"
    assert table.by_name("State Wire").state_affiliated
    yaml_rows = parse_yaml("outlets:\n  - name: Harbor Gazette\n    domains: [harbor.example]\n"
                           "    state_affiliated: false\n")
    assert yaml_rows[0].domains == ("harbor.example",)
    with pytest.raises(ConfigError):
        parse_csv("domains,country\nx.com,US\n")
    with pytest.raises(ConfigError):
        parse_yaml("- just a string\n")
