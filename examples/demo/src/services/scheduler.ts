// scheduler: stores jobs (POST /jobs) and runs the due ones from a polling loop, like
// job-queue libraries do; plus a cron-style job calling the gateway every second.
import type { AddressInfo } from 'node:net';
import { every, recordSchedule, runScheduled, type Carrier } from '@skein/node';
import { naiveReceive, naiveSend } from '../naive-messaging.ts';
import { serviceProcess } from '../service-process.ts';

interface Job {
  orderId: number;
  dueAt: number;
  carrier?: Carrier;
}

await serviceProcess('scheduler', async (config, telemetry) => {
  const http = await import('node:http');
  const jobs: Job[] = [];
  const kit = telemetry.mode === 'kit';
  // Destinations are per mode: Skein learns who consumes a destination, and both modes share one Skein.
  const queue = `${config.mode}.receipt`;

  const runReceipt = async (job: Job): Promise<void> => {
    await fetch(`${config.peers.orders}/orders/${job.orderId}/receipt`, { method: 'POST' });
  };
  // The polling loop is started once, at boot: jobs run in its context, not their requester's.
  const poll = setInterval(() => {
    const now = Date.now();
    for (let i = jobs.length - 1; i >= 0; i--) {
      const job = jobs[i];
      if (job.dueAt > now) continue;
      jobs.splice(i, 1);
      const run = kit
        ? runScheduled(queue, job.carrier, () => runReceipt(job))
        : naiveReceive(telemetry.tracer, 'scheduler', queue, () => runReceipt(job));
      run.catch(() => {});
    }
  }, 10);
  const report = async (): Promise<void> => {
    await fetch(`${config.peers.gateway}/report`);
  };
  const stopCron = kit
    ? every('report', 1000, report)
    : (() => {
        const t = setInterval(() => void report().catch(() => {}), 1000);
        return () => clearInterval(t);
      })();

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/jobs') return void res.writeHead(404).end();
      const { orderId, dueInMs } = JSON.parse(raw) as { orderId: number; dueInMs: number };
      const job: Job = { orderId, dueAt: Date.now() + dueInMs };
      if (kit) job.carrier = recordSchedule(queue);
      else void naiveSend(telemetry.tracer, 'scheduler', queue, () => undefined);
      jobs.push(job);
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, config.host, r));
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      stopCron();
      clearInterval(poll);
      await new Promise((r) => server.close(r));
    },
  };
});
