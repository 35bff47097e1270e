// The store associate's screen: polls the store's queue, counts deadlines down, sends one action per tap.
// Plain browser JavaScript, no build step. Every value from the API reaches the page through
// textContent or an attribute, never as markup.
"use strict";

(() => {
  const KEY_STORAGE = "omnistock.storeKey";
  const POLL_MS = 2000;
  const BACKOFF_MIN_MS = 2000;
  const BACKOFF_MAX_MS = 15000;
  const URGENT_MS = 5 * 60 * 1000;
  const BACK_ONLINE_MS = 3000;
  const REASONS = { NOT_FOUND: "not found", DAMAGED: "damaged", STORE_BUSY: "store too busy", OTHER: "other" };
  const ACTION_LABELS = {
    accept: "Accept", picked: "Picked", ready: "Ready for pickup", collected: "Collected",
    shipped: "Shipped…", reject: "Reject…",
  };
  const ACTION_DONE = {
    accept: "accepted", picked: "marked picked", ready: "marked ready for pickup",
    collected: "marked collected", shipped: "marked shipped", reject: "rejected",
  };
  const STATUS_LABELS = {
    REQUESTED: "New", ACCEPTED: "Accepted", PICKED: "Picked", READY_FOR_PICKUP: "Ready for pickup",
    SHIPPED: "Shipped", COLLECTED: "Collected", REJECTED: "Rejected",
  };
  const METHOD_LABELS = {
    HOME_STANDARD: "Home delivery", HOME_EXPRESS: "Express delivery", CLICK_COLLECT: "Click & collect",
    RELAY: "Relay point",
  };

  const body = document.body;
  const locationId = body.dataset.locationId || "";
  const apiBase = body.dataset.apiBase || "";
  const $ = (id) => document.getElementById(id);

  const state = {
    key: null,
    skewMs: 0, // server clock minus this device's clock, from each answer's as_of
    timezone: undefined,
    timer: null,
    polling: false,
    pollAgain: false,
    failures: 0,
    offline: false,
    needsKey: false,
    inFlight: new Set(), // shipment ids with an action on the way, or done and not yet read back
    settling: new Map(), // shipment id -> the poll sequence number that will show its action's outcome
    pollSeq: 0,
    focusAfterRender: null,
    shipments: new Map(), // shipment id -> the API's shipment, as last rendered
    dialogShipment: null,
    pendingCount: null, // {sku, on_hand, count_id}: a failed count resent with the same id
  };

  // ---- the key: #key=... moves to localStorage, and leaves the address bar -----------------------
  function takeKeyFromFragment() {
    const match = /(?:^#|&)key=([^&]*)/.exec(window.location.hash);
    if (match) {
      const key = decodeURIComponent(match[1]);
      if (key) storeKey(key);
      history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    try {
      state.key = window.localStorage.getItem(KEY_STORAGE);
    } catch (_) {
      state.key = state.key || null; // storage refused (private mode): the key lives as long as the page
    }
  }

  function storeKey(key) {
    state.key = key;
    try {
      window.localStorage.setItem(KEY_STORAGE, key);
    } catch (_) { /* private mode: kept in memory only */ }
  }

  // ---- calling the API ----------------------------------------------------------------------------
  class ConnectionLost extends Error {}

  async function api(method, path, payload) {
    const headers = { Accept: "application/json" };
    if (state.key) headers["X-API-Key"] = state.key;
    const init = { method, headers, cache: "no-store" };
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    let response;
    try {
      response = await fetch(apiBase + path, init);
    } catch (_) {
      throw new ConnectionLost("The server cannot be reached.");
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    // A proxy's 502/504 or an HTML error page: the API is not there, as good as a lost connection.
    if ((response.status === 502 || response.status === 504) || (!data && response.status >= 500)) {
      throw new ConnectionLost("The server is not answering.");
    }
    return { status: response.status, ok: response.ok, data: data || {} };
  }

  function messageOf(answer) {
    if (answer.data && typeof answer.data.message === "string") return answer.data.message;
    return `The server refused (HTTP ${answer.status}).`;
  }

  const storePath = () => `/v1/stores/${encodeURIComponent(locationId)}`;

  // ---- messages -----------------------------------------------------------------------------------
  // An error stays in view (the header is sticky) until the next action, or for 15 s; the
  // missing-key message stays until a key works.
  let errorTimer = null;
  function showError(text) {
    $("error").textContent = text || "";
    clearTimeout(errorTimer);
    if (text && !state.needsKey) errorTimer = setTimeout(() => { $("error").textContent = ""; }, 15000);
  }

  let noticeTimer = null;
  function showNotice(text) {
    $("notice").textContent = text;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { $("notice").textContent = ""; }, 6000);
  }

  function refused(answer) {
    if (answer.status === 401 || answer.status === 403) {
      askForKey(messageOf(answer));
      return;
    }
    showError(messageOf(answer));
  }

  function askForKey(message) {
    state.needsKey = true;
    showError(message);
    const panel = $("key-panel");
    const wasHidden = panel.hidden;
    panel.hidden = false;
    if (wasHidden) $("key-input").focus();
  }

  // ---- connection banner ----------------------------------------------------------------------------
  let backOnlineTimer = null;
  function connectionLost() {
    state.failures += 1;
    if (!state.offline) {
      state.offline = true;
      clearTimeout(backOnlineTimer);
      const banner = $("connection");
      banner.className = "banner offline";
      $("connection-text").textContent = "Connection lost — retrying…";
      $("retry-now").hidden = false;
      banner.hidden = false;
    }
    return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (state.failures - 1));
  }

  function connectionBack() {
    state.failures = 0;
    if (!state.offline) return;
    state.offline = false;
    const banner = $("connection");
    banner.className = "banner online";
    $("connection-text").textContent = "Back online";
    $("retry-now").hidden = true;
    backOnlineTimer = setTimeout(() => { banner.hidden = true; }, BACK_ONLINE_MS);
  }

  // ---- polling the queue ----------------------------------------------------------------------------
  function schedule(delayMs) {
    clearTimeout(state.timer);
    state.timer = setTimeout(poll, delayMs);
  }

  function refreshNow() {
    if (state.polling) {
      state.pollAgain = true;
      return;
    }
    schedule(0);
  }

  async function poll() {
    clearTimeout(state.timer);
    state.polling = true;
    state.pollSeq += 1;
    const seq = state.pollSeq;
    let next = POLL_MS;
    try {
      const answer = await api("GET", `${storePath()}/shipments`);
      connectionBack();
      if (answer.ok) {
        if (state.needsKey) {
          state.needsKey = false;
          $("key-panel").hidden = true;
          showError("");
        }
        renderQueue(answer.data);
        settle(seq);
      } else {
        refused(answer);
        next = answer.status === 401 || answer.status === 403 ? BACKOFF_MAX_MS : POLL_MS * 2;
      }
    } catch (error) {
      if (error instanceof ConnectionLost) {
        next = connectionLost();
      } else {
        console.error(error); // a bug of this page: say so, and keep polling
        showError(`This page hit a problem (${error.message}); it keeps trying.`);
      }
    } finally {
      state.polling = false;
    }
    if (state.pollAgain) {
      state.pollAgain = false;
      next = 0;
    }
    schedule(next);
  }

  // A shipment stays busy after its action until a poll started after the action has been shown:
  // the second tap of a double tap finds the button still disabled, or the card already moved on.
  function settle(seq) {
    for (const [shipmentId, after] of state.settling) {
      if (seq > after) {
        state.settling.delete(shipmentId);
        setBusy(shipmentId, false);
      }
    }
    const target = state.focusAfterRender;
    if (!target || state.settling.has(target)) return;
    state.focusAfterRender = null;
    if (!document.activeElement || document.activeElement === document.body) refocus([target, ""]);
  }

  // ---- rendering ------------------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function serverNow() {
    return Date.now() + state.skewMs;
  }

  function formatDate(iso) {
    if (!iso) return "not known";
    const options = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
    try {
      return new Intl.DateTimeFormat(undefined, { ...options, timeZone: state.timezone }).format(new Date(iso));
    } catch (_) {
      return new Intl.DateTimeFormat(undefined, options).format(new Date(iso));
    }
  }

  function formatSpan(ms) {
    const seconds = Math.floor(Math.abs(ms) / 1000);
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    if (h >= 24) return `${Math.floor(h / 24)} d ${h % 24} h`;
    if (h > 0) return `${h} h ${String(m).padStart(2, "0")} min`;
    return `${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  }

  function formatAge(seconds) {
    if (seconds < 60) return "just now";
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min ago`;
    return `${Math.floor(seconds / 86400)} d ago`;
  }

  function renderHeader(data) {
    const name = data.name || locationId;
    $("store-name").textContent = name;
    $("store-id").textContent = data.name && data.name !== locationId ? locationId : "";
    document.title = `${name} — omnistock store`;
    const capacity = data.capacity || {};
    const used = Number(capacity.used || 0);
    const daily = capacity.daily;
    const box = $("capacity");
    box.hidden = false;
    const meter = $("capacity-meter");
    const fill = $("capacity-fill");
    if (typeof daily === "number" && daily > 0) {
      $("capacity-figures").textContent = `${used} / ${daily} lines`;
      const share = Math.min(1, used / daily);
      fill.style.width = `${Math.round(share * 100)}%`;
      meter.setAttribute("aria-valuemax", String(daily));
      meter.setAttribute("aria-valuenow", String(Math.min(used, daily)));
      box.classList.toggle("full", share >= 1);
      box.classList.toggle("high", share >= 0.8 && share < 1);
      meter.hidden = false;
    } else {
      $("capacity-figures").textContent = `${used} lines (no daily limit)`;
      meter.hidden = true;
    }
  }

  function signature(shipment) {
    const { age_s: _age, ...rest } = shipment;
    return JSON.stringify(rest);
  }

  function renderQueue(data) {
    if (data.as_of) state.skewMs = Date.parse(data.as_of) - Date.now();
    if (data.timezone) state.timezone = data.timezone;
    renderHeader(data);
    $("as-of").textContent = `Updated ${new Date(serverNow()).toLocaleTimeString()}`;
    const shipments = Array.isArray(data.shipments) ? data.shipments : [];
    const list = $("queue");
    const existing = new Map();
    for (const card of list.children) existing.set(card.dataset.shipmentId, card);
    const received = Date.now();
    const cards = shipments.map((shipment) => {
      const old = existing.get(shipment.shipment_id);
      const same = old && old.dataset.signature === signature(shipment);
      const card = same ? old : shipmentCard(shipment);
      card.dataset.ageAt = String(received);
      card.dataset.ageS = String(shipment.age_s || 0);
      return card;
    });
    // Move cards into place without re-creating the ones that did not change: keeps the focus.
    const focused = document.activeElement;
    const focusKey = focused && focused.dataset && focused.dataset.action && focused.closest("[data-shipment-id]")
      ? [focused.closest("[data-shipment-id]").dataset.shipmentId, focused.dataset.action] : null;
    cards.forEach((card, index) => {
      if (list.children[index] !== card) list.insertBefore(card, list.children[index] || null);
    });
    while (list.children.length > cards.length) list.lastElementChild.remove();
    state.shipments = new Map(shipments.map((s) => [s.shipment_id, s]));
    if (focusKey && !document.body.contains(focused)) refocus(focusKey);
    $("queue-count").textContent = shipments.length ? `(${shipments.length})` : "";
    $("queue-empty").hidden = shipments.length > 0;
    tick();
  }

  function refocus([shipmentId, action]) {
    const card = $("queue").querySelector(`[data-shipment-id="${CSS.escape(shipmentId)}"]`);
    if (!card) {
      $("queue-title").focus();
      return;
    }
    const button = (action && card.querySelector(`button[data-action="${CSS.escape(action)}"]`))
      || card.querySelector("button:not([disabled])");
    (button || card).focus();
  }

  function shipmentCard(shipment) {
    const busy = state.inFlight.has(shipment.shipment_id);
    const requested = shipment.status === "REQUESTED";
    const flow = shipment.flow === "PICKUP" ? "Pickup here" : "Ship";
    const method = METHOD_LABELS[shipment.method] || shipment.method || "";
    const lines = el("ul", { class: "lines" }, ...(shipment.lines || []).map((line) =>
      el("li", {}, el("span", { class: "sku", text: line.sku }), el("span", { class: "times", text: " × " }),
        el("strong", { class: "qty", text: String(line.quantity) }))));
    const promised = shipment.flow === "PICKUP" ? shipment.promised_earliest : shipment.promised_latest;
    const actions = el("div", { class: "actions" }, ...(shipment.actions || []).map((action) =>
      el("button", {
        type: "button",
        "data-action": action,
        class: action === "reject" ? "danger" : (action === (shipment.actions || [])[0] ? "primary" : ""),
        disabled: busy,
        "aria-label": `${ACTION_LABELS[action] || action} ${shipment.order_id}`,
        text: ACTION_LABELS[action] || action,
      })));
    const card = el("li", {
      "data-testid": "shipment",
      "data-shipment-id": shipment.shipment_id,
      "data-status": shipment.status,
      class: `card status-${String(shipment.status).toLowerCase()}`,
      "aria-busy": busy ? "true" : null,
    },
    el("div", { class: "card-head" },
      el("strong", { class: "order", text: shipment.order_id }),
      el("span", { class: "badge status", text: STATUS_LABELS[shipment.status] || shipment.status }),
      shipment.pending ? el("span", { class: "badge pending", text: "saving…" }) : null,
      el("span", { class: `badge flow flow-${String(shipment.flow).toLowerCase()}`, text: `${flow} · ${method}` })),
    el("div", { class: "deadline", "data-due": shipment.due_at || "" },
      el("span", { class: "deadline-label", text: requested ? "Accept within" : "Due in" }),
      el("strong", { class: "countdown", "data-testid": "countdown" })),
    lines,
    el("dl", { class: "meta" },
      el("dt", { text: shipment.flow === "PICKUP" ? "Customer comes" : "Promised by" }),
      el("dd", { text: formatDate(promised) }),
      el("dt", { text: "Ordered" }),
      el("dd", { class: "age" })),
    actions);
    card.dataset.signature = signature(shipment);
    return card;
  }

  function tick() {
    const now = serverNow();
    for (const card of $("queue").children) {
      const deadline = card.querySelector(".deadline");
      const countdown = card.querySelector(".countdown");
      const due = Date.parse(deadline.dataset.due);
      if (Number.isNaN(due)) {
        countdown.textContent = "no deadline";
        deadline.classList.remove("urgent", "overdue");
      } else {
        const left = due - now;
        deadline.classList.toggle("urgent", left > 0 && left < URGENT_MS);
        deadline.classList.toggle("overdue", left <= 0);
        countdown.textContent = left > 0 ? formatSpan(left) : `overdue by ${formatSpan(left)}`;
      }
      const ageS = Number(card.dataset.ageS || 0) + Math.floor((Date.now() - Number(card.dataset.ageAt || Date.now())) / 1000);
      card.querySelector(".age").textContent = formatAge(ageS);
    }
  }

  // ---- actions ------------------------------------------------------------------------------------
  function setBusy(shipmentId, busy) {
    if (busy) state.inFlight.add(shipmentId);
    else state.inFlight.delete(shipmentId);
    const card = $("queue").querySelector(`[data-shipment-id="${CSS.escape(shipmentId)}"]`);
    if (!card) return;
    if (busy) card.setAttribute("aria-busy", "true");
    else card.removeAttribute("aria-busy");
    for (const button of card.querySelectorAll("button[data-action]")) button.disabled = busy;
  }

  async function act(shipmentId, action, payload) {
    if (state.inFlight.has(shipmentId)) return; // one request at a time per shipment: a double tap sends one
    const shipment = state.shipments.get(shipmentId);
    const orderId = shipment ? shipment.order_id : shipmentId;
    // The focused button is about to be disabled (the browser drops its focus): give the focus back
    // to this card's next action once the queue shows the outcome, so a keyboard user keeps their place.
    const focusedCard = document.activeElement && document.activeElement.closest
      && document.activeElement.closest("[data-shipment-id]");
    if (focusedCard && focusedCard.dataset.shipmentId === shipmentId) state.focusAfterRender = shipmentId;
    setBusy(shipmentId, true);
    showError("");
    let done = false;
    try {
      const path = `${storePath()}/shipments/${encodeURIComponent(shipmentId)}/${action}`;
      const answer = await api("POST", path, payload);
      done = answer.ok;
      if (answer.ok) showNotice(`Order ${orderId} ${ACTION_DONE[action] || action}.`);
      else if (answer.status === 401 || answer.status === 403) refused(answer);
      else showError(`Order ${orderId}: ${messageOf(answer)}`);
    } catch (error) {
      if (!(error instanceof ConnectionLost)) throw error;
      const what = ACTION_DONE[action] || action;
      showError(`Order ${orderId}: the server could not be reached, so it may not have been ${what}. `
        + "Try again: a repeat is safe.");
    } finally {
      if (done) state.settling.set(shipmentId, state.pollSeq);
      else setBusy(shipmentId, false);
      refreshNow();
    }
  }

  function onQueueClick(event) {
    const button = event.target.closest("button[data-action]");
    if (!button || button.disabled) return;
    const card = button.closest("[data-shipment-id]");
    const shipmentId = card.dataset.shipmentId;
    const action = button.dataset.action;
    if (action === "reject") openReject(shipmentId, button);
    else if (action === "shipped") openShip(shipmentId, button);
    else act(shipmentId, action);
  }

  function openReject(shipmentId, opener) {
    const shipment = state.shipments.get(shipmentId);
    state.dialogShipment = shipmentId;
    state.dialogOpener = opener;
    $("reject-subject").textContent = shipment ? `Order ${shipment.order_id}` : shipmentId;
    const lines = (shipment && shipment.lines) || [];
    const list = $("reject-line-list");
    list.replaceChildren(...lines.map((line) => {
      const id = `reject-line-${line.line_id}`;
      return el("div", { class: "check" },
        el("input", { type: "checkbox", id, value: line.line_id, name: "line_ids" }),
        el("label", { for: id, text: `${line.sku} × ${line.quantity}` }));
    }));
    $("reject-lines").hidden = lines.length < 2;
    $("reject-dialog").showModal();
  }

  function chooseReason(event) {
    const button = event.target.closest("button[data-reason]");
    if (!button) return;
    const shipmentId = state.dialogShipment;
    const lineIds = [...$("reject-line-list").querySelectorAll("input:checked")].map((box) => box.value);
    const payload = { reason: button.dataset.reason };
    if (lineIds.length) payload.line_ids = lineIds;
    closeDialog("reject-dialog");
    act(shipmentId, "reject", payload);
  }

  function openShip(shipmentId, opener) {
    const shipment = state.shipments.get(shipmentId);
    state.dialogShipment = shipmentId;
    state.dialogOpener = opener;
    $("ship-subject").textContent = shipment ? `Order ${shipment.order_id}` : shipmentId;
    $("tracking-number").value = "";
    $("ship-dialog").showModal();
  }

  function submitShip(event) {
    event.preventDefault();
    const tracking = $("tracking-number").value.trim();
    if (!tracking) {
      $("tracking-number").focus();
      return;
    }
    const shipmentId = state.dialogShipment;
    closeDialog("ship-dialog");
    act(shipmentId, "shipped", { tracking_number: tracking });
  }

  function closeDialog(id) {
    const dialog = $(id);
    if (dialog.open) dialog.close();
  }

  function restoreFocus() {
    const opener = state.dialogOpener;
    state.dialogOpener = null;
    if (!opener || !document.body.contains(opener)) return;
    if (opener.disabled) state.focusAfterRender = opener.closest("[data-shipment-id]").dataset.shipmentId;
    else opener.focus();
  }

  // ---- stock lookup and quick count ---------------------------------------------------------------
  async function lookUp(event) {
    event.preventDefault();
    const sku = $("lookup-sku").value.trim();
    const out = $("lookup-result");
    if (!sku) return;
    out.textContent = "Looking up…";
    try {
      const answer = await api("GET", `${storePath()}/stock/${encodeURIComponent(sku)}?nearby=5`);
      if (!answer.ok) {
        out.textContent = messageOf(answer);
        if (answer.status === 401 || answer.status === 403) askForKey(messageOf(answer));
        return;
      }
      const data = answer.data;
      const here = data.here
        ? `Here: ${data.here.atp} available (${data.here.on_hand} on hand, ${data.here.allocated} for orders).`
        : "Here: never stocked.";
      const nearby = (data.nearby || []).map((place) =>
        el("li", {}, el("strong", { text: place.name || place.location_id }),
          el("span", { text: ` — ${place.distance_km} km — ${place.atp} available` })));
      out.replaceChildren(el("p", { text: here }),
        nearby.length ? el("ul", { class: "nearby" }, ...nearby) : el("p", { class: "muted", text: "No store nearby has it." }));
    } catch (error) {
      if (!(error instanceof ConnectionLost)) throw error;
      out.textContent = "The server cannot be reached; try again in a moment.";
    }
  }

  function newCountId() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes); // works on plain http too, unlike crypto.randomUUID
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function sendCount(event) {
    event.preventDefault();
    const sku = $("count-sku").value.trim();
    const onHand = Number.parseInt($("count-units").value, 10);
    const out = $("count-result");
    if (!sku || !Number.isInteger(onHand) || onHand < 0) {
      out.textContent = "Enter a SKU and the units counted (0 or more).";
      return;
    }
    // The same submission sent again (after a failure) keeps its id: the server counts it once.
    const pending = state.pendingCount;
    const count = pending && pending.sku === sku && pending.on_hand === onHand
      ? pending : { sku, on_hand: onHand, count_id: newCountId() };
    state.pendingCount = count;
    const submit = $("count-form").querySelector("button[type=submit]");
    submit.disabled = true;
    out.textContent = "Sending…";
    try {
      const answer = await api("POST", `${storePath()}/counts`, count);
      if (answer.ok) {
        state.pendingCount = null;
        out.textContent = `Count sent: ${sku} = ${onHand}.`;
        $("count-form").reset();
      } else {
        out.textContent = messageOf(answer);
        if (answer.status === 401 || answer.status === 403) askForKey(messageOf(answer));
      }
    } catch (error) {
      if (!(error instanceof ConnectionLost)) throw error;
      out.textContent = "The server cannot be reached: send again when back online (it will count once).";
    } finally {
      submit.disabled = false;
    }
  }

  // ---- the store picker (/store) --------------------------------------------------------------------
  async function loadStores() {
    try {
      const answer = await api("GET", "/v1/stores");
      if (!answer.ok) {
        refused(answer);
        return;
      }
      showError("");
      $("key-panel").hidden = true;
      const stores = answer.data.stores || [];
      $("store-list").replaceChildren(...stores.map((store) =>
        el("li", {}, el("a", {
          href: `${apiBase}/store/${encodeURIComponent(store.location_id)}`,
          text: `${store.name || store.location_id} (${store.location_id})`,
        }))));
      if (!stores.length) showError("This key acts for no store.");
    } catch (error) {
      if (!(error instanceof ConnectionLost)) throw error;
      showError("The server cannot be reached; reload the page in a moment.");
    }
  }

  function saveKey(event) {
    event.preventDefault();
    const key = $("key-input").value.trim();
    if (!key) return;
    storeKey(key);
    $("key-input").value = "";
    showError("");
    showNotice("Key saved on this device.");
    if (locationId) refreshNow();
    else loadStores();
  }

  // ---- start ------------------------------------------------------------------------------------------
  function start() {
    takeKeyFromFragment();
    $("key-form").addEventListener("submit", saveKey);
    $("retry-now").addEventListener("click", () => { state.failures = Math.max(0, state.failures - 1); refreshNow(); });
    if (!locationId) {
      $("store-name").textContent = "omnistock store";
      $("picker").hidden = false;
      loadStores();
      return;
    }
    $("store-name").textContent = locationId;
    $("queue-section").hidden = false;
    $("tools").hidden = false;
    $("queue").addEventListener("click", onQueueClick);
    $("reject-form").addEventListener("click", chooseReason);
    $("reject-dialog").addEventListener("close", restoreFocus);
    $("ship-dialog").addEventListener("close", restoreFocus);
    $("ship-form").addEventListener("submit", submitShip);
    $("ship-cancel").addEventListener("click", () => closeDialog("ship-dialog"));
    $("lookup-form").addEventListener("submit", lookUp);
    $("count-form").addEventListener("submit", sendCount);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) refreshNow(); });
    setInterval(tick, 1000);
    poll();
  }

  start();
})();
