// Piston's own client library (piston-client on npm), unchanged, against codeexec's /api/v2.
// The client cannot send headers, so the token goes in the URL as Basic credentials.
import assert from "node:assert/strict";
import { test, after, before } from "node:test";
import piston from "piston-client";
import { startServer } from "./serve.mjs";

let server;
let client;

before(async () => {
  server = await startServer(process.argv.slice(2));
  const withToken = server.url.replace("http://", `http://codeexec:${server.token}@`);
  client = piston({ server: withToken });
});
after(async () => server && (await server.stop()));

test("runtimes lists python with a version and its aliases", async () => {
  const runtimes = await client.runtimes();
  assert.ok(Array.isArray(runtimes), JSON.stringify(runtimes));
  const python = runtimes.find((r) => r.language === "python");
  assert.ok(python, "python is listed");
  assert.match(python.version, /^\d+\.\d+/);
  assert.ok(python.aliases.includes("py"));
});

test("execute runs python and answers in Piston's shape", async () => {
  const result = await client.execute("python", "import sys\nprint('hi')\nprint('err', file=sys.stderr)");
  assert.equal(result.language, "python");
  assert.equal(typeof result.version, "string");
  assert.equal(result.run.stdout, "hi\n");
  assert.equal(result.run.stderr, "err\n");
  assert.equal(result.run.code, 0);
  assert.equal(result.run.signal, null);
});

test("the client's default args and stdin reach the program", async () => {
  const result = await client.execute("python", "import sys\nprint(sys.argv[1:], sys.stdin.read())", {
    stdin: "input text",
    args: ["a", "b"],
  });
  assert.equal(result.run.stdout, "['a', 'b'] input text\n");
});

test("a failing program reports its exit code", async () => {
  const result = await client.execute("python", "raise SystemExit(3)");
  assert.equal(result.run.code, 3);
  assert.equal(result.run.status, "RE");
});

test("several files: the first runs, the others sit beside it", async () => {
  const result = await client.execute({
    language: "python",
    files: [
      { name: "main.py", content: "import helper\nprint(helper.VALUE)" },
      { name: "helper.py", content: "VALUE = 42" },
    ],
  });
  assert.equal(result.run.stdout, "42\n");
});

test("a run past run_timeout is killed with status TO", async () => {
  const result = await client.execute("python", "import time\nprint('before', flush=True)\ntime.sleep(30)", {
    runTimeout: 1000,
  });
  assert.equal(result.run.status, "TO");
  assert.equal(result.run.signal, "SIGKILL");
  assert.ok(result.run.stdout.startsWith("before\n"), result.run.stdout);
});

test("an unknown language is Piston's 400 message", async () => {
  const result = await client.execute({ language: "brainfuck", version: "*", files: [{ content: "+" }] });
  assert.match(result.message, /runtime is unknown/);
});
