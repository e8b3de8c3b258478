"""CLIP's byte-level BPE tokenizer, context 77 (spec models.md §8.2).

Why this exists: instructions become the (B, 77) id tensors CLIP's text tower reads. The BPE itself is
the ``instant-clip-tokenizer`` package (byte-compatible with OpenAI's ``SimpleTokenizer``, ships the
``bpe_simple_vocab_16e6`` vocabulary). What it leaves to us is the original's text cleaning and the
"error if too long" rule (the package silently truncates):

* HTML entities are unescaped twice and surrounding whitespace stripped, runs of whitespace collapse to
  one space, and the text is lower-cased — as OpenAI's ``basic_clean`` / ``whitespace_clean``.
* Of ``ftfy.fix_text`` (which OpenAI runs first) we apply the parts that can change ids of ordinary
  text: terminal escapes and control characters removed, curly quotes -> straight quotes, Latin
  ligatures (e.g. "ﬁ") and half/full-width characters -> their plain forms, Unicode NFC composition.
  ftfy's mojibake repair (e.g. "Ã©" -> "é") is not reproduced; CLIPort's instructions are plain ASCII
  templates, for which all of this is a no-op. tests/models/test_clip_reference.py compares the ids
  with OpenAI's tokenizer when a copy of it is available.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from cliport.errors import CliportError

CONTEXT_LENGTH = 77
START_TOKEN = 49406
END_TOKEN = 49407
VOCAB_SIZE = 49408

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"'})
# Latin ligatures and digraphs that ftfy expands: NFKC gives the same letters, except U+FB05 ("long s t").
_LIGATURES = "\u0132\u0133\u0149" + "".join(chr(c) for c in range(0x01C4, 0x01CD)) + "\u01f1\u01f2\u01f3"
_LIGATURES += "".join(chr(c) for c in range(0xFB00, 0xFB07))
_SPECIAL = {"\ufb05": "\u017ft", "\u3000": " "}
_WHITESPACE = re.compile(r"\s+")
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[a-zA-Z]")
# C0 controls other than whitespace, DEL and the byte-order mark: removed, as ftfy does.
_CONTROL = dict.fromkeys([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F, 0xFEFF])


class TokenizerError(CliportError, ValueError):
    """An instruction cannot be tokenized (e.g. longer than the 77-token context)."""


def _fix_width_and_ligatures(text: str) -> str:
    out = []
    for ch in text:
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif 0xFF01 <= ord(ch) <= 0xFFEF or ch in _LIGATURES:  # half/full-width forms, ligatures
            out.append(unicodedata.normalize("NFKC", ch))
        else:
            out.append(ch)
    return "".join(out)


def clean_text(text: str) -> str:
    """The text normalisation applied before BPE (see module docstring)."""
    text = _ANSI_ESCAPE.sub("", text).translate(_CONTROL)
    text = html.unescape(html.unescape(text))
    text = _fix_width_and_ligatures(text.translate(_QUOTES))
    text = unicodedata.normalize("NFC", text)
    return _WHITESPACE.sub(" ", text).strip().lower()


@functools.lru_cache(maxsize=1)
def _bpe():  # noqa: ANN202 - the package has no type stubs
    try:
        from instant_clip_tokenizer import Tokenizer
    except ImportError as err:  # pragma: no cover - it is a core dependency
        raise CliportError(
            "the CLIP tokenizer needs the package instant-clip-tokenizer (pip install instant-clip-tokenizer)"
        ) from err
    return Tokenizer()


def encode(text: str) -> list[int]:
    """BPE ids of one cleaned text, without start/end tokens."""
    return list(_bpe().encode(clean_text(text)))


def tokenize(texts: str | Sequence[str], context_length: int = CONTEXT_LENGTH) -> Tensor:
    """Texts -> (B, context_length) int64 ids: [49406] + BPE ids + [49407], zero-padded.

    Raises :class:`TokenizerError` naming the text when it needs more than ``context_length`` tokens.
    """
    if isinstance(texts, str):
        texts = [texts]
    out = np.zeros((len(texts), context_length), dtype=np.int64)
    for row, text in enumerate(texts):
        if not isinstance(text, str):
            raise TokenizerError(f"instruction {row} is a {type(text).__name__}, not a string")
        ids = [START_TOKEN, *encode(text), END_TOKEN]
        if len(ids) > context_length:
            preview = text if len(text) <= 60 else text[:57] + "..."
            raise TokenizerError(
                f"instruction {preview!r} is {len(ids)} tokens long (with start/end); "
                f"CLIP's context holds {context_length}: shorten the instruction"
            )
        out[row, : len(ids)] = ids
    return torch.from_numpy(out)


def decode(ids: Sequence[int] | Tensor) -> str:
    """Ids -> text: the ids between the start token and the first end token (padding dropped).

    Id 0 is both the padding value and the token "!", so only what precedes the end token is kept.
    """
    values = [int(i) for i in (ids.tolist() if isinstance(ids, Tensor) else ids)]
    if values and values[0] == START_TOKEN:
        values = values[1:]
    if END_TOKEN in values:
        values = values[: values.index(END_TOKEN)]
    return _bpe().decode(values)
