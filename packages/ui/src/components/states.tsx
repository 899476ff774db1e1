import type { ComponentChildren } from 'preact';

/** A loading line; `what` says what is being fetched. */
export function Loading({ what }: { what: string }) {
  return (
    <div class="state state-loading" role="status">
      <span class="spinner" aria-hidden="true" />
      Loading {what}…
    </div>
  );
}

/** An error with what went wrong and what to do about it. */
export function ErrorState({
  title,
  message,
  children,
}: {
  title: string;
  message: string;
  children?: ComponentChildren;
}) {
  return (
    <div class="state state-error" role="alert">
      <strong>{title}</strong>
      {message && <p>{message}</p>}
      {children}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state state-empty">
      <strong>{title}</strong>
      {children}
    </div>
  );
}
