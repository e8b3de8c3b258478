"""Cross-check the RN50-BERT encoders against torchvision and Hugging Face transformers, when installed.

Neither package is a cliport dependency, so these tests are skipped in a normal install; they are a
fidelity check for developers (random weights, full-size architectures).
"""

from __future__ import annotations

import json

import pytest
import torch

from cliport.models.pretrained import load_bert, load_rn50

torch.set_num_threads(1)


def test_resnet50_matches_torchvision(tmp_path) -> None:
    models = pytest.importorskip("torchvision.models")
    torch.manual_seed(0)
    ref = models.resnet50(weights=None).eval()
    with torch.no_grad():  # non-trivial BN statistics and affine parameters
        for mod in ref.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.normal_(0, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.normal_(1, 0.1)
                mod.bias.normal_(0, 0.1)
    path = tmp_path / "resnet50.pth"
    torch.save(ref.state_dict(), path)  # includes fc.*, which the trunk ignores
    enc = load_rn50(path)
    x = torch.randn(2, 3, 160, 96)
    with torch.no_grad():
        y = ref.maxpool(ref.relu(ref.bn1(ref.conv1(x))))
        want = [y]
        for layer in (ref.layer1, ref.layer2, ref.layer3, ref.layer4):
            y = layer(y)
            want.append(y)
    _, feats = enc.forward_features(x)
    for ours, theirs in zip(feats, want, strict=True):
        assert torch.allclose(ours, theirs, rtol=1e-4, atol=1e-4)


VOCAB = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "put", "the", "red", "block", "in", "bowl", "un", "##aff",
    "##able", "##s", "a", "b", "##b", ",", ".", "!", "'", "hello", "cafe", "green", "blue", "\u4e2d", "pack",
    "box", "##ing", "stack", "-", "(", ")", "1", "2", "##3", "?",
]  # fmt: skip


def test_wordpiece_and_distilbert_match_transformers(tmp_path) -> None:
    transformers = pytest.importorskip("transformers")
    folder = tmp_path / "distilbert"
    folder.mkdir()
    (folder / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    cfg = transformers.DistilBertConfig(vocab_size=30522)
    torch.manual_seed(0)
    ref = transformers.DistilBertModel(cfg).eval()
    torch.save(ref.state_dict(), folder / "pytorch_model.bin")
    (folder / "config.json").write_text(json.dumps(cfg.to_dict()))
    enc = load_bert(folder)

    tok = transformers.AutoTokenizer.from_pretrained(str(folder))  # uncased BERT tokenizer over vocab.txt
    texts = [
        "Put the RED blocks in the bowl.",
        "unaffable,  b bb!",
        "Café (packing) box's 123 stack-boxes?",
        "hello\u4e2dblue \x00\ttabs",
        "unknownword " + "x" * 120,
    ]
    for text in texts:
        assert enc.tokenizer.encode(text) == tok(text)["input_ids"], text

    feats = enc.encode(texts[:3])
    batch = tok(texts[:3], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = ref(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    mask = batch["attention_mask"].float()
    assert torch.equal(feats.mask, mask)
    assert torch.allclose(feats.tokens * mask[..., None], hidden * mask[..., None], atol=1e-4)
    for b, text in enumerate(texts[:3]):
        single = tok(text, return_tensors="pt")
        with torch.no_grad():
            alone = ref(**single).last_hidden_state[0]
        assert torch.allclose(feats.sentence[b], alone.mean(0), atol=1e-4)  # the original: mean, unpadded
