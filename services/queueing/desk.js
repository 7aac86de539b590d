// The operator desk: presence, pushed offers, the context card and the actions, over the
// operator's own routes with their own token (services/queueing/desk.py says which).
import {follow, provider, signIn, token, who} from "./pages/signin.js";
import {casePanel} from "./desk_case.js";

const TEXTS = {
  sv: {
    title: "Operatörsdesk – Polisens kontaktcenter", presence_h: "Närvaro", start: "Logga in på desken (redo)",
    ready: "Redo", reason: "Orsak", pause: "Pausa", logout: "Logga ut från desken", keys_h: "Tangentbord",
    keys_intro: "Alla knappar nås med Tab i ordning uppifrån. Snabbtangenter (Alt+Skift+tangent i Chromium och Firefox, Ctrl+Alt på Mac):",
    k_start: "logga in på desken", k_accept: "ta emot erbjudandet", k_reject: "avböj erbjudandet", k_answer: "svara",
    k_outcome: "registrera utfallet", k_ready: "redo (avsluta efterarbete eller paus)", k_pause: "pausa",
    offer_h: "Nytt erbjudande", answer_within: "Ta emot inom", accept: "Ta emot", reject: "Avböj", card_h: "Kontakten",
    emergency: "Möjligt nödläge enligt triage – läs först och överväg 112.", channel: "Kanal", region: "Region",
    waited: "Väntetid", category: "Behovskategori", explanation: "Triagens förklaring", matter: "Ärendetyp",
    e_service: "E-tjänst", state: "Läge", answer: "Svara", outcome: "Utfall", record: "Registrera utfall",
    wrapup_h: "Efterarbete", lang: "English", langcode: "en",
    transfer_open: "Koppla vidare…", transfer_h: "Koppla vidare", t_to: "Till", to_own: "kö i egen region",
    to_region: "annan regions kö", to_112: "112 (nödnumret)", t_region: "Mottagande region", t_queue: "Kö",
    t_category: "Ny behovskategori", transfer_send: "Koppla vidare", cancel: "Avbryt", k_transfer: "koppla vidare (Esc avbryter)",
    queues: {"": "kategorins kö", crime_report: "Anmälan", urgent: "Skyndsamt", switchboard: "Växel"},
    transferred: (region, queue, category) => region ? `Kopplad vidare till ${region}, kön ${queue}, som ${category}.` : "Kopplad vidare till 112.",
    status: {ready: "Redo – väntar på erbjudande", offered: "Erbjudande", busy: "Upptagen", wrap_up: "Efterarbete",
      paused: "Paus", signed_out: "Utloggad"},
    reasons: {rast: "rast", utbildning: "utbildning", administration: "administration", offer_declined: "avböjt erbjudande – tryck Redo"},
    channels: {phone: "Telefon (114 14)", e_service: "E-tjänst", social_media: "Sociala medier", reception: "Reception", physical_meeting: "Fysiskt möte", mail: "Post/e-post"},
    categories: {emergency: "Nöd", urgent: "Skyndsamt", case_help: "Hjälp med ärende", information: "Information"},
    matters: {ongoing_crime_or_danger: "Pågående brott eller fara", theft: "Stöld", burglary: "Inbrott", shop_theft: "Butiksstöld",
      card_fraud: "Kortbedrägeri", loss: "Förlust", vandalism: "Skadegörelse", parking_damage: "Parkeringsskada", tip: "Tips",
      passport_booking: "Passbokning", criminal_record_extract: "Registerutdrag", permit_public_place: "Tillstånd offentlig plats",
      permit_weapons: "Vapenlicens", traffic: "Trafik", case_question: "Fråga om ärende", general_question: "Allmän fråga", other: "Övrigt"},
    outcomes: {report_filed: "Anmälan upprättad (skapar ärende)", sent_to_e_service: "Hänvisad till e-tjänst", information_given: "Information lämnad",
      transferred: "Kopplad vidare", redirected_to_112: "Hänvisad till 112", no_action: "Ingen åtgärd"},
    states: {offered: "erbjuden", assigned: "tagen – ej besvarad", answered: "besvarad", resolved: "avslutad"},
    rules: rule => `regeln ${rule} avgjorde`, model: rule => `modellen höjde regelns (${rule}) bedömning`,
    confidence: p => `modellens sannolikhet ${p} %`, no_confidence: "ingen modellsannolikhet",
    no_e_service: "ingen e-tjänst för ärendet", low_confidence: "osäker bedömning – läs själv",
    left: s => `${s} s`, wrapup_left: s => `efterarbete klart om ${s} s`, wrapup_result: (o, c) => `Utfall: ${o}.` + (c ? ` Ärende ${c}.` : ""),
    signed_in_as: u => "inloggad som " + u, connecting: "ansluter…", live: "live", lost: "frånkopplad – försöker igen…",
    retrying: m => `gick inte: ${m} – försöker igen…`, refused: (s, r) => `nekad (${s}): ${r}`, cannot_sign_in: m => "kan inte logga in: " + m, failed: m => "gick inte: " + m,
    k_case: "visa ärendet som utfallet skapade", wrapup_case: "Visa ärendet och koden till medborgaren", case_h: "Ärende",
    case_ref: "Ärendenummer eller id", case_open: "Visa ärendet", case_number: "Ärendenummer", case_status: "Status", case_created: "Skapat",
    case_secret: "Kod till medborgaren", secret_show: "Visa koden", case_history: "Historik", note: "Anteckning",
    note_visible: "Synlig för medborgaren", note_send: "Lägg till anteckningen", close_reason: "Avslutsorsak", close_send: "Avsluta ärendet",
    case: {statuses: {open: "Öppet", closed: "Avslutat"}, kinds: {created: "skapat", note: "anteckning", information: "medborgarens information", closed: "avslutat"},
      by: {operator: "operatör", citizen: "medborgaren", e_service: "e-tjänst"}, visible: "synlig för medborgaren", internal: "intern",
      reasons: {handled: "Handlagt", referred: "Överlämnat till utredning", withdrawn: "Återkallat", duplicate: "Dubblett"},
      case_loading: "hämtar ärendet…", case_unknown: "Inget ärende med den referensen.", case_failed: m => "gick inte: " + m,
      note_added: "Anteckningen är tillagd.", case_closed: "Ärendet är avslutat.", note_empty: "Skriv anteckningen först."},
  },
  en: {
    title: "Operator desk – Police contact centre", presence_h: "Presence", start: "Sign in to the desk (ready)",
    ready: "Ready", reason: "Reason", pause: "Pause", logout: "Sign out of the desk", keys_h: "Keyboard",
    keys_intro: "Every button is reached with Tab, top to bottom. Access keys (Alt+Shift+key in Chromium and Firefox, Ctrl+Alt on a Mac):",
    k_start: "sign in to the desk", k_accept: "accept the offer", k_reject: "reject the offer", k_answer: "answer",
    k_outcome: "record the outcome", k_ready: "ready (end wrap-up or pause)", k_pause: "pause",
    offer_h: "New offer", answer_within: "Accept within", accept: "Accept", reject: "Reject", card_h: "The contact",
    emergency: "Possible emergency according to triage – read first and consider 112.", channel: "Channel", region: "Region",
    waited: "Waiting time", category: "Need category", explanation: "Triage's explanation", matter: "Matter type",
    e_service: "E-service", state: "State", answer: "Answer", outcome: "Outcome", record: "Record outcome",
    wrapup_h: "Wrap-up", lang: "Svenska", langcode: "sv",
    transfer_open: "Transfer…", transfer_h: "Transfer", t_to: "To", to_own: "a queue of this region",
    to_region: "another region's queue", to_112: "112 (emergency number)", t_region: "Receiving region", t_queue: "Queue",
    t_category: "New need category", transfer_send: "Transfer", cancel: "Cancel", k_transfer: "transfer (Esc cancels)",
    queues: {"": "the category's queue", crime_report: "Crime report", urgent: "Urgent", switchboard: "Switchboard"},
    transferred: (region, queue, category) => region ? `Transferred to ${region}, ${queue} queue, as ${category}.` : "Transferred to 112.",
    status: {ready: "Ready – waiting for an offer", offered: "Offer", busy: "Busy", wrap_up: "Wrap-up", paused: "Paused", signed_out: "Signed out"},
    reasons: {rast: "break", utbildning: "training", administration: "administration", offer_declined: "offer declined – press Ready"},
    channels: {phone: "Phone (114 14)", e_service: "E-service", social_media: "Social media", reception: "Reception", physical_meeting: "Physical meeting", mail: "Mail"},
    categories: {emergency: "Emergency", urgent: "Urgent", case_help: "Help with a case", information: "Information"},
    matters: {ongoing_crime_or_danger: "Ongoing crime or danger", theft: "Theft", burglary: "Burglary", shop_theft: "Shop theft",
      card_fraud: "Card fraud", loss: "Loss", vandalism: "Vandalism", parking_damage: "Parking damage", tip: "Tip",
      passport_booking: "Passport booking", criminal_record_extract: "Criminal record extract", permit_public_place: "Public place permit",
      permit_weapons: "Weapons licence", traffic: "Traffic", case_question: "Question about a case", general_question: "General question", other: "Other"},
    outcomes: {report_filed: "Report filed (creates a case)", sent_to_e_service: "Referred to e-service", information_given: "Information given",
      transferred: "Transferred", redirected_to_112: "Referred to 112", no_action: "No action"},
    states: {offered: "offered", assigned: "taken – not answered", answered: "answered", resolved: "resolved"},
    rules: rule => `rule ${rule} decided`, model: rule => `the model raised the rule's (${rule}) decision`,
    confidence: p => `model probability ${p} %`, no_confidence: "no model probability",
    no_e_service: "no e-service for this matter", low_confidence: "unsure – read it yourself",
    left: s => `${s} s`, wrapup_left: s => `wrap-up ends in ${s} s`, wrapup_result: (o, c) => `Outcome: ${o}.` + (c ? ` Case ${c}.` : ""),
    signed_in_as: u => "signed in as " + u, connecting: "connecting…", live: "live", lost: "disconnected – retrying…",
    retrying: m => `failed: ${m} – trying again…`, refused: (s, r) => `refused (${s}): ${r}`, cannot_sign_in: m => "cannot sign in: " + m, failed: m => "failed: " + m,
    k_case: "show the case the outcome opened", wrapup_case: "Show the case and the citizen's code", case_h: "Case",
    case_ref: "Case number or id", case_open: "Show the case", case_number: "Case number", case_status: "Status", case_created: "Opened",
    case_secret: "Code for the citizen", secret_show: "Show the code", case_history: "History", note: "Note",
    note_visible: "Visible to the citizen", note_send: "Add the note", close_reason: "Closing reason", close_send: "Close the case",
    case: {statuses: {open: "Open", closed: "Closed"}, kinds: {created: "opened", note: "note", information: "the citizen's information", closed: "closed"},
      by: {operator: "operator", citizen: "the citizen", e_service: "e-service"}, visible: "visible to the citizen", internal: "internal",
      reasons: {handled: "Handled", referred: "Referred to investigation", withdrawn: "Withdrawn", duplicate: "Duplicate"},
      case_loading: "fetching the case…", case_unknown: "No case with that reference.", case_failed: m => "failed: " + m,
      note_added: "The note is added.", case_closed: "The case is closed.", note_empty: "Write the note first."},
  },
};
const REGIONS = {bergslagen: "Bergslagen", mitt: "Mitt", nord: "Nord", stockholm: "Stockholm", syd: "Syd", vast: "Väst", ost: "Öst"};
const $ = id => document.getElementById(id);
let lang = localStorage.getItem("pkc.lang") === "en" ? "en" : "sv";
let config, idp, bearer = null, desk = null, accepted = null, following = false, statusLine = ["connecting"];
let resolved = null;  // this page's last outcome (ContactResolved): its case_id names the case it opened
let transferring = false, sending = false;  // the transfer form is open; a transfer is on its way
const ended = new Set();  // contacts this page gave an outcome or transferred: stale in the stream until it says so
const waited = {};  // contact id -> seconds it had waited when offered
const t = () => TEXTS[lang];
// Countdowns run on this page's clock from the time left when a message first showed them
// (the server's clock may be a simulated one, running `clock_speed` times faster).
const timers = {};
function secondsLeft(key, platformSeconds) {
  if (!(key in timers)) timers[key] = Date.now() + 1000 * platformSeconds / (config.clock_speed || 1);
  return Math.max(0, Math.ceil((timers[key] - Date.now()) / 1000));
}

