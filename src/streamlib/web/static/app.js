// The streamlib page: the live graph, statistics, events and controls of one pipeline.
//
// Plain JavaScript, no build step. Everything it shows or changes goes through the web
// API beside it (docs/web.md): GET api/graph, POST api/operations/<name>, and two
// Server-Sent Event streams (api/stats/stream, api/events). cytoscape with
// cytoscape-dagre draws the graph, uPlot the sparklines (static/vendor/). A tap
// (api/taps/<processor>/<port>) shows a port live: MJPEG in an <img>, or audio levels.
"use strict";

const STATS_INTERVAL_MS = 500;
const HISTORY_SAMPLES = 120; // sparkline length: 60 s of snapshots at 500 ms
const STALLED_AFTER_MS = 1000; // a connection with no new frame this long while running
const MAX_LOGGED_EVENTS = 200;
const GRAPH_PADDING = 24;
const TAP_FPS = 5;
const TAP_WIDTH = 480;
const METER_FLOOR_DB = -60; // a level meter's left end

// Every kind of runtime event (streamlib.core's Event subclasses; tests/test_web_page.py
// keeps this list whole). EventSource hands a named event only to listeners of that name.
const EVENT_KINDS = [
  "runtime_started", "runtime_paused", "runtime_resumed", "runtime_stopped",
  "runtime_warned", "workers_regrouped", "processor_added", "processor_removed",
  "processor_started", "processor_stopped", "processor_errored", "processor_ended",
  "processor_state_changed", "connection_created", "connection_removed", "custom",
];
const GRAPH_CHANGES = new Set([
  "processor_added", "processor_removed", "connection_created", "connection_removed",
]);
// Which controls make sense in each runtime state (the server refuses the others anyway).
const CONTROLS_BY_STATE = {
  idle: ["start"], running: ["pause", "stop"], paused: ["resume", "stop"], stopped: ["start"],
};

const page = {
  cy: null,
  graph: { processors: {}, connections: [] },
  shape: "", // the graph's processors and connections, to redraw only when they change
  runtimeState: "unknown",
  droppedBefore: new Map(), // connection id -> dropped at the previous snapshot
  history: new Map(), // processor id -> { t, fps, cost } arrays for the sparklines
  plots: new Map(), // processor id -> { fps, cost } uPlot instances
  types: new Map(), // type name -> promise of describe_processor_type
  selected: null,
  snapshots: 0, // statistics snapshots received (tests wait on it)
};

const $ = (id) => document.getElementById(id);

// -- the token ----------------------------------------------------------------------
// A server off loopback needs its bearer token (docs/web.md). The page takes it from its
// address (`/#token=...`: a fragment never reaches the server or its logs) or asks for
// it, keeps it for this tab only, and sends it in a header. The streams the browser
// opens by itself (EventSource, the tap's <img>) cannot send a header: each gets a
// one-time ticket in its URL instead (POST api/tickets, with the token).

const TOKEN_KEY = "streamlib-token";
const auth = { token: sessionStorage.getItem(TOKEN_KEY) };

function takeTokenFromAddress() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (!token) return;
  auth.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  history.replaceState(null, "", location.pathname + location.search); // out of sight
}

function authorized(headers = {}) {
  return auth.token ? { ...headers, Authorization: `Bearer ${auth.token}` } : headers;
}

// `url` as the browser itself may open it: with a ticket when the server wants the token.
async function streamUrl(url) {
  if (!auth.token) return url;
  const response = await fetch("api/tickets", { method: "POST", headers: authorized() });
  if (!response.ok) throw new ApiError("invalid_token", "the server refused the token");
  const { ticket } = await response.json();
  return `${url}${url.includes("?") ? "&" : "?"}ticket=${encodeURIComponent(ticket)}`;
}

// Until the server takes the page's token (or needs none), ask for one.
async function authenticate() {
  for (;;) {
    const response = await fetch("api/tickets", { method: "POST", headers: authorized() });
    if (response.status !== 401) return;
    await askForToken(
      auth.token
        ? "The server refused that token. Enter its token:"
        : "This server needs its token (the one given to --token):",
    );
  }
}

function askForToken(message) {
  const form = $("token-form");
  $("token-message").textContent = message;
  form.hidden = false;
  $("token-input").focus();
  return new Promise((resolve) => {
    form.onsubmit = (event) => {
      event.preventDefault();
      auth.token = $("token-input").value.trim();
      sessionStorage.setItem(TOKEN_KEY, auth.token);
      $("token-input").value = "";
      form.hidden = true;
      resolve();
    };
  });
}

