// The live counters page (#counters): poll its small JSON endpoint every few seconds and update the figures
// in place, without a reload. A failed poll keeps the last figures and says so in the status line; a hidden
// tab polls four times less often.
"use strict";

(() => {
  const root = document.getElementById("counters");
  if (!root) return;

  const set = (element, value) => {
    if (element && element.textContent !== String(value)) element.textContent = value;
  };
  const bar = (element, value, most) => {
    if (!element) return;
    if (most !== undefined) element.max = most;
    element.value = value;
    element.textContent = value;
  };

  function show(numbers) {
    for (const key of ["day", "registered", "entered", "inside", "conflicts"]) {
      set(root.querySelector(`[data-counter="${key}"]`), numbers[key]);
    }
    for (const area of numbers.areas) {
      const row = root.querySelector(`[data-area="${area.id}"]`);
      if (!row) continue;
      set(row.querySelector('[data-field="inside"]'), area.inside);
      bar(row.querySelector('[data-field="inside-bar"]'), area.inside);
    }
    for (const point of numbers.points) {
      const row = root.querySelector(`[data-point="${point.id}"]`);
      if (row) set(row.querySelector('[data-field="admitted"]'), point.admitted);
    }
    const most = Math.max(1, ...numbers.hours);
    numbers.hours.forEach((count, hour) => {
      const row = root.querySelector(`[data-hour="${hour}"]`);
      if (!row) return;
      set(row.querySelector('[data-field="count"]'), count);
      bar(row.querySelector('[data-field="bar"]'), count, most);
    });
    for (const [reason, count] of Object.entries(numbers.refusals)) {
      set(root.querySelector(`[data-refusal="${reason}"]`), count);
    }
  }

  window.fairPoll(root, show);
})();
