// The wizard's live parts: the trunk's check and the test call's panel are fetched again every few
// seconds; the network step's page confirms the new setting as soon as the box answers it again.
(function () {
  "use strict";

  // The page fetched again and the live part taken from it: the page and its part never diverge.
  function refresh(element, every) {
    function once() {
      fetch(window.location.pathname, {credentials: "same-origin"}).then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      }).then(function (html) {
        const fresh = new DOMParser().parseFromString(html, "text/html").getElementById(element.id);
        if (fresh) element.innerHTML = fresh.innerHTML;
      }).catch(function () {}).finally(function () { setTimeout(once, every); });
    }
    setTimeout(once, every);
  }

  document.querySelectorAll("[data-refresh][id]").forEach(function (element) {
    refresh(element, parseInt(element.dataset.refresh, 10));
  });

  document.querySelectorAll(".print-sheet").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  const pending = document.getElementById("network-pending");
  if (pending) {
    let left = parseInt(pending.dataset.secondsLeft, 10);
    const countdown = document.getElementById("network-countdown");
    const result = document.getElementById("network-result");
    const started = Date.now();
    const settle = Math.max(0, parseInt(pending.dataset.settle, 10)) * 1000;
    let done = false;

    setInterval(function () {
      if (done) return;
      const now = Math.max(0, left - Math.floor((Date.now() - started) / 1000));
      countdown.textContent = String(now);
    }, 500);

    function confirm() {
      if (done) return;
      const body = new FormData();
      body.append("csrf_token", pending.dataset.csrf);
      fetch(pending.dataset.confirmUrl, {method: "POST", body: body, credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (answer) {
          if (answer.verdict === "wait") { setTimeout(confirm, 1000); return; }
          done = true;
          window.location.assign(answer.next);
        })
        .catch(function () {
          // the box does not answer at this address (yet): try again, and at the new address
          if (pending.dataset.newOrigin && Date.now() - started > settle) {
            fetch(pending.dataset.newOrigin + "/login", {mode: "no-cors"}).then(function () {
              done = true;
              window.location.assign(pending.dataset.newOrigin + pending.dataset.keepPath);
            }).catch(function () {});
          }
          setTimeout(confirm, 2000);
        });
    }
    setTimeout(confirm, settle);
  }
})();
