/* Small inline-SVG charts for the dashboard viewer: KPI, bar, line, pie, table, pivot table, combo, scatter,
 * heat map and maps (points on a fitted equirectangular projection / shaded region tiles). No dependencies.
 *
 * Every renderer takes (container, result, options) where result is the visual endpoint's JSON:
 *   {columns: [...], rows: [[...]], fields: [{label, role, well, granularity, format}, ...]}
 */
(function () {
  "use strict";

  const SVG_NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#1f6fd1", "#ef8a17", "#2ca58d", "#d1495b", "#8e6bbf", "#edae49", "#00798c", "#7d8491", "#66a182", "#c06c84"];
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const CURRENCY_SYMBOLS = { USD: "$", EUR: "€", GBP: "£", JPY: "¥", INR: "₹", CAD: "CA$", AUD: "A$", CHF: "CHF " };
  const FONT = "11px system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";

  // ---- formatting ---------------------------------------------------------------------------------------

  const SCALES = { THOUSANDS: [1e3, "K"], MILLIONS: [1e6, "M"], BILLIONS: [1e9, "B"], TRILLIONS: [1e12, "T"] };

  function autoScale(v) {
    const a = Math.abs(v);
    if (a >= 1e12) return SCALES.TRILLIONS;
    if (a >= 1e9) return SCALES.BILLIONS;
    if (a >= 1e6) return SCALES.MILLIONS;
    if (a >= 1e4) return SCALES.THOUSANDS;
    return [1, ""];
  }

  /** A number as text: thousands separators, up to 2 decimals unless the format fixes them. */
  function formatNumber(value, fmt) {
    if (value === null || value === undefined || value === "") return "—";
    let v = typeof value === "number" ? value : Number(value);
    if (!Number.isFinite(v)) return String(value);
    fmt = fmt || {};
    let suffix = fmt.suffix || "";
    if (fmt.kind === "percent") { v *= 100; suffix = "%" + suffix; }
    const scale = fmt.scale === "AUTO" ? autoScale(v) : (SCALES[fmt.scale] || [1, ""]);
    v /= scale[0];
    const decimals = fmt.decimals;
    const options = decimals === null || decimals === undefined
      ? { maximumFractionDigits: 2 }
      : { minimumFractionDigits: decimals, maximumFractionDigits: decimals };
    const nf = new Intl.NumberFormat("en-US", options);
    let text = nf.format(Math.abs(v));
    const negative = v < 0 && text !== nf.format(0);
    if (fmt.kind === "currency") {
      const code = (fmt.symbol || "USD").toUpperCase();
      text = (CURRENCY_SYMBOLS[code] || code + " ") + text;
    }
    return (negative ? "-" : "") + (fmt.prefix || "") + text + scale[1] + suffix;
  }

  /** Short axis labels: 1.2K, 3.4M. */
  function formatTick(value, fmt) {
    const percent = fmt && fmt.kind === "percent";
    const v = percent ? value * 100 : value;
    const text = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 2 }).format(v);
    const symbol = fmt && fmt.kind === "currency" ? (CURRENCY_SYMBOLS[(fmt.symbol || "USD").toUpperCase()] || "") : "";
    return (v < 0 ? "-" + symbol + text.slice(1) : symbol + text) + (percent ? "%" : "");
  }

  /** A dimension value as text; dates follow the field's granularity. */
  function formatDimension(value, field) {
    if (value === null || value === undefined) return "(empty)";
    if (field && field.granularity && typeof value === "string") {
      const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/.exec(value);
      if (m) {
        const year = m[1], month = Number(m[2]), day = Number(m[3]);
        switch (field.granularity) {
          case "YEAR": return year;
          case "QUARTER": return "Q" + (Math.floor((month - 1) / 3) + 1) + " " + year;
          case "MONTH": return MONTHS[month - 1] + " " + year;
          case "WEEK": case "DAY": return MONTHS[month - 1] + " " + day + ", " + year;
          default: return m[1] + "-" + m[2] + "-" + m[3] + " " + (m[4] || "00") + ":" + (m[5] || "00");
        }
      }
    }
    if (typeof value === "number" && field && field.format) return formatNumber(value, field.format);
    return String(value);
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  function svgEl(tag, attrs, parent) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const key in attrs || {}) node.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(node);
    return node;
  }

  function svgText(parent, x, y, text, attrs) {
    const node = svgEl("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
    node.textContent = text;
    return node;
  }

  function tooltip(node, text) {
    svgEl("title", {}, node).textContent = text;
  }

  let measureContext = null;
  function textWidth(text) {
    if (!measureContext) {
      measureContext = document.createElement("canvas").getContext("2d");
      measureContext.font = FONT;
    }
    return measureContext.measureText(text).width;
  }

  function truncate(text, maxWidth) {
    if (textWidth(text) <= maxWidth) return text;
    let cut = text;
    while (cut.length > 1 && textWidth(cut + "…") > maxWidth) cut = cut.slice(0, -1);
    return cut + "…";
  }

  function niceStep(span, count) {
    const raw = span / Math.max(count, 1);
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const unit = raw / power;
    return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 2.5 ? 2.5 : unit <= 5 ? 5 : 10) * power;
  }

  /** A rounded [min, max] covering the values and zero, and its tick positions. */
  function niceScale(lo, hi, count) {
    lo = Math.min(0, lo);
    hi = Math.max(0, hi);
    if (lo === hi) hi = lo + 1;
    const step = niceStep(hi - lo, count);
    const min = Math.floor(lo / step) * step;
    const max = Math.ceil(hi / step) * step;
    const ticks = [];
    for (let t = min; t <= max + step / 2; t += step) ticks.push(Math.abs(t) < step / 1e6 ? 0 : t);
    return { min: min, max: max, ticks: ticks };
  }

  function frame(container, series) {
    container.innerHTML = "";
    const wrapper = document.createElement("div");
    wrapper.className = "chart-frame";
    if (series.length > 1) {
      const legend = document.createElement("div");
      legend.className = "legend";
      series.forEach(function (s, i) {
        const item = document.createElement("span");
        item.className = "legend-item";
        const swatch = document.createElement("span");
        swatch.className = "swatch";
        swatch.style.background = PALETTE[i % PALETTE.length];
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(s.label));
        legend.appendChild(item);
      });
      wrapper.appendChild(legend);
    }
    const area = document.createElement("div");
    area.className = "chart-area";
    wrapper.appendChild(area);
    container.appendChild(wrapper);
    const width = Math.max(area.clientWidth, 120);
    const height = Math.max(area.clientHeight, 80);
    const svg = svgEl("svg", { class: "chart", width: width, height: height, viewBox: "0 0 " + width + " " + height, role: "img" }, area);
    return { svg: svg, width: width, height: height };
  }

  function empty(container, text) {
    container.innerHTML = "";
    const node = document.createElement("div");
    node.className = "empty";
    node.textContent = text || "No data";
    container.appendChild(node);
  }

  function fieldsOf(result) {
    const fields = result.fields || result.columns.map(function (c) { return { label: c, role: "measure" }; });
    const index = function (predicate) { return fields.map(function (f, i) { return predicate(f) ? i : -1; }).filter(function (i) { return i >= 0; }); };
    return {
      fields: fields,
      category: index(function (f) { return f.role === "dimension" && f.well !== "color"; }),
      color: index(function (f) { return f.well === "color"; }),
      measures: index(function (f) { return f.role === "measure"; }),
    };
  }

  /**
   * Categories (in row order) and series: one per colour value when the visual has a Colors well,
   * else one per measure. values[series][category] is a number or null.
   */
  function pivot(result) {
    const f = fieldsOf(result);
    const catIndex = f.category[0];
    const categoryKeys = [];
    const categoryLabels = {};
    const series = [];
    const seriesIndex = {};
    const addSeries = function (key, label, field) {
      if (!(key in seriesIndex)) {
        seriesIndex[key] = series.length;
        series.push({ key: key, label: label, field: field, values: {} });
      }
      return series[seriesIndex[key]];
    };
    result.rows.forEach(function (row) {
      const raw = catIndex === undefined ? "" : row[catIndex];
      const key = JSON.stringify(raw);
      if (!(key in categoryLabels)) {
        categoryKeys.push(key);
        categoryLabels[key] = catIndex === undefined ? "" : formatDimension(raw, f.fields[catIndex]);
      }
      if (f.color.length) {
        const colorValue = row[f.color[0]];
        const measure = f.measures[0];
        const s = addSeries("c:" + JSON.stringify(colorValue), formatDimension(colorValue, f.fields[f.color[0]]), f.fields[measure]);
        s.values[key] = (s.values[key] || 0) + (row[measure] === null ? 0 : row[measure]);
      } else {
        f.measures.forEach(function (m) {
          const s = addSeries("m:" + m, f.fields[m].label, f.fields[m]);
          s.values[key] = row[m];
        });
      }
    });
    return { categories: categoryKeys.map(function (k) { return { key: k, label: categoryLabels[k] }; }), series: series, fields: f };
  }

  // ---- KPI ----------------------------------------------------------------------------------------------

  function kpi(container, result) {
    const f = fieldsOf(result);
    const m = well(result, "value").length ? well(result, "value")[0] : (f.measures.length ? f.measures[0] : 0);
    const target = well(result, "target")[0], trend = well(result, "trend")[0];
    const field = f.fields[m] || {};
    // with TrendGroups the rows are periods in order: the KPI is the latest, compared with the one before
    const last = result.rows.length ? result.rows[result.rows.length - 1] : null;
    const previous = trend !== undefined && result.rows.length > 1 ? result.rows[result.rows.length - 2] : null;
    const value = last ? last[m] : null;
    container.innerHTML = "";
    const box = document.createElement("div");
    box.className = "kpi";
    const number = document.createElement("div");
    number.className = "kpi-value";
    number.textContent = formatNumber(value, field.format);
    number.title = value === null || value === undefined ? "no value" : String(value);
    const label = document.createElement("div");
    label.className = "kpi-label";
    label.textContent = (field.label || "") + (trend !== undefined && last ? " · " + formatDimension(last[trend], f.fields[trend]) : "");
    box.appendChild(number);
    box.appendChild(label);
    const compare = function (base, text) {
      if (typeof value !== "number" || typeof base !== "number") return;
      const delta = document.createElement("div");
      delta.className = "kpi-comparison " + (value >= base ? "up" : "down");
      const percent = base !== 0 ? " (" + (value >= base ? "+" : "") + formatNumber(((value - base) / Math.abs(base)) * 100) + "%)" : "";
      delta.textContent = text + formatNumber(base, field.format) + percent;
      box.appendChild(delta);
    };
    if (target !== undefined && last) compare(last[target], "target ");
    if (previous) compare(previous[m], "previous ");
    container.appendChild(box);
    const size = Math.max(16, Math.min(container.clientHeight * 0.42, (container.clientWidth * 0.9) / Math.max(number.textContent.length * 0.62, 1), 64));
    number.style.fontSize = Math.round(size) + "px";
  }

  // ---- bar ----------------------------------------------------------------------------------------------

  function bar(container, result, options) {
    const data = pivot(result);
    if (!data.categories.length) return empty(container);
    const stacked = options && /STACKED/.test(options.arrangement || "");
    const vertical = options && options.orientation === "VERTICAL";
    const chart = frame(container, data.series);
    const lo = [], hi = [];
    data.categories.forEach(function (c) {
      let pos = 0, neg = 0;
      data.series.forEach(function (s) {
        const v = s.values[c.key] || 0;
        if (stacked) { if (v >= 0) pos += v; else neg += v; } else { lo.push(v); hi.push(v); }
      });
      if (stacked) { lo.push(neg); hi.push(pos); }
    });
    const fmt = data.series[0].field && data.series[0].field.format;
    (vertical ? verticalBars : horizontalBars)(chart, data, stacked, Math.min.apply(null, lo), Math.max.apply(null, hi), fmt);
  }

  function barSegments(data, c, stacked) {
    let pos = 0, neg = 0;
    return data.series.map(function (s, i) {
      const v = s.values[c.key];
      const value = v === null || v === undefined ? 0 : v;
      let start = 0;
      if (stacked) { start = value >= 0 ? pos : neg; if (value >= 0) pos += value; else neg += value; }
      return { series: s, index: i, start: start, end: start + value, value: v };
    });
  }

  function horizontalBars(chart, data, stacked, lo, hi, fmt) {
    const svg = chart.svg, W = chart.width, H = chart.height;
    const labels = data.categories.map(function (c) { return c.label; });
    const left = Math.min(W * 0.38, Math.max.apply(null, labels.map(textWidth)) + 14);
    const showValues = data.series.length === 1;
    const valueLabel = function (v) { return formatNumber(v, fmt); };
    const widest = showValues ? Math.max.apply(null, data.categories.map(function (c) { return textWidth(valueLabel(data.series[0].values[c.key])); })) : 0;
    const right = showValues ? Math.min(W * 0.25, widest + 12) : 16, top = 4, bottom = 22;
    const scale = niceScale(lo, hi, Math.max(2, Math.floor((W - left - right) / 80)));
    const x = function (v) { return left + ((v - scale.min) / (scale.max - scale.min)) * (W - left - right); };
    const band = (H - top - bottom) / data.categories.length;
    scale.ticks.forEach(function (t) {
      svgEl("line", { class: "grid", x1: x(t), x2: x(t), y1: top, y2: H - bottom }, svg);
      svgText(svg, x(t), H - bottom + 14, formatTick(t, fmt), { "text-anchor": "middle" });
    });
    svgEl("line", { class: "axis", x1: x(0), x2: x(0), y1: top, y2: H - bottom }, svg);
    const groupHeight = Math.max(2, band * 0.72);
    const barHeight = stacked ? groupHeight : groupHeight / data.series.length;
    data.categories.forEach(function (c, ci) {
      const y0 = top + ci * band + (band - groupHeight) / 2;
      if (band >= 9) svgText(svg, left - 8, top + ci * band + band / 2 + 4, truncate(c.label, left - 12), { "text-anchor": "end" });
      barSegments(data, c, stacked).forEach(function (seg) {
        const y = stacked ? y0 : y0 + seg.index * barHeight;
        const x1 = x(Math.min(seg.start, seg.end)), x2 = x(Math.max(seg.start, seg.end));
        const rect = svgEl("rect", { class: "bar", x: x1, y: y, width: Math.max(x2 - x1, seg.value ? 1 : 0), height: Math.max(barHeight - 1, 1), fill: PALETTE[seg.index % PALETTE.length], rx: 2 }, svg);
        tooltip(rect, c.label + " · " + seg.series.label + ": " + formatNumber(seg.value, seg.series.field && seg.series.field.format));
        if (showValues && band >= 11) {
          const v = seg.value;
          svgText(svg, v < 0 ? x1 - 4 : x2 + 4, y + barHeight / 2 + 4, valueLabel(v), { class: "value-label", "text-anchor": v < 0 ? "end" : "start" });
        }
      });
    });
  }

  function verticalBars(chart, data, stacked, lo, hi, fmt) {
    const svg = chart.svg, W = chart.width, H = chart.height;
    const scaleGuess = niceScale(lo, hi, 5);
    const left = Math.max.apply(null, scaleGuess.ticks.map(function (t) { return textWidth(formatTick(t, fmt)); })) + 12;
    const band = (W - left - 8) / data.categories.length;
    const rotate = data.categories.some(function (c) { return textWidth(c.label) > band - 4; });
    const bottom = rotate ? Math.min(H * 0.35, 16 + Math.max.apply(null, data.categories.map(function (c) { return textWidth(c.label); })) * 0.7) : 22;
    const top = 14;
    const scale = niceScale(lo, hi, Math.max(2, Math.floor((H - top - bottom) / 40)));
    const y = function (v) { return H - bottom - ((v - scale.min) / (scale.max - scale.min)) * (H - top - bottom); };
    scale.ticks.forEach(function (t) {
      svgEl("line", { class: "grid", x1: left, x2: W - 8, y1: y(t), y2: y(t) }, svg);
      svgText(svg, left - 6, y(t) + 4, formatTick(t, fmt), { "text-anchor": "end" });
    });
    svgEl("line", { class: "axis", x1: left, x2: W - 8, y1: y(0), y2: y(0) }, svg);
    const groupWidth = Math.max(2, band * 0.72);
    const barWidth = stacked ? groupWidth : groupWidth / data.series.length;
    const labelEvery = Math.max(1, Math.ceil(14 / band));
    data.categories.forEach(function (c, ci) {
      const cx = left + ci * band + band / 2;
      if (ci % labelEvery === 0) {
        if (rotate) svgText(svg, cx, H - bottom + 12, truncate(c.label, bottom * 1.3), { "text-anchor": "end", transform: "rotate(-35 " + cx + " " + (H - bottom + 12) + ")" });
        else svgText(svg, cx, H - bottom + 14, truncate(c.label, band - 4), { "text-anchor": "middle" });
      }
      barSegments(data, c, stacked).forEach(function (seg) {
        const x0 = left + ci * band + (band - groupWidth) / 2 + (stacked ? 0 : seg.index * barWidth);
        const y1 = y(Math.max(seg.start, seg.end)), y2 = y(Math.min(seg.start, seg.end));
        const rect = svgEl("rect", { class: "bar", x: x0, y: y1, width: Math.max(barWidth - 1, 1), height: Math.max(y2 - y1, seg.value ? 1 : 0), fill: PALETTE[seg.index % PALETTE.length], rx: 2 }, svg);
        tooltip(rect, c.label + " · " + seg.series.label + ": " + formatNumber(seg.value, seg.series.field && seg.series.field.format));
      });
    });
  }

  // ---- line ---------------------------------------------------------------------------------------------

  function line(container, result) {
    const data = pivot(result);
    if (!data.categories.length) return empty(container);
    const chart = frame(container, data.series);
    const svg = chart.svg, W = chart.width, H = chart.height;
    const values = [];
    data.series.forEach(function (s) { data.categories.forEach(function (c) { const v = s.values[c.key]; if (typeof v === "number") values.push(v); }); });
    const fmt = data.series[0].field && data.series[0].field.format;
    const guess = niceScale(Math.min.apply(null, values.concat([0])), Math.max.apply(null, values.concat([0])), 5);
    const left = Math.max.apply(null, guess.ticks.map(function (t) { return textWidth(formatTick(t, fmt)); })) + 12;
    const top = 10, bottom = 24, right = 14;
    const scale = niceScale(guess.min, guess.max, Math.max(2, Math.floor((H - top - bottom) / 40)));
    const n = data.categories.length;
    const inset = 16;
    const x = function (i) { return n === 1 ? (left + W - right) / 2 : left + inset + (i / (n - 1)) * (W - left - right - 2 * inset); };
    const y = function (v) { return H - bottom - ((v - scale.min) / (scale.max - scale.min)) * (H - top - bottom); };
    scale.ticks.forEach(function (t) {
      svgEl("line", { class: "grid", x1: left, x2: W - right, y1: y(t), y2: y(t) }, svg);
      svgText(svg, left - 6, y(t) + 4, formatTick(t, fmt), { "text-anchor": "end" });
    });
    svgEl("line", { class: "axis", x1: left, x2: W - right, y1: H - bottom, y2: H - bottom }, svg);
    const maxLabel = Math.max.apply(null, data.categories.map(function (c) { return textWidth(c.label); })) + 12;
    const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor((W - left - right) / maxLabel))));
    data.categories.forEach(function (c, i) {
      if (i % every === 0) svgText(svg, x(i), H - bottom + 15, c.label, { "text-anchor": "middle" });
    });
    data.series.forEach(function (s, si) {
      const color = PALETTE[si % PALETTE.length];
      let d = "", pen = "M";
      data.categories.forEach(function (c, i) {
        const v = s.values[c.key];
        if (typeof v !== "number") { pen = "M"; return; }
        d += pen + x(i).toFixed(1) + " " + y(v).toFixed(1) + " ";
        pen = "L";
      });
      svgEl("path", { class: "line", d: d.trim(), fill: "none", stroke: color, "stroke-width": 2.2, "stroke-linejoin": "round", "stroke-linecap": "round" }, svg);
      if (n <= 80) {
        data.categories.forEach(function (c, i) {
          const v = s.values[c.key];
          if (typeof v !== "number") return;
          const dot = svgEl("circle", { class: "point", cx: x(i), cy: y(v), r: n <= 30 ? 3.2 : 2.2, fill: "#fff", stroke: color, "stroke-width": 1.8 }, svg);
          tooltip(dot, c.label + " · " + s.label + ": " + formatNumber(v, s.field && s.field.format));
        });
      }
    });
  }

  // ---- pie ----------------------------------------------------------------------------------------------

  function arcPath(cx, cy, r, r0, a0, a1) {
    const large = a1 - a0 > Math.PI ? 1 : 0;
    const p = function (radius, a) { return (cx + radius * Math.sin(a)).toFixed(2) + " " + (cy - radius * Math.cos(a)).toFixed(2); };
    if (r0 > 0) {
      return "M" + p(r, a0) + " A" + r + " " + r + " 0 " + large + " 1 " + p(r, a1) + " L" + p(r0, a1) + " A" + r0 + " " + r0 + " 0 " + large + " 0 " + p(r0, a0) + " Z";
    }
    return "M" + cx + " " + cy + " L" + p(r, a0) + " A" + r + " " + r + " 0 " + large + " 1 " + p(r, a1) + " Z";
  }

  function pie(container, result, options) {
    const f = fieldsOf(result);
    const cat = f.category[0], m = f.measures[0];
    const slices = result.rows
      .map(function (row) { return { label: formatDimension(cat === undefined ? "" : row[cat], f.fields[cat]), value: row[m] }; })
      .filter(function (s) { return typeof s.value === "number" && s.value > 0; });
    const total = slices.reduce(function (sum, s) { return sum + s.value; }, 0);
    if (!slices.length || total <= 0) return empty(container);
    const fmt = f.fields[m] && f.fields[m].format;
    const chart = frame(container, []);
    const svg = chart.svg, W = chart.width, H = chart.height;
    const legendWidth = Math.min(W * 0.45, Math.max.apply(null, slices.map(function (s) { return textWidth(s.label); })) + 70);
    const legendRight = W - legendWidth > 140;
    const r = Math.max(20, Math.min(legendRight ? (W - legendWidth) / 2 : W / 2, legendRight ? H / 2 : H * 0.33) - 8);
    const cx = legendRight ? (W - legendWidth) / 2 : W / 2, cy = legendRight ? H / 2 : r + 8;
    const inner = { SMALL: 0.78, MEDIUM: 0.6, LARGE: 0.4 }[(options && options.arc_thickness) || ""] || 0;
    let angle = 0;
    slices.forEach(function (s, i) {
      const sweep = (s.value / total) * Math.PI * 2;
      const color = PALETTE[i % PALETTE.length];
      const node = sweep >= Math.PI * 2 - 1e-9
        ? svgEl("circle", { class: "slice", cx: cx, cy: cy, r: inner ? r * (1 + inner) / 2 : r, fill: inner ? "none" : color, stroke: inner ? color : "#fff", "stroke-width": inner ? r * (1 - inner) : 1 }, svg)
        : svgEl("path", { class: "slice", d: arcPath(cx, cy, r, r * inner, angle, angle + sweep), fill: color, stroke: "#fff", "stroke-width": 1.2 }, svg);
      tooltip(node, s.label + ": " + formatNumber(s.value, fmt) + " (" + formatNumber((s.value / total) * 100) + "%)");
      if (sweep > 0.35 && !inner) {
        const mid = angle + sweep / 2;
        svgText(svg, cx + r * 0.62 * Math.sin(mid), cy - r * 0.62 * Math.cos(mid) + 4, Math.round((s.value / total) * 100) + "%", { "text-anchor": "middle", class: "slice-label" });
      }
      angle += sweep;
    });
    if (inner) {
      svgText(svg, cx, cy + 6, formatNumber(total, fmt), { "text-anchor": "middle", class: "value-label center-label" });
    }
    const lx = legendRight ? W - legendWidth + 8 : 8;
    let ly = legendRight ? Math.max(12, cy - (slices.length * 18) / 2) : cy + r + 18;
    slices.forEach(function (s, i) {
      if (ly > H - 4) return;
      svgEl("rect", { x: lx, y: ly - 9, width: 10, height: 10, rx: 2, fill: PALETTE[i % PALETTE.length] }, svg);
      svgText(svg, lx + 16, ly, truncate(s.label, legendWidth - 70) + "  " + Math.round((s.value / total) * 1000) / 10 + "%");
      ly += 18;
    });
  }

  // ---- table --------------------------------------------------------------------------------------------

  function table(container, result, options) {
    const fields = fieldsOf(result).fields;
    container.innerHTML = "";
    const wrap = document.createElement("div");
    wrap.className = "table-wrap";
    const tableEl = document.createElement("table");
    tableEl.className = "data-table";
    const head = tableEl.createTHead().insertRow();
    const numeric = fields.map(function (f, i) {
      return f.role === "measure" || (result.rows.length > 0 && result.rows.every(function (r) { return r[i] === null || typeof r[i] === "number"; }));
    });
    fields.forEach(function (f, i) {
      const th = document.createElement("th");
      th.textContent = f.label || result.columns[i];
      if (numeric[i]) th.className = "num";
      head.appendChild(th);
    });
    const body = tableEl.createTBody();
    result.rows.forEach(function (row) {
      const tr = body.insertRow();
      row.forEach(function (value, i) {
        const td = tr.insertCell();
        const f = fields[i] || {};
        const asNumber = f.role === "measure" || (f.role === "value" && typeof value === "number");
        td.textContent = asNumber ? formatNumber(value, f.format) : formatDimension(value, f);
        if (numeric[i]) td.className = "num";
      });
    });
    wrap.appendChild(tableEl);
    if (!result.rows.length) {
      const none = document.createElement("div");
      none.className = "table-note empty-rows";
      none.textContent = "No rows match the current filters and parameters.";
      wrap.appendChild(none);
    }
    if (options && options.limit && result.rows.length >= options.limit) {
      const note = document.createElement("div");
      note.className = "table-note";
      note.textContent = "Showing the first " + result.rows.length + " rows.";
      wrap.appendChild(note);
    }
    container.appendChild(wrap);
  }

  // ---- shared by the visuals below ----------------------------------------------------------------------

  /** Indexes of the result columns of one field well ("row", "x", "bar", ...). */
  function well(result, name) {
    const fields = fieldsOf(result).fields;
    return fields.map(function (f, i) { return f.well === name ? i : -1; }).filter(function (i) { return i >= 0; });
  }

  function keyOf(row, indexes) {
    return JSON.stringify(indexes.map(function (i) { return row[i]; }));
  }

  function labelOf(row, indexes, fields) {
    return indexes.map(function (i) { return formatDimension(row[i], fields[i]); }).join(" · ");
  }

  function numbers(values) {
    return values.filter(function (v) { return typeof v === "number" && Number.isFinite(v); });
  }

  function intensity(v, lo, hi) {
    return hi > lo ? (v - lo) / (hi - lo) : 1;
  }

  /** Light-to-dark blue for value v in [lo, hi]. */
  function shade(v, lo, hi) {
    if (typeof v !== "number") return "#f1f3f6";
    const t = intensity(v, lo, hi);
    const mix = function (a, b) { return Math.round(a + (b - a) * t); };
    return "rgb(" + mix(222, 17) + "," + mix(235, 80) + "," + mix(247, 170) + ")";
  }

  function yAxis(svg, scale, x, y, fmt, anchor) {
    scale.ticks.forEach(function (t) {
      svgText(svg, x, y(t) + 4, formatTick(t, fmt), { "text-anchor": anchor });
    });
  }

  // ---- pivot table --------------------------------------------------------------------------------------

  function pivotTable(container, result, options) {
    const fields = fieldsOf(result).fields;
    const rowDims = well(result, "row"), colDims = well(result, "column"), measures = fieldsOf(result).measures;
    const rowTotals = Boolean(options && options.row_totals && colDims.length);  // one column: its total is itself
    const rowKeys = [], rowLabels = {}, colKeys = [], colLabels = {}, cells = {};
    result.rows.forEach(function (row) {
      const rk = keyOf(row, rowDims), ck = keyOf(row, colDims);
      if (!(rk in rowLabels)) { rowKeys.push(rk); rowLabels[rk] = rowDims.map(function (i) { return formatDimension(row[i], fields[i]); }); }
      if (!(ck in colLabels)) { colKeys.push(ck); colLabels[ck] = labelOf(row, colDims, fields); }
      cells[rk + "|" + ck] = row;
    });
    container.innerHTML = "";
    const wrap = document.createElement("div");
    wrap.className = "table-wrap";
    const tableEl = document.createElement("table");
    tableEl.className = "data-table pivot-table";
    const head = tableEl.createTHead();
    if (colDims.length) {
      const top = head.insertRow();
      rowDims.forEach(function () { top.appendChild(document.createElement("th")); });
      colKeys.forEach(function (ck) {
        const th = document.createElement("th");
        th.colSpan = Math.max(measures.length, 1);
        th.className = "pivot-column";
        th.textContent = colLabels[ck];
        top.appendChild(th);
      });
      if (rowTotals) top.appendChild(Object.assign(document.createElement("th"), { colSpan: measures.length, textContent: "Total", className: "pivot-column total" }));
    }
    const names = head.insertRow();
    rowDims.forEach(function (i) { names.appendChild(Object.assign(document.createElement("th"), { textContent: fields[i].label })); });
    const totalColumns = colKeys.length + (rowTotals ? 1 : 0);
    for (let c = 0; c < totalColumns; c++) {
      measures.forEach(function (m) { names.appendChild(Object.assign(document.createElement("th"), { textContent: fields[m].label, className: "num" })); });
    }
    const body = tableEl.createTBody();
    const columnTotals = {};
    rowKeys.forEach(function (rk) {
      const tr = body.insertRow();
      rowLabels[rk].forEach(function (label) { const th = document.createElement("th"); th.className = "pivot-row"; th.textContent = label; tr.appendChild(th); });
      const sums = measures.map(function () { return 0; });
      colKeys.forEach(function (ck) {
        const row = cells[rk + "|" + ck];
        measures.forEach(function (m, mi) {
          const td = tr.insertCell();
          td.className = "num cell";
          const v = row ? row[m] : null;
          td.textContent = row ? formatNumber(v, fields[m].format) : "";
          if (typeof v === "number") {
            sums[mi] += v;
            columnTotals[ck + "|" + mi] = (columnTotals[ck + "|" + mi] || 0) + v;
          }
        });
      });
      if (rowTotals) {
        measures.forEach(function (m, mi) { const td = tr.insertCell(); td.className = "num total"; td.textContent = formatNumber(sums[mi], fields[m].format); });
      }
    });
    if (options && options.column_totals && rowKeys.length) {
      const tr = body.insertRow();
      tr.className = "total-row";
      rowDims.forEach(function (_, i) { const th = document.createElement("th"); th.textContent = i === 0 ? "Total" : ""; tr.appendChild(th); });
      colKeys.forEach(function (ck) {
        measures.forEach(function (m, mi) { const td = tr.insertCell(); td.className = "num total"; td.textContent = formatNumber(columnTotals[ck + "|" + mi], fields[m].format); });
      });
    }
    wrap.appendChild(tableEl);
    if (!result.rows.length) {
      wrap.appendChild(Object.assign(document.createElement("div"), { className: "table-note empty-rows", textContent: "No rows match the current filters and parameters." }));
    }
    container.appendChild(wrap);
  }

  // ---- combo (bars + lines) -----------------------------------------------------------------------------

  function combo(container, result, options) {
    const fields = fieldsOf(result).fields;
    const cats = well(result, "category"), colors = well(result, "color");
    const barMeasures = well(result, "bar"), lineMeasures = well(result, "line");
    const categories = [], catIndex = {}, bars = [], barIndex = {}, lines = lineMeasures.map(function (m) { return { label: fields[m].label, field: fields[m], values: {} }; });
    const barSeries = function (key, label, field) {
      if (!(key in barIndex)) { barIndex[key] = bars.length; bars.push({ label: label, field: field, values: {} }); }
      return bars[barIndex[key]];
    };
    result.rows.forEach(function (row) {
      const key = keyOf(row, cats);
      if (!(key in catIndex)) { catIndex[key] = categories.length; categories.push({ key: key, label: labelOf(row, cats, fields) }); }
      if (colors.length && barMeasures.length) {
        const s = barSeries("c:" + keyOf(row, colors), labelOf(row, colors, fields), fields[barMeasures[0]]);
        s.values[key] = (s.values[key] || 0) + (row[barMeasures[0]] || 0);
      } else {
        barMeasures.forEach(function (m) { barSeries("m:" + m, fields[m].label, fields[m]).values[key] = row[m]; });
      }
      // with a Colors well the query is per colour: lines add the colours up (an approximation)
      lines.forEach(function (s, li) {
        const v = row[lineMeasures[li]];
        if (typeof v === "number") s.values[key] = (s.values[key] || 0) + v;
      });
    });
    if (!categories.length) return empty(container);
    const stacked = options && /STACKED/.test(options.arrangement || "");
    const legend = bars.map(function (s) { return { label: s.label }; }).concat(lines.map(function (s) { return { label: s.label }; }));
    const chart = frame(container, legend.length > 1 ? legend : []);
    const svg = chart.svg, W = chart.width, H = chart.height;
    const barTotals = categories.map(function (c) {
      const vs = bars.map(function (s) { return s.values[c.key] || 0; });
      return stacked ? [vs.filter(function (v) { return v < 0; }).reduce(function (a, b) { return a + b; }, 0), vs.filter(function (v) { return v > 0; }).reduce(function (a, b) { return a + b; }, 0)] : [Math.min.apply(null, vs.concat([0])), Math.max.apply(null, vs.concat([0]))];
    });
    const barFmt = bars.length ? bars[0].field.format : null, lineFmt = lines.length ? lines[0].field.format : null;
    const lineValues = numbers([].concat.apply([], lines.map(function (s) { return Object.values(s.values); })));
    const top = 12, bottom = 24;
    const barScale = niceScale(Math.min.apply(null, barTotals.map(function (t) { return t[0]; }).concat([0])), Math.max.apply(null, barTotals.map(function (t) { return t[1]; }).concat([0])), Math.max(2, Math.floor((H - top - bottom) / 40)));
    const lineScale = niceScale(Math.min.apply(null, lineValues.concat([0])), Math.max.apply(null, lineValues.concat([0])), barScale.ticks.length - 1);
    const left = Math.max.apply(null, barScale.ticks.map(function (t) { return textWidth(formatTick(t, barFmt)); })) + 12;
    const right = lines.length ? Math.max.apply(null, lineScale.ticks.map(function (t) { return textWidth(formatTick(t, lineFmt)); })) + 12 : 10;
    const yBar = function (v) { return H - bottom - ((v - barScale.min) / (barScale.max - barScale.min)) * (H - top - bottom); };
    const yLine = function (v) { return H - bottom - ((v - lineScale.min) / (lineScale.max - lineScale.min)) * (H - top - bottom); };
    barScale.ticks.forEach(function (t) { svgEl("line", { class: "grid", x1: left, x2: W - right, y1: yBar(t), y2: yBar(t) }, svg); });
    if (bars.length) yAxis(svg, barScale, left - 6, yBar, barFmt, "end");
    if (lines.length) yAxis(svg, lineScale, W - right + 6, yLine, lineFmt, "start");
    svgEl("line", { class: "axis", x1: left, x2: W - right, y1: yBar(0), y2: yBar(0) }, svg);
    const band = (W - left - right) / categories.length;
    const groupWidth = Math.max(2, band * 0.7);
    const barWidth = stacked || !bars.length ? groupWidth : groupWidth / bars.length;
    const labelEvery = Math.max(1, Math.ceil(Math.max.apply(null, categories.map(function (c) { return textWidth(c.label); })) / Math.max(band, 1)));
    categories.forEach(function (c, ci) {
      const cx = left + ci * band + band / 2;
      if (ci % labelEvery === 0) svgText(svg, cx, H - bottom + 15, truncate(c.label, band * labelEvery - 4), { "text-anchor": "middle" });
      let pos = 0, neg = 0;
      bars.forEach(function (s, si) {
        const v = s.values[c.key];
        const value = typeof v === "number" ? v : 0;
        let start = 0;
        if (stacked) { start = value >= 0 ? pos : neg; if (value >= 0) pos += value; else neg += value; }
        const x0 = left + ci * band + (band - groupWidth) / 2 + (stacked ? 0 : si * barWidth);
        const y1 = yBar(Math.max(start, start + value)), y2 = yBar(Math.min(start, start + value));
        const rect = svgEl("rect", { class: "bar", x: x0, y: y1, width: Math.max(barWidth - 1, 1), height: Math.max(y2 - y1, value ? 1 : 0), fill: PALETTE[si % PALETTE.length], rx: 2 }, svg);
        tooltip(rect, c.label + " · " + s.label + ": " + formatNumber(v, s.field.format));
      });
    });
    lines.forEach(function (s, li) {
      const color = PALETTE[(bars.length + li) % PALETTE.length];
      let d = "", pen = "M";
      categories.forEach(function (c, ci) {
        const v = s.values[c.key];
        if (typeof v !== "number") { pen = "M"; return; }
        d += pen + (left + ci * band + band / 2).toFixed(1) + " " + yLine(v).toFixed(1) + " ";
        pen = "L";
      });
      svgEl("path", { class: "line", d: d.trim(), fill: "none", stroke: color, "stroke-width": 2.2 }, svg);
      categories.forEach(function (c, ci) {
        const v = s.values[c.key];
        if (typeof v !== "number") return;
        const dot = svgEl("circle", { class: "point", cx: left + ci * band + band / 2, cy: yLine(v), r: 3, fill: "#fff", stroke: color, "stroke-width": 1.8 }, svg);
        tooltip(dot, c.label + " · " + s.label + ": " + formatNumber(v, s.field.format));
      });
    });
  }

  // ---- scatter ------------------------------------------------------------------------------------------

  function linearScale(values, lo, hi) {
    let min = Math.min.apply(null, values), max = Math.max.apply(null, values);
    if (min === max) { min -= 1; max += 1; }
    const step = niceStep(max - min, 5);
    min = Math.floor(min / step) * step;
    max = Math.ceil(max / step) * step;
    const ticks = [];
    for (let t = min; t <= max + step / 2; t += step) ticks.push(Math.abs(t) < step / 1e6 ? 0 : t);
    return { ticks: ticks, at: function (v) { return lo + ((v - min) / (max - min)) * (hi - lo); } };
  }

  function scatter(container, result, options) {
    const fields = fieldsOf(result).fields;
    const x = well(result, "x")[0], y = well(result, "y")[0], size = well(result, "size")[0];
    const cats = well(result, "category"), labels = well(result, "label");
    const points = result.rows.filter(function (r) { return typeof r[x] === "number" && typeof r[y] === "number"; });
    if (x === undefined || y === undefined || !points.length) return empty(container);
    // aggregated: one point per category (labelled); colours only tell categories apart when points are per label/row
    const groupOf = function (r) { return (options && options.unaggregated) || labels.length ? labelOf(r, cats, fields) : ""; };
    const groups = {}, groupList = [];
    points.forEach(function (r) {
      const g = groupOf(r);
      if (!(g in groups)) { groups[g] = groupList.length; groupList.push({ label: g }); }
    });
    const chart = frame(container, groupList.length > 1 ? groupList : []);
    const svg = chart.svg, W = chart.width, H = chart.height;
    const xf = fields[x].format, yf = fields[y].format;
    const left = 48, right = 14, top = 10, bottom = 34;
    const xs = linearScale(points.map(function (r) { return r[x]; }), left, W - right);
    const ys = linearScale(points.map(function (r) { return r[y]; }), H - bottom, top);
    xs.ticks.forEach(function (t) {
      svgEl("line", { class: "grid", x1: xs.at(t), x2: xs.at(t), y1: top, y2: H - bottom }, svg);
      svgText(svg, xs.at(t), H - bottom + 14, formatTick(t, xf), { "text-anchor": "middle" });
    });
    ys.ticks.forEach(function (t) {
      svgEl("line", { class: "grid", x1: left, x2: W - right, y1: ys.at(t), y2: ys.at(t) }, svg);
      svgText(svg, left - 6, ys.at(t) + 4, formatTick(t, yf), { "text-anchor": "end" });
    });
    svgText(svg, (left + W - right) / 2, H - 4, fields[x].label, { "text-anchor": "middle" });
    const sizes = size === undefined ? [] : numbers(points.map(function (r) { return r[size]; }));
    const maxSize = sizes.length ? Math.max.apply(null, sizes.map(Math.abs)) : 0;
    points.forEach(function (r) {
      const g = groupOf(r);
      const radius = maxSize > 0 && typeof r[size] === "number" ? 3 + 9 * Math.sqrt(Math.abs(r[size]) / maxSize) : 4.5;
      const dot = svgEl("circle", { class: "point", cx: xs.at(r[x]), cy: ys.at(r[y]), r: radius, fill: PALETTE[groups[g] % PALETTE.length], "fill-opacity": 0.75, stroke: "#fff" }, svg);
      const name = labelOf(r, cats.concat(labels), fields);
      tooltip(dot, (name ? name + " · " : "") + fields[x].label + ": " + formatNumber(r[x], xf) + ", " + fields[y].label + ": " + formatNumber(r[y], yf));
    });
  }

  // ---- heat map -----------------------------------------------------------------------------------------

  function heatMap(container, result) {
    const fields = fieldsOf(result).fields;
    const rowDims = well(result, "row"), colDims = well(result, "column"), m = fieldsOf(result).measures[0];
    if (!result.rows.length || m === undefined) return empty(container);
    const rows = [], rowIndex = {}, cols = [], colIndex = {};
    result.rows.forEach(function (r) {
      const rk = keyOf(r, rowDims), ck = keyOf(r, colDims);
      if (!(rk in rowIndex)) { rowIndex[rk] = rows.length; rows.push(labelOf(r, rowDims, fields)); }
      if (!(ck in colIndex)) { colIndex[ck] = cols.length; cols.push(labelOf(r, colDims, fields)); }
    });
    const values = numbers(result.rows.map(function (r) { return r[m]; }));
    const lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    const chart = frame(container, []);
    const svg = chart.svg, W = chart.width, H = chart.height;
    const left = Math.min(W * 0.3, Math.max.apply(null, rows.map(textWidth)) + 10), top = 18, right = 4, bottom = 4;
    const cw = (W - left - right) / cols.length, ch = (H - top - bottom) / rows.length;
    cols.forEach(function (c, i) { if (cw > 14) svgText(svg, left + (i + 0.5) * cw, top - 5, truncate(c, cw - 2), { "text-anchor": "middle" }); });
    rows.forEach(function (r, i) { if (ch > 9) svgText(svg, left - 5, top + (i + 0.5) * ch + 4, truncate(r, left - 8), { "text-anchor": "end" }); });
    result.rows.forEach(function (r) {
      const ri = rowIndex[keyOf(r, rowDims)], ci = colIndex[keyOf(r, colDims)];
      const cell = svgEl("rect", { class: "cell", x: left + ci * cw, y: top + ri * ch, width: Math.max(cw - 1, 1), height: Math.max(ch - 1, 1), fill: shade(r[m], lo, hi) }, svg);
      tooltip(cell, rows[ri] + " · " + cols[ci] + ": " + formatNumber(r[m], fields[m].format));
      if (cw > 40 && ch > 14) svgText(svg, left + (ci + 0.5) * cw, top + (ri + 0.5) * ch + 4, formatNumber(r[m], fields[m].format), { "text-anchor": "middle", class: "cell-label" + (intensity(r[m], lo, hi) > 0.55 ? " on-dark" : "") });
    });
  }

  // ---- maps (offline: no tiles, no shapes) --------------------------------------------------------------

  const LATITUDE = /^(lat|latitude|.*_lat|.*latitude)$/i, LONGITUDE = /^(lon|lng|long|longitude|.*_lon|.*_lng|.*longitude)$/i;

  /** [latitude index, longitude index] among the Geospatial well's columns, or null for a named place. */
  function latLon(result) {
    const fields = fieldsOf(result).fields, geo = well(result, "geo");
    if (geo.length < 2) return null;
    const name = function (i) { return fields[i].column || fields[i].label || ""; };
    const role = function (i, wanted, pattern) { return fields[i].geographic_role ? fields[i].geographic_role === wanted : pattern.test(name(i)); };
    const lat = geo.find(function (i) { return role(i, "LATITUDE", LATITUDE); });
    const lon = geo.find(function (i) { return role(i, "LONGITUDE", LONGITUDE); });
    return lat !== undefined && lon !== undefined ? [lat, lon] : [geo[0], geo[1]];
  }

  /** Points on an equirectangular projection fitted to the data, over a 10° graticule. */
  function pointMap(container, result, lat, lon) {
    const fields = fieldsOf(result).fields, m = fieldsOf(result).measures[0], colors = well(result, "color");
    const points = result.rows.filter(function (r) { return typeof r[lat] === "number" && typeof r[lon] === "number"; });
    if (!points.length) return empty(container, "No points with coordinates");
    const groups = {}, groupList = [];
    points.forEach(function (r) { const g = labelOf(r, colors, fields); if (!(g in groups)) { groups[g] = groupList.length; groupList.push({ label: g }); } });
    const chart = frame(container, groupList.length > 1 ? groupList : []);
    const svg = chart.svg, W = chart.width, H = chart.height, pad = 18;
    let south = Math.min.apply(null, points.map(function (r) { return r[lat]; })), north = Math.max.apply(null, points.map(function (r) { return r[lat]; }));
    let west = Math.min.apply(null, points.map(function (r) { return r[lon]; })), east = Math.max.apply(null, points.map(function (r) { return r[lon]; }));
    const spanLat = Math.max(north - south, 2), spanLon = Math.max(east - west, 2);
    south -= spanLat * 0.1; north += spanLat * 0.1; west -= spanLon * 0.1; east += spanLon * 0.1;
    const kx = Math.cos(((north + south) / 2) * Math.PI / 180);  // keep shapes roughly true at mid-latitude
    const scale = Math.min((W - 2 * pad) / ((east - west) * kx), (H - 2 * pad) / (north - south));
    // widen the shorter side so the map fills the card
    const extraLon = ((W - 2 * pad) / (scale * kx) - (east - west)) / 2, extraLat = ((H - 2 * pad) / scale - (north - south)) / 2;
    west -= extraLon; east += extraLon; south -= extraLat; north += extraLat;
    const ox = pad, oy = pad;
    const px = function (v) { return ox + (v - west) * kx * scale; }, py = function (v) { return oy + (north - v) * scale; };
    svgEl("rect", { class: "map-water", x: px(west), y: py(north), width: (east - west) * kx * scale, height: (north - south) * scale, fill: "#eef4fb", stroke: "#d6e2f0" }, svg);
    for (let g = Math.ceil(west / 10) * 10; g <= east; g += 10) svgEl("line", { class: "graticule", x1: px(g), x2: px(g), y1: py(north), y2: py(south) }, svg);
    for (let g = Math.ceil(south / 10) * 10; g <= north; g += 10) svgEl("line", { class: "graticule", x1: px(west), x2: px(east), y1: py(g), y2: py(g) }, svg);
    const values = m === undefined ? [] : numbers(points.map(function (r) { return r[m]; }));
    const maxValue = values.length ? Math.max.apply(null, values.map(Math.abs)) : 0;
    points.forEach(function (r) {
      const g = labelOf(r, colors, fields);
      const radius = maxValue > 0 && typeof r[m] === "number" ? 3 + 10 * Math.sqrt(Math.abs(r[m]) / maxValue) : 4;
      const dot = svgEl("circle", { class: "map-point", cx: px(r[lon]), cy: py(r[lat]), r: radius, fill: PALETTE[groups[g] % PALETTE.length], "fill-opacity": 0.7, stroke: "#fff" }, svg);
      tooltip(dot, r[lat].toFixed(3) + ", " + r[lon].toFixed(3) + (m === undefined ? "" : " · " + fields[m].label + ": " + formatNumber(r[m], fields[m].format)) + (g ? " · " + g : ""));
    });
    svgText(svg, W - 4, H - 4, "approximate projection, no base map (offline)", { "text-anchor": "end", class: "map-note" });
  }

  /** Named regions without shapes: one shaded tile per region, darker for larger values. */
  function regionTiles(container, result) {
    const fields = fieldsOf(result).fields, geo = well(result, "geo"), m = fieldsOf(result).measures[0];
    if (!result.rows.length) return empty(container);
    const values = m === undefined ? [] : numbers(result.rows.map(function (r) { return r[m]; }));
    const lo = Math.min.apply(null, values.concat([0])), hi = Math.max.apply(null, values.concat([0]));
    const chart = frame(container, []);
    const svg = chart.svg, W = chart.width, H = chart.height;
    const n = result.rows.length;
    const columns = Math.max(1, Math.ceil(Math.sqrt((n * W) / H)));
    const rows = Math.ceil(n / columns);
    const tw = W / columns, th = Math.min(H / rows, tw);
    result.rows.forEach(function (r, i) {
      const x = (i % columns) * tw, y = Math.floor(i / columns) * th;
      const v = m === undefined ? null : r[m];
      const tile = svgEl("rect", { class: "region", x: x + 1, y: y + 1, width: Math.max(tw - 2, 1), height: Math.max(th - 2, 1), rx: 3, fill: shade(v, lo, hi) }, svg);
      const name = labelOf(r, geo, fields);
      tooltip(tile, name + (m === undefined ? "" : ": " + formatNumber(v, fields[m].format)));
      if (th > 16 && tw > 30) svgText(svg, x + tw / 2, y + th / 2 + 4, truncate(name, tw - 6), { "text-anchor": "middle", class: "cell-label" + (typeof v === "number" && intensity(v, lo, hi) > 0.55 ? " on-dark" : "") });
    });
  }

  function geospatialMap(container, result) {
    const coordinates = latLon(result);
    return coordinates ? pointMap(container, result, coordinates[0], coordinates[1]) : regionTiles(container, result);
  }

  function unsupported(container, type, reason) {
    container.innerHTML = "";
    const box = document.createElement("div");
    box.className = "unsupported";
    box.textContent = "unsupported visual: " + type + (reason ? " (" + reason + ")" : "");
    container.appendChild(box);
  }

  window.QSCharts = {
    renderers: {
      KPIVisual: kpi,
      BarChartVisual: bar,
      LineChartVisual: line,
      PieChartVisual: pie,
      TableVisual: table,
      PivotTableVisual: pivotTable,
      ComboChartVisual: combo,
      ScatterPlotVisual: scatter,
      HeatMapVisual: heatMap,
      FilledMapVisual: regionTiles,
      GeospatialMapVisual: geospatialMap,
    },
    unsupported: unsupported,
    formatNumber: formatNumber,
    formatDimension: formatDimension,
    palette: PALETTE,
    // building blocks for charts_more.js
    svgEl: svgEl, svgText: svgText, tooltip: tooltip, frame: frame, empty: empty, well: well, labelOf: labelOf,
    keyOf: keyOf, shade: shade, niceScale: niceScale, truncate: truncate, textWidth: textWidth, formatTick: formatTick,
    bar: bar,
  };
})();
