// Proof-of-work solver (ALTCHA v2 challenge format, PBKDF2/SHA-256, counter as big-endian uint32).
// Message in: {parameters, start, step}; out: {counter, derivedKey} or {counter: null} when the range ends.
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (text) => new Uint8Array(text.match(/../g).map((b) => parseInt(b, 16)));

self.onmessage = async (event) => {
  const { parameters: p, start, step, limit } = event.data;
  const nonce = unhex(p.nonce);
  const salt = unhex(p.salt);
  const prefix = p.keyPrefix.toLowerCase();
  const password = new Uint8Array(nonce.length + 4);
  password.set(nonce);
  const view = new DataView(password.buffer);
  for (let counter = start; counter <= limit; counter += step) {
    view.setUint32(nonce.length, counter, false);
    const key = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
    const bits = await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: p.algorithm.endsWith("512") ? "SHA-512" : p.algorithm.endsWith("384") ? "SHA-384" : "SHA-256",
        salt, iterations: p.cost }, key, (p.keyLength || 32) * 8);
    const derived = hex(new Uint8Array(bits));
    if (derived.startsWith(prefix)) {
      self.postMessage({ counter, derivedKey: derived });
      return;
    }
  }
  self.postMessage({ counter: null });
};
