"""Preparing the real Speech Commands, on small fixtures built here in the real layout, broken
files included; the download runs against a real HTTP server on loopback."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from data_scripts import prepare_speech_commands as prep
from data_scripts.manifest import read_manifest
from data_scripts.splits import which_set

SR = 16000


def _wav(seconds: float, sr: int = SR, channels: int = 1, freq: float = 440.0) -> bytes:
    t = np.arange(int(seconds * sr)) / sr
    x = 0.3 * np.sin(2 * np.pi * freq * t)
    data = np.stack([x] * channels, axis=1) if channels > 1 else x
    buf = io.BytesIO()
    sf.write(buf, data, sr, subtype="PCM_16", format="WAV")
    return buf.getvalue()


def fixture_files() -> dict[str, bytes]:
    good = _wav(0.8)
    return {
        "yes/aaaa1111_nohash_0.wav": good,
        "yes/aaaa1111_nohash_1.wav": _wav(1.0, freq=1000.0),
        "yes/bbbb2222_nohash_0.wav": _wav(0.5, sr=44100, freq=1000.0),
        "no/cccc3333_nohash_1.wav": _wav(0.7, channels=2),
        "no/dddd4444_nohash_0.wav": _wav(1.5),
        "up/eeee5555_nohash_0.wav": _wav(0.0),
        "up/ffff6666_nohash_0.wav": good[:-1000],
        "up/abab7777_nohash_0.wav": b"this is not audio at all" * 10,
        "go/badname.wav": good,
        "_background_noise_/white_noise.wav": _wav(3.0),
        "validation_list.txt": b"yes/aaaa1111_nohash_0.wav\nup/0f0f0f0f_nohash_0.wav\n",
        "testing_list.txt": b"no/cccc3333_nohash_1.wav\nup/ffff6666_nohash_0.wav\n",
        "README.md": b"fixture\n",
    }


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def write_tar(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for rel, data in files.items():
            info = tarfile.TarInfo("./" + rel)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _run(src: Path, out: Path, *extra: str) -> dict[str, object]:
    assert prep.main(["--src", str(src), "--out", str(out), "--quiet", *extra]) == 0
    report: dict[str, object] = json.loads((out / "preparation_report.json").read_text())
    return report


def test_folder_repairs_excludes_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = _run(write_tree(tmp_path / "src", fixture_files()), out)
    counts = report["counts"]
    assert isinstance(counts, dict)
    assert counts["kept"] == 5
    assert (counts["resampled"], counts["mixed_down"], counts["trimmed"]) == (1, 1, 1)
    assert (counts["empty"], counts["truncated"], counts["unreadable"]) == (1, 1, 1)
    assert counts["unexpected_name"] == 1 and counts["background_noise"] == 1
    assert report["missing"] == ["up/0f0f0f0f_nohash_0.wav"]
    reasons = {e["path"]: e["reason"] for e in report["excluded"]}  # type: ignore[attr-defined]
    assert reasons == {"up/eeee5555_nohash_0.wav": "empty", "up/ffff6666_nohash_0.wav":
                       "truncated", "up/abab7777_nohash_0.wav": "unreadable",
                       "go/badname.wav": "unexpected_name"}
    rows = {r.path: r for r in read_manifest(out)}
    assert set(rows) == {"yes/aaaa1111_nohash_0.wav", "yes/aaaa1111_nohash_1.wav",
                         "yes/bbbb2222_nohash_0.wav", "no/cccc3333_nohash_1.wav",
                         "no/dddd4444_nohash_0.wav"}
    for r in rows.values():
        info = sf.info(out / r.path)
        assert (info.samplerate, info.channels, info.subtype) == (SR, 1, "PCM_16")
        assert info.frames == r.num_frames <= SR
    assert rows["no/dddd4444_nohash_0.wav"].num_frames == SR
    assert rows["yes/aaaa1111_nohash_0.wav"].split == "validation"
    assert rows["no/cccc3333_nohash_1.wav"].split == "testing"
    assert rows["yes/bbbb2222_nohash_0.wav"].split == "training"
    assert (out / "validation_list.txt").read_text() == "yes/aaaa1111_nohash_0.wav\n"
    assert (out / "_background_noise_" / "white_noise.wav").is_file()


def test_resampling_keeps_the_content(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(write_tree(tmp_path / "src", fixture_files()), out)
    x, sr = sf.read(out / "yes/bbbb2222_nohash_0.wav")
    assert sr == SR and abs(len(x) - 0.5 * SR) <= 1
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    assert np.fft.rfftfreq(len(x), 1 / SR)[np.argmax(spec)] == pytest.approx(1000.0, abs=4.0)


def test_archive_equals_folder(tmp_path: Path) -> None:
    files = fixture_files()
    a = _run(write_tree(tmp_path / "src", files), tmp_path / "a")
    b = _run(write_tar(tmp_path / "sc.tar.gz", files), tmp_path / "b")
    assert a == b
    assert (tmp_path / "a" / "manifest.csv").read_bytes() == (
        tmp_path / "b" / "manifest.csv").read_bytes()


def test_hash_rule_without_lists_and_word_filter(tmp_path: Path) -> None:
    files = {k: v for k, v in fixture_files().items() if not k.endswith("_list.txt")}
    report = _run(write_tree(tmp_path / "src", files), tmp_path / "out", "--words", "yes")
    assert report["split_method"] == "hash rule (list files absent)"
    rows = read_manifest(tmp_path / "out")
    assert {r.word for r in rows} == {"yes"} and len(rows) == 3
    assert all(r.split == which_set(r.path) for r in rows)


def test_refuses_non_empty_out_and_bad_src(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    src = write_tree(tmp_path / "src", fixture_files())
    assert prep.main(["--src", str(src), "--out", str(out), "--quiet", "--force"]) == 2
    assert (out / "keep.txt").exists()
    not_tar = tmp_path / "x.tar.gz"
    not_tar.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="neither a folder nor a tar"):
        prep.main(["--src", str(not_tar), "--out", str(tmp_path / "o2"), "--quiet"])


class _Server:
    """A loopback HTTP server for one file, honouring Range; it can cut the first response."""

    def __init__(self, payload: bytes, cut_first_at: int | None) -> None:
        self.payload, self.cut = payload, cut_first_at
        self.ranges: list[str | None] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                rng = self.headers.get("Range")
                outer.ranges.append(rng)
                start = int(rng.split("=")[1].split("-")[0]) if rng else 0
                body = outer.payload[start:]
                self.send_response(206 if rng else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if outer.cut is not None:
                    self.wfile.write(body[: outer.cut])
                    outer.cut = None
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/sc.tar.gz"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[bytes]:
    yield write_tar(tmp_path / "fixture.tar.gz", fixture_files()).read_bytes()


def test_download_resumes_after_an_interruption(tmp_path: Path, archive: bytes) -> None:
    sha = hashlib.sha256(archive).hexdigest()
    cache, out = tmp_path / "cache", tmp_path / "out"
    args = ["--download", "--cache", str(cache), "--sha256", sha, "--out", str(out), "--quiet"]
    with _Server(archive, cut_first_at=len(archive) // 2) as server:
        assert prep.main([*args, "--url", server.url]) == 1  # cut off: the partial file stays
        part = cache / "sc.tar.gz.part"
        assert part.is_file() and 0 < part.stat().st_size < len(archive)
        assert prep.main([*args, "--url", server.url]) == 0
        assert server.ranges == [None, f"bytes={len(archive) // 2}-"]
    assert (cache / "sc.tar.gz").read_bytes() == archive and not part.exists()
    assert len(read_manifest(out)) == 5


def test_download_checksum_mismatch_is_refused(tmp_path: Path, archive: bytes) -> None:
    cache = tmp_path / "cache"
    with _Server(archive, cut_first_at=None) as server:
        rc = prep.main(["--download", "--url", server.url, "--cache", str(cache), "--sha256",
                        "0" * 64, "--out", str(tmp_path / "out"), "--quiet"])
    assert rc == 1
    assert not (cache / "sc.tar.gz").exists() and not (cache / "sc.tar.gz.part").exists()
