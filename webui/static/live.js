// Keeps the live board fresh: the server renders each update (the same template as the page) and this
// merges it into the page node by node, changing only what changed: rows are matched by their
// data-key, an element the user is typing in or has changed (a half-typed note, a chosen reason)
// keeps its value and focus. The waiting times tick between updates.
(function () {
  "use strict";
  const board = document.getElementById("board");
  if (!board || !window.EventSource) return;
  let renderedAt = Date.now();

  function keyOf(node) {
    return node.nodeType === Node.ELEMENT_NODE ? node.getAttribute("data-key") : null;
  }

  // A form field the user has touched keeps what they typed or chose.
  function edited(element) {
    if (element === document.activeElement) return true;
    if (element.tagName === "SELECT") {
      return Array.from(element.options).some(function (o) { return o.selected !== o.defaultSelected; });
    }
    if (element.type === "checkbox" || element.type === "radio") return element.checked !== element.defaultChecked;
    return (element.tagName === "INPUT" || element.tagName === "TEXTAREA") && element.value !== element.defaultValue;
  }

  function sameKind(a, b) {
    return a.nodeType === b.nodeType && a.nodeName === b.nodeName && keyOf(a) === keyOf(b);
  }

  function morphAttributes(from, to) {
    Array.from(from.attributes).forEach(function (a) { if (!to.hasAttribute(a.name)) from.removeAttribute(a.name); });
    Array.from(to.attributes).forEach(function (a) {
      if (from.getAttribute(a.name) !== a.value) from.setAttribute(a.name, a.value);
    });
  }

  function morph(from, to) {
    if (from.nodeType === Node.TEXT_NODE || from.nodeType === Node.COMMENT_NODE) {
      if (from.data !== to.data) from.data = to.data;
      return;
    }
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(from.tagName) && edited(from)) return;   // the user's, for now
    morphAttributes(from, to);
    morphChildren(from, to);
  }

  // The new children in order: a keyed one takes the old node of its key, another the next old node of
  // its kind (so a text node more or less, as at the stream's stripped start, shifts nothing); what is
  // left over of the old goes. Nodes are moved only when keyed rows change their order.
  function morphChildren(from, to) {
    const keyed = new Map();
    Array.from(from.childNodes).forEach(function (child) { if (keyOf(child)) keyed.set(keyOf(child), child); });
    let cursor = from.firstChild;
    Array.from(to.childNodes).forEach(function (next) {
      let match = null;
      if (keyOf(next)) {
        match = keyed.get(keyOf(next)) || null;
        if (match && !sameKind(match, next)) match = null;
      } else {
        for (let node = cursor; node; node = node.nextSibling) {
          if (!keyOf(node) && sameKind(node, next)) { match = node; break; }
        }
        // The old nodes skipped over go now, rather than the match be moved back over them: moving
        // an element takes the focus from whatever is typed in it.
        while (match && cursor !== match && !keyOf(cursor)) {
          const skipped = cursor;
          cursor = cursor.nextSibling;
          from.removeChild(skipped);
        }
      }
      if (match) {
        keyed.delete(keyOf(next));
        if (match !== cursor) from.insertBefore(match, cursor);
        morph(match, next);
        cursor = match.nextSibling;
      } else {
        from.insertBefore(next.cloneNode(true), cursor);
      }
    });
    while (cursor) {
      const rest = cursor.nextSibling;
      from.removeChild(cursor);
      cursor = rest;
    }
  }

  const source = new EventSource(board.dataset.stream);
  source.addEventListener("board", function (event) {
    const next = document.createElement("div");
    next.innerHTML = event.data;
    morphChildren(board, next);
    // The stream's forms come without a CSRF token (one rendering serves every reader): the page's.
    const token = document.querySelector('header input[name="csrf_token"]');
    board.querySelectorAll('input[name="csrf_token"]').forEach(function (input) {
      if (token && !input.value) input.value = token.value;
    });
    renderedAt = Date.now();
    board.dataset.updated = String(renderedAt);
  });

  function clock(seconds) {
    seconds = Math.round(seconds);
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  setInterval(function () {
    const elapsed = (Date.now() - renderedAt) / 1000;
    board.querySelectorAll("[data-waited]").forEach(function (cell) {
      const text = clock(parseFloat(cell.dataset.waited) + elapsed);
      if (cell.textContent !== text) cell.textContent = text;
    });
  }, 1000);
})();
