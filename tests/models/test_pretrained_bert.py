"""DistilBERT encoder: HF key layout, parameter count, WordPiece, reference forward, batching, loading."""

from __future__ import annotations

import json
import math
import warnings

import pytest
import torch

from cliport.models.encoders import TextEncoder
from cliport.models.pretrained import load_bert, load_bert_untrained
from cliport.models.pretrained.distilbert import DistilBertConfig, DistilBertModel
from cliport.models.pretrained.files import PretrainedWeightsError
from cliport.models.pretrained.wordpiece import WordPieceTokenizer, basic_split

torch.set_num_threads(1)
TINY = {"vocab_size": 40, "max_position_embeddings": 32, "dim": 8, "n_layers": 2, "n_heads": 2}
TINY["hidden_dim"] = 16
VOCAB = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "put", "the", "red", "block", "in", "bowl", "un", "##aff", "##able",
    "##s", "a", "b", "##b", ",", ".", "!", "hello", "cafe", "green", "blue", "\u4e2d", "pack", "box",
]  # fmt: skip


def hf_key_shapes(cfg: DistilBertConfig) -> dict[str, tuple[int, ...]]:
    """Hugging Face DistilBertModel names and shapes, written out from the architecture."""
    d, h = cfg.dim, cfg.hidden_dim
    keys = {
        "embeddings.word_embeddings.weight": (cfg.vocab_size, d),
        "embeddings.position_embeddings.weight": (cfg.max_position_embeddings, d),
        "embeddings.LayerNorm.weight": (d,),
        "embeddings.LayerNorm.bias": (d,),
    }
    for i in range(cfg.n_layers):
        p = f"transformer.layer.{i}."
        for lin in ("q_lin", "k_lin", "v_lin", "out_lin"):
            keys[f"{p}attention.{lin}.weight"] = (d, d)
            keys[f"{p}attention.{lin}.bias"] = (d,)
        for ln in ("sa_layer_norm", "output_layer_norm"):
            keys[f"{p}{ln}.weight"] = (d,)
            keys[f"{p}{ln}.bias"] = (d,)
        keys[f"{p}ffn.lin1.weight"] = (h, d)
        keys[f"{p}ffn.lin1.bias"] = (h,)
        keys[f"{p}ffn.lin2.weight"] = (d, h)
        keys[f"{p}ffn.lin2.bias"] = (d,)
    return keys


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("CLIPORT_DISTILBERT", raising=False)