async function call(method, path, body, extraHeaders = {}) {
  bearer = await token(idp);
  const headers = {Authorization: "Bearer " + bearer, ...extraHeaders};
  if (body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {method, headers, body: body ? JSON.stringify(body) : undefined});
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(data.detail || response.statusText), {status: response.status});
  return data;
}
const act = (method, path, body) => call(method, path, body).then(() => render()).catch(e => say(["failed", e.message]));

function say(line) {
  statusLine = line;
  const [key, ...args] = line, text = key === "transferred_to" ? whereTo(args[0]) : t()[key];
  $("status").textContent = typeof text === "function" ? text(...args) : text;
}
function fill(select, values, labels) {
  const was = select.value;
  select.innerHTML = values.map(v => `<option value="${v}">${labels[v] || v}</option>`).join("");
  if (values.includes(was)) select.value = was;
}
function translate() {
  document.documentElement.lang = lang;
  document.title = "PKC – " + t().title;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t()[el.dataset.t];
  $("lang").textContent = t().lang; $("lang").lang = t().langcode;
  fill($("pause-reason"), config ? config.pause_reasons : [], t().reasons);
  fill($("outcome"), config ? config.outcomes : [], t().outcomes);
  fill($("t-queue"), ["", "crime_report", "urgent", "switchboard"], t().queues);
  // Nöd is not a queue's category: an emergency goes to 112.
  fill($("t-category"), ["urgent", "case_help", "information"], t().categories);
  fill($("k-reason"), config ? config.close_reasons : [], t().case.reasons);
  cases.render();
  if (bearer) $("who").textContent = t().signed_in_as(who(bearer));
  say(statusLine); render();
}

