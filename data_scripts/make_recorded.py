"""The default corpus: recorded professional voices from Debian's Asterisk prompt packages.

``python -m data_scripts.make_recorded --out data/recorded`` (``make data``) fetches the
wideband (16 kHz G.722) voice-prompt packages ``asterisk-core-sounds-{es,fr,it,ru}-g722`` with
``apt-get download`` (no install, no root needed beyond apt's lists), unpacks them with
``dpkg -x``, decodes every prompt with ffmpeg (``-f g722``, batches of files per process) and
hands the folder of WAVs to :func:`data_scripts.make_corpus.build`: one voice per package
(``es_MX_f_Allison``, ``fr_CA_f_June``, ``it_IT_m_Carlo``, ``ru_RU_f_IvrvoiceRU``), about 2,260
prompts of 0.5-10 s, language from the folder name, licence and credit from the packages'
``copyright`` file (CC BY-SA 3.0 for es and fr, CC BY 3.0 for it and ru). With four voices the
splits are by recording, and one voice is held out whole as the ``unseen`` split.

The English package and alsa-utils' sounds are deliberately not offered: they stay out of
training and tuning, for an independent check. The downloaded ``.deb`` files are kept in
``--downloads`` (outside the clone, shared by clones and tests) so a rebuild needs no network.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from data_scripts.corpus_report import summary
from data_scripts.make_corpus import CorpusError, Options, build

LANGUAGES = ("es", "fr", "it", "ru")
PACKAGE = "asterisk-core-sounds-{lang}-g722"
SOUNDS = "usr/share/asterisk/sounds"
DOWNLOADS = Path(os.environ.get("CVQ_DEB_CACHE", Path.home() / ".cache/cvq-audio/debs"))
BATCH = 64  # prompts decoded per ffmpeg process (its start-up is ~80 ms, a prompt ~5 ms)


def require(tool: str, package: str) -> str:
    """The path of ``tool``, or a :class:`CorpusError` naming the package that provides it."""
    path = shutil.which(tool)
    if path is None:
        raise CorpusError(f"{tool} is missing: apt-get install {package} (or `make system`)")
    return path


def fetch(lang: str, downloads: Path) -> Path:
    """The package's ``.deb`` in ``downloads``, fetched with ``apt-get download`` if absent."""
    name = PACKAGE.format(lang=lang)
    found = sorted(downloads.glob(f"{name}_*.deb"))
    if found:
        return found[-1]
    downloads.mkdir(parents=True, exist_ok=True)
    apt = require("apt-get", "apt")
    done = subprocess.run([apt, "download", name], cwd=downloads, capture_output=True, text=True)
    if done.returncode != 0 and os.geteuid() == 0:  # a bare machine may have no package lists
        subprocess.run([apt, "update", "-qq"], capture_output=True)
        done = subprocess.run([apt, "download", name], cwd=downloads, capture_output=True,
                              text=True)
    found = sorted(downloads.glob(f"{name}_*.deb"))
    if done.returncode != 0 or not found:
        why = (done.stderr.strip().splitlines() or ["no .deb written"])[-1]
        raise CorpusError(f"apt-get download {name} failed ({why}); run `apt-get update` first")
    return found[-1]


def licence_for(copyright_text: str, lang: str, deb: Path) -> str:
    """``"<licence> (<copyright>); Debian <package file>"`` from the ``Files: <lang>-*`` stanza
    of a Debian copyright file (``Files: *`` for the voice the upstream default credits)."""
    stanzas = {m.group(1).strip(): m.group(2) for m in
               re.finditer(r"^Files:\s*(.+?)\n(.*?)(?=^Files:|\Z)", copyright_text, re.M | re.S)}
    body = stanzas.get(f"{lang}-*", stanzas.get("*", ""))
    lic = re.search(r"^License:\s*(\S+)", body, re.M)
    holder = re.search(r"^Copyright:\s*(.+)$", body, re.M)
    return (f"{lic.group(1) if lic else 'unknown licence'} "
            f"({holder.group(1).strip() if holder else 'unknown holder'}); Debian {deb.name}")


def decode(files: list[Path], src_root: Path, dst_root: Path, ffmpeg: str) -> None:
    """Decode G.722 ``files`` to 16 kHz WAVs under ``dst_root``, mirroring their paths."""
    args: list[str] = [ffmpeg, "-v", "error", "-nostdin", "-y"]
    for f in files:
        args += ["-f", "g722", "-i", str(f)]
    for i, f in enumerate(files):
        out = dst_root / f.relative_to(src_root).with_suffix(".wav")
        out.parent.mkdir(parents=True, exist_ok=True)
        args += ["-map", f"{i}:a", "-ar", "16000", "-ac", "1", str(out)]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0 and len(files) > 1:  # a bad prompt: one by one, keep the others
        for f in files:
            decode([f], src_root, dst_root, ffmpeg)


