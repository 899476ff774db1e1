/**
 * `skein` with the V8 CPU profiler on, for benchmarks: `node --cpu-prof` is refused in
 * NODE_OPTIONS, so a bench points SKEIN_MAIN here (test/e2e/skein-process.ts starts it
 * like main.ts) and sets SKEIN_CPU_PROF_DIR; the profile of the main thread is written
 * there as `skein-<pid>.cpuprofile` when the process exits (SIGTERM included).
 * Summarise with bench/profile-stages.ts.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.SKEIN_CPU_PROF_DIR;
if (dir !== undefined && dir !== '') {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', {
    interval: Number(process.env.SKEIN_CPU_PROF_INTERVAL_US ?? 1000),
  });
  session.post('Profiler.start');
  // The main-thread session answers synchronously, so this works in an exit handler.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err === null && result !== undefined)
        writeFileSync(join(dir, `skein-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}

await import('../packages/server/src/cli/main.ts');
