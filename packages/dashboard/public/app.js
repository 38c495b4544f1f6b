// The dashboard page: everything it shows comes from this server's JSON endpoints (the serving
// views' rows); nothing is fetched from anywhere else. Plain browser JavaScript, no build step.

const SVG = "http://www.w3.org/2000/svg";
const SERIES_COLOURS = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#17becf",
  "#bcbd22",
  "#7f7f7f",
  "#ff7f0e",
];
const DAY_MS = 86_400_000;

const $ = (id) => document.getElementById(id);
const state = {
  meta: undefined,
  outline: undefined,
  env: undefined,
  city: "",
  index: "us_epa",
  pollutant: "pm25",
  chosen: new Set(),
  latest: { columns: [], rows: [] },
  daily: { columns: [], rows: [] },
};

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function option(select, value, label) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = label;
  select.append(o);
  return o;
}

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

async function getJson(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== ""));
  const url = query.size ? `${path}?${query}` : path;
  const res = await fetch(url);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `${url}: HTTP ${res.status}`);
  return body;
}

// ---------- map ----------

function indexDef() {
  return state.meta.indices.find((i) => i.id === state.index) ?? state.meta.indices[0];
}

function markerColour(row, def) {
  const value = row[def.valueColumn];
  if (value === null || value === undefined) return state.meta.bands.none;
  if (def.categoryColours) return def.categoryColours[row[def.categoryColumn]] ?? state.meta.bands.none;
  const band = state.meta.bands.upper.findIndex((upper) => value <= upper);
  return state.meta.bands.colours[band === -1 ? state.meta.bands.colours.length - 1 : band];
}

/** Equirectangular projection scaled by cos(mid-latitude): true enough across one country. */
function projection(bounds, width, height, pad = 16) {
  const [[x0, y0], [x1, y1]] = bounds;
  const k = Math.cos((((y0 + y1) / 2) * Math.PI) / 180);
  const scale = Math.min((width - 2 * pad) / ((x1 - x0) * k), (height - 2 * pad) / (y1 - y0));
  const ox = (width - (x1 - x0) * k * scale) / 2;
  const oy = (height - (y1 - y0) * scale) / 2;
  return ([lon, lat]) => [ox + (lon - x0) * k * scale, oy + (y1 - lat) * scale];
}

function rings(geometry) {
  return geometry.type === "Polygon" ? geometry.coordinates : geometry.coordinates.flat();
}

function drawMap() {
  const svg = $("map");
  const { width, height } = svg.getBoundingClientRect();
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.replaceChildren();
  const points = rings(state.outline.geometry).flat();
  for (const r of state.latest.rows)
    if (r.longitude !== null && r.latitude !== null) points.push([r.longitude, r.latitude]);
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  const project = projection(
    [
      [Math.min(...lons), Math.min(...lats)],
      [Math.max(...lons), Math.max(...lats)],
    ],
    width,
    height,
  );
  const d = rings(state.outline.geometry)
    .map(
      (ring) =>
        `M${ring
          .map((p) =>
            project(p)
              .map((n) => n.toFixed(1))
              .join(","),
          )
          .join("L")}Z`,
    )
    .join("");
  svg.append(el("path", { class: "land", d }));
  const def = indexDef();
  for (const row of state.latest.rows) {
    if (row.longitude === null || row.latitude === null) continue;
    const [x, y] = project([row.longitude, row.latitude]);
    const marker = el("circle", {
      class: `marker${state.chosen.has(row.location_id) ? " chosen" : ""}`,
      cx: x.toFixed(1),
      cy: y.toFixed(1),
      r: 7,
      fill: markerColour(row, def),
      "data-location-id": row.location_id,
      "data-category": row[def.categoryColumn] ?? "",
      tabindex: 0,
    });
    marker.append(
      el(
        "title",
        {},
        `${row.location_name ?? row.location_id}: ${def.label} ${row[def.valueColumn] ?? "n/a"}`,
      ),
    );
    marker.addEventListener("click", () => openPopup(row, x, y));
    marker.addEventListener("keydown", (e) => e.key === "Enter" && openPopup(row, x, y));
    svg.append(marker);
  }
  $("latest-count").textContent = `(${state.latest.rows.length} locations)`;
  drawLegend(def);
}

