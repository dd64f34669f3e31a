// The dashboard and the "fair in numbers" page (#dashboard): poll their JSON endpoint (data-url) every
// data-every milliseconds and update in place: each [data-figure] from `display`, each progress bar from
// `figures`, the awards list, and each [data-chart] with the server's SVG (drawn and escaped there). A
// failed poll keeps the last figures and says so in the status line; a hidden tab polls four times less.
"use strict";

(() => {
  const root = document.getElementById("dashboard");
  if (!root) return;
  const charts = {};

  const set = (element, text) => {
    if (element.textContent !== text) element.textContent = text;
  };

  function showAwards(list, awards) {
    const items = awards.length ? awards : [[list.dataset.empty, null]];
    const text = JSON.stringify(items);
    if (list.dataset.shown === text) return;
    list.dataset.shown = text;
    list.replaceChildren(...items.map(([tier, count]) => {
      const item = document.createElement("li");
      if (count === null) {
        item.className = "text-muted";
        item.textContent = tier;
        return item;
      }
      const name = document.createElement("span");
      const number = document.createElement("span");
      name.textContent = tier;
      number.className = "console-award-count";
      number.textContent = count.toLocaleString("en-US");
      item.append(name, number);
      return item;
    }));
  }

  function show(data) {
    root.querySelectorAll("[data-figure]").forEach((element) => {
      const text = data.display[element.dataset.figure];
      if (text !== undefined) set(element, text);
    });
    root.querySelectorAll("progress[data-progress]").forEach((bar) => {
      bar.max = Math.max(1, data.figures[bar.dataset.of] || 0);
      bar.value = data.figures[bar.dataset.progress] || 0;
    });
    root.querySelectorAll("[data-awards]").forEach((list) => showAwards(list, data.awards));
    root.querySelectorAll("[data-chart]").forEach((box) => {
      const svg = data.charts[box.dataset.chart];
      if (svg === undefined || charts[box.dataset.chart] === svg) return;
      charts[box.dataset.chart] = svg;
      box.innerHTML = svg;
    });
  }

  window.fairPoll(root, show, {every: 10000});
})();
