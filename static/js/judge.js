/* The judge's tablet. Every tap is saved through the JSON API as an operation with its own id (a UUID). Saves
   not yet acknowledged wait in a queue in localStorage (one per user, so it outlives a reload or a dropped
   connection) and go out one at a time, in order: retried with back-off, and at once when the browser is
   back online. A retry re-sends the same operation with the same version it was based on, which the server
   recognises, so nothing is lost and nothing counted twice. A save that another device overtook comes back
   as a conflict with the stored values, and the judge chooses. Without this script the form posts as usual. */
(function () {
  "use strict";

  var state = document.getElementById("sync-state");
  if (!state || !window.fetch || !window.localStorage || !window.crypto) {
    return;
  }
  var QUEUE = "fair.judge.queue." + state.dataset.user;
  var VERSIONS = "fair.judge.versions." + state.dataset.user;
  var sending = false;
  var failures = 0;
  var retryTimer = null;
  var blocked = null;          // {kind, message}: sending waits for the judge (a conflict, a log-in, a reload)
  var said = "";               // the last answer worth keeping on screen (saved, submitted, refused)
  var card = document.getElementById("score-form");
  var page = card && card.dataset.editable === "true" ? Number(card.dataset.assignment) : null;

  function read(key, fallback) {
    try {
      return JSON.parse(window.localStorage.getItem(key)) || fallback;
    } catch (error) {
      return fallback;
    }
  }

  function write(key, value) {
    window.localStorage.setItem(key, JSON.stringify(value));
  }

  function uuid() {
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_match, name) { return String(values[name]); });
  }

  /* The queue: [{op, assignment, url, page, points, comment, submit, base, sent, conflict}] */

  function enqueue(assignment, change) {
    var queue = read(QUEUE, []);
    var last = queue.filter(function (item) { return item.assignment === assignment; }).pop();
    if (!last || last.sent) {            // a sent operation is never changed: the server may have it already
      last = {op: uuid(), assignment: assignment, url: card.dataset.api, page: window.location.pathname,
              points: {}, comment: null, submit: false, base: null, sent: false, conflict: null};
      queue.push(last);
    }
    Object.keys(change.points || {}).forEach(function (key) { last.points[key] = change.points[key]; });
    if (change.comment !== undefined && change.comment !== null) {
      last.comment = change.comment;
    }
    last.submit = last.submit || Boolean(change.submit);
    write(QUEUE, queue);
    said = "";
    pump();
  }

  function drop(op) {
    write(QUEUE, read(QUEUE, []).filter(function (item) { return item.op !== op; }));
  }

  function pump() {
    show();
    if (sending || retryTimer || blocked) {
      return;
    }
    var queue = read(QUEUE, []);
    if (!queue.length) {
      return;
    }
    var item = queue[0];
    if (item.conflict) {
      blocked = {kind: "conflict", item: item};
      show();
      return;
    }
    if (!item.sent) {                    // fixed from now on, so a retry is the same operation
      var known = read(VERSIONS, {})[item.assignment];
      item.base = known === undefined ? 0 : known;
      item.sent = true;
      write(QUEUE, queue);
    }
    sending = true;
    show();
    fetch(item.url, {
      method: "PUT",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": state.dataset.csrf},
      body: JSON.stringify({points: item.points, comment: item.comment, client_op: item.op,
                            base_version: item.base, submit: item.submit})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return {status: response.status, body: body};
      });
    }).then(function (answer) {
      sending = false;
      answered(item, answer.status, answer.body);
    }, function () {
      sending = false;
      retry();
    });
  }

  function answered(item, status, body) {
    if (status === 200) {
      failures = 0;
      drop(item.op);
      remember(item.assignment, body.version);
      said = item.submit ? card && card.dataset.msgSubmitted || state.dataset.msgSaved : state.dataset.msgSaved;
      if (item.assignment === page) {
        updatePage(body);
      }
      updateProgress(body);
      pump();
    } else if (status === 409 && body.code === "conflict") {
      var queue = read(QUEUE, []);
      queue.forEach(function (other) {
        if (other.op === item.op) {
          other.conflict = body.current;
        }
      });
      write(QUEUE, queue);
      item.conflict = body.current;
      blocked = {kind: "conflict", item: item};
      show();
    } else if (status === 401) {
      blocked = {kind: "login", message: state.dataset.msgLogin};
      show();
    } else if (status === 400 && body.code === "csrf") {
      blocked = {kind: "reload", message: state.dataset.msgReload};
      show();
    } else if (status >= 400 && status < 500) {
      drop(item.op);                     // a rule said no (locked, out of range): sending again would not help
      said = body.message || "";
      showError(item, body);
      pump();
    } else {
      retry();
    }
  }

  function retry() {
    failures += 1;
    var seconds = Math.min(30, Math.pow(2, failures));
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      pump();
    }, seconds * 1000);
    show();
  }

  function remember(assignment, version) {
    var versions = read(VERSIONS, {});
    versions[assignment] = version;
    write(VERSIONS, versions);
  }

  function show() {
    var queue = read(QUEUE, []);
    var kind = "", text = "";
    if (blocked && blocked.kind === "conflict") {
      kind = "conflict";
      text = state.dataset.msgConflict;
      if (blocked.item.assignment === page) {
        showConflict(blocked.item);
      }
    } else if (blocked) {
      kind = "refused";
      text = blocked.message;
    } else if (queue.length) {
      kind = "pending";
      text = format(state.dataset.msgPending, {n: queue.length});
      if (!navigator.onLine) {
        text += " · " + state.dataset.msgOffline;
      }
    } else if (sending) {
      kind = "saving";
      text = state.dataset.msgSaving;
    } else if (said) {
      kind = said === state.dataset.msgSaved || (card && said === card.dataset.msgSubmitted) ? "saved" : "refused";
      text = said;
    }
    state.className = "sync" + (kind ? " sync-" + kind : "");
    state.textContent = "";
    if (kind === "conflict" && blocked.item.assignment !== page) {
      var link = document.createElement("a");      // the conflict is decided on that project's page
      link.href = blocked.item.page;
      link.textContent = text;
      state.appendChild(link);
    } else {
      state.textContent = text;
    }
  }

  function updateProgress(body) {
    if (body.done === undefined || !state.dataset.msgProgress) {
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-progress]"), function (element) {
      element.textContent = format(state.dataset.msgProgress, {done: body.done, total: body.total});
    });
  }

  /* The score page */

  if (page === null) {
    window.addEventListener("online", function () { kick(); });
    pump();
    return;
  }

  var groups = Array.prototype.slice.call(card.querySelectorAll("fieldset.criterion"));
  var comment = card.querySelector("textarea[name=comment]");
  var conflictBox = document.getElementById("conflict");
  var commentTimer = null;

  function chosen(group) {
    var input = group.querySelector("input:checked");
    return input ? Number(input.value) : null;
  }

  function allPoints() {
    var points = {};
    groups.forEach(function (group) {
      if (chosen(group) !== null) {
        points[group.dataset.criterion] = chosen(group);
      }
    });
    return points;
  }

  function setPoints(points) {
    groups.forEach(function (group) {
      var value = points[group.dataset.criterion];
      var input = group.querySelector("input[value='" + value + "']");
      if (input) {
        input.checked = true;
      }
    });
    tally();
  }

  function tally() {
    var scored = 0, earned = 0, weights = 0;
    groups.forEach(function (group) {
      var weight = Number(group.dataset.weight), points = chosen(group);
      weights += weight;
      if (points !== null) {
        scored += 1;
        earned += 100 * weight * points / Number(group.dataset.max);
      }
    });
    card.querySelector("[data-scored]").textContent = String(scored);
    card.querySelector("[data-total]").textContent = (weights ? earned / weights : 0).toFixed(1);
    return scored;
  }

  function updatePage(body) {
    card.dataset.version = String(body.version);
    if (body.submitted) {
      card.dataset.submitted = "true";
    }
  }

  function showError(item, body) {
    if (item.assignment !== page || !body.field) {
      return;
    }
    var group = document.getElementById("criterion-" + body.field.replace(/^c/, ""));
    if (group) {
      group.scrollIntoView({block: "nearest"});
    }
  }

  function showConflict(item) {
    var list = conflictBox.querySelector(".conflict-values");
    list.textContent = "";
    groups.forEach(function (group) {
      var key = group.dataset.criterion, mine = chosen(group), theirs = item.conflict.points[key];
      var line = document.createElement("li");
      line.textContent = group.querySelector("legend").firstChild.textContent.trim() + "：" +
        conflictBox.dataset.msgTheirs + " " + (theirs === undefined ? "—" : theirs) + " · " +
        conflictBox.dataset.msgMine + " " + (mine === null ? "—" : mine);
      if (theirs !== mine) {
        line.className = "differs";
      }
      list.appendChild(line);
    });
    if (item.conflict.comment !== (comment ? comment.value.trim() : "")) {
      var note = document.createElement("li");
      note.className = "differs";
      note.textContent = conflictBox.dataset.msgComment + "：" + conflictBox.dataset.msgTheirs + " “" +
        item.conflict.comment + "”";
      list.appendChild(note);
    }
    conflictBox.hidden = false;
  }

  function choose(which) {
    var item = blocked.item;
    var current = item.conflict;
    var queue = read(QUEUE, []).filter(function (other) { return other.assignment !== page; });
    write(QUEUE, queue);
    remember(page, current.version);
    blocked = null;
    conflictBox.hidden = true;
    if (which === "theirs") {
      groups.forEach(function (group) {
        group.querySelectorAll("input").forEach(function (input) { input.checked = false; });
      });
      setPoints(current.points);
      if (comment) {
        comment.value = current.comment;
      }
      said = state.dataset.msgSaved;
      pump();
    } else {                             // the judge's values, saved on the version now stored
      enqueue(page, {points: allPoints(), comment: comment ? comment.value : null, submit: item.submit});
    }
  }

  function kick() {
    window.clearTimeout(retryTimer);
    retryTimer = null;
    failures = 0;
    pump();
  }

  // What the page shows is the server's; saves still queued on this tablet for it are the judge's newer values.
  var queued = read(QUEUE, []).filter(function (item) { return item.assignment === page; });
  if (!queued.length) {
    remember(page, Number(card.dataset.version));
  }
  queued.forEach(function (item) {
    setPoints(item.points);
    if (comment && item.comment !== null) {
      comment.value = item.comment;
    }
  });
  tally();
  var plainSave = card.querySelector("[data-plain-save]");
  if (plainSave) {
    plainSave.hidden = true;             // every tap is saved
  }

  card.addEventListener("change", function (event) {
    if (event.target.type === "radio") {
      var points = {};
      points[event.target.closest("fieldset").dataset.criterion] = Number(event.target.value);
      tally();
      enqueue(page, {points: points});
    }
  });
  if (comment) {
    comment.addEventListener("input", function () {
      window.clearTimeout(commentTimer);
      commentTimer = window.setTimeout(function () { enqueue(page, {comment: comment.value}); }, 800);
    });
    comment.addEventListener("blur", function () {
      if (commentTimer) {
        window.clearTimeout(commentTimer);
        commentTimer = null;
        enqueue(page, {comment: comment.value});
      }
    });
  }
  card.addEventListener("submit", function (event) {
    event.preventDefault();              // handed in through the queue too, so it survives a dropped connection
    window.clearTimeout(commentTimer);
    commentTimer = null;
    if (tally() < groups.length) {
      said = card.dataset.msgIncomplete;
      show();
      var open = groups.filter(function (group) { return chosen(group) === null; })[0];
      open.scrollIntoView({block: "center"});
      return;
    }
    enqueue(page, {points: allPoints(), comment: comment ? comment.value : null, submit: true});
  });
  conflictBox.addEventListener("click", function (event) {
    var button = event.target.closest("[data-choose]");
    if (button && blocked && blocked.kind === "conflict") {
      choose(button.dataset.choose);
    }
  });
  window.addEventListener("online", kick);
  pump();
})();