// -- the API ------------------------------------------------------------------------

class ApiError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

async function call(operation, args = {}) {
  const response = await fetch(`api/operations/${operation}`, {
    method: "POST",
    headers: authorized({ "Content-Type": "application/json" }),
    body: JSON.stringify(args),
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError("HTTPError", `${response.status} ${response.statusText}`);
  }
  if (!response.ok) {
    throw new ApiError(body.error || "HTTPError", body.message || body.error_description || "");
  }
  return body;
}

function describeType(name) {
  if (!page.types.has(name)) {
    const described = call("describe_processor_type", { name });
    described.catch(() => page.types.delete(name)); // try again next time
    page.types.set(name, described);
  }
  return page.types.get(name);
}

function showError(id, error) {
  const element = $(id);
  element.textContent = error instanceof Error ? error.message : String(error);
  element.hidden = false;
}

function clearError(id) {
  $(id).textContent = "";
  $(id).hidden = true;
}

// -- numbers as shown ---------------------------------------------------------------

function fixed(value, digits = 1) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
}

function milliseconds(value) {
  if (value === null || value === undefined) return "–";
  return value < 10 ? value.toFixed(2) : value.toFixed(0);
}

// -- the graph ----------------------------------------------------------------------

const GRAPH_STYLE = [
  {
    selector: "node",
    style: {
      shape: "round-rectangle",
      width: 210,
      height: 78,
      "background-color": "#f8f9fa",
      "border-width": 2,
      "border-color": "#adb5bd",
      label: "data(label)",
      "text-wrap": "wrap",
      "text-max-width": 200,
      "text-valign": "center",
      "font-family": "ui-monospace, monospace",
      "font-size": 11,
      color: "#212529",
    },
  },
  { selector: 'node[state = "running"]', style: { "border-color": "#2f9e44" } },
  { selector: 'node[state = "paused"]', style: { "border-color": "#868e96", "border-style": "dashed" } },
  { selector: 'node[state = "backing_off"]', style: { "border-color": "#f59f00" } },
  {
    selector: 'node[state = "failed"], node[state = "quarantined"], node[?erroring]',
    style: { "border-color": "#e03131", "background-color": "#fff5f5" },
  },
  { selector: "node:selected", style: { "border-width": 4, "border-color": "#1c7ed6" } },
  {
    selector: "edge",
    style: {
      width: 2,
      "curve-style": "bezier",
      "line-color": "#adb5bd",
      "target-arrow-color": "#adb5bd",
      "target-arrow-shape": "triangle",
      label: "data(label)",
      "text-wrap": "wrap",
      "font-family": "ui-monospace, monospace",
      "font-size": 10,
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.9,
      "text-background-padding": 2,
    },
  },
  {
    selector: 'edge[health = "stalled"]',
    style: { "line-color": "#f59f00", "target-arrow-color": "#f59f00", color: "#b35c00" },
  },
  {
    selector: 'edge[health = "dropping"]',
    style: { "line-color": "#e03131", "target-arrow-color": "#e03131", color: "#c92a2a" },
  },
];

function createGraphView() {
  page.cy = cytoscape({
    container: $("graph"),
    style: GRAPH_STYLE,
    minZoom: 0.3,
    maxZoom: 2,
    wheelSensitivity: 0.2,
    boxSelectionEnabled: false,
  });
  page.cy.on("tap", "node", (event) => select(event.target.id()));
  // A connection shows what flows through it: its output's tap.
  page.cy.on("tap", "edge", (event) => openTap(event.target.id().split("->")[0]));
  // The panel's height follows the side panel's: keep the graph fitted to it.
  new ResizeObserver(() => {
    page.cy.resize();
    page.cy.fit(undefined, GRAPH_PADDING);
  }).observe($("graph"));
}

function nodeLabel(id, processor, stats) {
  const type = processor ? processor.type : "";
  if (!stats) return `${id}\n${type}\n${processor && processor.state ? processor.state : "added"}`;
  return (
    `${id}\n${type}\n${stats.state} · ${fixed(stats.fps)} fps · ${stats.errors} err\n` +
    `p50 ${milliseconds(stats.process_ms_p50)} / p99 ${milliseconds(stats.process_ms_p99)} ms`
  );
}

