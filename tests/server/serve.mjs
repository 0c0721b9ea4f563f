// Starts the real `codeexec serve` (the binary in $CODEEXEC_CLI) on a free loopback port, for the
// tests that drive it with real npm clients. Resolves once it prints where it listens.
import { spawn } from "node:child_process";

export async function startServer(extraArgs = []) {
  const cli = process.env.CODEEXEC_CLI;
  if (!cli) throw new Error("CODEEXEC_CLI must name the codeexec binary");
  const token = "node-test-token-" + Math.random().toString(16).slice(2);
  const child = spawn(cli, ["serve", "--listen", "127.0.0.1:0", "--token", token, ...extraArgs], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise((resolve, reject) => {
    let seen = "";
    child.stdout.on("data", (data) => {
      seen += data.toString();
      const match = seen.match(/listening on (http:\/\/[^ ]+?)\/? /);
      if (match) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`codeexec serve exited with ${code}: ${seen}`)));
  });
  const stop = () =>
    new Promise((resolve) => {
      child.on("exit", resolve);
      child.kill("SIGTERM");
    });
  return { url, token, stop };
}
