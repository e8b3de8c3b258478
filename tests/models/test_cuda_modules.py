"""Accelerator checks of the networks (skipped without CUDA): FFT == direct correlation on the device,
batched == single calls on the device, and CPU == CUDA outputs for the same weights."""

from __future__ import annotations

import copy

import pytest
import torch

from cliport.models.attention import PickModule
from cliport.models.correlation import correlate
from cliport.models.fakes import FakeImageEncoder, FakeTextEncoder
from cliport.models.lingunet import CLIPLingUNetLat
from cliport.models.resnet import ResNet45_10s
from cliport.models.transport import PlaceModule

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
LAT = (64, 32, 16, 8, 4, 2)


def test_fft_equals_conv_on_device_real_size():
    gen = torch.Generator().manual_seed(0)
    key = torch.randn(2, 3, 384, 224, generator=gen, dtype=torch.float64).cuda().requires_grad_()
    ker = torch.randn(2, 36, 3, 64, 64, generator=gen, dtype=torch.float64).cuda().requires_grad_()
    a = correlate(key, ker, 32, "fft")
    ga = torch.autograd.grad(a.square().mean(), (key, ker))
    b = correlate(key, ker, 32, "conv")
    gb = torch.autograd.grad(b.square().mean(), (key, ker))
    assert (a - b).abs().max() <= 1e-9 * b.abs().max()
    for x, y in zip(ga, gb, strict=True):
        assert (x - y).abs().max() <= 1e-9 * y.abs().max()


def build(enc, dtype):
    torch.manual_seed(0)
    dec = lambda d: CLIPLingUNetLat(enc, d, lat_channels=LAT, text_dims=(32, 16))  # noqa: E731
    pick = PickModule(ResNet45_10s(out_dim=1, base=4), dec(1))
    place = PlaceModule(ResNet45_10s(out_dim=3, base=4), ResNet45_10s(out_dim=3, base=4), dec(3), dec(3))
    return pick.to(dtype), place.to(dtype)


@pytest.mark.parametrize("train", [False, True])
def test_batched_equals_single_and_cpu_on_device(train):
    dtype = torch.float64
    enc_cpu = FakeImageEncoder((16, 32, 64, 128)).to(dtype)
    pick, place = build(enc_cpu, dtype)
    enc_gpu = copy.deepcopy(enc_cpu).cuda()
    gpick, gplace = (m.cuda() for m in build(enc_gpu, dtype))
    gpick.load_state_dict(pick.state_dict())
    gplace.load_state_dict(place.state_dict())
    for m in (pick, place, gpick, gplace):
        m.train(train)
    gen = torch.Generator().manual_seed(1)
    img = torch.rand(3, 320, 160, 6, generator=gen, dtype=dtype) * torch.tensor([255, 255, 255, .1, .1, .1],
                                                                               dtype=dtype)
    picks = torch.tensor([[10, 20], [300, 150], [160, 80]])
    lang = FakeTextEncoder(32, 16).encode(["a", "put the blue block in the bowl", "stack"]).to(dtype=dtype)
    glang = lang.to("cuda")
    single_pick, single_place = copy.deepcopy(gpick), copy.deepcopy(gplace)
    out_p = gpick(img.cuda(), glang)
    out_q = gplace(img.cuda(), picks.cuda(), glang)
    ref_p = torch.cat([single_pick(img[i:i + 1].cuda(), glang.select(i)) for i in range(3)])
    ref_q = torch.cat([single_place(img[i:i + 1].cuda(), picks[i:i + 1].cuda(), glang.select(i))
                       for i in range(3)])
    torch.testing.assert_close(out_p, ref_p, atol=1e-9, rtol=1e-9)
    torch.testing.assert_close(out_q, ref_q, atol=1e-9, rtol=1e-9)
    cpu_p, cpu_q = pick(img, lang), place(img, picks, lang)
    torch.testing.assert_close(out_p.cpu(), cpu_p, atol=1e-8, rtol=1e-8)
    torch.testing.assert_close(out_q.cpu(), cpu_q, atol=1e-8, rtol=1e-8)
