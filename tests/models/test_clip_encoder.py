"""The shared frozen CLIP encoder: Protocol conformance, shapes, no-grad, BatchNorm modes."""

from __future__ import annotations

import warnings

import pytest
import torch

from cliport.models.clip.encoder import ClipEncoder, clear_clip_cache, load_clip
from cliport.models.clip.model import CLIP, ClipConfig
from cliport.models.clip.tokenizer import tokenize
from cliport.models.encoders import SKIP_STRIDES, ImageEncoder, TextEncoder

torch.set_num_threads(1)
TINY = ClipConfig.tiny()


def _tiny_clip(seed: int = 0) -> CLIP:
    clear_clip_cache()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        model = load_clip(config=TINY, allow_random_clip=True, seed=seed)
    with torch.no_grad():  # non-trivial BN statistics so that eval and batch modes differ
        gen = torch.Generator().manual_seed(seed)
        for mod in model.visual.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.copy_(torch.randn(mod.running_mean.shape, generator=gen))
                mod.running_var.copy_(torch.rand(mod.running_var.shape, generator=gen) + 0.5)
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=gen))
    return model


@pytest.fixture
def encoder() -> ClipEncoder:
    return ClipEncoder(_tiny_clip())


def test_implements_both_protocols(encoder: ClipEncoder) -> None:
    assert isinstance(encoder, ImageEncoder) and isinstance(encoder, TextEncoder)
    w = TINY.vision_width
    assert encoder.channels == (4 * w, 8 * w, 16 * w, 32 * w)
    assert encoder.sentence_dim == TINY.embed_dim and encoder.token_dim == TINY.transformer_width


@pytest.mark.parametrize(("h", "w"), [(64, 64), (96, 64), (128, 96)])
def test_skips_follow_the_protocol(encoder: ClipEncoder, h: int, w: int) -> None:
    x = torch.randn(3, 3, h, w, requires_grad=True)
    bottleneck, skips = encoder.forward_features(x)
    assert bottleneck.dtype == torch.float32 and not bottleneck.requires_grad
    assert bottleneck.shape == (3, encoder.channels[3], h // 32, w // 32)
    assert len(skips) == 8
    for skip, ch, stride in zip(skips[-4:], encoder.channels, SKIP_STRIDES, strict=True):
        assert skip.shape == (3, ch, h // stride, w // stride)
        assert not skip.requires_grad


def test_text_features(encoder: ClipEncoder) -> None:
    texts = ["put the red block in the green bowl", "done"]
    feats = encoder.encode(texts)
    assert feats.sentence.shape == (2, TINY.embed_dim)
    assert feats.tokens.shape == (2, 77, TINY.transformer_width)
    ids = tokenize(texts)
    assert torch.equal(feats.mask, (ids != 0).float())
    assert feats.mask[1].sum() == 3  # start, "done", end
    with torch.no_grad():
        expected = encoder.clip.encode_text(ids)
    assert torch.allclose(feats.sentence, expected)
    single = encoder.encode(texts[1:])
    assert torch.allclose(single.sentence[0], feats.sentence[1], atol=1e-6)
    assert not feats.sentence.requires_grad


def test_train_mode_keeps_clip_in_eval(encoder: ClipEncoder) -> None:
    x = torch.randn(2, 3, 64, 64)
    before, _ = encoder.forward_features(x)
    stats = encoder.clip.visual.bn1.running_mean.clone()
    parent = torch.nn.ModuleDict({"enc": encoder}).train()
    assert parent.training and not encoder.clip.training
    after, _ = encoder.forward_features(x)
    assert torch.equal(before, after)
    assert torch.equal(stats, encoder.clip.visual.bn1.running_mean)


def test_batch_statistics_option_reproduces_original_training_mode() -> None:
    enc = ClipEncoder(_tiny_clip(seed=1), batchnorm="batch")
    x = torch.randn(4, 3, 64, 64)
    eval_out, _ = enc.forward_features(x)
    stats = enc.clip.visual.bn1.running_mean.clone()
    enc.train()
    train_out, _ = enc.forward_features(x)
    assert not torch.allclose(eval_out, train_out)
    assert not torch.equal(stats, enc.clip.visual.bn1.running_mean)  # statistics drift, as in the original
    # Batch statistics: the stem output is normalised per channel over the batch.
    with torch.no_grad():
        stem = enc.clip.visual.bn1(enc.clip.visual.conv1(x))
        bn = enc.clip.visual.bn1
        centred = (stem - bn.bias[:, None, None]) / bn.weight[:, None, None]
    assert torch.allclose(centred.mean(dim=(0, 2, 3)), torch.zeros(bn.num_features), atol=1e-4)
    enc.eval()
    assert not enc.clip.visual.bn1.training


def test_bad_batchnorm_mode() -> None:
    with pytest.raises(ValueError, match="batchnorm"):
        ClipEncoder(_tiny_clip(), batchnorm="train")  # type: ignore[arg-type]


@pytest.mark.slow
def test_full_size_feature_sizes_at_cliport_resolutions() -> None:
    clear_clip_cache()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        enc = ClipEncoder(load_clip(allow_random_clip=True))
    for (h, w), sizes in {
        (320, 320): [(80, 80), (40, 40), (20, 20), (10, 10)],
        (384, 224): [(96, 56), (48, 28), (24, 14), (12, 7)],
        (64, 64): [(16, 16), (8, 8), (4, 4), (2, 2)],
    }.items():
        _, skips = enc.forward_features(torch.randn(1, 3, h, w))
        assert [tuple(s.shape[2:]) for s in skips[-4:]] == sizes
        assert [s.shape[1] for s in skips[-4:]] == [256, 512, 1024, 2048]
    feats = enc.encode(["pack the yellow block"])
    assert feats.sentence.shape == (1, 1024) and feats.tokens.shape == (1, 77, 512)
    clear_clip_cache()