function explanation(c) {
  const how = (c.decided_by === "model" ? t().model : t().rules)(c.rule_id || "?");
  const sure = c.confidence === null || c.confidence === undefined ? t().no_confidence : t().confidence(Math.round(100 * c.confidence));
  return `${how}; ${sure}` + (c.low_confidence ? ` – ${t().low_confidence}` : "");
}
function showCard(c, waited) {
  $("card").hidden = !c;
  $("card").dataset.contact = c ? c.contact_id : "";
  if (!c) return;
  $("emergency").hidden = !c.possible_emergency;
  $("c-channel").textContent = t().channels[c.channel] || c.channel;
  $("c-region").textContent = REGIONS[c.region] || c.region;
  $("c-waited").textContent = waited === null ? "–" : `${Math.floor(waited / 60)} min ${Math.round(waited % 60)} s`;
  $("c-category").textContent = t().categories[c.category] || c.category;
  $("c-explanation").textContent = explanation(c);
  $("c-matter").textContent = t().matters[c.matter] || c.matter;
  const link = $("c-e-service"); link.textContent = "";
  if (c.e_service) {
    const a = document.createElement("a");
    a.href = config.e_service_base_url + encodeURIComponent(c.e_service); a.target = "_blank"; a.rel = "noopener";
    a.textContent = c.e_service; link.append(a);
  } else link.textContent = t().no_e_service;
  $("c-state").textContent = t().states[c.status] || c.status;
  $("working").hidden = !["assigned", "answered"].includes(c.status);
  $("answer").hidden = c.status !== "assigned";
  $("outcome").disabled = $("record").disabled = $("transfer-open").disabled = c.status !== "answered";
  showTransferForm(c);
}
// The transfer form, for the answered contact only: where to (a queue of the contact's region,
// another region's queue, or 112) and, for a queue, the new need category.
function showTransferForm(c) {
  const open = transferring && c.status === "answered";
  $("transfer").hidden = !open; $("transfer-open").hidden = open;
  $("transfer-send").disabled = sending;
  if (!open) return;
  const to = $("t-to").value;
  if ($("t-region").dataset.from !== c.region) {  // not every second: an open list would close
    fill($("t-region"), Object.keys(REGIONS).filter(r => r !== c.region), REGIONS);
    $("t-region").dataset.from = c.region;
  }
  $("t-region-row").hidden = to !== "region";
  $("t-queue-row").hidden = $("t-category-row").hidden = to === "112";
}
function transferBody() {
  const to = $("t-to").value;
  if (to === "112") return {to: "112"};
  const body = {to: "queue", category: $("t-category").value};
  if (to === "region") body.region = $("t-region").value;
  if ($("t-queue").value) body.queue = $("t-queue").value;
  return body;
}
// Where a transfer went, from its `Transferred` event (services/queueing/transfer_routes.py).
const whereTo = e => e.destination === "112" ? t().transferred()
  : t().transferred(REGIONS[e.to_region] || e.to_region, t().queues[e.to_queue] || e.to_queue, t().categories[e.category] || e.category);
