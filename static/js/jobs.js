// One job's page (#job): poll its JSON every second and move the progress bar; when the job ends, reload
// once so the page shows the download, the error or the retry button as the server renders them.
"use strict";

(() => {
  const root = document.getElementById("job");
  if (!root || root.dataset.finished === "true") return;
  const url = root.dataset.url;
  const field = (name) => root.querySelector(`[data-field="${name}"]`);
  const set = (element, value) => {
    if (element && element.textContent !== String(value)) element.textContent = value;
  };

  function show(state) {
    const bar = field("bar");
    if (bar) {
      bar.value = state.percent;
      bar.textContent = `${state.percent}%`;
    }
    set(field("percent"), state.percent);
    set(field("count"), state.total ? `${state.done} / ${state.total}` : "");
    set(field("message"), state.message);
    set(field("status"), state.status_label);
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((state) => {
        show(state);
        if (state.finished) window.location.reload();
        else window.setTimeout(poll, document.hidden ? 4000 : 1000);
      })
      .catch(() => window.setTimeout(poll, 5000));
  }

  window.setTimeout(poll, 1000);
})();