function edgeLabel(connection, stats) {
  const ports = `${connection.from.split(".").pop()} → ${connection.to.split(".").pop()}`;
  if (!stats) return ports;
  const age = stats.newest_age_ms === null ? "–" : `${milliseconds(stats.newest_age_ms)} ms`;
  return `${ports}\n${stats.depth}/${stats.capacity} · drop ${stats.dropped} · ${age}`;
}

function connectionId(connection) {
  return `${connection.from}->${connection.to}`;
}

async function loadGraph() {
  const response = await fetch("api/graph", { headers: authorized() });
  const reply = await response.json();
  if (!response.ok) throw new ApiError(reply.error, reply.message);
  page.graph = reply.graph;
  const states = reply.processor_states || {};
  for (const [id, processor] of Object.entries(page.graph.processors)) {
    processor.state = states[id];
  }
  const shape = JSON.stringify([
    Object.keys(page.graph.processors).sort(),
    page.graph.connections.map(connectionId).sort(),
  ]);
  if (shape !== page.shape) {
    page.shape = shape;
    drawGraph();
    renderProcessorRows();
    refreshPortChoices();
  }
  if (page.selected && !(page.selected in page.graph.processors)) select(null);
  else if (page.selected) renderDetail();
}

let graphReload = null;
function scheduleGraphReload() {
  // Several events arrive together (a pipeline file adds many): reload once.
  if (graphReload) return;
  graphReload = setTimeout(() => {
    graphReload = null;
    loadGraph().catch((error) => showError("control-error", error));
  }, 100);
}

function drawGraph() {
  const cy = page.cy;
  const elements = [];
  for (const [id, processor] of Object.entries(page.graph.processors)) {
    elements.push({
      group: "nodes",
      data: { id, label: nodeLabel(id, processor, null), state: processor.state || "added" },
    });
  }
  for (const connection of page.graph.connections) {
    elements.push({
      group: "edges",
      data: {
        id: connectionId(connection),
        source: connection.from.split(".")[0],
        target: connection.to.split(".")[0],
        label: edgeLabel(connection, null),
      },
    });
  }
  cy.elements().remove();
  cy.add(elements);
  cy.layout({ name: "dagre", rankDir: "LR", nodeSep: 40, rankSep: 170, padding: GRAPH_PADDING })
    .run();
  if (page.selected) cy.getElementById(page.selected).select();
  $("graph-empty").hidden = elements.length > 0;
}

// -- statistics ---------------------------------------------------------------------

function onStats(snapshot) {
  page.snapshots += 1;
  document.body.dataset.snapshots = String(page.snapshots);
  showRuntimeState(snapshot.state, snapshot.uptime_s);
  const ids = Object.keys(snapshot.processors);
  if (ids.sort().join() !== Object.keys(page.graph.processors).sort().join()) {
    scheduleGraphReload();
  }

  const now = Date.now() / 1000;
  for (const [id, stats] of Object.entries(snapshot.processors)) {
    const node = page.cy.getElementById(id);
    if (node.nonempty()) {
      node.data({
        label: nodeLabel(id, page.graph.processors[id], stats),
        state: stats.state,
        erroring: stats.errors > 0 && stats.last_error !== null,
      });
    }
    record(id, now, stats);
    updateRow(id, stats);
  }
  for (const stats of snapshot.connections) {
    const edge = page.cy.getElementById(stats.id);
    const before = page.droppedBefore.get(stats.id);
    page.droppedBefore.set(stats.id, stats.dropped);
    if (edge.empty()) continue;
    let health = "ok";
    if (before !== undefined && stats.dropped > before) health = "dropping";
    else if (
      snapshot.state === "running" &&
      stats.newest_age_ms !== null &&
      stats.newest_age_ms > STALLED_AFTER_MS
    ) {
      health = "stalled";
    }
    edge.data({ label: edgeLabel(stats, stats), health });
  }
  if (page.selected && snapshot.processors[page.selected]) {
    renderDetailStats(snapshot.processors[page.selected]);
  }
}

function showRuntimeState(state, uptime) {
  const badge = $("runtime-state");
  badge.textContent = state;
  badge.dataset.state = state;
  $("uptime").textContent = uptime ? `${uptime.toFixed(0)} s` : "";
  if (state !== page.runtimeState) {
    page.runtimeState = state;
    const allowed = CONTROLS_BY_STATE[state];
    for (const button of document.querySelectorAll("#controls button")) {
      button.disabled = allowed !== undefined && !allowed.includes(button.dataset.operation);
    }
    if (page.selected) renderDetail(); // which fields are editable depends on the state
  }
}

