// The page's settings (/config.json, written at deploy time) and the API at the same origin.

let config = null;

/**
 * `/config.json`: {apiBase, termsVersion, termsDocument}; read once per page. A failed read is
 * not kept, so "try again" reads it again.
 */
export function loadConfig() {
  config ??= fetch("/config.json", { cache: "no-store" })
    .then((answer) => {
      if (!answer.ok) throw new Error(`config.json: ${answer.status}`);
      return answer.json();
    })
    .catch((error) => {
      config = null;
      throw error;
    });
  return config;
}

/**
 * One request to the API: {status, data} (status 0 when no answer came: offline, the
 * connection dropped). Never throws for an HTTP or network failure; the caller decides.
 */
export async function call(method, path, { body, headers = {} } = {}) {
  let apiBase;
  try {
    ({ apiBase } = await loadConfig());
  } catch {
    return { status: 0, data: null }; // no settings, no API: as good as offline
  }
  const init = { method, headers: { Accept: "application/json", ...headers }, cache: "no-store" };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let answer;
  try {
    answer = await fetch(`${apiBase}${path}`, init);
  } catch {
    return { status: 0, data: null };
  }
  let data = null;
  try {
    data = await answer.json();
  } catch {
    // not JSON (a proxy's error page): the status says enough
  }
  return { status: answer.status, data, retryAfter: Number(answer.headers.get("Retry-After")) || 0 };
}

/** A text document of the site (the terms), relative to the page. */
export async function loadText(path) {
  const answer = await fetch(new URL(path, document.baseURI), { cache: "no-cache" });
  if (!answer.ok) throw new Error(`${path}: ${answer.status}`);
  return answer.text(); // the terms are UTF-8
}

export const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
