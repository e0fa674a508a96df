// The one module that talks to the server: same-origin fetch with the session cookie,
// the CSRF header on unsafe methods, one error type, and 401 -> the sign-in page.

export const CSRF_COOKIE = "hedgerow_csrftoken";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** An error answer of the API: `{"status", "code", "error"}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

export function readCookie(cookies: string, name: string): string | null {
  for (const part of cookies.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/** Where to send someone whose session ended: the sign-in page, then back here. */
export function signInPath(location: { pathname: string; search: string }): string {
  return "/login?next=" + encodeURIComponent(location.pathname + location.search);
}

/** Where to go after signing in: only a path of this site (`next` is untrusted). */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) {
    return "/";
  }
  return next;
}

interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  /** Let a 401 reach the caller instead of redirecting (the sign-in form itself). */
  allowUnauthenticated?: boolean;
}

// Set once the user signs out: requests still in flight (a live poll) are then answered 401,
// and must not send the page to the sign-in page with a `next` back to where it was.
let signingOut = false;

/** Sign out: end the session on the server; later 401s no longer redirect. */
export async function signOutOfSession(): Promise<void> {
  signingOut = true;
  try {
    await api("/api/logout/", { method: "POST", allowUnauthenticated: true });
  } catch (failure) {
    signingOut = false;
    throw failure;
  }
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? "GET";
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (UNSAFE.has(method)) {
    const token = readCookie(document.cookie, CSRF_COOKIE);
    if (token) headers["X-CSRFToken"] = token;
  }
  const response = await fetch(path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: "same-origin",
    signal: options.signal,
  });
  if (response.status === 401 && !options.allowUnauthenticated && !signingOut) {
    window.location.assign(signInPath(window.location));
  }
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : {}) as T;
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { code?: string; error?: string };
    return new ApiError(
      response.status,
      body.code ?? "error",
      body.error ?? `The server answered ${response.status}.`,
    );
  } catch {
    return new ApiError(response.status, "error", `The server answered ${response.status}.`);
  }
}

export function projectPath(projectId: number, rest: string): string {
  return `/api/projects/${projectId}/${rest}`;
}

export function runQuery<T>(projectId: number, query: object, signal?: AbortSignal): Promise<T> {
  return api<T>(projectPath(projectId, "query/"), { method: "POST", body: { query }, signal });
}

/** A file the server streams (an export): its bytes, the name it gives it, and the rows it
 * announced in `X-Hedgerow-Row-Count` (null when absent). */
export interface Download {
  blob: Blob;
  filename: string | null;
  rows: number | null;
}

/** POST `body` and read the streamed answer, reporting each piece as it arrives. */
export async function apiDownload(
  path: string,
  body: unknown,
  onChunk: (chunk: Uint8Array, announcedRows: number | null) => void,
  signal?: AbortSignal,
): Promise<Download> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  const token = readCookie(document.cookie, CSRF_COOKIE);
  if (token) headers["X-CSRFToken"] = token;
  const response = await fetch(path, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
    credentials: "same-origin",
    signal,
  });
  if (response.status === 401 && !signingOut) window.location.assign(signInPath(window.location));
  if (!response.ok) throw await errorOf(response);
  const announced = response.headers.get("X-Hedgerow-Row-Count");
  const rows = announced === null ? null : Number(announced);
  const parts: Uint8Array<ArrayBuffer>[] = [];
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      onChunk(value, rows);
    }
  }
  const type = response.headers.get("Content-Type") ?? "application/octet-stream";
  return {
    blob: new Blob(parts, { type }),
    filename: filenameOf(response.headers.get("Content-Disposition")),
    rows,
  };
}

/** The file name of a `Content-Disposition: attachment; filename="..."` header. */
export function filenameOf(disposition: string | null): string | null {
  const found = disposition ? /filename="([^"]+)"/.exec(disposition) : null;
  return found?.[1] ?? null;
}
