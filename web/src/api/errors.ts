// The API's error answers (`{"error": {"code", "message"}}`) as the screens show them.

/** The message of an error answer (`{"error": {"code", "message"}}`), or a fallback. */
export function errorMessage(error: unknown, fallback: string): string {
  if (typeof error === "object" && error !== null && "error" in error) {
    const inner = (error as { error?: { message?: unknown } }).error;
    if (typeof inner?.message === "string") return inner.message;
  }
  return fallback;
}

/** An error the API gave about one field: `agent: handoff.default_team: must name a team`. */
export type FieldError = { field: string | null; message: string };

/** The field an error answer names (its message's `file: field: problem` form), if any. */
export function fieldError(error: unknown, fallback: string): FieldError {
  const message = errorMessage(error, fallback);
  const named = /^[^:]+: ([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*): (.+)$/.exec(message);
  return named?.[1] && named[2] ? { field: named[1], message: named[2] } : { field: null, message };
}
