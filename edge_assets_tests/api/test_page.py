"""The page in a real headless Chromium (Debian's, driven by Playwright) against a real server.

The table shows what /api/latest says, the chart holds and draws the market's points, a signal
written to the warehouse and a quote published to the odds stream (a real NATS broker) appear on the
page within 2 s without a reload.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pandas as pd
import pytest
from playwright.sync_api import expect, sync_playwright

from edge_assets.api.app import ApiConfig
from edge_assets.signals.comparator import SIGNAL_COLUMNS
from edge_assets.storage.sql import SqlWarehouse
from edge_assets_tests.api.conftest import DAGSTER_UI, LiveServer, session_now
from edge_assets_tests.api.seed import seed, signal_row
from edge_assets_tests.api.test_stream_feed import ask_change, publish, wait_for_stream

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="needs Debian's chromium (.ci/run installs it)"
)


@pytest.fixture
def server(fresh_sqlite_world) -> Iterator[LiveServer]:
    url, _ = fresh_sqlite_world
    config = ApiConfig(database_url=url, dagster_ui_url=DAGSTER_UI, poll_interval=0.3)
    with LiveServer(config) as live:
        yield live


@pytest.fixture
def fresh_sqlite_world(tmp_path):
    url = f"sqlite:///{tmp_path / 'edge.db'}"
    return url, seed(SqlWarehouse(url), session_now())


@pytest.fixture
def page(tmp_path):
    with sync_playwright() as playwright:
        # A fresh profile per test; Playwright takes it as the persistent context's directory.
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        errors: list[str] = []
        tab = context.new_page()
        tab.on("pageerror", lambda error: errors.append(str(error)))
        yield tab
        context.close()
        assert errors == []


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def test_the_latest_table_shows_what_the_api_says(server, page):
    api = httpx.get(f"{server.url}/api/latest", params={"limit": 50}).json()
    page.goto(server.url)
    page.wait_for_function(f"document.querySelectorAll('#latest tbody tr').length === {len(api['items'])}")
    rows = page.eval_on_selector_all(
        "#latest tbody tr", "rows => rows.map(row => [...row.cells].map(cell => cell.textContent))"
    )
    for row, item in zip(rows, api["items"], strict=True):
        assert row[2:6] == [item["title"], item["outcome"], percent(item["bid"]), percent(item["ask"])]
        assert row[7] == percent(item["consensus"])
    page.select_option("#filters select[name=category]", "politics")
    politics = httpx.get(f"{server.url}/api/latest", params={"category": "politics", "limit": 50}).json()
    page.wait_for_function(f"document.querySelectorAll('#latest tbody tr').length === {politics['total']}")
    assert page.text_content("#paper-trading") == "no paper trading yet"


def test_the_market_view_charts_the_markets_points_and_its_signals(server, page):
    page.goto(f"{server.url}/#market/pm-nba-1/polymarket")
    page.wait_for_function("window.edge.chart !== null && window.edge.history !== null")
    history = page.evaluate("window.edge.history")
    api = httpx.get(
        f"{server.url}/api/markets/pm-nba-1/history",
        params={"start": history["start"], "end": history["end"], "resolution": "1h", "venue": "polymarket"},
    ).json()
    lakers = api["outcomes"][0]
    data = page.evaluate("window.edge.chart.data")
    assert data[0] == [pd.Timestamp(t).timestamp() for t in lakers["times"]]
    assert data[1 : 1 + len(lakers["series"])] == [series["values"] for series in lakers["series"]]
    # Each signal of the token sits at the bucket holding its as-of time, at its VWAP.
    signals = httpx.get(f"{server.url}/api/signals", params={"market_id": "pm-nba-1"}).json()["items"]
    times = [pd.Timestamp(t) for t in lakers["times"]]
    expected = {
        max(i for i, t in enumerate(times) if t <= pd.Timestamp(signal["created_at"])): signal["vwap"]
        for signal in signals
        if signal["pm_token_id"] == lakers["market_key"] and pd.Timestamp(signal["created_at"]) >= times[0]
    }
    assert {i: value for i, value in enumerate(data[-1]) if value is not None} == expected
    assert expected
    assert _blue_pixels(page) > 200  # the ask line (#2f6fde) is drawn on the canvas
    legend = page.eval_on_selector_all(
        ".u-legend .u-label", "labels => labels.map(label => label.textContent)"
    )
    assert {"polymarket_ask", "consensus", "pinnacle", "signal"} <= set(legend)


def _blue_pixels(page) -> int:
    return page.evaluate(
        """() => {
            const canvas = document.querySelector('#chart canvas');
            const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let count = 0;
            for (let i = 0; i < pixels.length; i += 4) {
                if (Math.abs(pixels[i] - 47) < 30 && Math.abs(pixels[i + 1] - 111) < 30
                    && Math.abs(pixels[i + 2] - 222) < 30) count++;
            }
            return count;
        }"""
    )


def test_a_new_signal_shows_on_the_page_within_two_seconds_with_its_links(server, page, fresh_sqlite_world):
    url, _ = fresh_sqlite_world
    page.goto(server.url)
    page.wait_for_selector("#stream-state.ok")
    now = datetime.now(UTC)
    row = signal_row("sig-on-page", now, now, now.replace(minute=0, second=0, microsecond=0), 0.09)
    SqlWarehouse(url).upsert("signals", pd.DataFrame([row])[SIGNAL_COLUMNS], ["signal_id"])
    shown = page.wait_for_selector('#open-signals tr[data-signal-id="sig-on-page"]', timeout=2000)
    links = shown.eval_on_selector_all("a", "links => links.map(link => link.getAttribute('href'))")
    assert links[0] == "#market/pm-nba-1/polymarket"
    partition = now.strftime("%Y-%m-%d-%H") + "%3A00"
    assert links[1] == f"{DAGSTER_UI}/assets/signals?view=partitions&partition={partition}"
    assert "9.0%" in shown.text_content()


def test_a_quote_published_to_the_stream_shows_on_the_page_within_two_seconds(
    fresh_sqlite_world, broker_url, page
):
    url, _ = fresh_sqlite_world
    config = ApiConfig(database_url=url, stream_url=broker_url, poll_interval=0.3)
    with LiveServer(config) as server:
        wait_for_stream(server)
        page.goto(server.url)
        page.wait_for_selector("#stream-state.ok")
        publish(broker_url, [ask_change(1)])
        row = page.locator('#live-quotes tr[data-quote-key="polymarket:tok-lal:Lakers:ask:polymarket"]')
        expect(row.locator(".price")).to_have_text("41.0%", timeout=2000)
        publish(broker_url, [ask_change(2)])
        expect(row.locator(".price")).to_have_text("42.0%", timeout=2000)
        expect(page.locator("#live-quotes tbody tr")).to_have_count(1)  # the same side, updated in place
