"""spaCy's attribute ruler, for the attributes crossread reads, over token arrays instead of a Matcher.

``en_core_web_sm`` maps each fine-grained tag to a coarse part of speech (``NN`` -> ``NOUN``) and fixes a few
words (``that``/``IN`` -> ``SCONJ``, auxiliaries) with an ``attribute_ruler`` of ~180 Matcher patterns. On news
text that ruler cost about as much CPU as the dependency parser itself (one Matcher pass and one Span per
matched token). Quotes and figures read ``pos_``, ``tag_`` and ``dep_``; nobody reads the ``MORPH`` and
``LEMMA`` values the ruler also sets. :class:`TagRules` applies the same patterns' ``POS``, ``TAG`` and ``DEP``
values as boolean masks over ``Doc.to_array`` columns, in the ruler's order (later rules win, every condition
tested on the parser's output as the Matcher does), so those three attributes come out identical
(``tests/test_tag_rules.py`` compares them with the ruler token by token).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

_KEYS = ("TAG", "LOWER", "DEP", "IS_SPACE")  # the token conditions this evaluator understands
_OUT = ("POS", "TAG", "DEP")  # the attributes it sets (what crossread reads of a parse)


class Unsupported(ValueError):
    """A ruler pattern this evaluator cannot reproduce exactly; the caller keeps spaCy's ruler."""


class TagRules:
    """The ``POS``/``TAG``/``DEP`` part of an ``AttributeRuler``, evaluated over arrays.

    Args:
        ruler: the pipeline's ``attribute_ruler`` component (its ``patterns`` in rule order).
        vocab: the pipeline's vocabulary (string ids of tags, dependency labels and lower-cased forms).

    Raises :class:`Unsupported` when a pattern uses a key, operator or value kind not handled here.
    """

    def __init__(self, ruler: Any, vocab: Any) -> None:
        from spacy.attrs import IDS
        from spacy.parts_of_speech import IDS as POS_IDS

        self._ids = IDS
        strings = vocab.strings
        self._rules: list[tuple[list[list[tuple[int, str, Any]]], int, list[tuple[int, int]]]] = []
        for rule in ruler.patterns:
            sets = [(k.upper(), v) for k, v in rule["attrs"].items() if str(k).upper() in _OUT]
            if not sets:
                continue  # MORPH / LEMMA only
            out = [(_OUT.index(k), POS_IDS[v] if k == "POS" else strings.add(v)) for k, v in sets]
            for pattern in rule["patterns"]:
                toks = [[self._condition(str(k).upper(), v, strings) for k, v in tok.items()] for tok in pattern]
                self._rules.append((toks, rule["index"] % len(pattern), out))

    @staticmethod
    def _condition(key: str, value: Any, strings: Any) -> tuple[int, str, Any]:
        """(column, operator, operand) of one token condition."""
        if key not in _KEYS:
            raise Unsupported(f"attribute ruler key {key!r}")
        col = _KEYS.index(key)
        if key == "IS_SPACE":
            if not isinstance(value, bool):
                raise Unsupported(f"IS_SPACE {value!r}")
            return col, "==", int(value)
        if isinstance(value, str):
            return col, "==", strings.add(value) if value else 0
        if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("IN", "NOT_IN"):
            op, items = next(iter(value.items()))
            return col, op, np.array([strings.add(v) if v else 0 for v in items], dtype=np.uint64)
        raise Unsupported(f"attribute ruler condition {key}: {value!r}")

    def apply(self, docs: Iterable[Any]) -> list[Any]:
        """Set ``pos``, ``tag`` and ``dep`` of every token of ``docs`` (parsed, not yet ruled) in place."""
        docs = list(docs)
        if not docs:
            return docs
        ids = self._ids
        cols = [ids[k] for k in _KEYS]
        outs = [ids[k] for k in _OUT]
        arrays = [d.to_array(cols + outs) for d in docs]
        lengths = [len(a) for a in arrays]
        if not sum(lengths):
            return docs
        table = np.concatenate(arrays).reshape(-1, len(cols) + len(outs)).astype(np.uint64)
        cond, result = table[:, :len(cols)], table[:, len(cols):].copy()
        doc_of = np.repeat(np.arange(len(docs)), lengths)  # a pattern never spans two documents
        for toks, index, out in self._rules:
            hits = self._matches(cond, doc_of, toks)
            if hits.size:
                for j, value in out:
                    result[hits + index, j] = value
        start = 0
        for d, n in zip(docs, lengths):
            if n:
                d.from_array(outs, result[start:start + n])
            start += n
        return docs

    @staticmethod
    def _matches(cond: np.ndarray, doc_of: np.ndarray, toks: list[list[tuple[int, str, Any]]]) -> np.ndarray:
        """Start positions where the token conditions ``toks`` hold, one after another, inside one document."""
        n = len(cond) - len(toks) + 1
        if n <= 0:
            return np.zeros(0, dtype=np.int64)
        ok = np.ones(n, dtype=bool)
        for offset, conditions in enumerate(toks):
            part = cond[offset:offset + n]
            for col, op, operand in conditions:
                if op == "==":
                    ok &= part[:, col] == operand
                elif op == "IN":
                    ok &= np.isin(part[:, col], operand)
                else:
                    ok &= ~np.isin(part[:, col], operand)
            if offset:
                ok &= doc_of[offset:offset + n] == doc_of[:n]
        return np.flatnonzero(ok)
