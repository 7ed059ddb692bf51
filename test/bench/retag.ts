/**
 * Benchmark: what one retag costs on the wire. A counting proxy in front of a real
 * docker-registry records every request; the same retag is done by our registry layer, by the
 * whole build-once-tag action, and by `skopeo copy docker://… docker://…` (once per tag), in the
 * same run, each adding two tags. Floor: the one source read, then per added tag one manifest read
 * (is the tag free or movable?) + one write, zero blob bytes: 2 manifest requests per added tag.
 *
 *   node --import tsx test/bench/retag.ts
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { OciRegistry, retag } from '@sd-actions/registry';
import {
  buildImage,
  type ProxyRecord,
  pushImage,
  removeDir,
  runAction,
  startProxy,
  startRegistry,
  tempDir,
  writeFiles,
} from '@sd-actions/testkit';

interface Row {
  name: string;
  requests: number;
  manifestReads: number;
  manifestWrites: number;
  blobBytes: number;
  totalBytes: number;
  ms: number;
}

function tally(name: string, records: ProxyRecord[], ms: number): Row {
  const manifests = records.filter((r) => r.path.includes('/manifests/'));
  const blobs = records.filter((r) => r.path.includes('/blobs/'));
  return {
    name,
    requests: records.length,
    manifestReads: manifests.filter((r) => r.method === 'GET' || r.method === 'HEAD').length,
    manifestWrites: manifests.filter((r) => r.method === 'PUT').length,
    blobBytes: blobs.reduce((s, r) => s + r.requestBytes + r.responseBytes, 0),
    totalBytes: records.reduce((s, r) => s + r.requestBytes + r.responseBytes, 0),
    ms,
  };
}

const server = await startRegistry();
const proxy = await startProxy(server.url);
const workspace = tempDir('bench-retag-');
try {
  // A 4 MiB incompressible layer: a copy that moved blobs would show it plainly.
  const image = buildImage({ files: [{ path: 'srv/payload.bin', data: randomBytes(4 * 1024 * 1024) }] });
  const direct = new OciRegistry(server.url, true);
  await pushImage(direct, 'bench', 'sha-0000001', image);
  const rows: Row[] = [];

  const measure = async (name: string, fn: () => Promise<void> | void) => {
    proxy.records.length = 0;
    const started = performance.now();
    await fn();
    rows.push(tally(name, [...proxy.records], Math.round(performance.now() - started)));
  };

  // The action first, while the repository holds only the source tag: for its "tags" output it
  // resolves every tag it did not read or write itself (one HEAD each).
  writeFiles(workspace, {
    '.github/sd-actions.yml': `registry: { type: oci, url: "${proxy.url}", insecure: true }\nservices:\n  bench: { path: . }\n`,
  });
  await measure('build-once-tag action (whole run)', async () => {
    const run = await runAction('build-once-tag', {
      workspace,
      sha: '0000001ffffffffffffffffffffffffffffffff0',
      inputs: { service: 'bench', tags: 'staging,canary' },
    });
    if (run.code !== 0) throw new Error(`action failed:\n${run.stdout}${run.stderr}`);
  });

  await measure('sd-actions registry layer (retag)', async () => {
    const registry = new OciRegistry(proxy.url, true);
    const manifest = (await registry.getManifest('bench', 'sha-0000001'))!;
    await retag(registry, 'bench', manifest, [
      { tag: 'dev', kind: 'moving' },
      { tag: 'qa', kind: 'moving' },
    ]);
  });

  // Asynchronously: the counting proxy lives in this process and must keep serving.
  await measure('skopeo copy docker:// docker://', async () => {
    for (const tag of ['prd', 'prd-eu'])
      await promisify(execFile)('skopeo', [
        'copy',
        '--quiet',
        '--src-tls-verify=false',
        '--dest-tls-verify=false',
        `docker://${proxy.url}/bench:sha-0000001`,
        `docker://${proxy.url}/bench:${tag}`,
      ]);
  });

  // The floor reads the source manifest once, then per tag checks it (HEAD, no body) and writes it.
  const floor: Row = {
    name: 'floor',
    requests: 5,
    manifestReads: 3,
    manifestWrites: 2,
    blobBytes: 0,
    totalBytes: 3 * image.manifest.size,
    ms: 0,
  };
  const header = [
    '',
    'requests',
    'x floor',
    'manifest reads',
    'manifest writes',
    'manifest req. per added tag',
    'blob bytes',
    'all body bytes',
    'ms',
  ];
  const lines = [floor, ...rows].map((r) => [
    r.name,
    String(r.requests),
    `${(r.requests / floor.requests).toFixed(1)}x`,
    String(r.manifestReads),
    String(r.manifestWrites),
    // The source is read once whatever the number of tags; the rest is per added tag.
    ((r.manifestReads + r.manifestWrites - 1) / r.manifestWrites).toFixed(1),
    String(r.blobBytes),
    String(r.totalBytes),
    r.name === 'floor' ? '-' : String(r.ms),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(
    `retag (two tags) of one ${image.blobs[1]!.length}-byte-layer image on docker-registry (counted at a loopback proxy)\n`,
  );
  console.log(fmt(header));
  for (const l of lines) console.log(fmt(l));
  const ours = rows[1]!;
  const skopeo = rows[2]!;
  console.log(
    `\nskopeo/ours: ${(skopeo.requests / ours.requests).toFixed(1)}x requests, ` +
      `${ours.totalBytes ? (skopeo.totalBytes / ours.totalBytes).toFixed(0) : '∞'}x body bytes; ours moved ${ours.blobBytes} blob bytes.`,
  );
  // Tags must really be there: a benchmark of a retag that did not happen would be worthless.
  for (const tag of ['dev', 'qa', 'staging', 'canary', 'prd', 'prd-eu'])
    if ((await direct.resolve('bench', tag))?.digest !== image.manifest.digest)
      throw new Error(`${tag} not retagged`);
} finally {
  await proxy.stop();
  await server.stop();
  removeDir(workspace);
}
