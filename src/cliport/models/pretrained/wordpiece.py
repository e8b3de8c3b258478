"""BERT's uncased WordPiece tokenizer (as used by ``distilbert-base-uncased``), from its vocab.txt.

Why this exists: the DistilBERT baselines (spec models.md §9.2) tokenise instructions with the
pretrained uncased tokenizer: [CLS] + word pieces + [SEP], no padding. Writing the two small stages
ourselves avoids a dependency on ``transformers``/``tokenizers``:

1. basic splitting: drop control characters, map whitespace to spaces, put spaces around CJK
   ideographs, lower-case, strip accents (NFD, drop combining marks), split off punctuation;
2. WordPiece: greedy longest-match-first against the vocabulary, continuation pieces prefixed "##",
   a word with no segmentation (or longer than 100 characters) becomes [UNK].
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from cliport.errors import CliportError

MAX_WORD_CHARS = 100


class WordPieceError(CliportError):
    """The vocabulary file is missing or lacks the special tokens."""


def _is_punctuation(ch: str) -> bool:
    code = ord(ch)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2B73F
        or 0x2B740 <= code <= 0x2B81F
        or 0x2B820 <= code <= 0x2CEAF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


def basic_split(text: str) -> list[str]:
    """Stage 1: the cleaned, lower-cased, accent-free words and punctuation marks of ``text``."""
    chars = []
    for ch in text:
        code = ord(ch)
        if code in (0, 0xFFFD):
            continue
        if ch in "\t\n\r" or unicodedata.category(ch) == "Zs":
            chars.append(" ")
        elif unicodedata.category(ch).startswith("C"):
            continue
        elif _is_cjk(code):
            chars.append(f" {ch} ")
        else:
            chars.append(ch)
    words = []
    for word in "".join(chars).split():
        word = unicodedata.normalize("NFD", word.lower())
        word = "".join(c for c in word if unicodedata.category(c) != "Mn")
        piece = ""
        for ch in word:
            if _is_punctuation(ch):
                if piece:
                    words.append(piece)
                words.append(ch)
                piece = ""
            else:
                piece += ch
        if piece:
            words.append(piece)
    return words


class WordPieceTokenizer:
    """Uncased BERT tokenizer over a ``vocab.txt`` (one token per line; the line number is the id)."""

    def __init__(self, vocab: Sequence[str]) -> None:
        self.vocab = {token: i for i, token in enumerate(vocab)}
        missing = [t for t in ("[CLS]", "[SEP]", "[UNK]", "[PAD]") if t not in self.vocab]
        if missing:
            raise WordPieceError(f"the vocabulary lacks the special tokens {missing}")
        self.cls_id, self.sep_id = self.vocab["[CLS]"], self.vocab["[SEP]"]
        self.unk_id, self.pad_id = self.vocab["[UNK]"], self.vocab["[PAD]"]

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> WordPieceTokenizer:
        path = Path(path)
        if not path.is_file():
            raise WordPieceError(f"{str(path)!r}: no such file (want distilbert-base-uncased's vocab.txt)")
        lines = path.read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return cls([line.rstrip("\r") for line in lines])

    def word_pieces(self, word: str) -> list[int]:
        """Stage 2 for one word: greedy longest-match-first pieces, or [UNK]."""
        if len(word) > MAX_WORD_CHARS:
            return [self.unk_id]
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    ids.append(self.vocab[piece])
                    break
                end -= 1
            if end == start:
                return [self.unk_id]
            start = end
        return ids

    def encode(self, text: str) -> list[int]:
        """[CLS] + pieces of every word + [SEP] (no padding, no truncation)."""
        ids = [self.cls_id]
        for word in basic_split(text):
            ids.extend(self.word_pieces(word))
        return [*ids, self.sep_id]
