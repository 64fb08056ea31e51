// The wallboard (STAT1): draws the figures the stream sends (GET /api/v1/wallboard's shape), changing
// only the numbers, colours and rows that changed; waits tick every second between updates; a stream
// that ends or fails is opened again, for a TV left on all day.
(function () {
  "use strict";
  const board = document.getElementById("wallboard");
  if (!board || !window.EventSource) return;
  const labels = JSON.parse(board.dataset.labels || "{}");
  const queues = document.getElementById("queues");
  const template = document.getElementById("queue-template");
  let receivedAt = Date.now();
  let source = null;

  function clock(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
  }

  function setText(element, text) {
    if (element.textContent !== text) element.textContent = text;
  }

  function value(figures, path) {
    return path.split(".").reduce(function (v, key) { return v == null ? v : v[key]; }, figures);
  }

  function show(tile, figures) {
    const name = tile.dataset.figure, kind = tile.dataset.kind, v = value(figures, name);
    const out = tile.querySelector(".value");
    if (kind === "clock") {
      if (v == null) { delete tile.dataset.seconds; setText(out, "–"); return; }
      tile.dataset.seconds = String(v);
      tile.toggleAttribute("data-ticking", name === "longest_wait_seconds" && figures.waiting > 0);
      setText(out, clock(v));
    } else if (kind === "percent") {
      setText(out, v == null ? "–" : Math.round(v * 100) + " %");
    } else {
      setText(out, v == null ? "–" : String(v));
    }
    if (kind === "paused") {
      const reasons = Object.entries(figures.agents.paused_by_reason || {})
        .map(function (e) { return e[0] + " " + e[1]; }).join(", ");
      setText(tile.querySelector(".detail"), reasons);
    }
    const colour = (figures.colours || {})[name] || "";
    if (tile.dataset.colour !== colour) {
      tile.dataset.colour = colour;
      tile.classList.remove("green", "amber", "red");
      if (colour) tile.classList.add(colour);
    }
  }

  function showScope(section, figures) {
    section.querySelectorAll("[data-figure]").forEach(function (tile) { show(tile, figures); });
  }

  function queueSection(figures) {
    const id = String(figures.queue_id);
    let section = queues.querySelector('[data-scope="' + id + '"]');
    if (!section) {
      section = template.content.firstElementChild.cloneNode(true);
      section.dataset.scope = id;
      queues.appendChild(section);
    }
    setText(section.querySelector(".name"), figures.queue);
    return section;
  }

  // Rows keyed by `key`: a row whose cells did not change is left as it is.
  function rows(tbody, items, key, cells, empty) {
    const wanted = new Set(items.map(key));
    tbody.querySelectorAll("tr").forEach(function (tr) { if (!wanted.has(tr.dataset.key)) tr.remove(); });
    if (!items.length && empty) {
      const tr = document.createElement("tr");
      tr.dataset.key = "";
      const td = document.createElement("td");
      td.colSpan = tbody.parentElement.querySelectorAll("thead th").length;
      td.className = "muted";
      td.textContent = empty;
      tr.appendChild(td);
      tbody.appendChild(tr);
      return;
    }
    items.forEach(function (item, index) {
      const k = key(item);
      let tr = tbody.querySelector('tr[data-key="' + CSS.escape(k) + '"]');
      if (!tr) { tr = document.createElement("tr"); tr.dataset.key = k; }
      const values = cells(item);
      while (tr.children.length < values.length) tr.appendChild(document.createElement("td"));
      values.forEach(function (cell, i) {
        const td = tr.children[i];
        if (cell.seconds != null) { td.dataset.seconds = String(cell.seconds); td.className = "num"; }
        setText(td, cell.text);
        if (cell.className && td.className !== cell.className) td.className = cell.className;
      });
      if (tbody.children[index] !== tr) tbody.insertBefore(tr, tbody.children[index] || null);
    });
  }

  function render(data) {
    receivedAt = Date.now();
    const down = board.querySelector(".engine-down");
    down.hidden = data.engine_running;
    setText(down, data.engine_running ? "" : labels.engine_down || "");
    showScope(board.querySelector('[data-scope="total"]'), data.total);
    const ids = new Set(data.queues.map(function (q) { return String(q.queue_id); }));
    queues.querySelectorAll("[data-scope]").forEach(function (s) { if (!ids.has(s.dataset.scope)) s.remove(); });
    data.queues.forEach(function (q) { showScope(queueSection(q), q); });
    rows(board.querySelector("#waiting-callers tbody"), data.waiting,
      function (w) { return w.queue_id + ":" + w.caller + ":" + w.position; },
      function (w) {
        return [{ text: w.queue }, { text: String(w.position == null ? "" : w.position), className: "num" },
          { text: w.caller }, { text: w.caller_input }, { text: clock(w.waited_seconds), seconds: w.waited_seconds }];
      }, labels.nobody_waiting);
    rows(board.querySelector("#roster tbody"), data.agents,
      function (a) { return String(a.agent_id); },
      function (a) {
        const state = (labels["state." + a.state] || a.state) + (a.pause_reason ? " (" + a.pause_reason + ")" : "");
        return [{ text: a.extension }, { text: a.name }, { text: state, className: "state " + a.state },
          a.since_seconds == null ? { text: "" } : { text: clock(a.since_seconds), seconds: a.since_seconds },
          { text: a.caller || "" }, { text: String(a.calls_today), className: "num" }];
      });
    board.dataset.updated = String(receivedAt);
  }

  function tick() {
    const elapsed = (Date.now() - receivedAt) / 1000;
    board.querySelectorAll("[data-ticking], td[data-seconds]").forEach(function (element) {
      const out = element.querySelector(".value") || element;
      setText(out, clock(parseFloat(element.dataset.seconds) + elapsed));
    });
  }

  function connect() {
    source = new EventSource(board.dataset.stream);
    source.addEventListener("wallboard", function (event) { render(JSON.parse(event.data)); });
    source.addEventListener("revoked", function () { source.close(); window.location.reload(); });
  }

  // EventSource retries by itself after a dropped stream; one refused outright (CLOSED) is opened again here.
  setInterval(function () {
    tick();
    if (source && source.readyState === EventSource.CLOSED) connect();
  }, 1000);
  connect();
})();