function record(id, now, stats) {
  if (!page.history.has(id)) page.history.set(id, { t: [], fps: [], cost: [] });
  const history = page.history.get(id);
  history.t.push(now);
  history.fps.push(stats.fps);
  history.cost.push(stats.process_ms_p50);
  if (history.t.length > HISTORY_SAMPLES) {
    for (const series of Object.values(history)) series.shift();
  }
  const plots = page.plots.get(id);
  if (plots) {
    plots.fps.setData([history.t, history.fps]);
    plots.cost.setData([history.t, history.cost]);
  }
}

// -- the processor table --------------------------------------------------------------

function sparkline(container, color) {
  const options = {
    width: 150,
    height: 30,
    cursor: { show: false },
    legend: { show: false },
    select: { show: false },
    // From 0: a steady 30 fps reads as a flat line, not as noise blown up to full height.
    scales: { x: { time: false }, y: { range: (plot, low, high) => [0, high > 0 ? high * 1.15 : 1] } },
    axes: [{ show: false }, { show: false }],
    series: [{}, { stroke: color, width: 1.5, fill: `${color}22`, points: { show: false } }],
  };
  return new uPlot(options, [[], []], container);
}

function cell(row, className, text = "") {
  const td = row.insertCell();
  td.className = className;
  td.textContent = text;
  return td;
}

function renderProcessorRows() {
  const body = $("processors").tBodies[0];
  for (const plots of page.plots.values()) {
    plots.fps.destroy();
    plots.cost.destroy();
  }
  page.plots.clear();
  body.replaceChildren();
  for (const [id, processor] of Object.entries(page.graph.processors)) {
    const row = body.insertRow();
    row.dataset.processor = id;
    cell(row, "id", id);
    cell(row, "type", processor.type);
    cell(row, "state", processor.state || "added");
    for (const name of ["fps", "frames", "p50", "p99", "errors"]) cell(row, `${name} number`);
    const plots = {
      fps: sparkline(cell(row, "spark-fps"), "#1c7ed6"),
      cost: sparkline(cell(row, "spark-cost"), "#ae3ec9"),
    };
    page.plots.set(id, plots);
    const history = page.history.get(id);
    if (history) {
      plots.fps.setData([history.t, history.fps]);
      plots.cost.setData([history.t, history.cost]);
    }
    row.addEventListener("click", () => select(id));
    row.classList.toggle("selected", id === page.selected);
  }
  for (const id of page.history.keys()) {
    if (!(id in page.graph.processors)) page.history.delete(id);
  }
}

function updateRow(id, stats) {
  const row = document.querySelector(`#processors tr[data-processor="${CSS.escape(id)}"]`);
  if (!row) return;
  const set = (name, text) => {
    row.querySelector(`.${name}`).textContent = text;
  };
  set("state", stats.state);
  set("fps", fixed(stats.fps));
  set("frames", `${stats.frames_in} / ${stats.frames_out}`);
  set("p50", milliseconds(stats.process_ms_p50));
  set("p99", milliseconds(stats.process_ms_p99));
  set("errors", String(stats.errors));
  row.classList.toggle("failing", stats.errors > 0);
}

// -- the selected processor -------------------------------------------------------------

function select(id) {
  page.selected = id;
  page.cy.elements().unselect();
  if (id) page.cy.getElementById(id).select();
  for (const row of document.querySelectorAll("#processors tbody tr")) {
    row.classList.toggle("selected", row.dataset.processor === id);
  }
  clearError("config-error");
  $("config-result").textContent = "";
  renderDetail();
}

async function renderDetail() {
  const id = page.selected;
  const processor = id ? page.graph.processors[id] : undefined;
  $("detail-empty").hidden = processor !== undefined;
  $("detail-body").hidden = processor === undefined;
  if (!processor) return;
  $("detail-id").textContent = id;
  $("detail-type").textContent = processor.type;
  let described;
  try {
    described = await describeType(processor.type);
  } catch (error) {
    showError("config-error", error);
    return;
  }
  if (page.selected !== id) return; // another was selected meanwhile
  renderPorts(id, described);
  renderConfigForm(id, processor, described);
}

