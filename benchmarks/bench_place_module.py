"""Time a real-width `cliport` place (and pick) module step: forward + backward per sample vs batch.

The frozen CLIP is replaced by :class:`cliport.models.fakes.FakeImageEncoder` at RN50's channel widths
(its cost is not counted; see benchmarks/bench_clip.py); the ResNet45_10s streams, the LingUNet
decoders, the rotated crops and the correlation are the real ones. Prints a table.
Usage: ``python benchmarks/bench_place_module.py [--device cuda] [--batches 1 4 8] [--threads 2]``.
"""

from __future__ import annotations

import argparse
import time

import torch

from cliport.models.attention import PickModule
from cliport.models.fakes import FakeImageEncoder, FakeTextEncoder
from cliport.models.lingunet import CLIPLingUNetLat
from cliport.models.resnet import ResNet45_10s
from cliport.models.transport import PlaceModule


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 4, 8])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--modules", nargs="+", default=["pick", "place"])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    enc = FakeImageEncoder((256, 512, 1024, 2048)).to(dev)
    text = FakeTextEncoder(sentence_dim=1024, token_dim=512)
    dec = lambda d: CLIPLingUNetLat(enc, d)  # noqa: E731
    nets = {
        "pick": PickModule(ResNet45_10s(out_dim=1), dec(1)).to(dev),
        "place": PlaceModule(ResNet45_10s(out_dim=3), ResNet45_10s(out_dim=3), dec(3), dec(3)).to(dev),
    }
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    print(f"device={args.device} threads={torch.get_num_threads()} torch={torch.__version__}")
    print(f"{'module':<6} {'B':>3} {'fwd+bwd s':>10} {'per sample s':>13} {'peak GPU GiB':>13}")
    for name in args.modules:
        net = nets[name].train()
        for b in args.batches:
            gen = torch.Generator().manual_seed(0)
            scale = torch.tensor([255.0, 255.0, 255.0, 0.1, 0.1, 0.1])
            img = (torch.rand(b, 320, 160, 6, generator=gen) * scale).to(dev)
            picks = torch.randint(0, 160, (b, 2), generator=gen).to(dev)
            lang = text.encode(["put the red block in the brown bowl"] * b).to(dev)
            times = []
            if dev.type == "cuda":
                torch.cuda.reset_peak_memory_stats()
            for i in range(args.repeats + 1):
                sync()
                t0 = time.perf_counter()
                out = net(img, lang) if name == "pick" else net(img, picks, lang)
                torch.log_softmax(out, -1)[:, 0].sum().backward()
                sync()
                if i:
                    times.append(time.perf_counter() - t0)
                net.zero_grad(set_to_none=True)
            peak = torch.cuda.max_memory_allocated() / 2**30 if dev.type == "cuda" else float("nan")
            t = min(times)
            print(f"{name:<6} {b:>3} {t:10.3f} {t / b:13.3f} {peak:13.2f}")


if __name__ == "__main__":
    main()
