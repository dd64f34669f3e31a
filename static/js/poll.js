// Live pages (counters, dashboard, signing wall) poll a small JSON endpoint: `fairPoll(root, show, options)`
// fetches root.dataset.url every root.dataset.every milliseconds (or options.every) and hands the answer to
// `show`. A failed poll keeps what is shown and says so in the root's [data-status] element (its
// data-offline text, with options.offlineClass); a hidden tab polls four times less often.
"use strict";

window.fairPoll = (root, show, options = {}) => {
  const url = root.dataset.url;
  const every = parseInt(root.dataset.every, 10) || options.every || 5000;
  const offlineClass = options.offlineClass || "text-danger";
  const status = root.querySelector("[data-status]");
  const okText = status ? status.textContent : "";

  function poll() {
    fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin", cache: "no-store"})
      .then((response) => {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then((data) => {
        show(data);
        if (status) {
          status.textContent = okText;
          status.classList.remove(offlineClass);
        }
      })
      .catch(() => {
        if (status) {
          status.textContent = status.dataset.offline;
          status.classList.add(offlineClass);
        }
      })
      .finally(() => window.setTimeout(poll, document.hidden ? every * 4 : every));
  }

  window.setTimeout(poll, every);
};
