"""Open a local HTML file in a real headless Chromium and list what is broken on it.

:func:`page_problems` loads ``file://<html>`` in the system Chromium (Debian's ``chromium``,
installed by ``bash scripts/system_deps.sh``), driven by Playwright with ``executable_path`` so
that no browser is downloaded. It waits for the page's ``load`` event and then, bounded by the
same timeout, until every ``<img>`` is complete and every ``<audio>``/``<video>`` has its
metadata (``readyState >= 1``) or has failed, and reports, one human-readable line each:

* images that did not load, or loaded but did not decode (``naturalWidth == 0``);
* audio and video elements with an error, with no playable source, or without metadata in time;
* ``<a href>`` links to local files (relative or ``file:`` URLs) whose target does not exist;
* console errors and uncaught page errors.

An empty list means the page is fine. Lazy images are switched to eager loading and
``preload="none"`` media to ``preload="metadata"`` first, so that every element is checked.

To check many pages, start the browser once and pass it along::

    with Chromium() as browser:
        for html in pages:
            problems = page_problems(html, browser=browser)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import TypedDict, cast
from urllib.parse import urlsplit
from urllib.request import url2pathname

from playwright.sync_api import Browser, ConsoleMessage, Error, Playwright, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

__all__ = ["INSTALL_HINT", "Chromium", "find_chromium", "page_problems"]

#: environment variable naming the Chromium binary to use (a path or a name on PATH)
CHROMIUM_ENV = "CVQ_CHROMIUM"
#: binaries looked up on PATH, in this order
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
INSTALL_HINT = "bash scripts/system_deps.sh"

# HTMLMediaElement constants
_NETWORK_EMPTY = 0
_NETWORK_NO_SOURCE = 3
_MEDIA_ERRORS = {
    1: "loading aborted",
    2: "network error",
    3: "could not be decoded",
    4: "format not supported or could not be decoded",  # a missing file is reported before
}

_PREPARE_JS = """() => {
  for (const img of document.images) if (img.loading === 'lazy') img.loading = 'eager';
  for (const m of document.querySelectorAll('audio, video')) {
    if (m.preload === 'none' && m.readyState === 0 && m.error === null) {
      m.preload = 'metadata';
      m.load();
    }
  }
}"""

_SETTLED_JS = """() =>
  Array.from(document.images).every((img) => img.complete) &&
  Array.from(document.querySelectorAll('audio, video')).every((m) =>
    m.readyState >= 1 || m.error !== null || m.networkState === 0 || m.networkState === 3)
