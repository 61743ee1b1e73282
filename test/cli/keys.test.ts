// `tributary keys create | list | rm` against a real server with an admin key.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startCluster, type Cluster } from "../helpers/cluster.js";
import { runCli } from "./run-cli.js";

const ADMIN = "cli-admin-key-31415";
let c: Cluster;
before(async () => {
  c = await startCluster({ server: { apiKeys: [ADMIN] }, executor: null });
});
after(async () => c?.stop());

const status = async (path: string, key: string): Promise<number> =>
  (await fetch(c.server.url + path, { headers: { authorization: `Bearer ${key}` } })).status;

test(
  "keys create prints the key once; list shows it without the secret; rm revokes it",
  { timeout: 60_000 },
  async () => {
    const env = { TRIBUTARY_API_KEY: ADMIN, TRIBUTARY_SERVER: c.server.url };
    const made = await runCli(["keys", "create", "team keys", "--namespace", "team-a", "--namespace", "team-b"], {
      env,
    });
    assert.equal(made.code, 0, made.stderr);
    const key = made.stdout.trim();
    assert.match(key, /^trb_\S+$/, "stdout is the key alone");
    assert.match(
      made.stderr,
      /created key key_[0-9a-f]{16} \(namespaces: team-a, team-b\); it is shown only this once/,
    );
    assert.equal(await status("/v1/namespaces/team-b/applications", key), 200);
    assert.equal(await status("/v1/namespaces/default/applications", key), 403);

    const list = await runCli(["keys", "list"], { env });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /team keys\s+team-a,team-b/);
    assert.ok(!list.stdout.includes(key));
    const json = JSON.parse((await runCli(["keys", "list", "--json"], { env })).stdout) as {
      id: string;
      name: string;
    }[];
    const id = json.find((k) => k.name === "team keys")!.id;

    const asUser = await runCli(["keys", "list"], { env: { ...env, TRIBUTARY_API_KEY: key } });
    assert.equal(asUser.code, 1);
    assert.match(asUser.stderr, /only admin keys .* manage keys \(forbidden, HTTP 403\)/);
    const anonymous = await runCli(["keys", "list", "--server", c.server.url]);
    assert.equal(anonymous.code, 1);
    assert.equal(
      anonymous.stderr,
      "error: missing 'Authorization: Bearer <api key>' (unauthorized, HTTP 401); this server needs an API key: set TRIBUTARY_API_KEY\n",
    );
    const empty = await runCli(["keys", "list"], { env: { ...env, TRIBUTARY_API_KEY: "" } });
    assert.match(
      empty.stderr,
      /HTTP 401\); TRIBUTARY_API_KEY is empty, so no key was sent: set it to an API key of this server\n$/,
    );
    const wrong = await runCli(["keys", "list"], { env: { ...env, TRIBUTARY_API_KEY: "not-a-key" } });
    assert.equal(
      wrong.stderr,
      "error: the API key is not valid (unauthorized, HTTP 401); the key sent is TRIBUTARY_API_KEY's: set it to a valid API key of this server\n",
    );

    const rm = await runCli(["keys", "rm", id], { env });
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, `revoked key ${id}\n`);
    assert.equal(await status("/v1/namespaces/team-b/applications", key), 401);
    const again = await runCli(["keys", "rm", id], { env });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not found/);
  },
);