function renderDetailStats(stats) {
  const rows = [
    ["state", stats.state],
    ["fps", fixed(stats.fps)],
    ["frames in / out", `${stats.frames_in} / ${stats.frames_out}`],
    ["cost p50 / p99", `${milliseconds(stats.process_ms_p50)} / ${milliseconds(stats.process_ms_p99)} ms`],
    ["errors / restarts", `${stats.errors} / ${stats.restarts}`],
    ["worker", stats.worker || "–"],
  ];
  $("detail-stats").replaceChildren(
    ...rows.flatMap(([name, value]) => {
      const term = document.createElement("dt");
      term.textContent = name;
      const detail = document.createElement("dd");
      detail.textContent = value;
      return [term, detail];
    }),
  );
  if (stats.last_error) showError("detail-error", `last error: ${stats.last_error}`);
  else clearError("detail-error");
}

// The field's schema without a null alternative, and whether null is allowed.
function unwrapNullable(schema) {
  const options = schema.anyOf || schema.oneOf;
  if (!options) return [schema, Array.isArray(schema.type) && schema.type.includes("null")];
  const others = options.filter((option) => option.type !== "null");
  const nullable = others.length < options.length;
  return [others.length === 1 ? { ...schema, ...others[0] } : schema, nullable];
}

function inputFor(name, fieldSchema, value) {
  const [schema, nullable] = unwrapNullable(fieldSchema);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  let input;
  if (schema.enum) {
    input = document.createElement("select");
    const choices = nullable ? [null, ...schema.enum] : schema.enum;
    for (const choice of choices) {
      const option = new Option(choice === null ? "(none)" : String(choice), JSON.stringify(choice));
      option.selected = choice === value;
      input.add(option);
    }
    input.dataset.kind = "enum";
  } else if (type === "boolean") {
    input = document.createElement("input");
    input.type = "checkbox";
    input.checked = Boolean(value);
    input.dataset.kind = "boolean";
  } else if (type === "integer" || type === "number") {
    // No min/max on the input: the server checks, and its message is the one shown.
    input = document.createElement("input");
    input.type = "number";
    input.step = type === "integer" ? "1" : "any";
    input.value = value === null || value === undefined ? "" : String(value);
    input.dataset.kind = type;
  } else if (type === "string") {
    input = document.createElement("input");
    input.value = value === null || value === undefined ? "" : value;
    input.dataset.kind = "string";
  } else {
    input = document.createElement("input");
    input.value = JSON.stringify(value);
    input.dataset.kind = "json";
  }
  input.name = name;
  input.dataset.nullable = String(nullable);
  input.dataset.initial = JSON.stringify(value === undefined ? null : value);
  return input;
}

function valueOf(input) {
  const nullable = input.dataset.nullable === "true";
  switch (input.dataset.kind) {
    case "enum":
      return JSON.parse(input.value);
    case "boolean":
      return input.checked;
    case "integer":
    case "number":
      if (input.value.trim() === "") return nullable ? null : input.value;
      return Number(input.value);
    case "string":
      return input.value === "" && nullable ? null : input.value;
    default:
      try {
        return JSON.parse(input.value);
      } catch {
        return input.value; // sent as text: the server says what it expects
      }
  }
}

function rangeHint(schema) {
  const [inner] = unwrapNullable(schema);
  const low = inner.minimum ?? inner.exclusiveMinimum;
  const high = inner.maximum ?? inner.exclusiveMaximum;
  if (low === undefined && high === undefined) return "";
  return ` (${low ?? "…"}..${high ?? "…"})`;
}

function renderConfigForm(id, processor, described) {
  const schema = described.config_schema || { properties: {} };
  const live = new Set(described.live_fields || []);
  const running = page.runtimeState === "running" || page.runtimeState === "paused";
  const fields = $("config-fields");
  fields.replaceChildren();
  const legend = document.createElement("legend");
  legend.textContent = running ? "config (live fields editable while it runs)" : "config";
  fields.append(legend);
  for (const [name, fieldSchema] of Object.entries(schema.properties || {})) {
    const label = document.createElement("label");
    label.className = "field";
    label.title = fieldSchema.description || "";
    const caption = document.createElement("span");
    caption.textContent = name + rangeHint(fieldSchema);
    if (live.has(name)) {
      const badge = document.createElement("em");
      badge.className = "live";
      badge.textContent = "live";
      caption.append(" ", badge);
    }
    const input = inputFor(name, fieldSchema, processor.config[name]);
    input.disabled = running && !live.has(name);
    label.append(caption, input);
    fields.append(label);
  }
  $("config-apply").disabled = Object.keys(schema.properties || {}).length === 0;
}

