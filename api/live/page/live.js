// The live page: plain JS, the map in SVG, the charts in Vega-Lite (charts.js), every asset from
// this server (works offline).
// Auth: a reader key from the URL fragment (#key=..., never sent to any server) or the form, kept
// in this tab's sessionStorage; it mints a short-lived token (POST v1/live/tokens) that opens the
// EventSource. Where the stream is not available (Lambda), it polls v1/live/snapshot instead.

import { historySpec, liveChart, provincesSpec } from "./charts.js";

const SVG = "http://www.w3.org/2000/svg";
// Okabe and Ito's colour-blind-safe palette: producing (bluish green) and maintenance (reddish
// purple) stay apart under deuteranopia and protanopia, as do curtailed (orange) and fault
// (vermillion), which also differ in lightness.
const STATUS_COLOURS = {
  producing: "#009E73",
  idle: "#999999",
  curtailed: "#E69F00",
  fault: "#D55E00",
  maintenance: "#CC79A7",
  silent: "#1d2630",
};
const POLL_MS = 5000;

const state = {
  key: null,
  turbines: new Map(),
  alarms: new Map(),
  fleet: null,
  provinces: [],
  history: [],
  selected: null,
  source: null,
  lastEventId: null,
  projection: null,
  drawPending: false,
  shownAt: 0,
  charts: null,
};

const $ = (id) => document.getElementById(id);

function keyFromFragment() {
  const match = location.hash.match(/key=([^&]+)/);
  if (!match) return null;
  history.replaceState(null, "", location.pathname + location.search);
  return decodeURIComponent(match[1]);
}

async function start() {
  state.key = keyFromFragment() ?? sessionStorage.getItem("gust-key");
  if (!state.key) {
    askForKey();
    return;
  }
  sessionStorage.setItem("gust-key", state.key);
  $("key-form").hidden = true;
  $("live").hidden = false;
  await drawProvinces();
  drawLegend();
  const [history, provinces] = await Promise.all([
    liveChart($("history"), historySpec(), "points"),
    liveChart($("provinces"), provincesSpec(), "provinces"),
  ]);
  state.charts = { history, provinces };
  connect();
}

function askForKey() {
  if ($("connection").dataset.state !== "error") {
    setConnection("waiting", "waiting for a reader key (below)");
  }
  const form = $("key-form");
  form.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.key = $("key-input").value.trim();
    if (state.key) start();
  });
}

function api(path, options = {}) {
  return fetch(path, {
    ...options,
    headers: { authorization: `Bearer ${state.key}`, ...(options.headers ?? {}) },
  });
}

function setConnection(kind, text) {
  const element = $("connection");
  element.dataset.state = kind;
  element.textContent = text;
}

// Stream first; after a stream error that EventSource does not retry itself (an expired token,
// a server that cannot stream), mint a new token and reconnect from the last event id.
async function connect() {
  let response;
  try {
    response = await api("v1/live/tokens", { method: "POST" });
  } catch {
    setConnection("error", "server unreachable, retrying…");
    setTimeout(connect, POLL_MS);
    return;
  }
  if (response.status === 401 || response.status === 403) {
    sessionStorage.removeItem("gust-key");
    setConnection("error", "that key may not watch the fleet");
    askForKey();
    return;
  }
  if (!response.ok) {
    poll();
    return;
  }
  const { token } = await response.json();
  const resume = state.lastEventId ? `&last_event_id=${encodeURIComponent(state.lastEventId)}` : "";
  const source = new EventSource(`v1/live?token=${encodeURIComponent(token)}${resume}`);
  state.source = source;
  let opened = false;
  source.addEventListener("open", () => {
    opened = true;
    setConnection("live", "live");
  });
  source.addEventListener("snapshot", (event) => {
    state.lastEventId = event.lastEventId;
    applySnapshot(JSON.parse(event.data));
  });
  source.addEventListener("update", (event) => {
    state.lastEventId = event.lastEventId;
    applyUpdate(JSON.parse(event.data));
  });
  source.addEventListener("alarm", (event) => {
    state.lastEventId = event.lastEventId;
    applyAlarm(JSON.parse(event.data));
  });
  source.addEventListener("error", () => {
    if (source.readyState !== EventSource.CLOSED) {
      setConnection("connecting", "reconnecting…");
      return;
    }
    source.close();
    if (!opened) {
      poll(); // no stream here (Lambda behind an HTTP API): poll the snapshot
      return;
    }
    setConnection("connecting", "reconnecting…");
    setTimeout(connect, 1000);
  });
}

async function poll() {
  setConnection("polling", `polling every ${POLL_MS / 1000} s`);
  try {
    const response = await api("v1/live/snapshot");
    if (response.ok) applySnapshot(await response.json());
  } catch {
    setConnection("error", "server unreachable, retrying…");
  }
  setTimeout(poll, POLL_MS);
}

