/* The floor plan (templates/booths/_plan.html): zoom by buttons, pinch or ctrl+wheel, pan by dragging
   once zoomed in, tap a booth to see its details; on the public plan the search filters live and the hall
   tabs switch without a reload. Without this script the plan is the whole hall, each booth links to its
   project and the search form asks the server. */
(function () {
  "use strict";

  var STEP = 1.5;           // one press of + or -
  var MAX_ZOOM = 12;        // the narrowest view is the hall's width / MAX_ZOOM
  var TAP_SLOP = 6;         // px a finger may move and still tap
  var FOCUS_PX_PER_METRE = 16;   // zoomed in on a booth, a 3 m booth is about 48 px wide: a fingertip

  function Viewer(figure) {
    var svg = figure.querySelector("svg.plan-svg");
    if (!svg) {
      return;
    }
    var box = svg.getAttribute("viewBox").split(/\s+/).map(Number);
    var base = {x: box[0], y: box[1], w: box[2], h: box[3]};
    var view = {x: base.x, y: base.y, w: base.w, h: base.h};
    var pointers = {};
    var gesture = null;
    var moved = false;
    var detail = figure.querySelector(".plan-detail");
    var msg = figure.dataset;

    function apply() {
      svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map(function (n) {
        return Math.round(n * 100) / 100;
      }).join(" "));
      figure.classList.toggle("is-zoomed", view.w < base.w - 0.01);
    }

    function setView(x, y, w) {
      w = Math.min(base.w, Math.max(base.w / MAX_ZOOM, w));
      var h = w * base.h / base.w;
      view.w = w;
      view.h = h;
      view.x = Math.min(base.x + base.w - w, Math.max(base.x, x));
      view.y = Math.min(base.y + base.h - h, Math.max(base.y, y));
      apply();
    }

    // Zoom by `factor` keeping the plan point (px, py) where it is on screen.
    function zoomAt(factor, px, py) {
      var w = Math.min(base.w, Math.max(base.w / MAX_ZOOM, view.w / factor));
      var scale = w / view.w;
      setView(px - (px - view.x) * scale, py - (py - view.y) * scale, w);
    }

    // Screen pixels to plan metres (the drawing is letterboxed: preserveAspectRatio meet).
    function metresPerPixel() {
      var rect = svg.getBoundingClientRect();
      return Math.max(view.w / rect.width, view.h / rect.height);
    }

    function toPlan(clientX, clientY) {
      var rect = svg.getBoundingClientRect();
      var k = metresPerPixel();
      var offsetX = (rect.width - view.w / k) / 2, offsetY = (rect.height - view.h / k) / 2;
      return {x: view.x + (clientX - rect.left - offsetX) * k, y: view.y + (clientY - rect.top - offsetY) * k};
    }

    function focusOn(groups) {
      if (!groups.length) {
        return;
      }
      var left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
      groups.forEach(function (group) {
        var rect = group.querySelector(".booth-rect");
        var x = Number(rect.getAttribute("x")), y = Number(rect.getAttribute("y"));
        left = Math.min(left, x);
        top = Math.min(top, y);
        right = Math.max(right, x + Number(rect.getAttribute("width")));
        bottom = Math.max(bottom, y + Number(rect.getAttribute("height")));
      });
      var shown = svg.getBoundingClientRect().width || document.documentElement.clientWidth;   // a hidden hall
      var fit = shown / FOCUS_PX_PER_METRE;
      var w = Math.max(fit, (right - left) * 3, (bottom - top) * 3 * base.w / base.h);
      w = Math.min(base.w, w);
      var h = w * base.h / base.w;
      setView((left + right) / 2 - w / 2, (top + bottom) / 2 - h / 2, w);
    }

    function text(tag, className, content) {
      var node = document.createElement(tag);
      if (className) {
        node.className = className;
      }
      node.textContent = content;
      return node;
    }

    function zoneName(zoneId) {
      var item = figure.querySelector('.plan-legend [data-zone-id="' + zoneId + '"]');
      return item ? item.textContent.trim() : "";
    }

    // Other pages (the organizer's editor) listen for "plan:select" on the figure: detail.boothId, or null.
    function select(group) {
      Array.prototype.forEach.call(svg.querySelectorAll(".booth.is-selected"), function (other) {
        other.classList.remove("is-selected");
      });
      if (group) {
        group.classList.add("is-selected");
        group.parentNode.appendChild(group);       // drawn last, so its outline shows whole
      }
      figure.dispatchEvent(new CustomEvent("plan:select", {bubbles: true, detail: {
        boothId: group ? group.dataset.boothId : null, code: group ? group.dataset.code : null}}));
      if (!detail) {
        return;
      }
      if (!group) {
        detail.hidden = true;
        return;
      }
      var data = group.dataset;
      detail.textContent = "";
      var close = text("button", "btn-close plan-detail-close", "");
      close.type = "button";
      close.setAttribute("aria-label", msg.msgClose);
      close.addEventListener("click", function () { select(null); });
      detail.appendChild(close);
      var head = document.createElement("div");
      head.appendChild(text("span", "plan-detail-code", data.code));
      head.appendChild(text("span", "plan-detail-title", data.title || msg.msgFree));
      detail.appendChild(head);
      var facts = [zoneName(data.zone)];
      if (data.power === "1") { facts.push("⚡ " + msg.msgPower); }
      if (data.stepFree === "1") { facts.push("♿ " + msg.msgStepFree); }
      if (data.corner === "1") { facts.push(msg.msgCorner); }
      if (data.double === "1") { facts.push(msg.msgDouble); }
      detail.appendChild(text("div", "small text-muted", facts.filter(Boolean).join(" · ")));
      if (data.href) {
        var link = text("a", "btn btn-sm btn-primary mt-2 plan-detail-open", msg.msgOpen + " →");
        link.href = data.href;
        detail.appendChild(link);
      }
      detail.hidden = false;
    }

    figure.querySelector(".plan-toolbar").hidden = false;
    figure.querySelector(".plan-toolbar").addEventListener("click", function (event) {
      var button = event.target.closest("[data-zoom]");
      if (!button) {
        return;
      }
      var cx = view.x + view.w / 2, cy = view.y + view.h / 2;
      var selected = svg.querySelector(".booth.is-selected .booth-rect");
      if (button.dataset.zoom === "in" && selected) {      // in on the booth the visitor is looking at
        var w = view.w / STEP, h = w * base.h / base.w;
        setView(Number(selected.getAttribute("x")) + Number(selected.getAttribute("width")) / 2 - w / 2,
                Number(selected.getAttribute("y")) + Number(selected.getAttribute("height")) / 2 - h / 2, w);
      } else if (button.dataset.zoom === "in") {
        zoomAt(STEP, cx, cy);
      } else if (button.dataset.zoom === "out") {
        zoomAt(1 / STEP, cx, cy);
      } else {
        setView(base.x, base.y, base.w);
      }
    });

    svg.addEventListener("wheel", function (event) {
      if (!event.ctrlKey) {
        return;                                   // a plain wheel scrolls the page
      }
      event.preventDefault();
      var at = toPlan(event.clientX, event.clientY);
      zoomAt(Math.exp(-event.deltaY / 200), at.x, at.y);
    }, {passive: false});

    svg.addEventListener("pointerdown", function (event) {
      pointers[event.pointerId] = {x: event.clientX, y: event.clientY};
      moved = false;
      var ids = Object.keys(pointers);
      if (ids.length === 2) {
        var a = pointers[ids[0]], b = pointers[ids[1]];
        gesture = {pinch: Math.hypot(a.x - b.x, a.y - b.y), w: view.w,
                   centre: toPlan((a.x + b.x) / 2, (a.y + b.y) / 2)};
      } else {
        gesture = {start: {x: event.clientX, y: event.clientY}, view: {x: view.x, y: view.y}, k: metresPerPixel()};
      }
    });

    svg.addEventListener("pointermove", function (event) {
      if (!pointers[event.pointerId] || !gesture) {
        return;
      }
      pointers[event.pointerId] = {x: event.clientX, y: event.clientY};
      var ids = Object.keys(pointers);
      if (gesture.pinch && ids.length === 2) {
        var a = pointers[ids[0]], b = pointers[ids[1]];
        var distance = Math.hypot(a.x - b.x, a.y - b.y);
        moved = true;
        var w = gesture.w * gesture.pinch / Math.max(distance, 1);
        zoomAt(view.w / w, gesture.centre.x, gesture.centre.y);
        event.preventDefault();
      } else if (gesture.start && figure.classList.contains("is-zoomed")) {
        var dx = event.clientX - gesture.start.x, dy = event.clientY - gesture.start.y;
        if (!moved && Math.hypot(dx, dy) < TAP_SLOP) {
          return;
        }
        if (!moved) {
          moved = true;
          figure.classList.add("is-panning");
          svg.setPointerCapture(event.pointerId);
        }
        setView(gesture.view.x - dx * gesture.k, gesture.view.y - dy * gesture.k, view.w);
      }
    });

    function release(event) {
      delete pointers[event.pointerId];
      figure.classList.remove("is-panning");
      if (!Object.keys(pointers).length) {
        gesture = null;
      }
    }
    svg.addEventListener("dragstart", function (event) { event.preventDefault(); });    // links are not dragged away
    svg.addEventListener("pointerup", release);
    svg.addEventListener("pointercancel", release);

    // A tap on a booth shows its details (the link to the project is in them); a drag is not a tap.
    svg.addEventListener("click", function (event) {
      if (moved) {
        event.preventDefault();
        moved = false;
        return;
      }
      var group = event.target.closest("g.booth");
      if (group) {
        event.preventDefault();
        select(group);
      }
    });
    svg.addEventListener("keydown", function (event) {
      var group = event.target.closest("g.booth");
      if (group && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        select(group);
      }
    });

    this.focusHighlighted = function () {
      focusOn(Array.prototype.slice.call(svg.querySelectorAll(".booth.is-highlighted")));
    };
    this.reset = function () { setView(base.x, base.y, base.w); };
    this.select = select;
    if (figure.hasAttribute("data-focus") || svg.classList.contains("has-highlight")) {
      this.focusHighlighted();
    }
  }

  var viewers = {};
  Array.prototype.forEach.call(document.querySelectorAll("figure[data-plan]"), function (figure) {
    viewers[figure.dataset.hallId] = new Viewer(figure);
  });

  // The public plan: hall tabs and the live search.
  var form = document.getElementById("plan-search");
  var results = document.getElementById("plan-results");
  if (!form || !results) {
    return;
  }
  var query = form.querySelector("[name=q]");
  var category = form.querySelector("[name=category]");
  var count = document.getElementById("plan-count");
  var items = Array.prototype.slice.call(results.querySelectorAll("li[data-booth-id]"));
  var figures = Array.prototype.slice.call(document.querySelectorAll("figure[data-plan]"));
  var tabs = Array.prototype.slice.call(document.querySelectorAll("[data-hall-tab]"));

  function showHall(hallId) {
    figures.forEach(function (figure) { figure.hidden = figure.dataset.hallId !== hallId; });
    tabs.forEach(function (tab) {
      var here = tab.dataset.hallTab === hallId;
      tab.classList.toggle("active", here);
      if (here) { tab.setAttribute("aria-current", "page"); } else { tab.removeAttribute("aria-current"); }
    });
  }

  function currentHall() {
    var shown = figures.filter(function (figure) { return !figure.hidden; })[0];
    return shown ? shown.dataset.hallId : null;
  }

  tabs.forEach(function (tab) {
    tab.addEventListener("click", function (event) {
      event.preventDefault();
      showHall(tab.dataset.hallTab);
    });
  });

  function filter(moveToMatches) {
    var words = query.value.toLowerCase().split(/\s+/).filter(Boolean);
    var chosen = category.value;
    var active = words.length > 0 || chosen !== "";
    var found = {}, perHall = {}, total = 0;
    items.forEach(function (item) {
      var text = item.dataset.search;
      var match = (!chosen || item.dataset.category === chosen) &&
        words.every(function (word) { return text.indexOf(word) !== -1; });
      item.hidden = active && !match;
      if (active && match) {
        found[item.dataset.boothId] = true;
        perHall[item.dataset.hallId] = (perHall[item.dataset.hallId] || 0) + 1;
        total += 1;
      }
    });
    figures.forEach(function (figure) {
      var svg = figure.querySelector("svg.plan-svg");
      svg.classList.toggle("has-highlight", active);
      Array.prototype.forEach.call(svg.querySelectorAll("g.booth"), function (group) {
        var hit = Boolean(found[group.dataset.boothId]);
        group.classList.toggle("is-highlighted", hit);
        if (hit) {
          group.parentNode.appendChild(group);
        }
      });
    });
    tabs.forEach(function (tab) {
      var badge = tab.querySelector("[data-hall-count]");
      if (badge) {
        badge.textContent = String(perHall[tab.dataset.hallTab] || 0);
        badge.hidden = !active;
      }
    });
    var template = active ? form.dataset.msgFound : form.dataset.msgAll;
    count.textContent = template.replace("{n}", String(active ? total : items.length));
    if (active && moveToMatches && !perHall[currentHall()]) {
      var first = Object.keys(perHall)[0];
      if (first) {
        showHall(first);
      }
    }
    var params = new URLSearchParams();
    if (query.value.trim()) { params.set("q", query.value.trim()); }
    if (chosen) { params.set("category", chosen); }
    var search = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (search ? "?" + search : ""));
  }

  query.addEventListener("input", function () { filter(true); });
  category.addEventListener("change", function () { filter(true); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    filter(true);
    var viewer = viewers[currentHall()];
    if (viewer) {
      viewer.focusHighlighted();
    }
  });
  var clear = document.querySelector("[data-clear-search]");
  if (clear) {
    clear.addEventListener("click", function (event) {
      event.preventDefault();
      query.value = "";
      category.value = "";
      filter(false);
      clear.parentNode.hidden = true;
    });
  }
})();
