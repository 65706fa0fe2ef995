// The live page of comin's telemetry plugin: polls api/history (relative to the page, so it
// works behind a proxy too) and draws each series as an SVG line over wall-clock time.
// No library, no external resource: this file and live.html are all the page loads.
"use strict";

const POLL_MS = 1000;
const COLORS = ["#4c6ef5", "#e8590c", "#2b8a3e", "#ae3ec9", "#1098ad", "#c92a2a", "#5c940d", "#862e9c"];
const SVG = "http://www.w3.org/2000/svg";   // the SVG namespace name, not a request
let samples = [];
let seq = -1;
let last = null;
let failures = 0;

function el(tag, attrs, text) {
  const e = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmt(v, digits) {
  if (v === null || v === undefined || !isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(digits === undefined ? 3 : digits);
  return v.toLocaleString("en", { maximumFractionDigits: digits === undefined ? 3 : digits });
}

function bytes(v) {
  if (v === null || !isFinite(v)) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return v.toFixed(1) + " " + units[i];
}

// About n round tick values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi].
function niceTicks(lo, hi, n) {
  const raw = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const r = raw / mag;
  const step = (r >= 7.5 ? 10 : r >= 3.5 ? 5 : r >= 1.5 ? 2 : 1) * mag;
  const ticks = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 0.5; v += step) ticks.push(v);
  if (ticks[ticks.length - 1] < hi) ticks.push(ticks[ticks.length - 1] + step);
  return { ticks: ticks, step: step };
}

// A tick label: as many decimals as the step needs, k/M/G for large values.
function tickLabel(v, step) {
  const a = Math.abs(v);
  for (const [from, f, s] of [[1e9, 1e9, "G"], [1e6, 1e6, "M"], [1e4, 1e3, "k"]]) {
    if (a >= from) return (v / f).toFixed(Math.max(0, -Math.floor(Math.log10(step / f)))) + s;
  }
  if (a !== 0 && a < 1e-3) return v.toExponential(1);
  return v.toFixed(Math.max(0, Math.min(6, -Math.floor(Math.log10(step)))));
}

function clock(t) {
  return new Date(t * 1000).toTimeString().slice(0, 8);
}

// series: [{name, label, color, points: [[t, y], ...], band: [[t, lo, hi], ...]}]
function lineChart(title, unit, series, yfmt) {
  const box = el("div", { class: "chart", "data-chart": title });
  box.appendChild(el("h2", {}, title));
  box.appendChild(el("div", { class: "unit" }, unit));
  const W = 420, H = 170, L = 58, R = 8, T = 8, B = 20;
  const svg = el("svg:svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none" });
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of series) {
    for (const [t, y] of s.points) { x0 = Math.min(x0, t); x1 = Math.max(x1, t); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    for (const [t, lo, hi] of s.band || []) { y0 = Math.min(y0, lo); y1 = Math.max(y1, hi); }
  }
  if (!isFinite(x0)) {
    svg.appendChild(el("svg:text", { x: W / 2, y: H / 2, class: "tick", "text-anchor": "middle" }, "no data yet"));
    box.appendChild(svg);
    return box;
  }
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { const d = Math.abs(y0) * 0.01 || 1; y0 -= d; y1 += d; }
  const nice = niceTicks(y0, y1, 4);
  y0 = nice.ticks[0]; y1 = nice.ticks[nice.ticks.length - 1];
  const X = t => L + (t - x0) / (x1 - x0) * (W - L - R);
  const Y = y => T + (y1 - y) / (y1 - y0) * (H - T - B);
  svg.appendChild(el("svg:line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }));
  svg.appendChild(el("svg:line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }));
  for (const y of nice.ticks) {
    svg.appendChild(el("svg:line", { x1: L, y1: Y(y), x2: W - R, y2: Y(y), class: "axis", "stroke-dasharray": "2 3" }));
    svg.appendChild(el("svg:text", { x: L - 4, y: Y(y) + 3, class: "tick", "text-anchor": "end" },
      yfmt ? yfmt(y) : tickLabel(y, nice.step)));
  }
  for (const [t, anchor] of [[x0, "start"], [x1, "end"]]) {
    svg.appendChild(el("svg:text", { x: X(t), y: H - 6, class: "tick", "text-anchor": anchor }, clock(t)));
  }
  const legend = el("div", { class: "legend" });
  series.forEach((s, i) => {
    const color = s.color || COLORS[i % COLORS.length];
    if (s.band && s.band.length) {
      const top = s.band.map(([t, lo, hi]) => `${X(t).toFixed(1)},${Y(hi).toFixed(1)}`);
      const bottom = s.band.slice().reverse().map(([t, lo, hi]) => `${X(t).toFixed(1)},${Y(lo).toFixed(1)}`);
      svg.appendChild(el("svg:polygon", { points: top.concat(bottom).join(" "), fill: color,
        "fill-opacity": "0.15", stroke: "none", "data-band": s.bandName || "" }));
    }
    const d = s.points.map(([t, y], k) => `${k ? "L" : "M"}${X(t).toFixed(1)},${Y(y).toFixed(1)}`).join("");
    svg.appendChild(el("svg:path", { d: d, fill: "none", stroke: color, "stroke-width": "1.6",
      "data-series": s.name, "data-points": String(s.points.length) }));
    const item = el("span", {});
    item.appendChild(el("i", { style: `background:${color}` }));
    item.appendChild(document.createTextNode(`${s.label}: ${(yfmt || fmt)(s.points.length ? s.points[s.points.length - 1][1] : null)}`));
    legend.appendChild(item);
  });
  box.appendChild(svg);
  box.appendChild(legend);
  return box;
}

function pick(get) {
  const out = [];
  for (const s of samples) {
    const y = get(s);
    if (y !== null && y !== undefined && isFinite(y)) out.push([s.t, y]);
  }
  return out;
}

function kpi(label, metric, value) {
  const k = el("div", { class: "kpi", title: metric });
  k.appendChild(el("div", { class: "v" }, value));
  k.appendChild(el("div", { class: "k" }, label));
  return k;
}

function render() {
  const data = last;
  const state = document.getElementById("state");
  state.textContent = failures > 2 ? "no connection" : data.state;
  state.className = failures > 2 ? "offline" : data.state;
  const info = data.info || {};
  document.getElementById("run").textContent =
    `${info.exp_start || ""} → ${info.run_stop || ""} · ${data.ranks} rank${data.ranks === 1 ? "" : "s"}`;
  const s = samples.length ? samples[samples.length - 1] : {};
  const kpis = document.getElementById("kpis");
  const progress = s.sim !== null && s.sim !== undefined && data.end ? ` (${(100 * s.sim / data.end).toFixed(0)} %)` : "";
  kpis.replaceChildren(
    kpi("steps done" + progress, "comin_steps_total", fmt(s.step, 0)),
    kpi("simulated date and time", "comin_simulation_time_seconds", s.datetime ? s.datetime.replace("T", " ") : "–"),
    kpi("simulated s per wall s", "comin_model_speed_ratio", fmt(s.speed, 1)),
    kpi("wall s, last step", "comin_last_step_duration_seconds", fmt(s.step_seconds, 4)),
    kpi("resident memory, all ranks", "comin_rank_resident_memory_bytes", bytes((s.rss || []).reduce((a, b) => a + (b || 0), 0))),
    kpi("exporter s, all ranks", "comin_exporter_seconds_total", fmt((s.cost || []).reduce((a, b) => a + (b || 0), 0), 4)));

  const charts = [
    lineChart("comin_model_speed_ratio", "simulated seconds per wall-clock second",
      [{ name: "comin_model_speed_ratio", label: "speed", points: pick(x => x.speed) }]),
    lineChart("comin_simulation_time_seconds", "simulated seconds since the experiment start",
      [{ name: "comin_simulation_time_seconds", label: "simulated time", points: pick(x => x.sim) }]),
    lineChart("comin_last_step_duration_seconds", "wall-clock seconds per step",
      [{ name: "comin_last_step_duration_seconds", label: "step", points: pick(x => x.step_seconds) }]),
  ];
  for (const v of data.variables || []) {
    const labels = `{variable="${v.name}",domain="${v.domain}"}`;
    const band = [];
    for (const x of samples) {
      const r = (x.vars || {})[v.key];
      if (r && r[1] !== null && r[2] !== null) band.push([x.t, r[1], r[2]]);
    }
    const nan = pick(x => ((x.vars || {})[v.key] || [])[3]);
    const nanNow = nan.length ? nan[nan.length - 1][1] : 0;
    charts.push(lineChart(`comin_variable_mean${labels}`,
      `${v.long_name || v.name} [${v.units || "?"}]: mean, band min–max` + (nanNow ? ` · ${nanNow} NaN` : ""),
      [{ name: `comin_variable_mean${labels}`, bandName: `comin_variable_min/max${labels}`,
         label: "mean", points: pick(x => ((x.vars || {})[v.key] || [])[0]), band: band }]));
  }
  const ranks = [];
  for (let r = 0; r < data.ranks; r++) {
    ranks.push({ name: `comin_rank_resident_memory_bytes{rank="${r}"}`, label: `rank ${r}`,
                 points: pick(x => (x.rss || [])[r]) });
  }
  charts.push(lineChart("comin_rank_resident_memory_bytes", "resident memory per rank", ranks, bytes));
  document.getElementById("charts").replaceChildren(...charts);

  const table = document.getElementById("eptable");
  const eps = document.getElementById("eps");
  if (!data.timings) {
    eps.style.display = data.note ? "" : "none";
    table.replaceChildren(el("tr", {}, data.note || ""));
  } else {
    eps.style.display = "";
    const rows = data.timings.slice().sort((a, b) => b[3] - a[3]).slice(0, 12);
    const top = rows.length ? rows[0][3] || 1e-12 : 1;
    const head = el("tr");
    for (const h of ["plugin", "entry point", "calls", "time [ms]", "µs/call", ""]) head.appendChild(el("th", {}, h));
    const out = [head];
    for (const [plugin, ep, calls, secs] of rows) {
      const tr = el("tr", { "data-series": `comin_entry_point_seconds_total{plugin="${plugin}",entry_point="${ep}"}` });
      tr.appendChild(el("td", {}, plugin));
      tr.appendChild(el("td", {}, ep));
      tr.appendChild(el("td", {}, calls.toLocaleString("en")));
      tr.appendChild(el("td", {}, fmt(secs * 1e3, 3)));
      tr.appendChild(el("td", {}, calls ? fmt(secs / calls * 1e6, 1) : "–"));
      const bar = el("td", { class: "bar" });
      bar.appendChild(el("div", { style: `width:${(100 * secs / top).toFixed(1)}%` }));
      tr.appendChild(bar);
      out.push(tr);
    }
    table.replaceChildren(...out);
  }
  if (data.errors) {
    document.getElementById("note").textContent =
      `${data.errors} exporter failure(s) during the run: see the model's log.`;
  }
}

async function poll() {
  try {
    const response = await fetch(`api/history?since=${seq}`, { cache: "no-store" });
    if (!response.ok) throw new Error(response.status);
    const data = await response.json();
    samples = samples.concat(data.samples);
    if (samples.length > 20000) samples = samples.slice(samples.length - 20000);
    seq = data.seq;
    last = data;
    failures = 0;
  } catch (e) {
    failures++;
  }
  if (last) render();
  if (!last || last.state === "running" || last.state === "starting") setTimeout(poll, POLL_MS);
  else document.body.setAttribute("data-done", "1");
}

poll();
