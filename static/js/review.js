/* The review page: every score and the comment saved as the reviewer goes (a failed save is shown and
   retried, and nothing typed is dropped), and keyboard scoring. Without this script the form posts as usual. */
(function () {
  "use strict";

  var form = document.getElementById("review-form");
  if (!form || form.dataset.editable !== "true") {
    return;
  }
  var groups = Array.prototype.slice.call(form.querySelectorAll("fieldset.criterion"));
  var state = document.getElementById("save-state");
  var submitButton = form.querySelector("button[value=submit]");
  var comment = form.querySelector("textarea[name=comment]");
  var pending = {points: {}, comment: null};   // changes not yet saved, newest value of each
  var saving = false;
  var failures = 0;
  var retryTimer = null;
  var commentTimer = null;
  var advanceTimer = null;
  var lastDigit = null;
  var current = 0;
  var submitting = false;
  var REFUSALS = [400, 401, 403, 409];

  function chosen(group) {
    var input = group.querySelector("input:checked");
    return input ? Number(input.value) : null;
  }

  function refreshSummary() {
    var scored = 0, earned = 0, weights = 0;
    groups.forEach(function (group) {
      var weight = Number(group.dataset.weight), points = chosen(group);
      weights += weight;
      if (points !== null) {
        scored += 1;
        earned += points * weight;
      }
    });
    form.querySelector("[data-scored]").textContent = String(scored);
    form.querySelector("[data-total]").textContent = (weights ? 10 * earned / weights : 0).toFixed(1);
    submitButton.disabled = scored < groups.length;
  }

  function show(message, kind) {
    state.textContent = message;
    state.className = "small mb-3 save-state" + (kind ? " save-state-" + kind : "");
  }

  function hasPending() {
    return Object.keys(pending.points).length > 0 || pending.comment !== null;
  }

  function save() {
    if (saving || retryTimer || !hasPending()) {
      return;
    }
    var sent = pending;
    pending = {points: {}, comment: null};
    saving = true;
    show(form.dataset.msgSaving, "saving");
    fetch(form.dataset.autosaveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": form.dataset.csrf},
      body: JSON.stringify(sent)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return {status: response.status, body: body};
      });
    }).then(function (answer) {
      saving = false;
      if (answer.status === 200) {
        failures = 0;
        show(form.dataset.msgSaved, "saved");
        save();
      } else if (REFUSALS.indexOf(answer.status) >= 0 && answer.body.code !== "conflict") {
        show(answer.body.message, "refused");         // a rule said no (or the log-in ended): retrying would not help
      } else {
        retry(sent);
      }
    }, function () {
      saving = false;
      retry(sent);
    });
  }

  function retry(sent) {
    // Put the unsaved values back under anything newer the reviewer has changed since.
    Object.keys(sent.points).forEach(function (key) {
      if (!(key in pending.points)) {
        pending.points[key] = sent.points[key];
      }
    });
    if (pending.comment === null) {
      pending.comment = sent.comment;
    }
    failures += 1;
    var seconds = Math.min(30, Math.pow(2, failures));
    show(form.dataset.msgRetry.replace("{s}", String(seconds)), "failed");
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      save();
    }, seconds * 1000);
  }

  function scoreChanged(group) {
    pending.points[group.id.replace("criterion-", "")] = chosen(group);
    refreshSummary();
    save();
  }

  function focusGroup(index) {
    current = Math.max(0, Math.min(groups.length - 1, index));
    groups.forEach(function (group, i) {
      group.classList.toggle("current", i === current);
    });
    groups[current].scrollIntoView({block: "nearest"});
  }

  function setScore(points) {
    var input = groups[current].querySelector("input[value='" + points + "']");
    if (input && !input.checked) {
      input.checked = true;
      scoreChanged(groups[current]);
    }
  }

  function submitIfComplete() {
    if (submitButton.disabled) {
      show(form.dataset.msgIncomplete, "refused");
      var open = groups.findIndex(function (group) { return chosen(group) === null; });
      focusGroup(open);
      return;
    }
    form.requestSubmit(submitButton);
  }

  function typed(digit) {
    window.clearTimeout(advanceTimer);
    if (digit === 0 && lastDigit === 1) {      // 1 then 0: ten
      lastDigit = null;
      setScore(10);
      focusGroup(current + 1);
      return;
    }
    setScore(digit);
    lastDigit = digit;
    if (digit === 1) {                          // wait a moment: a 0 may follow
      advanceTimer = window.setTimeout(function () { lastDigit = null; focusGroup(current + 1); }, 700);
    } else {
      lastDigit = null;
      focusGroup(current + 1);
    }
  }

  function step(delta) {
    var points = chosen(groups[current]);
    setScore(Math.max(0, Math.min(10, (points === null ? (delta > 0 ? -1 : 11) : points) + delta)));
  }

  form.addEventListener("change", function (event) {
    if (event.target.type === "radio") {
      current = groups.indexOf(event.target.closest("fieldset"));
      focusGroup(current);
      scoreChanged(groups[current]);
    }
  });
  form.addEventListener("focusin", function (event) {
    var group = event.target.closest("fieldset.criterion");
    if (group) {
      focusGroup(groups.indexOf(group));
    }
  });
  if (comment) {
    comment.addEventListener("input", function () {
      pending.comment = comment.value;
      window.clearTimeout(commentTimer);
      commentTimer = window.setTimeout(save, 800);
    });
  }
  form.addEventListener("submit", function () {
    submitting = true;                           // the form carries every value itself
  });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && (hasPending() || saving)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || !groups.length ||
        target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type !== "radio") ||
        target.tagName === "SELECT" || target.isContentEditable) {
      return;
    }
    var key = event.key;
    if (/^[0-9]$/.test(key)) {
      typed(Number(key));
    } else if (key === "ArrowDown" || key === "j" || key === "J") {
      focusGroup(current + 1);
    } else if (key === "ArrowUp" || key === "k" || key === "K") {
      focusGroup(current - 1);
    } else if (key === "ArrowRight") {
      step(1);
    } else if (key === "ArrowLeft") {
      step(-1);
    } else if (key === "Enter" && target.tagName !== "BUTTON" && target.tagName !== "A") {
      submitIfComplete();
    } else {
      return;
    }
    event.preventDefault();
  });

  refreshSummary();
  var firstOpen = groups.findIndex(function (group) { return chosen(group) === null; });
  if (groups.length) {
    current = firstOpen < 0 ? 0 : firstOpen;
    groups.forEach(function (group, i) { group.classList.toggle("current", i === current); });
  }
})();
