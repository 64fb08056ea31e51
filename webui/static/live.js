// Keeps the live board fresh: the server renders each update (the same template as the page),
// this swaps it in and lets the waiting times tick between updates.
(function () {
  "use strict";
  const board = document.getElementById("board");
  if (!board || !window.EventSource) return;
  let renderedAt = Date.now();

  const source = new EventSource(board.dataset.stream);
  source.addEventListener("board", function (event) {
    board.innerHTML = event.data;
    renderedAt = Date.now();
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
      cell.textContent = clock(parseFloat(cell.dataset.waited) + elapsed);
    });
  }, 1000);
})();
