import { useEffect, useState } from 'preact/hooks';
import { parseRoute, type Route } from './model/route.ts';

const listeners = new Set<() => void>();

function current(): Route {
  return parseRoute(location.pathname, location.search);
}

/** Goes to an in-app URL without reloading; `replace` keeps the history entry. */
export function navigate(url: string, replace = false): void {
  if (url === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const l of listeners) l();
}

/** The current route; re-renders on navigation and on back/forward. */
export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** Click handler for in-app links: plain left clicks navigate in place; others act as links. */
export function onLinkClick(event: MouseEvent): void {
  if (
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  )
    return;
  const a = (event.target as Element).closest('a');
  if (!a || a.target || a.hasAttribute('download') || a.origin !== location.origin) return;
  event.preventDefault();
  navigate(a.pathname + a.search);
}