function drawLegend(def) {
  const legend = $("legend");
  legend.replaceChildren();
  const entries = def.categoryColours
    ? Object.entries(def.categoryColours)
    : state.meta.bands.upper.map((upper, i) => [`≤ ${upper}`, state.meta.bands.colours[i]]);
  for (const [label, colour] of [...entries, ["no index", state.meta.bands.none]]) {
    const li = document.createElement("li");
    const sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = colour;
    li.append(sw, label);
    legend.append(li);
  }
}

function openPopup(row, x, y) {
  const def = indexDef();
  const popup = $("popup");
  popup.replaceChildren();
  const close = document.createElement("button");
  close.className = "close";
  close.type = "button";
  close.textContent = "×";
  close.setAttribute("aria-label", "Close");
  close.addEventListener("click", () => (popup.hidden = true));
  const h = document.createElement("h3");
  h.textContent = row.location_name ?? `Location ${row.location_id}`;
  const city = document.createElement("div");
  city.className = "city";
  city.textContent = row.city ?? "";
  const time = document.createElement("div");
  time.className = "time";
  time.textContent = `Latest reading: ${row.latest_datetime_utc} UTC`;
  const index = document.createElement("div");
  index.className = "index";
  index.textContent = `${def.label}: ${row[def.valueColumn] ?? "n/a"}${row[def.categoryColumn] ? ` (${row[def.categoryColumn]})` : ""}`;
  const table = document.createElement("table");
  for (const p of state.meta.pollutants) {
    if (row[p] === null || row[p] === undefined) continue;
    const tr = table.insertRow();
    tr.insertCell().textContent = p.toUpperCase().replace("PM25", "PM2.5");
    tr.insertCell().textContent = `${Number(row[p]).toFixed(1)} µg/m³`;
  }
  const trend = document.createElement("button");
  trend.type = "button";
  trend.className = "show-trend";
  trend.textContent = "Show its trend";
  trend.addEventListener("click", () => chooseLocations([row.location_id]));
  popup.append(close, h, city, time, index, table, trend);
  popup.dataset.locationId = row.location_id;
  popup.hidden = false;
  const wrap = $("map-wrap").getBoundingClientRect();
  popup.style.left = `${Math.min(x + 10, wrap.width - 230)}px`;
  popup.style.top = `${Math.max(0, y - 20)}px`;
}

// ---------- trend ----------

function pollutantLabel(p) {
  return p === "pm25" ? "PM2.5" : p.toUpperCase();
}

function dayMs(day) {
  return Date.parse(`${day}T00:00:00Z`);
}

