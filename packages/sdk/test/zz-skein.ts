import { TestSkein } from '/work/main/packages/sdk/test/support/skein.ts';
const s = await new TestSkein().start(['--pipeline.traceBuffer.idleSeconds=2']);
console.log(
  JSON.stringify({ otlp: s.otlp, query: s.query, sampling: s.sampling, pid: s.process.child.pid }),
);
process.on('SIGTERM', () => void s.stop().then(() => process.exit(0)));
setInterval(() => {}, 1 << 30);
