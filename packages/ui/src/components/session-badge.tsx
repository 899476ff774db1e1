import { useEffect, useState } from 'preact/hooks';
import { postJson, sessionInfo, type SessionInfo } from '../api.ts';

/**
 * Who is signed in (OIDC sign-in, docs/security.md) and a sign-out button, in the
 * top bar. Shows nothing when Skein offers no sign-in.
 */
export function SessionBadge() {
  const [info, setInfo] = useState<SessionInfo | null>(null);
  const [signedOut, setSignedOut] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void sessionInfo().then(setInfo);
  }, []);
  if (signedOut) {
    return (
      <span class="session">
        Signed out · <a href="/login">Sign in</a>
      </span>
    );
  }
  if (info === null || !info.login) return null;
  if (!info.signedIn) {
    return (
      <span class="session">
        <a href="/login">Sign in</a>
      </span>
    );
  }
  return (
    <span class="session">
      <span class="session-name" title={info.tenant ? `tenant ${info.tenant}` : undefined}>
        {info.name}
      </span>
      <button
        type="button"
        class="sign-out"
        onClick={() => {
          postJson('/logout', {}).then(
            () => setSignedOut(true),
            (err: Error) => setError(err.message),
          );
        }}
      >
        Sign out
      </button>
      {error !== null && <span class="session-error">{error}</span>}
    </span>
  );
}
