// The desk's case panel ("Ärende"): an operator opens a case by its number or id (or from the
// wrap-up of the outcome that opened it), reads its record, reads its secret to tell the
// citizen, adds a note and closes it, over queueing's staff case routes (docs/cases.md) with
// the operator's own token. Nothing of a case is kept in the browser's storage: the record and
// the secret live in this page's memory until another case is opened.
const $ = id => document.getElementById(id);

// `call(method, path, body, headers)` is the desk's fetch with the operator's token; `t()` the
// labels in the page's language (desk.js); `uuid4` a fresh Idempotency-Key; `regions` the
// regions' names.
export function casePanel({call, t, uuid4, regions}) {
  let shown = null;   // the staff record (GET /cases/{case}/record)
  let secret = null;  // the case's secret, once the operator asked for it
  let message = null; // [label key, ...arguments]
  let opening = 0;    // the latest opening: an older one's late answer is dropped
  const pending = {}; // form -> {submission, key}: a retried sending keeps its key

  const path = (reference, what) => `cases/${encodeURIComponent(reference)}/${what}`;
  function tell(line) { message = line; render(); }

  // Opens a case. `fresh`: it was opened a moment ago by this desk's outcome, and queueing
  // keeps it once it has read its `CaseCreated` back from Kafka, so a 404 is retried a while.
  async function open(reference, {withSecret = false, fresh = false} = {}) {
    const mine = ++opening;
    shown = null; secret = null;
    tell(["case_loading"]);
    for (let attempt = 1; ; attempt++) {
      try {
        const record = await call("GET", path(reference, "record"));
        if (mine !== opening) return;
        shown = record;
        if (withSecret) secret = (await call("GET", path(record.case_id, "secret"))).secret;
        return tell(null);
      } catch (e) {
        if (mine !== opening) return;
        if (fresh && e.status === 404 && attempt < 20) {
          await new Promise(resume => setTimeout(resume, 500 * Math.min(attempt, 4)));
          continue;
        }
        return tell(e.status === 404 ? ["case_unknown"] : ["case_failed", e.message]);
      }
    }
  }

  async function showSecret() {
    if (!shown) return;
    try {
      secret = (await call("GET", path(shown.case_id, "secret"))).secret;
      tell(null);
    } catch (e) { tell(["case_failed", e.message]); }
  }

  // A note or a closing: one Idempotency-Key per submission, kept for its retries (a lost
  // answer, or the operator sending the same again), so the case never gets it twice.
  async function send(form, what, body) {
    const submission = shown.case_id + what + JSON.stringify(body);
    if (!pending[form] || pending[form].submission !== submission) pending[form] = {submission, key: uuid4()};
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await call("POST", path(shown.case_id, what), body, {"Idempotency-Key": pending[form].key});
        delete pending[form];
        return answer;
      } catch (e) {
        if ((e.status && e.status < 500) || attempt === 3) throw e;  // a refusal is an answer
        await new Promise(resume => setTimeout(resume, 1000 * attempt));
      }
    }
  }
  async function submit(form, what, body, done) {
    $("k-note-send").disabled = $("k-close-send").disabled = true;
    try {
      await send(form, what, body);
      done();
      const reference = shown.case_id, kept = secret;
      shown = await call("GET", path(reference, "record"));
      secret = kept;
      tell([what === "notes" ? "note_added" : "case_closed"]);
    } catch (e) {
      tell(["case_failed", e.message]);
    } finally {
      $("k-note-send").disabled = $("k-close-send").disabled = false;
    }
  }

  function when(iso) {
    return new Date(iso).toLocaleString("sv-SE", {timeZone: "Europe/Stockholm"});
  }
  function line(entry) {
    const c = t().case;
    let text = `${when(entry.at)} – ${c.kinds[entry.kind] || entry.kind} (${c.by[entry.by] || entry.by}`;
    text += (entry.actor ? `, ${entry.actor})` : ")");
    if (entry.kind === "note") text += entry.visible_to_citizen ? ` – ${c.visible}` : ` – ${c.internal}`;
    if (entry.reason) text += ` – ${c.reasons[entry.reason] || entry.reason}`;
    if (entry.text) text += `: ${entry.text}`;
    return text;
  }

  function render() {
    const c = t().case;
    $("k-message").textContent = message ? (typeof c[message[0]] === "function" ? c[message[0]](...message.slice(1)) : c[message[0]]) : "";
    $("case-shown").hidden = !shown;
    $("casework").dataset.case = shown ? shown.case_id : "";
    if (!shown) return;
    $("k-number").textContent = shown.case_number;
    $("k-status").textContent = (c.statuses[shown.status] || shown.status)
      + (shown.close_reason ? ` (${c.reasons[shown.close_reason] || shown.close_reason})` : "");
    $("k-region").textContent = regions[shown.region] || shown.region;
    $("k-matter").textContent = t().matters[shown.matter] || shown.matter;
    $("k-created").textContent = when(shown.created_at);
    $("k-secret").textContent = secret || "";
    $("k-secret-show").hidden = !!secret;
    const items = shown.history.map(entry => {
      const li = document.createElement("li");
      li.textContent = line(entry);
      return li;
    });
    $("k-history").replaceChildren(...items);
    $("k-note").hidden = $("k-close").hidden = shown.status !== "open";
  }

  $("case-find").onsubmit = e => {
    e.preventDefault();
    const reference = $("case-ref").value.trim();
    if (reference) open(reference);
  };
  $("k-secret-show").onclick = showSecret;
  $("k-note").onsubmit = e => {
    e.preventDefault();
    const body = {text: $("k-note-text").value.trim(), visible_to_citizen: $("k-note-visible").checked};
    if (!body.text) return tell(["note_empty"]);
    submit("note", "notes", body, () => { $("k-note-text").value = ""; $("k-note-visible").checked = false; });
  };
  $("k-close").onsubmit = e => {
    e.preventDefault();
    submit("close", "close", {reason: $("k-reason").value}, () => {});
  };
  return {open, render};
}
