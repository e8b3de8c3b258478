"""Pick and place modules: batching, the naive reference, layouts, the frozen encoder, input errors.

Tiny widths (ResNet base 4, fake encoders) and small images keep each test to about a second.
"""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from cliport.models.attention import ModelInputError, PickModule
from cliport.models.fakes import FakeImageEncoder, FakeTextEncoder
from cliport.models.image_goal import PickImageGoal, PlaceImageGoal
from cliport.models.lingunet import CLIPFilmLingUNet, CLIPLingUNetLat, CLIPUNet, CLIPWithoutSkipConnections
from cliport.models.resnet import ResNet43_8s, ResNet43_8s_lang, ResNet45_10s
from cliport.models.rotation import rotate, rotation_angles
from cliport.models.transport import PLAIN_NAMES, PlaceModule

LAT = (64, 32, 16, 8, 4, 2)  # ResNet45_10s(base=4) lateral channels
TEXTS = ["put the red block in the brown bowl", "stack all the blocks", "pack the yellow cube", "push"]


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def enc():
    return FakeImageEncoder((16, 32, 64, 128))


@pytest.fixture(scope="module")
def text():
    return FakeTextEncoder(sentence_dim=32, token_dim=16)


def decoder(enc, d, cls=CLIPLingUNetLat, **kw):
    kw.setdefault("lat_channels", LAT)
    kw.setdefault("text_dims", (32, 16))
    return cls(enc, d, **kw)


def cliport_pick(enc):
    torch.manual_seed(0)
    return PickModule(ResNet45_10s(out_dim=1, base=4), decoder(enc, 1))


def cliport_place(enc, **kw):
    torch.manual_seed(0)
    kw.setdefault("crop_size", 32)
    return PlaceModule(ResNet45_10s(out_dim=3, base=4), ResNet45_10s(out_dim=3, base=4),
                       decoder(enc, 3), decoder(enc, 3), **kw)


def images(b, h=48, w=32, seed=0):
    gen = torch.Generator().manual_seed(seed)
    img = torch.rand(b, h, w, 6, generator=gen)
    return img * torch.tensor([255.0, 255.0, 255.0, 0.1, 0.1, 0.1])


PICKS = torch.tensor([[5, 7], [40, 30], [0, 0], [24, 16]])


