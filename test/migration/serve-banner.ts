// What `npm run serve` prints when it opens a data directory: the migration tests read it to
// check that the server says what it migrated. Starts api/serve.ts in a child process, waits for
// the banner (it ends with the docs line), stops the server and returns everything it printed.
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";

const repo = resolve(import.meta.dirname, "../..");

export async function serveBanner(dataDir: string): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", join(repo, "api/serve.ts")], {
    cwd: repo,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: "0",
      API_KEY_SECRET: "test-secret-0123456789abcdef",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = await new Promise<string>((done, fail) => {
    let text = "";
    child.stdout?.on("data", (chunk) => {
      text += chunk;
      if (text.includes("docs:")) done(text);
    });
    child.once("exit", (code) => fail(new Error(`serve exited with ${code}: ${text}`)));
  });
  child.kill("SIGTERM");
  await new Promise((done) => child.once("exit", done));
  return output;
}
