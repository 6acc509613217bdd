"""Progress bars: a line per 5 % in a log (not a TTY), the live bar on a terminal."""

from __future__ import annotations

import io

from tqdm import tqdm

from lab.progress import LogBar, is_terminal, progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_240_step_loop_writes_about_20_lines_to_a_log() -> None:
    log = io.StringIO()
    bar = progress(range(240), desc="complex-vq256-s0", unit="step", file=log)
    assert isinstance(bar, LogBar)
    for step in bar:
        if (step + 1) % 24 == 0:
            bar.set_postfix({"loss": f"{1 / (step + 1):.4f}", "val": f"{step:.1f}"},
                            refresh=False)
    text = log.getvalue()
    lines = text.splitlines()
    assert "\r" not in text and text.endswith("\n") and "" not in lines
    assert 20 <= len(lines) <= 22  # every 12 steps, and the start
    counts = [int(line.split("|")[2].split("/")[0]) for line in lines]
    assert counts == sorted(set(counts)) and counts[0] == 0 and counts[-1] == 240
    assert all(line.startswith("complex-vq256-s0:") for line in lines)
    assert "val=239.0" in lines[-1] and "val=" in lines[len(lines) // 2]  # the latest loss


def test_resumed_and_hand_updated_bars() -> None:
    log = io.StringIO()
    with progress(range(120, 240), initial=120, total=240, desc="r", unit="step",
                  file=log) as bar:
        for _ in bar:
            pass
    lines = log.getvalue().splitlines()
    assert 10 <= len(lines) <= 12 and "120/240" in lines[0] and "240/240" in lines[-1]
    log = io.StringIO()
    runs = progress(total=3, desc="2 workers", unit="run", file=log)
    for name in "abc":
        runs.set_postfix_str(f"{name}: FINISHED", refresh=False)
        runs.update()
    runs.close()
    lines = log.getvalue().splitlines()
    assert len(lines) == 4 and "3/3" in lines[-1] and "c: FINISHED" in lines[-1]
    assert progress(range(5), desc="x", unit="y", file=io.StringIO(), disable=True).disable


def test_a_terminal_keeps_the_live_bar() -> None:
    term = Terminal()
    assert is_terminal(term) and not is_terminal(io.StringIO())
    bar = progress(range(240), desc="live", unit="step", file=term)
    assert type(bar) is tqdm
    for _ in bar:
        pass
    assert "\r" in term.getvalue()  # redrawn in place
