import { useState } from 'preact/hooks';
import { ErrorState } from '../components/states.tsx';
import { TraceView } from '../components/trace-view.tsx';
import { parseTraceFile, type ParsedTraceFile } from '../model/parse-trace-file.ts';
import type { RawTrace } from '../model/raw-trace.ts';
import { formatDuration } from '../model/time-format.ts';

function extent(t: RawTrace): number {
  let start = Infinity;
  let end = -Infinity;
  for (const s of t.spans) {
    start = Math.min(start, s.start);
    end = Math.max(end, s.start + s.duration);
  }
  return end - start;
}

/** Kept for the life of the page, so going back to Upload shows the last file again. */
let lastFile: { name: string; parsed: ParsedTraceFile; chosen: number } | null = null;

/** Opens a Jaeger JSON or OTLP JSON file in the browser; nothing is sent to Skein. */
export function UploadPage() {
  const [file, setFile] = useState(lastFile);
  const [error, setError] = useState('');
  const [dragging, setDragging] = useState(false);

  const open = async (f: File | undefined) => {
    if (!f) return;
    setError('');
    try {
      const parsed = parseTraceFile(await f.text());
      lastFile = { name: f.name, parsed, chosen: 0 };
      setFile(lastFile);
    } catch (err) {
      setError(`${f.name}: ${(err as Error).message}`);
    }
  };
  const choose = (n: number) => {
    if (!file) return;
    lastFile = { ...file, chosen: n };
    setFile(lastFile);
  };

  const picker = (
    <label
      class={`dropzone${dragging ? ' dragging' : ''}${file ? ' compact' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        void open(e.dataTransfer?.files[0]);
      }}
    >
      <input
        type="file"
        accept=".json,application/json"
        onChange={(e) => void open((e.target as HTMLInputElement).files?.[0])}
      />
      <strong>{file ? `Showing ${file.name} — open another file` : 'Open a trace file'}</strong>
      {!file && (
        <span>
          Drop a Jaeger JSON file (as Jaeger UI or <code>/api/traces/&#123;id&#125;</code> saves it)
          or an OTLP JSON file here, or click to choose one. It is read in your browser and not
          stored in Skein.
        </span>
      )}
    </label>
  );

  return (
    <div class="upload-page">
      <div class="page-pad">
        {picker}
        {error && <ErrorState title="This file could not be opened" message={error} />}
        {file && file.parsed.traces.length > 1 && (
          <div class="trace-picker">
            {file.parsed.traces.length} traces in this file:{' '}
            {file.parsed.traces.map((t, n) => (
              <button
                key={t.traceId}
                type="button"
                class={n === file.chosen ? 'active' : ''}
                onClick={() => choose(n)}
              >
                {t.traceId.slice(0, 8)} ({t.spans.length} spans, {formatDuration(extent(t))})
              </button>
            ))}
          </div>
        )}
      </div>
      {file && (
        <TraceView
          key={`${file.name}#${file.chosen}`}
          trace={file.parsed.traces[file.chosen]}
          initialSpanId=""
          source="file"
        />
      )}
    </div>
  );
}
