import {follow, provider, token, who} from "./pages/signin.js";

const REGIONS = {bergslagen:"Bergslagen", mitt:"Mitt", nord:"Nord", stockholm:"Stockholm", syd:"Syd", vast:"Väst", ost:"Öst"};
const WORDS = {
  sv: {title:"Arbetsledning – hela landet", queues:"Köer per region", operators:"Operatörer", name:"Namn", region:"Region", state:"Status", since:"I status",
       waiting:"Väntande kontakter (först i tur)", queue:"Kö", channel:"Kanal", priority:"Prioritet", waited:"Väntat", actions:"Åtgärder", orders:"Förstärkningar",
       donors:"Givare", until:"Till", by:"Beställd av", reinforce:"Förstärk", from:"med operatörer från", count:"antal", minutes:"minuter", orderit:"Beställ förstärkning",
       signout:"Logga ut", end:"Avsluta", move:"Flytta till", raise:"Höj prioritet", lang:"English", waitingNow:"väntar", oldest:"längst väntat", byPriority:"per prioritet",
       byChannel:"per kanal", over:"över målgränsen", emergencies:"möjliga nödärenden", updated:"uppdaterad", signedIn:"inloggad som", disconnected:"frånkopplad – försöker igen…",
       ready:"redo", offered:"erbjuden", busy:"upptagen", wrap_up:"efterarbete", paused:"paus", signed_out:"utloggad", none:"inga",
       rast:"rast", utbildning:"utbildning", administration:"administration", offer_declined:"avböjt erbjudande", lent:"utlånad",
       alerts:"Öppna larm", kind:"Larm", level:"Nivå", raised:"Larmat", ack:"Kvittera", noAlerts:"inga öppna larm", shareNow:"servicenivå nu", target:"mål",
       predicted:"prognos", risk:"risk för brott mot målet", staffing:"bemanning", needed:"behövs", present:"i tjänst", short:"saknas", erlangA:"Erlang A", erlangC:"Erlang C",
       noRate:"inga samtal i fönstret", slaOff:"Servicenivå: inte konfigurerad (PKC_QUEUEING_REPORTING_URL)", alertsOff:"Larm: inte konfigurerade (PKC_QUEUEING_NOTIFY_URL)",
       slaLost:"servicenivå: frånkopplad – försöker igen…", alertsLost:"larm: kan inte läsas – försöker igen…", acknowledged:"kvitterat",
       k_breach:"under målet", k_update:"försämring", k_predicted:"risk för brott mot målet", k_recovery:"återhämtat", k_reinforcement:"förstärkning", k_written:"möjligt nödärende (skriftligt)"},
  en: {title:"Supervisor board – whole country", queues:"Queues per region", operators:"Operators", name:"Name", region:"Region", state:"State", since:"In state",
       waiting:"Waiting contacts (next in line)", queue:"Queue", channel:"Channel", priority:"Priority", waited:"Waited", actions:"Actions", orders:"Reinforcements",
       donors:"Donors", until:"Until", by:"Ordered by", reinforce:"Reinforce", from:"with operators from", count:"count", minutes:"minutes", orderit:"Order reinforcement",
       signout:"Sign out", end:"End", move:"Move to", raise:"Raise priority", lang:"Svenska", waitingNow:"waiting", oldest:"oldest wait", byPriority:"by priority",
       byChannel:"by channel", over:"past the threshold", emergencies:"possible emergencies", updated:"updated", signedIn:"signed in as", disconnected:"disconnected – retrying…",
       ready:"ready", offered:"offered", busy:"busy", wrap_up:"wrap-up", paused:"paused", signed_out:"signed out", none:"none",
       rast:"break", utbildning:"training", administration:"administration", offer_declined:"declined offer", lent:"lent",
       alerts:"Open alerts", kind:"Alert", level:"Level", raised:"Raised", ack:"Acknowledge", noAlerts:"no open alerts", shareNow:"service level now", target:"target",
       predicted:"predicted", risk:"breach predicted", staffing:"staffing", needed:"needed", present:"on duty", short:"short", erlangA:"Erlang A", erlangC:"Erlang C",
       noRate:"no calls in the window", slaOff:"Service level: not configured (PKC_QUEUEING_REPORTING_URL)", alertsOff:"Alerts: not configured (PKC_QUEUEING_NOTIFY_URL)",
       slaLost:"service level: disconnected – retrying…", alertsLost:"alerts: cannot be read – retrying…", acknowledged:"acknowledged",
       k_breach:"below target", k_update:"worsening", k_predicted:"breach predicted", k_recovery:"recovered", k_reinforcement:"reinforcement", k_written:"possible emergency (written)"},
};
let lang = localStorage.getItem("pkc.lang") === "en" ? "en" : "sv";
let latest = null, bearer = null, signedInAs = "";
// What the board reads beside queueing, with the same token (board/config names where).
let sla = {}, alerts = [], config = {}, idp = null, outsideStarted = false;
// Reporting's and notify's panels: a word key each (not configured, lost), "" when fine.
const outside = {sla: "", alerts: ""};
const t = key => WORDS[lang][key] || key;
const esc = text => String(text ?? "").replace(/[&<>"']/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
function minutes(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.round(seconds); return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
function applyLanguage() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-t]").forEach(node => { node.textContent = t(node.dataset.t); });
  document.getElementById("lang").textContent = t("lang");
  if (signedInAs) document.getElementById("who").textContent = t("signedIn") + " " + signedInAs;
  if (latest) render(latest);
  renderAlerts();
  showOutside();
}
function counts(map) { return Object.entries(map).filter(([, n]) => n).map(([k, n]) => `${esc(k)} ${n}`).join(", ") || t("none"); }
const pct = share => share === null || share === undefined ? "–" : (100 * share).toFixed(1).replace(".", lang === "sv" ? "," : ".") + " %";
// One region's service level from reporting's row: the share now against the target, the
// share it is heading for, and the operators needed by Erlang C/A against those on duty.
function slaOf(region) {
  const r = sla[region];
  if (!r) return "";
  const below = r.window.share !== null && r.window.share < r.target;
  const s = r.staffing;
  const staffing = s ? `${t("needed")} <span class="needed-c">${s.operators_needed_erlang_c}</span> (${t("erlangC")})`
      + (s.operators_needed_erlang_a !== null ? ` / <span class="needed-a">${s.operators_needed_erlang_a}</span> (${t("erlangA")})` : "")
      + `, ${t("present")} ${s.operators_present}` + (s.shortfall ? `, <span class="flag">${t("short")} ${s.shortfall}</span>` : "")
    : `<span class="note">${t("noRate")}</span>`;
  return `<div>${t("shareNow")} <span class="share ${below ? "below" : ""}">${pct(r.window.share)}</span> (${t("target")} ${pct(r.target)})</div>
    <div>${t("predicted")} <span class="predicted">${pct(r.predicted_share)}</span>${r.breach_predicted ? ` · <span class="flag">${t("risk")}</span>` : ""}</div>
    <div class="staffing">${t("staffing")}: ${staffing}</div>`;
}
function renderSla(rows) {
  sla = Object.fromEntries(rows.map(r => [r.region, r]));
  // In place: the cards' other parts (and the focus in them) stay as they are.
  document.querySelectorAll("#regions .card").forEach(card => { card.querySelector(".sla").innerHTML = slaOf(card.dataset.region); });
}
function renderAlerts() {
  if (!config.notify_url) { document.getElementById("alerts").innerHTML = ""; return; }
  const open = alerts.filter(a => a.acknowledged_at === null && !["held", "suppressed"].includes(a.kind));
  const time = iso => new Date(iso).toLocaleTimeString(lang === "sv" ? "sv-SE" : "en-GB");
  document.getElementById("alerts").innerHTML = open.length ? open.map(a => `
    <tr data-alert="${esc(a.alert_id)}" data-region="${esc(a.region)}"><td>${REGIONS[a.region] || esc(a.region)}</td><td class="kind">${esc(t("k_" + a.kind))}</td>
    <td>${a.level}</td><td>${time(a.created_at)}</td>
    <td><button type="button" class="ack" data-id="${esc(a.alert_id)}">${t("ack")}</button></td></tr>`).join("")
    : `<tr><td colspan="5" class="note">${t("noAlerts")}</td></tr>`;
}
function render(board) {
  latest = board;
  document.getElementById("regions").innerHTML = board.regions.map(r => {
    const o = r.operators, late = r.service_level.waiting_over_threshold > 0;
    return `<div class="card ${late ? "late" : ""}" data-region="${r.region}">
      <div class="name">${REGIONS[r.region]}</div>
      <div><span class="big waiting">${r.waiting_total}</span> ${t("waitingNow")}, ${t("oldest")} <span class="oldest">${minutes(r.oldest_wait_seconds)}</span></div>
      <div>${t("byPriority")}: ${counts(r.waiting_by_priority)}</div>
      <div>${t("byChannel")}: ${counts(r.waiting_by_channel)}</div>
      <div>${t("over")}: ${r.service_level.waiting_over_threshold}${r.possible_emergencies_waiting ? ` · <span class="flag">${t("emergencies")} ${r.possible_emergencies_waiting}</span>` : ""}</div>
      <div class="staff">${["ready","offered","busy","wrap_up","paused","signed_out"].map(s => `${t(s)} ${o[s]}`).join(" · ")}</div>
      <div class="sla">${slaOf(r.region)}</div></div>`;
  }).join("");
  document.getElementById("operators").innerHTML = board.operators.map(o => `
    <tr data-operator="${esc(o.operator_id)}" data-name="${esc(o.name)}"><td>${esc(o.name)}</td><td>${REGIONS[o.region]}</td>
    <td class="state">${t(o.state)}${o.pause_reason ? " (" + esc(t(o.pause_reason)) + ")" : ""}${o.lent_to_order ? " · " + t("lent") : ""}</td><td>${minutes(o.seconds_in_state)}</td>
    <td>${o.state === "signed_out" ? "" : `<button type="button" class="signout" data-id="${esc(o.operator_id)}">${t("signout")}</button>`}</td></tr>`).join("");
  document.getElementById("waiting").innerHTML = board.waiting.map(w => `
    <tr data-contact="${w.contact_id}"><td>${REGIONS[w.region]}</td><td>${esc(w.queue)}</td><td>${esc(w.channel)}</td>
    <td>${w.priority}${w.possible_emergency ? ' <span class="flag">!</span>' : ""}</td><td>${minutes(w.waited_seconds)}</td>
    <td><label>${t("move")} <select class="move" data-id="${w.contact_id}" aria-label="${t("move")}"><option value=""></option>${["crime_report","urgent","switchboard"].filter(q => q !== w.queue).map(q => `<option>${q}</option>`).join("")}</select></label>
    ${w.priority > 1 ? `<button type="button" class="raise" data-id="${w.contact_id}" data-priority="${w.priority - 1}">${t("raise")} → ${w.priority - 1}</button>` : ""}</td></tr>`).join("");
  document.getElementById("orders").innerHTML = board.orders.map(o => `
    <tr data-order="${o.order_id}"><td>${REGIONS[o.region]}</td><td>${Object.entries(o.donors).map(([r, n]) => `${REGIONS[r]} ${n}`).join(", ")}</td>
    <td>${new Date(o.until).toLocaleTimeString(lang === "sv" ? "sv-SE" : "en-GB")}</td><td>${esc(o.ordered_by)}</td>
    <td><button type="button" class="end" data-id="${o.order_id}">${t("end")}</button></td></tr>`).join("");
}
async function act(method, path, body) {
  const response = await fetch(path, {method, headers: {Authorization: "Bearer " + bearer, "Content-Type": "application/json"}, body: body ? JSON.stringify(body) : undefined});
  const error = document.getElementById("error");
  if (!response.ok) error.textContent = `${response.status}: ${(await response.json().catch(() => ({}))).detail || response.statusText}`;
  else error.textContent = "";
  return response.ok;
}
document.addEventListener("click", event => {
  const button = event.target.closest("button"); if (!button) return;
  if (button.classList.contains("signout")) act("POST", `operators/${encodeURIComponent(button.dataset.id)}/sign-out`);
  if (button.classList.contains("raise")) act("POST", `contacts/${button.dataset.id}/priority`, {priority: Number(button.dataset.priority)});
  if (button.classList.contains("end")) act("DELETE", `reinforcements/${button.dataset.id}`);
});
document.addEventListener("change", event => {
  const select = event.target;
  if (select.classList.contains("move") && select.value) act("POST", `contacts/${select.dataset.id}/move`, {queue: select.value});
});
document.getElementById("order").addEventListener("submit", event => {
  event.preventDefault();
  const until = new Date(Date.now() + 60000 * Number(document.getElementById("order-minutes").value));
  act("POST", "reinforcements", {region: document.getElementById("order-region").value, until: until.toISOString(),
    donors: [{region: document.getElementById("order-donor").value, operators: Number(document.getElementById("order-count").value)}]});
});
document.getElementById("lang").addEventListener("click", () => {
  lang = lang === "sv" ? "en" : "sv"; localStorage.setItem("pkc.lang", lang); applyLanguage();
});
const options = Object.entries(REGIONS).map(([v, n]) => `<option value="${v}">${n}</option>`).join("");
document.getElementById("order-region").innerHTML = options;
document.getElementById("order-donor").innerHTML = options;
document.getElementById("order-donor").value = "mitt";
applyLanguage();

// Signing in and following the stream: the platform's shared page script.
const showStatus = text => { document.getElementById("status").textContent = text; };
function showOutside() {
  document.getElementById("sla-status").textContent = outside.sla ? t(outside.sla) : "";
  document.getElementById("alerts-status").textContent = outside.alerts ? t(outside.alerts) : "";
}
function note(panel, key) { outside[panel] = key; showOutside(); }

// The service levels: reporting's own stream, read with the supervisor's token (reporting
// allows this page's origin, PKC_PAGE_ORIGINS).
function followSla() {
  if (!config.reporting_url) return note("sla", "slaOff");
  follow(idp, config.reporting_url + "/sla/stream", {
    open() { note("sla", ""); },
    event(name, data) { if (name === "sla") renderSla(JSON.parse(data)); },
    refused(status, reason) { outside.sla = ""; document.getElementById("sla-status").textContent = `${status}: ${reason}`; },
    lost() { note("sla", "slaLost"); },
  });
}

// The open alerts: notify keeps no stream, so the board asks every few seconds.
const ALERTS_EVERY_MS = 5000;
async function readAlerts() {
  try {
    const response = await fetch(config.notify_url + "/alerts?limit=200", {headers: {Authorization: "Bearer " + await token(idp)}});
    if (!response.ok) throw new Error(String(response.status));
    const fresh = await response.json();
    if (JSON.stringify(fresh) !== JSON.stringify(alerts)) { alerts = fresh; renderAlerts(); }
    note("alerts", "");
  } catch (e) { note("alerts", "alertsLost"); }
}
function followAlerts() {
  if (!config.notify_url) return note("alerts", "alertsOff");
  const poll = () => readAlerts().finally(() => setTimeout(poll, ALERTS_EVERY_MS));
  poll();
}
// Acknowledged as the signed-in person (notify takes who from the token and audits it).
async function acknowledge(button) {
  button.disabled = true;
  const response = await fetch(`${config.notify_url}/alerts/${encodeURIComponent(button.dataset.id)}/ack`,
    {method: "POST", headers: {Authorization: "Bearer " + await token(idp)}}).catch(() => null);
  const error = document.getElementById("error");
  if (response && response.ok) { error.textContent = ""; await readAlerts(); return; }
  button.disabled = false;
  error.textContent = response ? `${response.status}: ${(await response.json().catch(() => ({}))).detail || response.statusText}` : t("alertsLost");
}
document.addEventListener("click", event => {
  const button = event.target.closest("button.ack");
  if (button) acknowledge(button);
});

async function start() {
  config = await (await fetch("board/config")).json();
  idp = await provider("board/config");
  await follow(idp, "board/stream", {
    open(bearerToken) {
      bearer = bearerToken; signedInAs = who(bearerToken);
      document.getElementById("who").textContent = t("signedIn") + " " + signedInAs;
      // Only once signed in: a second follow started with the sign-in code still in the
      // address bar would spend it twice.
      if (!outsideStarted) { outsideStarted = true; followSla(); followAlerts(); }
    },
    event(name, data) {
      if (name !== "board") return;
      render(JSON.parse(data));
      showStatus(t("updated") + " " + new Date().toLocaleTimeString("sv-SE"));
    },
    refused(status, reason) { showStatus(`${status}: ${reason}`); },
    lost() { showStatus(t("disconnected")); },
  });
}
start().catch(e => showStatus("kan inte logga in: " + e.message));
