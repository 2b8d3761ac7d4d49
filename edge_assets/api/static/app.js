// The edge_assets page: plain JavaScript over /api, no build step, nothing fetched from outside.
"use strict";

const PAGE_SIZE = 50;
const CLOSED_SHOWN = 20;
const LIVE_QUOTES_SHOWN = 50;
const RECONNECT_MS = 2000;
// Batch signals close an hour after their as-of time with no event saying so: re-read them.
const SIGNALS_REFRESH_MS = 60000;
const VENUES = { polymarket: "Polymarket", predictit: "PredictIt", oddsapi: "sportsbooks" };
const SERIES_STYLE = {
  polymarket_ask: { stroke: "#2f6fde", width: 2 },
  polymarket_bid: { stroke: "#2f6fde", width: 1, dash: [4, 4] },
  consensus: { stroke: "#1d2433", width: 2.5 },
  yes_ask: { stroke: "#2f6fde", width: 2 },
  yes_bid: { stroke: "#2f6fde", width: 1, dash: [4, 4] },
  no_ask: { stroke: "#c2410c", width: 2 },
  no_bid: { stroke: "#c2410c", width: 1, dash: [4, 4] },
  last_trade: { stroke: "#7a5af8", width: 1 },
};
const BOOK_COLORS = ["#98a2b3", "#a6c8a0", "#d6b38a", "#b8a9d9", "#8fc1d4", "#d99aa5", "#c4c08a"];

const state = { token: sessionStorage.getItem("edgeToken"), offset: 0, market: null, chart: null, history: null };
window.edge = state; // for the browser tests and a curious reader

const $ = (selector) => document.querySelector(selector);

// ---- talking to the API ----

async function api(path) {
  const headers = state.token ? { Authorization: `Bearer ${state.token}` } : {};
  const response = await fetch(path, { headers });
  if (response.status === 401) {
    askForToken();
    throw new Error("token required");
  }
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function askForToken() {
  $("#token-form").hidden = false;
}

$("#token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.token = $("#token-input").value;
  sessionStorage.setItem("edgeToken", state.token);
  $("#token-form").hidden = true;
  start();
});

// ---- small DOM helpers (text only: every value from the API goes in as text, never as HTML) ----

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text == null ? "—" : text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function percent(value, digits = 1) {
  return value == null ? "—" : `${(value * 100).toFixed(digits)}%`;
}

function amount(value) {
  return value == null ? "—" : Math.round(value).toLocaleString("en-US");
}

function when(text) {
  return text ? new Date(text).toISOString().slice(0, 16).replace("T", " ") : "—";
}

// ---- latest odds ----

function filterQuery() {
  const params = new URLSearchParams({ limit: PAGE_SIZE, offset: state.offset });
  for (const [name, value] of new FormData($("#filters"))) {
    if (value) params.set(name, value);
  }
  return params;
}

async function loadLatest() {
  const page = await api(`/api/latest?${filterQuery()}`);
  state.latest = page;
  fillLeagues(page.leagues);
  const body = $("#latest tbody");
  body.replaceChildren(...page.items.map(latestRow));
  const last = Math.min(page.offset + page.items.length, page.total);
  $("#page-info").textContent = page.total ? `${page.offset + 1}–${last} of ${page.total}` : "nothing matches";
  $("#prev").disabled = page.offset === 0;
  $("#next").disabled = last >= page.total;
}

function latestRow(item) {
  const row = document.createElement("tr");
  row.dataset.key = `${item.venue}:${item.market_key}:${item.outcome}`;
  cell(row, VENUES[item.venue], "venue-cell");
  cell(row, item.league || "politics");
  cell(row, item.title, "title");
  cell(row, item.outcome);
  cell(row, percent(item.bid), "num");
  cell(row, percent(item.ask), "num");
  cell(row, amount(item.ask_size), "num");
  cell(row, percent(item.consensus), "num");
  booksCell(row, item.books);
  cell(row, when(item.quote_ts));
  if (item.venue !== "oddsapi") {
    row.className = "link";
    row.addEventListener("click", () => openMarket(item.market_id, item.venue));
  }
  return row;
}

