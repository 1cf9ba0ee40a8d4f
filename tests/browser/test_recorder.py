"""The surface race as a WebM video recorded in headless Chromium: a progress bar, then the file."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import WatchedPage, no_errors_after

pytestmark = pytest.mark.browser

EBML_MAGIC = b"\x1a\x45\xdf\xa3"

# A MediaRecorder WebM has no duration in its header: the <video> says Infinity until it is sought
# past the end, then reports the real one.
DURATION_JS = """async (b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const video = document.createElement("video");
  video.muted = true;
  video.src = URL.createObjectURL(new Blob([bytes], { type: "video/webm" }));
  await new Promise((ok, fail) => {
    video.onloadedmetadata = ok;
    video.onerror = () => fail(new Error("not playable"));
  });
  if (!Number.isFinite(video.duration)) {
    await new Promise((ok) => {
      video.ondurationchange = () => Number.isFinite(video.duration) && ok();
      video.currentTime = 1e9;
    });
  }
  return { duration: video.duration, width: video.videoWidth, height: video.videoHeight };
}"""


class RecordingPage(WatchedPage):
    def open(self, url: str) -> RecordingPage:
        self.page.goto(f"{self.base}{url}")
        self.page.wait_for_function("() => !!(window.surfaceLab && window.surfaceLab.paths)", timeout=30_000)
        return self

    def video_facts(self, data: bytes) -> dict:
        """Plays the file in a blank page of the same browser: the app's CSP (no ``media-src``: the app
        plays no media) must not decide whether the file is playable."""
        blank = self.page.context.new_page()
        try:
            return blank.evaluate(DURATION_JS, base64.b64encode(data).decode("ascii"))
        finally:
            blank.close()


@pytest.fixture
def recording(page: Page, server_url: str) -> Iterator[RecordingPage]:
    yield from no_errors_after(RecordingPage(page, server_url))


def test_the_race_downloads_as_a_webm_video_of_at_least_two_seconds(recording: RecordingPage) -> None:
    page = recording.open("/#surface=rosenbrock&steps=200").page
    button = page.locator("#export-webm")
    expect(button).to_be_enabled()
    with page.expect_download(timeout=60_000) as download:
        button.click()
        expect(page.locator("#record-progress")).to_be_visible()
        expect(page.locator("#record-label")).to_contain_text("Recording…")
    assert download.value.suggested_filename == "descentlab-rosenbrock.webm"
    data = download.value.path().read_bytes()
    assert data[:4] == EBML_MAGIC
    facts = recording.video_facts(data)
    assert 2 <= facts["duration"] <= 8, facts  # the race plays 4–6 s, then holds its last frame
    assert facts["width"] > 200 and facts["height"] > 200, facts
    expect(page.locator("#record-progress")).to_be_hidden()
    expect(button).to_be_visible()


def test_a_recording_can_be_cancelled_and_then_nothing_downloads(recording: RecordingPage) -> None:
    page = recording.open("/#surface=beale&steps=200").page
    downloads: list[object] = []
    page.on("download", lambda d: downloads.append(d))
    page.click("#export-webm")
    expect(page.locator("#record-progress")).to_be_visible()
    page.click("#record-cancel")
    expect(page.locator("#record-progress")).to_be_hidden()
    expect(page.locator("#export-webm")).to_be_visible()
    page.wait_for_timeout(500)
    assert downloads == []


def test_the_video_button_waits_while_a_lesson_hides_the_run(recording: RecordingPage) -> None:
    page = recording.open("/#lesson=learning_rate").page
    expect(page.locator("#export-webm")).to_be_disabled()
