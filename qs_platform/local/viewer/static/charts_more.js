/* More visual types for the dashboard viewer, on the building blocks of charts.js: word cloud, funnel, tree map,
 * radar, waterfall, Sankey, gauge, box plot, histogram, insight (narrative lines) and the empty visual.
 * Each renderer takes (container, result, options) like those of charts.js; the wells are named by the server
 * (category, color, value, color_value, source, destination, target, min/q1/median/q3/max).
 */
(function () {
  "use strict";

  const C = window.QSCharts;
  const PALETTE = C.palette;

  function numeric(v) { return typeof v === "number" && Number.isFinite(v); }
  function first(result, name) { return C.well(result, name)[0]; }
  function fmtOf(result, index) { return index === undefined ? null : (result.fields[index] || {}).format; }
  function label(result, row, name) { return C.labelOf(row, C.well(result, name), result.fields); }

  function wordCloud(container, result) {
    const size = first(result, "value");
    const rows = result.rows.filter(function (r) { return numeric(r[size]); });
    if (!rows.length) return C.empty(container);
    const values = rows.map(function (r) { return r[size]; });
    const lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    container.innerHTML = "";
    const cloud = document.createElement("div");
    cloud.className = "word-cloud";
    rows.slice(0, 100).forEach(function (r, i) {
      const word = document.createElement("span");
      word.className = "word";
      word.textContent = label(result, r, "category");
      word.style.fontSize = (12 + (hi > lo ? (r[size] - lo) / (hi - lo) : 1) * 24).toFixed(1) + "px";
      word.style.color = PALETTE[i % PALETTE.length];
      word.title = word.textContent + ": " + C.formatNumber(r[size], fmtOf(result, size));
      cloud.appendChild(word);
    });
    container.appendChild(cloud);
  }

  function funnel(container, result) {
    const m = first(result, "value");
    const rows = result.rows.filter(function (r) { return numeric(r[m]); });
    if (!rows.length) return C.empty(container);
    const chart = C.frame(container, []);
    const top = Math.max.apply(null, rows.map(function (r) { return Math.abs(r[m]); })) || 1;
    const band = chart.height / rows.length;
    rows.forEach(function (r, i) {
      const w = Math.max(2, (Math.abs(r[m]) / top) * (chart.width - 8));
      const rect = C.svgEl("rect", { class: "bar funnel", x: (chart.width - w) / 2, y: i * band + 2, width: w, height: Math.max(band - 4, 1), fill: PALETTE[0] }, chart.svg);
      const text = label(result, r, "category") + ": " + C.formatNumber(r[m], fmtOf(result, m));
      C.tooltip(rect, text);
      if (band > 14) C.svgText(chart.svg, chart.width / 2, i * band + band / 2 + 4, C.truncate(text, chart.width - 8), { "text-anchor": "middle", class: "cell-label" });
    });
  }

  function treeMap(container, result) {
    const m = first(result, "value"), colorBy = first(result, "color_value");
    const rows = result.rows.filter(function (r) { return numeric(r[m]) && r[m] > 0; });
    if (!rows.length) return C.empty(container);
    const chart = C.frame(container, []);
    const total = rows.reduce(function (s, r) { return s + r[m]; }, 0);
    const shades = colorBy === undefined ? null : rows.map(function (r) { return r[colorBy]; }).filter(numeric);
    let x = 0, y = 0, w = chart.width, h = chart.height;
    let left = total;
    rows.forEach(function (r, i) {  // slice and dice: alternate vertical and horizontal cuts
      const share = r[m] / left;
      const cut = i % 2 === 0 ? { x: x, y: y, width: w * share, height: h } : { x: x, y: y, width: w, height: h * share };
      if (i % 2 === 0) { x += cut.width; w -= cut.width; } else { y += cut.height; h -= cut.height; }
      left -= r[m];
      const fill = shades && shades.length ? C.shade(r[colorBy], Math.min.apply(null, shades), Math.max.apply(null, shades)) : PALETTE[i % PALETTE.length];
      const rect = C.svgEl("rect", { class: "tile", x: cut.x + 1, y: cut.y + 1, width: Math.max(cut.width - 2, 1), height: Math.max(cut.height - 2, 1), fill: fill }, chart.svg);
      const text = label(result, r, "category");
      C.tooltip(rect, text + ": " + C.formatNumber(r[m], fmtOf(result, m)));
      if (cut.width > 40 && cut.height > 16) C.svgText(chart.svg, cut.x + 6, cut.y + 15, C.truncate(text, cut.width - 10), { class: "cell-label on-dark" });
    });
  }

  function seriesOf(result, dims) {
    const cat = first(result, dims[0]), color = C.well(result, dims[1]), m = first(result, "value");
    const categories = [], series = {}, order = [];
    result.rows.forEach(function (r) {
      const c = C.formatDimension(r[cat], result.fields[cat]);
      if (categories.indexOf(c) < 0) categories.push(c);
      const key = color.length ? C.labelOf(r, color, result.fields) : (result.fields[m] || {}).label || "value";
      if (!(key in series)) { series[key] = {}; order.push(key); }
      series[key][c] = r[m];
    });
    return { categories: categories, series: series, order: order, m: m };
  }

  function radar(container, result) {
    const data = seriesOf(result, ["category", "color"]);
    if (data.categories.length < 3) return C.bar(container, result, {});
    const chart = C.frame(container, data.order.map(function (k) { return { label: k }; }));
    const cx = chart.width / 2, cy = chart.height / 2, radius = Math.min(cx, cy) - 24;
    const all = [];
    data.order.forEach(function (k) { data.categories.forEach(function (c) { if (numeric(data.series[k][c])) all.push(data.series[k][c]); }); });
    const hi = Math.max.apply(null, all.concat([0])) || 1;
    const at = function (i, v) { const a = (2 * Math.PI * i) / data.categories.length; return [cx + v * Math.sin(a), cy - v * Math.cos(a)]; };
    data.categories.forEach(function (c, i) {
      const end = at(i, radius);
      C.svgEl("line", { class: "grid", x1: cx, y1: cy, x2: end[0], y2: end[1] }, chart.svg);
      const pos = at(i, radius + 12);
      C.svgText(chart.svg, pos[0], pos[1] + 4, C.truncate(c, 80), { "text-anchor": "middle", class: "axis-label" });
    });
    data.order.forEach(function (k, si) {
      const points = data.categories.map(function (c, i) { return at(i, (numeric(data.series[k][c]) ? data.series[k][c] : 0) / hi * radius).join(","); });
      const shape = C.svgEl("polygon", { class: "radar", points: points.join(" "), fill: PALETTE[si % PALETTE.length], "fill-opacity": 0.25, stroke: PALETTE[si % PALETTE.length] }, chart.svg);
      C.tooltip(shape, k);
    });
  }

  function waterfall(container, result) {
    const data = seriesOf(result, ["category", "color"]);
    if (!data.categories.length) return C.empty(container);
    const steps = data.categories.map(function (c) {
      return data.order.reduce(function (s, k) { return s + (numeric(data.series[k][c]) ? data.series[k][c] : 0); }, 0);
    });
    const ends = [];
    steps.reduce(function (run, v) { ends.push(run + v); return run + v; }, 0);
    const total = ends[ends.length - 1];
    const chart = C.frame(container, []);
    const scale = C.niceScale(Math.min.apply(null, ends.concat([0])), Math.max.apply(null, ends.concat([0])), 5);
    const left = 48, bottom = 22, top = 8;
    const y = function (v) { return chart.height - bottom - ((v - scale.min) / (scale.max - scale.min)) * (chart.height - top - bottom); };
    const band = (chart.width - left) / (steps.length + 1);
    const fmt = fmtOf(result, data.m);
    scale.ticks.forEach(function (t) { C.svgText(chart.svg, left - 6, y(t) + 4, C.formatTick(t, fmt), { "text-anchor": "end", class: "axis-label" }); });
    steps.concat([null]).forEach(function (v, i) {
      const start = v === null ? 0 : ends[i] - v, end = v === null ? total : ends[i];
      const rect = C.svgEl("rect", {
        class: "bar step" + (v === null ? " total" : ""), x: left + i * band + band * 0.15, width: band * 0.7,
        y: Math.min(y(start), y(end)), height: Math.max(Math.abs(y(start) - y(end)), 1),
        fill: v === null ? PALETTE[7] : (v >= 0 ? PALETTE[2] : PALETTE[3]),
      }, chart.svg);
      const name = v === null ? "Total" : data.categories[i];
      C.tooltip(rect, name + ": " + C.formatNumber(v === null ? total : v, fmt));
      C.svgText(chart.svg, left + i * band + band / 2, chart.height - 6, C.truncate(name, band - 2), { "text-anchor": "middle", class: "axis-label" });
    });
  }

  function sankey(container, result) {
    const s = first(result, "source"), d = first(result, "destination"), m = first(result, "value");
    const rows = result.rows.filter(function (r) { return numeric(r[m]) && r[m] > 0; });
    if (!rows.length) return C.empty(container);
    const chart = C.frame(container, []);
    const side = function (index) {
      const totals = {}, keys = [];
      rows.forEach(function (r) { const k = C.formatDimension(r[index], result.fields[index]); if (!(k in totals)) { totals[k] = 0; keys.push(k); } totals[k] += r[m]; });
      return { totals: totals, keys: keys };
    };
    const sources = side(s), targets = side(d);
    const total = rows.reduce(function (t, r) { return t + r[m]; }, 0);
    const gap = 4, width = 14, usable = function (n) { return chart.height - gap * (n - 1); };
    const place = function (group, x) {
      const at = {}; let y = 0;
      group.keys.forEach(function (k, i) {
        const h = Math.max(group.totals[k] / total * usable(group.keys.length), 1);
        at[k] = { y: y, h: h, used: 0 };
        const node = C.svgEl("rect", { class: "node", x: x, y: y, width: width, height: h, fill: PALETTE[i % PALETTE.length] }, chart.svg);
        C.tooltip(node, k + ": " + C.formatNumber(group.totals[k], fmtOf(result, m)));
        y += h + gap;
      });
      return at;
    };
    const leftX = 4, rightX = chart.width - width - 4;
    const from = place(sources, leftX), to = place(targets, rightX);
    rows.forEach(function (r) {
      const a = from[C.formatDimension(r[s], result.fields[s])], b = to[C.formatDimension(r[d], result.fields[d])];
      const h = r[m] / total * usable(sources.keys.length);
      const h2 = r[m] / total * usable(targets.keys.length);
      const y1 = a.y + a.used + h / 2, y2 = b.y + b.used + h2 / 2;
      a.used += h; b.used += h2;
      const x1 = leftX + width, x2 = rightX, mid = (x1 + x2) / 2;
      const flow = C.svgEl("path", { class: "flow", d: "M" + x1 + "," + y1 + " C" + mid + "," + y1 + " " + mid + "," + y2 + " " + x2 + "," + y2, fill: "none", stroke: PALETTE[0], "stroke-opacity": 0.35, "stroke-width": Math.max(h, 1) }, chart.svg);
      C.tooltip(flow, C.labelOf(r, [s], result.fields) + " → " + C.labelOf(r, [d], result.fields) + ": " + C.formatNumber(r[m], fmtOf(result, m)));
    });
    sources.keys.forEach(function (k) { C.svgText(chart.svg, leftX + width + 4, from[k].y + from[k].h / 2 + 4, C.truncate(k, chart.width / 3), { class: "axis-label" }); });
    targets.keys.forEach(function (k) { C.svgText(chart.svg, rightX - 4, to[k].y + to[k].h / 2 + 4, C.truncate(k, chart.width / 3), { "text-anchor": "end", class: "axis-label" }); });
  }

  function gauge(container, result) {
    const row = result.rows[0] || [];
    const m = first(result, "value"), t = first(result, "target");
    const value = row[m], target = t === undefined ? null : row[t];
    if (!numeric(value)) return C.empty(container);
    const chart = C.frame(container, []);
    const max = numeric(target) && target > 0 ? target : C.niceScale(0, Math.abs(value), 4).max || 1;
    const share = Math.max(0, Math.min(value / max, 1));
    const cx = chart.width / 2, cy = chart.height * 0.8, r = Math.min(chart.width / 2, chart.height * 0.75) - 10;
    const arc = function (from, to) {
      const p = function (a) { return (cx + r * Math.cos(Math.PI * (1 - a))).toFixed(2) + " " + (cy - r * Math.sin(Math.PI * (1 - a))).toFixed(2); };
      return "M " + p(from) + " A " + r + " " + r + " 0 0 1 " + p(to);
    };
    C.svgEl("path", { class: "gauge-track", d: arc(0, 1), fill: "none", stroke: "#e3e6ea", "stroke-width": 18 }, chart.svg);
    const bar = C.svgEl("path", { class: "gauge-value", d: arc(0, Math.max(share, 0.001)), fill: "none", stroke: PALETTE[0], "stroke-width": 18 }, chart.svg);
    const text = C.formatNumber(value, fmtOf(result, m)) + (numeric(target) ? " of " + C.formatNumber(target, fmtOf(result, t)) : "");
    C.tooltip(bar, text);
    C.svgText(chart.svg, cx, cy - 6, C.formatNumber(value, fmtOf(result, m)), { "text-anchor": "middle", class: "gauge-label" });
    if (numeric(target)) C.svgText(chart.svg, cx, cy + 14, (share * 100).toFixed(0) + "% of " + C.formatNumber(target, fmtOf(result, t)), { "text-anchor": "middle", class: "axis-label" });
  }

  function boxPlot(container, result) {
    const idx = {};
    ["min", "q1", "median", "q3", "max"].forEach(function (k) { idx[k] = first(result, k); });
    const rows = result.rows.filter(function (r) { return numeric(r[idx.min]); });
    if (!rows.length) return C.empty(container);
    const chart = C.frame(container, []);
    const scale = C.niceScale(Math.min.apply(null, rows.map(function (r) { return r[idx.min]; })), Math.max.apply(null, rows.map(function (r) { return r[idx.max]; })), 5);
    const left = 48, bottom = 22, top = 8, fmt = fmtOf(result, idx.median);
    const y = function (v) { return chart.height - bottom - ((v - scale.min) / (scale.max - scale.min)) * (chart.height - top - bottom); };
    const band = (chart.width - left) / rows.length;
    scale.ticks.forEach(function (t) { C.svgText(chart.svg, left - 6, y(t) + 4, C.formatTick(t, fmt), { "text-anchor": "end", class: "axis-label" }); });
    rows.forEach(function (r, i) {
      const cx = left + i * band + band / 2, w = band * 0.5;
      C.svgEl("line", { class: "whisker", x1: cx, x2: cx, y1: y(r[idx.min]), y2: y(r[idx.max]), stroke: "#555" }, chart.svg);
      const box = C.svgEl("rect", { class: "box", x: cx - w / 2, width: w, y: y(r[idx.q3]), height: Math.max(y(r[idx.q1]) - y(r[idx.q3]), 1), fill: PALETTE[0], "fill-opacity": 0.5, stroke: PALETTE[0] }, chart.svg);
      C.svgEl("line", { class: "median", x1: cx - w / 2, x2: cx + w / 2, y1: y(r[idx.median]), y2: y(r[idx.median]), stroke: "#222", "stroke-width": 2 }, chart.svg);
      const name = label(result, r, "category") || "all rows";
      C.tooltip(box, name + ": median " + C.formatNumber(r[idx.median], fmt) + ", " + C.formatNumber(r[idx.q1], fmt) + " – " + C.formatNumber(r[idx.q3], fmt));
      C.svgText(chart.svg, cx, chart.height - 6, C.truncate(name, band - 2), { "text-anchor": "middle", class: "axis-label" });
    });
  }

  function histogram(container, result, options) {
    const values = result.rows.map(function (r) { return r[0]; }).filter(numeric);
    if (!values.length) return C.empty(container);
    const lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    const bins = Math.max(1, Math.min((options && options.bin_count) || 10, 100));
    const width = hi > lo ? (hi - lo) / bins : 1;
    const counts = new Array(bins).fill(0);
    values.forEach(function (v) { counts[Math.min(Math.floor((v - lo) / width), bins - 1)] += 1; });
    const fmt = fmtOf(result, 0);
    const binned = {
      columns: ["bin", "count"],
      fields: [{ label: "bin", role: "dimension", well: "category" }, { label: "Count", role: "measure", well: "value" }],
      rows: counts.map(function (n, i) { return [C.formatNumber(lo + i * width, fmt) + " – " + C.formatNumber(lo + (i + 1) * width, fmt), n]; }),
    };
    C.bar(container, binned, { orientation: "VERTICAL" });
  }

  function insight(container, result) {
    container.innerHTML = "";
    const box = document.createElement("div");
    box.className = "insight";
    (result.narrative || []).forEach(function (line) { box.appendChild(Object.assign(document.createElement("p"), { textContent: line })); });
    (result.problems || []).forEach(function (line) { box.appendChild(Object.assign(document.createElement("p"), { className: "muted", textContent: line })); });
    if (!box.childNodes.length) box.appendChild(Object.assign(document.createElement("p"), { className: "muted", textContent: "No insight" }));
    container.appendChild(box);
  }

  function emptyVisual(container) {
    container.innerHTML = "";
  }

  Object.assign(C.renderers, {
    WordCloudVisual: wordCloud,
    FunnelChartVisual: funnel,
    TreeMapVisual: treeMap,
    RadarChartVisual: radar,
    WaterfallVisual: waterfall,
    SankeyDiagramVisual: sankey,
    GaugeChartVisual: gauge,
    BoxPlotVisual: boxPlot,
    HistogramVisual: histogram,
    InsightVisual: insight,
    EmptyVisual: emptyVisual,
  });
})();
