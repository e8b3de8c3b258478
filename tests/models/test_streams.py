"""Stream networks at tiny width: output sizes, the lateral maps of §7.2, and clear errors."""

from __future__ import annotations

import pytest
import torch

from cliport.models.fakes import FakeImageEncoder, FakeTextEncoder
from cliport.models.lingunet import CLIPLingUNet, CLIPLingUNetLat, CLIPUNet
from cliport.models.resnet import ResNet43_8s, ResNet43_8s_lang, ResNet45_10s


def test_resnet45_lateral_maps_follow_the_spec():
    net = ResNet45_10s(out_dim=3, base=4)
    out, lat = net(torch.zeros(2, 6, 64, 32))
    assert out.shape == (2, 3, 64, 32)
    # [16b @ /16, 8b @ /8, 4b @ /4, 2b @ /2, b @ /1, b/2 @ x2]
    expected = [(64, 4, 2), (32, 8, 4), (16, 16, 8), (8, 32, 16), (4, 64, 32), (2, 128, 64)]
    assert [tuple(t.shape[1:]) for t in lat] == expected
    assert net.lateral_channels == tuple(c for c, _, _ in expected)


def test_resnet43_sizes_and_normalisation_inside():
    net = ResNet43_8s(out_dim=1, base=4).eval()
    x = torch.rand(1, 6, 24, 16) * 255
    assert net(x).shape == (1, 1, 24, 16)
    # normalisation happens inside: feeding pre-normalised data gives a different answer
    assert not torch.allclose(net(x), net(x / 255))


def test_resnet43_lang_uses_each_samples_sentence():
    text = FakeTextEncoder(sentence_dim=12, token_dim=8)
    net = ResNet43_8s_lang(out_dim=1, base=4, text_dims=(12, 8), text_fc_dim=20).eval()
    x = torch.rand(2, 6, 16, 16).expand(2, -1, -1, -1) * 10
    out = net(x, text.encode(["red", "a much longer blue instruction"]))
    assert out.shape == (2, 1, 16, 16)
    assert not torch.allclose(out[0], out[1])  # same image, different instruction
    assert net.text_fc.in_features == 12 and net.lang_proj1.in_features == 20


def test_decoder_needs_its_inputs():
    enc = FakeImageEncoder((16, 32, 64, 128))
    dec = CLIPLingUNetLat(enc, 1, lat_channels=(64, 32, 16, 8, 4, 2), text_dims=(32, 16))
    x = torch.zeros(1, 6, 32, 32)
    with pytest.raises(ValueError, match="lateral maps"):
        dec(x, None, FakeTextEncoder().encode(["a"]))
    with pytest.raises(ValueError, match="text features"):
        dec(x, [torch.zeros(1)] * 6, None)
    with pytest.raises(TypeError, match="ImageEncoder"):
        CLIPUNet(object(), 1)


def test_word_level_fusion_decoder_uses_tokens():
    enc = FakeImageEncoder((16, 32, 64, 128))
    dec = CLIPLingUNet(enc, 1, language="mult_word", text_dims=(32, 16)).eval()
    assert dec.lang_proj1.in_features == 16
    seen = []
    dec.lang_fuser1.register_forward_hook(lambda m, args, out: seen.append((args[1], args[2])))
    lang = FakeTextEncoder().encode(["left"])
    out = dec(torch.rand(1, 6, 64, 64) * 100, lang=lang)
    assert out.shape == (1, 1, 64, 64)
    tokens, mask = seen[0]
    assert torch.equal(tokens, lang.tokens) and torch.equal(mask, lang.mask)
