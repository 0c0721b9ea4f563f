// The OpenAPI 3.1 document the server serves at /v1/openapi.json, checked with a real validator
// (@seriousme/openapi-schema-validator), and against the routes the server answers.
import assert from "node:assert/strict";
import { test, after, before } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { startServer } from "./serve.mjs";

let server;
let doc;

before(async () => {
  server = await startServer(process.argv.slice(2));
  const response = await fetch(`${server.url}/v1/openapi.json`, {
    headers: { Authorization: `Bearer ${server.token}` },
  });
  assert.equal(response.status, 200);
  doc = await response.json();
});
after(async () => server && (await server.stop()));

test("the document is valid OpenAPI 3.1", async () => {
  const validator = new Validator();
  const result = await validator.validate(doc);
  assert.equal(validator.version, "3.1");
  assert.ok(result.valid, JSON.stringify(result.errors, null, 1));
});

test("the document needs the token, /v1/health does not", async () => {
  assert.equal((await fetch(`${server.url}/v1/openapi.json`)).status, 401);
  assert.equal((await fetch(`${server.url}/v1/health`)).status, 200);
});

test("every documented operation is a route of the server", async () => {
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ["get", "post", "put", "delete"]) {
      if (!item[method]) continue;
      const concrete = path
        .replace("{id}", "0".repeat(32))
        .replace("{path}", "some/file.txt");
      const response = await fetch(`${server.url}${concrete}`, {
        method: method.toUpperCase(),
        headers: { Authorization: `Bearer ${server.token}` },
        body: method === "get" || method === "delete" ? undefined : "{}",
      });
      // 404 is fine for a session that does not exist, never for a route that does not.
      const body = await response.text();
      assert.ok(response.status !== 405, `${method} ${path}: 405`);
      if (response.status === 404) assert.doesNotMatch(body, /no route/, `${method} ${path}`);
    }
  }
});
