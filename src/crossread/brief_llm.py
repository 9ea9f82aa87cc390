"""Optional brief rewriter: any OpenAI-compatible chat endpoint may reword the extractive brief, never its sources.

Off by default. It runs when the environment variable named by ``Config.llm_endpoint_env`` (``CROSSREAD_LLM_URL``)
holds a base URL (``http://127.0.0.1:8080/v1`` or the full ``.../chat/completions``); ``CROSSREAD_LLM_KEY`` is sent
as a bearer token and ``CROSSREAD_LLM_MODEL`` names the model. Each sentence is sent with its citation markers
(``[1]``, ``[2]``, ...); a rewritten sentence is accepted only if it keeps exactly the same markers and introduces
no number that the original lacks. Anything else (lost marker, invented figure, bad JSON, timeout, HTTP error)
keeps the extractive sentence, so the brief is never less trustworthy than without the rewriter.
"""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.error
import urllib.request
from dataclasses import replace

from .model import Brief, BriefSentence

log = logging.getLogger(__name__)

TIMEOUT_S = 30.0
_MARKER = re.compile(r"\[(\d+)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
SYSTEM_PROMPT = (
    "You edit a news brief for clarity. Rewrite each numbered line as one clear sentence. Keep every citation "
    "marker like [1] exactly as given, attached to the statement it supports. Do not add facts, names or numbers. "
    "Answer with JSON only: {\"lines\": [{\"n\": <line number>, \"text\": <rewritten line>}]}")


def configured(env_name: str = "CROSSREAD_LLM_URL") -> bool:
    """Is an endpoint configured (the rewriter is off otherwise)?"""
    return bool(os.environ.get(env_name, "").strip())


def _endpoint(base: str) -> str:
    base = base.strip().rstrip("/")
    return base if base.endswith("/chat/completions") else base + "/chat/completions"


def marked(sentence: BriefSentence) -> str:
    """The sentence text with one marker per citation appended: "text [1] [2]"."""
    return sentence.text + " " + " ".join(f"[{i + 1}]" for i in range(len(sentence.citations)))


def accept(original: BriefSentence, rewritten: str) -> str | None:
    """The rewrite without its markers if it keeps every citation marker and adds no number; else None."""
    want = {str(i + 1) for i in range(len(original.citations))}
    if set(_MARKER.findall(rewritten)) != want:
        return None
    text = _MARKER.sub("", rewritten)
    text = re.sub(r"\s+([.,;:])", r"\1", " ".join(text.split())).strip()
    if not text or not set(_NUMBER.findall(text)) <= set(_NUMBER.findall(original.text)):
        return None
    return text


def rewrite(brief: Brief, env_name: str = "CROSSREAD_LLM_URL") -> Brief:
    """``brief`` with sentences reworded by the configured endpoint, where each rewrite passes :func:`accept`."""
    url = os.environ.get(env_name, "").strip()
    if not url or not brief.sentences:
        return brief
    lines = "\n".join(f"{n}. {marked(s)}" for n, s in enumerate(brief.sentences, 1))
    body = {"model": os.environ.get("CROSSREAD_LLM_MODEL", "default"), "temperature": 0,
            "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": lines}]}
    headers = {"Content-Type": "application/json"}
    if os.environ.get("CROSSREAD_LLM_KEY"):
        headers["Authorization"] = f"Bearer {os.environ['CROSSREAD_LLM_KEY']}"
    req = urllib.request.Request(_endpoint(url), data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:  # noqa: S310 - URL chosen by the user
            payload = json.loads(resp.read().decode("utf-8"))
        content = payload["choices"][0]["message"]["content"]
        answer = json.loads(_json_part(content))
        new = {int(x["n"]): str(x["text"]) for x in answer.get("lines", [])}
    except (urllib.error.URLError, OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.warning("brief rewriter failed (%s); keeping the extractive brief", exc)
        return brief
    out, rejected = [], 0
    for n, s in enumerate(brief.sentences, 1):
        text = accept(s, new[n]) if n in new else None
        if text is None:
            rejected += n in new
            out.append(s)
        else:
            out.append(replace(s, text=text))
    if rejected:
        log.warning("brief rewriter: %d rewritten sentence(s) lost citations or added numbers; kept the originals",
                    rejected)
    return replace(brief, sentences=tuple(out))


def _json_part(content: str) -> str:
    """The JSON object in a chat answer (models often wrap it in a code fence)."""
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object in the answer")
    return content[start:end + 1]
