// A person approves each destructive call: the official TypeScript MCP SDK client, with an elicitation handler
// that answers as a person would (or would not), drives the built binary over stdio and over streamable HTTP.
// Usage: node .ci/consent.mjs path/to/proxmox-mcp
//
// Each case runs its own --demo server (a fresh simulated cluster) with PROXMOX_LOG_LEVEL=debug, whose client
// logs every request it sends to Proxmox: the writes counted below are those lines, the requests that really
// left for the cluster. Speed never decides a case: PROXMOX_CONSENT_MIN_SECONDS=0 makes every decline the
// person's and =60 makes none of them so; only the timeout case waits (PROXMOX_CONSENT_TIMEOUT=2).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const bin = process.argv[2];
const failures = [];
const text = (res) => res.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
const destroy = { name: 'proxmox_destroy_resource', arguments: { vmid: 204, confirm: true, destructive: true } };

// writesIn counts the write requests the server's Proxmox client logged.
const writesIn = (stderr) => stderr.split('\n').filter((l) => {
  try {
    const e = JSON.parse(l);
    return e.message === 'proxmox request' && e.method !== 'GET';
  } catch { return false; }
}).length;

// person answers an elicitation: with an action and what they typed, or never.
const person = (action, typed) => {
  const p = { asked: [], handler: null };
  p.handler = async (req) => {
    p.asked.push(req.params);
    if (action === 'never') return new Promise(() => {});
    return action === 'accept' ? { action, content: { confirm: typed } } : { action };
  };
  return p;
};

const client = (p) => {
  const c = new Client({ name: 'ts-sdk-consent', version: '1.0.0' }, { capabilities: p ? { elicitation: {} } : {} });
  if (p) c.setRequestHandler(ElicitRequestSchema, p.handler);
  return c;
};