function booksCell(row, books) {
  if (!books.length) return cell(row, "—");
  const probs = books.map((book) => book.implied_prob);
  const td = cell(row, `${books.length}: ${percent(Math.min(...probs))}–${percent(Math.max(...probs))}`);
  td.title = books.map((book) => `${book.bookmaker} ${percent(book.implied_prob)} (${book.decimal_odds.toFixed(2)})`).join("\n");
  return td;
}

function fillLeagues(leagues) {
  const select = $("#filters select[name=league]");
  const chosen = select.value;
  const known = [...select.options].map((option) => option.value);
  if (known.length === leagues.length + 1 && leagues.every((league) => known.includes(league))) return;
  select.replaceChildren(new Option("all", ""), ...leagues.map((league) => new Option(league, league)));
  select.value = leagues.includes(chosen) ? chosen : "";
}

$("#filters").addEventListener("input", () => {
  state.offset = 0;
  loadLatest().catch(report);
});
$("#filters").addEventListener("submit", (event) => event.preventDefault());
$("#prev").addEventListener("click", () => {
  state.offset = Math.max(0, state.offset - PAGE_SIZE);
  loadLatest().catch(report);
});
$("#next").addEventListener("click", () => {
  state.offset += PAGE_SIZE;
  loadLatest().catch(report);
});

// ---- market view ----

function openMarket(marketId, venue) {
  location.hash = `market/${encodeURIComponent(marketId)}/${venue}`;
}