"""

_COLLECT_JS = """() => ({
  images: Array.from(document.images).map((img) => ({
    src: img.getAttribute('src') ?? '', url: img.currentSrc || img.src,
    complete: img.complete, width: img.naturalWidth})),
  media: Array.from(document.querySelectorAll('audio, video')).map((m) => ({
    tag: m.tagName.toLowerCase(), src: m.getAttribute('src'), url: m.src,
    sources: Array.from(m.querySelectorAll(':scope > source')).map((s) => ({
      src: s.getAttribute('src') ?? '', url: s.src})),
    readyState: m.readyState, networkState: m.networkState,
    error: m.error === null ? null : {code: m.error.code, message: m.error.message}})),
  links: Array.from(document.querySelectorAll('a[href]')).map((a) => ({
    href: a.getAttribute('href') ?? '', url: a.href})),
})"""


class _Image(TypedDict):
    src: str
    url: str
    complete: bool
    width: int


class _Source(TypedDict):
    src: str
    url: str


class _MediaError(TypedDict):
    code: int
    message: str


class _Media(TypedDict):
    tag: str
    src: str | None
    url: str
    sources: list[_Source]
    readyState: int
    networkState: int
    error: _MediaError | None


class _Link(TypedDict):
    href: str
    url: str


class _Snapshot(TypedDict):
    images: list[_Image]
    media: list[_Media]
    links: list[_Link]


class _Driver(threading.local):
    """This thread's Playwright driver, shared by its running :class:`Chromium` objects
    (Playwright's sync API allows one per thread)."""

    playwright: Playwright | None = None
    users = 0


_driver = _Driver()


def _acquire_driver() -> Playwright:
    if _driver.playwright is None:
        _driver.playwright = sync_playwright().start()
    _driver.users += 1
    return _driver.playwright


def _release_driver() -> None:
    _driver.users -= 1
    if _driver.users <= 0 and _driver.playwright is not None:
        playwright, _driver.playwright, _driver.users = _driver.playwright, None, 0
        playwright.stop()


def find_chromium() -> str | None:
    """The Chromium binary to drive: ``$CVQ_CHROMIUM`` if set, else the first of
    ``chromium``, ``chromium-browser``, ``google-chrome-stable``, ``google-chrome`` on PATH;
    None if there is none (or ``$CVQ_CHROMIUM`` names nothing executable)."""
    override = os.environ.get(CHROMIUM_ENV)
    if override:
        return shutil.which(override)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    return None


def _local_path(url: str) -> Path | None:
    """The file a ``file:`` URL points at (query and fragment dropped); None for other URLs."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    return Path(url2pathname(parts.path))


def _missing(urls: list[str]) -> list[Path]:
    """The local files among ``urls`` that do not exist."""
    paths = [_local_path(url) for url in urls]
    return [path for path in paths if path is not None and not path.exists()]


def _image_problem(img: _Image, timeout_s: float) -> str | None:
    if img["complete"] and img["width"] > 0:
        return None
    name = img["src"] or img["url"]
    if not name:
        return "image with no src"
    missing = _missing([img["url"]])
    if missing:
        return f"image {name!r}: file not found ({missing[0]})"
    if not img["complete"]:
        return f"image {name!r}: not loaded within {timeout_s:g} s"
    return f"image {name!r}: could not be decoded (naturalWidth is 0)"


def _media_problem(media: _Media, timeout_s: float) -> str | None:
    error = media["error"]
    if media["readyState"] >= 1 and error is None:
        return None
    tag = media["tag"]
    if media["src"] is not None:
        names, urls = [media["src"]], [media["url"]]
    else:
        names = [s["src"] for s in media["sources"]]
        urls = [s["url"] for s in media["sources"]]
    if not names:
        return f"{tag} with no src and no <source>"
    what = f"{tag} {', '.join(repr(n) for n in names)}"
    missing = _missing(urls)
    if missing:
        return f"{what}: file not found ({', '.join(str(p) for p in missing)})"
    if error is not None:
        reason = _MEDIA_ERRORS.get(error["code"], f"error code {error['code']}")
        detail = f": {error['message']}" if error["message"] else ""
        return f"{what}: {reason} (MediaError {error['code']}{detail})"
    if media["networkState"] == _NETWORK_NO_SOURCE:
        return f"{what}: no playable source (format not supported or could not be decoded)"
    if media["networkState"] == _NETWORK_EMPTY:
        return f"{what}: no source was loaded"
    return (
        f"{what}: metadata not loaded within {timeout_s:g} s "
        f"(readyState {media['readyState']}, networkState {media['networkState']})"
    )


def _link_problem(link: _Link) -> str | None:
    path = _local_path(link["url"])
    if path is None or path.exists():
        return None
    return f"link {link['href']!r}: target not found ({path})"


class Chromium:
    """One headless system Chromium driven by Playwright, to check pages with
    (:meth:`page_problems`); a context manager that starts and closes the browser. Several may
    run at once in one thread (they share its Playwright driver); one object is not to be
    used from several threads.

    ``executable`` defaults to :func:`find_chromium`; entering raises :class:`RuntimeError`,
    with the command that installs it, when there is none.
    """

    def __init__(self, executable: str | None = None) -> None:
        self.executable = executable
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def __enter__(self) -> Chromium:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self, timeout_s: float = 60) -> None:
        """Launch the browser (a no-op when it is running)."""
        if self._browser is not None:
            return
        executable = self.executable or find_chromium()
        if executable is None:
            override = os.environ.get(CHROMIUM_ENV)
            looked = (
                f"${CHROMIUM_ENV}={override!r} is not an executable"
                if override
                else f"none of {', '.join(CHROMIUM_NAMES)} is on PATH"
            )
            raise RuntimeError(
                f"no Chromium binary found ({looked}): install Debian's chromium with "
                f"`{INSTALL_HINT}` (or `apt-get install chromium`)"
            )
        playwright = _acquire_driver()
        try:
            # Playwright adds --no-sandbox when chromium_sandbox is off, which Chromium needs
            # when run as root (as here and in CI); the flag is also given explicitly.
            self._browser = playwright.chromium.launch(
                executable_path=executable,
                headless=True,
                chromium_sandbox=False,
                args=["--no-sandbox"],
                timeout=timeout_s * 1000,
            )
        except BaseException:
            _release_driver()
            raise
        self._playwright = playwright

    def close(self) -> None:
        """Close the browser and stop Playwright (a no-op when not running)."""
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        try:
            if browser is not None:
                browser.close()
        finally:
            if playwright is not None:
                _release_driver()

    @property
    def version(self) -> str:
        """The running browser's version."""
        if self._browser is None:
            raise RuntimeError("Chromium is not started")
        return self._browser.version

    def page_problems(self, html: Path, timeout_s: float = 60) -> list[str]:
        """See :func:`page_problems`."""
        html = Path(html).resolve()
        if not html.is_file():
            raise FileNotFoundError(f"no HTML file at {html}")
        self.start()
        assert self._browser is not None
        deadline = time.monotonic() + timeout_s

        def left_ms() -> float:
            return max(1.0, (deadline - time.monotonic()) * 1000)

        console: list[ConsoleMessage] = []
        page_errors: list[Error] = []
        context = self._browser.new_context()
        try:
            page = context.new_page()
            page.on("console", lambda msg: console.append(msg) if msg.type == "error" else None)
            page.on("pageerror", lambda error: page_errors.append(error))
            # past the deadline, whatever has not loaded is reported below
            with contextlib.suppress(PlaywrightTimeoutError):
                page.goto(html.as_uri(), wait_until="load", timeout=left_ms())
            page.evaluate(_PREPARE_JS)
            with contextlib.suppress(PlaywrightTimeoutError):
                page.wait_for_function(_SETTLED_JS, timeout=left_ms(), polling=50)
            snapshot = cast(_Snapshot, page.evaluate(_COLLECT_JS))
        finally:
            context.close()

        problems: list[str] = []
        reported_urls: set[str] = set()
        for img in snapshot["images"]:
            problem = _image_problem(img, timeout_s)
            if problem is not None:
                problems.append(problem)
                reported_urls.add(img["url"])
        for media in snapshot["media"]:
            problem = _media_problem(media, timeout_s)
            if problem is not None:
                problems.append(problem)
                reported_urls.add(media["url"])
                reported_urls.update(s["url"] for s in media["sources"])
        for link in snapshot["links"]:
            problem = _link_problem(link)
            if problem is not None:
                problems.append(problem)
        for msg in console:
            url, line = msg.location["url"], msg.location["lineNumber"]
            if url in reported_urls and msg.text.startswith("Failed to load resource"):
                continue  # the element's own line above says it better
            where = f" ({url}:{line})" if url else ""
            problems.append(f"console error: {msg.text}{where}")
        for error in page_errors:
            problems.append(f"page error: {error.name or 'Error'}: {error.message}")
        return problems


def page_problems(
    html: Path, timeout_s: float = 60, *, browser: Chromium | None = None
) -> list[str]:
    """Open ``html`` in headless Chromium and list what is broken on it; [] when nothing is.

    Waits for the ``load`` event, then (within ``timeout_s`` in all) until every ``<img>`` is
    complete and every ``<audio>``/``<video>`` has metadata or an error. Reports images not
    loaded or not decoded, media with an error or without metadata, ``<a href>`` links to
    local files that do not exist, console errors and uncaught page errors, each naming the
    element's ``src``/``href`` as written in the page.

    ``browser``, a started :class:`Chromium`, is reused when given; otherwise one is launched
    for this call (about a second). Raises :class:`RuntimeError` naming the missing binary
    (and ``bash scripts/system_deps.sh``, which installs it) when Chromium is not installed,
    and :class:`FileNotFoundError` when ``html`` does not exist.
    """
    if browser is not None:
        return browser.page_problems(html, timeout_s)
    with Chromium() as own:
        return own.page_problems(html, timeout_s)