// A fresh Idempotency-Key per submitted transfer. A response lost on the way (no answer, or a
// server error) is retried with the same key, by the page and when the operator submits the
// same choice again, so the retry gets the first transfer's answer and never moves it twice.
let pending = null;
function keyFor(submission) {
  if (!pending || pending.submission !== submission) pending = {submission, key: uuid4()};
  return pending.key;
}
async function sendTransfer(id, body) {
  const key = keyFor(id + JSON.stringify(body));
  for (let attempt = 1; ; attempt++) {
    try {
      return await call("POST", `contacts/${id}/transfer`, body, {"Idempotency-Key": key});
    } catch (e) {
      if ((e.status && e.status < 500) || attempt === 3) throw e;  // a refusal is an answer
      say(["retrying", e.message]);
      await new Promise(resume => setTimeout(resume, 1000 * attempt));
    }
  }
}
function uuid4() {
  if (crypto.randomUUID) return crypto.randomUUID();  // only in secure contexts (https, localhost)
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map(x => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
// The last transfer, kept across a reload: the stream's wrap-up names the last contact given an
// outcome, which a transfer to a queue is not, so the page shows the transfer when the wrap-up
// is the one the transfer started (the same instant: the transfer moves the operator).
const lastTransfer = () => JSON.parse(sessionStorage.getItem("pkc.desk.transferred") || "null");

function render() {
  const op = desk && desk.operator;
  const status = op ? op.status : "signed_out";
  $("start").hidden = !!op || !bearer;
  $("logout").hidden = !op;
  $("ready").hidden = !op || !["paused", "wrap_up"].includes(status);
  $("pausing").hidden = !op || !["ready", "wrap_up", "offered"].includes(status);
  let text = t().status[status];
  if (status === "paused" && op.pause_reason) text += ` (${t().reasons[op.pause_reason] || op.pause_reason})`;
  $("presence").textContent = text; $("presence").dataset.status = status;
  const wrap = status === "wrap_up" && op.wrap_up_until && op.status_since;
  $("wrapup-left").textContent = wrap ? t().wrapup_left(secondsLeft("w" + op.status_since, (Date.parse(op.wrap_up_until) - Date.parse(op.status_since)) / 1000)) : "";
  const offer = desk && desk.offer;
  $("offer").hidden = !offer;
  $("offer").dataset.contact = offer ? offer.contact_id : "";
  if (offer) $("offer-left").textContent = t().left(secondsLeft("o" + offer.contact_id + offer.offered_at, (Date.parse(offer.expires_at) - Date.parse(offer.offered_at)) / 1000));
  // What this page did last is newer than the stream's message until the next one comes.
  const streamed = desk && desk.held && !ended.has(desk.held.contact_id) ? desk.held : null;
  const held = status !== "busy" ? null : accepted || streamed;
  const shown = offer || held;
  if (offer) waited[offer.contact_id] = offer.waiting_seconds;
  showCard(shown, shown && shown.contact_id in waited ? waited[shown.contact_id] : null);
  const last = desk && desk.wrapping_up, moved = lastTransfer();
  const after = wrap && moved && Date.parse(moved.occurred_at) === Date.parse(op.status_since);
  $("wrapup").hidden = !(wrap && (last || after));
  if (after) $("wrapup-result").textContent = whereTo(moved);
  else if (sending) $("wrapup-result").textContent = "";  // `last` is an earlier contact's
  else if (wrap && last) $("wrapup-result").textContent = t().wrapup_result(t().outcomes[last.outcome] || last.outcome, last.case_number);
  $("wrapup-case").hidden = !(wrap && last && last.case_number && !after && !sending);
}

function start() {
  if (following) return;
  following = true;
  follow(idp, "operators/me/offers/stream", {
    open(token) { bearer = token; $("who").textContent = t().signed_in_as(who(token)); say(["live"]); },
    event(name, data) { if (name === "desk") { desk = JSON.parse(data); render(); } },
    refused(status, reason) { if (status === 403) { sessionStorage.removeItem("pkc.desk"); desk = null; render(); } say(["refused", status, reason]); },
    lost() { say(["lost"]); },
    stop() { return !sessionStorage.getItem("pkc.desk"); },
  });
}

$("lang").onclick = () => { lang = lang === "sv" ? "en" : "sv"; localStorage.setItem("pkc.lang", lang); translate(); };
$("start").onclick = () => call("POST", "operators/login", {takeover: true})
  .then(() => { sessionStorage.setItem("pkc.desk", "1"); start(); }).catch(e => say(["failed", e.message]));
$("ready").onclick = () => act("POST", "operators/me/ready");
$("pause").onclick = () => act("POST", "operators/me/pause", {reason: $("pause-reason").value});
$("logout").onclick = () => act("POST", "operators/me/logout");
$("accept").onclick = () => call("POST", `contacts/${desk.offer.contact_id}/accept`)
  .then(contact => { accepted = contact; ended.delete(contact.contact_id); render(); $("answer").focus(); }).catch(e => say(["failed", e.message]));
$("reject").onclick = () => act("POST", `contacts/${desk.offer.contact_id}/reject`);
const current = () => (desk && desk.held) || accepted;
$("answer").onclick = () => call("POST", `contacts/${current().contact_id}/answer`)
  .then(() => { accepted = {...current(), status: "answered"}; render(); $("outcome").focus(); }).catch(e => say(["failed", e.message]));
$("record").onclick = () => { const id = current().contact_id; call("POST", `contacts/${id}/outcome`, {outcome: $("outcome").value})
  .then(answer => { resolved = answer; accepted = null; ended.add(id); render(); $("ready").focus(); }).catch(e => say(["failed", e.message])); };
// The case the wrap-up's outcome opened, with its secret to tell the citizen: by its id when
// this page recorded the outcome, else (a reloaded page) by the number the stream names.
$("wrapup-case").onclick = () => {
  const last = desk && desk.wrapping_up;
  if (!last || !last.case_number) return;
  const mine = resolved && resolved.contact_id === last.contact_id && resolved.case_id;
  $("case-ref").value = last.case_number;
  cases.open(mine || last.case_number, {withSecret: true, fresh: true});
  $("case-h").scrollIntoView(); $("k-message").focus();
};
$("transfer-open").onclick = () => { transferring = true; render(); $("t-to").focus(); };
const closeTransfer = () => { transferring = false; render(); $("transfer-open").focus(); };
$("transfer-cancel").onclick = closeTransfer;
$("transfer").onkeydown = e => { if (e.key === "Escape") closeTransfer(); };
$("t-to").onchange = render;
$("transfer").onsubmit = e => {
  e.preventDefault();
  const id = current().contact_id, body = transferBody();
  sending = true;
  sendTransfer(id, body)
    .then(moved => {
      pending = null; accepted = null; transferring = false; ended.add(id);
      const {destination, to_region, to_queue, category, occurred_at} = moved;  // no more is needed
      sessionStorage.setItem("pkc.desk.transferred", JSON.stringify({destination, to_region, to_queue, category, occurred_at}));
      say(["transferred_to", moved]); render(); $("presence").focus();
    }).catch(e => say(["failed", e.message])).finally(() => { sending = false; render(); });
};
const cases = casePanel({call, t, uuid4, regions: REGIONS});
setInterval(render, 1000);  // the countdowns

provider("desk/config").then(async found => {
  idp = found;
  config = await (await fetch("desk/config")).json();
  bearer = await token(idp);
  if (!bearer) return signIn(idp);
  translate();
  if (sessionStorage.getItem("pkc.desk")) start();  // a reload of a desk that is signed in
}).catch(e => say(["cannot_sign_in", e.message]));
