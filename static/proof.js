// Events with `integrity: proof`: this device earns its participant by solving a small proof-of-work challenge,
// in Web Workers, in the background while the page loads. Writes wait on `admitted()`.
const WORKERS_MAX = 4;
const MAX_COUNTER = 2 ** 32 - 1;

const state = document.getElementById("floor-state");
const event = state ? JSON.parse(state.textContent).event : null;
let pending = null;

function solve(challenge) {
  const count = Math.max(1, Math.min(WORKERS_MAX, navigator.hardwareConcurrency || 1));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const workers = [];
    let finished = 0;
    const stop = () => workers.forEach((w) => w.terminate());
    for (let i = 0; i < count; i += 1) {
      const worker = new Worker("/static/pow-worker.js");
      workers.push(worker);
      worker.onmessage = (msg) => {
        if (msg.data.counter !== null) {
          stop();
          resolve({ counter: msg.data.counter, derivedKey: msg.data.derivedKey, time: performance.now() - started });
        } else if (++finished === count) {
          stop();
          reject(new Error("unsolved"));
        }
      };
      worker.onerror = () => { stop(); reject(new Error("worker")); };
      worker.postMessage({ parameters: challenge.parameters, start: i, step: count, limit: MAX_COUNTER });
    }
  });
}

async function earn(code) {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const res = await fetch(`/api/events/${encodeURIComponent(code)}/challenge`, { credentials: "same-origin" });
    if (!res.ok) throw new Error(`challenge ${res.status}`);
    const challenge = await res.json();
    const solution = await solve(challenge);
    const sent = await fetch(`/api/events/${encodeURIComponent(code)}/participant`, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ solution: { challenge: { parameters: challenge.parameters, signature: challenge.signature },
        solution } }),
    });
    if (sent.ok) {
      document.documentElement.dataset.proof = "solved"; // and how long it took, for tests and the curious
      document.documentElement.dataset.proofMs = String(Math.round(solution.time));
      return;
    }
    if (sent.status !== 400) throw new Error(`participant ${sent.status}`);
  }
  throw new Error("not admitted");
}

/** Resolves once this device may write to the event (at once for open events). */
export function admitted() {
  if (!event || event.integrity !== "proof") return Promise.resolve();
  if (!pending) {
    pending = earn(event.code).catch((err) => {
      pending = null; // a later write tries again
      throw err;
    });
  }
  return pending.catch(() => undefined); // the write then answers with the server's own refusal
}

admitted(); // start at once, while the rest of the page loads