@pytest.fixture
def model_dir(tmp_path):
    """A Hugging Face style folder holding a tiny masked-LM checkpoint (prefix + head keys)."""
    folder = tmp_path / "distilbert-tiny"
    folder.mkdir()
    (folder / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    (folder / "config.json").write_text(json.dumps({**TINY, "model_type": "distilbert"}))
    gen = torch.Generator().manual_seed(0)
    shapes = hf_key_shapes(DistilBertConfig(**TINY))
    state = {"distilbert." + k: torch.randn(s, generator=gen) * 0.5 for k, s in shapes.items()}
    state["vocab_projector.bias"] = torch.zeros(TINY["vocab_size"])
    state["vocab_transform.weight"] = torch.zeros(TINY["dim"], TINY["dim"])
    from safetensors.torch import save_file

    save_file(state, str(folder / "model.safetensors"))
    return folder


def test_full_size_count_and_names() -> None:
    full = DistilBertModel()
    assert sum(p.numel() for p in full.parameters()) == 66_362_880
    for cfg in (DistilBertConfig(), DistilBertConfig(**TINY)):
        assert {k: tuple(v.shape) for k, v in DistilBertModel(cfg).state_dict().items()} == hf_key_shapes(cfg)


def test_basic_split_and_wordpiece() -> None:
    assert basic_split(" Héllo,\tWORLD!\x00 ") == ["hello", ",", "world", "!"]
    assert basic_split("a\u4e2db") == ["a", "\u4e2d", "b"]
    tok = WordPieceTokenizer(VOCAB)
    ids = tok.encode("Put the red blocks in the bowl.")
    words = ["put", "the", "red", "block", "##s", "in", "the", "bowl", "."]
    assert [VOCAB[i] for i in ids] == ["[CLS]", *words, "[SEP]"]
    assert [VOCAB[i] for i in tok.encode("unaffable")] == ["[CLS]", "un", "##aff", "##able", "[SEP]"]
    assert [VOCAB[i] for i in tok.encode("unknownword bb")] == ["[CLS]", "[UNK]", "b", "##b", "[SEP]"]
    assert tok.encode("x" * 101) == [tok.cls_id, tok.unk_id, tok.sep_id]
    assert [VOCAB[i] for i in tok.encode("Café")] == ["[CLS]", "cafe", "[SEP]"]


def _reference(sd: dict, ids: list[int], heads: int) -> torch.Tensor:
    """One unpadded sequence through DistilBERT with explicit per-head attention."""
    def ln(x, p):
        return torch.nn.functional.layer_norm(x, x.shape[-1:], sd[p + ".weight"], sd[p + ".bias"], eps=1e-12)

    def lin(x, p):
        return x @ sd[p + ".weight"].T + sd[p + ".bias"]

    x = sd["embeddings.word_embeddings.weight"][ids] + sd["embeddings.position_embeddings.weight"][: len(ids)]
    x = ln(x, "embeddings.LayerNorm")
    d = x.shape[-1]
    hd = d // heads
    for i in range(sum(1 for k in sd if k.endswith("attention.q_lin.weight"))):
        p = f"transformer.layer.{i}."
        q, k, v = (lin(x, p + f"attention.{n}") for n in ("q_lin", "k_lin", "v_lin"))
        outs = []
        for h in range(heads):
            sl = slice(h * hd, (h + 1) * hd)
            outs.append(torch.softmax(q[:, sl] @ k[:, sl].T / math.sqrt(hd), -1) @ v[:, sl])
        x = ln(x + lin(torch.cat(outs, -1), p + "attention.out_lin"), p + "sa_layer_norm")
        y = lin(x, p + "ffn.lin1")
        y = 0.5 * y * (1 + torch.erf(y / math.sqrt(2)))
        x = ln(x + lin(y, p + "ffn.lin2"), p + "output_layer_norm")
    return x


def test_loads_folder_and_matches_reference_per_sample(model_dir) -> None:
    enc = load_bert(model_dir)
    assert isinstance(enc, TextEncoder) and enc.sentence_dim == 8 and enc.token_dim == 8
    texts = ["put the red block in the bowl", "pack box", "hello!"]
    feats = enc.encode(texts)
    sd = enc.model.state_dict()
    lengths = [9, 4, 4]
    assert feats.tokens.shape == (3, 9, 8)
    assert feats.mask.sum(1).tolist() == lengths
    for b, text in enumerate(texts):
        ids = enc.tokenizer.encode(text)
        ref = _reference(sd, ids, TINY["n_heads"])
        assert torch.allclose(feats.tokens[b, : len(ids)], ref, atol=1e-5)
        assert torch.allclose(feats.sentence[b], ref.mean(0), atol=1e-5)
    assert not feats.sentence.requires_grad


def test_pytorch_bin_and_env_var(model_dir, monkeypatch) -> None:
    from safetensors.torch import load_file

    state = load_file(str(model_dir / "model.safetensors"))
    (model_dir / "model.safetensors").unlink()
    torch.save({k.removeprefix("distilbert."): v for k, v in state.items()}, model_dir / "pytorch_model.bin")
    monkeypatch.setenv("CLIPORT_DISTILBERT", str(model_dir))
    enc = load_bert()
    want = state["distilbert.embeddings.word_embeddings.weight"]
    assert torch.equal(enc.model.embeddings.word_embeddings.weight, want)


def test_errors_name_the_problem(model_dir, tmp_path) -> None:
    with pytest.raises(PretrainedWeightsError, match="no DistilBERT files.*CLIPORT_DISTILBERT"):
        load_bert()
    with pytest.raises(PretrainedWeightsError, match="no such file or folder"):
        load_bert(tmp_path / "nowhere")
    (model_dir / "model.safetensors").unlink()
    with pytest.raises(PretrainedWeightsError, match="has none of"):
        load_bert(model_dir)
    torch.save({"embeddings.word_embeddings.weight": torch.zeros(40, 8)}, model_dir / "pytorch_model.bin")
    with pytest.raises(PretrainedWeightsError, match="missing keys: embeddings.LayerNorm.bias"):
        load_bert(model_dir)


def test_random_and_untrained_variants(model_dir) -> None:
    with pytest.warns(RuntimeWarning) as record:
        enc = load_bert(allow_random=True, **{**TINY, "vocab_size": 200})
    messages = " | ".join(str(w.message) for w in record)
    assert "character-level stand-in" in messages and "RANDOMLY INITIALISED" in messages
    assert enc.encode(["put the red block"]).sentence.shape == (1, 8)
    with pytest.raises(PretrainedWeightsError, match="do not belong together"), pytest.warns(RuntimeWarning):
        load_bert(allow_random=True, **TINY)  # stand-in vocabulary larger than 40 embeddings
    with pytest.raises(PretrainedWeightsError, match="tokenizer"):
        load_bert_untrained(**TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = load_bert_untrained(model_dir, seed=1)
        b = load_bert_untrained(model_dir, seed=1)
    assert a.tokenizer.encode("put the box") == load_bert(model_dir).tokenizer.encode("put the box")
    assert torch.equal(a.encode(["pack box"]).sentence, b.encode(["pack box"]).sentence)
    pretrained = load_bert(model_dir).encode(["pack box"]).sentence
    assert not torch.allclose(a.encode(["pack box"]).sentence, pretrained)
