/* The scan page: a code from a handheld scanner (it types the code and Enter into the focused field) or from
   the camera goes to the server and the answer fills the screen with a sound. When the network is down (or the
   server does not answer within a few seconds) and the point allows it, the code is checked here instead: the
   Ed25519 signature with the fair's public key, the revoked list and this device's own list of admissions,
   all from the offline kit kept in localStorage; admissions are queued with their nonce and synced when the
   network is back. The payload's layout mirrors fair/visitors/tickets.py. */
(function () {
  "use strict";

  var root = document.getElementById("scan");
  var configNode = document.getElementById("scan-config");
  if (!root || !configNode) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var text = config.messages;
  var form = document.getElementById("scan-form");
  var pointSelect = document.getElementById("scan-point");
  var codeInput = document.getElementById("scan-code");
  var peopleInput = document.getElementById("scan-people");
  var pointHint = document.getElementById("point-hint");
  var cameraButton = document.getElementById("camera-toggle");
  var cameraBox = document.getElementById("camera");
  var video = document.getElementById("camera-video");
  var netState = document.getElementById("net-state");
  var syncState = document.getElementById("sync-state");
  var result = {
    panel: document.getElementById("result"), badge: document.getElementById("result-badge"),
    reason: document.getElementById("result-reason"), who: document.getElementById("result-who"),
    detail: document.getElementById("result-detail")
  };

  var ANSWER_WAIT_MS = 4000;       // then the scan is checked here: a gate cannot wait for a slow network
  var SYNC_EVERY_MS = 15000;
  var KIT_EVERY_MS = 5 * 60000;
  var REPEAT_MS = 10000;           // the camera sees a code held up many times a second: one scan per showing
  var WARN = ["already_redeemed", "capacity_full", "invalid_time", "not_registered"];
  var store = storage("fair-scan:" + config.fair + ":");
  var csrf = root.dataset.csrf;
  var latest = 0;                  // the newest scan: an older answer arriving late is not shown over it
  var syncing = false;
  var syncProblem = "";
  var audio = null;
  var scanner = null;
  var lastDecoded = {code: "", at: 0};
  var ed25519 = null;              // a promise of verify(signature, data, publicKey) → Promise<boolean>
  var coverTimer = null;

  // --- storage ----------------------------------------------------------------------------------------

  function storage(prefix) {
    return {
      get: function (name, fallback) {
        try {
          var value = window.localStorage.getItem(prefix + name);
          return value === null ? fallback : JSON.parse(value);
        } catch (error) {
          return fallback;
        }
      },
      set: function (name, value) {
        try {
          window.localStorage.setItem(prefix + name, JSON.stringify(value));
        } catch (error) { /* private mode or full: the page still works online */ }
      }
    };
  }

  function format(message, values) {
    return message.replace(/\{(\w+)\}/g, function (all, name) {
      return values[name] === undefined ? all : String(values[name]);
    });
  }

  function newNonce() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // --- the answer on screen and its sound ---------------------------------------------------------------

  function tone(context, start, frequency, length, wave) {
    var oscillator = context.createOscillator(), gain = context.createGain();
    oscillator.type = wave;
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.3, start + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
    oscillator.connect(gain);
    gain.connect(context.destination);
    oscillator.start(start);
    oscillator.stop(start + length + 0.02);
  }

  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) {
      audio = new Context();
    }
    if (audio && audio.state === "suspended") {
      audio.resume();
    }
  }

  function beep(tone_) {
    if (!audio) {
      return;
    }
    var now = audio.currentTime;
    if (tone_ === "ok") {
      tone(audio, now, 1320, 0.15, "sine");
    } else if (tone_ === "warn") {
      tone(audio, now, 660, 0.12, "triangle");
      tone(audio, now + 0.2, 660, 0.12, "triangle");
    } else {
      tone(audio, now, 180, 0.5, "square");
    }
  }

  function colour(reason) {
    return reason === "ok" ? "ok" : WARN.indexOf(reason) >= 0 ? "warn" : "bad";
  }

  /* On a phone the answer covers the whole screen for a moment (a tap ends it sooner), then steps back into
     the page so the camera and the field are in view for the next visitor; a refusal stays longer. */
  function cover(kind) {
    window.clearTimeout(coverTimer);
    result.panel.classList.add("result-cover");
    if (kind !== "checking") {
      coverTimer = window.setTimeout(uncover, kind === "ok" ? 2500 : 6000);
    }
  }

  function uncover() {
    window.clearTimeout(coverTimer);
    result.panel.classList.remove("result-cover");
  }

  function show(view) {
    var kind = view.colour || colour(view.reason);
    result.panel.className = "result result-" + kind;
    void result.panel.offsetWidth;                    // restart the flash for a repeat of the same colour
    result.panel.classList.add("result-fresh");
    result.panel.dataset.reason = view.reason || "";
    result.panel.dataset.offline = view.offline ? "true" : "false";
    result.badge.hidden = !view.offline;
    result.badge.textContent = view.offline ? text.offline : "";
    result.reason.textContent = view.message;
    result.who.textContent = view.who || "";
    result.detail.textContent = (view.details || []).filter(Boolean).join("\n");
    cover(kind);
    if (kind !== "checking") {
      beep(kind);
    }
  }

  function details(people, size, remaining, firstAt) {
    var lines = [];
    if (size > 1) {
      lines.push(people ? format(text.group, {size: size, people: people}) : format(text.groupSize, {size: size}));
      if (remaining > 0) {
        lines.push(format(text.remaining, {n: remaining}));
      }
    }
    if (firstAt) {
      lines.push(format(text.firstAt, {time: firstAt}));
    }
    return lines;
  }

  function showAnswer(body) {
    var ticket = body.ticket;
    show({
      reason: body.reason, message: body.message || config.reasons[body.reason] || body.reason,
      who: ticket ? [ticket.kind_label, ticket.name].filter(Boolean).join(" · ") : "",
      details: ticket ? details(body.people, ticket.group_size, body.remaining, body.first_at_text) : []
    });
  }

  function showProblem(message) {
    show({reason: "", colour: "bad", message: message});
  }

  // --- the offline kit and the local list ---------------------------------------------------------------

  function kit() {
    return store.get("kit", null);
  }

  function kitPoint(slug) {
    var current = kit();
    var found = null;
    (current ? current.points : []).forEach(function (point) {
      if (point.slug === slug) {
        found = point;
      }
    });
    return found;
  }

  function refreshKit() {
    if (navigator.onLine === false) {
      return Promise.resolve();
    }
    return fetch(config.urls.kit, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.status === 401) {
          syncProblem = text.login;
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (body) {
          csrf = body.csrf || csrf;
          delete body.csrf;
          store.set("kit", body);
          describePoint();
        }
        render();
      })
      .catch(function () { /* offline: keep the kit we have */ });
  }

  function seenKey(point, code, day) {
    return point.policy === "daily" ? point.slug + "|" + code + "|" + day : point.slug + "|" + code;
  }

  function remember(point, code, day, people, at) {
    if (!point || point.policy === "unlimited" || point.kind === "exit") {
      return;
    }
    var seen = store.get("seen", {});
    var key = seenKey(point, code, day);
    var entry = seen[key] || {people: 0, first: at};
    entry.people += people;
    seen[key] = entry;
    store.set("seen", seen);
  }

  function queue() {
    return store.get("queue", []);
  }

  // --- the code, as tickets.py reads it -----------------------------------------------------------------

  var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  var PAYLOAD_BYTES = 23, SIGNATURE_BYTES = 64;

  function base32Decode(body) {
    var bytes = [], buffer = 0, bits = 0;
    for (var i = 0; i < body.length; i++) {
      var value = ALPHABET.indexOf(body.charAt(i));
      if (value < 0) {
        return null;
      }
      buffer = (buffer << 5) | value;
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        bytes.push((buffer >> bits) & 0xff);
      }
      buffer &= (1 << bits) - 1;
    }
    return buffer === 0 ? new Uint8Array(bytes) : null;    // unused low bits set: not the canonical text
  }

  function base32Encode(bytes) {
    var out = "", buffer = 0, bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      buffer = (buffer << 8) | bytes[i];
      bits += 8;
      while (bits >= 5) {
        bits -= 5;
        out += ALPHABET.charAt((buffer >> bits) & 31);
      }
      buffer &= (1 << bits) - 1;
    }
    return bits ? out + ALPHABET.charAt((buffer << (5 - bits)) & 31) : out;
  }

  function isoDay(days) {
    return new Date(Date.UTC(2020, 0, 1) + days * 86400000).toISOString().slice(0, 10);
  }

  function parse(raw, prefix) {
    var body = String(raw).replace(/\s+/g, "").toUpperCase();
    var length = Math.ceil((PAYLOAD_BYTES + SIGNATURE_BYTES) * 8 / 5);
    if (body.indexOf(prefix) !== 0 || body.length !== prefix.length + length) {
      return null;
    }
    var bytes = base32Decode(body.slice(prefix.length));
    if (!bytes || bytes.length !== PAYLOAD_BYTES + SIGNATURE_BYTES) {
      return null;
    }
    var view = new DataView(bytes.buffer);
    var payload = {
      version: view.getUint8(0), keyId: view.getUint8(1), fairId: view.getUint32(2),
      code: base32Encode(bytes.slice(6, 16)), kind: config.kindCodes[view.getUint8(16)],
      people: view.getUint16(17), validFrom: isoDay(view.getUint16(19)), validUntil: isoDay(view.getUint16(21)),
      data: bytes.slice(0, PAYLOAD_BYTES), signature: bytes.slice(PAYLOAD_BYTES)
    };
    if (payload.version !== 1 || !payload.kind || payload.people < 1 || payload.validUntil < payload.validFrom) {
      return null;
    }
    return payload;
  }

  function fromBase64(value) {
    var binary = window.atob(value), bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes;
  }

  /* WebCrypto's Ed25519 where the browser has it (current Chromium, Safari, Firefox); else the vendored
     noble-ed25519, loaded only then. */
  function verifier() {
    if (ed25519) {
      return ed25519;
    }
    var subtle = window.crypto && window.crypto.subtle;
    var native = !subtle ? Promise.reject(new Error("no WebCrypto")) :
      subtle.generateKey({name: "Ed25519"}, false, ["sign", "verify"]).then(function () {
        return function (signature, data, key) {
          return subtle.importKey("raw", key, {name: "Ed25519"}, false, ["verify"]).then(function (imported) {
            return subtle.verify({name: "Ed25519"}, imported, signature, data);
          });
        };
      });
    ed25519 = native.catch(function () {
      return import(config.urls.ed25519).then(function (noble) {
        return function (signature, data, key) {
          return noble.verifyAsync(signature, data, key).catch(function () { return false; });
        };
      });
    });
    return ed25519;
  }

  function localParts(moment, timeZone) {
    var parts = {};
    new Intl.DateTimeFormat("en-CA", {
      timeZone: timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23"
    }).formatToParts(moment).forEach(function (part) { parts[part.type] = part.value; });
    return {day: parts.year + "-" + parts.month + "-" + parts.day, time: parts.hour + ":" + parts.minute};
  }

  function open(point, time) {
    if (!point.opens_at && !point.closes_at) {
      return true;
    }
    var opens = point.opens_at || "00:00", closes = point.closes_at || "24:00";
    return opens <= closes ? opens <= time && time < closes : time >= opens || time < closes;
  }

  function firstText(iso, timeZone) {
    return new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      timeZone: timeZone, month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).format(new Date(iso));
  }

  /* What the server would answer, as far as this device can know: checkins._ticket and _admit's order. */
  function checkHere(scan, point, current) {
    var payload = parse(scan.code, current.prefix);
    var answer = {reason: "invalid", payload: payload, people: 0, remaining: 0, first: null};
    if (!payload) {
      return Promise.resolve(answer);
    }
    if (payload.fairId !== current.fair_id) {
      answer.reason = "wrong_fair";
      return Promise.resolve(answer);
    }
    var key = null;
    current.keys.forEach(function (candidate) {
      if (candidate.key_id === payload.keyId) {
        key = fromBase64(candidate.public_key);
      }
    });
    if (!key) {
      return Promise.resolve(answer);
    }
    return verifier().then(function (verify) {
      return verify(payload.signature, payload.data, key);
    }).then(function (genuine) {
      if (!genuine) {
        return answer;
      }
      if (current.revoked.indexOf(payload.code) >= 0) {
        answer.reason = "revoked";
        return answer;
      }
      var local = localParts(new Date(scan.scanned_at), current.timezone);
      answer.day = local.day;
      if (point.kind !== "exit" && (local.day < payload.validFrom || local.day > payload.validUntil ||
                                    !open(point, local.time))) {
        answer.reason = "invalid_time";
        return answer;
      }
      var size = payload.people, remaining = size;
      if (point.kind !== "exit" && point.policy !== "unlimited") {
        var entry = store.get("seen", {})[seenKey(point, payload.code, local.day)];
        remaining = size - (entry ? entry.people : 0);
        answer.first = entry ? firstText(entry.first, current.timezone) : null;
        if (remaining <= 0 || (scan.people && scan.people > remaining)) {
          answer.reason = "already_redeemed";
          answer.remaining = Math.max(remaining, 0);
          return answer;
        }
      }
      answer.reason = "ok";
      answer.people = Math.min(scan.people || remaining, remaining);
      answer.remaining = remaining - answer.people;
      answer.first = null;
      return answer;
    });
  }

  function offline(scan, sequence) {
    var current = kit();
    var point = kitPoint(scan.point);
    if (!current) {
      return showProblem(text.noKit);
    }
    if (!point || !point.offline) {
      return showProblem(text.noOffline);
    }
    if (new Date(current.valid_until) < new Date()) {
      return showProblem(text.staleKit);
    }
    checkHere(scan, point, current).then(function (answer) {
      if (answer.reason === "ok") {
        // Only admissions are queued: a scan refused here must never turn into an admission at the sync.
        remember(point, answer.payload.code, answer.day, answer.people, scan.scanned_at);
        var waiting = queue();
        waiting.push({code: scan.code, point: scan.point, nonce: scan.nonce, scanned_at: scan.scanned_at,
                      people: scan.people || null});
        store.set("queue", waiting);
        render();
      }
      if (sequence !== latest) {
        return;
      }
      var payload = answer.payload;
      show({
        reason: answer.reason, offline: true, message: config.reasons[answer.reason],
        who: payload && answer.reason !== "invalid" && answer.reason !== "wrong_fair" ? config.kinds[payload.kind] : "",
        details: payload && answer.reason !== "invalid" ? details(answer.people, payload.people, answer.remaining,
                                                                  answer.first) : []
      });
    });
  }

  // --- a scan -------------------------------------------------------------------------------------------

  function post(url, body, timeout) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, timeout) : null;
    return fetch(url, {
      method: "POST", credentials: "same-origin", signal: controller ? controller.signal : undefined,
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body)
    }).then(function (response) {
      window.clearTimeout(timer);
      return response.json().catch(function () { return {}; }).then(function (data) {
        return {status: response.status, body: data};
      });
    }, function (error) {
      window.clearTimeout(timer);
      throw error;
    });
  }

  function online(state) {
    netState.hidden = state;
  }

  function submit(code, retried) {
    code = String(code || "").trim();
    if (!code) {
      return;
    }
    if (!pointSelect.value) {
      showProblem(text.choosePoint);
      pointSelect.focus();
      return;
    }
    var people = peopleInput.value ? Number(peopleInput.value) : null;
    var scan = retried || {code: code, point: pointSelect.value, nonce: newNonce(),
                           scanned_at: new Date().toISOString(), people: people};
    var sequence = ++latest;
    peopleInput.value = "";
    show({reason: "", colour: "checking", message: text.checking});
    if (navigator.onLine === false) {
      online(false);
      offline(scan, sequence);
      return;
    }
    post(config.urls.redeem, {code: scan.code, point: scan.point, nonce: scan.nonce, people: scan.people},
         ANSWER_WAIT_MS).then(function (answer) {
      if (answer.status >= 500) {
        throw new Error("server error " + answer.status);
      }
      online(true);
      if (answer.status === 400 && answer.body.code === "csrf" && !retried) {
        return refreshKit().then(function () { submit(code, scan); });
      }
      if (answer.body.reason === "ok" && answer.body.ticket) {
        var payload = parse(scan.code, (kit() || {}).prefix || "FT1:");
        var local = localParts(new Date(answer.body.scanned_at || scan.scanned_at), config.timezone);
        if (payload) {
          remember(kitPoint(scan.point), payload.code, local.day, answer.body.people,
                   answer.body.scanned_at || scan.scanned_at);
        }
      }
      if (sequence !== latest) {
        return;
      }
      if (answer.status === 401) {
        showProblem(text.login);
      } else if (answer.body.status === "ok" || config.reasons[answer.body.reason]) {
        showAnswer(answer.body);
      } else {
        showProblem(answer.body.message || String(answer.status));
      }
      sync();
    }).catch(function () {
      online(false);
      offline(scan, sequence);
    });
  }

  // --- sync ---------------------------------------------------------------------------------------------

  function render() {
    var waiting = queue().length;
    syncState.className = "sync" + (syncProblem ? " sync-problem" : waiting ? " sync-pending" : "");
    syncState.textContent = syncProblem || (waiting ? format(text.pending, {n: waiting}) : "");
    syncState.dataset.pending = String(waiting);
  }

  function sync() {
    var waiting = queue();
    if (syncing || !waiting.length || navigator.onLine === false) {
      return;
    }
    syncing = true;
    var batch = waiting.slice(0, 500);
    post(config.urls.sync, {scans: batch}, 30000).then(function (answer) {
      syncing = false;
      if (answer.status === 400 && answer.body.code === "csrf") {
        return refreshKit();
      }
      if (answer.status === 401) {
        syncProblem = text.login;
        return render();
      }
      if (answer.status !== 200) {
        return render();
      }
      online(true);
      var done = {}, refused = 0;
      answer.body.results.forEach(function (item) {
        done[item.nonce] = true;
        if (item.reason !== "ok") {
          refused += 1;
        }
      });
      store.set("queue", queue().filter(function (scan) { return !done[scan.nonce]; }));
      syncProblem = refused ? format(text.syncRefused, {n: refused}) : "";
      render();
      if (!refused && !queue().length) {
        syncState.textContent = text.synced;
      }
      sync();
    }, function () {
      syncing = false;
      online(false);
      render();
    });
  }

  // --- the camera ---------------------------------------------------------------------------------------

  function decoded(found) {
    var code = found && found.data !== undefined ? found.data : found;
    var now = Date.now();
    if (!code || (code === lastDecoded.code && now - lastDecoded.at < REPEAT_MS)) {
      return;
    }
    lastDecoded = {code: code, at: now};
    submit(code);
  }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return showProblem(text.noCamera);
    }
    cameraButton.disabled = true;
    import(config.urls.decoder).then(function (module) {
      var QrScanner = module.default;
      scanner = scanner || new QrScanner(video, decoded, {
        returnDetailedScanResult: true, preferredCamera: "environment", maxScansPerSecond: 10
      });
      cameraBox.hidden = false;
      return scanner.start();
    }).then(function () {
      cameraButton.textContent = text.cameraOff;
      cameraButton.dataset.on = "true";
    }).catch(function () {
      cameraBox.hidden = true;
      showProblem(text.noCamera);
    }).then(function () {
      cameraButton.disabled = false;
    });
  }

  function stopCamera() {
    if (scanner) {
      scanner.stop();
    }
    cameraBox.hidden = true;
    cameraButton.textContent = text.cameraOn;
    cameraButton.dataset.on = "false";
  }

  // --- wiring -------------------------------------------------------------------------------------------

  function describePoint() {
    var point = kitPoint(pointSelect.value);
    pointHint.textContent = !point ? "" : point.offline ? text.canOffline : text.cannotOffline;
  }

  (function prune() {                             // a fair lasts days: older admissions need not be kept
    var seen = store.get("seen", {}), cutoff = Date.now() - 7 * 86400000;
    Object.keys(seen).forEach(function (key) {
      if (new Date(seen[key].first).getTime() < cutoff) {
        delete seen[key];
      }
    });
    store.set("seen", seen);
  }());

  var remembered = store.get("point", "");
  if (remembered && pointSelect.querySelector("option[value='" + String(remembered).replace(/'/g, "") + "']")) {
    pointSelect.value = remembered;
  } else if (pointSelect.options.length === 2) {
    pointSelect.selectedIndex = 1;                 // the only point there is
  }
  pointSelect.addEventListener("change", function () {
    store.set("point", pointSelect.value);
    describePoint();
    codeInput.focus();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    unlockAudio();
    var code = codeInput.value;
    codeInput.value = "";
    submit(code);
    codeInput.focus();
  });
  cameraButton.addEventListener("click", function () {
    unlockAudio();
    if (cameraButton.dataset.on === "true") {
      stopCamera();
    } else {
      startCamera();
    }
  });
  result.panel.addEventListener("click", uncover);
  document.addEventListener("keydown", unlockAudio);
  document.addEventListener("pointerdown", unlockAudio);
  // A handheld scanner types into whatever has focus: give it back to the code field after any other click,
  // except on a phone, where focus would keep the on-screen keyboard over the answer.
  var coarse = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
  document.addEventListener("click", function (event) {
    if (!coarse && !event.target.closest("select, input, a, button")) {
      codeInput.focus();
    }
  });
  window.addEventListener("online", function () {
    online(true);
    refreshKit().then(sync);
  });
  window.addEventListener("offline", function () { online(false); });

  online(navigator.onLine !== false);
  describePoint();
  render();
  codeInput.focus();
  refreshKit().then(sync);
  window.setInterval(sync, SYNC_EVERY_MS);
  window.setInterval(refreshKit, KIT_EVERY_MS);
}());