function routeFromHash() {
  const match = location.hash.match(/^#market\/([^/]+)\/(polymarket|predictit)$/);
  if (!match) {
    state.market = null;
    $("#market-section").hidden = true;
    return;
  }
  state.market = { id: decodeURIComponent(match[1]), venue: match[2] };
  $("#market-section").hidden = false;
  $("#market-section").scrollIntoView();
  loadMarket().catch(report);
}

window.addEventListener("hashchange", routeFromHash);
$("#market-section .close").addEventListener("click", (event) => {
  event.preventDefault();
  location.hash = "";
});
for (const id of ["#window-select", "#resolution-select"]) {
  $(id).addEventListener("change", () => loadMarket().catch(report));
}
$("#outcome-select").addEventListener("change", drawChart);

async function loadMarket() {
  const { id, venue } = state.market;
  const days = Number($("#window-select").value);
  const end = new Date();
  const start = new Date(end.getTime() - days * 86400000);
  const query = new URLSearchParams({
    start: start.toISOString(), end: end.toISOString(), resolution: $("#resolution-select").value, venue,
  });
  const path = `/api/markets/${encodeURIComponent(id)}`;
  const [history, signals] = await Promise.all([
    api(`${path}/history?${query}`),
    api(`/api/signals?${new URLSearchParams({ market_id: id, since: start.toISOString(), limit: 1000 })}`),
  ]);
  state.history = history;
  state.marketSignals = signals.items;
  $("#market-title").textContent = `${history.title} · ${VENUES[history.venue]}${history.league ? " · " + history.league : ""}`;
  const select = $("#outcome-select");
  const chosen = select.value;
  select.replaceChildren(...history.outcomes.map((outcome) => new Option(outcome.outcome, outcome.market_key)));
  if (history.outcomes.some((outcome) => outcome.market_key === chosen)) select.value = chosen;
  drawChart();
}

function chartData(outcome, signals) {
  const times = outcome.times.map((text) => Date.parse(text) / 1000);
  const columns = [times, ...outcome.series.map((series) => series.values)];
  // Signals sit on the bucket holding their as-of time, at the price they were priced at.
  const marks = times.map(() => null);
  for (const signal of signals) {
    if (signal.pm_token_id !== outcome.market_key) continue;
    const at = Date.parse(signal.created_at) / 1000;
    const index = times.findLastIndex((time) => time <= at);
    if (index >= 0) marks[index] = signal.vwap ?? signal.pm_price;
  }
  return [...columns, marks];
}

function seriesOptions(outcome) {
  let book = 0;
  const lines = outcome.series.map((series) => {
    const style = SERIES_STYLE[series.name] || { stroke: BOOK_COLORS[book++ % BOOK_COLORS.length], width: 1 };
    return { label: series.name.replace("book:", ""), spanGaps: series.kind === "predictit", ...style,
             value: (u, value) => percent(value) };
  });
  const signal = { label: "signal", stroke: "#b42318", fill: "#b42318", width: 0, paths: () => null,
                   points: { show: true, size: 11, stroke: "#b42318", fill: "#fff4c2", width: 2 },
                   value: (u, value) => percent(value) };
  return [{}, ...lines, signal];
}

// Whole percents when the ticks fall on them (5%, 10%), else one decimal (2.5% steps).
function tickDigits(step) {
  const points = step * 100;
  return Math.abs(points - Math.round(points)) < 1e-9 ? 0 : 1;
}

function drawChart() {
  const history = state.history;
  const outcome = history.outcomes.find((item) => item.market_key === $("#outcome-select").value) || history.outcomes[0];
  if (state.chart) state.chart.destroy();
  state.chart = null;
  const holder = $("#chart");
  holder.replaceChildren();
  if (!outcome || !outcome.times.length) {
    $("#chart-note").textContent = "no quotes in this window";
    return;
  }
  const signals = state.marketSignals || [];
  const options = {
    width: Math.max(holder.clientWidth, 600), height: 340, series: seriesOptions(outcome),
    axes: [{}, { values: (u, ticks, axis, space, step) => ticks.map((tick) => percent(tick, tickDigits(step))), size: 56 }],
  };
  state.chart = new uPlot(options, chartData(outcome, signals), holder);
  const marked = signals.filter((signal) => signal.pm_token_id === outcome.market_key).length;
  $("#chart-note").textContent = `${outcome.times.length} buckets from ${when(history.start)} to ${when(history.end)} UTC · ${marked} signal(s) marked`;
}

// ---- signals ----

function signalRow(signal) {
  const row = document.createElement("tr");
  row.dataset.signalId = signal.signal_id;
  cell(row, when(signal.created_at));
  const market = cell(row, "", "title");
  const link = document.createElement("a");
  link.href = `#market/${encodeURIComponent(signal.pm_market_id)}/polymarket`;
  link.textContent = signal.title || signal.pm_market_id;
  market.replaceChildren(link);
  cell(row, signal.outcome);
  cell(row, percent(signal.vwap ?? signal.pm_price), "num");
  cell(row, percent(signal.fair_prob), "num");
  cell(row, percent(signal.ev_after_costs), signal.ev_after_costs >= 0 ? "num pos" : "num neg");
  cell(row, amount(signal.stake), "num");
  cell(row, percent(signal.fill_prob, 0), "num");
  cell(row, signal.model_version ? `v${signal.model_version}` : "rule");
  cell(row, signal.source);
  const dagster = cell(row, signal.dagster_url ? "" : "—");
  if (signal.dagster_url) {
    const asset = document.createElement("a");
    asset.href = signal.dagster_url;
    asset.target = "_blank";
    asset.rel = "noopener";
    asset.textContent = "asset";
    dagster.replaceChildren(asset);
  }
  return row;
}

async function loadSignals() {
  const [open, closed] = await Promise.all([
    api("/api/signals?status=open&limit=200"),
    api(`/api/signals?status=closed&limit=${CLOSED_SHOWN}`),
  ]);
  $("#open-signals tbody").replaceChildren(...open.items.map(signalRow));
  $("#closed-signals tbody").replaceChildren(...closed.items.map(signalRow));
  showOpenCount();
}

function showOpenCount() {
  $("#open-empty").hidden = $("#open-signals tbody").children.length > 0;
}

function applySignal(signal) {
  for (const table of ["#open-signals", "#closed-signals"]) {
    const old = $(`${table} tbody tr[data-signal-id="${CSS.escape(signal.signal_id)}"]`);
    if (old) old.remove();
  }
  const body = $(signal.status === "open" ? "#open-signals tbody" : "#closed-signals tbody");
  const row = signalRow(signal);
  row.classList.add("fresh");
  body.prepend(row);
  while (body.children.length > (signal.status === "open" ? 200 : CLOSED_SHOWN)) body.lastChild.remove();
  showOpenCount();
  if (state.market && state.market.id === signal.pm_market_id) loadMarket().catch(report);
}

// ---- the change stream: fetch, not EventSource, so the bearer token can go in a header ----

let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    loadLatest().catch(report);
    if (state.market) loadMarket().catch(report);
  }, 500);
}

