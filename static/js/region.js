// A city <select data-province="ID"> offers only the cities of the province chosen in #ID.
// The page lists every province's cities in <optgroup>s, so the form works without this script.
"use strict";

document.querySelectorAll("select[data-province]").forEach((city) => {
  const province = document.getElementById(city.dataset.province);
  if (!province) return;
  const placeholder = city.querySelector("option[value='']");
  const groups = new Map(Array.from(city.querySelectorAll("optgroup"), (group) => [group.label, group]));
  const options = new Map(Array.from(groups, ([label, group]) => [label, Array.from(group.children)]));

  function narrow() {
    const chosen = city.value;
    const offered = options.get(province.value) || [];
    city.replaceChildren(...(placeholder ? [placeholder] : []), ...offered);
    const kept = offered.some((option) => option.value === chosen) ? chosen : "";
    city.value = offered.length === 1 ? offered[0].value : kept;      // a municipality is its own city
    city.disabled = offered.length === 0;
  }

  province.addEventListener("change", narrow);
  narrow();
});