def stage(langs: tuple[str, ...], downloads: Path, work: Path, jobs: int
          ) -> tuple[Path, dict[str, str], dict[str, str], int]:
    """Fetch, unpack and decode; returns the WAV folder, voice -> language, voice -> licence, and
    the number of prompts."""
    dpkg, ffmpeg = require("dpkg", "dpkg"), require("ffmpeg", "ffmpeg")
    unpacked, wavs = work / "unpacked", work / "wav"
    languages, licences = {}, {}
    prompts: list[Path] = []
    for lang in langs:
        deb = fetch(lang, downloads)
        target = unpacked / lang
        target.mkdir(parents=True)
        done = subprocess.run([dpkg, "-x", str(deb), str(target)], capture_output=True, text=True)
        if done.returncode != 0:
            why = (done.stderr.strip().splitlines() or ["?"])[-1]
            raise CorpusError(f"cannot unpack {deb} ({why}): delete it and run again")
        copyright_file = target / "usr/share/doc" / PACKAGE.format(lang=lang) / "copyright"
        text = copyright_file.read_text(errors="replace") if copyright_file.is_file() else ""
        for voice_dir in sorted(p for p in (target / SOUNDS).iterdir() if p.is_dir()):
            voice = voice_dir.name
            code = voice.split("_")
            languages[voice] = "-".join(code[:2]) if len(code) > 1 else lang
            licences[voice] = licence_for(text, lang, deb)
            found = sorted(voice_dir.rglob("*.g722"))
            prompts += found
    by_root: dict[Path, list[Path]] = {}
    for p in prompts:
        root = next(parent for parent in p.parents if parent.name == "sounds")
        by_root.setdefault(root, []).append(p)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = []
        for root, files in by_root.items():
            batches = [files[i:i + BATCH] for i in range(0, len(files), BATCH)]
            futures += [pool.submit(decode, b, root, wavs, ffmpeg) for b in batches]
        for f in futures:
            f.result()
    return wavs, languages, licences, len(prompts)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m data_scripts.make_recorded", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("data/recorded"),
                    help="corpus folder to create (default data/recorded)")
    ap.add_argument("--languages", default=",".join(LANGUAGES),
                    help=f"comma-separated, of {', '.join(LANGUAGES)} (default all)")
    ap.add_argument("--downloads", type=Path, default=DOWNLOADS,
                    help=f"where the .deb files are kept (default {DOWNLOADS}; "
                    "CVQ_DEB_CACHE sets it)")
    ap.add_argument("--unseen", help="voice held out whole (default: chosen by the hash rule)")
    ap.add_argument("--clip-seconds", type=float, default=1.0)
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--force", action="store_true", help="replace a corpus made before")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    langs = tuple(x.strip() for x in a.languages.split(",") if x.strip())
    bad = sorted(set(langs) - set(LANGUAGES))
    if bad or not langs:
        ap.error(f"--languages {a.languages!r}: choose from {', '.join(LANGUAGES)} (English is "
                 "kept out on purpose: an independent check)")
    a.languages = langs
    return a


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t0 = time.perf_counter()
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".recorded-", dir=args.out.parent) as tmp:
            wavs, languages, licences, n = stage(args.languages, args.downloads, Path(tmp),
                                                 args.jobs)
            decoded = time.perf_counter() - t0
            opts = Options(clip_seconds=args.clip_seconds, layout="flat",
                           unseen=(args.unseen,) if args.unseen else None,
                           languages=languages, licences=licences, jobs=args.jobs)
            debs = ", ".join(sorted(fetch(lang, args.downloads).name for lang in args.languages))
            source = (f"Debian packages {debs}: {SOUNDS}/<voice>/<prompt>.g722, decoded "
                      "to 16 kHz WAV with ffmpeg")
            report = build(wavs, args.out, opts, force=args.force, quiet=args.quiet,
                           source=source)
    except CorpusError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: cannot write {args.out}: {e}", file=sys.stderr)
        return 2
    print(summary(report, args.out))
    print(f"recorded corpus: {n} prompts fetched and decoded in {decoded:.1f} s, built in "
          f"{time.perf_counter() - t0:.1f} s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