function handleEvent(event) {
  if (event.type === "signal") applySignal(JSON.parse(event.data));
  if (event.type === "quote") applyQuote(JSON.parse(event.data));
}

// A quote from the odds stream is one price of one side; without a stream, a quote event only says
// the warehouse has new rows, and the tables are read again.
function applyQuote(quote) {
  if (!quote.side) return refreshSoon();
  const key = [quote.venue, quote.market_key, quote.outcome, quote.side, quote.bookmaker].join(":");
  const body = $("#live-quotes tbody");
  const old = body.querySelector(`tr[data-quote-key="${CSS.escape(key)}"]`);
  if (old) old.remove();
  const row = document.createElement("tr");
  row.dataset.quoteKey = key;
  cell(row, when(quote.quote_ts));
  cell(row, VENUES[quote.venue], "venue-cell");
  cell(row, quote.market_id);
  cell(row, quote.outcome);
  cell(row, quote.venue === "oddsapi" ? quote.bookmaker : quote.side);
  // Books quote decimal odds; the prediction markets a share's cost.
  const price = quote.price == null ? null : quote.venue === "oddsapi" ? quote.price.toFixed(2) : percent(quote.price);
  cell(row, price, "num price");
  cell(row, amount(quote.size), "num");
  row.classList.add("fresh");
  body.prepend(row);
  while (body.children.length > LIVE_QUOTES_SHOWN) body.lastChild.remove();
  $("#live-empty").hidden = true;
}

function parseEvent(block) {
  const event = { type: "message", data: "", id: null };
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event.type = value;
    if (field === "data") event.data += (event.data ? "\n" : "") + value;
    if (field === "id") event.id = value;
  }
  return event;
}

async function readStream(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      onEvent(parseEvent(buffer.slice(0, cut)));
      buffer = buffer.slice(cut + 2);
    }
  }
}

let following = false;
async function follow() {
  if (following) return;
  following = true;
  try {
    await followFrom(null);
  } finally {
    following = false;
  }
}

async function followFrom(startId) {
  let lastId = startId;
  for (;;) {
    const headers = { Accept: "text/event-stream" };
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    if (lastId) headers["Last-Event-ID"] = lastId;
    try {
      const response = await fetch("/api/stream", { headers });
      if (response.status === 401) return askForToken();
      if (!response.ok) throw new Error(`stream: ${response.status}`);
      await readStream(response, (event) => {
        if (event.id) lastId = event.id;
        if (event.type === "ready") setBadge("#stream-state", "stream: live", true);
        handleEvent(event);
      });
    } catch (error) {
      console.warn(error);
    }
    setBadge("#stream-state", "stream: reconnecting", false);
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

// ---- health and start ----

function setBadge(selector, text, ok) {
  const badge = $(selector);
  badge.textContent = text;
  badge.className = `badge ${ok ? "ok" : "bad"}`;
}

async function loadHealth() {
  const health = await api("/api/health");
  const ingest = health.last_ingest_at ? ` · last ingest ${when(health.last_ingest_at)} UTC` : "";
  setBadge("#health", `database ${health.database.ok ? "ok" : "down"}${ingest}`, health.database.ok);
  $("#paper-trading").textContent = health.paper_trading
    ? "the trader has recorded decisions; its P&L panel is still to come"
    : "no paper trading yet";
}

function report(error) {
  console.error(error);
}

let refreshing = null;
function start() {
  Promise.all([loadHealth(), loadLatest(), loadSignals()]).catch(report);
  routeFromHash();
  follow();
  refreshing = refreshing || setInterval(() => loadSignals().catch(report), SIGNALS_REFRESH_MS);
}

start();
