/* The floor plan editor (templates/booths/plan_index.html), on top of plan.js's zoom: a 1 m grid over the
   hall; a click on an empty square opens the add-booth form with x and y filled in (the square shows where
   the booth would stand); a click on a booth opens its edit form; shift-click picks booths for "copy a row"
   (the same checkboxes as the booth list). Without this script the forms and the list do all of it. */
(function () {
  "use strict";

  var NS = "http://www.w3.org/2000/svg";
  var TAP_SLOP = 6;           // px a pointer may move and still click (more is plan.js's pan)
  var editor = document.getElementById("plan-editor");
  var svg = editor && editor.querySelector("svg.plan-svg");
  var figure = editor && editor.querySelector("figure[data-plan]");
  if (!svg || !figure) {
    return;
  }
  var hallWidth = Number(svg.dataset.width), hallDepth = Number(svg.dataset.depth);
  var addDetails = document.getElementById("new-booth");
  var addForm = document.getElementById("new-booth-form");
  var copyDetails = document.getElementById("copy-row");
  var pickedCount = document.querySelector("[data-picked-count]");
  var down = null;

  function make(name, attributes) {
    var node = document.createElementNS(NS, name);
    Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    return node;
  }

  // The grid, drawn over the hall's floor and under the booths.
  var hallRect = svg.querySelector(".plan-hall");
  var defs = svg.querySelector("defs") || svg.insertBefore(make("defs", {}), svg.firstChild);
  var pattern = make("pattern", {id: "editor-grid-" + svg.dataset.hallId, patternUnits: "userSpaceOnUse",
                                 width: 1, height: 1});
  pattern.appendChild(make("path", {d: "M1 0H0V1", fill: "none", stroke: "#ced4da", "stroke-width": 0.04}));
  defs.appendChild(pattern);
  if (hallRect) {
    hallRect.parentNode.insertBefore(make("rect", {"class": "plan-grid", x: 0, y: 0, width: hallWidth,
                                                   height: hallDepth, fill: "url(#" + pattern.id + ")",
                                                   "pointer-events": "none"}), hallRect.nextSibling);
  }
  svg.setAttribute("cursor", "crosshair");
  var ghost = make("rect", {"class": "plan-ghost", fill: "#0d6efd", "fill-opacity": 0.25, stroke: "#0d6efd",
                            "stroke-width": 0.15, "pointer-events": "none", visibility: "hidden"});
  svg.appendChild(ghost);

  function field(name) {
    return addForm ? addForm.querySelector('[name="new-booth-' + name + '"]') : null;
  }

  function whole(input, fallback) {
    var value = input ? parseInt(input.value, 10) : NaN;
    return isNaN(value) ? fallback : value;
  }

  function showGhost() {
    if (!addForm) {
      return;
    }
    ghost.setAttribute("x", whole(field("x"), 0));
    ghost.setAttribute("y", whole(field("y"), 0));
    ghost.setAttribute("width", Math.max(1, whole(field("width"), 3)));
    ghost.setAttribute("height", Math.max(1, whole(field("depth"), 3)));
    ghost.setAttribute("visibility", "visible");
  }

  function place(x, y) {
    if (!addForm) {
      if (addDetails) {
        addDetails.open = true;
        addDetails.scrollIntoView({block: "nearest"});
      }
      return;
    }
    field("x").value = x;
    field("y").value = y;
    addDetails.open = true;
    showGhost();
    addDetails.scrollIntoView({block: "nearest"});
    var code = field("code");
    code.focus({preventScroll: true});
    code.select();
  }

  function openBooth(group) {
    window.location.assign(editor.dataset.editUrl + "&booth=" + encodeURIComponent(group.dataset.boothId) +
                           "#booth-edit");
  }

  function checkbox(group) {
    return document.getElementById("pick-" + group.dataset.boothId);
  }

  function sync() {
    var picked = 0;
    Array.prototype.forEach.call(svg.querySelectorAll("g.booth"), function (group) {
      var box = checkbox(group);
      var on = Boolean(box && box.checked);
      group.classList.toggle("is-highlighted", on);
      picked += on ? 1 : 0;
    });
    if (pickedCount) {
      pickedCount.textContent = picked ? editor.dataset.msgPicked.replace("{n}", String(picked)) : "";
    }
  }

  function pick(group) {
    var box = checkbox(group);
    if (!box) {
      return;
    }
    box.checked = !box.checked;
    if (copyDetails) {
      copyDetails.open = true;
    }
    sync();
  }

  // Capture on the figure, ahead of plan.js's own click (its details panel is for the public plan);
  // a drag is left to plan.js, which pans with it.
  figure.addEventListener("pointerdown", function (event) {
    down = {x: event.clientX, y: event.clientY};
  }, true);

  figure.addEventListener("click", function (event) {
    if (!svg.contains(event.target)) {
      return;
    }
    var dragged = down && Math.hypot(event.clientX - down.x, event.clientY - down.y) > TAP_SLOP;
    down = null;
    if (dragged) {
      return;
    }
    event.stopPropagation();
    event.preventDefault();
    var group = event.target.closest("g.booth");
    if (group) {
      if (event.shiftKey || event.ctrlKey || event.metaKey) {
        pick(group);
      } else {
        openBooth(group);
      }
      return;
    }
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var at = point.matrixTransform(svg.getScreenCTM().inverse());
    var x = Math.floor(at.x), y = Math.floor(at.y);
    if (x >= 0 && y >= 0 && x < hallWidth && y < hallDepth) {
      place(x, y);
    }
  }, true);

  figure.addEventListener("keydown", function (event) {
    var group = event.target.closest && event.target.closest("g.booth");
    if (!group || (event.key !== "Enter" && event.key !== " ")) {
      return;
    }
    event.stopPropagation();
    event.preventDefault();
    if (event.shiftKey) {
      pick(group);
    } else {
      openBooth(group);
    }
  }, true);

  document.addEventListener("change", function (event) {
    if (event.target.name === "copy-booth_ids") {
      sync();
    }
  });
  if (addForm) {
    addForm.addEventListener("input", function () {
      if (ghost.getAttribute("visibility") === "visible") {
        showGhost();
      }
    });
    if (addForm.querySelector(".is-invalid")) {
      showGhost();                     // where the refused booth would have stood
    }
  }
  var editing = editor.dataset.editing && svg.querySelector('g.booth[data-booth-id="' + editor.dataset.editing + '"]');
  if (editing) {
    editing.classList.add("is-selected");          // the booth whose form is open, outlined in blue
  }
  sync();
})();