function applySnapshot(snapshot) {
  state.turbines = new Map(snapshot.turbines.map((t) => [t.turbine_id, t]));
  state.alarms = new Map(snapshot.alarms.map((a) => [a.id, a]));
  state.fleet = snapshot.fleet;
  state.provinces = snapshot.provinces;
  state.history = snapshot.history.points;
  scheduleDraw();
}

function applyUpdate(update) {
  for (const turbine of update.turbines) state.turbines.set(turbine.turbine_id, turbine);
  state.fleet = { ...update.fleet, open_alarms: state.alarms.size };
  state.provinces = update.provinces;
  for (const point of update.history) {
    const index = state.history.findIndex((p) => p.time === point.time);
    if (index >= 0) state.history[index] = point;
    else state.history.push(point);
  }
  state.history.sort((a, b) => (a.time < b.time ? -1 : 1));
  const selected = state.selected;
  if (selected && update.turbines.some((t) => t.turbine_id === selected)) {
    // Its table follows its readings, at most every few seconds.
    if (Date.now() - state.shownAt > 3000) showTurbine(selected);
  }
  scheduleDraw();
}

function applyAlarm(event) {
  if (event.kind === "opened") state.alarms.set(event.alarm.id, event.alarm);
  else state.alarms.delete(event.alarm.id);
  if (state.fleet) state.fleet.open_alarms = state.alarms.size;
  scheduleDraw();
}

function scheduleDraw() {
  if (state.drawPending) return;
  state.drawPending = true;
  requestAnimationFrame(() => {
    state.drawPending = false;
    draw();
  });
}

function draw() {
  drawKpis();
  drawTurbines();
  drawHistory();
  drawProvincePower();
  drawAlarms();
}

const number = (value, digits = 0) =>
  value.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function setValue(id, value, text) {
  const element = $(id);
  element.dataset.value = String(value);
  element.textContent = text;
}

function drawKpis() {
  const fleet = state.fleet;
  if (!fleet) return;
  setValue("fleet-power", fleet.power_kw, number(fleet.power_kw / 1000, 1));
  $("fleet-capacity").textContent = `of ${number(fleet.capacity_kw / 1000, 0)} MW installed`;
  setValue("turbines-reporting", fleet.turbines_reporting, number(fleet.turbines_reporting));
  $("turbines-total").textContent = number(fleet.turbines);
  setValue("readings-per-second", fleet.readings_per_second, number(fleet.readings_per_second, 1));
  setValue("readings-total", fleet.readings_total, number(fleet.readings_total));
  $("readings-since").textContent = new Date(fleet.readings_since).toLocaleTimeString("en-GB", {
    hour: "2-digit",
    minute: "2-digit",
  });
  setValue("open-alarms-count", state.alarms.size, number(state.alarms.size));
}

// The map: equirectangular, x scaled by cos(52.2°) so the country keeps its shape.
async function drawProvinces() {
  const response = await fetch("live/nl-provinces-2023.geojson");
  const geo = await response.json();
  const kx = Math.cos((52.2 * Math.PI) / 180);
  let minX = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  const rings = (geometry) =>
    geometry.type === "Polygon" ? geometry.coordinates : geometry.coordinates.flat();
  for (const feature of geo.features) {
    for (const ring of rings(feature.geometry)) {
      for (const [lon, lat] of ring) {
        minX = Math.min(minX, lon * kx);
        maxX = Math.max(maxX, lon * kx);
        minY = Math.min(minY, lat);
        maxY = Math.max(maxY, lat);
      }
    }
  }
  const scale = Math.min(580 / (maxX - minX), 680 / (maxY - minY));
  state.projection = (lon, lat) => [10 + (lon * kx - minX) * scale, 10 + (maxY - lat) * scale];
  const map = $("map");
  const provinces = document.createElementNS(SVG, "g");
  const labels = document.createElementNS(SVG, "g");
  for (const feature of geo.features) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("class", "province");
    path.dataset.province = feature.properties.statnaam;
    path.setAttribute(
      "d",
      rings(feature.geometry)
        .map(
          (ring) =>
            `M${ring
              .map(([lon, lat]) =>
                state
                  .projection(lon, lat)
                  .map((v) => v.toFixed(1))
                  .join(","),
              )
              .join("L")}Z`,
        )
        .join(""),
    );
    provinces.appendChild(path);
  }
  map.appendChild(provinces);
  for (const path of provinces.children) {
    const bbox = path.getBBox();
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("class", "province-label");
    label.setAttribute("x", String(bbox.x + bbox.width / 2));
    label.setAttribute("y", String(bbox.y + bbox.height / 2));
    label.textContent = path.dataset.province;
    labels.appendChild(label);
  }
  map.appendChild(labels);
  const marks = document.createElementNS(SVG, "g");
  marks.id = "turbine-marks";
  map.appendChild(marks);
}

