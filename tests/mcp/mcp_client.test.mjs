// codeexec's MCP server driven by the official MCP TypeScript SDK client, over stdio (`codeexec
// mcp`) and Streamable HTTP (/mcp on `codeexec serve`). Run by run_tests.sh with CODEEXEC set to
// the built command. Each test asserts what a host sees; none depends on timing (waits are for
// events, with generous bounds only against hangs).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const CODEEXEC = process.env.CODEEXEC;
if (!CODEEXEC) throw new Error('set CODEEXEC to the codeexec command');
const LOCAL = ['--executor', 'local', '--allow-unisolated'];
const JUPYTER = ['--executor', 'jupyter', '--allow-unisolated'];
const SANDBOX = [];  // the default executor
const TOKEN = 'mcp-test-token-0123456789';

// Waits until `check()` holds, polling; fails after `ms` (a bound against hangs, not a timing).
async function eventually(check, what, ms = 30000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function text(result) {
  return result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

// `codeexec serve` on a free loopback port; resolves to {url, child}.
function startServe(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(CODEEXEC, ['serve', '--listen', '127.0.0.1:0', '--ready-executors', '0', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^ ]+?)\/? /);
      if (m) resolve({ url: `${m[1].replace(/\/$/, '')}/mcp`, child });
    });
    child.on('exit', (code) => reject(new Error(`codeexec serve exited (${code}): ${out}`)));
  });
}

