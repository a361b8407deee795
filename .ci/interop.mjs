// Drives the built binary over stdio with the official TypeScript MCP SDK client: a client nobody on this team
// wrote. Usage: node .ci/interop.mjs path/to/proxmox-mcp
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const bin = process.argv[2];
const fail = (msg) => { console.error(`FAIL: ${msg}`); process.exit(1); };
const text = (res) => res.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');

const transport = new StdioClientTransport({ command: bin, args: ['--demo'], env: { PATH: process.env.PATH ?? '' }, stderr: 'ignore' });
const client = new Client({ name: 'ts-sdk-interop', version: '1.0.0' });
await client.connect(transport);

const info = client.getServerVersion();
if (info?.name !== 'proxmox-mcp') fail(`server name ${JSON.stringify(info)}`);
if (!client.getInstructions()?.includes('confirm: true')) fail('instructions missing');

const { tools } = await client.listTools();
if (tools.length !== 33) fail(`${tools.length} tools, want 33 (23 typed, 4 generic, 6 of the guest toolset)`);
for (const t of tools) {
  // readOnlyHint and openWorldHint on every tool, destructiveHint on every tool that writes (the protocol's
  // defaults for those two are the unsafe ones); every argument described; an output schema.
  const a = t.annotations ?? {};
  const need = a.readOnlyHint === true ? ['readOnlyHint', 'openWorldHint'] : ['readOnlyHint', 'destructiveHint', 'openWorldHint'];
  for (const k of need) {
    if (typeof a[k] !== 'boolean') fail(`${t.name}: ${k} not set`);
  }
  for (const [name, p] of Object.entries(t.inputSchema?.properties ?? {})) {
    if (!p.description) fail(`${t.name}: argument ${name} has no description`);
  }
  if (t.outputSchema?.type !== 'object') fail(`${t.name}: no output schema`);
}

const list = await client.callTool({ name: 'proxmox_list_vms', arguments: { status: 'running' } });
if (list.isError || !text(list).includes('100 «opnsense»') || list.structuredContent?.total !== 5) {
  fail(`read tool: ${JSON.stringify(list)}`);
}

const refused = await client.callTool({ name: 'proxmox_start_resource', arguments: { vmid: 103 } });
if (!refused.isError || !text(refused).includes('confirm: true (missing)')) fail(`refused write: ${JSON.stringify(refused)}`);

const bad = await client.callTool({ name: 'proxmox_get_resource', arguments: { vmid: '100' } });
if (!bad.isError || !text(bad).includes('vmid')) fail(`bad input: ${JSON.stringify(bad)}`);

// The generic tools, whose structured content the SDK checks against their output schemas.
const ha = await client.callTool({ name: 'proxmox_api_get', arguments: { path: '/cluster/ha/resources' } });
if (ha.isError || !text(ha).includes('"sid":"vm:100"') || ha.structuredContent?.operation !== 'GET /cluster/ha/resources') {
  fail(`generic read: ${JSON.stringify(ha)}`);
}
const rule = await client.callTool({
  name: 'proxmox_api_call',
  arguments: { method: 'POST', path: '/cluster/firewall/rules', params: { action: 'ACCEPT', type: 'in', proto: 'tcp', dport: '2222', enable: 1 }, confirm: true },
});
if (rule.isError || rule.structuredContent?.class !== 'write') fail(`generic write: ${JSON.stringify(rule)}`);
const found = await client.callTool({ name: 'proxmox_api_find', arguments: { query: 'firewall rules' } });
if (found.isError || found.structuredContent?.operations?.[0]?.path !== '/cluster/firewall/rules') fail(`find: ${JSON.stringify(found)}`);

// The guest toolset: what the agent sees, and a command run in the guest (the demo allows df).
const info2 = await client.callTool({ name: 'proxmox_guest_info', arguments: { vmid: 104 } });
if (info2.isError || !text(info2).includes('192.168.1.41')) fail(`guest info: ${JSON.stringify(info2)}`);
const ran = await client.callTool({ name: 'proxmox_guest_exec', arguments: { vmid: 104, command: ['df', '-h'], confirm: true } });
if (ran.isError || ran.structuredContent?.exitcode !== 0 || !text(ran).includes('Filesystem')) fail(`guest exec: ${JSON.stringify(ran)}`);
await client.close();

// Two simulated clusters: every tool takes cluster; a "*" list answers from both, and a write to one names it.
const fleet = new Client({ name: 'ts-sdk-interop', version: '1.0.0' });
await fleet.connect(new StdioClientTransport({ command: bin, args: ['--demo=home,lab'], env: { PATH: process.env.PATH ?? '' }, stderr: 'ignore' }));
const fleetTools = (await fleet.listTools()).tools;
const noCluster = fleetTools.filter((t) => !t.inputSchema?.properties?.cluster).map((t) => t.name);
if (noCluster.length > 0) fail(`with two clusters, no cluster argument on ${noCluster.join(', ')}`);
const both = await fleet.callTool({ name: 'proxmox_list_vms', arguments: { cluster: '*' } });
const seen = new Set((both.structuredContent?.items ?? []).map((v) => v.cluster));
if (both.isError || !seen.has('home') || !seen.has('lab')) fail(`list of both clusters: ${JSON.stringify(both).slice(0, 500)}`);
const started = await fleet.callTool({ name: 'proxmox_start_resource', arguments: { vmid: 100, cluster: 'lab', confirm: true } });
if (started.isError || started.structuredContent?.target?.cluster !== 'lab' || !text(started).includes('in cluster lab')) fail(`write to lab: ${JSON.stringify(started)}`);
await fleet.close();

console.log(`interop OK: TypeScript SDK ${process.env.npm_package_version ?? ''} initialized, listed ${tools.length} tools, read ${list.structuredContent.total} running VMs, got the refusal, read and wrote through the generic tools, ran df in a guest, listed ${both.structuredContent.total} VMs of two clusters and started one in lab`);