function drawLegend() {
  $("legend").innerHTML = Object.entries(STATUS_COLOURS)
    .map(([status, colour]) => `<li><i style="background:${colour}"></i>${status}</li>`)
    .join("");
}

function statusOf(turbine) {
  return turbine.silent ? "silent" : (turbine.status ?? "producing");
}

function drawTurbines() {
  const marks = $("turbine-marks");
  if (!marks || !state.projection) return;
  const maxRated = Math.max(1, ...[...state.turbines.values()].map((t) => t.rated_kw ?? 0));
  const existing = new Map([...marks.children].map((c) => [c.dataset.turbine, c]));
  for (const turbine of state.turbines.values()) {
    if (turbine.latitude === null || turbine.longitude === null) continue;
    let circle = existing.get(turbine.turbine_id);
    existing.delete(turbine.turbine_id);
    if (!circle) {
      circle = document.createElementNS(SVG, "circle");
      circle.dataset.turbine = turbine.turbine_id;
      const title = document.createElementNS(SVG, "title");
      circle.appendChild(title);
      circle.addEventListener("click", () => showTurbine(turbine.turbine_id));
      marks.appendChild(circle);
    }
    const [x, y] = state.projection(turbine.longitude, turbine.latitude);
    const power = turbine.silent ? 0 : Math.max(0, turbine.power_kw);
    const status = statusOf(turbine);
    circle.setAttribute("cx", x.toFixed(1));
    circle.setAttribute("cy", y.toFixed(1));
    circle.setAttribute("r", (2 + 9 * Math.sqrt(power / maxRated)).toFixed(1));
    circle.setAttribute("fill", STATUS_COLOURS[status] ?? "#999");
    circle.dataset.status = status;
    circle.classList.toggle("selected", turbine.turbine_id === state.selected);
    circle.firstChild.textContent = `${turbine.turbine_id} ${turbine.project ?? ""}: ${status}, ${number(turbine.power_kw)} kW`;
  }
  for (const stale of existing.values()) stale.remove();
}

function drawHistory() {
  // Copies: Vega keeps (and annotates) the objects it is given.
  state.charts?.history.update(state.history.map((point) => ({ ...point })));
}

function drawProvincePower() {
  state.charts?.provinces.update(state.provinces.map((row) => ({ ...row })));
}

function drawAlarms() {
  const alarms = [...state.alarms.values()].sort((a, b) =>
    a.opened_at === b.opened_at ? (a.id < b.id ? -1 : 1) : a.opened_at < b.opened_at ? 1 : -1,
  );
  const list = $("alarms");
  if (alarms.length === 0) {
    list.innerHTML = '<li class="empty">none</li>';
    return;
  }
  list.innerHTML = alarms
    .map(
      (alarm) =>
        `<li data-alarm-id="${escapeHtml(alarm.id)}" data-turbine="${escapeHtml(alarm.turbine_id)}" data-rule="${escapeHtml(alarm.rule)}"><strong>${escapeHtml(alarm.turbine_id)}</strong> ${escapeHtml(alarm.rule)} <small>${new Date(alarm.opened_at).toLocaleTimeString("en-GB")}: ${escapeHtml(alarm.detail)}</small></li>`,
    )
    .join("");
  for (const item of list.children) {
    item.addEventListener("click", () => showTurbine(item.dataset.turbine));
  }
}

async function showTurbine(turbineId) {
  state.selected = turbineId;
  state.shownAt = Date.now();
  const turbine = state.turbines.get(turbineId);
  $("turbine-detail").hidden = false;
  $("turbine-name").textContent = turbineId;
  $("turbine-summary").textContent = turbine
    ? `${turbine.project ?? "?"} (${turbine.province ?? "?"}), ${turbine.model ?? "model unknown"}, ${number(turbine.rated_kw ?? 0)} kW rated; ${statusOf(turbine)}`
    : "no reading yet";
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const response = await api(
    `v1/turbines/${encodeURIComponent(turbineId)}/measurements?from=${from}&limit=10000`,
  );
  if (!response.ok || state.selected !== turbineId) return;
  const { readings } = await response.json();
  $("turbine-readings").innerHTML = readings
    .slice(-12)
    .reverse()
    .map(
      (r) =>
        `<tr><td>${new Date(r.time).toLocaleTimeString("en-GB")}</td><td>${escapeHtml(r.status ?? "")}</td><td>${number(r.power_kw, 1)}</td><td>${number(r.wind_speed_ms, 1)}</td></tr>`,
    )
    .join("");
  drawTurbines();
}

function escapeHtml(text) {
  return String(text).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}

start();
