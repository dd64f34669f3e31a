// The signing wall (#wall): poll its small JSON endpoint every few seconds and update the figures and the
// latest signings in place, without a reload; a signing not shown before lights up for a moment. A failed
// poll keeps the last figures and says so in the footer; a hidden tab polls four times less often. The
// full-screen button shows where the browser allows it.
"use strict";

(() => {
  const root = document.getElementById("wall");
  if (!root) return;
  const list = root.querySelector("[data-latest]");
  const empty = root.querySelector("[data-empty]");
  const inKind = root.querySelector("[data-in-kind]");
  let shown = new Set(Array.from(list.children, (item) => item.dataset.id));

  const set = (key, value) => {
    const element = root.querySelector(`[data-figure="${key}"]`);
    if (element && element.textContent !== String(value)) element.textContent = value;
  };

  const span = (className, text) => {
    const element = document.createElement("span");
    element.className = className;
    element.textContent = text;
    return element;
  };

  function item(signing) {
    const row = document.createElement("li");
    row.className = "wall-item";
    row.dataset.id = String(signing.id);
    const who = span("wall-who", "");
    who.append(span("wall-sponsor", signing.sponsor), span("wall-project", signing.project));
    row.append(span("wall-when", signing.at), who, span("wall-given", signing.amount));
    if (!shown.has(String(signing.id))) row.classList.add("is-new");
    return row;
  }

  function show(numbers) {
    for (const key of ["signed", "in_kind", "projects", "agreements", "sponsors"]) set(key, numbers[key]);
    if (inKind) inKind.hidden = !numbers.in_kind_fen;
    list.replaceChildren(...numbers.latest.map(item));
    shown = new Set(numbers.latest.map((signing) => String(signing.id)));
    if (empty) empty.hidden = numbers.latest.length > 0;
  }

  const button = root.querySelector("[data-fullscreen]");
  if (button && document.fullscreenEnabled) {
    const update = () => { button.hidden = Boolean(document.fullscreenElement); };
    button.addEventListener("click", () => document.documentElement.requestFullscreen().catch(() => {}));
    document.addEventListener("fullscreenchange", update);
    update();
  }

  window.fairPoll(root, show, {offlineClass: "is-offline"});
})();
