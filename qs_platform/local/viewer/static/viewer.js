/* Dashboard page: loads the dashboard summary, draws sheets as tabs, parameter controls and the visual grid,
 * and asks the server for each visual's rows (computed by DuckDB) whenever a parameter changes.
 *
 * Page state for tests: <body data-status="loading|ready">, each visual <article data-state="loading|ready|error">.
 */
(function () {
  "use strict";

  const Charts = window.QSCharts;
  const TABLE_LIMIT = 1000;
  const DEFAULT_SPANS = { KPIVisual: [9, 5], TableVisual: [36, 12] };
  const state = {
    dashboardId: null,
    dashboard: null,
    sheet: null,
    params: {},
    filters: {},  // FilterId -> value chosen in a filter control (absent: the filter's own values)
    results: {},
    generations: {},
    lastRequested: null,
    pending: 0,
    refreshTimer: null,
  };

  const byId = function (id) { return document.getElementById(id); };

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function debounce(fn, ms) {
    let timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  // ---- server -------------------------------------------------------------------------------------------

  async function api(path, options) {
    let response;
    try {
      response = await fetch(path, options);
    } catch (error) {
      throw new Error("The viewer server is not reachable (" + error.message + ").");
    }
    let payload = null;
    try {
      payload = await response.json();
    } catch (error) {
      throw new Error("HTTP " + response.status + ": the server did not answer with JSON.");
    }
    if (!response.ok) {
      const failure = new Error((payload && payload.error) || "HTTP " + response.status);
      failure.payload = payload;
      failure.status = response.status;
      throw failure;
    }
    return payload;
  }

  function dashboardPath(suffix) {
    return "/api/dashboards/" + encodeURIComponent(state.dashboardId) + (suffix || "");
  }

  // ---- status -------------------------------------------------------------------------------------------

  function trackPending(delta) {
    state.pending += delta;
    document.body.dataset.status = state.pending > 0 ? "loading" : "ready";
  }

  function showPageError(message) {
    const box = byId("page-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  // ---- URL hash: #sheet=<id>&p.Name=value ----------------------------------------------------------------

  function readHash() {
    const result = { sheet: null, params: {} };
    new URLSearchParams(location.hash.replace(/^#/, "")).forEach(function (value, key) {
      if (key === "sheet") result.sheet = value;
      else if (key.indexOf("p.") === 0) {
        const name = key.slice(2);
        if (name in result.params) result.params[name] = [].concat(result.params[name], value);
        else result.params[name] = value;
      }
    });
    return result;
  }

  function writeHash() {
    const query = new URLSearchParams();
    if (state.sheet) query.append("sheet", state.sheet.sheet_id);
    state.dashboard.parameters.forEach(function (p) {
      const value = state.params[p.name];
      if (JSON.stringify(value) === JSON.stringify(p.default) || value === null || value === undefined) return;
      [].concat(value).forEach(function (v) { query.append("p." + p.name, v); });
    });
    history.replaceState(null, "", "#" + query.toString());
  }

  // ---- start --------------------------------------------------------------------------------------------

  async function init() {
    const parts = location.pathname.split("/").filter(Boolean);
    state.dashboardId = decodeURIComponent(parts[parts.length - 1] || "");
    trackPending(1);
    try {
      state.dashboard = await api(dashboardPath());
    } catch (error) {
      byId("dashboard-name").textContent = "Dashboard unavailable";
      showPageError(error.message);
      trackPending(-1);
      return;
    }
    const dashboard = state.dashboard;
    document.title = dashboard.name + " · qs-platform";
    byId("dashboard-name").textContent = dashboard.name;
    const hash = readHash();
    dashboard.parameters.forEach(function (p) {
      state.params[p.name] = p.name in hash.params ? hash.params[p.name] : p.default;
    });
    renderTabs(dashboard.sheets);
    const first = dashboard.sheets.find(function (s) { return s.sheet_id === hash.sheet; }) || dashboard.sheets[0];
    if (first) selectSheet(first.sheet_id);
    else showPageError("This dashboard has no sheets.");
    trackPending(-1);
    window.addEventListener("resize", debounce(redrawSheet, 150));
  }

  function renderTabs(sheets) {
    const nav = byId("sheet-tabs");
    nav.innerHTML = "";
    sheets.forEach(function (sheet) {
      const tab = element("button", "tab", sheet.name);
      tab.type = "button";
      tab.setAttribute("role", "tab");
      tab.dataset.sheetId = sheet.sheet_id;
      tab.addEventListener("click", function () { selectSheet(sheet.sheet_id); });
      nav.appendChild(tab);
    });
  }

  function selectSheet(sheetId) {
    state.sheet = state.dashboard.sheets.find(function (s) { return s.sheet_id === sheetId; });
    byId("sheet-tabs").querySelectorAll(".tab").forEach(function (tab) {
      tab.setAttribute("aria-selected", String(tab.dataset.sheetId === sheetId));
    });
    renderControls(state.sheet);
    renderGrid(state.sheet);
    refreshSheet(true);
  }

  // ---- grid ---------------------------------------------------------------------------------------------

  function place(node, layout, type) {
    const spans = DEFAULT_SPANS[type] || [18, 10];
    const columnSpan = Math.max(1, Math.min((layout && layout.column_span) || spans[0], 36));
    const rowSpan = Math.max(1, (layout && layout.row_span) || spans[1]);
    if (layout && layout.column !== null && layout.column !== undefined) {
      const column = Math.min(layout.column, 35);
      node.style.gridColumn = column + 1 + " / span " + Math.min(columnSpan, 36 - column);
    } else {
      node.style.gridColumn = "span " + columnSpan;
    }
    node.style.gridRow = layout && layout.row !== null && layout.row !== undefined
      ? layout.row + 1 + " / span " + rowSpan
      : "span " + rowSpan;
  }

  function visualCard(visual) {
    const card = element("article", "visual");
    card.id = "visual-" + visual.visual_id;
    card.dataset.visualId = visual.visual_id;
    card.dataset.visualType = visual.type;
    card.dataset.state = "loading";
    const header = element("div", "visual-header");
    header.appendChild(element("h2", "visual-title", visual.title));
    const toggle = element("button", "visual-sql-toggle", "SQL");
    toggle.type = "button";
    toggle.title = "Show the query behind this visual";
    toggle.addEventListener("click", function () { card.classList.toggle("show-sql"); });
    header.appendChild(toggle);
    header.appendChild(element("span", "visual-note"));
    card.appendChild(header);
    card.appendChild(element("div", "visual-body"));
    card.appendChild(element("pre", "visual-sql"));
    place(card, visual.layout, visual.type);
    return card;
  }

  function textBox(box) {
    const node = element("div", "text-box");
    (box.lines || [box.text]).forEach(function (line) { node.appendChild(element("p", null, line)); });
    place(node, box.layout, "TextBox");
    return node;
  }

  /** A title or text with ${Parameter} replaced by the parameter's current value, as QuickSight shows it. */
  function withParameters(text) {
    return String(text || "").replace(/\$\{([^{}]+)\}/g, function (whole, name) {
      if (!(name in state.params)) return whole;
      const value = state.params[name];
      return value === null || value === undefined ? "" : [].concat(value).join(", ");
    });
  }

  function refreshTitles() {
    state.sheet.visuals.forEach(function (visual) {
      const card = cardOf(visual.visual_id);
      if (card) card.querySelector(".visual-title").textContent = withParameters(visual.title);
    });
  }

  function renderGrid(sheet) {
    const grid = byId("sheet");
    grid.innerHTML = "";
    state.results = {};
    sheet.visuals.forEach(function (visual) { grid.appendChild(visualCard(visual)); });
    sheet.text_boxes.forEach(function (box) { grid.appendChild(textBox(box)); });
  }

  // ---- visuals ------------------------------------------------------------------------------------------

  function cardOf(visualId) {
    return byId("visual-" + visualId);
  }

  function refreshSheet(force) {
    const key = JSON.stringify([state.params, state.filters]);
    if (!force && key === state.lastRequested) return;
    state.lastRequested = key;
    writeHash();
    refreshTitles();
    state.sheet.visuals.forEach(loadVisual);
  }

  async function loadVisual(visual) {
    const card = cardOf(visual.visual_id);
    if (!visual.supported) {
      Charts.unsupported(card.querySelector(".visual-body"), visual.type, visual.unsupported_reason);
      card.dataset.state = "unsupported";
      return;
    }
    const generation = (state.generations[visual.visual_id] || 0) + 1;
    state.generations[visual.visual_id] = generation;
    card.dataset.state = "loading";
    trackPending(1);
    try {
      const result = await api(dashboardPath("/visuals/" + encodeURIComponent(visual.visual_id)), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        // inline_errors: a visual that cannot be computed answers 200 + {error}, so the browser logs nothing
        body: JSON.stringify({ parameters: state.params, filters: state.filters, sheet_id: state.sheet.sheet_id, inline_errors: true }),
      });
      if (state.generations[visual.visual_id] !== generation || !card.isConnected) return;
      if (result.error) {
        delete state.results[visual.visual_id];
        showVisualError(card, result.error, result.sql);
        return;
      }
      state.results[visual.visual_id] = result;
      draw(visual, card, result);
    } catch (error) {
      if (state.generations[visual.visual_id] !== generation || !card.isConnected) return;
      delete state.results[visual.visual_id];
      showVisualError(card, error.message, error.payload && error.payload.sql);
    } finally {
      trackPending(-1);
    }
  }

  function draw(visual, card, result) {
    const body = card.querySelector(".visual-body");
    const renderer = Charts.renderers[visual.type];
    if (!renderer) return showVisualError(card, visual.type + " visuals are not supported by the local viewer.");
    const params = Object.keys(result.params || {}).length ? "\n\n-- parameters: " + JSON.stringify(result.params) : "";
    card.querySelector(".visual-sql").textContent = result.sql + params;
    showNotes(card, result.notes || []);
    try {
      renderer(body, result, Object.assign({ limit: TABLE_LIMIT }, visual.options || {}));
      card.dataset.state = "ready";
    } catch (error) {
      showVisualError(card, "Could not draw this visual: " + error.message);
    }
  }

  /** What the viewer did differently for this visual (an undeclared filter parameter …), as a marked note. */
  function showNotes(card, notes) {
    const note = card.querySelector(".visual-note");
    note.textContent = notes.length ? "note" : "";
    note.title = notes.join("\n");
  }

  function showVisualError(card, message, sql) {
    const body = card.querySelector(".visual-body");
    body.innerHTML = "";
    const box = element("div", "visual-error");
    box.appendChild(element("strong", null, "Can't show this visual"));
    box.appendChild(element("p", null, message));
    body.appendChild(box);
    card.querySelector(".visual-sql").textContent = sql || "";
    card.dataset.state = "error";
  }

  function redrawSheet() {
    if (!state.sheet) return;
    state.sheet.visuals.forEach(function (visual) {
      const result = state.results[visual.visual_id];
      const card = cardOf(visual.visual_id);
      if (result && card && card.dataset.state === "ready") draw(visual, card, result);
    });
  }

  // ---- parameter controls -------------------------------------------------------------------------------

  function setParameter(name, value, immediately) {
    state.params[name] = value;
    clearTimeout(state.refreshTimer);
    if (immediately) refreshSheet(false);
    else state.refreshTimer = setTimeout(function () { refreshSheet(false); }, 200);
  }

  function renderControls(sheet) {
    const box = byId("controls");
    box.innerHTML = "";
    sheet.controls.forEach(function (control) {
      const node = buildControl(control);
      if (node) box.appendChild(node);
    });
    (sheet.filter_controls || []).forEach(function (control) {
      const node = buildFilterControl(control);
      if (node) box.appendChild(node);
    });
  }

  function buildControl(control) {
    const builders = {
      Slider: sliderControl,
      Dropdown: listControl,
      List: listControl,
      TextField: textControl,
      TextArea: textControl,
      DateTimePicker: dateControl,
    };
    const build = builders[control.kind];
    if (!build || !control.parameter) return null;
    const wrap = element("div", "control");
    wrap.dataset.controlId = control.control_id;
    wrap.dataset.parameter = control.parameter;
    const label = element("label", "control-title", control.title || control.parameter);
    label.htmlFor = "control-" + control.control_id;
    wrap.appendChild(label);
    const row = element("div", "control-row");
    build(control, row);
    wrap.appendChild(row);
    return wrap;
  }

  function sliderControl(control, row) {
    const min = control.min === null || control.min === undefined ? 0 : control.min;
    const max = control.max === null || control.max === undefined ? 100 : control.max;
    const input = element("input");
    input.type = "range";
    input.id = "control-" + control.control_id;
    input.min = min;
    input.max = max;
    input.step = control.step || 1;
    const current = state.params[control.parameter];
    input.value = current === null || current === undefined ? min : current;
    const output = element("output", null, Charts.formatNumber(Number(input.value)));
    output.htmlFor = input.id;
    input.addEventListener("input", function () {
      output.textContent = Charts.formatNumber(Number(input.value));
      setParameter(control.parameter, Number(input.value), false);
    });
    input.addEventListener("change", function () { setParameter(control.parameter, Number(input.value), true); });
    row.appendChild(input);
    row.appendChild(output);
  }

  function fillOptions(select, values, current, emptyLabel) {
    select.innerHTML = "";
    const selected = [].concat(current === null || current === undefined ? [] : current).map(String);
    const all = values.map(String);
    selected.forEach(function (v) { if (all.indexOf(v) < 0) all.unshift(v); });
    if (!select.multiple && !selected.length) all.unshift("");
    all.forEach(function (value) {
      const option = element("option", null, value === "" ? emptyLabel || "(not set)" : value);
      option.value = value;
      option.selected = selected.indexOf(value) >= 0;
      select.appendChild(option);
    });
  }

  // inline_errors: a control whose values cannot be computed answers 200 + {error}, so the browser logs nothing
  function controlValues(control) {
    return api(dashboardPath("/controls/" + encodeURIComponent(control.control_id) + "/values?inline_errors=1"))
      .then(function (payload) {
        if (payload.error) { throw new Error(payload.error); }
        return payload.values;
      });
  }

  function listControl(control, row) {
    const select = element("select");
    select.id = "control-" + control.control_id;
    select.multiple = control.multi;
    fillOptions(select, control.values, state.params[control.parameter]);
    if (control.linked) {
      controlValues(control)
        .then(function (values) { fillOptions(select, values, state.params[control.parameter]); })
        .catch(function (error) { select.title = error.message; select.classList.add("invalid"); });
    }
    select.addEventListener("change", function () {
      const chosen = Array.prototype.filter.call(select.options, function (o) { return o.selected && o.value !== ""; })
        .map(function (o) { return o.value; });
      setParameter(control.parameter, control.multi ? chosen : (chosen[0] === undefined ? null : chosen[0]), true);
    });
    row.appendChild(select);
  }

  function textControl(control, row) {
    const input = element("input");
    input.type = "text";
    input.id = "control-" + control.control_id;
    const current = state.params[control.parameter];
    input.value = current === null || current === undefined ? "" : current;
    input.addEventListener("change", function () { setParameter(control.parameter, input.value === "" ? null : input.value, true); });
    row.appendChild(input);
  }

  function dateControl(control, row) {
    const input = element("input");
    input.type = "date";
    input.id = "control-" + control.control_id;
    const current = state.params[control.parameter];
    input.value = typeof current === "string" ? current.slice(0, 10) : "";
    input.addEventListener("change", function () { setParameter(control.parameter, input.value || null, true); });
    row.appendChild(input);
  }

  // ---- filter controls (they set a filter's values; parameters are untouched) ----------------------------

  function setFilter(filterId, value, immediately) {
    state.filters[filterId] = value;
    clearTimeout(state.refreshTimer);
    if (immediately) refreshSheet(false);
    else state.refreshTimer = setTimeout(function () { refreshSheet(false); }, 200);
  }

  function filterValue(control) {
    return control.filter_id in state.filters ? state.filters[control.filter_id] : control.default;
  }

  function buildFilterControl(control) {
    const builders = {
      Dropdown: filterListControl,
      List: filterListControl,
      Slider: filterSliderControl,
      DateTimePicker: filterDateControl,
      TextField: filterTextControl,
      TextArea: filterTextControl,
      RelativeDateTime: filterTextControl,
    };
    const build = builders[control.kind];
    if (!build || !control.supported) return null;
    const wrap = element("div", "control filter-control");
    wrap.dataset.controlId = control.control_id;
    wrap.dataset.filterId = control.filter_id;
    const label = element("label", "control-title", control.title || control.column || control.filter_id);
    label.htmlFor = "control-" + control.control_id;
    wrap.appendChild(label);
    const row = element("div", "control-row");
    build(control, row);
    wrap.appendChild(row);
    return wrap;
  }

  function filterListControl(control, row) {
    const select = element("select");
    select.id = "control-" + control.control_id;
    select.multiple = control.multi;
    const current = filterValue(control);
    fillOptions(select, control.values, current, "(all)");
    if (control.linked) {
      controlValues(control)
        .then(function (values) { fillOptions(select, values, filterValue(control), "(all)"); })
        .catch(function (error) { select.title = error.message; select.classList.add("invalid"); });
    }
    select.addEventListener("change", function () {
      const chosen = Array.prototype.filter.call(select.options, function (o) { return o.selected && o.value !== ""; })
        .map(function (o) { return o.value; });
      setFilter(control.filter_id, chosen, true);
    });
    row.appendChild(select);
  }

  function rangeInput(control, id, value, onChange) {
    const input = element("input");
    input.type = "range";
    input.id = id;
    input.min = control.min === null || control.min === undefined ? 0 : control.min;
    input.max = control.max === null || control.max === undefined ? 100 : control.max;
    input.step = control.step || 1;
    input.value = value === null || value === undefined ? (id.endsWith("-max") ? input.max : input.min) : value;
    const output = element("output", null, Charts.formatNumber(Number(input.value)));
    input.addEventListener("input", function () { output.textContent = Charts.formatNumber(Number(input.value)); onChange(false); });
    input.addEventListener("change", function () { onChange(true); });
    return [input, output];
  }

  function filterSliderControl(control, row) {
    const current = filterValue(control);
    if (control.range) {
      const bounds = Array.isArray(current) ? current : [null, null];
      const low = rangeInput(control, "control-" + control.control_id, bounds[0], function (now) { update(now); });
      const high = rangeInput(control, "control-" + control.control_id + "-max", bounds[1], function (now) { update(now); });
      const update = function (now) { setFilter(control.filter_id, [Number(low[0].value), Number(high[0].value)], now); };
      low.concat(high).forEach(function (node) { row.appendChild(node); });
      return;
    }
    const single = rangeInput(control, "control-" + control.control_id, current, function (now) { setFilter(control.filter_id, Number(single[0].value), now); });
    single.forEach(function (node) { row.appendChild(node); });
  }

  function dateInput(id, value) {
    const input = element("input");
    input.type = "date";
    input.id = id;
    input.value = typeof value === "string" ? value.slice(0, 10) : "";
    return input;
  }

  function filterDateControl(control, row) {
    const current = filterValue(control);
    if (control.range) {
      const bounds = Array.isArray(current) ? current : [null, null];
      const from = dateInput("control-" + control.control_id, bounds[0]);
      const to = dateInput("control-" + control.control_id + "-max", bounds[1]);
      const update = function () { setFilter(control.filter_id, [from.value || null, to.value || null], true); };
      from.addEventListener("change", update);
      to.addEventListener("change", update);
      row.appendChild(from);
      row.appendChild(element("span", "muted", "to"));
      row.appendChild(to);
      return;
    }
    const input = dateInput("control-" + control.control_id, current);
    input.addEventListener("change", function () { setFilter(control.filter_id, input.value || null, true); });
    row.appendChild(input);
  }

  function filterTextControl(control, row) {
    const input = element("input");
    input.type = "text";
    input.id = "control-" + control.control_id;
    const current = filterValue(control);
    input.value = current === null || current === undefined ? "" : [].concat(current).join(", ");
    input.addEventListener("change", function () {
      const text = input.value.trim();
      const value = control.filter_kind === "CategoryFilter"
        ? text.split(",").map(function (v) { return v.trim(); }).filter(Boolean)
        : (text === "" ? null : text);
      setFilter(control.filter_id, value, true);
    });
    row.appendChild(input);
  }

  document.addEventListener("DOMContentLoaded", init);
})();
