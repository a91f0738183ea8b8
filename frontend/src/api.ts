// The marketplace API: every non-2xx answer carries {"error": {"code", "message", "details"}};
// the message is written for people, so the page shows it as it is.
import { parseJson } from "./json";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The error body's `details`, for a caller that acts on them (e.g. the files a scene
     * does not carry); {} when it has none. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "offline", "The marketplace server does not answer. Is it running?");
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? parseJson(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = (
      body as {
        error?: { code?: string; message?: string; details?: Record<string, unknown> };
      } | null
    )?.error;
    const fallback =
      response.status === 413
        ? "This file is larger than the server accepts."
        : `The server answered ${response.status} ${response.statusText}.`;
    const details =
      error?.details && typeof error.details === "object" && !Array.isArray(error.details)
        ? error.details
        : {};
    throw new ApiError(
      response.status,
      error?.code ?? "http_error",
      error?.message ?? fallback,
      details,
    );
  }
  return body as T;
}

export const postJson = <T>(path: string, body: unknown): Promise<T> =>
  api<T>(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