async function applyConfig(event) {
  event.preventDefault();
  const id = page.selected;
  if (!id) return;
  clearError("config-error");
  const changes = {};
  for (const input of $("config-fields").querySelectorAll("[name]")) {
    if (input.disabled) continue;
    const value = valueOf(input);
    if (JSON.stringify(value) !== input.dataset.initial) changes[input.name] = value;
  }
  if (Object.keys(changes).length === 0) {
    $("config-result").textContent = "nothing changed";
    return;
  }
  $("config-result").textContent = "applying…";
  try {
    const reply = await call("set_config", { id, changes });
    page.graph.processors[id].config = reply.config;
    for (const input of $("config-fields").querySelectorAll("[name]")) {
      input.dataset.initial = JSON.stringify(reply.config[input.name] ?? null);
    }
    $("config-result").textContent = `applied (${reply.applied}): ${Object.keys(changes).join(", ")}`;
  } catch (error) {
    $("config-result").textContent = "";
    showError("config-error", error);
  }
}

// -- building: the catalogue and connections ------------------------------------------

async function loadCatalogue() {
  const reply = await call("list_processor_types");
  const select = $("add-type");
  select.replaceChildren();
  for (const type of reply.types) {
    const needs = type.permitted ? "" : ` (needs ${type.missing_permissions.join(", ")})`;
    const option = new Option(type.name + needs, type.name);
    option.disabled = !type.permitted;
    option.title = type.summary;
    select.add(option);
  }
  const summaries = new Map(reply.types.map((type) => [type.name, type.summary]));
  const showSummary = () => {
    $("add-summary").textContent = summaries.get(select.value) || "";
  };
  select.addEventListener("change", showSummary);
  showSummary();
}

async function refreshPortChoices() {
  const outputs = [];
  const inputs = [];
  for (const [id, processor] of Object.entries(page.graph.processors)) {
    try {
      const described = await describeType(processor.type);
      for (const port of described.outputs) outputs.push(`${id}.${port.name}`);
      for (const port of described.inputs) inputs.push(`${id}.${port.name}`);
    } catch {
      // a type the server cannot describe: its ports are simply not offered
    }
  }
  const connections = page.graph.connections.map(connectionId);
  for (const [selectId, choices] of [
    ["connect-from", outputs], ["connect-to", inputs], ["disconnect-connection", connections],
  ]) {
    const select = $(selectId);
    const previous = select.value;
    select.replaceChildren(...choices.map((choice) => new Option(choice, choice)));
    if (choices.includes(previous)) select.value = previous;
  }
}

async function build(operation, args, done) {
  clearError("build-error");
  $("build-result").textContent = "";
  try {
    const reply = await call(operation, args);
    $("build-result").textContent = done(reply);
    await loadGraph();
    return true;
  } catch (error) {
    showError("build-error", error);
    return false;
  }
}

// -- events -------------------------------------------------------------------------

function describeEvent(data) {
  const parts = [];
  if (data.processor_id) parts.push(data.processor_id);
  if (data.type_name) parts.push(data.type_name);
  if (data.connection_id) parts.push(data.connection_id);
  if (data.old && data.new) parts.push(`${data.old} → ${data.new}`);
  if (data.error_type) parts.push(`${data.error_type}: ${data.message}`);
  else if (data.message) parts.push(data.message);
  if (data.reason) parts.push(data.reason);
  if (data.name) parts.push(`${data.custom_topic}/${data.name}`);
  return parts.join(" · ");
}

function logEvent(kind, data) {
  const item = document.createElement("li");
  item.dataset.kind = kind;
  const time = document.createElement("time");
  time.textContent = new Date().toLocaleTimeString();
  const name = document.createElement("strong");
  name.textContent = kind;
  item.append(time, " ", name, " ", describeEvent(data));
  if (kind === "processor_errored" || kind === "runtime_warned") item.className = "bad";
  const log = $("events");
  log.prepend(item);
  while (log.children.length > MAX_LOGGED_EVENTS) log.lastElementChild.remove();
  if (data.dropped) $("stream-status").textContent = `${data.dropped} events missed (slow page)`;
  if (GRAPH_CHANGES.has(kind)) scheduleGraphReload();
}

// -- streams ------------------------------------------------------------------------

const REOPEN_AFTER_MS = 1000;