function drawTrend() {
  const svg = $("trend");
  const { width, height } = svg.getBoundingClientRect();
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.replaceChildren();
  const column = `avg_${state.pollutant}`;
  const rows = state.daily.rows.filter((r) => r[column] !== null && r[column] !== undefined);
  const limits = state.meta.limits.filter((l) => l.pollutant === state.pollutant);
  const m = { left: 52, right: 90, top: 12, bottom: 28 };
  const from = $("from").value || rows[0]?.day;
  const to = $("to").value || rows.at(-1)?.day;
  if (!from || !to || rows.length === 0) {
    svg.append(
      el(
        "text",
        { x: width / 2, y: height / 2, "text-anchor": "middle" },
        "No daily averages for this choice.",
      ),
    );
  }
  // The axis spans the days that have data inside the chosen range (a sparse range stays readable).
  const days = rows.map((r) => dayMs(r.day));
  const x0 = days.length ? Math.min(...days) : from ? dayMs(from) : Date.now() - 30 * DAY_MS;
  const x1 = Math.max(days.length ? Math.max(...days) : to ? dayMs(to) : Date.now(), x0 + DAY_MS);
  const yMax = Math.max(1, ...rows.map((r) => r[column]), ...limits.map((l) => l.ugm3)) * 1.08;
  const sx = (day) => m.left + ((dayMs(day) - x0) / (x1 - x0)) * (width - m.left - m.right);
  const sy = (v) => height - m.bottom - (v / yMax) * (height - m.top - m.bottom);

  for (let i = 0; i <= 5; i++) {
    const v = (yMax / 5) * i;
    svg.append(el("line", { class: "grid", x1: m.left, x2: width - m.right, y1: sy(v), y2: sy(v) }));
    svg.append(el("text", { x: m.left - 6, y: sy(v) + 4, "text-anchor": "end" }, v.toFixed(v < 10 ? 1 : 0)));
  }
  const ticks = Math.min(8, Math.max(1, Math.round((x1 - x0) / DAY_MS)));
  for (let i = 0; i <= ticks; i++) {
    const day = new Date(x0 + Math.round((((x1 - x0) / ticks) * i) / DAY_MS) * DAY_MS)
      .toISOString()
      .slice(0, 10);
    svg.append(el("text", { x: sx(day), y: height - 8, "text-anchor": "middle" }, day.slice(5)));
  }
  svg.append(el("line", { class: "axis", x1: m.left, x2: m.left, y1: m.top, y2: height - m.bottom }));
  svg.append(
    el("line", {
      class: "axis",
      x1: m.left,
      x2: width - m.right,
      y1: height - m.bottom,
      y2: height - m.bottom,
    }),
  );
  svg.append(
    el(
      "text",
      { x: m.left, y: m.top + 2, "text-anchor": "start", dx: 4 },
      `${pollutantLabel(state.pollutant)} µg/m³`,
    ),
  );

  for (const limit of limits) {
    const cls = limit.source.startsWith("QCVN") ? "qcvn" : "who";
    svg.append(
      el("line", {
        class: `limit ${cls}`,
        x1: m.left,
        x2: width - m.right,
        y1: sy(limit.ugm3),
        y2: sy(limit.ugm3),
        "data-source": limit.source,
        "data-value": limit.ugm3,
      }),
    );
    svg.append(
      el(
        "text",
        { x: width - m.right + 4, y: sy(limit.ugm3) + 4 },
        `${limit.source.split(" ")[0]} ${limit.ugm3}`,
      ),
    );
  }

  const byLocation = new Map();
  for (const r of rows) {
    if (!byLocation.has(r.location_id)) byLocation.set(r.location_id, []);
    byLocation.get(r.location_id).push(r);
  }
  const legend = $("series-legend");
  legend.replaceChildren();
  [...byLocation.entries()].forEach(([id, series], i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length];
    const g = el("g", { "data-location-id": id });
    for (let j = 1; j < series.length; j++) {
      const a = series[j - 1];
      const b = series[j];
      // A gap of missing days is left open rather than drawn as if it had been measured.
      if (dayMs(b.day) - dayMs(a.day) > DAY_MS) continue;
      const incomplete = !a.is_complete || !b.is_complete;
      g.append(
        el("line", {
          class: `series${incomplete ? " incomplete" : ""}`,
          stroke: colour,
          x1: sx(a.day),
          y1: sy(a[column]),
          x2: sx(b.day),
          y2: sy(b[column]),
        }),
      );
    }
    for (const r of series) {
      const point = el("circle", {
        class: `point ${r.is_complete ? "complete" : "incomplete"}`,
        cx: sx(r.day),
        cy: sy(r[column]),
        r: r.is_complete ? 3.5 : 3,
        fill: colour,
        stroke: colour,
        "data-location-id": id,
        "data-day": r.day,
      });
      point.append(
        el(
          "title",
          {},
          `${r.location_name ?? id}, ${r.day}: ${r[column].toFixed(1)} µg/m³, ${r.hours_observed} h observed${r.is_complete ? "" : " (incomplete)"}`,
        ),
      );
      g.append(point);
    }
    svg.append(g);
    const li = document.createElement("li");
    const sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = colour;
    li.append(sw, `${series[0].location_name ?? id} (${series[0].city ?? "?"})`);
    legend.append(li);
  });
}

// ---------- loading ----------

function fillLocations() {
  const select = $("locations");
  select.replaceChildren();
  for (const r of state.latest.rows) {
    const o = option(select, String(r.location_id), `${r.location_name ?? r.location_id} (${r.city ?? "?"})`);
    o.selected = state.chosen.has(r.location_id);
  }
}

