"""Classical codecs on the same test clips as the models: Opus (opus-tools) at several bitrates and
Codec2 (8 kHz) in several modes, each a tracked run with the same metric names and its nominal
and measured bitrates (rate/nominal_bps, rate/measured_bps), so that they sit in the same tables
and plots. No training: --jobs codec runs at once (worker processes), --executor is ignored.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from lab.baseline import codec_runs
from lab.cli import base_config, parse_args, parser
from lab.codecs import Codec, CodecMissingError, check_tools
from lab.config import ConfigError, apply_overrides
from lab.corpus import check_run_corpora
from lab.sweep import SweepSummary, exit_status
from lab.tracking import TrackingUnavailableError

CODECS = {"smoke": [Codec("opus", "6"), Codec("codec2", "3200")],
          "quick": [Codec("opus", s) for s in ("6", "8", "12", "16", "24")]
          + [Codec("codec2", m) for m in ("3200", "1600", "700C")],
          "reference": [Codec("opus", s) for s in ("6", "8", "12", "16", "24")]
          + [Codec("codec2", m) for m in ("3200", "1600", "700C")],
          "paper": [Codec("opus", s) for s in ("6", "8", "10", "12", "16", "24", "32")]
          + [Codec("codec2", m) for m in ("3200", "2400", "1600", "1200", "700C", "450")]}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(parser("codec_baselines", __doc__), argv)
    try:
        config = apply_overrides(base_config("codec_baselines", args), args.overrides)
        if not args.dry_run:
            check_run_corpora(config)  # the cross corpus too, before any run
        for codec in CODECS[args.profile]:
            check_tools(codec)
    except (ConfigError, CodecMissingError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    codecs = CODECS[args.profile]
    names = sorted({c.name for c in codecs})
    print(f"codec_baselines: {len(codecs)} runs = the {args.profile} profile's settings of "
          f"{' and '.join(names)}, one run each (a codec is deterministic: no seeds; "
          f"--executor and --seeds are ignored), {args.jobs} at once")
    for codec in codecs:
        print(f"  {codec.label}")
    if args.dry_run:
        return 0
    try:
        summary = SweepSummary(codec_runs(codecs, config, args.jobs))
    except TrackingUnavailableError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(summary.report())
    return exit_status(summary)


if __name__ == "__main__":
    raise SystemExit(main())