@pytest.mark.parametrize("train", [False, True])
def test_pick_batch_equals_single_calls(enc, text, train):
    module = cliport_pick(enc).train(train)
    single = copy.deepcopy(module)
    img, lang = images(4), text.encode(TEXTS)
    out = module(img, lang)
    assert out.shape == (4, 48 * 32)
    ref = torch.cat([single(img[i:i + 1], lang.select(i)) for i in range(4)])
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    if train:  # running statistics end where four separate calls leave them
        torch.testing.assert_close(module.state_dict(), single.state_dict(), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("train", [False, True])
def test_place_batch_equals_single_calls(enc, text, train):
    module = cliport_place(enc).train(train)
    single = copy.deepcopy(module)
    img, lang = images(4), text.encode(TEXTS)
    out = module(img, PICKS, lang)
    assert out.shape == (4, 36 * 48 * 32)
    ref = torch.cat([single(img[i:i + 1], PICKS[i:i + 1], lang.select(i)) for i in range(4)])
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


def naive_place(module: PlaceModule, image, pick, lang):
    """The original's algorithm, one sample and one rotation at a time, correlation by conv2d."""
    pad, k = module.pad_size, module.crop_size
    outs = []
    for b in range(image.shape[0]):
        x = F.pad(image[b:b + 1].permute(0, 3, 1, 2), [pad] * 4)  # (1, 6, Hp, Wp)
        pr, pc = (pick[b] + pad).tolist()
        crops = []
        for angle in rotation_angles(module.n_rotations):
            rot = rotate(x, torch.tensor([angle]), torch.tensor([[pr, pc]]))
            crops.append(rot[:, :, pr - k // 2:pr + k // 2, pc - k // 2:pc + k // 2])
        lang_b = lang.select(b)
        key_lat = module.key_stream_one(x)
        key = module.fusion_key(key_lat[0], module.key_stream_two(x, key_lat[1], lang_b))
        kernels = []
        for crop in crops:  # per rotation
            q_out, q_lat = module.query_stream_one(crop)
            kernels.append(module.fusion_query(q_out, module.query_stream_two(crop, q_lat, lang_b)))
        corr = F.conv2d(key, torch.cat(kernels), padding=pad)  # (1, 36, Hp + 1, Wp + 1)
        corr = F.interpolate(corr, size=x.shape[-2:], mode="bilinear", align_corners=False)
        outs.append(corr[:, :, pad:-pad, pad:-pad].reshape(1, -1))
    return torch.cat(outs)


def test_place_equals_naive_reference(text):
    # float64 so that the comparison tests the algorithm, not float32 rounding of the direct conv
    enc = FakeImageEncoder((16, 32, 64, 128)).double()
    module = cliport_place(enc).double().eval()
    img, lang = images(2, seed=3).double(), text.encode(TEXTS[:2]).to(dtype=torch.float64)
    with torch.no_grad():
        out = module(img, PICKS[:2], lang)  # FFT correlation on CPU
        ref = naive_place(module, img, PICKS[:2], lang)
    assert out.dtype == torch.float64
    assert (out - ref).abs().max() <= 1e-9 * ref.abs().max()


def test_softmax_outputs(enc, text):
    img, lang = images(2), text.encode(TEXTS[:2])
    with torch.no_grad():
        pick = cliport_pick(enc).eval()(img, lang, softmax=True)
        place = cliport_place(enc).eval()(img, PICKS[:2], lang, softmax=True)
    assert pick.shape == (2, 48, 32, 1) and place.shape == (2, 36, 48, 32)
    torch.testing.assert_close(pick.sum((1, 2, 3)), torch.ones(2))
    torch.testing.assert_close(place.sum((1, 2, 3)), torch.ones(2))


def test_encoder_is_frozen_shared_and_unregistered(enc, text):
    calls = []

    class Spy(FakeImageEncoder):
        def forward_features(self, x):
            calls.append(torch.is_grad_enabled())
            return super().forward_features(x)

    spy = Spy((16, 32, 64, 128)).requires_grad_(True)
    module = PickModule(ResNet45_10s(out_dim=1, base=4), decoder(spy, 1))
    assert not any(p is q for p in module.parameters() for q in spy.parameters())
    plain = PickModule(ResNet45_10s(out_dim=1, base=4), decoder(enc, 1))
    assert len(module.state_dict()) == len(plain.state_dict())
    module(images(1), text.encode(TEXTS[:1])).sum().backward()
    assert calls == [False]
    assert all(p.grad is None for p in spy.parameters())
    assert all(p.grad is not None for p in module.parameters())


def run_backward(module, *args):
    out = module(*args)
    out.float().pow(2).mean().backward()
    grads = [p.grad for p in module.parameters() if p.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
    return out


def test_other_layouts_run_forward_and_backward(enc, text):
    img, lang = images(2), text.encode(TEXTS[:2])
    # transporter: one ResNet43_8s per network
    pick = PickModule(ResNet43_8s(out_dim=1, base=4), names=("attn_stream", ""))
    place = PlaceModule(ResNet43_8s(out_dim=3, base=4), ResNet43_8s(out_dim=3, base=4), names=PLAIN_NAMES,
                        crop_size=32)
    assert run_backward(pick, img).shape == (2, 48 * 32)
    assert run_backward(place, img, PICKS[:2]).shape == (2, 36 * 48 * 32)
    # transporter_lang: one language stream (DistilBERT-like 32-d sentence -> text_fc 64)
    lang_net = lambda d: ResNet43_8s_lang(out_dim=d, base=4, text_dims=(32, 16), text_fc_dim=64)  # noqa: E731
    pick = PickModule(lang_net(1))
    run_backward(pick, img, lang)
    # non-lateral two streams, no language; and the no-skip decoder
    for two in (lambda d: decoder(enc, d, CLIPUNet), lambda d: CLIPWithoutSkipConnections(enc, d)):
        pick = PickModule(ResNet43_8s(out_dim=1, base=4), two(1))
        place = PlaceModule(ResNet43_8s(out_dim=3, base=4), ResNet43_8s(out_dim=3, base=4), two(3), two(3),
                            crop_size=32)
        run_backward(pick, img)
        run_backward(place, img, PICKS[:2])
    # FiLM language fusion
    run_backward(PickModule(ResNet45_10s(out_dim=1, base=4), decoder(enc, 1, CLIPFilmLingUNet)), img, lang)


def test_image_goal_modules(enc):
    img, goal = images(2), images(2, seed=9)
    pick = PickImageGoal(ResNet43_8s(out_dim=1, base=4))
    out = run_backward(pick, img, goal)
    assert out.shape == (2, 48 * 32)
    place = PlaceImageGoal(ResNet43_8s(out_dim=3, base=4), ResNet43_8s(out_dim=3, base=4),
                           ResNet43_8s(out_dim=3, base=4), crop_size=32)
    assert run_backward(place, img, PICKS[:2], goal).shape == (2, 36 * 48 * 32)
    assert {k.split(".")[0] for k in place.state_dict()} == {"key_resnet", "query_resnet", "goal_resnet"}
    with pytest.raises(ModelInputError, match="goal image"):
        pick(img, goal[:1])


def test_pick_with_rotations_batches(enc):
    module = PickModule(ResNet43_8s(out_dim=1, base=4), names=("attn_stream", ""), n_rotations=4).eval()
    img = images(2)
    with torch.no_grad():
        out = module(img)
        ref = torch.cat([module(img[i:i + 1]) for i in range(2)])
    assert out.shape == (2, 48 * 32 * 4)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


def test_full_resolution_shapes(enc, text):
    img, lang = images(1, 320, 160), text.encode(TEXTS[:1])
    with torch.no_grad():
        pick = cliport_pick(enc).eval()(img, lang, softmax=True)
        place = cliport_place(enc, crop_size=64).eval()(img, torch.tensor([[100, 50]]), lang)
    assert pick.shape == (1, 320, 160, 1)
    assert place.shape == (1, 36 * 320 * 160)


def test_bad_inputs_raise_clear_errors(enc, text):
    place = cliport_place(enc)
    lang = text.encode(TEXTS[:1])
    with pytest.raises(ModelInputError, match=r"\(B, H, W, 6\)"):
        place(torch.zeros(1, 48, 32, 3), PICKS[:1], lang)
    with pytest.raises(ModelInputError, match="inside the 48x32 image"):
        place(images(1), torch.tensor([[48, 0]]), lang)
    with pytest.raises(ModelInputError, match="2 pick pixels for 1 images"):
        place(images(1), PICKS[:2], lang)
    with pytest.raises(ValueError, match="needs text features"):
        cliport_pick(enc)(images(1), None)