async function loadDaily() {
  status("Loading daily averages…");
  state.daily = await getJson("/api/daily", {
    env: state.env,
    city: state.city,
    location: [...state.chosen].join(","),
    from: $("from").value,
    to: $("to").value,
  });
  drawTrend();
  status(`${state.env}: ${state.latest.rows.length} locations, ${state.daily.rows.length} daily rows`);
}

async function loadLatest() {
  state.latest = await getJson("/api/latest", { env: state.env, city: state.city });
  const ids = new Set(state.latest.rows.map((r) => r.location_id));
  // A city filter keeps only the chosen locations that are in the city.
  for (const id of [...state.chosen]) if (!ids.has(id)) state.chosen.delete(id);
  const offered = state.meta.indices.filter((i) =>
    state.latest.columns.some((c) => c.name === i.valueColumn),
  );
  const select = $("index");
  select.replaceChildren();
  for (const i of offered) option(select, i.id, i.label);
  if (!offered.some((i) => i.id === state.index)) state.index = offered[0]?.id ?? "us_epa";
  select.value = state.index;
  select.disabled = offered.length < 2;
  $("popup").hidden = true;
  fillLocations();
  drawMap();
}

async function loadCities() {
  const cities = await getJson("/api/cities", { env: state.env });
  const select = $("city");
  select.replaceChildren();
  option(select, "", "All cities");
  for (const c of cities.rows) option(select, c.city, `${c.city} (${c.locations})`);
  const gone = state.city !== "" && !cities.rows.some((c) => c.city === state.city);
  if (gone) state.city = "";
  select.value = state.city;
  // The city chosen in the other environment is not in this one: show every city instead.
  if (gone) {
    await loadLatest();
    await loadDaily();
  }
}

// body[data-busy] is "false" once every load has finished (tests and screenshots wait for it).
let busy = 0;
async function guarded(work) {
  busy++;
  document.body.dataset.busy = "true";
  try {
    await work();
  } catch (e) {
    status(e.message, true);
  } finally {
    busy--;
    if (busy === 0) document.body.dataset.busy = "false";
  }
}

// The map first (view_latest_aqi reads only its recent window), then the trend, then the city list
// (which reads both views): the page shows something at once even on a long history.
async function reloadAll() {
  status(`Loading ${state.env}…`);
  await loadLatest();
  await loadDaily();
  await loadCities();
}

function chooseLocations(ids) {
  state.chosen = new Set(ids);
  fillLocations();
  drawMap();
  guarded(loadDaily);
}

async function start() {
  [state.meta, state.outline] = await Promise.all([getJson("/api/meta"), getJson("/outline.json")]);
  $("country").textContent = `in ${state.meta.country}`;
  const params = new URLSearchParams(location.search);
  state.env = state.meta.environments.includes(params.get("env")) ? params.get("env") : state.meta.env;
  for (const env of state.meta.environments) option($("env"), env, env);
  $("env").value = state.env;
  for (const p of state.meta.pollutants) option($("pollutant"), p, pollutantLabel(p));
  $("pollutant").value = state.pollutant;
  // Default range: the last 90 days up to today (UTC).
  const today = new Date().toISOString().slice(0, 10);
  $("to").value = today;
  $("from").value = new Date(Date.now() - 89 * DAY_MS).toISOString().slice(0, 10);

  $("env").addEventListener("change", (e) => {
    state.env = e.target.value;
    state.chosen.clear();
    guarded(reloadAll);
  });
  $("city").addEventListener("change", (e) => {
    state.city = e.target.value;
    guarded(async () => {
      await loadLatest();
      await loadDaily();
    });
  });
  $("index").addEventListener("change", (e) => {
    state.index = e.target.value;
    drawMap();
  });
  $("pollutant").addEventListener("change", (e) => {
    state.pollutant = e.target.value;
    drawTrend();
  });
  for (const id of ["from", "to"]) $(id).addEventListener("change", () => guarded(loadDaily));
  $("locations").addEventListener("change", (e) =>
    chooseLocations([...e.target.selectedOptions].map((o) => Number(o.value))),
  );
  $("clear-locations").addEventListener("click", () => chooseLocations([]));
  let resize;
  window.addEventListener("resize", () => {
    clearTimeout(resize);
    resize = setTimeout(() => {
      drawMap();
      drawTrend();
    }, 150);
  });
  await reloadAll();
}

guarded(start);