// An EventSource reconnects by itself, with the same URL: one whose ticket is spent is
// refused and closed, so it is opened again here with a fresh one.
async function openStream(url, listen) {
  let source;
  try {
    source = new EventSource(await streamUrl(url));
  } catch (error) {
    $("stream-status").textContent = "reconnecting…";
    setTimeout(() => openStream(url, listen), REOPEN_AFTER_MS);
    return;
  }
  listen(source);
  source.addEventListener("error", (event) => {
    if (event.data) return; // the server's own error event: handled by `listen`
    $("stream-status").textContent = "reconnecting…";
    if (source.readyState === EventSource.CLOSED) {
      setTimeout(() => openStream(url, listen), REOPEN_AFTER_MS);
    }
  });
  source.addEventListener("open", () => {
    $("stream-status").textContent = "";
  });
}

function openStreams() {
  openStream(`api/stats/stream?interval_ms=${STATS_INTERVAL_MS}`, (stats) => {
    stats.addEventListener("stats", (event) => onStats(JSON.parse(event.data)));
    stats.addEventListener("error", (event) => {
      if (!event.data) return;
      // the server's own error event: the pipeline's host closed
      showError("control-error", JSON.parse(event.data).message);
      stats.close();
    });
  });
  openStream("api/events", (events) => {
    for (const kind of EVENT_KINDS) {
      events.addEventListener(kind, (event) => logEvent(kind, JSON.parse(event.data)));
    }
  });
}

// -- start --------------------------------------------------------------------------

function wireControls() {
  for (const button of document.querySelectorAll("#controls button")) {
    button.addEventListener("click", async () => {
      clearError("control-error");
      try {
        const reply = await call(button.dataset.operation);
        if (reply.state) showRuntimeState(reply.state);
        const failed = Object.entries(reply.failed || {});
        if (failed.length) {
          showError("control-error", failed.map(([id, why]) => `${id}: ${why}`).join("; "));
        }
      } catch (error) {
        showError("control-error", error);
      }
    });
  }
  $("config-form").addEventListener("submit", applyConfig);
  $("tap-close").addEventListener("click", closeTap);
  $("add-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const args = { type: $("add-type").value };
    const id = $("add-id").value.trim();
    if (id) args.id = id;
    build("add_processor", args, (reply) => `added ${reply.id} (${reply.type})`);
  });
  $("connect-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const args = { from: $("connect-from").value, to: $("connect-to").value };
    build("connect", args, (reply) => `connected ${args.from} → ${args.to} (${reply.profile})`);
  });
  $("disconnect-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const [from, to] = $("disconnect-connection").value.split("->");
    build("disconnect", { from, to }, (reply) => `disconnected ${reply.disconnected}`);
  });
  $("detail-remove").addEventListener("click", () => {
    const id = page.selected;
    if (!id) return;
    build("remove_processor", { id }, (reply) => {
      const also = reply.connections_removed.length
        ? ` and ${reply.connections_removed.join(", ")}` : "";
      return `removed ${reply.removed}${also}`;
    }).then((removed) => removed && select(null));
  });
}

// -- taps ------------------------------------------------------------------------------

const tappable = (type) => type.startsWith("VideoFrame") || type.startsWith("AudioFrame");

// The selected processor's ports, each a button that opens its tap (video and audio).
function renderPorts(id, described) {
  const buttons = [];
  for (const [direction, ports] of [["out", described.outputs], ["in", described.inputs]]) {
    for (const port of ports) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "tap-port";
      button.dataset.port = `${id}.${port.name}`;
      button.dataset.kind = port.type.startsWith("AudioFrame") ? "audio" : "video";
      button.textContent = `${direction === "out" ? "▶" : "◀"} ${port.name}`;
      button.title = `${port.type}: watch it live`;
      button.disabled = !tappable(port.type);
      button.addEventListener("click", () => openTap(button.dataset.port, button.dataset.kind));
      buttons.push(button);
    }
  }
  $("detail-ports").replaceChildren(...buttons);
}

const tap = { port: null, source: null, readings: 0 };

function tapUrl(port) {
  const [processor, name] = port.split(".");
  const query = `fps=${TAP_FPS}&width=${TAP_WIDTH}`;
  return `api/taps/${encodeURIComponent(processor)}/${encodeURIComponent(name)}?${query}`;
}

// Why a tap could not open: the server's message (the <img> and EventSource cannot read
// an error body, so ask once more with fetch and hang up at once if it works this time).
async function explainTapFailure(port) {
  const controller = new AbortController();
  try {
    const response = await fetch(tapUrl(port), {
      signal: controller.signal,
      headers: authorized(),
    });
    if (!response.ok) {
      const body = await response.json();
      return body.message || body.error;
    }
    return "the tap ended (the pipeline stopped, or the port went away)";
  } catch (error) {
    return error.message;
  } finally {
    controller.abort();
  }
}

