// The citizen's case page: the case number and secret stay in this page's memory and travel
// only in the X-Case-Secret header, never in an address or the browser's storage.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const STATUS = { open: "Öppet (Open)", closed: "Avslutat (Closed)" };
  const KIND = {
    created: "Ärendet skapades (Case opened)",
    note: "Meddelande från Polisen (Message from the police)",
    information: "Du lämnade information (You added information)",
    closed: "Ärendet avslutades (Case closed)",
  };
  const REASON = {
    handled: "Handlagt (Handled)",
    referred: "Överlämnat till utredning (Referred to investigation)",
    withdrawn: "Återkallat (Withdrawn)",
    duplicate: "Dubblett (Duplicate)",
  };
  const REFUSED = {
    404: "Vi hittar inget ärende med det numret och den koden. (No case with this number and code.)",
    429: "För många felaktiga försök. Försök igen senare. (Too many wrong tries; try again later.)",
  };
  let opened = null; // { reference, secret } of the case shown

  function when(iso) {
    return new Date(iso).toLocaleString("sv-SE", { timeZone: "Europe/Stockholm" });
  }

  function refusal(response, body) {
    if (REFUSED[response.status]) return REFUSED[response.status];
    const detail = body && typeof body.detail === "string" ? body.detail : "";
    return `Något gick fel (${response.status}). ${detail}`.trim();
  }

  async function call(method, reference, secret, body, key) {
    const headers = { "X-Case-Secret": secret };
    if (body) headers["Content-Type"] = "application/json";
    if (key) headers["Idempotency-Key"] = key;
    const response = await fetch(`/cases/${encodeURIComponent(reference)}${body ? "/information" : ""}`, {
      method, headers, body: body ? JSON.stringify(body) : undefined, cache: "no-store",
    });
    let answer = null;
    try { answer = await response.json(); } catch { answer = null; }
    return { response, answer };
  }

  function show(view) {
    $("number").textContent = view.case_number;
    $("status").textContent = STATUS[view.status] || view.status;
    $("region").textContent = view.region.charAt(0).toUpperCase() + view.region.slice(1);
    $("created").textContent = when(view.created_at);
    const list = $("history");
    list.replaceChildren();
    for (const entry of view.history) {
      const item = document.createElement("li");
      item.dataset.kind = entry.kind;
      const at = document.createElement("time");
      at.dateTime = entry.at;
      at.textContent = when(entry.at);
      const what = document.createElement("div");
      what.textContent = KIND[entry.kind] || entry.kind;
      if (entry.reason) what.textContent += ` – ${REASON[entry.reason] || entry.reason}`;
      item.append(at, what);
      if (entry.text) {
        const note = document.createElement("p");
        note.className = "note";
        note.textContent = entry.text; // text, never markup
        item.append(note);
      }
      list.append(item);
    }
    $("case").hidden = false;
    $("add").hidden = view.status !== "open";
  }

  async function load(reference, secret) {
    const { response, answer } = await call("GET", reference, secret);
    if (!response.ok) throw new Error(refusal(response, answer));
    opened = { reference, secret };
    show(answer);
  }

  $("open").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("error").hidden = true;
    $("sent").hidden = true;
    $("case").hidden = $("add").hidden = true;
    try {
      await load($("reference").value.trim(), $("secret").value);
    } catch (error) {
      $("error").textContent = error.message;
      $("error").hidden = false;
    }
  });

  $("inform").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!opened) return;
    $("sent").hidden = $("add-error").hidden = true;
    const key = crypto.randomUUID(); // one key per sending: its retry adds nothing twice
    const body = { text: $("text").value };
    let result;
    try {
      result = await call("POST", opened.reference, opened.secret, body, key);
    } catch {
      result = await call("POST", opened.reference, opened.secret, body, key).catch(() => null);
    }
    if (!result) {
      $("add-error").textContent = "Ingen kontakt med servern; försök igen. (No connection; try again.)";
      $("add-error").hidden = false;
      return;
    }
    const { response, answer } = result;
    if (!response.ok) {
      $("add-error").textContent = refusal(response, answer);
      $("add-error").hidden = false;
      return;
    }
    $("text").value = "";
    $("sent").hidden = false;
    await load(opened.reference, opened.secret);
  });
})();
