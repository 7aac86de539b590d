// Signing a person in and reading a server-sent event stream with their token: the one copy
// every page of the platform uses (the dashboard, the operator desk, the supervisor board).
//
// Sign-in is the OIDC authorization code flow with PKCE at the issuer the page's config route
// names (a public client: no secret in the page). The token lives in this tab's
// sessionStorage only, and the code never stays in the address bar. A browser's EventSource
// cannot send a token, so streams are read with fetch().

const store = window.sessionStorage;
const b64url = bytes => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const randomText = () => b64url(crypto.getRandomValues(new Uint8Array(32)));
const here = () => location.origin + location.pathname;

// Errors a page may show, with a code it can translate; `message` is Swedish.
export class SignInError extends Error {
  constructor(code, message) { super(message); this.code = code; }
}

// The issuer's endpoints and the page's client, from the page's config route (e.g.
// "dashboard/config", relative to the page).
export async function provider(configUrl) {
  const config = await (await fetch(configUrl)).json();
  if (!config.issuer) throw new SignInError("not_configured", "inloggning är inte konfigurerad (PKC_OIDC_ISSUER)");
  const found = await (await fetch(config.issuer.replace(/\/$/, "") + "/.well-known/openid-configuration")).json();
  return {...found, client_id: config.client_id};
}

// Sends the person to the issuer's login page; they come back to this page with a code.
export async function signIn(idp) {
  const verifier = randomText(), state = randomText();
  store.setItem("pkc.verifier", verifier);
  store.setItem("pkc.state", state);
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const query = new URLSearchParams({response_type: "code", client_id: idp.client_id, redirect_uri: here(),
    scope: "openid", state, code_challenge: challenge, code_challenge_method: "S256"});
  location.assign(idp.authorization_endpoint + "?" + query);
}

async function tokenRequest(idp, fields) {
  const response = await fetch(idp.token_endpoint, {method: "POST", body: new URLSearchParams({client_id: idp.client_id, ...fields})});
  if (!response.ok) throw new SignInError("token_refused", "inloggningen misslyckades (" + response.status + ")");
  const tokens = await response.json();
  store.setItem("pkc.token", tokens.access_token);
  if (tokens.refresh_token) store.setItem("pkc.refresh", tokens.refresh_token);
  store.setItem("pkc.expires", String(Date.now() + 1000 * tokens.expires_in));
}

// The person's bearer token: from the code the issuer sent back, refreshed when it is about
// to expire; null when they must sign in.
export async function token(idp) {
  const params = new URLSearchParams(location.search);
  if (params.has("code")) {
    history.replaceState(null, "", here());  // the code never stays in the address bar
    if (params.get("state") !== store.getItem("pkc.state")) throw new SignInError("foreign_state", "inloggningen kom inte härifrån");
    await tokenRequest(idp, {grant_type: "authorization_code", code: params.get("code"),
      redirect_uri: here(), code_verifier: store.getItem("pkc.verifier")});
    store.removeItem("pkc.verifier"); store.removeItem("pkc.state");
  }
  if (store.getItem("pkc.token") && Number(store.getItem("pkc.expires")) - Date.now() < 30000 && store.getItem("pkc.refresh")) {
    try { await tokenRequest(idp, {grant_type: "refresh_token", refresh_token: store.getItem("pkc.refresh")}); }
    catch (e) { store.removeItem("pkc.token"); }
  }
  return store.getItem("pkc.token");
}

// Forgets the token (a 401: it expired or was revoked), so the next `token` signs in again.
export function forget() { store.removeItem("pkc.token"); }

// The signed-in person's user name, read from the token (shown, never trusted: the server
// verifies the token on every request).
export function who(bearer) {
  const claims = JSON.parse(atob(bearer.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  return claims.preferred_username || "";
}

// Server-sent events read from a fetch() body: blocks end with a blank line; "event:" names
// the block, "data:" lines carry it.
export async function readEvents(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const {value, done} = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
      let name = "message", data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onEvent(name, data.join("\n"));
    }
  }
}

// Follows a stream for as long as the page lives: signs in when there is no token, reconnects
// after a drop or a refusal (waiting what Retry-After says). `on` has:
//   open(bearer)            the stream is open (fetch what else the page needs)
//   event(name, data)       one event
//   refused(status, reason) the server said no (not 401: that signs in again)
//   lost()                  the connection dropped; it reconnects
//   stop()                  optional: true ends following (e.g. the person signed out)
export async function follow(idp, streamUrl, on) {
  for (;;) {
    if (on.stop && on.stop()) return;
    const bearer = await token(idp);
    if (!bearer) return signIn(idp);
    let wait = 3;
    try {
      const response = await fetch(streamUrl, {headers: {Authorization: "Bearer " + bearer, Accept: "text/event-stream"}});
      if (response.status === 401) { forget(); continue; }
      if (!response.ok) {
        const reason = (await response.json().catch(() => ({}))).detail || response.statusText;
        wait = Number(response.headers.get("Retry-After") || 10);
        on.refused(response.status, reason);
      } else {
        on.open(bearer);
        await readEvents(response, on.event);
        on.lost();
      }
    } catch (e) { on.lost(); }
    await new Promise(resolve => setTimeout(resolve, 1000 * wait));
  }
}
