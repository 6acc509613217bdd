"""One epoch of feature loading for a corpus: cold (computed and cached) and warm (cache hit).

Reads the training split of the corpus (default ``data/recorded``; ``make data`` makes it),
computes the features of one
representation into a fresh cache, then loads them again from the cache, and iterates one epoch
of batches over them. The issue's goal (loading at most 5 % of training time) needs the model's
step time, which arrives with the models; until then this prints the loading times alone.

Usage: ``python -m benchmarks.bench_loading [--corpus DIR] [--representation stft]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from lab.cache import FeatureCache
from lab.dataset import ManifestDataset
from lab.features import REPRESENTATIONS, FeatureConfig, FeatureTransform
from lab.loader import FeatureBatches


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=Path("data/recorded"), help="corpus folder")
    ap.add_argument("--representation", choices=REPRESENTATIONS, default="stft")
    ap.add_argument("--batch", type=int, default=16, help="batch size of the epoch (default 16)")
    args = ap.parse_args(argv)
    if not (args.corpus / "manifest.csv").is_file():
        print(f"no corpus in {args.corpus}: run `make data`, or python -m "
              f"data_scripts.make_corpus YOUR_FOLDER --out {args.corpus}")
        return 2
    dataset = ManifestDataset(args.corpus, "training")
    transform = FeatureTransform(FeatureConfig(representation=args.representation))
    with tempfile.TemporaryDirectory(prefix="feature-cache-") as d:
        cache = FeatureCache(d)
        t0 = time.perf_counter()
        cache.load(dataset, transform)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        feats, labels = cache.load(dataset, transform)
        warm = time.perf_counter() - t0
    batches = FeatureBatches(feats, labels, args.batch)
    t0 = time.perf_counter()
    rows = sum(len(lab) for _, lab in batches)
    epoch = time.perf_counter() - t0
    assert rows == len(labels)
    mb = feats.numel() * feats.element_size() / 2**20
    print(f"{len(dataset)} training clips, {args.representation} features {tuple(feats.shape[1:])}"
          f", {mb:.0f} MiB")
    print(f"  cold (read audio, compute, write cache): {cold:8.2f} s")
    print(f"  warm (read and verify cache):            {warm:8.2f} s")
    print(f"  one epoch of batches of {args.batch} from memory:  {epoch:8.3f} s")
    print("  (model step time: arrives with the models issue)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