async function stopServe(server) {
  if (!server || server.child.exitCode !== null) return;
  const exited = new Promise((r) => server.child.on('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

// A connected client and how to end its session, over one transport.
const transports = {
  stdio: {
    async connect(executorArgs) {
      const transport = new StdioClientTransport({
        command: CODEEXEC,
        args: ['mcp', ...executorArgs],
        stderr: 'inherit',
      });
      const client = new Client({ name: 'codeexec-test', version: '1.0.0' });
      await client.connect(transport);
      return {
        client,
        pid: transport.pid,
        // Closing stdin ends the session: the process exits after freeing everything.
        async end() {
          const pid = transport.pid;
          await client.close();
          await eventually(() => !alive(pid), 'codeexec mcp exits when its input closes');
        },
      };
    },
  },
  http: {
    servers: {},
    async connect(executorArgs) {
      const key = executorArgs.join(' ');
      this.servers[key] ??= await startServe(['--token', TOKEN, ...executorArgs]);
      const transport = new StreamableHTTPClientTransport(new URL(this.servers[key].url), {
        requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
      });
      const client = new Client({ name: 'codeexec-test', version: '1.0.0' });
      await client.connect(transport);
      return {
        client,
        transport,
        async end() {
          await transport.terminateSession();
          await client.close();
        },
      };
    },
    async stop() {
      for (const server of Object.values(this.servers)) await stopServe(server);
    },
  },
};

for (const [name, kind] of Object.entries(transports)) {
  describe(`MCP over ${name}`, () => {
    after(async () => kind.stop?.());

    test('initialize and tools/list: every tool with its input and output schema', async () => {
      const s = await kind.connect(LOCAL);
      assert.equal(s.client.getServerVersion().name, 'codeexec');
      assert.ok(s.client.getServerCapabilities().tools);
      const { tools } = await s.client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(),
        ['list_files', 'list_languages', 'read_file', 'restart', 'run_code', 'write_file']);
      for (const tool of tools) {
        assert.equal(tool.inputSchema.type, 'object', tool.name);
        assert.equal(tool.outputSchema.type, 'object', tool.name);
        assert.ok(tool.description.length > 20, tool.name);
      }
      const languages = await s.client.callTool({ name: 'list_languages', arguments: {} });
      assert.ok(languages.structuredContent.languages.some((l) => l.name === 'python' && l.runs));
      await s.end();
    });

    test('run_code: output as text, the result as structured content, failures as isError', async () => {
      const s = await kind.connect(LOCAL);
      // The SDK checks structuredContent against the tool's outputSchema.
      const ok = await s.client.callTool({ name: 'run_code', arguments: { language: 'python', code: 'print(6 * 7)' } });
      assert.equal(ok.isError, false);
      assert.match(text(ok), /exitcode: 0 \(execution succeeded\)\nCode output: 42/);
      assert.equal(ok.structuredContent.exit_code, 0);
      assert.equal(ok.structuredContent.status, 'ok');
      assert.equal(ok.structuredContent.blocks.length, 1);
      const failed = await s.client.callTool({ name: 'run_code', arguments: { language: 'python', code: 'import sys\nprint("bad", file=sys.stderr)\nsys.exit(3)' } });
      assert.equal(failed.isError, true);
      assert.equal(failed.structuredContent.exit_code, 3);
      assert.match(text(failed), /bad/);
      await assert.rejects(s.client.callTool({ name: 'run_code', arguments: { code: 'print(1)' } }), /-32602|language/);
      await assert.rejects(s.client.callTool({ name: 'no_such_tool', arguments: {} }), /-32602|Unknown tool/);
      await s.end();
    });

    test('files persist between calls; paths cannot leave the work folder', async () => {
      const s = await kind.connect(LOCAL);
      const call = (tool, args) => s.client.callTool({ name: tool, arguments: args });
      assert.equal((await call('write_file', { path: 'data/in.txt', content: 'from the host' })).isError, false);
      const run = await call('run_code', { language: 'python', code: 'print(open("data/in.txt").read().upper())\nopen("out.txt","w").write("made by code")' });
      assert.match(text(run), /FROM THE HOST/);
      assert.equal((await call('read_file', { path: 'out.txt' })).structuredContent.content, 'made by code');
      const listed = await call('list_files', {});
      assert.ok(listed.structuredContent.entries.some((e) => e.path === 'data/in.txt'));
      for (const path of ['../escape.txt', '/etc/passwd', 'data/../../x']) {
        const escaped = await call('write_file', { path, content: 'x' });
        assert.equal(escaped.isError, true, path);
      }
      assert.equal((await call('read_file', { path: '../../../../etc/passwd' })).isError, true);
      await s.end();
    });

    test('images the code writes come back as image content', async () => {
      const s = await kind.connect(LOCAL);
      const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
      const result = await s.client.callTool({ name: 'run_code', arguments: { language: 'python', code: `import base64\nopen("dot.png","wb").write(base64.b64decode("${png}"))\nprint("saved")` } });
      const images = result.content.filter((c) => c.type === 'image');
      assert.equal(images.length, 1);
      assert.equal(images[0].mimeType, 'image/png');
      assert.equal(images[0].data, png);
      assert.deepEqual(result.structuredContent.images, ['dot.png']);
      await s.end();
    });

    test('progress notifications carry the output while the code runs', async () => {
      const s = await kind.connect(LOCAL);
      const messages = [];
      let released = false;
      // The code waits for a file that the test writes only after the first output arrived, so
      // the notification provably came while the code ran.
      const code = 'import os, time\nprint("first", flush=True)\nwhile not os.path.exists("go"): time.sleep(0.02)\nprint("second")';
      const result = await s.client.callTool({ name: 'run_code', arguments: { language: 'python', code } }, undefined, {
        onprogress: (p) => {
          messages.push(p.message);
          if (!released && messages.join('').includes('first')) {
            released = true;
            s.client.callTool({ name: 'write_file', arguments: { path: 'go', content: '' } });
          }
        },
        timeout: 60000,
      });
      assert.ok(released);
      assert.match(messages.join(''), /first/);
      assert.match(text(result), /first\nsecond/);
      await s.end();
    });

    test('cancelling a call kills its processes and the session goes on', async () => {
      const s = await kind.connect(LOCAL);
      const controller = new AbortController();
      let pid;
      let printed = '';
      const code = 'import os, subprocess, time\nchild = subprocess.Popen(["sleep", "600"])\nprint(os.getpid(), child.pid, flush=True)\ntime.sleep(600)';
      const call = s.client.callTool({ name: 'run_code', arguments: { language: 'python', code } }, undefined, {
        signal: controller.signal,
        onprogress: (p) => {
          printed += p.message;  // the output may come in several pieces
          const m = printed.match(/^(\d+) (\d+)\n/);
          if (m && !pid) {
            pid = [Number(m[1]), Number(m[2])];
            controller.abort('the user stopped it');
          }
        },
        timeout: 120000,
      });
      await assert.rejects(call);
      assert.ok(pid, 'the code printed its process ids');
      await eventually(() => !alive(pid[0]) && !alive(pid[1]), 'the cancelled code and its child are gone');
      const after = await s.client.callTool({ name: 'run_code', arguments: { language: 'python', code: 'print("still here")' } });
      assert.match(text(after), /still here/);
      await s.end();
    });

    test('ending the session frees its work folder; sessions share nothing', async () => {
      const a = await kind.connect(LOCAL);
      const b = await kind.connect(LOCAL);
      const where = await a.client.callTool({ name: 'run_code', arguments: { language: 'python', code: 'import os\nopen("mine.txt","w").write("a")\nprint(os.getcwd())' } });
      const folder = where.structuredContent.output.trim();
      assert.ok(existsSync(folder), folder);
      const other = await b.client.callTool({ name: 'read_file', arguments: { path: 'mine.txt' } });
      assert.equal(other.isError, true);
      await a.end();
      await eventually(() => !existsSync(folder), 'the work folder is removed when the session ends');
      await b.end();
    });

    test('with the default sandbox, code sees no host files and no network; its files persist', async () => {
      const secretDir = mkdtempSync(join(tmpdir(), 'mcp-secret-'));
      const secret = join(secretDir, 'secret.txt');
      writeFileSync(secret, 'host secret');
      const s = await kind.connect(SANDBOX);
      const run = (code) => s.client.callTool({ name: 'run_code', arguments: { language: 'python', code } }, undefined, { timeout: 120000 });
      try {
        const probe = await run([
          'import os, socket',
          `print("secret", os.path.exists(${JSON.stringify(secret)}))`,
          'print("interfaces", [name for _, name in socket.if_nameindex()])',
          'open("kept.txt", "w").write("made in the sandbox")',
        ].join('\n'));
        assert.equal(probe.isError, false, text(probe));
        assert.match(text(probe), /secret False\ninterfaces \['lo'\]/);
        const read = await s.client.callTool({ name: 'read_file', arguments: { path: 'kept.txt' } });
        assert.equal(read.structuredContent.content, 'made in the sandbox');
        await s.client.callTool({ name: 'write_file', arguments: { path: 'in.txt', content: 'from the host' } });
        assert.match(text(await run('print(open("in.txt").read())')), /from the host/);
        const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
        const drawn = await run(`import base64\nopen("dot.png","wb").write(base64.b64decode("${png}"))`);
        assert.deepEqual(drawn.content.filter((c) => c.type === 'image').map((c) => c.data), [png]);
      } finally {
        await s.end();
        rmSync(secretDir, { recursive: true, force: true });
      }
    });

    test('with the jupyter executor, variables persist within a session and plots are images', async () => {
      const a = await kind.connect(JUPYTER);
      const b = await kind.connect(JUPYTER);
      const run = (s, code) => s.client.callTool({ name: 'run_code', arguments: { language: 'python', code } }, undefined, { timeout: 120000 });
      await run(a, 'answer = 41');
      assert.match(text(await run(a, 'print(answer + 1)')), /42/);
      const isolated = await run(b, 'print(answer)');
      assert.equal(isolated.isError, true);
      assert.match(text(isolated), /NameError/);
      const plot = await run(a, 'import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()');
      const images = plot.content.filter((c) => c.type === 'image');
      assert.equal(images.length, 1);
      assert.equal(images[0].mimeType, 'image/png');
      assert.equal((await a.client.callTool({ name: 'restart', arguments: {} })).isError, false);
      assert.equal((await run(a, 'print(answer)')).isError, true);
      await a.end();
      await b.end();
    });
  });
}

// What only HTTP has: the token, the session header, the transport's refusals.
describe('Streamable HTTP: access and hostile requests', () => {
  let server;
  before(async () => {
    server = await startServe(['--token', TOKEN, ...LOCAL]);
  });
  after(async () => stopServe(server));

  const post = (body, headers = {}) => fetch(server.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${TOKEN}`, ...headers },
    body,
  });
  const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });

  test('the bearer token is required', async () => {
    const response = await post(init, { Authorization: 'Bearer wrong' });
    assert.equal(response.status, 401);
  });

  test('a foreign Host or Origin is refused (DNS rebinding)', async () => {
    assert.equal((await post(init, { Origin: 'http://evil.example.com' })).status, 403);
  });

  test('malformed JSON, unknown methods, missing or unknown sessions, huge bodies', async () => {
    const bad = await post('{"jsonrpc": "2.0", "id": 1,');
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.code, -32700);
    const opened = await post(init);
    assert.equal(opened.status, 200);
    const session = opened.headers.get('mcp-session-id');
    assert.match(session, /^[0-9a-f]{32}$/);
    assert.equal((await opened.json()).result.protocolVersion, '2025-06-18');
    const unknown = await post(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'no/such' }), { 'Mcp-Session-Id': session });
    assert.equal((await unknown.json()).error.code, -32601);
    const notified = await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), { 'Mcp-Session-Id': session });
    assert.equal(notified.status, 202);
    const badParams = await post(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'run_code', arguments: { language: 'python', code: 1 } } }), { 'Mcp-Session-Id': session, Accept: 'application/json' });
    assert.equal((await badParams.json()).error.code, -32602);
    const badVersion = await post(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'ping' }), { 'Mcp-Session-Id': session, 'MCP-Protocol-Version': '1999-01-01' });
    assert.equal(badVersion.status, 400);
    assert.equal((await post(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'ping' }))).status, 400);
    assert.equal((await post(JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'ping' }), { 'Mcp-Session-Id': 'f'.repeat(32) })).status, 404);
    // Past the body limit: 413, or the connection closed while the client still sends (the
    // server answers before reading the body); either way the session goes on.
    const huge = await post(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping', params: { pad: 'x'.repeat(11 << 20) } }), { 'Mcp-Session-Id': session }).catch((e) => e);
    if (huge instanceof Response) assert.equal(huge.status, 413);
    else assert.match(String(huge.cause?.code ?? huge.cause), /EPIPE|ECONNRESET|UND_ERR_SOCKET|other side closed/);
    assert.equal((await post(JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'ping' }), { 'Mcp-Session-Id': session })).status, 200);
    const ended = await fetch(server.url, { method: 'DELETE', headers: { Authorization: `Bearer ${TOKEN}`, 'Mcp-Session-Id': session } });
    assert.equal(ended.status, 200);
    assert.equal((await post(JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'ping' }), { 'Mcp-Session-Id': session })).status, 404);
  });

  test('a client that vanishes mid-call leaves no process behind', async () => {
    const opened = await post(init);
    const session = opened.headers.get('mcp-session-id');
    const response = await post(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'run_code', _meta: { progressToken: 't' }, arguments: { language: 'python', code: 'import os, time\nprint(os.getpid(), flush=True)\ntime.sleep(600)' } } }), { 'Mcp-Session-Id': session, 'MCP-Protocol-Version': '2025-06-18' });
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const reader = response.body.getReader();
    // The output may come in several notifications: join their messages.
    let seen = '';
    let output = '';
    let pid;
    while (!pid) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'the stream ended before the code printed its pid');
      seen += new TextDecoder().decode(value);
      const events = seen.split('\n\n');
      seen = events.pop();
      for (const event of events) {
        const data = event.split('\n').find((line) => line.startsWith('data: '));
        if (data) output += JSON.parse(data.slice(6)).params?.message ?? '';
      }
      const m = output.match(/^(\d+)\n/);
      if (m) pid = Number(m[1]);
    }
    assert.ok(alive(pid));
    await reader.cancel();  // the client goes away
    await eventually(() => !alive(pid), 'the run of a vanished client is killed');
  });
});
