"""Personal data in what the workbench shows: found by Presidio's recognizers, and replaced when redaction is on.

Found: e-mail addresses, phone numbers, card numbers that pass the Luhn check, IBANs (their check digits verified) and
IP addresses, each by one of Presidio's predefined recognizers (``presidio_analyzer.predefined_recognizers``), run
without an NLP pipeline. Checked: Presidio's ``AnalyzerEngine`` wants a spaCy pipeline (``en_core_web_lg``, from a
model hub) for its NLP artifacts, which serve names (its NER) and the context words that raise a pattern's score;
the pattern recognizers above need neither, so they run alone. Names are left out: no trustworthy offline model
detects them here (the spaCy pipelines on PyPI are unofficial re-uploads). Presidio's e-mail recognizer checks the
domain with tldextract, which fetches the public suffix list on first use; here it reads the snapshot tldextract ships.

Redaction changes only what is displayed: a page, a report, the Explorer. It never changes what a model reads or
what a metric is computed on. ``redacting()`` turns it on for a block (``with wb.redacting() as counts:``), and the
environment variable ``WORKBENCH_REDACT=1`` for a process, so a report's kernel redacts too (``run_report(...,
redact=True)``); ``shown(text)`` is what every renderer calls on a text before it displays it. Each value found
becomes a typed placeholder, ``⟨EMAIL⟩``, and is counted by kind.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any, NamedTuple

#: Presidio's entity names, and the kind each is shown as.
KINDS = {"EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "CREDIT_CARD": "CARD", "IBAN_CODE": "IBAN",
         "IP_ADDRESS": "IP"}
# A phone number without a country code is read as one of these regions' (a number with +CC is found for any):
# Presidio's eight default regions read years ("1695") and tennis scores in the BBC corpus as Israeli or Brazilian.
PHONE_REGIONS = ("GB", "US")
HIDDEN = "⟨…⟩"  # a piece of a value (a word, a token) after the one that shows its placeholder, where each must show
ENVIRONMENT = "WORKBENCH_REDACT"  # "1": redact what this process displays (a report's kernel)
# a Counter: redaction on, counting; False: off; None: not set here, so WORKBENCH_REDACT decides
_ACTIVE: ContextVar[Counter[str] | bool | None] = ContextVar("redaction", default=None)
_PROCESS: Counter[str] = Counter()  # what the environment variable's redaction counted


class Found(NamedTuple):
    """One value of personal data in a text: its kind (``EMAIL``, ...) and its characters ``[start, end)``."""

    kind: str
    start: int
    end: int


def placeholder(kind: str) -> str:
    """What a redacted value of ``kind`` is shown as."""
    return f"⟨{kind}⟩"


@cache
def recognizers() -> tuple[Any, ...]:
    """Presidio's pattern recognizers of the kinds above, the e-mail one with an offline domain check."""
    import tldextract
    from presidio_analyzer.predefined_recognizers import (CreditCardRecognizer, EmailRecognizer, IbanRecognizer,
                                                          IpRecognizer, PhoneRecognizer)

    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # the snapshot: no network

    class OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return offline(pattern_text).fqdn != ""

    return (OfflineEmailRecognizer(), PhoneRecognizer(supported_regions=PHONE_REGIONS), CreditCardRecognizer(),
            IbanRecognizer(), IpRecognizer())


def find_personal_data(text: str) -> list[Found]:
    """The values of personal data in ``text``, in order; where two overlap, the longer is kept."""
    if not text or not any(ch.isdigit() or ch == "@" or ch == ":" for ch in text):
        return []  # every kind found here holds a digit, an @ or (IPv6) a colon
    candidates = sorted(
        (Found(KINDS[result.entity_type], result.start, result.end)
         for recognizer in recognizers() for result in recognizer.analyze(text, recognizer.supported_entities, None)
         # 0.0.0.0/8 names no host, and holds version numbers (lime's 0.2.0.1) that IPv4's pattern matches
         if not (result.entity_type == "IP_ADDRESS" and text.startswith("0.", result.start))),
        key=lambda f: (f.start, f.start - f.end, f.kind))
    kept: list[Found] = []
    for found in candidates:
        if kept and found.start < kept[-1].end:
            if found.end - found.start <= kept[-1].end - kept[-1].start:
                continue
            kept.pop()
        kept.append(found)
    return kept


def redact(text: str, found: Sequence[Found] | None = None) -> tuple[str, Counter[str]]:
    """``text`` with each value of personal data replaced by its placeholder, and how many of each kind."""
    found = find_personal_data(text) if found is None else found
    pieces, end = [], 0
    for value in found:
        pieces += [text[end:value.start], placeholder(value.kind)]
        end = value.end
    return "".join(pieces) + text[end:], Counter(value.kind for value in found)


def active() -> Counter[str] | None:
    """The counts of the redaction in force (a ``redacting`` block, else ``WORKBENCH_REDACT=1``); None if none is."""
    counts = _ACTIVE.get()
    if counts is None:
        return _PROCESS if os.environ.get(ENVIRONMENT) == "1" else None
    return counts if isinstance(counts, Counter) else None


@contextmanager
def redacting(on: bool | None = True) -> Iterator[Counter[str]]:
    """Redact what is displayed inside the block (``on=False``: show it as written, even under ``WORKBENCH_REDACT``;
    None: leave the redaction in force as it is); yields the counts of what the block redacted, by kind."""
    counts: Counter[str] = Counter()
    if on is None:
        outer = active()
        before = Counter(outer) if outer is not None else Counter()
        try:
            yield counts
        finally:
            counts.update((outer or Counter()) - before)
        return
    token = _ACTIVE.set(counts if on else False)
    try:
        yield counts
    finally:
        _ACTIVE.reset(token)


def shown(text: str) -> str:
    """``text`` as it may be displayed: redacted, and counted, while a redaction is in force."""
    counts = active()
    if counts is None:
        return text
    redacted, found = redact(text)
    counts.update(found)
    return redacted


def shown_spans(text: str, spans: Sequence[tuple[int, int]]) -> list[str | None]:
    """The display of each of ``text``'s pieces ``spans`` (words, tokens), while a redaction is in force: a piece
    inside a value of personal data becomes its placeholder if it is the value's first piece, else None (leave it
    out), so no piece of the value shows; every piece as written otherwise."""
    counts = active()
    values = find_personal_data(text) if counts is not None else []
    if counts is not None:
        counts.update(value.kind for value in values)
    shown_pieces: list[str | None] = []
    placed = None  # the value whose placeholder stands already
    for start, end in spans:
        value = next((v for v in values if start < v.end and v.start < end), None)
        if value is None:
            shown_pieces.append(text[start:end])
        else:
            shown_pieces.append(None if value == placed else placeholder(value.kind))
            placed = value
    return shown_pieces