const stdioCase = async (env, p) => {
  const transport = new StdioClientTransport({
    command: bin, args: ['--demo'], stderr: 'pipe',
    env: { PATH: process.env.PATH ?? '', PROXMOX_LOG_LEVEL: 'debug', ...env },
  });
  let stderr = '';
  transport.stderr.on('data', (b) => { stderr += b; });
  const c = client(p);
  await c.connect(transport);
  const t0 = performance.now();
  const res = await c.callTool(destroy);
  const ms = performance.now() - t0;
  await c.close();
  await new Promise((r) => setTimeout(r, 50)); // the child's last stderr lines
  return { res, stderr, ms };
};

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.on('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

const httpCase = async (env, p) => {
  const token = randomBytes(32).toString('hex');
  const port = await freePort();
  let stderr = '';
  const server = spawn(bin, ['--demo', '--http', `127.0.0.1:${port}`], {
    env: { PATH: process.env.PATH ?? '', PROXMOX_MCP_HTTP_TOKEN: token, PROXMOX_LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  server.stderr.on('data', (b) => { stderr += b; });
  const exited = new Promise((r) => server.on('exit', r));
  for (let i = 0; ; i++) {
    try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* not yet */ }
    if (i > 300) throw new Error(`the server did not start:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const c = client(p);
  await c.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  }));
  const res = await c.callTool(destroy);
  await c.close();
  server.kill('SIGTERM');
  await exited;
  return { res, stderr };
};

const check = async (transport, name, run, env, p, want) => {
  let got;
  try {
    got = await run(env, p);
  } catch (e) {
    failures.push(`${transport} ${name}: ${e}`);
    return;
  }
  const { res, stderr } = got;
  const writes = writesIn(stderr);
  const problems = [];
  if (!!res.isError !== want.refused) problems.push(`isError ${res.isError}`);
  if (!text(res).includes(want.says)) problems.push(`result lacks ${JSON.stringify(want.says)}`);
  if (writes !== (want.refused ? 0 : 1)) problems.push(`${writes} writes reached the cluster`);
  if (!stderr.includes(`"consent":"${want.consent}"`)) problems.push(`no audit record with consent ${want.consent}`);
  if (p && p.asked.length !== (want.asked ?? 1)) problems.push(`asked ${p.asked.length} times`);
  if (p && p.asked.length > 0) {
    const q = p.asked[0];
    for (const w of ['Target: CT 204 «test-ct» (lxc) on node pve3, stopped', 'Request: DELETE /api2/json/nodes/pve3/lxc/204', 'type 204 (the vmid) or test-ct (the name)']) {
      if (!q.message.includes(w)) problems.push(`question lacks ${JSON.stringify(w)}`);
    }
    const props = Object.values(q.requestedSchema?.properties ?? {});
    if (props.length !== 1 || props[0].type !== 'string') problems.push(`not a one-field flat form: ${JSON.stringify(q.requestedSchema)}`);
  }
  const line = `${transport} ${name}: ${res.isError ? 'refused' : 'sent'}, ${writes} write${writes === 1 ? '' : 's'}, consent ${want.consent}${got.ms ? `, ${got.ms.toFixed(0)} ms` : ''}`;
  if (problems.length > 0) {
    failures.push(`${line}: ${problems.join('; ')}\n  result: ${text(res)}`);
  } else {
    console.log(`ok  ${line}`);
  }
};

const min0 = { PROXMOX_CONSENT_MIN_SECONDS: '0' };
const stdioCases = [
  ['accept with the vmid', min0, person('accept', '204'), { refused: false, says: 'The person approved this request', consent: 'accepted' }],
  ['accept with a wrong vmid', min0, person('accept', '205'), { refused: true, says: 'without typing what approves destroy CT 204', consent: 'wrong_answer' }],
  ['decline', min0, person('decline'), { refused: true, says: 'the person declined to approve destroy CT 204', consent: 'declined' }],
  ['cancel', min0, person('cancel'), { refused: true, says: 'the person dismissed the question', consent: 'cancelled' }],
  ['no answer until the timeout', { ...min0, PROXMOX_CONSENT_TIMEOUT: '2' }, person('never'), { refused: true, says: 'nobody answered the question approving destroy CT 204 «test-ct» on pve3 within 2s', consent: 'timed_out' }],
  ['no elicitation capability, fallback gate', {}, null, { refused: false, says: 'Nobody approved this: this client did not declare the elicitation capability', consent: 'unavailable' }],
  ['no elicitation capability, fallback refuse', { PROXMOX_CONSENT_FALLBACK: 'refuse' }, null, { refused: true, says: 'PROXMOX_CONSENT_FALLBACK=refuse refuses such calls', consent: 'unavailable' }],
  ['declines at once, fallback gate', { PROXMOX_CONSENT_MIN_SECONDS: '60' }, person('decline'), { refused: false, says: 'sooner than a person can read it (PROXMOX_CONSENT_MIN_SECONDS=60)', consent: 'not_shown' }],
  ['declines at once, fallback refuse', { PROXMOX_CONSENT_MIN_SECONDS: '60', PROXMOX_CONSENT_FALLBACK: 'refuse' }, person('decline'), { refused: true, says: 'sooner than a person can read it', consent: 'not_shown' }],
];
for (const [name, env, p, want] of stdioCases) await check('stdio', name, stdioCase, env, p, want);

// Over HTTP the SDK (protocol 2025-11-25) cannot be asked by this stateless server, though it declares
// elicitation: every case is the fallback, and the handler is never called.
const httpCases = [
  ['elicitation declared, fallback gate', {}, person('accept', '204'), { refused: false, says: 'over stateless streamable HTTP', consent: 'unavailable', asked: 0 }],
  ['elicitation declared, fallback refuse', { PROXMOX_CONSENT_FALLBACK: 'refuse' }, person('accept', '204'), { refused: true, says: 'PROXMOX_CONSENT_FALLBACK=refuse refuses such calls', consent: 'unavailable', asked: 0 }],
  ['no elicitation capability, fallback refuse', { PROXMOX_CONSENT_FALLBACK: 'refuse' }, null, { refused: true, says: 'PROXMOX_CONSENT_FALLBACK=refuse refuses such calls', consent: 'unavailable' }],
];
for (const [name, env, p, want] of httpCases) await check('http', name, httpCase, env, p, want);

if (failures.length > 0) {
  for (const f of failures) console.error(`FAIL: ${f}`);
  process.exit(1);
}
console.log(`consent OK: ${stdioCases.length} stdio and ${httpCases.length} HTTP cases with the TypeScript SDK`);
