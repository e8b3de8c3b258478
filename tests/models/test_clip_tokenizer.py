"""CLIP tokenizer: known ids, padding, cleaning rules, and the too-long error."""

from __future__ import annotations

import pytest
import torch

from cliport.errors import CliportError
from cliport.models.clip.tokenizer import (
    END_TOKEN,
    START_TOKEN,
    TokenizerError,
    clean_text,
    decode,
    encode,
    tokenize,
)


def test_known_ids_with_start_end_and_zero_padding() -> None:
    ids = tokenize("a person riding a motorcycle")
    assert ids.shape == (1, 77) and ids.dtype == torch.int64
    assert ids[0, :7].tolist() == [START_TOKEN, 320, 2533, 6765, 320, 10297, END_TOKEN]
    assert ids[0, 7:].eq(0).all()
    assert START_TOKEN == 49406 and END_TOKEN == 49407


def test_batch_rows_are_independent() -> None:
    texts = ["pack the red block in the brown box", "a person riding a motorcycle"]
    both = tokenize(texts)
    assert both.shape == (2, 77)
    for row, text in enumerate(texts):
        assert torch.equal(both[row], tokenize(text)[0])


def test_cleaning_case_whitespace_and_html() -> None:
    assert clean_text("  Put the  RED\tblock\n in the bowl ") == "put the red block in the bowl"
    assert clean_text("salt &amp;amp; pepper") == "salt & pepper"
    assert encode("Put the  RED block") == encode("put the red block")
    assert encode("salt &amp; pepper") == encode("salt & pepper")


def test_cleaning_covers_ftfy_fixes_that_change_ids() -> None:
    # Curly quotes, ligatures, full-width letters and decomposed accents become their plain forms.
    assert encode("it\u2019s") == encode("it's")
    assert encode("\ufb01sh") == encode("fish")
    assert encode("\uff41\uff42\uff43") == encode("abc")
    assert encode("cafe\u0301") == encode("caf\u00e9")
    assert encode("it\u2019s") != []


def test_too_long_is_an_error_naming_the_length() -> None:
    text = " ".join(["block"] * 76)  # 76 words + start + end = 78 ids
    with pytest.raises(TokenizerError, match="78 tokens long") as info:
        tokenize(["short one", text])
    assert isinstance(info.value, CliportError)
    fits = " ".join(["block"] * 75)
    assert tokenize(fits)[0, 76].item() == END_TOKEN


def test_non_string_input_is_an_error() -> None:
    with pytest.raises(TokenizerError, match="not a string"):
        tokenize(["ok", 3])  # type: ignore[list-item]


def test_decode_round_trip_stops_at_end_token() -> None:
    ids = tokenize("pack the red block!")[0]
    assert decode(ids).replace(" ", "") == "packtheredblock!"
    ids[10] = 320  # anything after the end token is ignored
    assert decode(ids).replace(" ", "") == "packtheredblock!"
