/**
 * What can be checked of deploy/ without a Docker engine or a Kubernetes cluster:
 * every YAML parses, every skein command in it is one `skein` accepts with a role
 * the role table has, every skein config file it mounts loads (no unknown key, every
 * value valid), every mounted file exists, and the image runs the CLI the build
 * produces. The compose file and the manifests are not run here.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { parseArgs } from '../../src/cli/args.ts';
import { roles } from '../../src/cli/roles.ts';
import { loadConfig } from '../../src/config/load-config.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');

type Doc = Record<string, unknown>;

function docs(file: string): Doc[] {
  const parsed = parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8'), { merge: true });
  for (const d of parsed) assert.deepEqual(d.errors, [], `${file} parses`);
  return parsed.map((d) => d.toJS() as Doc).filter((d) => d !== null);
}

/** The command is one skein runs: a role of the table, or `schema init`. */
function assertSkeinCommand(args: string[], where: string): string {
  const parsed = parseArgs(args);
  const role = parsed.command;
  assert.ok(role in roles || role === 'schema', `${where}: "${role}" is a role or schema`);
  if (role === 'schema') assert.equal(parsed.subcommand, 'init', where);
  return parsed.configFile ?? '';
}

function assertConfigLoads(text: string, where: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'skein-deploy-'));
  try {
    const file = join(dir, 'skein.yaml');
    writeFileSync(file, text);
    const config = loadConfig({ file, env: {} });
    assert.equal(config.storage.backend, 'clickhouse', `${where} uses ClickHouse`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('deploy/', () => {
  test('docker-compose.yml: skein services run real roles with config files that load', () => {
    const [compose] = docs('docker-compose.yml');
    const services = compose.services as Record<string, Doc>;
    const roleServices = Object.entries(services).filter(([, s]) => s.image === 'skein:local');
    assert.deepEqual(roleServices.map(([n]) => n).sort(), [
      'collector',
      'ingester',
      'query',
      'skein-schema',
    ]);
    for (const [name, service] of roleServices) {
      const configFile = assertSkeinCommand(service.command as string[], name);
      const mount = (service.volumes as string[]).find((v) => v.includes(`:${configFile}`));
      assert.ok(mount, `${name} mounts its --config ${configFile}`);
      const hostFile = join(DEPLOY, mount.split(':')[0]);
      assert.ok(existsSync(hostFile), `${name}: ${hostFile} exists`);
      assertConfigLoads(readFileSync(hostFile, 'utf8'), `${name} (${hostFile})`);
    }
    for (const [name, service] of Object.entries(services)) {
      for (const v of (service.volumes as string[] | undefined) ?? []) {
        if (v.startsWith('./'))
          assert.ok(existsSync(join(DEPLOY, v.split(':')[0])), `${name}: ${v}`);
      }
    }
    assert.equal((services.ingester.deploy as Doc).replicas, 2);
    assert.equal((services.collector.deploy as Doc).replicas, 2);
  });

  test('kubernetes/: manifests parse; every container command is a role; every config in the ConfigMap loads', () => {
    const all = ['namespace.yaml', 'nats.yaml', 'clickhouse.yaml', 'skein.yaml'].flatMap((f) =>
      docs(join('kubernetes', f)),
    );
    for (const d of all) {
      assert.ok(
        typeof d.apiVersion === 'string' && typeof d.kind === 'string',
        'apiVersion and kind',
      );
    }
    const configMap = all.find(
      (d) => d.kind === 'ConfigMap' && (d.metadata as Doc).name === 'skein-config',
    );
    assert.ok(configMap);
    const data = configMap.data as Record<string, string>;
    for (const [key, text] of Object.entries(data)) assertConfigLoads(text, `skein-config ${key}`);
    let skeinContainers = 0;
    for (const d of all.filter((x) => x.kind === 'Deployment' || x.kind === 'Job')) {
      const spec = ((d.spec as Doc).template as Doc).spec as Doc;
      for (const c of spec.containers as Doc[]) {
        if (c.image !== 'skein:local') continue;
        skeinContainers++;
        const where = `${d.kind} ${(d.metadata as Doc).name as string}`;
        const configFile = assertSkeinCommand(c.args as string[], where);
        const mount = (c.volumeMounts as Doc[]).find((m) => m.mountPath === configFile);
        assert.ok(
          mount && typeof mount.subPath === 'string' && mount.subPath in data,
          `${where} config mounted`,
        );
      }
    }
    assert.equal(skeinContainers, 4, 'schema job, collector, ingester, query');
    const roleNames = all
      .filter((d) => d.kind === 'Deployment')
      .map((d) => (d.metadata as Doc).name)
      .sort();
    assert.deepEqual(roleNames, ['skein-collector', 'skein-ingester', 'skein-query']);
  });

  test('the image runs the CLI the build produces', () => {
    const dockerfile = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.match(pkg.scripts.skein, /packages\/server\/dist\/cli\/main\.js/);
    assert.match(dockerfile, /ENTRYPOINT \["node", "packages\/server\/dist\/cli\/main\.js"\]/);
    assert.ok(existsSync(join(ROOT, 'packages/server/src/cli/main.ts')));
  });

  test('ClickHouse configs name the cluster the skein configs use, and one shard macro per node', () => {
    const cluster = readFileSync(join(DEPLOY, 'clickhouse/cluster.xml'), 'utf8');
    assert.match(cluster, /<remote_servers>\s*<skein>/);
    for (const n of [1, 2]) {
      assert.match(cluster, new RegExp(`<host>clickhouse-${n}</host>`));
      assert.match(
        readFileSync(join(DEPLOY, `clickhouse/macros-${n}.xml`), 'utf8'),
        new RegExp(`<shard>0${n}</shard>`),
      );
    }
  });
});
