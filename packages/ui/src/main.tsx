import { render } from 'preact';
import { useLayoutEffect, useState } from 'preact/hooks';
import { CompletenessPage } from './pages/completeness-page.tsx';
import { DependenciesPage } from './pages/dependencies-page.tsx';
import { MonitorPage } from './pages/monitor-page.tsx';
import { SamplingPage } from './pages/sampling-page.tsx';
import { SearchPage } from './pages/search-page.tsx';
import { TracePage } from './pages/trace-page.tsx';
import { UploadPage } from './pages/upload-page.tsx';
import { SessionBadge } from './components/session-badge.tsx';
import { navigate, onLinkClick, useRoute } from './router.ts';
import { applyTheme, initialTheme, type Theme } from './theme.ts';
import './styles.css';

function TraceIdLookup() {
  const [id, setId] = useState('');
  return (
    <form
      class="lookup"
      onSubmit={(e) => {
        e.preventDefault();
        const clean = id.trim().toLowerCase();
        if (/^[0-9a-f]{1,32}$/.test(clean)) navigate(`/trace/${clean}`);
      }}
    >
      <input
        aria-label="Look up a trace by id"
        placeholder="Trace id…"
        value={id}
        pattern="[0-9a-fA-F]{1,32}"
        title="a trace id: 1 to 32 hex digits"
        onInput={(e) => setId((e.target as HTMLInputElement).value)}
      />
    </form>
  );
}

function App() {
  const route = useRoute();
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useLayoutEffect(() => applyTheme(theme), [theme]);
  const nav = (href: string, label: string, active: boolean) => (
    <a href={href} class={active ? 'active' : ''} aria-current={active ? 'page' : undefined}>
      {label}
    </a>
  );
  let page;
  switch (route.page) {
    case 'search':
      page = <SearchPage params={route.params} />;
      break;
    case 'trace':
      page = <TracePage traceId={route.traceId} spanId={route.spanId} />;
      break;
    case 'dependencies':
      page = <DependenciesPage params={route.params} />;
      break;
    case 'monitor':
      page = <MonitorPage params={route.params} />;
      break;
    case 'completeness':
      page = <CompletenessPage params={route.params} />;
      break;
    case 'sampling':
      page = <SamplingPage params={route.params} />;
      break;
    case 'upload':
      page = <UploadPage />;
      break;
    case 'compare':
      page = (
        <div class="page-pad">
          <h1>Compare traces</h1>
          <p>
            Comparing {route.a || '?'} with {route.b || '?'} is not available yet. Open each trace
            on its own: <a href={`/trace/${route.a}`}>{route.a}</a>,{' '}
            <a href={`/trace/${route.b}`}>{route.b}</a>.
          </p>
        </div>
      );
      break;
    default:
      page = (
        <div class="page-pad">
          <h1>No page at {route.path}</h1>
          <p>
            Try <a href="/search">Search</a>, <a href="/dependencies">Dependencies</a>,{' '}
            <a href="/monitor">Monitor</a>, <a href="/completeness">Completeness</a>,{' '}
            <a href="/sampling">Sampling</a> or <a href="/upload">Upload</a>.
          </p>
        </div>
      );
  }
  return (
    <div class="app" onClick={onLinkClick}>
      <header class="topbar">
        <a href="/search" class="brand" aria-label="Skein home">
          <svg viewBox="0 0 16 16" width="20" height="20" aria-hidden="true">
            <rect x="1" y="3" width="14" height="2" fill="#4f7cff" />
            <rect x="4" y="7" width="10" height="2" fill="#00a88f" />
            <rect x="7" y="11" width="6" height="2" fill="#e8a33d" />
          </svg>
          Skein
        </a>
        <nav>
          {nav('/search', 'Search', route.page === 'search')}
          {nav('/dependencies', 'Dependencies', route.page === 'dependencies')}
          {nav('/monitor', 'Monitor', route.page === 'monitor')}
          {nav('/completeness', 'Completeness', route.page === 'completeness')}
          {nav('/sampling', 'Sampling', route.page === 'sampling')}
          {nav('/upload', 'Upload', route.page === 'upload')}
        </nav>
        <TraceIdLookup />
        <SessionBadge />
        <button
          type="button"
          class="theme-toggle"
          title={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
        >
          {theme === 'dark' ? '☀' : '☾'}
        </button>
      </header>
      <main>{page}</main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
