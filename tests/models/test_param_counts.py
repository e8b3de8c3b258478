"""Parameter counts and checkpoint names of the real-size networks (spec models.md §11, §13).

Modules are built on the meta device: shapes and names are real, nothing is allocated or initialised.
"""

from __future__ import annotations

import pytest
import torch

from cliport.models.attention import PickModule
from cliport.models.lingunet import (
    CLIPFilmLingUNet,
    CLIPLingUNet,
    CLIPLingUNetLat,
    CLIPUNet,
    CLIPUNetLat,
    CLIPWithoutSkipConnections,
    RN50BertLingUNetLat,
)
from cliport.models.resnet import ResNet43_8s, ResNet43_8s_lang, ResNet45_10s
from cliport.models.transport import PLAIN_NAMES, PlaceModule


class ShapeOnlyRN50:
    """Has the RN50 channel layout; never called (the counts need no forward)."""

    channels = (256, 512, 1024, 2048)

    def forward_features(self, x):  # pragma: no cover - not called
        raise AssertionError


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.fixture(autouse=True)
def meta_device():
    with torch.device("meta"):
        yield


@pytest.mark.parametrize(
    ("build", "d1", "d3"),
    [
        (lambda d: ResNet43_8s(out_dim=d), 9_823_280, 9_823_504),
        (lambda d: ResNet45_10s(out_dim=d), 39_470_608, 39_470_768),
        (lambda d: ResNet43_8s_lang(out_dim=d), 11_529_136, 11_529_360),
        (lambda d: CLIPLingUNetLat(ShapeOnlyRN50(), d), 52_867_729, 52_867_763),
        (lambda d: CLIPLingUNet(ShapeOnlyRN50(), d), 51_819_409, 51_819_443),
        (lambda d: CLIPUNetLat(ShapeOnlyRN50(), d), 51_030_929, 51_030_963),
        (lambda d: CLIPUNet(ShapeOnlyRN50(), d), 49_982_609, 49_982_643),
        (lambda d: CLIPFilmLingUNet(ShapeOnlyRN50(), d), 54_704_529, 54_704_563),
        (lambda d: CLIPWithoutSkipConnections(ShapeOnlyRN50(), d), 32_555_041, 32_555_107),
    ],
)
def test_stream_counts(build, d1, d3):
    assert count(build(1)) == d1
    assert count(build(3)) == d3


def test_rn50_bert_decoder_adds_only_text_fc():
    enc = ShapeOnlyRN50()
    bert, clip = RN50BertLingUNetLat(enc, 1), CLIPLingUNetLat(enc, 1)
    assert count(bert) - count(clip) == 768 * 1024 + 1024
    assert bert.text_fc.in_features == 768


def cliport_pick() -> PickModule:
    return PickModule(ResNet45_10s(out_dim=1), CLIPLingUNetLat(ShapeOnlyRN50(), 1), fusion="add")


def cliport_place() -> PlaceModule:
    enc = ShapeOnlyRN50()
    return PlaceModule(ResNet45_10s(out_dim=3), ResNet45_10s(out_dim=3), CLIPLingUNetLat(enc, 3),
                       CLIPLingUNetLat(enc, 3), fusion="conv")


def test_cliport_module_counts():
    pick, place = cliport_pick(), cliport_place()
    assert count(pick) == 92_338_337
    assert count(place) == 184_677_098
    assert count(pick) + count(place) == 277_015_435
    assert count(place.fusion_key) == count(place.fusion_query) == 18


def test_transporter_counts():
    pick = PickModule(ResNet43_8s(out_dim=1), names=("attn_stream", ""))
    place = PlaceModule(ResNet43_8s(out_dim=3), ResNet43_8s(out_dim=3), names=PLAIN_NAMES)
    assert (count(pick), count(place)) == (9_823_280, 19_647_008)
    assert {k.split(".")[0] for k in place.state_dict()} == {"key_resnet", "query_resnet"}


def test_checkpoint_names_match_the_original_layout():
    pick, place = cliport_pick(), cliport_place()
    keys = set(pick.state_dict()) | {"transport." + k for k in place.state_dict()}
    expected = [
        "attn_stream_one.conv1.0.weight", "attn_stream_one.conv1.0.bias",
        "attn_stream_one.layer1.0.conv1.weight", "attn_stream_one.layer1.0.shortcut.0.weight",
        "attn_stream_one.layer5.1.conv3.weight", "attn_stream_one.layer10.0.conv2.weight",
        "attn_stream_one.conv2.1.conv3.weight",
        "attn_stream_two.lang_proj1.weight", "attn_stream_two.lang_proj3.bias",
        "attn_stream_two.conv1.0.weight",
        "attn_stream_two.up1.conv.double_conv.0.bias", "attn_stream_two.up3.conv.double_conv.4.running_var",
        "attn_stream_two.lat_fusion1.conv.1.weight", "attn_stream_two.lat_fusion6.conv.1.weight",
        "attn_stream_two.layer3.1.conv2.weight", "attn_stream_two.conv2.0.weight",
        "attn_stream_two.conv2.0.bias", "transport.key_stream_one.layer9.0.shortcut.0.weight",
        "transport.query_stream_two.up2.conv.double_conv.3.weight",
        "transport.fusion_key.conv.1.weight", "transport.fusion_query.conv.1.weight",
    ]
    missing = [k for k in expected if k not in keys]
    assert not missing, missing
    # the frozen encoder is never part of the trainable state
    assert not any("clip" in k or "encoder" in k for k in keys)
    # with batchnorm=False the residual blocks' BN slots hold nothing
    assert not any(".bn1." in k or "shortcut.1" in k for k in keys)