async function openTap(port, kind) {
  closeTap();
  if (!kind) {
    const id = port.split(".")[0];
    const processor = page.graph.processors[id];
    const described = processor ? await describeType(processor.type) : null;
    const spec = described && [...described.outputs, ...described.inputs].find(
      (candidate) => `${id}.${candidate.name}` === port,
    );
    kind = spec && spec.type.startsWith("AudioFrame") ? "audio" : "video";
  }
  tap.port = port;
  tap.readings = 0;
  $("tap").hidden = false;
  $("tap").dataset.kind = kind;
  $("tap-port").textContent = port;
  $("tap-status").textContent = "opening…";
  clearError("tap-error");
  const failed = async () => {
    if (tap.port !== port) return;
    const why = await explainTapFailure(port);
    if (tap.port !== port) return;
    stopTapStream();
    $("tap-status").textContent = "";
    showError("tap-error", why);
  };
  let url;
  try {
    url = await streamUrl(tapUrl(port));
  } catch (error) {
    showError("tap-error", error);
    return;
  }
  if (tap.port !== port) return; // another tap was opened meanwhile
  if (kind === "audio") {
    const source = new EventSource(url);
    tap.source = source;
    source.addEventListener("levels", (event) => showLevels(JSON.parse(event.data)));
    source.addEventListener("end", failed);
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) failed();
    });
    $("tap-levels").hidden = false;
  } else {
    const image = $("tap-image");
    image.onload = () => {
      $("tap-status").textContent = `${image.naturalWidth}×${image.naturalHeight}, ${TAP_FPS} fps`;
    };
    image.onerror = failed;
    image.src = url;
    image.hidden = false;
  }
}

function showLevels(reading) {
  tap.readings += 1;
  $("tap").dataset.readings = String(tap.readings);
  const meters = reading.rms_db.map((rms, channel) => {
    const peak = reading.peak_db[channel];
    const row = document.createElement("div");
    row.className = "meter";
    const bar = document.createElement("span");
    bar.className = "meter-bar";
    const rmsBar = document.createElement("span");
    rmsBar.className = "meter-rms";
    rmsBar.style.width = `${meterPercent(rms)}%`;
    const peakMark = document.createElement("span");
    peakMark.className = "meter-peak";
    peakMark.style.left = `${meterPercent(peak)}%`;
    bar.append(rmsBar, peakMark);
    const text = document.createElement("span");
    text.className = "meter-text";
    text.textContent = `ch ${channel + 1}: RMS ${fixed(rms)} · peak ${fixed(peak)} dBFS`;
    row.append(bar, text);
    return row;
  });
  const spectrum = document.createElement("div");
  spectrum.className = "spectrum";
  for (const band of reading.spectrum) {
    const column = document.createElement("span");
    column.style.height = `${meterPercent(band.db)}%`;
    column.title = `${band.low_hz}–${band.high_hz} Hz: ${fixed(band.db)} dBFS`;
    spectrum.append(column);
  }
  $("tap-levels").replaceChildren(...meters, spectrum);
  const pitch = reading.dominant_hz === null ? "" : ` · ${fixed(reading.dominant_hz)} Hz`;
  $("tap-status").textContent = `${reading.sample_rate} Hz · ${reading.channels} ch${pitch}`;
}

function meterPercent(db) {
  return Math.max(0, Math.min(100, (100 * (db - METER_FLOOR_DB)) / -METER_FLOOR_DB));
}

// Hang up: the server detaches the tap's consumer when the request goes away.
function stopTapStream() {
  if (tap.source) tap.source.close();
  tap.source = null;
  const image = $("tap-image");
  image.onload = image.onerror = null;
  image.removeAttribute("src");
  image.hidden = true;
}

function closeTap() {
  stopTapStream();
  tap.port = null;
  $("tap").hidden = true;
  $("tap-levels").replaceChildren();
  $("tap-levels").hidden = true;
  delete $("tap").dataset.readings;
}

async function main() {
  takeTokenFromAddress();
  createGraphView();
  wireControls();
  await authenticate();
  openStreams();
  try {
    await Promise.all([loadGraph(), loadCatalogue()]);
  } catch (error) {
    showError("control-error", error);
  }
  document.body.dataset.ready = "true";
}

main();
