// Drives the built binary over streamable HTTP with the official TypeScript MCP SDK client, then stops it with
// SIGTERM while ten such clients are connected and reports how long it took to exit.
// Usage: node .ci/interop-http.mjs path/to/proxmox-mcp
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const bin = process.argv[2];
const fail = (msg) => { console.error(`FAIL: ${msg}`); server?.kill('SIGKILL'); process.exit(1); };
const text = (res) => res.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.on('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

const token = randomBytes(32).toString('hex');
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
let stderr = '';
const server = spawn(bin, ['--demo', '--http', `127.0.0.1:${port}`], {
  env: { PATH: process.env.PATH ?? '', PROXMOX_MCP_HTTP_TOKEN: token },
  stdio: ['ignore', 'ignore', 'pipe'],
});
server.stderr.on('data', (b) => { stderr += b; });
const exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));

for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/healthz`)).ok) break;
  } catch { /* not listening yet */ }
  if (i > 300) fail(`the server did not start:\n${stderr}`);
  await new Promise((r) => setTimeout(r, 50));
}

// Every GET the SDK makes (the optional event stream it opens after initialize), and how it was answered.
const gets = [];
const recordingFetch = async (url, init) => {
  const res = await fetch(url, init);
  if ((init?.method ?? 'GET') === 'GET') gets.push(res.status);
  return res;
};
const errors = [];
const connect = async (bearer = token) => {
  const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
    fetch: recordingFetch,
  });
  const client = new Client({ name: 'ts-sdk-interop-http', version: '1.0.0' });
  await client.connect(transport);
  transport.onerror = (e) => errors.push(e);
  return client;
};

try {
  await connect('wrong-token-0123456789abcdef0123456789');
  fail('a wrong bearer token was accepted');
} catch (e) {
  if (e?.code !== 401) fail(`wrong token: ${e} (code ${e?.code})`);
}

const client = await connect();
if (client.getServerVersion()?.name !== 'proxmox-mcp') fail(`server name ${JSON.stringify(client.getServerVersion())}`);
const { tools } = await client.listTools();
if (!tools.some((t) => t.name === 'proxmox_list_vms')) fail(`tools/list: ${tools.map((t) => t.name)}`);
const list = await client.callTool({ name: 'proxmox_list_vms', arguments: { status: 'running' } });
if (list.isError || !text(list).includes('100 «opnsense»') || list.structuredContent?.total !== 5) fail(`read tool: ${JSON.stringify(list)}`);
const refused = await client.callTool({ name: 'proxmox_start_resource', arguments: { vmid: 103 } });
if (!refused.isError || !text(refused).includes('confirm: true (missing)')) fail(`refused write: ${JSON.stringify(refused)}`);
const started = await client.callTool({ name: 'proxmox_start_resource', arguments: { vmid: 103, confirm: true } });
if (started.isError || started.structuredContent?.status !== 'ok') fail(`confirmed write: ${JSON.stringify(started)}`);

const clients = [client];
for (let i = 1; i < 10; i++) clients.push(await connect());
await Promise.all(clients.map((c) => c.callTool({ name: 'proxmox_status', arguments: {} })));
await new Promise((r) => setTimeout(r, 200)); // every client has tried its event stream
if (gets.length < clients.length || gets.some((s) => s !== 405)) fail(`GET /mcp answered ${JSON.stringify(gets)}, want 405 for each client`);
if (errors.length > 0) fail(`the SDK reported transport errors: ${errors.join('; ')}`);

const t0 = performance.now();
server.kill('SIGTERM');
const guard = setTimeout(() => fail(`no exit within 60 s of SIGTERM:\n${stderr}`), 60_000);
const { code, signal, at } = await exited;
clearTimeout(guard);
if (code !== 0) fail(`exit ${code ?? signal} after SIGTERM:\n${stderr}`);
for (const c of clients) await c.close();
console.log(`interop OK over HTTP: TypeScript SDK ${process.env.npm_package_version ?? ''} initialized, listed ${tools.length} tools, read ${list.structuredContent.total} running VMs, got the refusal, started VM 103; GET /mcp answered 405 to each of ${clients.length} clients; SIGTERM to exit 0 with them connected: ${(at - t0).toFixed(0)} ms`);
